# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The merge of AWX slices (_merge): real slice reports written by fleet_report's own code into a real
directory, merged, and read back (json, prometheus_client's parser, an XML parser, node_exporter); missing,
duplicate, foreign, stale and hostile slice reports."""

from __future__ import annotations

import datetime
import html.parser as html_parser
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.sre.health.plugins.module_utils import _merge, _report
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.tests.unit.plugins.module_utils.promstack import NodeExporter

T0 = datetime.datetime(2026, 11, 26, 10, 0, 0, tzinfo=datetime.timezone.utc)
WORKFLOW = "100"
HOSTS = ["h%02d" % number for number in range(1, 13)]
BAD = {"h03": "critical", "h05": "warning", "h10": "unknown"}


def result(name, status=None):
    status = status or BAD.get(name, "ok")
    return {"host": name, "status": status, "summary": "%s is %s" % (name, status),
            "checks": [{"name": "memory", "kind": "memory", "status": "ok", "summary": "memory 2% used",
                        "metrics": {"used_percent": 2.0}, "thresholds": {}, "duration_ms": 1.0},
                       {"name": "marker", "kind": "file", "status": status, "summary": "marker " + status,
                        "metrics": {"count": 0}, "thresholds": {}, "duration_ms": 1.0}]}


def awx_slice(hosts, number, count):
    """The hosts AWX gives slice ``number`` of ``count``: every count-th of the sorted inventory, from the number-th."""
    return sorted(hosts)[number - 1::count]


def write_slice(directory, job, hosts, count=None, workflow=WORKFLOW, minutes=0, number=None, results=None):
    identity = {"workflow_job_id": workflow, "slice": {"number": number, "count": count}}
    results = [result(h) for h in hosts] if results is None else results
    paths, _fleet = _report.write_reports(results, str(directory), list(_report.FORMATS), hosts=hosts, job_id=job,
                                          identity=identity, now=T0 + datetime.timedelta(minutes=minutes))
    # as fleet_report does after writing
    _report.supersede_textfiles(str(directory), "fleet-health", paths["prometheus"])
    return paths


def write_launch(directory, count, skip=(), workflow=WORKFLOW, first_job=101, record_count=True):
    for number in range(1, count + 1):
        if number not in skip:
            write_slice(directory, str(first_job + number - 1), awx_slice(HOSTS, number, count),
                        count if record_count else None, workflow, minutes=number)


def merge(directory, **params):
    options = dict(dir=str(directory), workflow_job_id=WORKFLOW, basename="fleet-health",
                   formats=list(_report.FORMATS), slice_count=0, hosts=[], jobs=[], job_id="200", silences=[],
                   max_bytes=_merge.DEFAULT_MAX_BYTES, check_only=False)
    options.update(params)
    return _merge.run(options, now=T0 + datetime.timedelta(hours=1))


def unsliced(tmp_path):
    _paths, fleet = _report.write_reports([result(h) for h in HOSTS], str(tmp_path / "unsliced"), ["json"],
                                          hosts=HOSTS, now=T0)
    return fleet


def statuses(hosts):
    return dict((h["host"], (h["status"], [(c["name"], c["status"]) for c in h["checks"]])) for h in hosts)


def document(outcome):
    with open(outcome["files"]["json"]) as handle:
        return json.load(handle)


# --- a complete launch ---------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 3, 4, 12])
def test_a_complete_launch_merges_to_the_unsliced_report(tmp_path, count):
    write_launch(tmp_path, count)
    outcome = merge(tmp_path, hosts=HOSTS)
    fleet = dict(outcome["totals"])
    slices = fleet.pop("slices")
    assert fleet == unsliced(tmp_path)
    assert slices == {"workflow_job_id": WORKFLOW, "expected": count, "reported": count, "complete": True,
                      "missing": [], "unreadable": [], "duplicates": []}
    merged = document(outcome)
    expected = statuses(_report.normalize([result(h) for h in HOSTS]))
    assert statuses(merged["hosts"]) == expected
    assert [h["host"] for h in merged["hosts"]] == [h["host"] for h in _report.normalize([result(h) for h in HOSTS])]
    # AWX's rule puts each report at its slice number, found from the inventory
    assert [(r["job_id"], r["slice"]) for r in merged["slices"]["reports"]] == [
        (str(100 + n), {"number": n, "count": count, "inferred": True}) for n in range(1, count + 1)]
    assert merged["context"] == {"job_id": "200", "workflow_job_id": WORKFLOW,
                                 "merge": {"expected": count, "reported": count}}
    assert outcome["summary"] == "%d of %d slices of workflow job 100 reported" % (count, count)
    assert sorted(os.path.basename(p) for p in outcome["files"].values()) == [
        "fleet-health.workflow-100.html", "fleet-health.workflow-100.json", "fleet-health.workflow-100.junit.xml",
        "fleet-health.workflow-100.prom"]
    # fleet_alert gets every host once
    assert sorted(r["host"] for r in outcome["results"]) == HOSTS


def test_a_recorded_slice_number_is_kept_and_merging_twice_gives_the_same_report(tmp_path):
    for number in (1, 2):
        write_slice(tmp_path, str(300 + number), awx_slice(HOSTS, number, 2), 2, number=number)
    first = merge(tmp_path)
    again = merge(tmp_path)
    assert first["slices"] == again["slices"]
    assert [r["slice"] for r in first["slices"]["reports"]] == [{"number": 1, "count": 2, "inferred": False},
                                                                {"number": 2, "count": 2, "inferred": False}]
    assert first["totals"]["slices"]["complete"] is True


# --- what did not report ---------------------------------------------------------------------------

def test_a_missing_slice_is_named_with_its_hosts_and_they_count_unknown(tmp_path):
    write_launch(tmp_path, 4, skip=(3,))
    outcome = merge(tmp_path, hosts=HOSTS)
    fleet = outcome["totals"]
    assert fleet["slices"]["complete"] is False and fleet["slices"]["reported"] == 3
    assert fleet["slices"]["missing"] == ["slice 3 of 4: no report in %s (3 hosts: h03, h07, h11)" % tmp_path]
    # h03 (critical) is in the lost slice: the worst the others say, and never better than unknown
    assert fleet["hosts"] == 12 and fleet["status"] == "warning" and fleet["unhealthy"] == 4
    lost = dict((h["host"], h) for h in document(outcome)["hosts"] if h["host"] in ("h03", "h07", "h11"))
    assert set(h["status"] for h in lost.values()) == {"unknown"}
    assert lost["h07"]["summary"] == "no report: slice 3 of 4 of workflow job 100 did not report"
    # their alerts stay as they are: fleet_alert does not get them
    assert sorted(r["host"] for r in outcome["results"]) == sorted(set(HOSTS) - {"h03", "h07", "h11"})
    assert "slice 3 of 4: no report" in outcome["summary"]


def test_a_missing_slice_of_a_healthy_fleet_makes_it_unknown_not_healthy(tmp_path):
    for number in (1, 2):
        write_slice(tmp_path, str(100 + number), awx_slice(HOSTS, number, 3), 3,
                    results=[result(h, "ok") for h in awx_slice(HOSTS, number, 3)])
    outcome = merge(tmp_path)
    fleet = outcome["totals"]
    # no inventory: the hosts are not known, the slice is
    assert fleet["hosts"] == 8 and fleet["healthy"] == 8
    assert fleet["status"] == "unknown" and fleet["health"] == "unhealthy"
    assert fleet["slices"]["missing"] == ["1 of 3 slices: no report in %s" % tmp_path]


@pytest.mark.parametrize("case, params, skip, record_count, missing, complete", [
    ("count from a variable, none recorded", {"slice_count": 3}, (2,), False,
     ["1 of 3 slices: no report in {d}"], False),
    ("no count anywhere, no inventory: cannot tell", {}, (2,), False, [], None),
    ("no count, but the inventory", {"hosts": HOSTS}, (2,), False,
     ["no slice report has 4 hosts: h02, h05, h08, h11"], False),
    ("a published slice that wrote nothing here", {"jobs": ["101", "102", "103"]}, (2,), True,
     ["job 102: published its summary (set_stats) but wrote no report into {d}: the slices and the merge must "
      "share fleet_report_dir"], False),
    ("the same, with the inventory", {"jobs": ["101", "102", "103"], "hosts": HOSTS}, (2,), True,
     ["slice 2 of 3: no report in {d} (4 hosts: h02, h05, h08, h11)",
      "job 102: published its summary (set_stats) but wrote no report into {d}: the slices and the merge must "
      "share fleet_report_dir"], False),
    ("more slices than hosts: AWX makes fewer", {"slice_count": 20, "hosts": HOSTS}, (), False, [], True),
])
def test_how_many_slices_to_expect(tmp_path, case, params, skip, record_count, missing, complete):
    count = 12 if "more slices" in case else 3
    write_launch(tmp_path, count, skip=skip, record_count=record_count)
    slices = merge(tmp_path, **params)["totals"]["slices"]
    assert slices["missing"] == [m.format(d=tmp_path) for m in missing], case
    assert slices["complete"] is complete, case


def test_a_host_in_no_slice_report_is_named(tmp_path):
    write_launch(tmp_path, 3)
    outcome = merge(tmp_path, hosts=HOSTS + ["new1"])
    assert outcome["slices"]["hosts_without_report"] == ["new1"] and outcome["totals"]["slices"]["complete"] is False
    assert outcome["totals"]["slices"]["missing"] == ["no slice report has 1 host: new1"]
    (new,) = [h for h in document(outcome)["hosts"] if h["host"] == "new1"]
    assert new["status"] == "unknown" and new["summary"].startswith("no report: in no slice report of workflow job")


# --- duplicates, other workflows, stale files ------------------------------------------------------

def test_a_host_in_two_slices_is_one_host_from_the_newest_report_and_one_alert(tmp_path):
    write_slice(tmp_path, "101", ["h01", "h02"], 2, minutes=1, results=[result("h01", "critical"), result("h02")])
    write_slice(tmp_path, "102", ["h02", "h03"], 2, minutes=5,
                results=[result("h02", "warning"), result("h03", "critical")])
    outcome = merge(tmp_path)
    assert outcome["totals"]["slices"]["duplicates"] == ["h02"]
    assert outcome["totals"]["hosts"] == 3
    hosts = dict((h["host"], h) for h in document(outcome)["hosts"])
    assert hosts["h02"]["status"] == "warning" and hosts["h02"]["job_id"] == "102"
    assert [r["host"] for r in outcome["results"]].count("h02") == 1


def test_other_workflows_and_stale_files_are_never_read(tmp_path):
    write_launch(tmp_path, 2)
    write_launch(tmp_path, 2, workflow="99", first_job=90)           # an earlier launch
    write_slice(tmp_path, "77", ["h01"], 1, workflow="1000")          # a workflow whose id starts the same
    _report.write_reports([result("h01", "critical")], str(tmp_path), ["json"], job_id="55")    # unsliced AWX job
    _report.write_reports([result("h01", "critical")], str(tmp_path), ["json"])                 # outside AWX
    (tmp_path / ".fleet-health.workflow-100.job-101.json.tmp").write_text("{half")           # an atomic write's temp
    (tmp_path / "fleet-health.workflow-100.job-105.json.bak").write_text("{}")
    merge(tmp_path)   # its own merged report is there now: a second merge must not read it as a slice
    outcome = merge(tmp_path, hosts=HOSTS)
    assert outcome["totals"]["slices"] == {"workflow_job_id": WORKFLOW, "expected": 2, "reported": 2,
                                           "complete": True, "missing": [], "unreadable": [], "duplicates": []}
    assert sorted(r["job_id"] for r in outcome["slices"]["reports"]) == ["101", "102"]


# --- hostile slice reports -----------------------------------------------------------------------

def _nested(depth):
    return "[" * depth + "]" * depth


HOSTILE = [
    ("too big", lambda p: p.write_bytes(b" " * 4096 + b"{}"),
     "4098 bytes, larger than option max_bytes (4096); accepted: slice reports of at most max_bytes; raise max_bytes "
     "to merge it"),
    ("not JSON", lambda p: p.write_text("{not json"), "not JSON (Expecting property name enclosed in double quotes"),
    ("not UTF-8", lambda p: p.write_bytes(b'{"a": "\xff"}'), "not UTF-8 text"),
    ("cut short", lambda p: p.write_text('{"context": {"workflow_job_id": "100", "job_id": "109"}, "hosts": [['),
     "not JSON (Expecting value"),
    ("recursion", lambda p: p.write_text(_nested(100000)), "not a report: nested too deeply"),
    ("a list", lambda p: p.write_text("[1, 2]"), "not a report: a JSON list, not an object"),
    ("no context", lambda p: p.write_text('{"hosts": []}'), "not a report: no context"),
    ("another workflow", lambda p: p.write_text(json.dumps({"context": {"workflow_job_id": "7", "job_id": "109"}})),
     "its context says workflow job 7, not 100"),
    ("another job", lambda p: p.write_text(json.dumps({"context": {"workflow_job_id": "100", "job_id": "5"}})),
     "its context says job 5, not 109 as its name"),
    ("bad time", lambda p: p.write_text(json.dumps({"context": {"workflow_job_id": "100", "job_id": "109"},
                                                    "generated": "yesterday", "hosts": []})),
     "generated: 'yesterday' is not an ISO 8601 time with its UTC offset"),
    ("hosts not a list", lambda p: p.write_text(json.dumps({"context": {"workflow_job_id": "100", "job_id": "109"},
                                                            "generated": T0.isoformat(), "hosts": {"a": 1}})),
     "not a report: hosts is not a list"),
    ("a host without a name", lambda p: p.write_text(json.dumps({
        "context": {"workflow_job_id": "100", "job_id": "109"}, "generated": T0.isoformat(),
        "hosts": [{"host": "h99", "checks": []}, {"status": "ok"}]})),
     "hosts: item 1 is invalid; accepted: a dict with a host name (host)"),
    ("checks not a list", lambda p: p.write_text(json.dumps({
        "context": {"workflow_job_id": "100", "job_id": "109"}, "generated": T0.isoformat(),
        "hosts": [{"host": "h99", "checks": "x"}]})), "hosts: item 0 (h99): checks is not a list"),
    ("a huge number", lambda p: p.write_text('{"context": {"workflow_job_id": "100", "job_id": "109"}, "x": %s}'
                                             % ("9" * 5000)), "not JSON"),
    ("a symlink", lambda p: os.symlink(str(p.parent / "fleet-health.workflow-100.job-101.json"), str(p)),
     "a symbolic link (not followed)"),
    ("a FIFO", lambda p: os.mkfifo(str(p)), "not a regular file"),
]


@pytest.mark.parametrize("case, plant, reason", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_a_hostile_slice_report_is_named_unreadable_never_a_traceback(tmp_path, case, plant, reason):
    write_launch(tmp_path, 3, skip=(3,))
    plant(tmp_path / "fleet-health.workflow-100.job-109.json")
    outcome = merge(tmp_path, hosts=HOSTS, max_bytes=4096 if case == "too big" else _merge.DEFAULT_MAX_BYTES)
    slices = outcome["totals"]["slices"]
    assert slices["reported"] == 2 and slices["complete"] is False, case
    (unreadable,) = slices["unreadable"]
    assert unreadable.startswith("fleet-health.workflow-100.job-109.json: " + reason), unreadable
    # counted as the slice that did not report: its hosts are not known, so they are unknown in the report
    assert sorted(outcome["slices"]["hosts_without_report"]) == ["h03", "h06", "h09", "h12"]
    (h06,) = [h for h in document(outcome)["hosts"] if h["host"] == "h06"]
    assert h06["status"] == "unknown" and h06["summary"] == (
        "no report: in no readable slice report of workflow job 100 (a slice did not report, or its report is "
        "unreadable)")
    assert outcome["totals"]["slices"]["missing"] == ["no slice report has 4 hosts: h03, h06, h09, h12"]
    assert "unreadable: fleet-health.workflow-100.job-109.json" in outcome["summary"]


def test_hostile_text_in_a_slice_report_stays_text_in_every_merged_format(tmp_path):
    markup = '<script>alert(1)</script>"&\x00'
    evil = {"host": "h01" + markup, "status": "critical", "summary": markup * 500,
            "checks": [{"name": markup, "kind": markup, "status": "critical", "summary": markup,
                        "metrics": {"v": 1e308, "w": float("inf"), markup: 1}}]}
    write_slice(tmp_path, "101", [evil["host"]], 1, results=[evil])
    outcome = merge(tmp_path)
    page = open(outcome["files"]["html"]).read()
    assert "<script>" not in page and "&lt;script&gt;" in page
    ET.parse(outcome["files"]["junit"])
    parser = pytest.importorskip("prometheus_client.parser")
    list(parser.text_string_to_metric_families(open(outcome["files"]["prometheus"]).read()))
    merged = document(outcome)["hosts"][0]
    # cut once by the slice, not again by the merge (the NUL shown as \x00)
    shown = markup.replace("\x00", "\\x00")
    assert merged["summary"].endswith("(cut: %d more characters)" % (len(shown) * 500 - _report.MAX_SUMMARY))


# --- options -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("params, message", [
    ({"workflow_job_id": "../x"}, "option workflow_job_id: '../x' is invalid; accepted: the AWX workflow job ID"),
    ({"workflow_job_id": ""}, "option workflow_job_id: '' is invalid"),
    ({"slice_count": -1}, "option slice_count: -1 is invalid; accepted: a whole number from 0 (not known) to 10000"),
    ({"jobs": ["1", "a b"]}, "option jobs: item 1 ('a b') is invalid; accepted: AWX job IDs"),
    ({"max_bytes": 10}, "option max_bytes: 10 is invalid; accepted: a number of bytes, at least 1024"),
    ({"formats": ["pdf"]}, "option formats: 'pdf' is unknown; accepted: json, junit, prometheus, html"),
    ({"dir": "relative"}, "option dir: 'relative' is invalid; accepted: an absolute directory path"),
    ({"dir": "/proc/version/x"}, "option dir: '/proc/version/x' is not a writable directory"),
    ({"silences": [{"host": "a", "until": "soon", "reason": "x"}]}, "option silences[0].until: 'soon'"),
])
def test_bad_options_name_the_option_the_value_and_what_is_accepted(tmp_path, params, message):
    with pytest.raises(SreHealthError) as caught:
        merge(tmp_path, **params)
    assert message in str(caught.value)
    assert not [n for n in os.listdir(str(tmp_path)) if n.startswith("fleet-health")]


def test_check_only_reads_and_writes_nothing(tmp_path):
    write_launch(tmp_path, 2)
    before = sorted(os.listdir(str(tmp_path)))
    assert merge(tmp_path, check_only=True)["files"] == {}
    assert sorted(os.listdir(str(tmp_path))) == before


# --- the merged formats --------------------------------------------------------------------------

def test_junit_and_html_name_the_missing_slice(tmp_path):
    write_launch(tmp_path, 3, skip=(2,))
    outcome = merge(tmp_path, hosts=HOSTS)
    root = ET.parse(outcome["files"]["junit"]).getroot()
    (suite,) = [s for s in root if s.get("name") == "slices of workflow job 100"]
    (case,) = list(suite)
    assert case.find("error").get("message").startswith("slice 2 of 3: no report in ")
    assert int(root.get("errors")) >= 1
    page = open(outcome["files"]["html"]).read()
    assert '<p class="slices" id="slices">2 of 3 slices of workflow job 100 reported</p>' in page
    assert "MISSING</span> slice 2 of 3: no report in " in page


def series(path):
    parser = pytest.importorskip("prometheus_client.parser")
    with open(path) as handle:
        text = handle.read()
    return [(s.name, tuple(sorted(s.labels.items()))) for f in parser.text_string_to_metric_families(text)
            for s in f.samples]


def test_merged_and_slice_textfiles_hold_no_series_twice_and_node_exporter_agrees(tmp_path):
    textfiles = tmp_path / "reports"
    write_launch(textfiles, 3)
    _report.write_reports([result(h) for h in HOSTS], str(textfiles), ["prometheus"], hosts=HOSTS, now=T0)
    outcome = merge(textfiles, hosts=HOSTS)
    proms = sorted(str(textfiles / n) for n in os.listdir(str(textfiles)) if n.endswith(".prom"))
    # the slices' files stay next to the merged one; the older unsliced file about the same hosts is superseded
    assert [os.path.basename(p) for p in proms] == [
        "fleet-health.workflow-100.job-101.prom", "fleet-health.workflow-100.job-102.prom",
        "fleet-health.workflow-100.job-103.prom", "fleet-health.workflow-100.prom"]
    assert outcome["superseded"] == [str(textfiles / "fleet-health.prom")]
    everything = [s for p in proms for s in series(p)]
    assert len(everything) == len(set(everything))
    merged = dict((dict(labels)["host"], name) for name, labels in series(outcome["files"]["prometheus"])
                  if name == "sre_health_host_status")
    assert sorted(merged) == HOSTS
    stamp = [line for line in open(outcome["files"]["prometheus"]) if line.startswith("sre_health_report_timestamp")]
    # the newest merged checks' time (slice 3, at T0 + 3 minutes), not the merge's
    assert stamp == ['sre_health_report_timestamp_seconds{report="fleet-health",job_id="workflow-100"} %r\n'
                     % (T0 + datetime.timedelta(minutes=3)).timestamp()]
    exporter = NodeExporter(tmp_path / "ne", textfiles).start()
    try:
        exporter.metrics()
        text = exporter.metrics()
    finally:
        exporter.stop()
    assert "node_textfile_scrape_error 0" in text
    assert "collected before" not in exporter.log() and "level=error" not in exporter.log()
    assert len(re.findall(r'^sre_health_host_status\{host="h03"', text, re.M)) == 2   # its slice's, the merged


def test_the_next_launch_supersedes_the_merged_textfile_and_the_merge_keeps_its_slices(tmp_path):
    write_launch(tmp_path, 2)
    merge(tmp_path)
    for name in os.listdir(str(tmp_path)):
        stamp = os.stat(str(tmp_path / name)).st_mtime - 3600
        os.utime(str(tmp_path / name), (stamp, stamp))
    # the next launch (workflow 200): its slices remove the last launch's slice files and, once every host has a
    # newer report, the last merged file
    write_launch(tmp_path, 2, workflow="200", first_job=201)
    proms = sorted(n for n in os.listdir(str(tmp_path)) if n.endswith(".prom"))
    assert proms == ["fleet-health.workflow-200.job-201.prom", "fleet-health.workflow-200.job-202.prom"]
    outcome = merge(tmp_path, workflow_job_id="200")
    assert outcome["superseded"] == []
    assert sorted(n for n in os.listdir(str(tmp_path)) if n.endswith(".prom")) == proms + [
        "fleet-health.workflow-200.prom"]


# --- host names no writer could encode ----------------------------------------------------------------

LONG = "l" * 5000
# (the name as a slice holds it, the name every merged format shows)
ODD_NAMES = [
    ("bytes-\udc80\udcff", "bytes-\\x80\\xff"),              # surrogateescape-decoded bytes, as a JSON "\udc80" escape
    ("lone-\ud800-high", "lone-\\ud800-high"),               # a lone high surrogate: no byte behind it
    ("nul-\x00-end", "nul-\\x00-end"),
    ("ctl-\x1b[31m-\x07-\x7f-\x85", "ctl-\\x1b[31m-\\x07-\\x7f-\\x85"),
    ("tab\tnew\nline\r", "tab\\tnew\\nline\\r"),
    ("non-char-\ufffe", "non-char-\\ufffe"),
    ("plain.example.com", "plain.example.com"),
]


def write_raw_slice(directory, results, job="101"):
    """A slice report as a JSON file, written as an AWX artifact is (json.dumps: a lone surrogate is its escape)."""
    document = {"generated": T0.isoformat(), "context": {"job_id": job, "workflow_job_id": WORKFLOW,
                                                         "slice": {"number": 1, "count": 1}},
                "totals": {}, "hosts": results}
    path = os.path.join(str(directory), "fleet-health.workflow-%s.job-%s.json" % (WORKFLOW, job))
    with open(path, "w") as handle:
        json.dump(document, handle)
    return path


class _Page(html_parser.HTMLParser):
    """The texts of the HTML page's host cells (th.host of the matrix's rows)."""

    def __init__(self):
        html_parser.HTMLParser.__init__(self, convert_charrefs=True)
        self.hosts = []
        self.within = False

    def handle_starttag(self, tag, attrs):
        if tag == "th" and ("class", "host") in attrs:
            self.within = True
            self.hosts.append("")

    def handle_endtag(self, tag):
        self.within = False if tag == "th" else self.within

    def handle_data(self, data):
        if self.within:
            self.hosts[-1] += data


def test_a_host_name_no_writer_could_encode_is_shown_escaped_in_every_merged_format(tmp_path):
    # a lone surrogate in a host name made the HTML writer raise ('utf-8' codec can't encode character '\udc80')
    # and no merged report was written
    names = [raw for raw, _shown in ODD_NAMES] + [LONG, LONG + "m"]
    results = [{"host": raw, "status": "critical", "summary": "summary of " + raw,
                "checks": [{"name": "check " + raw, "kind": "kind\x00" + raw[:5], "status": "critical",
                            "summary": "down: " + raw, "metrics": {"v\udc80": 1}, "thresholds": {}}]}
               for raw in names]
    write_raw_slice(tmp_path, results)
    outcome = merge(tmp_path, hosts=names)
    shown = [s for _raw, s in ODD_NAMES]
    longs = [h["host"] for h in outcome["results"] if h["host"].startswith("l" * 200)]
    # a cut name says how much was cut and keeps two names alike in their first characters apart
    assert len(longs) == 2 and longs[0] != longs[1] and all(" more characters" in n for n in longs), longs
    assert all(len(n) < 400 for n in longs)
    everyone = sorted(shown + longs)
    # every host is there once, with its report (none counted missing)
    assert sorted(h["host"] for h in outcome["results"]) == everyone
    assert outcome["slices"]["hosts_without_report"] == [] and outcome["totals"]["slices"]["complete"] is True
    assert outcome["totals"]["hosts"] == len(names) == outcome["totals"]["unhealthy"]

    merged = document(outcome)
    assert sorted(h["host"] for h in merged["hosts"]) == everyone
    (lone,) = [h for h in merged["hosts"] if h["host"] == "lone-\\ud800-high"]
    assert lone["summary"] == "summary of lone-\\ud800-high"
    assert lone["checks"][0]["name"] == "check lone-\\ud800-high" and lone["checks"][0]["kind"] == "kind\\x00lone-"
    assert lone["checks"][0]["metrics"] == {"v\\x80": 1}

    root = ET.parse(outcome["files"]["junit"]).getroot()
    suites = dict((s.get("name"), s) for s in root.findall("testsuite"))
    assert sorted(suites) == everyone
    failure = suites["nul-\\x00-end"].find("testcase/failure")
    assert failure.get("message") == "down: nul-\\x00-end"

    parser = pytest.importorskip("prometheus_client.parser")
    with open(outcome["files"]["prometheus"]) as handle:
        text = handle.read()
    families = dict((f.name, f) for f in parser.text_string_to_metric_families(text))
    assert sorted(s.labels["host"] for s in families["sre_health_host_status"].samples) == everyone
    assert sorted(s.labels["host"] for s in families["sre_health_check_status"].samples) == everyone

    page = _Page()
    with open(outcome["files"]["html"], encoding="utf-8") as handle:
        page.feed(handle.read())
    page.close()
    assert sorted(page.hosts[1:]) == everyone   # the first is the column's header


# --- memory ------------------------------------------------------------------------------------------------

MERGE_IN_A_CHILD = """
import json, resource, sys
sys.path[:0] = %r
from ansible_collections.sre.health.plugins.module_utils import _merge, _report
outcome = _merge.run(dict(dir=%r, workflow_job_id="100", basename="fleet-health", formats=list(_report.FORMATS),
                          slice_count=1, hosts=[], jobs=[], job_id="200", silences=[],
                          max_bytes=_merge.DEFAULT_MAX_BYTES, check_only=False))
