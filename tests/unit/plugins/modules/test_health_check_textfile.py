# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""health_check's host textfile, run as Ansible runs it, and the whole path on the loopback:
health_check's textfile and fleet_report's -> node_exporter -> Prometheus evaluating the shipped rules."""

from __future__ import annotations

import datetime
import os
import subprocess

import pytest

from ansible_collections.sre.health.plugins.module_utils import _report
from ansible_collections.sre.health.tests.unit.plugins.module_utils.promstack import (
    RULES,
    NodeExporter,
    Prometheus,
    wait_for,
)
from ansible_collections.sre.health.tests.unit.plugins.module_utils.servers import refused_port
from ansible_collections.sre.health.tests.unit.utils import run_module

QUIET_MEMORY = {"name": "memory", "kind": "memory", "thresholds": {"used_percent": {"warning": "", "critical": ""}}}


def parse(path):
    parser = pytest.importorskip("prometheus_client.parser")
    with open(path) as handle:
        return dict((f.name, f) for f in parser.text_string_to_metric_families(handle.read()))


@pytest.fixture
def refused():
    sock, port = refused_port()
    yield port
    sock.close()


def test_the_results_are_written_as_a_textfile_in_the_same_run(tmp_path, refused):
    textfiles = tmp_path / "textfiles"
    textfiles.mkdir()
    run = run_module("health_check", {"checks": [
        QUIET_MEMORY, {"name": "api", "kind": "port", "host": "127.0.0.1", "port": refused, "timeout": 2}],
        "textfile_dir": str(textfiles), "fail_on": "never"})
    assert not run.failed, run.stdout + run.stderr
    result = run.result
    path = str(textfiles / "sre_health.prom")
    assert result["textfile"] == {"path": path, "written": True, "reason": None}
    assert result["changed"] is False and "[WARNING]: textfile_dir" not in run.stderr
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert sorted(os.listdir(str(textfiles))) == ["sre_health.prom"]
    families = parse(path)
    statuses = dict((s.labels["check"], (s.labels, s.value)) for s in families["sre_health_check_status"].samples)
    # the host label is the inventory name, set on the controller
    assert statuses["api"] == ({"host": "localhost", "check": "api", "kind": "port", "report": "sre_health"}, 2)
    assert statuses["memory"][1] == 0
    assert [s.value for s in families["sre_health_host_status"].samples] == [2]
    values = dict((s.labels["metric"], s.value) for s in families["sre_health_check_value"].samples
                  if s.labels["check"] == "memory")
    assert 0 < values["used_percent"] < 100 and values["available_bytes"] > 0
    stamp = families["sre_health_report_timestamp_seconds"].samples[0].value
    assert abs(stamp - os.stat(path).st_mtime) < 30


def test_a_name_of_the_users_choice_and_a_host_label_given(tmp_path):
    run = run_module("health_check", {"checks": [QUIET_MEMORY], "textfile_dir": str(tmp_path),
                                      "textfile_name": "app-checks.prom", "textfile_host": "web1.example.com"})
    assert not run.failed, run.stdout + run.stderr
    samples = parse(str(tmp_path / "app-checks.prom"))["sre_health_host_status"].samples
    assert [(s.labels, s.value) for s in samples] == [({"host": "web1.example.com", "report": "app-checks"}, 0)]


def test_check_mode_writes_nothing(tmp_path):
    run = run_module("health_check", {"checks": [QUIET_MEMORY], "textfile_dir": str(tmp_path)}, check=True)
    assert not run.failed, run.stdout + run.stderr
    assert run.result["textfile"] == {"path": str(tmp_path / "sre_health.prom"), "written": False,
                                      "reason": "check mode: nothing is written"}
    assert os.listdir(str(tmp_path)) == [] and "[WARNING]: textfile_dir" not in run.stderr


def test_a_missing_directory_is_a_warning_and_the_checks_still_report(tmp_path):
    missing = str(tmp_path / "node-exporter")
    run = run_module("health_check", {"checks": [QUIET_MEMORY], "textfile_dir": missing})
    assert not run.failed, run.stdout + run.stderr
    result = run.result
    reason = "the directory %s does not exist (node_exporter's --collector.textfile.directory)" % missing
    assert result["textfile"] == {"path": missing + "/sre_health.prom", "written": False, "reason": reason}
    # Ansible shows the module's warnings on stderr
    assert ("[WARNING]: textfile_dir: the Prometheus textfile was not written: %s; the checks ran and are reported"
            % reason) in run.stderr
    assert result["status"] == "ok" and result["checks"][0]["name"] == "memory"
    assert not os.path.exists(missing) and "Traceback" not in run.stdout + run.stderr


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory the module cannot write: a read-only tmpfs as root (root ignores modes), else mode 0555."""
    path = tmp_path / "ro"
    path.mkdir()
    if os.geteuid() == 0:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "sre-health-ro", str(path)], check=True)
        try:
            yield str(path)
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
    else:
        path.chmod(0o555)
        yield str(path)
        path.chmod(0o755)


