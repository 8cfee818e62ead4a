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
from ansible_collections.sre.health.tests.unit.plugins.module_utils import webhooks as W
from ansible_collections.sre.health.tests.unit.plugins.module_utils.servers import refused_port
from ansible_collections.sre.health.tests.unit.plugins.module_utils.test_service import calls
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


# The fleet_report role's one task before any check (issue 14: a task costs a worker): the role's variables against
# its argument spec (Ansible's validate_argument_spec, inside fleet_report), then the report directory and formats,
# the webhook URL and every alert setting. SPEC_TASK names the errors that were validate_argument_spec's task's.
PREFLIGHT_TASK = ("sre.health.fleet_report : Check the report settings by the role's argument spec, the directory, "
                  "the webhook URL, the alert settings")
SPEC_TASK = PREFLIGHT_TASK


def failed_task(proc):
    """The name of the task whose failure stopped the run: the TASK header before the first ``fatal:``."""
    lines = proc.stdout.splitlines()
    fatal = [n for n, line in enumerate(lines) if line.startswith("fatal: [")]
    assert fatal, proc.stdout + proc.stderr
    header = [line for line in lines[:fatal[0]] if line.startswith("TASK [")][-1]
    return header[len("TASK ["):header.rindex("]")]


def test_the_module_writes_every_format_and_reports_unchanged(tmp_path):
    directory = str(tmp_path / "out")
    run = run_module("fleet_report", {"results": RESULTS, "hosts": ["a", "b"], "dir": directory})
    assert not run.failed and run.result["changed"] is False, run.result
    assert sorted(os.listdir(directory)) == ["fleet-health.html", "fleet-health.json", "fleet-health.junit.xml",
                                             "fleet-health.prom"]
    assert run.result["totals"]["unhealthy_hosts"] == ["b"] and run.result["totals"]["hosts"] == 2
    assert run.result["files"]["json"] == os.path.join(directory, "fleet-health.json")


def test_result_var_reads_each_hosts_result_as_hostvars_gives_it(tmp_path):
    # localhost's result is a plain value; "templated" is a variable whose value is a template (an extra variable,
    # trusted): it is read through hostvars, templated; a host of hosts that is not in the inventory has no result
    directory = str(tmp_path / "out")
    extra = {"mine": dict(RESULTS[0], host="localhost"), "templated": "{{ mine }}"}
    for name in ("mine", "templated"):
        run = run_module("fleet_report", {"result_var": name, "hosts": ["localhost", "absent"], "dir": directory,
                                          "formats": ["json"]}, extra_args=("-e", json.dumps(extra)))
        assert not run.failed, run.result
        document = json.loads((tmp_path / "out" / "fleet-health.json").read_text())
        assert sorted((h["host"], h["status"]) for h in document["hosts"]) == [("absent", "unknown"), ("localhost", "ok")]
        assert run.result["totals"]["hosts"] == 2


@pytest.mark.parametrize("args, message", [
    ({"results": [], "result_var": "mine"}, "parameters are mutually exclusive: results|result_var"),
    ({}, "one of the following is required: results, result_var"),
    ({"result_var": "not a name"}, "option result_var: 'not a name' is invalid; accepted: the name of a variable"),
    ({"result_var": "mine", "hosts": {"localhost": 1}}, "argument 'hosts' is of type dict"),
])
def test_bad_result_var_is_a_clear_error(tmp_path, args, message):
    run = run_module("fleet_report", dict(args, dir=str(tmp_path / "out")))
    assert run.failed and message in run.result["msg"], run.result
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


def test_the_module_refuses_result_var():
    # sent to a host, the module has no hosts' variables to read
    with pytest.raises(_report_module.ReportError, match="option result_var: 'mine' is not accepted by the module"):
        _report_module.run(dict(_report_module_defaults(), result_var="mine"))


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


