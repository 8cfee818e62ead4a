# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run checks concurrently with deadlines that hold whatever a check does.

Two ways to run a task, with one scheduler (a bounded pool, per-task and overall deadlines):

``run_all`` runs each task in a daemon thread. A statvfs() on a hung NFS mount blocks in the
kernel and cannot be interrupted from Python, so a task still running at its deadline is
abandoned: its result becomes a timeout, its slot is freed, and the caller learns that a thread
is stuck (``Outcome.abandoned``). Threads cannot stop code that holds the GIL, though.

``run_forked`` runs each task in a forked child process that sends its (JSON) result back
through a pipe. At its deadline the child is killed (SIGKILL), so a pattern that backtracks for
minutes, a parser stuck on a huge page or any other busy loop ends on time; a child stuck in an
uninterruptible read (a hung mount) is abandoned, as a thread would be, and the kernel reaps it
when it wakes. ``health_check`` runs every check this way.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import traceback

import queue

from ansible_collections.sre.health.plugins.module_utils._errors import MissingLibraryError, SreHealthError

# A child's result larger than this is refused (a check returns summaries and numbers, not pages).
MAX_CHILD_RESULT_BYTES = 64 * 1024 * 1024

# In a forked task: the pid of the process that forked it (the module), else None.
_FORKED_FROM = [None]


def forked_from():
    """The pid of the module process when running inside a forked task, else None.

    A process check must not count the module itself, whichever process runs the check.
    """
    return _FORKED_FROM[0]


class TaskTimeout(Exception):
    """Raised in place of a task's result when it did not finish within its timeout."""

    def __init__(self, timeout, started, overall=False):
        self.timeout = timeout
        self.started = started
        self.overall = overall
        if started and overall:
            message = "timed out after %s s (the overall timeout ran out)" % _fmt_seconds(timeout)
        elif started:
            message = "timed out after %s s" % _fmt_seconds(timeout)
        else:
            message = "not started: the overall timeout of %s s ran out" % _fmt_seconds(timeout)
        super(TaskTimeout, self).__init__(message)


def _fmt_seconds(seconds):
    return ("%g" % round(seconds, 3)) if seconds is not None else "?"


class Outcome(object):
    """What ``run_all`` produced: one entry per task, in task order."""

    def __init__(self, results, abandoned):
        # each entry: (value, exception or None, duration_seconds)
        self.results = results
        # number of threads still blocked in a task after its deadline
        self.abandoned = abandoned


_ABANDONED_LOCK = threading.Lock()
_ABANDONED = [0]


def abandoned_threads():
    """How many task threads this process has abandoned so far (still stuck, as far as we know)."""
    with _ABANDONED_LOCK:
        return _ABANDONED[0]


def _note_abandoned(count):
    with _ABANDONED_LOCK:
        _ABANDONED[0] += count


class _Run(object):
    """One run of ``run_all``: the pool of task threads, their deadlines and their results."""

    def __init__(self, tasks, max_workers, timeout, overall_timeout, clock):
        self.tasks = tasks
        self.max_workers = max_workers
        self.timeout = timeout
        self.overall_timeout = overall_timeout
        self.clock = clock
        self.results = [None] * len(tasks)
        self.done_queue = queue.Queue()
        begin = clock()
        self.overall_deadline = None if overall_timeout is None else begin + overall_timeout
        self.running = {}  # index -> (deadline, started_at, task_timeout)
        self.next_index = 0
        self.finished = 0
        self.abandoned = 0

    def _worker(self, index, func):
        started = self.clock()
        try:
            value = func()
            self.done_queue.put((index, value, None, self.clock() - started))
        except BaseException as exc:  # noqa: B902 - a check must never kill the run
            try:
                exc.traceback_text = traceback.format_exc()
            except Exception:
                pass
            self.done_queue.put((index, None, exc, self.clock() - started))

    def _start_more(self):
        now = self.clock()
        while self.next_index < len(self.tasks) and len(self.running) < self.max_workers:
            if self.overall_deadline is not None and now >= self.overall_deadline:
                break
            func, task_timeout = self.tasks[self.next_index][:2]
            if task_timeout is None:
                task_timeout = self.timeout
            deadline = None if task_timeout is None else now + task_timeout
            if self.overall_deadline is not None:
                deadline = self.overall_deadline if deadline is None else min(deadline, self.overall_deadline)
            self.running[self.next_index] = (deadline, now, task_timeout)
            self._launch(self.next_index, func)
            self.next_index += 1

    def _launch(self, index, func):
        _daemon(self._worker, index, func)

    def _stop(self, index):
        """A task passed its deadline: a thread cannot be stopped, only abandoned."""

    def _give_up_on_the_rest(self):
        """Nothing running and nothing may start: the overall deadline has passed."""
        for index in range(self.next_index, len(self.tasks)):
            self.results[index] = (None, TaskTimeout(self.overall_timeout, False), 0.0)
            self.finished += 1
        self.next_index = len(self.tasks)

    def _wait_for_one(self):
        """Take one finished task, or return at the nearest deadline."""
        deadlines = [d for d, _s, _t in self.running.values() if d is not None]
        wait = None if not deadlines else max(0.0, min(deadlines) - self.clock())
        try:
            index, value, exc, duration = self.done_queue.get(timeout=wait)
        except queue.Empty:
            return False
        if index in self.running:
            del self.running[index]
            self.results[index] = (value, exc, duration)
            self.finished += 1
        return True

    def _abandon_late(self):
        now = self.clock()
        overall = self.overall_deadline
        for index, (deadline, started, task_timeout) in list(self.running.items()):
            if deadline is None or now < deadline:
                continue
            del self.running[index]
            self._stop(index)
            overall_hit = overall is not None and deadline >= overall and (
                task_timeout is None or started + task_timeout > overall
            )
            limit = (overall - started) if overall_hit else task_timeout
            self.results[index] = (None, TaskTimeout(limit, True, overall_hit), now - started)
            self.finished += 1
            self.abandoned += 1

    def go(self):
        while self.finished < len(self.tasks):
            self._start_more()
            if not self.running:
                self._give_up_on_the_rest()
                break
            if not self._wait_for_one():
                self._abandon_late()
        _note_abandoned(self.abandoned)
        return Outcome(self.results, self.abandoned)