def test_a_directory_that_cannot_be_written_is_a_warning_and_the_task_outcome_is_the_checks(read_only_dir, refused):
    run = run_module("health_check", {"checks": [
        QUIET_MEMORY, {"name": "api", "kind": "port", "host": "127.0.0.1", "port": refused, "timeout": 2}],
        "textfile_dir": read_only_dir})
    # failed because a check is critical (fail_on critical), not because of the textfile
    assert run.failed and run.result["status"] == "critical"
    assert run.result["msg"] == "1 of 2 checks not ok: CRITICAL: 127.0.0.1:%d: connection refused (127.0.0.1)" % refused
    textfile = run.result["textfile"]
    assert textfile["written"] is False
    assert textfile["reason"] in ("cannot write %s/sre_health.prom (Read-only file system)" % read_only_dir,
                                  "cannot write %s/sre_health.prom (Permission denied)" % read_only_dir)
    assert "[WARNING]: textfile_dir: the Prometheus textfile was not written: cannot write" in run.stderr
    assert os.listdir(read_only_dir) == [] and "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("args, message", [
    ({"textfile_dir": "node-exporter"}, "option textfile_dir: 'node-exporter' is invalid; accepted: an absolute "
                                        "directory path, or auto (the first existing of "
                                        "/var/lib/prometheus/node-exporter, /var/lib/node_exporter/textfile_collector)"),
    ({"textfile_dir": "/tmp", "textfile_name": "../../etc/x.prom"},
     "option textfile_name: '../../etc/x.prom' is invalid; accepted: a file name ending in .prom (letters, digits, "
     "'.', '_' and '-', starting with a letter or digit, at most 100 characters)"),
])
def test_bad_textfile_options_fail_before_any_check_runs(args, message):
    run = run_module("health_check", dict({"checks": [QUIET_MEMORY]}, **args))
    assert run.failed and run.result["msg"] == message
    assert "checks" not in run.result


def test_a_secret_in_a_check_name_is_masked_in_the_textfile_too(tmp_path, refused):
    run = run_module("health_check", {"checks": [
        {"name": "api-hunter2pass", "kind": "http", "url": "http://127.0.0.1:%d/" % refused,
         "url_username": "u", "url_password": "hunter2pass", "timeout": 2}],
        "textfile_dir": str(tmp_path), "fail_on": "never"})
    assert not run.failed, run.stdout + run.stderr
    with open(str(tmp_path / "sre_health.prom")) as handle:
        text = handle.read()
    assert "hunter2pass" not in text and 'check="api-********"' in text


# --- the whole path ------------------------------------------------------------------------------

def labels_of(series):
    return dict((k, v) for k, v in series.items() if k != "__name__")


