# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run checks concurrently with timeouts that hold even when a check never returns.

A statvfs() on a hung NFS mount blocks in the kernel and cannot be interrupted from Python.
So every task runs in its own daemon thread (not a ThreadPoolExecutor, whose workers are
joined at interpreter exit), at most ``max_workers`` at a time; a task still running at its
deadline is abandoned: its result becomes a timeout, its slot is freed, and the caller learns
that a thread is stuck (``Outcome.abandoned``) so the module can exit without waiting for it.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import threading
import time
import traceback

import queue


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
            func, task_timeout = self.tasks[self.next_index]
            if task_timeout is None:
                task_timeout = self.timeout
            deadline = None if task_timeout is None else now + task_timeout
            if self.overall_deadline is not None:
                deadline = self.overall_deadline if deadline is None else min(deadline, self.overall_deadline)
            thread = threading.Thread(target=self._worker, args=(self.next_index, func),
                                      name="sre-health-check-%d" % self.next_index)
            thread.daemon = True
            self.running[self.next_index] = (deadline, now, task_timeout)
            thread.start()
            self.next_index += 1

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