@pytest.mark.parametrize("extra, message, task", [
    (["-e", "fleet_report_webhook_url=hooks.example.com/s3cr3t-in-url"],
     "fleet_report_webhook_url is not a valid http(s) URL (the value is not shown: it is a secret)", PREFLIGHT_TASK),
    (["-e", "fleet_report_dir=/proc/version/reports"], "option dir: '/proc/version/reports' is not a writable",
     PREFLIGHT_TASK),
    # the directory first, then the webhook URL, as when they were two tasks
    (["-e", "fleet_report_dir=/proc/version/reports", "-e", "fleet_report_webhook_url=hooks.example.com/s3cr3t-in-url"],
     "option dir: '/proc/version/reports' is not a writable", PREFLIGHT_TASK),
    (["-e", '{"fleet_report_formats": ["json", "pdf"]}'], "fleet_report_formats", SPEC_TASK),
])
def test_bad_report_settings_fail_before_any_check(tmp_path, extra, message, task):
    proc = playbook(tmp_path, *extra)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert failed_task(proc) == task
    assert "Run every check in one round-trip" not in proc.stdout
    assert "s3cr3t-in-url" not in proc.stdout + proc.stderr
    assert not os.path.exists(str(tmp_path / "health-reports" / "fleet-health.json"))


def test_awx_engine_ansible_runner_gets_the_fleet_summary(tmp_path, monkeypatch):
    run, artifacts, _tasks = runner_job(tmp_path, monkeypatch, {"awx_job_id": 42})
    # the unhealthy host fails, as the job would
    assert run.status == "failed" and run.rc == 2, run.stdout.read()[-3000:]
    assert artifacts["sre_health"] == {
        "status": "critical", "health": "unhealthy", "hosts": 2, "healthy": 1, "degraded": 0, "unhealthy": 1,
        "unhealthy_hosts": ["bad"], "report_dir": str(tmp_path / "awx-reports")}
    assert os.path.exists(str(tmp_path / "awx-reports" / "fleet-health.job-42.junit.xml"))


# --- alert targets, silences and their checks before any work (issue 17) ----------------------------

ROUTING_KEY = "R0UTk3yS3CR3Tabcdef0123456789ABC"
ROLE_SECRETS = ("s3cr3t", "T0SREHEALTH", ROUTING_KEY, "hdr-t0ken")


def _texts(proc, tmp_path):
    """Everything the run printed, and every file it wrote (reports and the alert state)."""
    texts = {"output": proc.stdout + proc.stderr}
    reports = tmp_path / "health-reports"
    for name in os.listdir(str(reports)) if reports.exists() else []:
        texts[name] = (reports / name).read_text()
    return texts


def assert_no_secret(proc, tmp_path):
    for where, text in _texts(proc, tmp_path).items():
        for secret in ROLE_SECRETS:
            assert secret not in text, (secret, where)


def test_check_alerts_alertmanager_pagerduty_and_a_webhook_and_shows_no_secret(tmp_path):
    from ansible_collections.sre.health.tests.unit.plugins.module_utils.alertmanager import Alertmanager

    manager = Alertmanager(tmp_path / "am")
    pagerduty = W.PagerDuty()
    receiver = Receiver()
    try:
        targets = [dict(type="alertmanager", url=manager.url),
                   dict(type="pagerduty", url=pagerduty.url, routing_key=ROUTING_KEY),
                   dict(type="webhook", name="bridge", url=receiver.url, headers={"X-Api-Key": "hdr-t0ken"})]
        settings = json.dumps({"fleet_report_alert_targets": targets, "health_check_fail_on": "never",
                               "fleet_report_run_interval": "15m"})
        first = playbook(tmp_path, "-e", settings)
        assert first.returncode == 0, first.stdout + first.stderr
        (alert,) = [a for a in manager.alerts() if a["labels"]["host"] == "bad"]
        assert alert["labels"] == {"alertname": "SreHealthCheck", "host": "bad", "check": "ghost", "kind": "process",
                                   "severity": "critical", "source": "sre.health"}
        assert pagerduty.problems == []
        (event,) = pagerduty.events()
        assert event["dedup_key"] == "sre.health/bad/ghost" and event["payload"]["source"] == "bad"
        (payload,) = receiver.payloads()
        assert [a["key"] for a in payload["alerts"]] == ["bad/ghost"]
        assert receiver.requests[0]["headers"]["X-Api-Key"] == "hdr-t0ken"
        assert_no_secret(first, tmp_path)
        state = (tmp_path / "health-reports" / ".alert-state.json").read_text()
        assert sorted(json.loads(state)["targets"]) == ["alertmanager", "bridge", "pagerduty"]
        # the next run: nothing new for the pager and the webhook; Alertmanager gets its alert again
        second = playbook(tmp_path, "-e", settings)
        assert second.returncode == 0 and len(pagerduty.events()) == 1 and len(receiver.payloads()) == 1
        recap = second.stdout[second.stdout.index("PLAY RECAP"):]
        assert "changed=0" in recap and "changed=1" not in recap
        assert_no_secret(second, tmp_path)
    finally:
        manager.close()
        pagerduty.close()
        receiver.close()


