# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``log`` check kind: count pattern matches in the last ``since`` of log files or of the journal.

Lines are JSON objects (field matches, JSON time fields) or text (regex); a pattern with a
``field`` falls back to its ``regex`` on the text lines of a mixed log. How files are read is
``reader``, how lines are dated ``timestamps``, how patterns match ``patterns``; the systemd
journal (``journal`` instead of ``path``) is read through journalctl by ``journal``.

Pure logic (no Ansible imports), thread-safe: no globals are written, no signals.
"""

from __future__ import annotations

import datetime
import os
import re
import time

from ansible_collections.sre.health.plugins.module_utils._duration import UNITS_ACCEPTED, parse_duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._logscan import journal
from ansible_collections.sre.health.plugins.module_utils._logscan.patterns import PATTERN_OPTIONS, parse_patterns
from ansible_collections.sre.health.plugins.module_utils._logscan.reader import Tally, bump, expand, scan_file_chain
from ansible_collections.sre.health.plugins.module_utils._status import (
    UNKNOWN,
    judge,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT

KIND = "log"

METRICS = {
    "matches": COUNT,
    "lines_scanned": COUNT,
    "entries": COUNT,
    "bytes_read": BYTES,
}

# A match count means nothing until the user says how many are too many: no defaults.
DEFAULT_THRESHOLDS = {}

OPTIONS = dict(
    path=dict(type="list", elements="path"),
    journal=dict(type="dict", options=journal.JOURNAL_OPTIONS),
    since=dict(type="str", required=True),
    patterns=dict(type="list", elements="dict", options=PATTERN_OPTIONS),
    group_by=dict(type="str"),
    return_last_match=dict(type="bool", default=False),
)

CONSTRAINTS = dict(
    mutually_exclusive=[["path", "journal"]],
    required_one_of=[["path", "journal"]],
)

REQUIRES = {}

# Feeds host- or peer-chosen text to user patterns or parsers: a child process (see _kind).
ISOLATED = True

# A summary names this many of the largest groups.
SUMMARY_GROUPS = 3

SINCE_ACCEPTED = "a duration such as 30s, 5m, 2h or 1d (%s), above 0 and up to 366d" % UNITS_ACCEPTED


def parse_since(value):
    """``since`` in seconds."""
    return parse_duration("since", value, SINCE_ACCEPTED, inclusive=False)


def _paths(params):
    paths = params.get("path")
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not paths:
        raise OptionError("path", paths, "one or more absolute file paths or globs")
    for item in paths:
        if not isinstance(item, str) or not item.strip() or not os.path.isabs(os.path.expanduser(item)):
            raise OptionError("path", item, "absolute file paths or globs such as /var/log/app/*.log")
    return paths


def _source(params):
    """``(paths, journal source)``: exactly one of them."""
    if params.get("journal") is None:
        return _paths(params), None
    if params.get("path") is not None:
        raise OptionError("path", params.get("path"), "no path with journal: a check reads log files (path) or "
                          "the systemd journal (journal), not both")
    return None, journal.parse_journal(params.get("journal"))


def validate(params):
    """Check every option once; return a Config. Raises OptionError/ThresholdError."""
    paths, source = _source(params)
    seconds = parse_since(params.get("since"))
    since_text = str(params.get("since")).strip()
    if re.match(r"^[0-9.]+$", since_text):
        since_text += "s"
    group_by = params.get("group_by")
    if group_by is not None and (not isinstance(group_by, str) or not group_by.strip()):
        raise OptionError("group_by", group_by, "a JSON field name or a regex named group")
    patterns = parse_patterns(params.get("patterns"), group_by)
    return Config(paths=paths, journal=source, seconds=seconds, since_text=since_text, patterns=patterns,
                  return_last_match=bool(params.get("return_last_match")))


def _describe_files(paths, files):
    read = [f for f in files if f.get("rotated")]
    if len(paths) == 1:
        text = paths[0]
        if read:
            text += " (and %s)" % read[0]["path"]
        return text
    return "%d files%s" % (len(paths), " (and %d rotated)" % len(read) if read else "")


def _groups_text(groups):
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1], str(kv[0])))
    shown = ", ".join("%s %d" % (k, v) for k, v in ordered[:SUMMARY_GROUPS])
    if len(ordered) > SUMMARY_GROUPS:
        shown += ", ..."
    return shown


def _ordered_groups(groups):
    return dict(sorted(groups.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _effective(compiled, pattern):
    """``thresholds`` (defaults for every pattern) with the pattern's own levels on ``matches``."""
    result = dict((metric, dict(levels)) for metric, levels in compiled.items())
    if pattern is not None and pattern.levels:
        matches = result.setdefault("matches", {})
        for level, rng in pattern.levels.items():
            if rng is None:
                matches.pop(level, None)
            else:
                matches[level] = rng
        if not matches:
            del result["matches"]
    return result


