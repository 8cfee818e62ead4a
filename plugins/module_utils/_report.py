# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fleet reports from every host's health_check result: JSON, JUnit XML, Prometheus textfile, HTML.

Pure logic plus atomic writes; no Ansible imports. Host results are data from hosts, so untrusted:
the HTML escapes every text, the XML writer escapes through ElementTree, the textfile escapes
label values, and nothing here evaluates them.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import html
import itertools
import json
import math
import os
import re
import stat
import sys
import tempfile
import xml.etree.ElementTree as ET

from ansible_collections.sre.health.plugins.module_utils import _textfile
from ansible_collections.sre.health.plugins.module_utils._alert import silences as _silences
from ansible_collections.sre.health.plugins.module_utils._units import count_of
from ansible_collections.sre.health.plugins.module_utils._atomic import AtomicFile
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError, result_var_refused
from ansible_collections.sre.health.plugins.module_utils._printable import LINES, printable, printable_data
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    OK,
    STATUSES,
    UNKNOWN,
    WARNING,
    health,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._web.redact import redact_text

FORMATS = ("json", "junit", "prometheus", "html")
EXTENSIONS = {"json": ".json", "junit": ".junit.xml", "prometheus": ".prom", "html": ".html"}

# Worst first, in the collection's order of severity.
# Hosts worst first, by health: unhealthy (critical, then unknown: unreachable or unmeasured), degraded, healthy.
SEVERITY_ORDER = {CRITICAL: 0, UNKNOWN: 1, WARNING: 2, OK: 3}

NO_RESULT = "no result: unreachable or failed before the check"
BASENAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# Text from hosts is never trusted to be short: names and summaries in reports are cut here,
# saying so.
MAX_NAME = 200
MAX_SUMMARY = 2000
# A host name is cut only past the longest DNS name; a cut one ends with a digest of the whole, so that two
# long names alike in their first characters stay two hosts (in the textfile too: see _textfile.MAX_HOST_LABEL).
MAX_HOST = 253


class ReportError(SreHealthError):
    """A bad option or an unwritable directory; the message names the option, the value and what is accepted."""


# --- input ----------------------------------------------------------------------------------------

# One str object per status for every check of a big report (a parsed slice holds one per occurrence).
_STATUS_OF = dict((status, status) for status in STATUSES)


def _status(value):
    return _STATUS_OF.get(value, UNKNOWN) if isinstance(value, str) else UNKNOWN


# What _text appends to a text it cuts: a text that already ends so (a report read back, as the merge of AWX
# slices does) is left as it is, not cut again.
_CUT_RE = re.compile(r"\.\.\. \(cut: [0-9]+ more characters\)\Z")


def _text(value, limit, keep=""):
    """``value`` as printable text (``_printable``: control characters but ``keep`` and surrogates escaped) of at
    most ``limit`` characters; a cut says how much was left out."""
    text = printable(str(value or ""), keep)
    if len(text) <= limit:
        return text
    cut = _CUT_RE.search(text)
    if cut is not None and cut.start() == limit:
        return text
    return "%s... (cut: %d more characters)" % (text[:limit], len(text) - limit)


_HOST_CUT_RE = re.compile(r"\.\.\. \(cut: [0-9]+ more characters, sha256:[0-9a-f]{12}\)\Z")


def host_name(value):
    """A host's name as every report shows it and the merge matches it: printable (``_printable``), at most
    ``MAX_HOST`` characters and a cut mark with a digest of the whole name. Idempotent (a merged report read
    back names its hosts as the slices did)."""
    text = printable(value if isinstance(value, str) else str(value))
    if len(text) <= MAX_HOST or _HOST_CUT_RE.match(text, MAX_HOST):
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return "%s... (cut: %d more characters, sha256:%s)" % (text[:MAX_HOST], len(text) - MAX_HOST, digest)


def xml_text(text):
    """``text`` without the characters XML 1.0 forbids or a reader would not see: shown as their escapes."""
    return printable(text, LINES)


def html_text(text):
    """``text`` escaped for HTML, its control characters and surrogates shown as their escapes."""
    return html.escape(printable(text, LINES))


