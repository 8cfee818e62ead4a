# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""command_check and the command kind in health_check, end to end through the real ansible CLI,
with Debian's real monitoring-plugins."""

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.sre.health.tests.unit.utils import run_module

PLUGINS = "/usr/lib/nagios/plugins"
pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(PLUGINS, "check_dummy")),
                                reason="monitoring-plugins are not installed (%s/check_dummy)" % PLUGINS)


def no_traceback(run):
    for text in (run.stdout, run.stderr, str(run.result)):
        assert "Traceback" not in text


@pytest.mark.parametrize("check_mode", [False, True])
def test_check_disk(check_mode):
    run = run_module("command_check", {"plugin": "check_disk", "args": ["-w", "1%", "-c", "1%", "-p", "/"]},
                     check=check_mode)
    assert not run.failed, run.result
    assert run.result["changed"] is False and run.result["status"] == "ok"
    check = run.result["checks"][0]
    assert check["kind"] == "command" and check["summary"].startswith("DISK OK")
    assert check["metrics"]["/"] > 0 and check["perfdata"][0]["uom"] == "B"


def test_a_critical_plugin_fails_the_task_and_never_does_not():
    run = run_module("command_check", {"plugin": "check_dummy", "args": ["2", "broken"]})
    assert run.failed and run.result["status"] == "critical"
    assert "CRITICAL: broken" in run.result["msg"]
    run = run_module("command_check", {"plugin": "check_dummy", "args": ["2", "broken"], "fail_on": "never"})
    assert not run.failed and run.result["health"] == "unhealthy"


def test_check_mode_safe_false_skips_in_check_mode_only():
    args = {"plugin": "check_dummy", "args": ["2", "would fail"], "check_mode_safe": False}
    skipped = run_module("command_check", args, check=True)
    assert not skipped.failed, skipped.result
    check = skipped.result["checks"][0]
    assert check["skipped"] is True and check["status"] == "ok" and "not run in check mode" in check["summary"]
    ran = run_module("command_check", args)
    assert ran.failed and ran.result["checks"][0]["exit_code"] == 2


def test_timeout_kills_and_is_unknown(tmp_path):
    plugin = tmp_path / "slow"
    plugin.write_text("#!/bin/sh\ntrap '' TERM\necho waiting\nexec sleep 300\n")
    plugin.chmod(0o755)
    started = time.monotonic()
    run = run_module("command_check", {"argv": [str(plugin)], "timeout": 2, "fail_on": "never"})
    assert time.monotonic() - started < 30
    check = run.result["checks"][0]
    assert check["status"] == "unknown" and "timed out after 2 s" in check["summary"]


@pytest.mark.parametrize("args, fragments", [
    ({"argv": ["true"], "plugin": "check_dummy"}, ["mutually exclusive"]),
    ({"plugin": "check dummy"}, ["option plugin", "'check dummy'"]),
    ({"argv": ["true"], "stdout": "x"}, ["option stdout", "only with format=plain"]),
    ({"argv": ["true"], "thresholds": {"load1": {"critical": "10GB"}}}, ["thresholds.load1.critical", "10GB"]),
])
def test_bad_options_are_clear_errors(args, fragments):
    run = run_module("command_check", args)
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"]
    no_traceback(run)


def test_command_kind_inside_health_check(tmp_path):
    plugin = tmp_path / "plain"
    plugin.write_text("#!/bin/sh\necho done\n")
    plugin.chmod(0o755)
    run = run_module("health_check", {"checks": [
        {"name": "load", "kind": "command", "plugin": "check_load", "args": ["-w", "500,400,300", "-c", "900,800,700"],
         "thresholds": {"load1": {"critical": 1000}}},
        {"name": "missing", "kind": "command", "plugin": "check_sre_health_missing"},
        {"name": "script", "kind": "command", "argv": [str(plugin)], "format": "plain", "stdout": "^done$"},
    ], "fail_on": "never"})
    assert not run.failed, run.result
    checks = dict((c["name"], c) for c in run.result["checks"])
    assert checks["load"]["status"] == "ok" and "load1" in checks["load"]["metrics"]
    assert checks["missing"]["status"] == "unknown" and "/usr/lib/nagios/plugins" in checks["missing"]["summary"]
    assert checks["script"]["status"] == "ok", checks["script"]
