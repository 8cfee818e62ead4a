# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The process check against real processes started by the test."""

from __future__ import annotations

import getpass
import os
import signal
import subprocess
import sys
import uuid

import pytest

from ansible_collections.sre.health.plugins.module_utils import _process
from ansible_collections.sre.health.plugins.module_utils._status import OptionError, compile_thresholds


def run(thresholds=None, **params):
    params.setdefault("interval", 0.1)
    compiled = compile_thresholds(thresholds, _process.METRICS, _process.DEFAULT_THRESHOLDS)
    return _process.run(_process.validate(params), compiled)[0]


@pytest.fixture
def workers():
    """Three real processes with a unique marker in their command line; one burns CPU."""
    marker = "sre-health-test-%s" % uuid.uuid4().hex[:12]
    procs = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", marker]),
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", marker]),
        subprocess.Popen([sys.executable, "-c", "while True: pass", marker]),
    ]
    try:
        yield marker, procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_counts_real_processes_and_their_memory(workers):
    marker, procs = workers
    result = run(pattern=marker, interval=0.3)
    metrics = result["metrics"]
    assert metrics["count"] == 3
    assert sorted(result["pids"]) == sorted(p.pid for p in procs)
    assert metrics["rss_bytes"] > 3 * 1024 * 1024
    assert result["status"] == "ok"
    assert result["summary"].startswith("/%s/: 3 processes, " % marker)


def test_cpu_percent_is_the_busy_loops_whatever_share_of_the_machine_it_gets(workers):
    """The busy loop's share of a loaded machine can be anything; what is certain is that the sleepers use no CPU
    at all, the loop none while it is stopped, and some in a second while it runs."""
    marker, procs = workers
    busy = procs[2]
    os.kill(busy.pid, signal.SIGSTOP)
    try:
        assert run(pattern=marker, interval=0.3)["metrics"]["cpu_percent"] == 0
    finally:
        os.kill(busy.pid, signal.SIGCONT)
    assert run(pattern=marker, interval=1.0)["metrics"]["cpu_percent"] > 0


def test_dead_processes_are_critical(workers):
    marker, procs = workers
    for proc in procs:
        proc.kill()
        proc.wait()
    result = run(pattern=marker)
    assert result["metrics"]["count"] == 0
    assert result["status"] == "critical"
    assert result["summary"] == "/%s/: no process running (critical < 1)" % marker


def test_a_process_that_must_not_run(workers):
    marker, _procs = workers
    result = run({"count": {"critical": "@1:"}}, pattern=marker)
    assert result["status"] == "critical"
    assert "(critical >= 1)" in result["summary"]


def test_name_and_user_filters(workers):
    marker, _procs = workers
    me = getpass.getuser()
    assert run(pattern=marker, user=me)["metrics"]["count"] == 3
    assert run(pattern=marker, user="no-such-user-here")["metrics"]["count"] == 0
    exe = _process.psutil.Process(_procs[0].pid).name()
    assert run(name=exe, pattern=marker)["metrics"]["count"] == 3
    assert run(name="not-" + exe, pattern=marker)["metrics"]["count"] == 0


def test_the_check_does_not_count_itself():
    me = _process.psutil.Process()
    result = run(pattern=r"pytest|py\.test|python")
    assert me.pid not in result["pids"]


def test_zombies_are_not_counted():
    marker = "sre-health-zombie-%s" % uuid.uuid4().hex[:8]
    proc = subprocess.Popen([sys.executable, "-c", "pass", marker])
    # not reaped yet: wait until it is a zombie (a loaded machine may take seconds to start Python)
    deadline = _process.time.monotonic() + 60
    while _process.psutil.Process(proc.pid).status() != _process.psutil.STATUS_ZOMBIE \
            and _process.time.monotonic() < deadline:
        _process.time.sleep(0.01)
    assert _process.psutil.Process(proc.pid).status() == _process.psutil.STATUS_ZOMBIE
    assert run(pattern=marker)["metrics"]["count"] == 0
    proc.wait()


@pytest.mark.parametrize("params, option", [
    ({"pattern": "("}, "pattern"),
    ({}, "name/pattern/user"),
    ({"name": "x", "interval": -2}, "interval"),
])
def test_bad_options(params, option):
    with pytest.raises(OptionError) as err:
        run(**params)
    assert err.value.option == option
    assert "accepted:" in str(err.value)
