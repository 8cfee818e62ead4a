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
    count = len(tasks)
    results = [None] * count
    done_queue = queue.Queue()
    begin = clock()
    overall_deadline = None if overall_timeout is None else begin + overall_timeout
    running = {}  # index -> (deadline, started_at)
    next_index = 0
    finished = 0
    abandoned = 0

    def worker(index, func):
        started = clock()
        try:
            value = func()
            done_queue.put((index, value, None, clock() - started))
        except BaseException as exc:  # noqa: B902 - a check must never kill the run
            try:
                exc.traceback_text = traceback.format_exc()
            except Exception:
                pass
            done_queue.put((index, None, exc, clock() - started))

    while finished < count:
        now = clock()
        while next_index < count and len(running) < max_workers:
            if overall_deadline is not None and now >= overall_deadline:
                break
            func, task_timeout = tasks[next_index]
            if task_timeout is None:
                task_timeout = timeout
            deadline = None if task_timeout is None else now + task_timeout
            if overall_deadline is not None:
                deadline = overall_deadline if deadline is None else min(deadline, overall_deadline)
            thread = threading.Thread(target=worker, args=(next_index, func), name="sre-health-check-%d" % next_index)
            thread.daemon = True
            running[next_index] = (deadline, now, task_timeout)
            thread.start()
            next_index += 1
        if not running:
            # Nothing running and nothing may start: the overall deadline has passed.
            for index in range(next_index, count):
                results[index] = (None, TaskTimeout(overall_timeout, False), 0.0)
                finished += 1
            next_index = count
            break
        deadlines = [d for d, _s, _t in running.values() if d is not None]
        wait = None if not deadlines else max(0.0, min(deadlines) - clock())
        try:
            index, value, exc, duration = done_queue.get(timeout=wait)
        except queue.Empty:
            index = None
        if index is not None:
            if index in running:
                del running[index]
                results[index] = (value, exc, duration)
                finished += 1
            continue
        now = clock()
        for index, (deadline, started, task_timeout) in list(running.items()):
            if deadline is not None and now >= deadline:
                del running[index]
                overall_hit = overall_deadline is not None and deadline >= overall_deadline and (
                    task_timeout is None or started + task_timeout > overall_deadline
                )
                limit = (overall_deadline - started) if overall_hit else task_timeout
                results[index] = (None, TaskTimeout(limit, True, overall_hit), now - started)
                finished += 1
                abandoned += 1
    _note_abandoned(abandoned)
    return Outcome(results, abandoned)


def call_with_timeout(func, timeout):
    """Call ``func`` in a daemon thread; return its value or raise its exception or TaskTimeout."""
    outcome = run_all([(func, timeout)], max_workers=1)
    value, exc, _duration = outcome.results[0]
    if exc is not None:
        raise exc
    return value