def test_silences_hold_alerts_and_the_reports_say_until_when(tmp_path):
    receiver = Receiver()
    try:
        settings = json.dumps({
            "fleet_report_alert_targets": [dict(type="webhook", url=receiver.url)], "health_check_fail_on": "never",
            "fleet_report_silences": [{"host": "ba*", "check": "gho*", "until": "2099-01-01T00:00:00Z",
                                       "reason": "ghost hunt, CHG-9"}]})
        proc = playbook(tmp_path, "-e", settings)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert receiver.requests == []
        document = json.loads((tmp_path / "health-reports" / "fleet-health.json").read_text())
        (ghost,) = [c for h in document["hosts"] for c in h["checks"] if c["name"] == "ghost"]
        assert ghost["silenced"] == {"until": "2099-01-01T00:00:00Z", "reason": "ghost hunt, CHG-9"}
        page = (tmp_path / "health-reports" / "fleet-health.html").read_text()
        assert "silenced until 2099-01-01T00:00:00Z (ghost hunt, CHG-9)" in page
    finally:
        receiver.close()


@pytest.mark.parametrize("settings, message, task", [
    ({"fleet_report_alert_targets": [{"type": "teams", "url": "https://hooks.example.com/s3cr3t"}]},
     "value of type must be one of: webhook, slack, alertmanager, pagerduty, got: teams found in "
     "fleet_report_alert_targets", SPEC_TASK),
    ({"fleet_report_alert_targets": [{"type": "pagerduty", "name": "pager"}]},
     "option fleet_report_alert_targets[0] (pager): routing_key is missing; accepted: the 32-character integration "
     "key of a PagerDuty Events API v2 integration", PREFLIGHT_TASK),
    ({"fleet_report_alert_targets": [{"type": "pagerduty", "routing_key": ROUTING_KEY + "x"}]},
     "routing_key is invalid (the value is not shown: it is a secret): it has 33 characters", PREFLIGHT_TASK),
    ({"fleet_report_alert_targets": [{"type": "alertmanager", "urls": ["http://127.0.0.1:9093",
                                                                       "127.0.0.2:9093/s3cr3t"]}]},
     "option fleet_report_alert_targets[0]: urls[1] is not a valid http(s) URL (the value is not shown: it is a "
     "secret): scheme '' is not http or https", PREFLIGHT_TASK),
    ({"fleet_report_alert_targets": [{"type": "webhook", "url": "https://h.example.com/x",
                                      "headers": {"X-Api-Key": "hdr-t0ken\nX: y"}}]},
     "headers: the value of 'X-Api-Key' is invalid (the value is not shown", PREFLIGHT_TASK),
    ({"fleet_report_alert_after": 0}, "option fleet_report_alert_after: 0 is invalid; accepted: a whole number of "
                                      "consecutive runs from 1 to 100", PREFLIGHT_TASK),
    # the webhook URL is checked first, then the alert settings, as when the URL and the settings were one assert
    ({"fleet_report_alert_after": 0, "fleet_report_webhook_url": "ftp://hooks.example.com/s3cr3t"},
     "option fleet_report_webhook_url is not a valid http(s) URL (the value is not shown: it is a secret)",
     PREFLIGHT_TASK),
    ({"fleet_report_silences": [{"host": "web1", "until": "2026-12-01 18:00", "reason": "x"}]},
     "option fleet_report_silences[0].until: '2026-12-01 18:00' has no UTC offset", PREFLIGHT_TASK),
    ({"fleet_report_silences": [{"until": "2026-12-01T18:00:00Z", "reason": "x"}]},
     "option fleet_report_silences[0]: no host or check pattern", PREFLIGHT_TASK),
    ({"fleet_report_silences": [{"host": "web1", "until": "2026-12-01T18:00:00Z"}]},
     "missing required arguments: reason found in fleet_report_silences", SPEC_TASK),
])
def test_bad_alert_settings_fail_before_any_check(tmp_path, settings, message, task):
    proc = playbook(tmp_path, "-e", json.dumps(settings))
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert failed_task(proc) == task
    assert "Run every check in one round-trip" not in proc.stdout
    assert not os.path.exists(str(tmp_path / "health-reports" / "fleet-health.json"))
    assert_no_secret(proc, tmp_path)