def _daemon(target, *args):
    thread = threading.Thread(target=target, args=args, name="sre-health-task-%s" % (args[0],))
    thread.daemon = True
    thread.start()


class ChildFailure(Exception):
    """A forked task raised (or its process died): the type name and message it reported."""

    def __init__(self, type_name, message):
        super(ChildFailure, self).__init__(message)
        self.type_name = type_name


def _child_payload(func):
    try:
        return json.dumps({"value": func()})
    except MissingLibraryError as exc:
        return json.dumps({"missing": exc.libraries})
    except BaseException as exc:  # noqa: B902 - reported to the parent, never raised here
        return json.dumps({"raised": [type(exc).__name__, str(exc), isinstance(exc, SreHealthError),
                                      traceback.format_exc()]})


def _child_main(func, write_fd):
    """In the forked child: run ``func``, send its result, and leave without any clean-up of the
    parent's (no atexit handlers, no flushing of inherited buffers, threads left as they are)."""
    code = 0
    try:
        data = _child_payload(func).encode("utf-8", "surrogateescape")
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:  # noqa: B902 - nothing may escape a forked child
        code = 70
    os._exit(code)


def _decode_child(data, status):
    """(value, exception) from what a child sent and how it ended."""
    if not data:
        if os.WIFSIGNALED(status):
            how = "was killed by signal %d" % os.WTERMSIG(status)
        else:
            how = "exited with status %d" % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1)
        return None, ChildFailure("ChildDied", "the check's process %s before sending a result" % how)
    try:
        payload = json.loads(data.decode("utf-8", "surrogateescape"))
    except ValueError as exc:
        return None, ChildFailure("ChildDied", "the check's process sent an unreadable result (%s)" % exc)
    if "value" in payload:
        return payload["value"], None
    if "missing" in payload:
        return None, MissingLibraryError(payload["missing"])
    type_name, message, user_error, trace = payload["raised"]
    exc = SreHealthError(message) if user_error else ChildFailure(type_name, message)
    exc.traceback_text = trace
    return None, exc


class _ForkedRun(_Run):
    """``_Run`` with each task in a forked child process, killed at its deadline; a task marked
    ``(func, timeout, False)`` runs in a thread instead."""

    def __init__(self, *args):
        super(_ForkedRun, self).__init__(*args)
        self.children = {}

    def _launch(self, index, func):
        if len(self.tasks[index]) > 2 and not self.tasks[index][2]:
            super(_ForkedRun, self)._launch(index, func)
            return
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_fd)
            _FORKED_FROM[0] = parent
            _child_main(func, write_fd)
        os.close(write_fd)
        self.children[index] = pid
        _daemon(self._collect, index, pid, read_fd, self.clock())

    def _collect(self, index, pid, read_fd, started):
        """In a parent thread: read the child's result to its end, reap it, hand the result over."""
        chunks, size = [], 0
        try:
            while True:
                chunk = os.read(read_fd, 1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_CHILD_RESULT_BYTES:
                    os.kill(pid, signal.SIGKILL)
                    chunks = []
                    break
                chunks.append(chunk)
        finally:
            os.close(read_fd)
        _pid, status = os.waitpid(pid, 0)
        value, exc = _decode_child(b"".join(chunks), status)
        self.done_queue.put((index, value, exc, self.clock() - started))

    def _stop(self, index):
        if index not in self.children:
            return  # a thread: abandoned
        try:
            os.kill(self.children[index], signal.SIGKILL)
        except OSError:
            pass  # it ended meanwhile


def run_forked(tasks, max_workers=8, timeout=None, overall_timeout=None, clock=time.monotonic):
    """Like :func:`run_all`, with each task in a forked child killed at its deadline.

    ``tasks`` may hold ``(func, timeout, isolated)``: with ``isolated`` false the task runs in a
    thread (no fork: cheaper, for work that cannot hold the GIL for long). A forked task's value
    must be JSON data (it crosses a pipe). An exception becomes ``ChildFailure``
    (its type name and message), ``SreHealthError`` or ``MissingLibraryError`` as raised.
    """
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1, got %r" % (max_workers,))
    return _ForkedRun(tasks, max_workers, timeout, overall_timeout, clock).go()


def run_all(tasks, max_workers=8, timeout=None, overall_timeout=None, clock=time.monotonic):
    """Run ``tasks`` concurrently and return an :class:`Outcome`.

    ``tasks`` is a list of ``(callable, task_timeout)``; ``task_timeout`` None means ``timeout``.
    Each callable is called without arguments. A callable that raises yields its exception
    (with ``exc.traceback_text`` set); one that passes its deadline yields :class:`TaskTimeout`.
    ``overall_timeout`` bounds the whole run: tasks still running then time out, tasks not yet
    started are reported as not started.
    """
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1, got %r" % (max_workers,))
    return _Run(tasks, max_workers, timeout, overall_timeout, clock).go()


def call_with_timeout(func, timeout):
    """Call ``func`` in a daemon thread; return its value or raise its exception or TaskTimeout."""
    outcome = run_all([(func, timeout)], max_workers=1)
    value, exc, _duration = outcome.results[0]
    if exc is not None:
        raise exc
    return value