def normalize(results, hosts=None, consume=False):
    """Host results in a fixed shape, one per host (the later of duplicates wins), plus the ``hosts``
    that have no result at all (unreachable, or failed before the check), as unknown. With ``consume`` (a slice
    report just parsed, which nothing else holds), each item of ``results`` is let go once read: the parsed
    report and its normalized copy are never both held whole."""
    if not isinstance(results, list):
        raise ReportError("option results: %r is invalid; accepted: a list of host results "
                          "{host, status, health, summary, checks}" % (type(results).__name__,))
    by_host = {}
    for index, entry in enumerate(results):
        if not isinstance(entry, dict) or not isinstance(entry.get("host"), str) or not entry.get("host"):
            raise ReportError("option results: item %d is invalid; accepted: a dict with a host name (host)" % index)
        checks = []
        raw_checks = entry.get("checks") or []
        if not isinstance(raw_checks, list):
            raise ReportError("option results: item %d (%s): checks is not a list" % (index, host_name(entry["host"])))
        for number, check in enumerate(raw_checks):
            if not isinstance(check, dict):
                raise ReportError("option results: item %d (%s): checks[%d] is not a dict"
                                  % (index, host_name(entry["host"]), number))
            metrics = check.get("metrics") if isinstance(check.get("metrics"), dict) else {}
            duration = check.get("duration_ms")
            checks.append({
                "name": _text(check.get("name") or "check %d" % (number + 1), MAX_NAME),
                # few kinds, many checks: one str each
                "kind": sys.intern(_text(check.get("kind") or "unknown", MAX_NAME)),
                "status": _status(check.get("status")),
                "summary": _text(check.get("summary"), MAX_SUMMARY, LINES),
                "metrics": printable_data(metrics),
                "thresholds": printable_data(check.get("thresholds")) if isinstance(check.get("thresholds"), dict)
                else {},
                "duration_ms": duration if _is_number(duration) else None,
            })
        status = _status(entry.get("status"))
        name = host_name(entry["host"])
        if consume:
            results[index] = None
        by_host[name] = {
            "host": name,
            "status": status,
            "health": health(status),
            # a connection plugin's error (unreachable) may hold a URL with its password
            "summary": _text(redact_text(printable(str(entry.get("summary") or ""), LINES)), MAX_SUMMARY,
                             LINES),
            "checks": checks,
        }
    for host in hosts or []:
        host = host_name(host) if isinstance(host, str) else host
        if isinstance(host, str) and host and host not in by_host:
            by_host[host] = {"host": host, "status": UNKNOWN, "health": health(UNKNOWN), "summary": NO_RESULT,
                             "checks": []}
    return sorted(by_host.values(), key=lambda h: (SEVERITY_ORDER[h["status"]], h["host"]))


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def totals(hosts):
    """Fleet totals: hosts by health, checks by status, and the fleet's worst status."""
    counts = {"hosts": len(hosts), "healthy": 0, "degraded": 0, "unhealthy": 0}
    checks = dict((status, 0) for status in STATUSES)
    for host in hosts:
        counts[host["health"]] += 1
        for check in host["checks"]:
            checks[check["status"]] += 1
    status = worst(h["status"] for h in hosts)
    counts.update(status=status, health=health(status), checks=checks,
                  unhealthy_hosts=[h["host"] for h in hosts if h["health"] == "unhealthy"],
                  degraded_hosts=[h["host"] for h in hosts if h["health"] == "degraded"])
    return counts


def mark_silenced(hosts, silences, now):
    """Mark what the active ``silences`` (``_alert.silences``, fleet_alert's rule) cover: each check that is not
    ok, and each host whose host-level alert they cover (check pattern ``*``), gets ``silenced: {until,
    reason}``. Statuses stay as they are: a silence holds the alerts back, it does not make a problem ok."""
    current = _silences.active(silences, now)
    if not current:
        return hosts
    for host in hosts:
        silence = _silences.find(current, host["host"], None, now)
        if silence is not None and host["status"] != OK:
            host["silenced"] = silence.mark()
        for check in host["checks"]:
            silence = _silences.find(current, host["host"], check["name"], now)
            if silence is not None and check["status"] != OK:
                check["silenced"] = silence.mark()
    return hosts


def silenced_text(entry):
    """``silenced until <time> (<reason>)``, or an empty text."""
    mark = entry.get("silenced")
    return "silenced until %s (%s)" % (mark["until"], mark["reason"]) if mark else ""


def check_options(formats, directory, basename):
    if not isinstance(formats, list) or not formats:
        raise ReportError("option formats: %r is invalid; accepted: a non-empty list of %s"
                          % (formats, ", ".join(FORMATS)))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ReportError("option formats: %s %s; accepted: %s" % (
            ", ".join(repr(f) for f in unknown), "is unknown" if len(unknown) == 1 else "are unknown",
            ", ".join(FORMATS)))
    if not isinstance(directory, str) or not os.path.isabs(directory):
        raise ReportError("option dir: %r is invalid; accepted: an absolute directory path" % (directory,))
    if not isinstance(basename, str) or not BASENAME_RE.match(basename):
        raise ReportError("option basename: %r is invalid; accepted: letters, digits, '.', '_' and '-', "
                          "starting with a letter or digit, at most 100 characters" % (basename,))


def check_directory(directory):
    """Create ``directory`` if needed and prove it writable, before any check runs or any report is written."""
    try:
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        # A file this process creates exclusively (O_EXCL, a fresh name): never one planted there,
        # never through a symlink.
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".sre-health-write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ReportError("option dir: %r is not a writable directory (%s); accepted: a directory this user can "
                          "create and write" % (directory, exc.strerror or exc))


