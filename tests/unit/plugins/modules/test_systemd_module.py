# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""systemd_check and the systemd kind of health_check, end to end through the real ansible CLI.

The module process finds a stand-in ``systemctl`` first on PATH (see test_systemd.py) that replays
what a real systemd 252 answered; PATH is set for the module alone by a wrapper used as
ansible_python_interpreter. The module's clock is not pinned here, so these runs leave out
max_age: the statuses they assert do not depend on how old the capture is. Without the stand-in,
the machine's own systemctl answers as on any host without systemd, and that path is real.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils.test_systemd import calls, fixture, replay
from ansible_collections.sre.health.tests.unit.plugins.modules.conftest import python_with_path
from ansible_collections.sre.health.tests.unit.plugins.modules.test_service_module import assert_no_traceback
from ansible_collections.sre.health.tests.unit.utils import run_module

RESULT_KEYS = {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms"}
# the degraded capture's options, less max_age (the ages grow with the capture's age)
PARAMS = dict((k, v) for k, v in fixture("degraded")["params"].items() if k != "max_age")
STATUSES = [
    ("systemd", "critical"), ("systemd:ok-job.timer", "ok"), ("systemd:backup-db.timer", "critical"),
    ("systemd:backup-web.timer", "critical"), ("systemd:never.timer", "ok"), ("systemd:report.timer", "ok"),
    ("systemd:stopped.timer", "critical"), ("systemd:slow-job.timer", "ok"), ("systemd:nosuch.timer", "critical"),
    ("systemd:nomatch-*.timer", "critical")]


@pytest.fixture
def degraded(tmp_path):
    """(python wrapper, call record) for a module run against the degraded capture."""
    bindir = str(tmp_path / "bin")
    record = replay(bindir, "degraded")
    return python_with_path(str(tmp_path), bindir), record


def test_standalone_degraded_host(degraded):
    python, record = degraded
    run = run_module("systemd_check", PARAMS, python=python)
    assert run.failed
    result = run.result
    assert result["changed"] is False
    assert (result["status"], result["health"]) == ("critical", "unhealthy")
    assert [(c["name"], c["status"]) for c in result["checks"]] == STATUSES
    for check in result["checks"]:
        assert RESULT_KEYS <= set(check) and check["kind"] == "systemd"
    system = result["checks"][0]
    assert system["summary"] == (
        "systemd degraded, 3 failed units: backup-db.service, backup-web.service, broken.service (critical > 0; "
        "warning: system degraded (a unit failed); 1 ignored: user-cleanup@x.service)")
    db = result["checks"][2]
    assert db["summary"].startswith("backup-db.timer: last triggered ")
    assert "backup-db.service failed (exit-code, exit status 3); next Fri 2026-11-27 00:00:00 UTC" in db["summary"]
    assert db["summary"].endswith("(critical: last run failed)")
    assert db["metrics"]["last_trigger_age_seconds"] > 3 and db["max_age"] is None
    assert result["msg"].startswith("6 of 10 checks not ok: CRITICAL: systemd degraded, 3 failed units: ")
    assert [c["argv"][0] for c in calls(record)] == ["is-system-running", "list-units", "show", "show"]
    assert_no_traceback(run)


def test_standalone_check_mode_and_fail_on_never(degraded):
    python, _record = degraded
    run = run_module("systemd_check", dict(PARAMS, fail_on="never"), python=python, check=True)
    assert not run.failed
    assert run.result["status"] == "critical" and run.result["changed"] is False
    assert [(c["name"], c["status"]) for c in run.result["checks"]] == STATUSES


def test_inside_health_check(degraded):
    python, record = degraded
    checks = [dict(PARAMS, name="host", kind="systemd"),
              {"name": "state", "kind": "systemd", "failed_units": False, "degraded_status": "critical"}]
    run = run_module("health_check", {"checks": checks, "fail_on": "never"}, python=python)
    assert not run.failed, run.result
    names = [(c["name"], c["status"]) for c in run.result["checks"]]
    assert names == [(n.replace("systemd", "host", 1), s) for n, s in STATUSES] + [("state", "critical")]
    state = run.result["checks"][-1]
    assert state["summary"] == "systemd degraded (critical: system degraded (a unit failed))"
    assert state["metrics"] == {"failed_units": None}
    assert sorted(c["argv"][0] for c in calls(record)) == ["is-system-running", "is-system-running", "list-units",
                                                           "show", "show"]


@pytest.mark.skipif(os.path.isdir("/run/systemd/system") or not os.path.exists("/usr/bin/systemctl"),
                    reason="needs the real systemctl on a host not booted with systemd")
def test_no_systemd_is_unknown_standalone_and_in_health_check(tmp_path):
    python = python_with_path(str(tmp_path), "/usr/bin:/bin", replace=True)
    reason = "systemctl is-system-running: offline: systemd is not running as the system manager (PID 1)"
    run = run_module("systemd_check", {"timers": ["logrotate"]}, python=python)
    assert run.failed and run.result["status"] == "unknown"
    assert [(c["name"], c["status"], c["summary"]) for c in run.result["checks"]] == [
        ("systemd", "unknown", reason), ("systemd:logrotate.timer", "unknown", "logrotate.timer: " + reason)]
    assert_no_traceback(run)
    run = run_module("health_check", {"checks": [{"name": "sd", "kind": "systemd", "system_state": False}],
                                      "fail_on": "never"}, python=python)
    assert not run.failed
    check = run.result["checks"][0]
    assert (check["name"], check["status"]) == ("sd", "unknown")
    assert check["summary"].startswith("systemctl list-units failed (rc 1): System has not been booted with systemd")


@pytest.mark.parametrize("args, fragments", [
    ({"timers": ["nginx.service"]}, ["option timers: 'nginx.service' is invalid; accepted: timers only, not service "
                                     "units"]),
    ({"timers": ["a b"]}, ["option timers: 'a b' is invalid; accepted: timer names or globs such as logrotate"]),
    ({"max_age": "26h"}, ["option max_age: '26h' is invalid; accepted: max_age only with timers"]),
    ({"timers": ["x"], "max_age": "tomorrow"}, ["option max_age: 'tomorrow' is invalid; accepted: a duration"]),
    ({"ignore": ["x"], "failed_units": False}, ["option ignore: ['x'] is invalid; accepted: ignore only with"]),
    ({"failed_units": False, "system_state": False}, ["accepted: at least one thing to check"]),
    ({"degraded_status": "fatal"}, ["degraded_status", "fatal", "warning, critical"]),
    ({"timeout": -1}, ["option timeout: -1.0 is invalid; accepted: a number of seconds greater than 0"]),
    ({"thresholds": {"failed_units": {"critical": "1GiB"}}}, ["thresholds.failed_units.critical"]),
    ({"thresholds": {"restarts": {"critical": "1"}}}, ["unknown metric 'restarts'", "failed_units, "
                                                       "last_trigger_age_seconds"]),
])
def test_bad_input_is_a_clear_error_and_systemctl_never_runs(degraded, args, fragments):
    python, record = degraded
    run = run_module("systemd_check", args, python=python)
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert_no_traceback(run)
    assert calls(record) == []


@pytest.mark.parametrize("entry, fragments", [
    ({"timers": ["x.socket"]}, ["checks[0] (sd): option timers: 'x.socket' is invalid"]),
    ({"units": ["nginx"]}, ["checks[0] (sd): unknown option units for kind systemd; accepted: ", "timers"]),
    ({"max_age": "26h"}, ["checks[0] (sd): option max_age: '26h' is invalid"]),
])
def test_bad_entries_in_health_check(degraded, entry, fragments):
    python, record = degraded
    run = run_module("health_check", {"checks": [dict(entry, name="sd", kind="systemd")]}, python=python)
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert calls(record) == []
