# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_report and the fleet_report role, for real: the module through the ansible CLI, the
sre.health.check playbook on local-connection hosts (reports, alerts to a real webhook receiver on
127.0.0.1, preflight errors before any check), and the same playbook through ansible-runner, the
engine AWX runs jobs with."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.sre.health.plugins.module_utils import _report as _report_module
from ansible_collections.sre.health.tests.unit.plugins.module_utils.servers import refused_port
from ansible_collections.sre.health.tests.unit.plugins.module_utils.webhooks import TOKEN_PATH, Receiver
from ansible_collections.sre.health.tests.unit.plugins.modules.test_health_check import CALM_DEFAULT_CHECKS
from ansible_collections.sre.health.tests.unit.utils import ansible_env, collections_path, run_module

RESULTS = [
    {"host": "a", "status": "ok", "summary": "1 checks ok",
     "checks": [{"name": "disk:/", "kind": "disk", "status": "ok", "summary": "/ 20% used",
                 "metrics": {"used_percent": 20.0}, "thresholds": {}, "duration_ms": 1.0}]},
]


def inventory(tmp_path, extra=""):
    path = tmp_path / "hosts.yml"
    path.write_text(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: %s\n"
        "    health_check_install_deps: false\n%s  hosts:\n    good:\n    bad:\n"
        "      health_check_checks:\n        - {name: ghost, kind: process, pattern: no-such-process-xyz}\n%s"
        % (sys.executable, CALM_DEFAULT_CHECKS, extra))
    return str(path)


def playbook(tmp_path, *args, inventory_extra="", **env_extra):
    """Run sre.health.check from ``tmp_path`` (its default report directory is under the working directory)."""
    env = ansible_env()
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", inventory(tmp_path, inventory_extra),
                           "sre.health.check"]
                          + list(args), env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                          check=False)


def test_the_module_writes_every_format_and_reports_unchanged(tmp_path):
    directory = str(tmp_path / "out")
    run = run_module("fleet_report", {"results": RESULTS, "hosts": ["a", "b"], "dir": directory})
    assert not run.failed and run.result["changed"] is False, run.result
    assert sorted(os.listdir(directory)) == ["fleet-health.html", "fleet-health.json", "fleet-health.junit.xml",
                                             "fleet-health.prom"]
    assert run.result["totals"]["unhealthy_hosts"] == ["b"] and run.result["totals"]["hosts"] == 2
    assert run.result["files"]["json"] == os.path.join(directory, "fleet-health.json")


def test_check_only_writes_nothing(tmp_path):
    directory = str(tmp_path / "new")
    run = run_module("fleet_report", {"results": [], "dir": directory, "check_only": True})
    assert not run.failed and run.result["files"] == {} and os.listdir(directory) == []


@pytest.mark.parametrize("args, message", [
    ({"formats": ["json", "pdf"]}, "value of formats must be one or more of: json, junit, prometheus, html. Got no "
                                   "match for: pdf"),
    ({"basename": "a/b"}, "option basename: 'a/b' is invalid"),
    ({"dir": "/proc/version/reports"}, "option dir: '/proc/version/reports' is not a writable directory"),
])
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    params = {"results": RESULTS, "dir": str(tmp_path / "out")}
    params.update(args)
    run = run_module("fleet_report", params)
    assert run.failed and message in run.result["msg"], run.result
    assert "Traceback" not in run.stdout + run.stderr