# --- JSON -------------------------------------------------------------------------------------

def _pieces(texts, size=65536):
    """UTF-8 pieces of about ``size`` texts each from the many small ``texts`` a renderer makes."""
    batch = []
    for text in texts:
        batch.append(text)
        if len(batch) >= size:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def render_json(hosts, fleet, generated, context, extra=None):
    """The JSON report; ``extra`` holds more top-level keys (the merge of AWX slices adds ``slices``)."""
    return b"".join(iter_json(hosts, fleet, generated, context, extra))


def iter_json(hosts, fleet, generated, context, extra=None):
    """``render_json``'s bytes in pieces: json.dumps with an indent holds every piece of the text at once (about
    ten times the text's size)."""
    document = {"generated": generated, "context": context, "totals": fleet, "hosts": hosts}
    document.update(extra or {})
    encoder = json.JSONEncoder(indent=1, sort_keys=True, default=str)
    return _pieces(itertools.chain(encoder.iterencode(document), ("\n",)))


# --- JUnit XML ----------------------------------------------------------------------------------

def _seconds(duration_ms):
    return "%.3f" % ((duration_ms or 0.0) / 1000.0)


def render_junit(hosts, fleet, generated, context):
    """One testsuite per host, one testcase per check.

    critical -> <failure>, unknown -> <error> (the check could not measure), warning and ok pass
    (a warning does not fail a host by default; its summary is in <system-out>). A host without
    checks (unreachable, invalid definition) is one testcase named "health_check" with an <error>.
    """
    return b"".join(iter_junit(hosts, fleet, generated, context))


def _cases(host):
    return host["checks"] or [{"name": "health_check", "kind": "health_check", "status": host["status"],
                               "summary": host["summary"], "duration_ms": None, "silenced": host.get("silenced")}]


def _host_suite(host, generated):
    cases = _cases(host)
    suite = ET.Element("testsuite", name=xml_text(host["host"]), tests=str(len(cases)), skipped="0",
                       timestamp=generated[:19], hostname=xml_text(host["host"]))
    failures = errors = 0
    elapsed = 0.0
    for check in cases:
        elapsed += (check.get("duration_ms") or 0.0) / 1000.0
        classname = xml_text("%s.%s" % (host["host"], check["kind"]))
        case = ET.SubElement(suite, "testcase", name=xml_text(check["name"]), classname=classname,
                             time=_seconds(check.get("duration_ms")))
        summary = xml_text(check["summary"])
        if check.get("silenced"):
            summary = "%s [%s]" % (summary, xml_text(silenced_text(check)))
        if check["status"] == CRITICAL:
            failures += 1
            ET.SubElement(case, "failure", message=summary, type="critical").text = summary
        elif check["status"] == UNKNOWN:
            errors += 1
            ET.SubElement(case, "error", message=summary, type="unknown").text = summary
        else:
            ET.SubElement(case, "system-out").text = "%s: %s" % (check["status"].upper(), summary)
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", "%.3f" % elapsed)
    return suite


def iter_junit(hosts, fleet, generated, context):
    """``render_junit``'s bytes in pieces, one testsuite at a time: the whole tree of a big fleet is several
    times its JSON report. The totals of the root element are counted first."""
    problems = slice_problems(fleet)
    root = ET.Element("testsuites", name="sre.health fleet check")
    total = {"tests": len(problems), "failures": 0, "errors": len(problems)}
    for host in hosts:
        cases = _cases(host)
        total["tests"] += len(cases)
        total["failures"] += sum(1 for check in cases if check["status"] == CRITICAL)
        total["errors"] += sum(1 for check in cases if check["status"] == UNKNOWN)
    for key, value in total.items():
        root.set(key, str(value))
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n'
    if not hosts and not problems:
        yield ET.tostring(root, encoding="utf-8") + b"\n"
        return
    # the root's start tag: its empty element, opened
    yield ET.tostring(root, encoding="utf-8")[:-len(b" />")] + b">"
    for host in hosts:
        yield ET.tostring(_host_suite(host, generated), encoding="utf-8")
    if problems:
        # the merge of AWX slices: each slice that did not report (or cannot be read) is an error
        suite = ET.Element("testsuite", name=xml_text("slices of workflow job %s" % fleet["slices"].get(
            "workflow_job_id")), tests=str(len(problems)), failures="0", errors=str(len(problems)), skipped="0",
            time="0.000", timestamp=generated[:19])
        for problem in problems:
            case = ET.SubElement(suite, "testcase", name=xml_text(problem.split(":", 1)[0]), classname="slices",
                                 time="0.000")
            ET.SubElement(case, "error", message=xml_text(problem), type="missing").text = xml_text(problem)
        yield ET.tostring(suite, encoding="utf-8")
    yield b"</testsuites>\n"


