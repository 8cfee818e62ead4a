# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Remediation that cannot read a unit's state: the unit is unknown and the host fails (issue 29).

Nothing is faked here. The machine running the unit tests has no systemd as PID 1, so its own
``systemctl`` answers "System has not been booted with systemd" (offline); a PATH without any systemctl
is a directory of links to every other program. Before, ``sre.health.remediate --check`` on such a host
exited 0 with every unit ``no_action``: a run that could not look passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.sre.health.tests.unit.utils import ansible_env, run_module

OFFLINE = "System has not been booted with systemd"
MISSING = "systemctl not found in PATH or /sbin, /usr/sbin, /usr/local/sbin (not a systemd host?)"
HEADLINE = "nginx.service: unknown: cannot read the unit's state, so remediation cannot act on it: "

needs_offline_systemctl = pytest.mark.skipif(
    os.path.isdir("/run/systemd/system") or not os.path.exists("/usr/bin/systemctl"),
    reason="needs the real systemctl on a host not booted with systemd")

# Every task result of the play, one JSON line each: the play's own output is for people.
RECORDER = '''
import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "record"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, outcome):
        with open(os.environ["SRE_HEALTH_TEST_RECORD"], "a") as handle:
            handle.write(json.dumps({"task": result._task.get_name(), "outcome": outcome,
                                     "result": result._result}, default=str) + "\\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")
'''


@pytest.fixture(name="no_systemctl_path")
def no_systemctl_path_fixture(tmp_path):
    """A PATH directory with every program of /usr/bin and /usr/sbin but systemctl."""
    path = tmp_path / "bin"
    path.mkdir()
    for directory in ("/usr/sbin", "/usr/bin"):
        for name in os.listdir(directory):
            target = os.path.join(directory, name)
            if name != "systemctl" and not (path / name).exists() and os.access(target, os.X_OK):
                os.symlink(target, str(path / name))
    return str(path)


def remediate_playbook(tmp_path, check, path=None):
    """``sre.health.remediate`` on localhost with nginx declared; returns (proc, the service_state result)."""
    plugins = tmp_path / "callbacks"
    plugins.mkdir(exist_ok=True)
    (plugins / "record.py").write_text(RECORDER)
    record = tmp_path / ("record-%s.jsonl" % ("check" if check else "run"))
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                         "      ansible_python_interpreter: %s\n" % sys.executable)
    settings = json.dumps({"service_guard_services": [{"name": "nginx", "settle": 0}],
                           "service_guard_state_file": str(tmp_path / "restarts.json")})
    env = dict(ansible_env(), ANSIBLE_CALLBACK_PLUGINS=str(plugins), ANSIBLE_CALLBACKS_ENABLED="record",
               SRE_HEALTH_TEST_RECORD=str(record))
    if path is not None:
        env["PATH"] = path
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory), "sre.health.remediate",
                           "-e", settings] + (["--check"] if check else []),
                          env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    results = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    guarded = [r["result"] for r in results if "Restart the services that are down" in r["task"]]
    assert len(guarded) == 1, proc.stdout + proc.stderr
    (item,) = guarded[0]["results"]
    return proc, results, item


def assert_unknown_and_failed(proc, results, item, tmp_path, reason):
    output = proc.stdout + proc.stderr
    # the host failed: ansible-playbook's exit code for failed hosts
    assert proc.returncode == 2, output
    assert "Traceback" not in output
    (unit,) = item["checks"]
    assert (unit["status"], unit["outcome"], unit["action"]) == ("unknown", "unknown", "none"), unit
    assert unit["summary"].startswith(HEADLINE) and reason in unit["summary"], unit["summary"]
    assert item["status"] == "unknown" and item["health"] == "unhealthy" and item["changed"] is False
    (failed,) = [r for r in results if r["outcome"] == "failed"]
    assert "Fail the host when a service is still failing" in failed["task"]
    assert failed["result"]["msg"].startswith("localhost: 1 service unit(s) still failing or unknown: " + HEADLINE)
    assert "UNKNOWN  " + HEADLINE in proc.stdout  # the line the role prints for the unit
    # nothing was restarted, nor could be: no restart log
    assert not (tmp_path / "restarts.json").exists() and not (tmp_path / "restarts.json.lock").exists()


@needs_offline_systemctl
@pytest.mark.parametrize("check", [True, False], ids=["check-mode", "normal"])
def test_remediate_playbook_fails_a_host_whose_systemd_is_offline(tmp_path, check):
    proc, results, item = remediate_playbook(tmp_path, check)
    assert_unknown_and_failed(proc, results, item, tmp_path, "systemctl show failed (rc 1): " + OFFLINE)


@pytest.mark.parametrize("check", [True, False], ids=["check-mode", "normal"])
def test_remediate_playbook_fails_a_host_without_systemctl(tmp_path, no_systemctl_path, check):
    proc, results, item = remediate_playbook(tmp_path, check, path=no_systemctl_path)
    assert_unknown_and_failed(proc, results, item, tmp_path, MISSING)
    assert item["checks"][0]["summary"] == HEADLINE + MISSING


@needs_offline_systemctl
@pytest.mark.parametrize("check", [True, False], ids=["check-mode", "normal"])
@pytest.mark.parametrize("fail_on, fails", [("critical", True), ("warning", True), ("never", False)])
def test_service_state_is_unknown_and_fails_under_critical_and_warning(tmp_path, check, fail_on, fails):
    run = run_module("service_state", {"name": ["nginx"], "remediate": True, "fail_on": fail_on, "settle": 0,
                                       "state_file": str(tmp_path / "restarts.json")},
                     check=check, env={"PATH": "/usr/bin:/bin"})
    assert run.failed is fails, run.result
    assert run.result["status"] == "unknown" and run.result["changed"] is False
    (unit,) = run.result["checks"]
    assert (unit["status"], unit["outcome"]) == ("unknown", "unknown")
    assert unit["summary"].startswith(HEADLINE + "systemctl show failed (rc 1): " + OFFLINE)
    assert not (tmp_path / "restarts.json").exists()