def test_check_writes_reports_and_still_fails_the_unhealthy_host_last(tmp_path):
    proc = playbook(tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    recap = proc.stdout[proc.stdout.index("PLAY RECAP"):]
    assert [line.split()[0] for line in recap.splitlines()[1:] if "failed=1" in line] == ["bad"]
    assert "changed=1" not in recap
    reports = tmp_path / "health-reports"
    assert sorted(os.listdir(str(reports))) == ["fleet-health.html", "fleet-health.json", "fleet-health.junit.xml",
                                                "fleet-health.prom"]
    document = json.loads((reports / "fleet-health.json").read_text())
    assert document["totals"]["unhealthy_hosts"] == ["bad"] and document["totals"]["healthy"] == 1
    bad = document["hosts"][0]
    assert bad["host"] == "bad" and bad["status"] == "critical"
    assert [c["name"] for c in bad["checks"] if c["status"] == "critical"] == ["ghost"]
    assert "fleet unhealthy: 2 hosts, 1 healthy, 0 degraded, 1 unhealthy" in proc.stdout


@pytest.mark.skipif(not shutil.which("ssh"), reason="needs the OpenSSH client")
def test_unreachable_hosts_are_reported_with_their_connection_error(tmp_path):
    # Two hosts over SSH to a port of 127.0.0.1 that refuses (one would install missing libraries, one
    # not): both stay in the reports with the reason, sorted unhealthy, and nothing else is tried on them.
    sock, port = refused_port()
    try:
        gone = ("    gone-deps:\n      health_check_install_deps: true\n    gone-nodeps:\n")
        ssh = ("        ansible_connection: ssh\n        ansible_host: 127.0.0.1\n        ansible_port: %d\n"
               "        ansible_user: nobody\n        ansible_ssh_common_args: -o BatchMode=yes -o ConnectTimeout=5\n"
               % port)
        extra = "  children:\n    remote:\n      vars:\n%s      hosts:\n%s" % (ssh, gone.replace("    ", "        "))
        proc = playbook(tmp_path, inventory_extra=extra)
    finally:
        sock.close()
    assert proc.returncode != 0, proc.stdout + proc.stderr
    document = json.loads((tmp_path / "health-reports" / "fleet-health.json").read_text())
    hosts = dict((h["host"], h) for h in document["hosts"])
    for name in ("gone-deps", "gone-nodeps"):
        assert hosts[name]["status"] == "unknown" and hosts[name]["health"] == "unhealthy", hosts[name]
        assert hosts[name]["summary"].startswith("unreachable: Failed to connect to the host via ssh"), hosts[name]
        assert "Connection refused" in hosts[name]["summary"]
    assert [h["host"] for h in document["hosts"]][-1] == "good"
    assert sorted(document["totals"]["unhealthy_hosts"]) == ["bad", "gone-deps", "gone-nodeps"]
    page = (tmp_path / "health-reports" / "fleet-health.html").read_text()
    assert page.count("unreachable: Failed to connect to the host via ssh") >= 2
    assert _report_module.NO_RESULT not in page


def test_alerts_reach_a_real_webhook_once_and_the_url_never_shows(tmp_path):
    receiver = Receiver()
    try:
        args = ["-e", "fleet_report_webhook_url=%s" % receiver.url, "-e", "health_check_fail_on=never"]
        first = playbook(tmp_path, *args)
        assert first.returncode == 0, first.stdout + first.stderr
        payloads = receiver.payloads()
        assert len(payloads) == 1
        keys = [a["key"] for a in payloads[0]["alerts"]]
        assert keys == ["bad/ghost"] and payloads[0]["alerts"][0]["event"] == "firing"
        second = playbook(tmp_path, *args)
        assert second.returncode == 0 and len(receiver.payloads()) == 1  # deduplicated
        for proc in (first, second):
            assert TOKEN_PATH not in proc.stdout + proc.stderr and "query-s3cr3t" not in proc.stdout + proc.stderr
        for name in os.listdir(str(tmp_path / "health-reports")):
            text = (tmp_path / "health-reports" / name).read_text()
            assert "s3cr3t" not in text, name
    finally:
        receiver.close()


@pytest.mark.parametrize("extra, message", [
    (["-e", "fleet_report_webhook_url=hooks.example.com/s3cr3t-in-url"],
     "fleet_report_webhook_url is not a valid http(s) URL (the value is not shown: it is a secret)"),
    (["-e", "fleet_report_dir=/proc/version/reports"], "option dir: '/proc/version/reports' is not a writable"),
    (["-e", '{"fleet_report_formats": ["json", "pdf"]}'], "fleet_report_formats"),
])
def test_bad_report_settings_fail_before_any_check(tmp_path, extra, message):
    proc = playbook(tmp_path, *extra)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "Run every check in one round-trip" not in proc.stdout
    assert "s3cr3t-in-url" not in proc.stdout + proc.stderr
    assert not os.path.exists(str(tmp_path / "health-reports" / "fleet-health.json"))


def test_awx_engine_ansible_runner_gets_the_fleet_summary(tmp_path, monkeypatch):
    ansible_runner = pytest.importorskip("ansible_runner")
    # ansible-runner starts ansible-playbook with this process's environment: the real CLI, not
    # ansible-test's module_utils-only ansible on PYTHONPATH and its stubs on PATH.
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    private = tmp_path / "runner"
    (private / "inventory").mkdir(parents=True)
    (private / "inventory" / "hosts.yml").write_text(open(inventory(tmp_path)).read())
    env = dict((k, v) for k, v in ansible_env().items() if k.startswith("ANSIBLE_"))
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path()
    run = ansible_runner.run(private_data_dir=str(private), playbook="sre.health.check", envvars=env, quiet=True,
                             extravars={"fleet_report_dir": str(tmp_path / "awx-reports"), "awx_job_id": 42})
    # the unhealthy host fails, as the job would
    assert run.status == "failed" and run.rc == 2, run.stdout.read()[-3000:]
    stats = [e for e in run.events if e.get("event") == "playbook_on_stats"]
    assert len(stats) == 1
    summary = stats[0]["event_data"]["artifact_data"]["sre_health"]
    assert summary == {"status": "critical", "health": "unhealthy", "hosts": 2, "healthy": 1, "degraded": 0,
                       "unhealthy": 1, "unhealthy_hosts": ["bad"], "report_dir": str(tmp_path / "awx-reports")}
    assert os.path.exists(str(tmp_path / "awx-reports" / "fleet-health.job-42.junit.xml"))