# --- Prometheus textfile ------------------------------------------------------------------------

def render_prometheus(hosts, generated_epoch, basename, job_id=None):
    """node_exporter textfile collector format, by the renderer health_check's host textfile uses too:
    every series carries ``report`` (the basename) and ``job_id`` (an AWX job's), so the files of several
    jobs or slices in one directory never hold the same series."""
    return b"".join(iter_prometheus(hosts, generated_epoch, basename, job_id))


def iter_prometheus(hosts, generated_epoch, basename, job_id=None):
    """``render_prometheus``'s bytes in pieces."""
    return _textfile.iter_render(hosts, generated_epoch, basename, job_id)


# Older textfiles of the same report are superseded once every host they name has a newer report: an
# AWX job's file would otherwise stay in node_exporter's directory forever, serving its hosts' old values
# next to the new ones (each AWX launch is a new job, so a new file).
MAX_TEXTFILE_BYTES = 256 * 1024 * 1024
MAX_TEXTFILE_LINE = 64 * 1024
_HOST_LABEL_RE = re.compile(rb'[{,]host="((?:[^"\\\n]|\\.)*)"')


def textfile_hosts(path):
    """``(host label values, stat)`` of a textfile this user's fleet_report wrote (its
    ``sre_health_host_status`` family comes first, so only that is read), or ``(None, None)`` for what is
    not a regular file of this user's or does not read as one (left alone)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None, None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid():
            return None, None
        hosts = set()
        size = 0
        with os.fdopen(os.dup(fd), "rb") as handle:
            while True:
                line = handle.readline(MAX_TEXTFILE_LINE)
                size += len(line)
                if not line or size > MAX_TEXTFILE_BYTES or not line.endswith(b"\n"):
                    # the end, or not a textfile of ours (too big, a line too long, no final newline)
                    return (hosts, st) if not line and size else (None, None)
                if line.startswith(b"#"):
                    continue
                if not line.startswith(b"sre_health_host_status{"):
                    return (hosts, st) if line.startswith(b"sre_health_") else (None, None)
                match = _HOST_LABEL_RE.search(line)
                if match is None:
                    return None, None
                hosts.add(match.group(1))
    except OSError:
        return None, None
    finally:
        os.close(fd)


def supersede_textfiles(directory, basename, current, keep=()):
    """Remove the textfiles of ``basename`` (``<basename>.prom``, ``<basename>.job-<id>.prom``, an AWX
    workflow's ``<basename>.workflow-<id>.job-<id>.prom`` and its merged ``<basename>.workflow-<id>.prom``) in
    ``directory`` that are older than ``current`` (the one just written) and whose every host has a
    newer report in another of them, except the paths of ``keep``; return the removed paths.

    Slices of one launch report on different hosts, so they never supersede each other; the next launch's
    files supersede them all. A file with a host no newer file names (a host left the inventory, a
    ``--limit`` run's file next to the full run's) stays, and its timestamp makes the stale-report alert
    fire until it is removed or superseded. Files that are not this user's regular files are left alone.
    """
    pattern = re.compile(r"^%s(\.workflow-[A-Za-z0-9_-]+)?(\.job-[A-Za-z0-9_-]+)?\.prom$" % re.escape(basename))
    try:
        names = [n for n in os.listdir(directory) if pattern.match(n)]
    except OSError:
        return []
    entries = []
    for name in names:
        path = os.path.join(directory, name)
        hosts, st = textfile_hosts(path)
        if hosts is not None:
            entries.append((st.st_mtime_ns, path, hosts, st))
    written = [e for e in entries if e[1] == current]
    if not written:
        return []
    newest_first = sorted(entries, key=lambda e: e[0], reverse=True)
    covered = set()
    removed = []
    for mtime, path, hosts, st in newest_first:
        if path != current and path not in keep and mtime < written[0][0] and hosts <= covered:
            try:
                now = os.lstat(path)
                # still the file that was read: a writer may have replaced it since
                if (now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns):
                    os.unlink(path)
                    removed.append(path)
            except OSError:
                pass
        covered |= hosts
    return sorted(removed)


# --- HTML ---------------------------------------------------------------------------------------

STATUS_COLORS = {OK: "#2e7d32", WARNING: "#f9a825", CRITICAL: "#c62828", UNKNOWN: "#6a1b9a"}
# Text on each status colour, for a contrast of at least 4.5:1 (WCAG AA): white on amber is 1.97:1.
STATUS_TEXT = {OK: "#ffffff", WARNING: "#212121", CRITICAL: "#ffffff", UNKNOWN: "#ffffff"}

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#212121;background:#fff}
h1{font-size:1.4em;margin:0 0 .3em}
h2{font-size:1.15em;margin:1em 0 .3em}
.totals span{display:inline-block;margin:0 1em .5em 0;padding:.2em .6em;border-radius:4px}
.totals span.zero{background:#fff;color:#212121;box-shadow:inset 0 0 0 1px #767676}
.wrap{overflow-x:auto;max-width:100%%}
table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:center;white-space:nowrap}
th.host{text-align:left}
td.s{font-weight:600;cursor:help;min-width:4em}
li span,.problem p>span{padding:0 .3em}
summary,li,.problem{overflow-wrap:anywhere}
td.none{background:#eee;color:#545454}
.silenced{outline:2px dashed #212121;outline-offset:-4px}
em.silenced{outline:none;font-style:italic}
details{margin:.3em 0}
summary{cursor:pointer}
li{margin:.1em 0}
.problem{margin:.5em 0;padding:.3em .6em;border-left:6px solid #767676;background:#fff;max-width:60em}
.problem p{margin:.2em 0}
.problem ul{margin:.2em 0;padding-left:1.2em}
@media (max-width:600px){body{margin:.75em}.totals span{margin-right:.4em}}
%s
"""


def _css():
    rules = []
    for status, color in STATUS_COLORS.items():
        rules.append(".%s{background:%s;color:%s}" % (status, color, STATUS_TEXT[status]))
        rules.append('.problem[data-status="%s"]{border-left-color:%s}' % (status, color))
    return _STYLE % "\n".join(rules)


def render_html(hosts, fleet, generated, context):
    return b"".join(iter_html(hosts, fleet, generated, context))


def iter_html(hosts, fleet, generated, context):
    """The HTML page in pieces, a host's row or details at a time."""
    return _pieces(("%s\n" % line for line in _html_lines(hosts, fleet, generated, context)), 4096)


def _html_lines(hosts, fleet, generated, context):
    esc = html_text
    title = "Fleet health: %s" % fleet["health"]
    yield from ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                "<title>%s</title>" % esc(title), "<style>%s</style></head><body>" % _css(),
                "<h1>%s</h1>" % esc(title),
                '<p class="generated">Written %s%s</p>' % (esc(generated), esc(context_text(context)))]
    yield from _html_totals(fleet, esc)
    # What is failing comes first, as text that wraps: on a phone the matrix below scrolls sideways inside its
    # box, and a failing column at its far end would otherwise be out of sight.
    yield from _html_problems(hosts, fleet, esc)
    yield from _html_matrix(hosts, esc)
    yield "<h2>Details</h2>"
    for host in hosts:
        yield ('<details%s><summary><b>%s</b>: %s%s</summary><ul>' % (
            " open" if host["status"] != OK else "", esc(host["host"]), esc(host["summary"]), _silenced_note(host, esc)))
        for check in host["checks"]:
            yield ('<li><span class="%s">%s</span> %s: %s%s</li>' % (
                check["status"], check["status"].upper(), esc(check["name"]), esc(check["summary"]),
                _silenced_note(check, esc)))
        yield "</ul></details>"
    yield "</body></html>"