print(json.dumps({"hosts": outcome["totals"]["hosts"], "complete": outcome["slices"]["complete"],
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def test_merging_a_big_slice_holds_a_few_times_its_size_not_sixteen(tmp_path):
    # A structural bound, never a speed: a child's peak RSS merging a 40 MB slice into every format (it was about
    # 16 times a slice's size: 946 MB for 60 MB; now about 4.5 times, the interpreter included).
    one = json.dumps(result("HOST"), indent=1, sort_keys=True).replace("\n", "\n  ")
    count = 40 * 1024 * 1024 // len(one)
    path = tmp_path / "fleet-health.workflow-100.job-101.json"
    with open(str(path), "w") as handle:
        handle.write('{\n "context": {"job_id": "101", "workflow_job_id": "100", "slice": {"number": 1, "count": 1}},'
                     '\n "generated": "%s",\n "hosts": [\n  ' % T0.isoformat())
        handle.write(",\n  ".join(one.replace("HOST", "host%07d" % number) for number in range(count)))
        handle.write("\n ]\n}\n")
    size = path.stat().st_size
    run = subprocess.run([sys.executable, "-c", MERGE_IN_A_CHILD % (sys.path, str(tmp_path))], capture_output=True,
                         text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    measured = json.loads(run.stdout)
    assert measured["hosts"] == count and measured["complete"] is True
    assert measured["peak"] < 10 * size, (measured["peak"], size)
    with open(str(tmp_path / "fleet-health.workflow-100.junit.xml"), "rb") as handle:
        assert handle.read().count(b"<testsuite ") == count