def test_remediation_failures_alert_with_what_was_tried(tmp_path, standin):
    """sre.health.remediate on the stand-in systemctl (it refuses every restart): app stays failed, so it alerts,
    through the targets of fleet_report_alert_targets, with a state of its own; nginx is healthy and does not."""
    python, _record = standin
    pagerduty = W.PagerDuty()
    receiver = Receiver()
    try:
        inventory_file = tmp_path / "hosts.yml"
        inventory_file.write_text("all:\n  hosts:\n    web1:\n      ansible_connection: local\n"
                                  "      ansible_python_interpreter: %s\n" % python)
        settings = json.dumps({
            "fleet_report_alert_targets": [dict(type="pagerduty", url=pagerduty.url, routing_key=ROUTING_KEY),
                                           dict(type="webhook", url=receiver.url)],
            "service_guard_services": [{"name": "app", "settle": 0}, {"name": "nginx"}],
            "service_guard_state_file": str(tmp_path / "restarts.json")})
        proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory_file),
                               "sre.health.remediate", "-e", settings], env=ansible_env(), cwd=str(tmp_path),
                              capture_output=True, text=True, timeout=300, check=False)
        # the host still fails (service_guard_fail), after the alert went out
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert pagerduty.problems == []
        (event,) = pagerduty.events()
        assert event["dedup_key"] == "sre.health/remediation/web1/app.service"
        assert event["payload"]["summary"].startswith("web1 app.service: remediation failed: app.service: still "
                                                      "failing: was failed; ")
        assert "systemctl restart failed" in event["payload"]["summary"]
        (payload,) = receiver.payloads()
        assert payload["origin"] == "remediation" and [a["key"] for a in payload["alerts"]] == ["web1/app.service"]
        state = json.loads((tmp_path / "health-reports" / ".remediation-alert-state.json").read_text())
        assert sorted(state["keys"]) == ["web1/app.service"]
        assert not (tmp_path / "health-reports" / ".alert-state.json").exists()
        assert ROUTING_KEY not in proc.stdout + proc.stderr
    finally:
        pagerduty.close()
        receiver.close()


def test_bad_remediation_alert_settings_fail_before_any_restart(tmp_path, standin):
    python, record = standin
    inventory_file = tmp_path / "hosts.yml"
    inventory_file.write_text("all:\n  hosts:\n    web1:\n      ansible_connection: local\n"
                              "      ansible_python_interpreter: %s\n" % python)
    settings = json.dumps({"service_guard_alert_targets": [{"type": "pagerduty", "url": "http://127.0.0.1:9/s3cr3t"}],
                           "service_guard_services": [{"name": "app"}],
                           "service_guard_state_file": str(tmp_path / "restarts.json")})
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory_file),
                           "sre.health.remediate", "-e", settings], env=ansible_env(), cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode != 0
    assert "option service_guard_alert_targets[0]: routing_key is missing" in proc.stdout + proc.stderr
    assert "s3cr3t" not in proc.stdout + proc.stderr
    assert calls(record) == [] and not (tmp_path / "restarts.json").exists()


# --- one task before any work, and the summary published by the report task (issue 14) ------------------------