def _iso_utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Scan(object):
    """The counts of every file of one check, summed."""

    def __init__(self, config, cutoff, now_local):
        self.patterns = config.patterns
        self.primaries, self.skipped, self.problems = expand(config.paths)
        if self.skipped and not self.primaries:
            self.problems.append("only compressed files match (%s), and only plain-text logs are read"
                                 % ", ".join(self.skipped))
        self.total = Tally(len(self.patterns))
        self.files = []
        self.newest = [None] * len(self.patterns)
        for path in self.primaries:
            self._add(*scan_file_chain(path, cutoff, self.patterns, now_local))
        for path in self.skipped:
            self.files.append({"path": path, "bytes_read": 0, "lines_read": 0, "rotated": False,
                               "skipped": "compressed; only plain-text logs are read"})
        self.bytes_read = sum(f["bytes_read"] for f in self.files)
        readable = [f for f in self.files if not f.get("error")]
        self.nothing_read = not self.primaries or not readable

    def _add(self, tally, infos, problem):
        self.files.extend(infos)
        if problem:
            self.problems.append(problem)
        self.total.lines += tally.lines
        for i in range(len(self.patterns)):
            self.total.matches[i] += tally.matches[i]
            for key, count in tally.groups[i].items():
                bump(self.total.groups[i], key, count)
            last = tally.last[i]
            newest = self.newest[i]
            if last is not None and (newest is None or (last[0] or 0) > (newest[0] or 0)):
                self.newest[i] = last


def _unreadable(result_name, label, pattern, reason, metrics, effective, duration_ms, item_extra):
    summary = "%s: %s" % (label, reason)
    metrics = dict(metrics)
    if pattern is not None:
        metrics = dict([("matches", None)] + list(metrics.items()))
    return make_result(result_name, KIND, UNKNOWN, summary, metrics, thresholds_as_text(effective), duration_ms,
                       **item_extra)


class _Source(object):
    """What the results say of where the lines came from: files or the journal.

    ``metric`` and ``word`` name what was counted (``lines_scanned``, ``line``); ``where(counted)``
    describes the source, with ``counted`` (``7 lines``) in brackets when given; ``label`` names the
    result without patterns; ``extra`` is added to every result; ``unreadable`` says why nothing could
    be read (None when something was), and ``unread_metrics`` are the metrics then.
    """

    def __init__(self, metric, word, where, label, extra, unreadable=None, unread_metrics=None):
        self.metric = metric
        self.word = word
        self.where = where
        self.label = label
        self.extra = extra
        self.unreadable = unreadable
        self.unread_metrics = unread_metrics

    def text(self, count):
        plural = "ies" if self.word.endswith("y") else "s"
        return "%d %s" % (count, self.word if count == 1 else self.word.rstrip("y") + plural)


def _pattern_values(i, pattern, scan, config, counted, item_extra):
    """``(values, headline, subject, primary)`` of one pattern (or of the lines, without patterns)."""
    total = scan.total
    lines = counted.text(total.lines)
    if pattern is None:
        values = {counted.metric: total.lines, "bytes_read": scan.bytes_read}
        return values, "%s in the last %s of %s" % (lines, config.since_text, counted.where(None)), "", counted.metric
    count = total.matches[i]
    values = {"matches": count, counted.metric: total.lines, "bytes_read": scan.bytes_read}
    plural = "" if count == 1 else "es"
    headline = "%d match%s in the last %s of %s" % (count, plural, config.since_text, counted.where(lines))
    if pattern.group_by and total.groups[i]:
        headline += " [by %s: %s]" % (pattern.group_by, _groups_text(total.groups[i]))
        item_extra["groups"] = _ordered_groups(total.groups[i])
    elif pattern.group_by:
        item_extra["groups"] = {}
    if config.return_last_match:
        last = scan.newest[i]
        item_extra["last_match"] = last[1] if last else None
    return values, headline, "%s:" % pattern.name, "matches"


