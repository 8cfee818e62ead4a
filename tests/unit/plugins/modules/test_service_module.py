# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""service_state end to end, through the real ansible CLI.

The module process gets a PATH whose first directory holds a stand-in ``systemctl`` (see
test_service.py): it records every call and answers in the real ``systemctl show`` format.
PATH is set for the module alone by a wrapper used as ansible_python_interpreter, so the
ansible CLI around it keeps the machine's own PATH.
"""

from __future__ import annotations

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils.test_service import (
    calls,
    fake_systemctl,
    sbin_has_systemctl,
)
from ansible_collections.sre.health.tests.unit.plugins.modules.conftest import python_with_path
from ansible_collections.sre.health.tests.unit.utils import run_module

RESULT_KEYS = {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms", "unit", "expected"}


def assert_no_traceback(run):
    for text in (run.stdout, run.stderr, str(run.result)):
        assert "Traceback" not in text
        assert 'File "' not in text


def test_many_units_one_systemctl_call(standin):
    python, record = standin
    names = ["nginx", "sshd", "cron", "apt-daily.timer", "nosuch", "apache2", "app", "flappy", "slow", "nginx.service"]
    run = run_module("service_state", {"name": names, "fail_on": "never"}, python=python)
    assert not run.failed, run.result
    made = calls(record)
    assert len(made) == 1
    argv = made[0]
    assert argv[:2] == ["show", "--no-pager"]
    assert argv[argv.index("--") + 1:] == [
        "nginx.service", "sshd.service", "cron.service", "apt-daily.timer", "nosuch.service", "apache2.service",
        "app.service", "flappy.service", "slow.service"]
    result = run.result
    assert result["changed"] is False
    assert result["status"] == "critical" and result["health"] == "unhealthy"
    checks = result["checks"]
    for check in checks:
        assert RESULT_KEYS <= set(check), check
        assert check["kind"] == "service"
    statuses = [(c["name"], c["status"]) for c in checks]
    assert statuses == [
        ("service:nginx.service", "ok"), ("service:sshd.service", "ok"), ("service:cron.service", "ok"),
        ("service:apt-daily.timer", "ok"), ("service:nosuch.service", "critical"),
        ("service:apache2.service", "critical"), ("service:app.service", "critical"),
        ("service:flappy.service", "critical"), ("service:slow.service", "warning"),
    ]
    by_name = dict((c["name"], c) for c in checks)
    assert by_name["service:nosuch.service"]["summary"] == "nosuch.service: unit not found"
    assert by_name["service:apache2.service"]["summary"] == (
        "apache2.service: inactive (dead), masked (critical: expected active)")
    assert by_name["service:app.service"]["summary"] == (
        "app.service: failed, result exit-code, enabled, 5 restarts (critical: expected active)")
    assert by_name["service:flappy.service"]["summary"] == (
        "flappy.service: activating (auto-restart), result exit-code, enabled, 3 restarts "
        "(critical: restarting after a failure, expected active)")
    assert by_name["service:slow.service"]["summary"] == (
        "slow.service: activating (start), disabled, 0 restarts, memory 1.5 MiB "
        "(warning: still starting, expected active)")
    sshd = by_name["service:sshd.service"]
    assert sshd["unit"] == "ssh.service" and sshd["summary"].startswith("sshd.service (ssh.service): active (running), enabled, up ")
    nginx = by_name["service:nginx.service"]
    assert nginx["metrics"]["active"] == 1 and nginx["metrics"]["memory_bytes"] == 5349376
    assert nginx["main_pid"] == 734 and nginx["active_since"] == "Sun 2026-11-22 11:05:01 UTC"
    assert nginx["expected"] == {"state": "active", "enabled": None}
    assert result["summary"].startswith("5 of 9 checks not ok: CRITICAL: nosuch.service: unit not found; ")


def test_not_found_fails_the_task_and_check_mode_is_the_same(standin):
    python, record = standin
    for check_mode in (False, True):
        run = run_module("service_state", {"name": ["nginx", "nosuch"]}, python=python, check=check_mode)
        assert run.failed
        assert run.result["changed"] is False
        assert run.result["msg"] == "1 of 2 checks not ok: CRITICAL: nosuch.service: unit not found"
        assert_no_traceback(run)
    assert len(calls(record)) == 2


def test_healthy_units_pass_in_check_mode(standin):
    python, record = standin
    run = run_module("service_state", {"units": ["nginx", "cron", "systemd-journald"], "enabled": True},
                     python=python, check=True)
    assert not run.failed, run.result
    assert run.result["changed"] is False
    assert run.result["status"] == "ok" and run.result["summary"] == "3 checks ok"
    assert [c["unit_file_state"] for c in run.result["checks"]] == ["enabled", "enabled", "static"]
    assert len(calls(record)) == 1


def test_enabled_mismatch_is_a_warning(standin):
    python, _record = standin
    args = {"name": ["nginx", "postgresql"], "expect": "inactive", "enabled": False, "fail_on": "never"}
    run = run_module("service_state", args, python=python)
    assert not run.failed
    checks = run.result["checks"]
    assert [c["status"] for c in checks] == ["critical", "ok"]
    assert checks[0]["summary"].endswith("(critical: expected inactive; warning: expected disabled)")
    run = run_module("service_state", {"name": ["nginx"], "enabled": False, "fail_on": "warning"}, python=python)
    assert run.failed and run.result["status"] == "warning"
    assert run.result["msg"].endswith("(warning: expected disabled)")


def test_thresholds(standin):
    python, _record = standin
    args = {"name": ["nginx", "cron"], "thresholds": {"restarts": {"warning": 0, "critical": 5},
                                                      "memory_bytes": {"critical": "4MiB"}}}
    run = run_module("service_state", args, python=python)
    assert run.failed and run.result["status"] == "critical"
    nginx, cron = run.result["checks"]
    assert nginx["status"] == "critical" and nginx["summary"].endswith("(critical: memory_bytes 5.1 MiB > 4 MiB)")
    assert cron["status"] == "warning" and cron["summary"].endswith("(warning: restarts 2 > 0)")
    assert nginx["thresholds"] == {"restarts": {"warning": 0, "critical": 5}, "memory_bytes": {"critical": "4MiB"}}


def test_systemctl_missing_is_unknown(tmp_path):
    if sbin_has_systemctl():
        pytest.skip("systemctl is in an sbin directory, which is always searched")
    empty = tmp_path / "empty"
    empty.mkdir()
    python = python_with_path(str(tmp_path), str(empty), replace=True)
    run = run_module("service_state", {"name": ["nginx", "cron"]}, python=python)
    assert run.failed
    assert run.result["status"] == "unknown" and run.result["health"] == "unhealthy"
    assert [c["status"] for c in run.result["checks"]] == ["unknown", "unknown"]
    assert run.result["checks"][0]["summary"] == (
        "nginx.service: systemctl not found in PATH or /sbin, /usr/sbin, /usr/local/sbin (not a systemd host?)")
    assert_no_traceback(run)
    relaxed = run_module("service_state", {"name": ["nginx"], "fail_on": "never"}, python=python)
    assert not relaxed.failed and relaxed.result["status"] == "unknown"


def test_systemctl_failing_is_unknown_with_its_message(tmp_path):
    bindir = str(tmp_path / "bin")
    record = fake_systemctl(bindir, mode="fail", rc=1, stderr=(
        "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
        "Failed to connect to bus: Host is down\n"))
    run = run_module("service_state", {"name": ["nginx"]}, python=python_with_path(str(tmp_path), bindir))
    assert run.failed and run.result["status"] == "unknown"
    assert run.result["msg"] == (
        "1 of 1 checks not ok: UNKNOWN: nginx.service: systemctl show failed (rc 1): System has not been booted "
        "with systemd as init system (PID 1). Can't operate.; Failed to connect to bus: Host is down")
    assert len(calls(record)) == 1
    assert_no_traceback(run)


@pytest.mark.parametrize("args, fragments", [
    ({"name": ["nginx", "web*"]}, ["option name: 'web*' is invalid; accepted: unit names such as nginx", "no globs"]),
    ({"name": ["nginx web"]}, ["option name: 'nginx web' is invalid"]),
    ({"name": ["getty@.service"]}, ["option name: 'getty@.service'", "getty@tty1.service"]),
    ({"name": []}, ["option name: [] is invalid; accepted: a list of one or more unit names"]),
    ({}, ["missing required arguments: name"]),
    ({"name": ["nginx"], "expect": "running"}, ["expect", "running", "active, inactive"]),
    ({"name": ["nginx"], "timeout": 0}, ["option timeout: 0.0 is invalid", "greater than 0"]),
    ({"name": ["nginx"], "thresholds": {"active": {"critical": "1:"}}},
     ["option thresholds.active", "judged by expect"]),
    ({"name": ["nginx"], "thresholds": {"memory_bytes": {"critical": "10s"}}},
     ["thresholds.memory_bytes.critical", "unit 's' does not fit a bytes metric"]),
    ({"name": ["nginx"], "thresholds": {"uptime_seconds": {"warning": "5GiB:"}}},
     ["thresholds.uptime_seconds.warning", "unit 'GiB' does not fit a seconds metric"]),
])
def test_bad_input_is_a_clear_error_and_systemctl_never_runs(standin, args, fragments):
    python, record = standin
    run = run_module("service_state", args, python=python)
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert_no_traceback(run)
    assert calls(record) == []
