# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Prometheus textfiles (host and controller, one renderer), read back by their real consumers:
prometheus_client's parser, promtool's linter, and Debian's node_exporter on 127.0.0.1 reading several
reports from one directory."""

from __future__ import annotations

import datetime
import os
import re
import subprocess

import pytest

from ansible_collections.sre.health.plugins.module_utils import _report, _textfile
from ansible_collections.sre.health.tests.unit.plugins.module_utils.promstack import (
    PROMTOOL,
    NodeExporter,
    need,
)

NOW = datetime.datetime(2026, 11, 22, 16, 5, 11, tzinfo=datetime.timezone.utc)
HOSTILE = 'a "quoted"\\back\\slash\nnew line} {x="y"} # HELP'


def check(name, status="ok", kind="disk", duration_ms=12.5, **metrics):
    return {"name": name, "kind": kind, "status": status, "summary": HOSTILE, "metrics": metrics,
            "thresholds": {}, "duration_ms": duration_ms}


def host(name, status, *checks):
    return {"host": name, "status": status, "health": "", "summary": HOSTILE + "\n# TYPE x counter\nx 1",
            "checks": list(checks)}


def families(text):
    parser = pytest.importorskip("prometheus_client.parser")
    return dict((f.name, f) for f in parser.text_string_to_metric_families(text))


def samples(text, family):
    return [(s.labels, s.value) for s in families(text)[family].samples]


def promtool_lint(text):
    run = subprocess.run([need(PROMTOOL, "promtool"), "check", "metrics"], input=text, capture_output=True,
                         text=True, timeout=60, check=False)
    return run.returncode, run.stdout + run.stderr


def test_hostile_names_and_values_cannot_break_the_format():
    huge_name = "n" * 100000
    hosts = [host(HOSTILE, "critical",
                  check(HOSTILE, "critical", kind=HOSTILE, **{HOSTILE: 1.5, "big": 10 ** 400, "small": -10 ** 400,
                                                              "exact": 2 ** 53, "past": 2 ** 53 + 1,
                                                              "nan": float("nan"), "inf": float("inf"),
                                                              "text": "12", "none": None, "flag": True}),
                  check(huge_name, "bogus", duration_ms=10 ** 400),
                  check("bad-bytes-\udcff", "warning", duration_ms=True),
                  "not a dict")]
    text = _textfile.render(hosts, NOW.timestamp(), "sre_health").decode("utf-8")
    found = families(text)
    assert sorted(found) == ["sre_health_check_duration_seconds", "sre_health_check_status",
                             "sre_health_check_value", "sre_health_host_status",
                             "sre_health_report_timestamp_seconds"]
    # the summaries (free text, here with a line that would be a series) are never in the file
    assert "x 1" not in text and "counter" not in text
    statuses = samples(text, "sre_health_check_status")
    assert [(labels["check"], value) for labels, value in statuses] == [
        (HOSTILE, 2), ("n" * 200 + "... (cut: 99800 more characters)", 3), ("bad-bytes-\\xff", 1)]
    assert statuses[0][0] == {"host": HOSTILE, "check": HOSTILE, "kind": HOSTILE, "report": "sre_health"}
    values = dict((labels["metric"], value) for labels, value in samples(text, "sre_health_check_value"))
    assert values == {HOSTILE: 1.5, "big": float("inf"), "small": float("-inf"), "exact": 2 ** 53,
                      "past": float(2 ** 53 + 1), "flag": 1}
    # one duration: the huge one and the boolean one are not durations
    assert [value for _labels, value in samples(text, "sre_health_check_duration_seconds")] == [0.0125]
    assert samples(text, "sre_health_report_timestamp_seconds") == [({"report": "sre_health"}, NOW.timestamp())]
    assert max(len(line) for line in text.splitlines()) < 1200


def test_promtool_lints_the_textfile_clean():
    hosts = _report.normalize([host("web1", "ok", check("disk:/", used_percent=22.0, free_bytes=10 ** 12)),
                               host(HOSTILE, "critical", check(HOSTILE, "critical", count=0))])
    rc, output = promtool_lint(_textfile.render(hosts, NOW.timestamp(), "fleet-health", "1234").decode("utf-8"))
    assert rc == 0 and output.strip() == "", output


def test_a_textfile_promtool_rejects_is_told_apart():
    # the linter is a real judge: the same file with an unescaped quote in a label value fails
    text = _textfile.render([host("web1", "ok")], NOW.timestamp(), "r").decode("utf-8")
    rc, output = promtool_lint(text.replace('host="web1"', 'host="we"b1"'))
    assert rc != 0 and "error" in output.lower()


def test_every_series_carries_its_report_and_job():
    hosts = _report.normalize([host("web1", "ok", check("disk:/", used_percent=22.0))])
    text = _textfile.render(hosts, NOW.timestamp(), "fleet-health", 77).decode("utf-8")
    for family in families(text).values():
        for sample in family.samples:
            assert sample.labels["report"] == "fleet-health" and sample.labels["job_id"] == "77"
    without = _textfile.render(hosts, NOW.timestamp(), "fleet-health", "").decode("utf-8")
    assert "job_id" not in without


def test_the_fleet_textfile_is_rendered_by_the_same_code_as_the_host_one(tmp_path):
    results = [host("web1", "critical", check("disk:/", "critical", used_percent=95.0))]
    paths, _fleet = _report.write_reports(results, str(tmp_path), ["prometheus"], "fleet-health", now=NOW)
    with open(paths["prometheus"], "rb") as handle:
        fleet = handle.read()
    assert fleet == _textfile.render(_report.normalize(results), NOW.timestamp(), "fleet-health")
    assert os.stat(paths["prometheus"]).st_mode & 0o777 == 0o644


# --- the host textfile ---------------------------------------------------------------------------

def test_the_host_textfile_is_written_atomically_0644(tmp_path):
    outcome = _textfile.write_host_textfile(str(tmp_path), "sre_health.prom",
                                            [host("web1", "ok", check("memory", kind="memory"))], 1700000000.0)
    path = str(tmp_path / "sre_health.prom")
    assert outcome == {"path": path, "written": True, "reason": None}
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert sorted(os.listdir(str(tmp_path))) == ["sre_health.prom"]  # no temporary file left
    with open(path) as handle:
        assert ('sre_health_check_status{host="web1",check="memory",kind="memory",report="sre_health"} 0'
                in handle.read())


def test_auto_picks_the_first_existing_default_directory(tmp_path, monkeypatch):
    debian, rhel = tmp_path / "debian", tmp_path / "rhel"
    monkeypatch.setattr(_textfile, "DEFAULT_DIRS", (str(debian), str(rhel)))
    outcome = _textfile.write_host_textfile("auto", "sre_health.prom", [host("h", "ok")], 1.0)
    assert outcome == {"path": None, "written": False,
                       "reason": "no node_exporter textfile directory exists (looked for %s, %s)" % (debian, rhel)}
    rhel.mkdir()
    assert _textfile.write_host_textfile("auto", "sre_health.prom", [host("h", "ok")], 1.0)["path"] == \
        str(rhel / "sre_health.prom")
    debian.mkdir()
    assert _textfile.write_host_textfile("auto", "sre_health.prom", [host("h", "ok")], 1.0)["path"] == \
        str(debian / "sre_health.prom")


def test_a_missing_directory_is_not_created_and_check_mode_writes_nothing(tmp_path):
    missing = str(tmp_path / "nope")
    outcome = _textfile.write_host_textfile(missing, "sre_health.prom", [host("h", "ok")], 1.0)
    assert outcome["written"] is False and not os.path.exists(missing)
    assert outcome["reason"] == ("the directory %s does not exist (node_exporter's --collector.textfile.directory)"
                                 % missing)
    outcome = _textfile.write_host_textfile(str(tmp_path), "sre_health.prom", [host("h", "ok")], 1.0,
                                            check_mode=True)
    assert outcome == {"path": str(tmp_path / "sre_health.prom"), "written": False,
                       "reason": "check mode: nothing is written"}
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize("option, value, message", [
    ("textfile_dir", "relative/dir", "option textfile_dir: 'relative/dir' is invalid; accepted: an absolute "
                                     "directory path, or auto"),
    ("textfile_name", "health.txt", "option textfile_name: 'health.txt' is invalid; accepted: a file name ending "
                                    "in .prom"),
    ("textfile_name", "../x.prom", "option textfile_name: '../x.prom' is invalid"),
    ("textfile_name", ".hidden.prom", "option textfile_name: '.hidden.prom' is invalid"),
])
def test_bad_textfile_options_name_the_option_and_what_is_accepted(option, value, message):
    with pytest.raises(_textfile.TextfileError) as caught:
        if option == "textfile_dir":
            _textfile.check_dir(value)
        else:
            _textfile.check_name(value)
    assert str(caught.value).startswith(message)


# --- several reports in one node_exporter directory ------------------------------------------------

def write_fleet(directory, results, job_id=None, basename="fleet-health"):
    return _report.run({"results": results, "hosts": [], "dir": str(directory), "formats": ["prometheus"],
                        "basename": basename, "job_id": job_id, "check_only": False})


def test_node_exporter_serves_several_jobs_reports_without_a_duplicate(tmp_path):
    textfiles = tmp_path / "textfiles"
    # two AWX jobs about web1 and others, a later job about one of the same hosts (a --limit run), a
    # run outside AWX, and the controller's own host textfile: none supersedes another (web3 and db1 are
    # only in one), and four hold web1
    write_fleet(textfiles, [host("web1", "ok", check("disk:/", used_percent=20.0)),
                            host("web2", "critical", check("nginx", "critical", kind="process", count=0)),
                            host("web3", "ok")], "101")
    write_fleet(textfiles, [host("db1", "warning", check("disk:/data", "warning", used_percent=85.0)),
                            host("web1", "ok", check("disk:/", used_percent=21.0))], "102")
    write_fleet(textfiles, [host("web2", "ok", check("nginx", kind="process", count=4))], "103")
    write_fleet(textfiles, [host("web1", "ok", check("disk:/", used_percent=22.0))])
    assert _textfile.write_host_textfile(str(textfiles), "sre_health.prom",
                                         [host("web1", "ok", check("disk:/", used_percent=23.0))], 1.0)["written"]
    assert len(os.listdir(str(textfiles))) == 5
    exporter = NodeExporter(tmp_path / "ne", textfiles).start()
    try:
        text = exporter.metrics()
        text = exporter.metrics()  # a second scrape: errors are logged per scrape
    finally:
        exporter.stop()
    assert "node_textfile_scrape_error 0" in text
    log = exporter.log()
    assert "collected before" not in log and "level=error" not in log, log
    used = dict((re.sub(r"^.*\{|\}.*$", "", line), float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
                if line.startswith('sre_health_check_value{') and 'host="web1"' in line)
    assert used == {
        'check="disk:/",host="web1",job_id="101",kind="disk",metric="used_percent",report="fleet-health"': 20.0,
        'check="disk:/",host="web1",job_id="102",kind="disk",metric="used_percent",report="fleet-health"': 21.0,
        'check="disk:/",host="web1",kind="disk",metric="used_percent",report="fleet-health"': 22.0,
        'check="disk:/",host="web1",kind="disk",metric="used_percent",report="sre_health"': 23.0}
    stamps = [line for line in text.splitlines() if line.startswith("sre_health_report_timestamp_seconds")]
    assert len(stamps) == 5


def test_the_old_format_is_what_node_exporter_refuses(tmp_path):
    # The oracle: two job files of the format before every series carried its report and job are what
    # node_exporter logs "collected before with the same name and label values" for.
    textfiles = tmp_path / "textfiles"
    for job in ("1", "2"):
        paths, _fleet = _report.write_reports([host("web1", "ok", check("disk:/", used_percent=20.0))],
                                              str(textfiles), ["prometheus"], job_id=job)
        path = paths["prometheus"]
        with open(path) as handle:
            text = handle.read()
        with open(path, "w") as handle:
            handle.write(re.sub(r',?report="fleet-health",job_id="\d"', "", text).replace("{}", ""))
        os.utime(path, (1000 + int(job), 1000 + int(job)))
    exporter = NodeExporter(tmp_path / "ne", textfiles).start()
    try:
        exporter.metrics()
    finally:
        exporter.stop()
    assert "was collected before with the same name and label values" in exporter.log()


# --- superseded reports ---------------------------------------------------------------------------

def age(path, seconds_ago):
    stamp = os.stat(path).st_mtime - seconds_ago
    os.utime(path, (stamp, stamp))


def test_a_launchs_slices_keep_each_other_and_supersede_the_previous_launch(tmp_path):
    d = tmp_path
    first = [write_fleet(d, [host("a", "ok"), host("b", "ok")], "1"), write_fleet(d, [host("c", "ok")], "2")]
    assert [r["superseded"] for r in first] == [[], []]  # slices of one launch: other hosts
    for name in ("fleet-health.job-1.prom", "fleet-health.job-2.prom"):
        age(str(d / name), 3600)
    # the next launch: its first slice supersedes the first launch's first slice only
    assert write_fleet(d, [host("a", "ok"), host("b", "critical")], "3")["superseded"] == [
        str(d / "fleet-health.job-1.prom")]
    assert write_fleet(d, [host("c", "ok")], "4")["superseded"] == [str(d / "fleet-health.job-2.prom")]
    assert sorted(os.listdir(str(d))) == ["fleet-health.job-3.prom", "fleet-health.job-4.prom"]


def test_a_file_with_a_host_no_newer_report_names_stays(tmp_path):
    d = tmp_path
    write_fleet(d, [host("a", "ok"), host("gone", "ok")], "1")
    age(str(d / "fleet-health.job-1.prom"), 60)
    # a --limit run about "a" only: the full run's file still has the only report on "gone"
    assert write_fleet(d, [host("a", "ok")], "2")["superseded"] == []
    # an outside-AWX run about every host of job 1 supersedes it, and job 2's older file too
    age(str(d / "fleet-health.job-2.prom"), 30)
    assert write_fleet(d, [host("a", "ok"), host("gone", "ok")])["superseded"] == [
        str(d / "fleet-health.job-1.prom"), str(d / "fleet-health.job-2.prom")]


def test_only_this_reports_own_textfiles_are_ever_removed(tmp_path):
    d = tmp_path
    write_fleet(d, [host("a", "ok")], "1", basename="other")
    (d / "fleet-health.job-9.prom").write_text("not a textfile of ours, no newline")
    (d / "fleet-health.job-8.prom").write_text("# HELP x y\nx 1\n")
    os.symlink(str(d / "other.job-1.prom"), str(d / "fleet-health.job-7.prom"))
    (d / "fleet-health.job-6.json").write_text("{}")
    for name in os.listdir(str(d)):
        if not os.path.islink(str(d / name)):
            age(str(d / name), 600)
    assert write_fleet(d, [host("a", "ok")], "2")["superseded"] == []
    assert sorted(os.listdir(str(d))) == ["fleet-health.job-2.prom", "fleet-health.job-6.json",
                                          "fleet-health.job-7.prom", "fleet-health.job-8.prom",
                                          "fleet-health.job-9.prom", "other.job-1.prom"]


def test_hosts_are_read_from_a_textfile_with_hostile_names(tmp_path):
    write_fleet(tmp_path, [host(HOSTILE, "ok"), host("x" * 1000, "ok")], "1")
    hosts, _st = _report.textfile_hosts(str(tmp_path / "fleet-health.job-1.prom"))
    # named as the fleet report names them: printable, a long one cut once, with its digest
    assert hosts == set(_textfile.label_value(_report.host_name(name), limit=_textfile.MAX_HOST_LABEL).encode()
                        for name in (HOSTILE, "x" * 1000))