HOOK_SECRET = "h00k-s3cr3t-t0ken"
ROLE_NAMES = {"targets": "fleet_report_alert_targets", "silences": "fleet_report_silences",
              "alert_after": "fleet_report_alert_after", "recover_after": "fleet_report_recover_after",
              "run_interval": "fleet_report_run_interval", "cooldown": "fleet_report_alert_cooldown",
              "reminder": "fleet_report_alert_reminder"}


def check_only(tmp_path, **params):
    """fleet_report with check_only, as the role's one check task runs it (-vvv: everything Ansible shows)."""
    args = {"results": [], "dir": str(tmp_path / "reports"), "check_only": True}
    args.update(params)
    return run_module("fleet_report", args, extra_args=["-vvv"])


@pytest.mark.parametrize("url", [
    "hooks.example.com/%s" % HOOK_SECRET,
    "http://127.0.0.1:99999/%s" % HOOK_SECRET,
    "https://hooks.example.com/a %s" % HOOK_SECRET,
    "https:///%s" % HOOK_SECRET,
])
def test_check_only_names_a_bad_webhook_url_as_url_problem_does_never_showing_it(tmp_path, url):
    from ansible_collections.sre.health.plugins.filter.url_problem import url_problem

    run = check_only(tmp_path, webhook_url=url, webhook_url_name="fleet_report_webhook_url")
    expected = url_problem(url, "fleet_report_webhook_url", secret=True)
    assert expected.startswith("option fleet_report_webhook_url is not a valid http(s) URL (the value is not shown")
    assert run.failed and run.result["msg"] == expected, run.result
    assert HOOK_SECRET not in run.stdout + run.stderr + json.dumps(run.result)
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("settings", [
    # a bad target
    {"targets": [{"type": "pagerduty", "name": "pager", "url": "https://events.example.com/%s" % HOOK_SECRET}]},
    {"targets": [{"type": "webhook", "name": "webhook", "url": "http://127.0.0.1:9/%s" % HOOK_SECRET},
                 {"type": "slack", "name": "webhook", "url": "https://hooks.example.com/%s" % HOOK_SECRET}]},
    {"targets": [{"type": "pagerduty", "routing_key": HOOK_SECRET}]},
    # a bad silence
    {"silences": [{"host": "web1", "until": "2026-12-01 18:00", "reason": "upgrade"}]},
    {"silences": [{"until": "2026-12-01T18:00:00Z", "reason": "upgrade"}]},
    # a bad count or duration
    {"alert_after": 0},
    {"recover_after": 101},
    {"run_interval": "soon", "targets": [{"type": "webhook", "url": "http://127.0.0.1:9/%s" % HOOK_SECRET}]},
    {"reminder": "-4h"},
])
def test_check_only_names_bad_alert_settings_as_alert_problem_does_never_showing_a_secret(tmp_path, settings):
    from ansible_collections.sre.health.plugins.filter.alert_problem import alert_problem

    run = check_only(tmp_path, alert_settings=settings, alert_names=ROLE_NAMES,
                     webhook_url="http://127.0.0.1:9/%s" % HOOK_SECRET, webhook_url_name="fleet_report_webhook_url")
    expected = alert_problem(settings, ROLE_NAMES)
    assert expected.startswith("option fleet_report_"), expected
    assert run.failed and run.result["msg"] == expected, run.result
    assert HOOK_SECRET not in run.stdout + run.stderr + json.dumps(run.result)


def test_check_only_checks_the_directory_then_the_url_then_the_alert_settings(tmp_path):
    bad_url = "hooks.example.com/%s" % HOOK_SECRET
    bad_alerts = {"alert_after": 0}
    run = check_only(tmp_path, dir="/proc/version/reports", webhook_url=bad_url, alert_settings=bad_alerts)
    assert run.failed and run.result["msg"].startswith("option dir: '/proc/version/reports' is not a writable")
    run = check_only(tmp_path, webhook_url=bad_url, alert_settings=bad_alerts)
    assert run.failed and run.result["msg"].startswith("option webhook_url is not a valid http(s) URL")
    run = check_only(tmp_path, webhook_url="", alert_settings=bad_alerts, alert_names={"alert_after": "after"})
    assert run.failed and run.result["msg"].startswith("option after: 0 is invalid")
    # usable settings, and no target at all: nothing to complain about, nothing written, nothing sent
    run = check_only(tmp_path, webhook_url="http://127.0.0.1:9/%s" % HOOK_SECRET,
                     alert_settings={"targets": [], "silences": [], "alert_after": "2"}, alert_names=ROLE_NAMES)
    assert not run.failed and run.result["files"] == {} and os.listdir(str(tmp_path / "reports")) == []
    assert "ansible_stats" not in run.result
    assert HOOK_SECRET not in run.stdout + run.stderr