def _results(config, compiled, name, scan, source):
    """One result per pattern (one without patterns) of ``scan``, read from ``source``."""
    results = []
    for i, pattern in enumerate(config.patterns or [None]):
        effective = _effective(compiled, pattern)
        label = pattern.name if pattern is not None else source.label
        result_name = "%s:%s" % (name, label)
        item_extra = dict(source.extra)
        if pattern is not None:
            item_extra["pattern"] = pattern.name
        if source.unreadable is not None:
            results.append(_unreadable(result_name, label, pattern, source.unreadable, source.unread_metrics,
                                       effective, scan.duration_ms, item_extra))
            continue
        values, headline, subject, primary = _pattern_values(i, pattern, scan, config, source, item_extra)
        result = judge(result_name, KIND, subject, headline, values, effective, METRICS, primary=primary,
                       duration_ms=scan.duration_ms, **item_extra)
        if scan.problems:
            result["status"] = worst([result["status"], UNKNOWN])
            result["summary"] += "; incomplete: %s" % "; ".join(scan.problems)
        results.append(result)
    return results


def _run_files(config, compiled, name):
    started = time.monotonic()
    now = time.time()
    cutoff = now - config.seconds
    scan = _Scan(config, cutoff, datetime.datetime.fromtimestamp(now))
    scan.duration_ms = (time.monotonic() - started) * 1000.0
    where = _describe_files(scan.primaries, scan.files) if scan.primaries else ", ".join(config.paths)
    source = _Source("lines_scanned", "line", lambda lines: "%s (%s)" % (where, lines) if lines else where,
                     ",".join(config.paths),
                     dict(path=config.paths, since=config.since_text, window_start=_iso_utc(cutoff), files=scan.files))
    if scan.nothing_read:
        source.unreadable = "cannot scan: %s" % ("; ".join(scan.problems) or "nothing to read")
        source.unread_metrics = {"lines_scanned": 0, "bytes_read": scan.bytes_read}
    return _results(config, compiled, name, scan, source)


class _JournalView(object):
    """A journal read as the results see a scan: counts, newest matches, bytes, problems."""

    def __init__(self, scan, problems, duration_ms):
        self.total = scan.tally
        self.newest = scan.tally.last  # read newest first: the first match is the newest
        self.bytes_read = scan.bytes
        self.problems = problems
        self.duration_ms = duration_ms


def _run_journal(config, compiled, name):
    started = time.monotonic()
    cutoff = time.time() - config.seconds
    source = config.journal
    scan, argv, problems, fatal = journal.scan_journal(source, cutoff, config.patterns)
    truncated = scan.stop_reason is not None
    if truncated:
        back_to = _iso_utc(scan.oldest) if scan.oldest is not None else "the window start"
        problems.insert(0, "%s: the counts cover the newest entries, back to %s (narrow the journal filters or "
                           "raise that bound)" % (scan.stop_reason, back_to))
    view = _JournalView(scan, problems, (time.monotonic() - started) * 1000.0)
    shown = _Source("entries", "entry", lambda counted: journal.describe(source, counted), "journal",
                    dict(journal=journal.shown_options(source), since=config.since_text, window_start=_iso_utc(cutoff),
                         command=" ".join(argv), truncated=truncated, entries_cut=scan.cut_entries))
    if fatal is not None:
        shown.unreadable = "cannot read the journal: %s" % fatal
        shown.unread_metrics = {"entries": None, "bytes_read": scan.bytes}
    return _results(config, compiled, name, view, shown)


def run(config, compiled, name=KIND):
    if config.journal is not None:
        return _run_journal(config, compiled, name)
    return _run_files(config, compiled, name)