def _html_totals(fleet, esc):
    yield '<p class="totals" id="totals">'
    yield '<span class="%s">%s, fleet %s</span>' % (fleet["status"], count_of(fleet["hosts"], "host"), fleet["status"])
    # a count of zero is no news: neutral, never in the warning or critical colour
    for key, status in (("healthy", OK), ("degraded", WARNING), ("unhealthy", CRITICAL)):
        yield '<span class="%s">%d %s</span>' % (status if fleet[key] else "zero", fleet[key], key)
    yield "</p>"
    slices = fleet.get("slices")
    if isinstance(slices, dict):
        yield '<p class="slices" id="slices">%s</p>' % esc(merge_text(slices))
        problems = slice_problems(fleet)
        if problems:
            yield '<ul class="missing" id="missing">'
            yield from ('<li><span class="%s">MISSING</span> %s</li>' % (UNKNOWN, esc(p)) for p in problems)
            yield "</ul>"


def _html_problems(hosts, fleet, esc):
    """Every host that is not ok (hosts come worst first) with each of its checks that is not ok."""
    yield '<section id="problems"><h2>Problems</h2>'
    count = 0
    for host in hosts:
        if host["status"] == OK:
            continue
        count += 1
        yield '<div class="problem" data-host="%s" data-status="%s">' % (esc(host["host"]), host["status"])
        yield '<p><span class="%s">%s</span> <b>%s</b>: %s%s</p>' % (
            host["status"], host["status"].upper(), esc(host["host"]), esc(host["summary"]), _silenced_note(host, esc))
        failing = [check for check in host["checks"] if check["status"] != OK]
        if failing:
            yield "<ul>"
            yield from ('<li class="failing" data-check="%s" data-status="%s"><span class="%s">%s</span> %s: %s%s</li>' % (
                esc(check["name"]), check["status"], check["status"], check["status"].upper(), esc(check["name"]),
                esc(check["summary"]), _silenced_note(check, esc)) for check in failing)
            yield "</ul>"
        yield "</div>"
    if not count:
        every = "the host is healthy" if fleet["hosts"] == 1 else "all %d hosts are healthy" % fleet["hosts"]
        yield '<p class="none-found">None: %s.</p>' % every
    yield "</section>"