def test_publish_stats_returns_the_summary_as_set_stats_would(tmp_path):
    directory = str(tmp_path / "out")
    summary = {"status": "unknown", "health": "unhealthy", "hosts": 2, "healthy": 1, "degraded": 0, "unhealthy": 1,
               "unhealthy_hosts": ["b"], "report_dir": directory}
    run = run_module("fleet_report", {"results": RESULTS, "hosts": ["a", "b"], "dir": directory,
                                      "publish_stats": True, "job_id": "42"})
    assert not run.failed, run.result
    assert run.result["ansible_stats"] == {"data": {"sre_health": summary}, "per_host": False, "aggregate": False}
    # a job of an AWX workflow (a slice): its identity, and the summary under a key of its own
    run = run_module("fleet_report", {"results": RESULTS, "hosts": ["a", "b"], "dir": directory, "formats": ["html"],
                                      "publish_stats": True, "job_id": "4-2.x", "workflow_job_id": "41",
                                      "slice_count": 3})
    own = dict(summary, slice={"workflow_job_id": "41", "job_id": "4-2.x", "count": 3, "report": ""})
    assert run.result["ansible_stats"]["data"] == {"sre_health": own, "sre_health_job_4_2_x": own}
    run = run_module("fleet_report", {"results": RESULTS, "dir": directory})
    assert not run.failed and "ansible_stats" not in run.result
    run = run_module("fleet_report", {"results": [], "dir": directory, "check_only": True, "publish_stats": True})
    assert run.failed and run.result["msg"] == ("option publish_stats: true is invalid with check_only, which writes "
                                                "no report; accepted: false with check_only")


REPORT_TASKS = [PREFLIGHT_TASK.split(" : ", 1)[1], "Write the fleet reports",
                "Send alerts for new, reminded and recovered problems to every target",
                "Show the fleet totals and the reports"]


def runner_job(tmp_path, monkeypatch, extravars):
    """sre.health.check through ansible-runner, as AWX runs a job: (run, its set_stats artifacts, the
    fleet_report role's tasks that started)."""
    ansible_runner = pytest.importorskip("ansible_runner")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    private = tmp_path / "runner"
    (private / "inventory").mkdir(parents=True)
    (private / "inventory" / "hosts.yml").write_text(open(inventory(tmp_path)).read())
    env = dict((k, v) for k, v in ansible_env().items() if k.startswith("ANSIBLE_"))
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path()
    run = ansible_runner.run(private_data_dir=str(private), playbook="sre.health.check", envvars=env, quiet=True,
                             extravars=dict({"fleet_report_dir": str(tmp_path / "awx-reports")}, **extravars))
    (stats,) = [e for e in run.events if e.get("event") == "playbook_on_stats"]
    tasks = [e["event_data"]["task"] for e in run.events if e.get("event") == "playbook_on_task_start"
             and e["event_data"].get("role") == "fleet_report"]
    return run, stats["event_data"].get("artifact_data") or {}, tasks


def test_a_workflow_job_publishes_the_same_summary_from_the_report_task(tmp_path, monkeypatch):
    # what the set_stats task published before it was folded into the report task (a run before the change)
    run, artifacts, tasks = runner_job(tmp_path, monkeypatch, {"awx_job_id": 42, "awx_workflow_job_id": 41,
                                                               "fleet_report_slice_count": 2})
    assert run.rc == 2, run.stdout.read()[-3000:]
    reports = str(tmp_path / "awx-reports")
    summary = {"status": "critical", "health": "unhealthy", "hosts": 2, "healthy": 1, "degraded": 0, "unhealthy": 1,
               "unhealthy_hosts": ["bad"], "report_dir": reports,
               "slice": {"workflow_job_id": "41", "job_id": "42", "count": 2,
                         "report": os.path.join(reports, "fleet-health.workflow-41.job-42.json")}}
    assert artifacts == {"sre_health": summary, "sre_health_job_42": summary}
    assert os.path.exists(summary["slice"]["report"])
    # one task before any check, and no task of its own for the summary
    assert tasks == REPORT_TASKS


