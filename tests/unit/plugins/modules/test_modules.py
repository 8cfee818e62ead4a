# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The four host modules end to end, through the real ansible CLI, on real state."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.health.tests.unit.utils import fill, run_module

MODULES = ["disk_usage", "memory_usage", "cpu_load", "process_check"]
RESULT_KEYS = {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms"}


def assert_no_traceback(run):
    for text in (run.stdout, run.stderr, str(run.result)):
        assert "Traceback" not in text
        assert 'File "' not in text


@pytest.mark.parametrize("module, args", [
    ("disk_usage", {"paths": ["/"]}),
    ("memory_usage", {}),
    ("cpu_load", {"interval": 0.1}),
    ("process_check", {"pattern": "."}),
])
@pytest.mark.parametrize("check_mode", [False, True])
def test_return_shape(module, args, check_mode):
    run = run_module(module, dict(args, fail_on="never"), check=check_mode)
    result = run.result
    assert result["changed"] is False
    assert result["status"] in ("ok", "warning", "critical", "unknown")
    assert result["health"] in ("healthy", "degraded", "unhealthy")
    assert result["summary"]
    assert result["checks"]
    for check in result["checks"]:
        assert RESULT_KEYS <= set(check)
        assert check["metrics"]


def test_critical_disk_fails_the_task_naming_the_mount(tmpfs):
    fill(tmpfs, int(7.6 * 1024 * 1024))
    run = run_module("disk_usage", {"paths": [tmpfs]})
    assert run.failed
    assert run.result["status"] == "critical" and run.result["health"] == "unhealthy"
    assert run.result["msg"].startswith("1 of 1 checks not ok: CRITICAL: %s 9" % tmpfs)
    assert run.result["checks"][0]["mount"] == tmpfs
    relaxed = run_module("disk_usage", {"paths": [tmpfs], "fail_on": "never"})
    assert not relaxed.failed and relaxed.result["status"] == "critical"


def test_fail_on_warning(tmpfs):
    fill(tmpfs, int(6.8 * 1024 * 1024))
    assert not run_module("disk_usage", {"paths": [tmpfs]}).failed
    run = run_module("disk_usage", {"paths": [tmpfs], "fail_on": "warning"})
    assert run.failed and run.result["status"] == "warning"


def test_check_mode_changes_nothing(tmpfs):
    fill(tmpfs, 1024 * 1024)
    before = sorted(os.listdir(tmpfs))
    run = run_module("disk_usage", {"paths": [tmpfs]}, check=True)
    assert run.result["changed"] is False and run.result["status"] == "ok"
    assert sorted(os.listdir(tmpfs)) == before


@pytest.mark.parametrize("module, args, fragments", [
    ("disk_usage", {"timeout": -1}, ["option timeout", "-1", "greater than 0"]),
    ("disk_usage", {"thresholds": {"used_prcent": {"critical": 90}}},
     ["thresholds.used_prcent", "unknown metric", "accepted metrics: free_bytes"]),
    ("disk_usage", {"thresholds": {"used_percent": {"critical": "90:80"}}},
     ["thresholds.used_percent.critical", "'90:80'", "greater than end", "[@]start:end"]),
    ("disk_usage", {"thresholds": {"free_bytes": {"critical": "10%:"}}},
     ["thresholds.free_bytes.critical", "'10%:'", "unit '%' does not fit a bytes metric", "GiB"]),
    ("disk_usage", {"thresholds": {"used_percent": {"critical": "lots"}}},
     ["thresholds.used_percent.critical", "'lots'"]),
    ("disk_usage", {"fail_on": "sometimes"}, ["fail_on", "sometimes", "critical, warning, never"]),
    ("memory_usage", {"thresholds": {"used_percent": {"urgent": 90}}},
     ["thresholds.used_percent.urgent", "accepted: warning, critical"]),
    ("memory_usage", {"no_swap_status": "meh"}, ["no_swap_status", "meh", "ok, warning, critical, unknown"]),
    ("cpu_load", {"interval": -0.5}, ["option interval", "-0.5", "from 0"]),
    ("cpu_load", {"thresholds": {"load5_per_cpu": {"warning": "2s"}}},
     ["thresholds.load5_per_cpu.warning", "unit 's' does not fit a count metric"]),
    ("process_check", {"pattern": "(unclosed"}, ["option pattern", "(unclosed", "regular expression"]),
    ("process_check", {}, ["one of the following is required: name, pattern, user"]),
])
def test_bad_input_is_a_clear_error(module, args, fragments):
    run = run_module(module, args)
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert_no_traceback(run)


def test_missing_psutil_is_missing_required_lib(python_without_psutil):
    run = run_module("process_check", {"name": "init"}, python=python_without_psutil)
    assert run.failed
    msg = run.result["msg"]
    assert "Failed to import the required Python library (psutil" in msg
    assert "python3-psutil" in msg
    assert_no_traceback(run)


def test_disk_usage_needs_no_psutil(python_without_psutil):
    run = run_module("disk_usage", {"paths": ["/"], "fail_on": "never"}, python=python_without_psutil)
    assert not run.failed and run.result["checks"][0]["mount"] == "/"


def test_memory_usage_and_cpu_load_need_no_psutil_on_linux(python_without_psutil):
    # /proc/meminfo and /proc/stat, read by the module itself
    run = run_module("memory_usage", {"fail_on": "never"}, python=python_without_psutil)
    assert not run.failed and run.result["checks"][0]["metrics"]["available_bytes"] > 0, run.result
    run = run_module("cpu_load", {"interval": 0.2, "fail_on": "never"}, python=python_without_psutil)
    assert not run.failed and 0.0 <= run.result["checks"][0]["metrics"]["cpu_percent"] <= 100.0, run.result


def test_hung_mount_is_unknown_within_its_timeout_and_the_module_exits(hung_mount, tmp_path):
    # The subprocess timeout is the real assertion: a module that waited for its stuck thread
    # would never return. The elapsed time is reported, not asserted (shared, noisy machines).
    # The modules' own temporary directory, where AnsiballZ unpacks its payload: other tests' modules,
    # running meanwhile, unpack theirs in the machine's.
    module_tmp = tmp_path / "module-tmp"
    module_tmp.mkdir()
    env = {"TMPDIR": str(module_tmp)}
    run = run_module("disk_usage", {"timeout": 1, "fail_on": "never"}, timeout=60, env=env)
    checks = dict((c["name"], c) for c in run.result["checks"])
    hung = checks["disk:" + hung_mount]
    assert hung["status"] == "unknown"
    assert hung["summary"] == "%s did not answer: statvfs timed out after 1 s (hung mount?)" % hung_mount
    assert checks["disk:/"]["status"] in ("ok", "warning", "critical")
    assert run.result["status"] == "unknown" and run.result["health"] == "unhealthy"
    explicit = run_module("disk_usage", {"paths": [hung_mount + "/sub/dir", "/"], "timeout": 1}, timeout=60, env=env)
    assert explicit.failed
    assert [c["status"] for c in explicit.result["checks"]] == ["unknown", "ok"] or \
        explicit.result["checks"][0]["status"] == "unknown"
    leftovers = os.listdir(str(module_tmp))
    assert leftovers == [], "AnsiballZ could not clean up: %s" % leftovers
    print("hung mount: module returned in %.2f s and %.2f s with timeout 1 s" % (run.elapsed, explicit.elapsed))