def _html_matrix(hosts, esc):
    # every check name once, in the order first seen (a dict: a list's "in" made many names quadratic)
    columns = {}
    for host in hosts:
        for check in host["checks"]:
            columns.setdefault(check["name"], None)
    # A wide matrix scrolls inside its box; the page itself never scrolls sideways (phones).
    yield "<h2>Matrix</h2>"
    yield '<div class="wrap"><table id="matrix"><thead><tr><th class="host">host</th><th>status</th>'
    yield from ("<th>%s</th>" % esc(name) for name in columns)
    yield "</tr></thead><tbody>"
    for host in hosts:
        by_name = dict((c["name"], c) for c in host["checks"])
        yield ('<tr data-host="%s" data-status="%s"><th class="host">%s</th>' % (
            esc(host["host"]), host["status"], esc(host["host"])))
        yield _cell(host, esc)
        for name in columns:
            check = by_name.get(name)
            if check is None:
                yield '<td class="none">-</td>'
            else:
                yield _cell(check, esc)
        yield "</tr>"
    yield "</tbody></table></div>"


def _cell(entry, esc):
    """A matrix cell: the status, and a silenced mark (dashed outline, the silence in the tooltip)."""
    note = silenced_text(entry)
    if not note:
        return '<td class="s %s" title="%s">%s</td>' % (entry["status"], esc(entry["summary"]), entry["status"].upper())
    return '<td class="s %s silenced" title="%s">%s (silenced)</td>' % (
        entry["status"], esc("%s; %s" % (entry["summary"], note)), entry["status"].upper())


def _silenced_note(entry, esc):
    note = silenced_text(entry)
    return ' <em class="silenced">%s</em>' % esc(note) if note else ""


def context_text(context):
    parts = []
    if context.get("workflow_job_id"):
        parts.append("workflow job %s" % context["workflow_job_id"])
    if context.get("job_id"):
        parts.append("job %s" % context["job_id"])
    part = slice_text(context.get("slice"))
    if part:
        parts.append(part)
    if isinstance(context.get("merge"), dict):
        parts.append("merged from %s slice reports" % context["merge"].get("reported"))
    if context.get("play_hosts") is not None:
        parts.append("%s in the play" % count_of(context["play_hosts"], "host"))
    return (" (%s)" % ", ".join(parts)) if parts else ""


def slice_problems(fleet):
    """The texts naming the slices a merged report lacks (missing, unreadable); none for other reports."""
    slices = fleet.get("slices") if isinstance(fleet, dict) else None
    if not isinstance(slices, dict):
        return []
    return list(slices.get("missing") or []) + ["unreadable: %s" % u for u in slices.get("unreadable") or []]


def merge_text(slices):
    """``4 of 4 slices of workflow job 100 reported``, saying when the count to expect is not known."""
    text = "%s of %s slices of workflow job %s reported" % (
        slices.get("reported"), slices.get("expected") or "?", slices.get("workflow_job_id"))
    if slices.get("duplicates"):
        text += "; in several slices (the newest report kept): %s" % ", ".join(slices["duplicates"][:10])
    if slices.get("complete") is None:
        text += " (how many to expect is not known: set fleet_report_slice_count)"
    return text


def slice_text(identity):
    """``slice 2 of 4``, ``one of 4 slices``, ``slice 2``, or an empty text, from ``{number, count}``."""
    if not isinstance(identity, dict):
        return ""
    number, count = identity.get("number"), identity.get("count")
    if number and count:
        return "slice %s of %s" % (number, count)
    if count:
        return "one of %s slices" % count
    return "slice %s" % number if number else ""


RENDERERS = {"json": render_json, "junit": render_junit, "html": render_html}
# What the writers use: each format's bytes in pieces, so that no report is ever held whole in memory.
ITERATORS = {"json": iter_json, "junit": iter_junit, "html": iter_html}


def write_files(pieces):
    """Write each ``(path, pieces)`` of ``pieces`` into a temporary file next to its path, the pieces rendered as
    they are written, and only once every one is written whole put each in place (0644: reports are data about
    hosts, not secrets): data a renderer cannot take never leaves a partial set. Raises ReportError naming the
    file that cannot be written."""
    done = []
    path = None
    try:
        for path, parts in pieces:
            done.append(AtomicFile(path, 0o644, 0o755))
            for part in parts:
                done[-1].write(part)
        for written in done:
            path = written.path
            written.commit()
    except OSError as exc:
        for written in done:
            written.discard()
        raise ReportError("option dir: cannot write %s (%s)" % (path, exc.strerror or exc))
    except BaseException:
        for written in done:
            written.discard()
        raise