def test_a_disabled_fleet_report_checks_and_publishes_nothing(tmp_path, monkeypatch):
    # settings the check task would reject: not checked when the role is disabled
    run, artifacts, tasks = runner_job(tmp_path, monkeypatch, {
        "fleet_report_enabled": False, "awx_job_id": 42, "awx_workflow_job_id": 41,
        "fleet_report_webhook_url": "hooks.example.com/%s" % HOOK_SECRET, "fleet_report_alert_after": 0,
        "fleet_report_silences": [{"until": "2026-12-01T18:00:00Z", "reason": "x"}]})
    output = run.stdout.read()
    # the checks ran, and the unhealthy host failed at the end, as the job would
    assert run.rc == 2 and "Run every check in one round-trip" in output, output[-3000:]
    assert artifacts == {}
    assert not (tmp_path / "awx-reports").exists()
    assert HOOK_SECRET not in output
    assert tasks == REPORT_TASKS
    skipped = [e["event_data"]["task"] for e in run.events if e.get("event") == "runner_on_skipped"
               and e["event_data"].get("role") == "fleet_report"]
    # the check task ran (the variables are checked against the argument spec whether or not the role is enabled)
    assert skipped == REPORT_TASKS[1:]


# --- the role's argument spec out of the one check task (issue 14) -----------------------------------------------

# What the validate_argument_spec task of the role gave before it was folded into the check task: the same task, over
# the role's own spec, in a role with the role's defaults (so with their precedence).
SPEC_REFERENCE = """
- name: Check the report settings against the role's argument spec
  ansible.builtin.validate_argument_spec:
    argument_spec: "{{ (lookup('ansible.builtin.file', '%s/meta/argument_specs.yml') | from_yaml).argument_specs.main.options }}"
  run_once: true
"""


def reference_playbook(tmp_path, role):
    tasks = tmp_path / "roles" / "reference" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "main.yml").write_text(SPEC_REFERENCE % role)
    shutil.copytree(os.path.join(role, "defaults"), str(tmp_path / "roles" / "reference" / "defaults"))
    book = tmp_path / "reference.yml"
    book.write_text("- hosts: all\n  gather_facts: false\n  roles: [reference]\n")
    return str(book)


def _failed_result(tmp_path, monkeypatch, name, playbook_name, extravars, group_vars=""):
    ansible_runner = pytest.importorskip("ansible_runner")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    private = tmp_path / name
    (private / "inventory").mkdir(parents=True)
    text = open(inventory(tmp_path)).read().replace("  vars:\n", "  vars:\n" + group_vars, 1)
    (private / "inventory" / "hosts.yml").write_text(text)
    env = dict((k, v) for k, v in ansible_env().items() if k.startswith("ANSIBLE_"))
    env["ANSIBLE_COLLECTIONS_PATH"] = collections_path()
    run = ansible_runner.run(private_data_dir=str(private), playbook=playbook_name, envvars=env, quiet=True,
                             extravars=dict({"fleet_report_dir": str(tmp_path / "reports")}, **extravars))
    failed = [e["event_data"] for e in run.events if e.get("event") == "runner_on_failed"]
    assert failed, run.stdout.read()[-3000:]
    started = [e["event_data"]["task"] for e in run.events if e.get("event") == "playbook_on_task_start"]
    return failed[0], started


