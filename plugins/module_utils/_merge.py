# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The merge of an AWX sliced launch: the JSON reports of every slice of one workflow job, read back from the
report directory, written again as one fleet report in every format, naming what did not report.

AWX runs a sliced job template as a workflow job whose nodes are the slices, each a job of its own on every
S-th host of the inventory sorted by name (awx/main/models/inventory.py, get_sliced_hosts). Each slice's
fleet_report writes ``<basename>.workflow-<W>.job-<J>.json`` with its identity in ``context``; this reads those
of one ``W`` and no other file (other launches' files are never opened).

Slice reports are data written by other jobs, so untrusted: each is read with a size bound, no symlink followed,
and anything that is not a report of this workflow (too big, not JSON, another workflow, malformed hosts) is
named as unreadable with the reason, never a traceback. Pure logic plus atomic writes; no Ansible imports.
"""

from __future__ import annotations

import copy
import datetime
import errno
import json
import os
import re
import stat

from ansible_collections.sre.health.plugins.module_utils import _report
from ansible_collections.sre.health.plugins.module_utils._alert import silences as _silences
from ansible_collections.sre.health.plugins.module_utils._printable import printable
from ansible_collections.sre.health.plugins.module_utils._status import UNKNOWN, health, worst

ReportError = _report.ReportError

# A slice report bigger than this is named unreadable (a 50,000-host slice with a dozen checks a host is
# about 300 MB). The merge holds about 4.5 times what it reads at its peak (measured: 1.1 GB for one 255 MB slice,
# 270 MB for 60 MB), so the default costs a controller about 1.2 GB a slice of that size.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
# What a message about max_bytes says is accepted.
_ACCEPTED = ("accepted: slice reports of at most max_bytes; raise max_bytes to merge it (the merge holds about 5 "
             "times the size of the slices it reads in memory)")
ID_RE = _report.ID_RE
# How many hosts a text line names before it says how many more.
SHOWN_HOSTS = 10

OPTIONS = dict(
    dir=dict(type="path", required=True),
    workflow_job_id=dict(type="str", required=True),
    basename=dict(type="str", default="fleet-health"),
    formats=dict(type="list", elements="str", choices=list(_report.FORMATS), default=list(_report.FORMATS)),
    slice_count=dict(type="int", default=0),
    hosts=dict(type="list", elements="str", default=[]),
    jobs=dict(type="list", elements="str", default=[]),
    job_id=dict(type="str"),
    silences=dict(type="list", elements="dict", default=[]),
    max_bytes=dict(type="int", default=DEFAULT_MAX_BYTES),
    check_only=dict(type="bool", default=False),
    publish_stats=dict(type="bool", default=False),
)


class SliceReport(object):
    """One slice's report, read and checked."""

    def __init__(self, name, job_id, generated, number, count, hosts):
        self.name = name
        self.job_id = job_id
        self.generated = generated
        self.number = number
        self.count = count
        self.inferred = False
        self.hosts = hosts

    def label(self):
        if self.number and self.count:
            return "slice %d of %d (job %s)" % (self.number, self.count, self.job_id)
        return "job %s" % self.job_id


class Unreadable(Exception):
    """A slice report that cannot be used; the message says why."""


# --- options ---------------------------------------------------------------------------------------

def check_options(params):
    _report.check_options(params["formats"], params["dir"], params["basename"])
    workflow = params.get("workflow_job_id")
    if not isinstance(workflow, str) or not ID_RE.match(workflow):
        raise ReportError("option workflow_job_id: %r is invalid; accepted: the AWX workflow job ID of the slices "
                          "(their awx_workflow_job_id: letters, digits, '_' and '-', at most 64)" % (workflow,))
    _report.check_slice(params.get("slice_count") or 0, 0)
    for index, job in enumerate(params.get("jobs") or []):
        if not isinstance(job, str) or not ID_RE.match(job):
            raise ReportError("option jobs: item %d (%r) is invalid; accepted: AWX job IDs (letters, digits, '_' "
                              "and '-', at most 64)" % (index, job))
    size = params.get("max_bytes")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1024:
        raise ReportError("option max_bytes: %r is invalid; accepted: a number of bytes, at least 1024" % (size,))


# --- reading one slice -----------------------------------------------------------------------------

def slice_names(directory, basename, workflow_job_id):
    """``{file name: job ID}`` of the slice reports of ``workflow_job_id`` in ``directory``."""
    pattern = re.compile(r"^%s\.workflow-%s\.job-([A-Za-z0-9_-]+)\.json$"
                         % (re.escape(basename), re.escape(workflow_job_id)))
    try:
        names = os.listdir(directory)
    except OSError as exc:
        raise ReportError("option dir: %r cannot be read (%s); accepted: the directory the slices wrote their "
                          "reports into (fleet_report_dir)" % (directory, exc.strerror or exc))
    found = {}
    for name in names:
        match = pattern.match(name)
        if match:
            found[name] = match.group(1)
    if len(found) > _report.MAX_SLICES:
        raise ReportError("option dir: %r holds %d slice reports of workflow job %s; accepted: at most %d"
                          % (directory, len(found), workflow_job_id, _report.MAX_SLICES))
    return found


def _read_bounded(path, max_bytes):
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable("a symbolic link (not followed)")
        raise Unreadable("cannot be opened (%s)" % (exc.strerror or exc))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("not a regular file")
        if st.st_size > max_bytes:
            raise Unreadable("%d bytes, larger than option max_bytes (%d); %s" % (st.st_size, max_bytes, _ACCEPTED))
        # read into one buffer of the file's size (plus one byte, to see a file that grew): the chunks and
        # their join held the file twice
        data = bytearray(st.st_size + 1)
        view = memoryview(data)
        size = 0
        with os.fdopen(os.dup(fd), "rb", buffering=0) as handle:
            while True:
                if size == len(data):
                    if size > max_bytes:
                        raise Unreadable("larger than option max_bytes (%d) as it was read; %s" % (max_bytes, _ACCEPTED))
                    data.extend(bytes(min(1024 * 1024, max_bytes + 1 - size)))
                    view.release()
                    view = memoryview(data)
                count = handle.readinto(view[size:])
                if not count:
                    break
                size += count
        view.release()
        del data[size:]
        return data
    except OSError as exc:
        raise Unreadable("cannot be read (%s)" % (exc.strerror or exc))
    finally:
        os.close(fd)


def _short(text, limit=200):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _count(value):
    """A slice number or count from a report: a whole number from 1, or None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _report.MAX_SLICES:
        return None
    return value


def read_slice(path, name_job_id, workflow_job_id, max_bytes):
    """The SliceReport in ``path``; raises Unreadable saying why it cannot be used."""
    data = _read_bounded(path, max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text")
    # the bytes go before the parse, and the text after it: at its peak the parse holds the text and the objects
    del data
    try:
        document = json.loads(text)
    except RecursionError:
        raise Unreadable("not a report: nested too deeply")
    except ValueError as exc:
        raise Unreadable("not JSON (%s)" % _short(exc))
    del text
    if not isinstance(document, dict):
        raise Unreadable("not a report: a JSON %s, not an object" % type(document).__name__)
    context = document.get("context")
    if not isinstance(context, dict):
        raise Unreadable("not a report: no context")
    if str(context.get("workflow_job_id")) != workflow_job_id:
        said = _short(context.get("workflow_job_id"), 80)
        raise Unreadable("its context says workflow job %s, not %s" % (said, workflow_job_id))
    if str(context.get("job_id")) != name_job_id:
        said = _short(context.get("job_id"), 80)
        raise Unreadable("its context says job %s, not %s as its name" % (said, name_job_id))
    try:
        generated = datetime.datetime.fromisoformat(str(document.get("generated")))
        if generated.tzinfo is None:
            raise ValueError("no UTC offset")
    except ValueError:
        raise Unreadable("generated: %s is not an ISO 8601 time with its UTC offset"
                         % _short(repr(document.get("generated")), 80))
    if not isinstance(document.get("hosts"), list):
        raise Unreadable("not a report: hosts is not a list")
    try:
        hosts = _report.normalize(document["hosts"], consume=True)
    except _report.ReportError as exc:
        raise Unreadable(str(exc).replace("option results: ", "hosts: ", 1))
    identity = context.get("slice") if isinstance(context.get("slice"), dict) else {}
    count = _count(identity.get("count"))
    number = _count(identity.get("number"))
    if number and count and number > count:
        number = None
    return SliceReport(os.path.basename(path), name_job_id, generated, number, count, hosts)


# --- merging -------------------------------------------------------------------------------------

def _hosts_text(hosts):
    shown = ", ".join(hosts[:SHOWN_HOSTS])
    more = len(hosts) - SHOWN_HOSTS
    return "%d host%s: %s%s" % (len(hosts), "" if len(hosts) == 1 else "s", shown,
                                ", and %d more" % more if more > 0 else "")


def infer_numbers(reports, inventory, count):
    """Give each report without a slice number the one AWX's rule says its hosts belong to: slice k of S gets
    every S-th host of the inventory sorted by name, from the k-th. Only when every host of the report that is
    in ``inventory`` says the same number and no two reports get one number (AWX sorts in its database's
    collation: names that sort otherwise there leave the numbers unknown, never wrong)."""
    if not inventory or not count:
        return
    position = dict((host, index) for index, host in enumerate(sorted(set(inventory))))
    claimed = {}
    for report in reports:
        if report.number:
            claimed.setdefault(report.number, []).append(report)
            continue
        numbers = set(position[h["host"]] % count + 1 for h in report.hosts if h["host"] in position)
        if len(numbers) == 1:
            report.number = numbers.pop()
            report.inferred = True
            claimed.setdefault(report.number, []).append(report)
    for number, owners in claimed.items():
        if len(owners) > 1:
            for report in owners:
                if report.inferred:
                    report.number = None
                    report.inferred = False


def _newest_per_host(reports):
    """``(host -> entry, duplicates)``: each host's entry from the newest report naming it."""
    chosen = {}
    duplicates = set()
    for report in sorted(reports, key=lambda r: (r.generated, r.job_id)):
        for entry in report.hosts:
            if entry["host"] in chosen:
                duplicates.add(entry["host"])
            chosen[entry["host"]] = dict(entry, job_id=report.job_id)
    return chosen, sorted(duplicates)


def _expected(reports, slice_count, inventory):
    """How many slices to expect: ``slice_count``, else what the reports recorded; AWX makes no more slices
    than the inventory has hosts. None when not known."""
    counts = set(r.count for r in reports if r.count)
    expected = slice_count or (max(counts) if counts else None)
    if expected and inventory:
        expected = min(expected, len(inventory))
    return expected


class _Gaps(object):
    """What did not report: the texts naming it, and why each host of the inventory without a report has none."""

    def __init__(self, directory, workflow_job_id):
        self.directory = directory
        self.workflow_job_id = workflow_job_id
        self.texts = []
        self.reasons = {}

    def numbered(self, number, expected, hosts):
        self.texts.append("slice %d of %d: no report in %s%s" % (number, expected, self.directory,
                                                                 " (%s)" % _hosts_text(hosts) if hosts else ""))
        for host in hosts:
            self.reasons[host] = "no report: slice %d of %d of workflow job %s did not report" % (
                number, expected, self.workflow_job_id)

    def anonymous(self, count, expected, hosts):
        self.texts.append("%d of %d slices: no report in %s%s" % (
            count, expected, self.directory, " (hosts without a report, %s)" % _hosts_text(hosts) if hosts else ""))

    def job(self, job):
        self.texts.append("job %s: published its summary (set_stats) but wrote no report into %s: the slices and "
                          "the merge must share fleet_report_dir" % (job, self.directory))

    def reason(self, host, slice_missing):
        if host in self.reasons:
            return self.reasons[host]
        if slice_missing:
            return ("no report: in no readable slice report of workflow job %s (a slice did not report, or its "
                    "report is unreadable)" % self.workflow_job_id)
        return ("no report: in no slice report of workflow job %s (it joined the inventory after the slices "
                "started?)" % self.workflow_job_id)


def _find_gaps(gaps, reports, unreadable, expected, inventory, without, jobs):
    """Fill ``gaps`` with the missing slices; return how many slices are missing."""
    done = set(r.job_id for r in reports) | set(job for _name, job, _reason in unreadable)
    absent_jobs = sorted(set(jobs) - done, key=lambda j: (len(j), j))
    missing_count = max(0, (expected or 0) - len(reports) - len(unreadable), len(absent_jobs))
    numbers_known = bool(expected) and not unreadable and all(r.number for r in reports)
    missing_numbers = sorted(set(range(1, expected + 1)) - set(r.number for r in reports)) if numbers_known else []
    position = dict((host, index) for index, host in enumerate(inventory))
    for number in missing_numbers:
        gaps.numbered(number, expected, [h for h in without if position[h] % expected + 1 == number])
    unnamed = [h for h in without if h not in gaps.reasons]
    if not missing_numbers and missing_count > len(absent_jobs):
        gaps.anonymous(missing_count - len(absent_jobs), expected, unnamed)
        unnamed = []
    for job in absent_jobs:
        gaps.job(job)
    if unnamed:
        gaps.texts.append("no slice report has %s" % _hosts_text(unnamed))
    return missing_count


def merge(reports, unreadable, workflow_job_id, directory, slice_count=0, inventory=(), jobs=()):
    """``(hosts, slices)``: the hosts of every report (a host in several: the newest report's), plus the hosts
    of ``inventory`` that no report has, as unknown; and what the merge knows of the slices (expected,
    reported, complete, missing, unreadable, duplicates, hosts_without_report, reports)."""
    chosen, duplicates = _newest_per_host(reports)
    # named as the reports name their hosts (printable, long names cut), so that each host meets its report
    inventory = sorted(set(_report.host_name(h) for h in inventory if isinstance(h, str) and h))
    expected = _expected(reports, slice_count, inventory)
    for report in reports:
        report.count = report.count or expected
    infer_numbers(reports, inventory, expected)
    without = [h for h in inventory if h not in chosen]
    gaps = _Gaps(directory, workflow_job_id)
    missing_count = _find_gaps(gaps, reports, unreadable, expected, inventory, without, jobs)
    for host in without:
        chosen[host] = {"host": host, "status": UNKNOWN, "health": health(UNKNOWN), "checks": [], "job_id": None,
                        "summary": gaps.reason(host, bool(missing_count or unreadable))}
    if missing_count or unreadable or without:
        complete = False
    else:
        # neither a slice count nor the inventory: nothing to compare with
        complete = True if expected or inventory else None
    hosts = sorted(chosen.values(), key=lambda h: (_report.SEVERITY_ORDER[h["status"]], h["host"]))
    slices = {
        "workflow_job_id": workflow_job_id, "expected": expected, "reported": len(reports), "complete": complete,
        "missing": gaps.texts, "missing_count": missing_count,
        "unreadable": ["%s: %s" % (name, reason) for name, _job, reason in unreadable],
        "duplicates": duplicates, "hosts_without_report": without,
        "reports": [{"file": r.name, "job_id": r.job_id,
                     "slice": {"number": r.number, "count": r.count, "inferred": r.inferred},
                     "generated": r.generated.isoformat(), "hosts": len(r.hosts)}
                    for r in sorted(reports, key=lambda r: (r.number or 0, len(r.job_id), r.job_id))],
    }
    return hosts, slices


def summary_text(fleet):
    """One line about the merge: ``4 of 4 slices of workflow job 100 reported``, and what is missing."""
    problems = _report.slice_problems(fleet)
    # printed by the role: a reason read from a slice (a parser's message, a name) shows escaped, never raw
    return printable(_report.merge_text(fleet["slices"]) + ("; " + "; ".join(problems) if problems else ""))


# --- the module's work -----------------------------------------------------------------------------

def read_slices(directory, basename, workflow_job_id, max_bytes):
    """``(reports, unreadable)``: the SliceReports of ``workflow_job_id``, and ``(name, job, reason)`` of those
    that cannot be used."""
    reports = []
    unreadable = []
    for name, job in sorted(slice_names(directory, basename, workflow_job_id).items()):
        try:
            reports.append(read_slice(os.path.join(directory, name), job, workflow_job_id, max_bytes))
        except Unreadable as exc:
            unreadable.append((name, job, str(exc)))
    return reports, unreadable


def fleet_totals(hosts, slices):
    """The totals of the merged hosts, as fleet_report's, plus ``slices``; a fleet with a part that did not
    report is never healthy (its status is at least unknown)."""
    fleet = _report.totals(hosts)
    if slices["complete"] is False:
        fleet["status"] = worst([fleet["status"], UNKNOWN])
        fleet["health"] = health(fleet["status"])
    fleet["slices"] = dict((key, slices[key]) for key in (
        "workflow_job_id", "expected", "reported", "complete", "missing", "unreadable", "duplicates"))
    return fleet


def render(params, hosts, fleet, slices, checked, moment):
    """Every format of ``params["formats"]``: its bytes in pieces, rendered as they are written."""
    workflow = params["workflow_job_id"]
    context = {"job_id": params.get("job_id") or None, "workflow_job_id": workflow,
               "merge": {"expected": slices["expected"], "reported": slices["reported"]}}
    generated = moment.isoformat(timespec="seconds")
    rendered = {}
    for fmt in params["formats"]:
        if fmt == "prometheus":
            # job_id workflow-<W>: never an AWX job's (numbers), so no series of a slice's file is repeated. Its
            # time is when the newest checks in it ran, not the merge's: a merge run again later must not make
            # old results look fresh.
            rendered[fmt] = _report.iter_prometheus(hosts, checked.timestamp(), params["basename"],
                                                    "workflow-%s" % workflow)
        elif fmt == "json":
            rendered[fmt] = _report.iter_json(hosts, fleet, generated, context, extra={"slices": slices})
        else:
            rendered[fmt] = _report.ITERATORS[fmt](hosts, fleet, generated, context)
    return rendered


def write(params, rendered, reports):
    """``(paths by format, superseded textfiles)``: each file written atomically, none put in place before every
    one is written whole."""
    directory, basename, workflow = params["dir"], params["basename"], params["workflow_job_id"]
    files = dict((fmt, os.path.join(directory, _report.file_name(basename, fmt, workflow_job_id=workflow)))
                 for fmt in params["formats"])
    _report.write_files([(files[fmt], rendered[fmt]) for fmt in params["formats"]])
    superseded = []
    if "prometheus" in files:
        # the slices' own textfiles stay: the merged one is newer, and the rules read the newest report of a host
        own = set(os.path.join(directory, _report.file_name(basename, "prometheus", r.job_id, workflow))
                  for r in reports)
        superseded = _report.supersede_textfiles(directory, basename, files["prometheus"], keep=own)
    return files, superseded


def fleet_stats(params, fleet):
    """The merged fleet's summary to publish (``set_stats`` data, for AWX): ``sre_health``, the totals as
    fleet_report publishes them, the report directory and ``slices``."""
    summary = _report.published_summary(params, fleet)
    summary["slices"] = copy.deepcopy(fleet["slices"])
    return {"sre_health": summary}


def run(params, now=None):
    """What fleet_merge does with its validated ``params``: ``{files, totals, slices, results, superseded,
    summary}``, plus ``ansible_stats`` (the merged fleet's summary, which Ansible publishes as set_stats does)
    with ``publish_stats``. Raises SreHealthError for bad options or a directory that cannot be read or
    written."""
    silences = _silences.parse_silences(params.get("silences"))
    check_options(params)
    _report.check_directory(params["dir"])
    if params["check_only"]:
        if params.get("publish_stats"):
            raise ReportError("option publish_stats: true is invalid with check_only, which merges nothing; "
                              "accepted: false with check_only")
        return {"files": {}, "totals": {}, "slices": {}, "results": [], "superseded": [], "summary": ""}
    reports, unreadable = read_slices(params["dir"], params["basename"], params["workflow_job_id"],
                                      params["max_bytes"])
    hosts, slices = merge(reports, unreadable, params["workflow_job_id"], params["dir"],
                          params.get("slice_count") or 0, params.get("hosts") or [], params.get("jobs") or [])
    moment = now if now is not None else datetime.datetime.now(datetime.timezone.utc)
    hosts = _report.mark_silenced(hosts, silences, moment.timestamp())
    fleet = fleet_totals(hosts, slices)
    checked = max([r.generated for r in reports]) if reports else moment
    files, superseded = write(params, render(params, hosts, fleet, slices, checked, moment), reports)
    without = set(slices["hosts_without_report"])
    outcome = {"files": files, "totals": fleet, "slices": slices, "superseded": superseded,
               # for fleet_alert: the hosts without a report keep their alerts as they are
               "results": [h for h in hosts if h["host"] not in without], "summary": summary_text(fleet)}
    if params.get("publish_stats"):
        outcome["ansible_stats"] = _report.ansible_stats(fleet_stats(params, fleet))
    return outcome