# --- writing -------------------------------------------------------------------------------------

def _name_part(value):
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(value))


def file_name(basename, fmt, job_id=None, workflow_job_id=None):
    """``fleet-health.json``; ``fleet-health.job-1234.json`` for an AWX job;
    ``fleet-health.workflow-1233.job-1234.json`` for a job of an AWX workflow (each slice of a sliced launch
    is its own job of one workflow job, so slices never overwrite each other's files, and the merge finds
    the slices of one launch by name); ``fleet-health.workflow-1233.json`` for the merge of its slices."""
    name = basename
    if workflow_job_id not in (None, ""):
        name += ".workflow-%s" % _name_part(workflow_job_id)
    if job_id not in (None, ""):
        name += ".job-%s" % _name_part(job_id)
    return name + EXTENSIONS[fmt]


# The options of fleet_report, for its module and its action plugin (the action runs on the controller).
OPTIONS = dict(
    results=dict(type="list", elements="dict"),
    # the name of the variable every host of hosts holds its result in: read by the action plugin, on the controller
    result_var=dict(type="str"),
    hosts=dict(type="list", elements="str", default=[]),
    dir=dict(type="path", required=True),
    formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
    basename=dict(type="str", default="fleet-health"),
    job_id=dict(type="str"),
    workflow_job_id=dict(type="str"),
    slice_count=dict(type="int", default=0),
    slice_number=dict(type="int", default=0),
    check_only=dict(type="bool", default=False),
    silences=dict(type="list", elements="dict", default=[]),
    # checked, never used: the fleet_report role's one check task before any work (fleet_report sends nothing)
    webhook_url=dict(type="raw", no_log=True),
    webhook_url_name=dict(type="str", default="webhook_url"),
    alert_settings=dict(type="dict"),
    alert_names=dict(type="dict", default={}),
    publish_stats=dict(type="bool", default=False),
    # the role's variables, checked against the role's argument spec first (by the action plugin, on the controller)
    argument_spec_file=dict(type="path"),
    argument_spec_entry=dict(type="str", default="main"),
    enabled=dict(type="bool", default=True),
)

# Checked by the action plugin before the other options, since the role's variables come first.
ROLE_SPEC_OPTIONS = ("argument_spec_file", "argument_spec_entry")
MUTUALLY_EXCLUSIVE = [("results", "result_var")]
REQUIRED_ONE_OF = [("results", "result_var")]

# An AWX job or workflow job ID, as it goes into file names.
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_id(option, value):
    """Raise ReportError unless ``value`` is None or an AWX ID that file names can carry as it is."""
    if value is not None and (not isinstance(value, str) or not ID_RE.match(value)):
        raise ReportError("option %s: %r is invalid; accepted: an AWX ID (letters, digits, '_' and '-', at most 64)"
                          % (option, value))


# What AWX can slice a job into, at most: more slices than this is a typo.
MAX_SLICES = 10000