@pytest.mark.parametrize("extravars, host_vars", [
    ({"fleet_report_formats": ["json", "pdf"]}, ""),
    # several at once: every message, in the spec's order, as validate_argument_spec gives them
    ({"fleet_report_formats": ["pdf"], "fleet_report_basename": ["x"], "fleet_report_alert_after": "abc",
      "fleet_report_silences": "x"}, ""),
    ({"fleet_report_alert_targets": [{"type": "teams", "url": "https://hooks.example.com/s3cr3t"}]}, ""),
    ({"fleet_report_alert_targets": [{"type": "webhook", "url": "https://hooks.example.com/s3cr3t", "colour": 1}]}, ""),
    # not a list: still named by the spec (the alert settings the check task is given still template)
    ({"fleet_report_alert_targets": "x"}, ""),
    ({"fleet_report_silences": [{"host": "web1", "until": "2026-12-01T18:00:00Z"}]}, ""),
    # the role disabled: its variables are still checked, as before
    ({"fleet_report_enabled": False, "fleet_report_slice_count": "abc"}, ""),
    # a variable of the inventory, not of the command line
    ({}, "    fleet_report_recover_after: many\n"),
])
def test_a_bad_role_variable_fails_the_one_task_as_validate_argument_spec_did(tmp_path, monkeypatch, extravars,
                                                                              host_vars):
    role = os.path.join(collections_path(), "ansible_collections", "sre", "health", "roles", "fleet_report")
    reference, _started = _failed_result(tmp_path, monkeypatch, "reference", reference_playbook(tmp_path, role),
                                         extravars, host_vars)
    folded, started = _failed_result(tmp_path, monkeypatch, "folded", "sre.health.check", extravars, host_vars)
    # the first task of the play, and the play stopped there
    assert folded["task"] == PREFLIGHT_TASK.split(" : ", 1)[1] and started == [folded["task"]]
    expected, got = reference["res"], folded["res"]
    assert got["msg"].startswith("Validation of arguments failed:\n")
    for key in ("msg", "argument_errors", "argument_spec_data", "validate_args_context"):
        assert got[key] == expected[key], key
    assert sorted(k for k in got if not k.startswith("_")) == sorted(k for k in expected if not k.startswith("_"))
    assert not os.path.exists(str(tmp_path / "reports"))


def test_the_spec_options_are_checked_and_the_module_refuses_them(tmp_path):
    role = os.path.join(collections_path(), "ansible_collections", "sre", "health", "roles", "fleet_report")
    spec = os.path.join(role, "meta", "argument_specs.yml")
    base = {"results": [], "dir": str(tmp_path / "r"), "check_only": True}
    run = run_module("fleet_report", dict(base, argument_spec_file=spec, argument_spec_entry="nope"))
    assert run.failed and run.result["msg"] == ("option argument_spec_entry: 'nope' is not an entry point of %s; "
                                                "accepted: main, merge, preflight" % spec)
    run = run_module("fleet_report", dict(base, argument_spec_file=str(tmp_path / "none.yml")))
    assert run.failed and run.result["msg"].startswith("option argument_spec_file: cannot read %r"
                                                       % str(tmp_path / "none.yml"))
    # a good spec and good variables: the rest is checked as before
    run = run_module("fleet_report", dict(base, argument_spec_file=spec),
                     extra_args=("-e", json.dumps({"fleet_report_formats": ["json"]})))
    assert not run.failed and run.result["files"] == {} and (tmp_path / "r").is_dir()
    run = run_module("fleet_report", dict(base, argument_spec_file=spec),
                     extra_args=("-e", json.dumps({"fleet_report_formats": ["pdf"]})))
    assert run.failed and run.result["argument_errors"] == [
        "value of fleet_report_formats must be one or more of: json, junit, prometheus, html. Got no match for: pdf"]
    # disabled: nothing but the spec is checked
    run = run_module("fleet_report", dict(base, dir="relative", enabled=False))
    assert not run.failed and run.result["files"] == {} and run.result["totals"]["hosts"] == 0
    # the module, as sent to a host, has no task variables to check
    with pytest.raises(_report_module.ReportError, match="option argument_spec_file: .* is not accepted by the module"):
        _report_module.run(dict(_report_module_defaults(), argument_spec_file=spec))


def _report_module_defaults():
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    return ArgumentSpecValidator(_report_module.OPTIONS).validate({"results": [], "dir": "/tmp"}).validated_parameters
