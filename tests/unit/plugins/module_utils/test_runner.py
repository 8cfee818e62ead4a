# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runner's guarantees, shown with synchronisation rather than wall-clock assertions."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils._errors import MissingLibraryError, OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._runner import (
    ChildFailure,
    TaskTimeout,
    abandoned_threads,
    call_with_timeout,
    forked_from,
    run_all,
    run_forked,
)


def test_results_come_back_in_task_order():
    outcome = run_all([(lambda i=i: i * i, None) for i in range(20)], max_workers=4)
    assert [r[0] for r in outcome.results] == [i * i for i in range(20)]
    assert all(r[1] is None for r in outcome.results)
    assert outcome.abandoned == 0


def test_tasks_really_run_concurrently():
    # Each task waits until all three are inside at once; run one by one they would time out.
    barrier = threading.Barrier(3, timeout=10)
    outcome = run_all([(barrier.wait, None)] * 3, max_workers=3)
    assert [r[1] for r in outcome.results] == [None, None, None]


def test_max_workers_bounds_the_pool():
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}
    gate = threading.Barrier(3, timeout=10)

    def task():
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        gate.wait()
        with lock:
            state["now"] -= 1

    outcome = run_all([(task, None)] * 9, max_workers=3)
    assert all(r[1] is None for r in outcome.results)
    assert state["peak"] == 3


def test_a_stuck_task_times_out_and_the_others_still_report():
    never = threading.Event()
    before = abandoned_threads()
    outcome = run_all([(lambda: "fast", None), (never.wait, 0.3), (lambda: "also fast", None)], max_workers=3)
    values = [r[0] for r in outcome.results]
    assert values[0] == "fast" and values[2] == "also fast"
    exc = outcome.results[1][1]
    assert isinstance(exc, TaskTimeout)
    assert str(exc) == "timed out after 0.3 s"
    assert outcome.abandoned == 1
    assert abandoned_threads() == before + 1
    never.set()


def test_a_stuck_task_frees_its_slot():
    never = threading.Event()
    outcome = run_all([(never.wait, 0.2), (lambda: "after", None)], max_workers=1)
    assert isinstance(outcome.results[0][1], TaskTimeout)
    assert outcome.results[1][0] == "after"
    never.set()


def test_overall_timeout_stops_running_and_unstarted_tasks():
    never = threading.Event()
    outcome = run_all([(never.wait, None), (never.wait, None), (lambda: 1, None)], max_workers=2,
                      overall_timeout=2)  # long enough for two threads to start on any machine
    first, second, third = [r[1] for r in outcome.results]
    assert isinstance(first, TaskTimeout) and first.started and first.overall
    assert "overall timeout" in str(first)
    assert isinstance(second, TaskTimeout) and second.started
    assert isinstance(third, TaskTimeout) and not third.started
    assert str(third) == "not started: the overall timeout of 2 s ran out"
    never.set()


def test_an_exception_is_returned_with_its_traceback():
    def boom():
        raise KeyError("nope")

    outcome = run_all([(boom, None), (lambda: 2, None)])
    exc = outcome.results[0][1]
    assert isinstance(exc, KeyError)
    assert "boom" in exc.traceback_text
    assert outcome.results[1][0] == 2


def test_call_with_timeout():
    assert call_with_timeout(lambda: 42, 5) == 42
    never = threading.Event()
    with pytest.raises(TaskTimeout):
        call_with_timeout(never.wait, 0.1)
    never.set()
    with pytest.raises(ZeroDivisionError):
        call_with_timeout(lambda: 1 / 0, 5)


def test_invalid_pool_size():
    with pytest.raises(ValueError):
        run_all([], max_workers=0)


def test_no_tasks():
    outcome = run_all([])
    assert outcome.results == [] and outcome.abandoned == 0


# --- run_forked: each task in a child process, killed at its deadline --------------------------

def _backtrack():
    # 2**34 steps: hours of work that never lets go of the GIL, as a user's pattern can do.
    return bool(re.search(r"(a+)+$", "a" * 34 + "!"))


def _spin():
    while True:
        pass


def test_forked_tasks_return_json_values_in_order():
    outcome = run_forked([(lambda i=i: {"square": i * i, "pid": os.getpid()}, 10) for i in range(6)], max_workers=3)
    values = [r[0] for r in outcome.results]
    assert [v["square"] for v in values] == [i * i for i in range(6)]
    # each ran in its own process, not in this one
    assert os.getpid() not in [v["pid"] for v in values] and len(set(v["pid"] for v in values)) == 6
    assert outcome.abandoned == 0


@pytest.mark.parametrize("busy", [_backtrack, _spin])
def test_a_task_that_holds_the_gil_is_killed_at_its_deadline_and_the_others_finish(busy):
    # Threads could not stop these: the whole run waited for them (60 s+ in the hardening issue).
    started = time.monotonic()
    outcome = run_forked([(busy, 1.0), (lambda: "fine", 10), (forked_from, 10)], max_workers=3)
    elapsed = time.monotonic() - started
    value, exc, _duration = outcome.results[0]
    assert value is None and isinstance(exc, TaskTimeout) and str(exc) == "timed out after 1 s"
    assert outcome.results[1][:2] == ("fine", None)
    assert outcome.results[2][:2] == (os.getpid(), None)  # a child knows the module's pid
    assert elapsed < 30  # far below what the busy task alone would take (hours); not a timing test


def test_a_task_marked_not_isolated_runs_in_a_thread_of_this_process():
    outcome = run_forked([(os.getpid, 10, False), (os.getpid, 10, True), (os.getpid, 10)])
    assert [r[0] == os.getpid() for r in outcome.results] == [True, False, False]


def test_errors_cross_the_process_boundary_with_their_kind():
    def user_error():
        raise OptionError("pattern", "(", "a valid regular expression")

    def bug():
        raise KeyError("boom")

    def missing():
        raise MissingLibraryError(["psutil (python3-psutil)"])

    def dies():
        os.kill(os.getpid(), signal.SIGKILL)

    outcome = run_forked([(user_error, 10), (bug, 10), (missing, 10), (dies, 10), (object, 10)])
    errors = [r[1] for r in outcome.results]
    assert isinstance(errors[0], SreHealthError) and str(errors[0]).startswith("option pattern: '('")
    assert isinstance(errors[1], ChildFailure) and errors[1].type_name == "KeyError" and "boom" in str(errors[1])
    assert "Traceback" in errors[1].traceback_text
    assert isinstance(errors[2], MissingLibraryError) and errors[2].libraries == ["psutil (python3-psutil)"]
    assert str(errors[3]) == "the check's process was killed by signal 9 before sending a result"
    assert errors[4].type_name == "TypeError"  # not JSON data


def test_every_child_is_reaped():
    outcome = run_forked([(os.getpid, 10)])
    pid = outcome.results[0][0]
    with pytest.raises(OSError):
        os.kill(pid, 0)