def check_slice(count, number, count_name="slice_count", number_name="slice_number"):
    """Raise ReportError unless ``count`` (0: not known) and ``number`` (0: not known) are a slice identity."""
    for name, value in ((count_name, count), (number_name, number)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SLICES:
            raise ReportError("option %s: %r is invalid; accepted: a whole number from 0 (not known) to %d"
                              % (name, value, MAX_SLICES))
    if number and count and number > count:
        raise ReportError("option %s: %d is invalid; accepted: a slice number from 1 to %s (%d)"
                          % (number_name, number, count_name, count))


def check_alerts(params):
    """Raise ReportError naming the first problem of ``webhook_url`` (a secret: never shown; an empty one is
    not set) and then of ``alert_settings`` (sre.health.fleet_alert's options, named as ``alert_names`` maps
    them), by the collection's own rules: those of the ``url_problem`` and ``alert_problem`` filters."""
    # imported only when there is something to check (the role's check task before any work): importing them
    # costs a worker process about 35 ms
    if params.get("webhook_url") not in (None, ""):
        from ansible_collections.sre.health.plugins.module_utils._web.urls import check_url

        check_url(params["webhook_url"], option=params.get("webhook_url_name") or "webhook_url", secret=True)
    if params.get("alert_settings") is not None:
        from ansible_collections.sre.health.plugins.module_utils._alert.problem import alert_problem

        problem = alert_problem(params["alert_settings"], params.get("alert_names") or {})
        if problem:
            raise ReportError(problem)


SUMMARY_KEYS = ("status", "health", "hosts", "healthy", "degraded", "unhealthy", "unhealthy_hosts")


def published_summary(params, fleet):
    """The summary both fleet_report and fleet_merge publish: the totals and the report directory."""
    summary = dict((key, copy.deepcopy(fleet[key])) for key in SUMMARY_KEYS)
    summary["report_dir"] = params["dir"]
    return summary


def ansible_stats(data):
    """``data`` as an action result's ``ansible_stats``: Ansible publishes it as set_stats does, once for the run."""
    return {"data": data, "per_host": False, "aggregate": False}


def fleet_stats(params, files, fleet):
    """The fleet summary to publish (``set_stats`` data, for AWX): ``sre_health``, the totals and the report
    directory; in a job of an AWX workflow (``workflow_job_id`` and ``job_id`` set) also the job's ``slice``
    identity and the same summary under ``sre_health_job_<job_id>``, since AWX keeps only the last finished
    job's value of each key."""
    summary = published_summary(params, fleet)
    if params.get("workflow_job_id") is None or params.get("job_id") is None:
        return {"sre_health": summary}
    summary["slice"] = {"workflow_job_id": params["workflow_job_id"], "job_id": params["job_id"],
                        "count": params.get("slice_count") or 0, "report": files.get("json", "")}
    return {"sre_health": summary,
            "sre_health_job_" + re.sub(r"[^A-Za-z0-9_]", "_", params["job_id"]): copy.deepcopy(summary)}


def run(params):
    """What fleet_report does with its validated ``params``: ``{files, totals, superseded}``, plus
    ``ansible_stats`` (the fleet summary, which Ansible publishes as set_stats does) with ``publish_stats``.
    With ``check_only``, the options, the directory and the alert settings are checked and nothing is written;
    without ``enabled``, nothing is checked or written.
    Raises SreHealthError."""
    if params.get("result_var") is not None:
        raise ReportError(result_var_refused(params["result_var"], "fleet_report"))
    if params.get("argument_spec_file") is not None:
        raise ReportError("option argument_spec_file: %r is not accepted by the module; accepted: unset (the role's "
                          "variables are in the controller's task variables: the fleet_report action plugin, which "
                          "runs on the controller, checks them)" % (params["argument_spec_file"],))
    if not params.get("enabled", True):
        return {"files": {}, "totals": totals([]), "superseded": []}
    silences = _silences.parse_silences(params.get("silences"))
    check_slice(params.get("slice_count") or 0, params.get("slice_number") or 0)
    check_id("workflow_job_id", params.get("workflow_job_id"))
    if params["check_only"]:
        if params.get("publish_stats"):
            raise ReportError("option publish_stats: true is invalid with check_only, which writes no report; "
                              "accepted: false with check_only")
        check_options(params["formats"], params["dir"], params["basename"])
        check_directory(params["dir"])
        check_alerts(params)
        return {"files": {}, "totals": totals(normalize(params["results"], params["hosts"])), "superseded": []}
    check_alerts(params)
    identity = None
    if params.get("workflow_job_id") not in (None, ""):
        identity = {"workflow_job_id": params["workflow_job_id"],
                    "slice": {"number": params.get("slice_number") or None, "count": params.get("slice_count") or None}}
    files, fleet = write_reports(params["results"], params["dir"], params["formats"], params["basename"],
                                 hosts=params["hosts"], job_id=params["job_id"], silences=silences, identity=identity)
    superseded = []
    if "prometheus" in files:
        superseded = supersede_textfiles(params["dir"], params["basename"], files["prometheus"])
    outcome = {"files": files, "totals": fleet, "superseded": superseded}
    if params.get("publish_stats"):
        outcome["ansible_stats"] = ansible_stats(fleet_stats(params, files, fleet))
    return outcome


def write_reports(results, directory, formats, basename="fleet-health", hosts=None, job_id=None, now=None,
                  silences=None, identity=None):
    """Render every format first, then write each atomically; return (paths by format, totals).

    Every file is written whole before any is put in place (``write_files``), so bad data never leaves a partial
    set; no file is held whole in memory. ``identity``
    (``{workflow_job_id, slice: {number, count}}``) makes the report one job of an AWX workflow, a slice that
    the merge (``_merge``) reads back: it goes into the JSON's ``context`` and the file names.
    """
    check_options(formats, directory, basename)
    check_directory(directory)
    moment = now if now is not None else datetime.datetime.now(datetime.timezone.utc)
    normalized = mark_silenced(normalize(results, hosts), silences or [], moment.timestamp())
    fleet = totals(normalized)
    generated = moment.isoformat(timespec="seconds")
    context = {"job_id": job_id if job_id not in ("", None) else None}
    context.update(identity or {})
    paths = {}
    pieces = []
    for fmt in formats:
        paths[fmt] = os.path.join(directory, file_name(basename, fmt, job_id, context.get("workflow_job_id")))
        if fmt == "prometheus":
            pieces.append((paths[fmt], iter_prometheus(normalized, moment.timestamp(), basename, context["job_id"])))
        else:
            pieces.append((paths[fmt], ITERATORS[fmt](normalized, fleet, generated, context)))
    write_files(pieces)
    return paths, fleet