def test_host_and_controller_textfiles_through_node_exporter_to_prometheus_rules(tmp_path, refused):
    host_dir, controller_dir = tmp_path / "host-textfiles", tmp_path / "controller-textfiles"
    host_dir.mkdir()
    # the host: its checks write its own textfile, served by its node_exporter
    run = run_module("health_check", {"checks": [
        QUIET_MEMORY, {"name": "api", "kind": "port", "host": "127.0.0.1", "port": refused, "timeout": 2}],
        "textfile_dir": str(host_dir), "fail_on": "never", "result_fact": "health_check_result"})
    assert not run.failed and run.result["textfile"]["written"], run.stdout + run.stderr
    # the controller: the fleet report of this run, and a job's report left over from long ago
    fleet = run_module("fleet_report", {"results": [dict(run.result["ansible_facts"]["health_check_result"])],
                                        "dir": str(controller_dir), "formats": ["prometheus", "json"],
                                        "job_id": "42"})
    assert not fleet.failed, fleet.stdout + fleet.stderr
    _report.write_reports([{"host": "decommissioned", "status": "ok", "checks": []}], str(controller_dir),
                          ["prometheus"], job_id="7", now=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc))
    exporters = [NodeExporter(tmp_path / "ne-host", host_dir), NodeExporter(tmp_path / "ne-controller", controller_dir)]
    prometheus = None
    try:
        for exporter in exporters:
            exporter.start()
        targets = ["127.0.0.1:%d" % e.port for e in exporters]
        prometheus = Prometheus(tmp_path / "prometheus", targets, [RULES]).start()
        host_instance, controller_instance = targets

        series = wait_for(lambda: prometheus.series('sre_health_check_status{check="api"}'), 30,
                          "the api check's series in Prometheus")
        series = wait_for(lambda: len(prometheus.series('sre_health_check_status{check="api"}')) == 2 and
                          prometheus.series('sre_health_check_status{check="api"}'), 30, "both reports' series")
        assert sorted((labels_of(s) for s in series), key=lambda s: s["instance"]) == sorted([
            {"job": "node", "instance": host_instance, "host": "localhost", "check": "api", "kind": "port",
             "report": "sre_health"},
            {"job": "node", "instance": controller_instance, "host": "localhost", "check": "api", "kind": "port",
             "report": "fleet-health", "job_id": "42"}], key=lambda s: s["instance"])

        newest = wait_for(lambda: prometheus.query("sre_health:check_status:newest"), 30, "the newest-report record")
        assert sorted(((labels_of(r["metric"]), r["value"][1]) for r in newest), key=lambda r: r[0]["check"]) == [
            ({"check": "api", "host": "localhost", "kind": "port"}, "2"),
            ({"check": "memory", "host": "localhost", "kind": "memory"}, "0")]
        # localhost unhealthy, the decommissioned host's last (old) report healthy; the records follow the
        # scrapes within an evaluation or two
        expected = {"healthy": "1", "degraded": "0", "unhealthy": "1"}
        wait_for(lambda: dict((r["metric"]["health"], r["value"][1])
                              for r in prometheus.query("sre_health:hosts:count")) == expected, 30,
                 "the fleet counts %s" % expected)

        def alerts():
            found = dict((a["labels"]["alertname"], a) for a in prometheus.alerts())
            wanted = ("SreHealthCheckCritical", "SreHealthHostUnhealthy", "SreHealthReportStale")
            return all(name in found for name in wanted) and found

        found = wait_for(alerts, 30, "the alerts")
        critical = found["SreHealthCheckCritical"]
        assert critical["state"] == "pending"  # for 10 minutes before it fires
        assert critical["labels"] == {"alertname": "SreHealthCheckCritical", "severity": "critical",
                                      "host": "localhost", "check": "api", "kind": "port"}
        assert critical["annotations"]["summary"] == "localhost: check api (port) is critical"
        assert found["SreHealthHostUnhealthy"]["state"] == "pending"
        stale = found["SreHealthReportStale"]
        assert stale["state"] == "firing"
        assert stale["labels"] == {"alertname": "SreHealthReportStale", "severity": "warning", "job": "node",
                                   "instance": controller_instance, "report": "fleet-health", "job_id": "7"}
        assert "SreHealthReportsAbsent" not in found
    finally:
        if prometheus is not None:
            prometheus.stop()
        for exporter in exporters:
            exporter.stop()
    for exporter in exporters:
        log = exporter.log()
        assert "collected before" not in log and "level=error" not in log, log
