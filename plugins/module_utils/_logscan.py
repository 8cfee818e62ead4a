# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``log`` check kind: count pattern matches in the last ``since`` of one or more log files.

Each file is read from its END backwards in fixed-size blocks, and reading stops at the first
line whose timestamp is older than the window, so a 1 GB log costs time proportional to the
window, not to the file; memory is bounded by the block size, the longest line kept
(MAX_LINE_BYTES) and the number of distinct group values kept (MAX_GROUPS). When the oldest
line of a file is still inside the window, its rotated predecessor ``<file>.1`` is read next
(logrotate's default naming), and a file last modified before the window is not read at all.

Lines are JSON objects (field matches, JSON time fields) or text (regex); a pattern with a
``field`` falls back to its ``regex`` on the text lines of a mixed log. Timestamps: ISO 8601
(also ``2024/11/22 11:05:01`` as Go's log writes it), RFC 3164 syslog (``Nov 22 11:05:01``,
year inferred), the common log format (``[22/Nov/2024:11:05:01 +0000]``), and JSON fields
``time``, ``timestamp``, ``ts``, ``@timestamp`` (ISO text or epoch seconds/ms/us/ns). A
timestamp without a zone is local time. A line without a timestamp (a stack trace) belongs
to the timestamped line before it in the file.

Pure logic (no Ansible imports), thread-safe: no globals are written, no signals.
"""

from __future__ import annotations

import datetime
import glob
import json
import math
import os
import re
import stat
import time

from ansible_collections.sre.health.plugins.module_utils._ranges import NagiosRange, RangeError
from ansible_collections.sre.health.plugins.module_utils._status import (
    UNKNOWN,
    OptionError,
    ThresholdError,
    judge,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import (
    BYTES,
    COUNT,
    SECONDS,
    UnitError,
    format_quantity,
    parse_quantity,
)

KIND = "log"

METRICS = {
    "matches": COUNT,
    "lines_scanned": COUNT,
    "bytes_read": BYTES,
}

# A match count means nothing until the user says how many are too many: no defaults.
DEFAULT_THRESHOLDS = {}

BLOCK_SIZE = 64 * 1024
# A longer line is judged on its first MAX_LINE_BYTES bytes.
MAX_LINE_BYTES = 1024 * 1024
# Reading this much from the end of a file without finding one timestamp gives up (unknown).
UNDATED_LIMIT = 1024 * 1024
# Distinct values counted per pattern for group_by; further values count under "(other)".
MAX_GROUPS = 100
OTHER_GROUP = "(other)"
NO_GROUP = "(none)"
# How much of a matching line ``last_match`` returns.
SAMPLE_CHARS = 500
# A summary names this many of the largest groups.
SUMMARY_GROUPS = 3

COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip", ".z")
TIME_FIELDS = ("time", "timestamp", "ts", "@timestamp", "__REALTIME_TIMESTAMP")

PATTERN_OPTIONS = dict(
    name=dict(type="str", required=True),
    regex=dict(type="str"),
    field=dict(type="str"),
    equals=dict(type="raw"),
    field_regex=dict(type="str"),
    group_by=dict(type="str"),
    warning=dict(type="raw"),
    critical=dict(type="raw"),
)

OPTIONS = dict(
    path=dict(type="list", elements="path", required=True),
    since=dict(type="str", required=True),
    patterns=dict(type="list", elements="dict", options=PATTERN_OPTIONS),
    group_by=dict(type="str"),
    return_last_match=dict(type="bool", default=False),
)

REQUIRES = {}

_GLOB_CHARS = set("*?[")
_MONTHS = dict((m, i + 1) for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")))
_MONTH_RE = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"

# RFC 3164 at the start of the line, after an optional <PRI>.
_SYSLOG_RE = re.compile(r"^(?:<\d{1,3}>)?(%s) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?!\d)" % _MONTH_RE)
# ISO 8601 / RFC 3339 date and time, with an optional fraction and zone; "/" dates as Go's log.
_ISO_RE = re.compile(
    r"(?<!\d)(\d{4})([-/])(\d{2})\2(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?:(Z|z|[+-]\d{2}(?::?\d{2})?)(?!\d)|\s([+-]\d{2}:?\d{2})(?!\d))?"
)
# Common/combined log format (Apache, nginx): [22/Nov/2024:11:05:01 +0000]
_CLF_RE = re.compile(r"\[(\d{2})/(%s)/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\]" % _MONTH_RE)
# Where in a text line a timestamp is looked for.
_ISO_SPAN = 64
_CLF_SPAN = 256

SINCE_ACCEPTED = "a duration such as 30s, 5m, 2h or 1d (units ms, s, m, h, d; a plain number is seconds), above 0"


# --- timestamps ----------------------------------------------------------------------------

def _zone(text):
    if text in ("Z", "z"):
        return datetime.timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    return datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))


def _fraction(text):
    return int((text or "0")[:6].ljust(6, "0"))


def _epoch_of(dt):
    """Seconds since the epoch; a naive datetime is local time (as the host writes its logs)."""
    return dt.timestamp()


def _iso(match):
    year, _sep, month, day, hour, minute, second, frac, zone, spaced = match.groups()
    zone = zone or spaced
    tz = _zone(zone) if zone else None
    dt = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), min(int(second), 59),
                           _fraction(frac), tzinfo=tz)
    return _epoch_of(dt)


def syslog_time(month, day, hour, minute, second, micro, now_local):
    """An RFC 3164 timestamp (no year, local time): the latest year that does not put it in the future.

    A line up to one day ahead of the clock is taken as this year (clock skew between
    writers); further ahead it is from last year: "Dec 31 23:59:59" read on January 1st.
    """
    limit = now_local + datetime.timedelta(days=1)
    for year in range(now_local.year, now_local.year - 8, -1):
        try:
            candidate = datetime.datetime(year, month, day, hour, minute, second, micro)
        except ValueError:  # 29 February outside a leap year
            continue
        if candidate <= limit:
            return _epoch_of(candidate)
    return None


def _syslog(match, now_local):
    month, day, hour, minute, second, frac = match.groups()
    return syslog_time(_MONTHS[month], int(day), int(hour), int(minute), min(int(second), 59), _fraction(frac),
                       now_local)


def _clf(match):
    day, month, year, hour, minute, second, zone = match.groups()
    dt = datetime.datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), min(int(second), 59),
                           tzinfo=_zone(zone))
    return _epoch_of(dt)


def epoch_number(number):
    """Epoch seconds from a number in seconds, milliseconds, microseconds or nanoseconds (by size)."""
    magnitude = abs(number)
    if magnitude >= 1e17:
        return number / 1e9
    if magnitude >= 1e14:
        return number / 1e6
    if magnitude >= 1e11:
        return number / 1e3
    return float(number)


def _field_time(value, now_local):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return epoch_number(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            return text_time(text, now_local)
        return epoch_number(number) if math.isfinite(number) else None
    return None


def text_time(text, now_local):
    """The timestamp at the start of a text line, as epoch seconds, or None."""
    try:
        match = _SYSLOG_RE.match(text)
        if match:
            return _syslog(match, now_local)
        iso = _ISO_RE.search(text, 0, _ISO_SPAN)
        clf = _CLF_RE.search(text, 0, _CLF_SPAN) if "[" in text[:_CLF_SPAN] else None
        if iso and (clf is None or iso.start() < clf.start()):
            return _iso(iso)
        if clf:
            return _clf(clf)
    except (ValueError, OverflowError, OSError):
        # 2024-13-45, or a year the platform cannot convert: not a timestamp
        return None
    return None


def line_time(text, obj, now_local):
    """Timestamp of a line: JSON time fields first, then the text forms."""
    if obj is not None:
        for key in TIME_FIELDS:
            if key in obj:
                found = _field_time(obj[key], now_local)
                if found is not None:
                    return found
    return text_time(text, now_local)


# --- patterns ------------------------------------------------------------------------------

def lookup(obj, path):
    """``(found, value)`` of a field in a JSON object: a literal key first, then a dotted path."""
    if path in obj:
        return True, obj[path]
    current = obj
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def value_text(value):
    """A JSON value as text: strings as they are, anything else as JSON (true, null, 500, ...)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _equal(value, expected):
    numbers = (int, float)
    if isinstance(value, numbers) and isinstance(expected, numbers) and not isinstance(value, bool) \
            and not isinstance(expected, bool):
        return float(value) == float(expected)
    return value_text(value) == value_text(expected)


class Pattern(object):
    """One validated entry of ``patterns``."""

    __slots__ = ("index", "name", "regex", "field", "equals", "field_regex", "group_by", "levels")

    def __init__(self, index, name, regex, field, equals, field_regex, group_by, levels):
        self.index = index
        self.name = name
        self.regex = regex
        self.field = field
        self.equals = equals  # None, or a tuple of accepted values
        self.field_regex = field_regex
        self.group_by = group_by
        self.levels = levels

    def match(self, text, obj):
        """``(matched, group)``: whether the line matches, and its group_by value."""
        found = None
        if self.field is not None and obj is not None:
            present, value = lookup(obj, self.field)
            if not present:
                return False, None
            if self.equals is not None and not any(_equal(value, e) for e in self.equals):
                return False, None
            if self.field_regex is not None:
                found = self.field_regex.search(value_text(value))
                if not found:
                    return False, None
        else:
            if self.regex is None:
                return False, None
            found = self.regex.search(text)
            if not found:
                return False, None
        return True, self._group(found, obj) if self.group_by else None

    def _group(self, found, obj):
        key = self.group_by
        if found is not None and key in found.re.groupindex:
            value = found.group(key)
            if value is not None:
                return value
        if obj is not None:
            present, value = lookup(obj, key)
            if present and value is not None:
                return value_text(value)
        return NO_GROUP


def _compile_regex(option, text):
    if not isinstance(text, str) or text == "":
        raise OptionError(option, text, "a non-empty Python regular expression")
    try:
        return re.compile(text)
    except re.error as exc:
        raise OptionError(option, text, "a valid Python regular expression (%s)" % exc)


def _parse_level(option, text):
    try:
        return NagiosRange.parse(text, COUNT)
    except RangeError as exc:
        raise ThresholdError(option, str(exc))


def parse_since(value):
    if isinstance(value, bool) or value is None:
        raise OptionError("since", value, SINCE_ACCEPTED)
    try:
        seconds = parse_quantity(value.strip() if isinstance(value, str) else value, SECONDS)
    except UnitError:
        raise OptionError("since", value, SINCE_ACCEPTED)
    if not 0 < seconds < float("inf"):
        raise OptionError("since", value, SINCE_ACCEPTED)
    return seconds


def validate(params):
    """Check every option; return (paths, seconds, patterns). Raises OptionError/ThresholdError."""
    paths = params.get("path")
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not paths:
        raise OptionError("path", paths, "one or more absolute file paths or globs")
    for item in paths:
        if not isinstance(item, str) or not item.strip() or not os.path.isabs(os.path.expanduser(item)):
            raise OptionError("path", item, "absolute file paths or globs such as /var/log/app/*.log")
    seconds = parse_since(params.get("since"))
    group_by = params.get("group_by")
    if group_by is not None and (not isinstance(group_by, str) or not group_by.strip()):
        raise OptionError("group_by", group_by, "a JSON field name or a regex named group")
    entries = params.get("patterns") or []
    if not isinstance(entries, list):
        raise OptionError("patterns", entries, "a list of {name, regex} or {name, field, equals/field_regex}")
    patterns = []
    names = {}
    for index, entry in enumerate(entries):
        option = "patterns[%d]" % index
        if not isinstance(entry, dict):
            raise OptionError(option, entry, "a dict such as {name: errors, regex: 'ERROR'}")
        unknown = sorted(set(entry) - set(PATTERN_OPTIONS))
        if unknown:
            raise OptionError("%s.%s" % (option, unknown[0]), entry[unknown[0]],
                              "keys %s" % ", ".join(sorted(PATTERN_OPTIONS)))
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise OptionError(option + ".name", name, "a non-empty string")
        if name in names:
            raise OptionError(option + ".name", name, "a name not used by patterns[%d]" % names[name])
        names[name] = index
        regex = None
        if entry.get("regex") is not None:
            regex = _compile_regex(option + ".regex", entry["regex"])
        field = entry.get("field")
        if field is not None and (not isinstance(field, str) or not field.strip()):
            raise OptionError(option + ".field", field, "a JSON field name or dotted path such as http.status")
        if field is None and regex is None:
            raise OptionError(option, entry, "regex, or field (with equals or field_regex), or both")
        equals = entry.get("equals")
        field_regex = entry.get("field_regex")
        if field is None and (equals is not None or field_regex is not None):
            which = "equals" if equals is not None else "field_regex"
            raise OptionError("%s.%s" % (option, which), entry.get(which), "only together with field")
        if equals is not None:
            equals = tuple(equals) if isinstance(equals, list) else (equals,)
            if not equals or any(isinstance(e, dict) for e in equals):
                raise OptionError(option + ".equals", entry.get("equals"), "a value or a list of values")
        if field_regex is not None:
            field_regex = _compile_regex(option + ".field_regex", field_regex)
        own_group = entry.get("group_by")
        if own_group is not None and (not isinstance(own_group, str) or not own_group.strip()):
            raise OptionError(option + ".group_by", own_group, "a JSON field name or a regex named group")
        levels = {}
        for level in ("warning", "critical"):
            text = entry.get(level)
            if text is None:
                continue
            levels[level] = None if text == "" else _parse_level("%s.%s" % (option, level), text)
        patterns.append(Pattern(index, name, regex, field, equals, field_regex, own_group or group_by, levels))
    return paths, seconds, patterns


# --- reading backwards ---------------------------------------------------------------------

class _Counter(object):
    __slots__ = ("bytes",)

    def __init__(self):
        self.bytes = 0


def reverse_lines(handle, size, counter, block_size=BLOCK_SIZE, max_line=MAX_LINE_BYTES):
    """Yield the lines of ``handle`` (binary) from the last to the first, reading ``block_size``
    blocks backwards from ``size``. A line longer than ``max_line`` keeps only its beginning."""
    pos = size
    carry = b""
    while pos > 0:
        step = min(block_size, pos)
        pos -= step
        handle.seek(pos)
        data = handle.read(step)
        counter.bytes += len(data)
        if not data:
            break
        parts = (data + carry).split(b"\n")
        carry = parts[0][:max_line]
        for index in range(len(parts) - 1, 0, -1):
            yield parts[index][:max_line]
    if carry:
        yield carry


class Tally(object):
    """Counts for a run of lines: lines, matches, groups and the newest match per pattern."""

    __slots__ = ("lines", "matches", "groups", "last")

    def __init__(self, count):
        self.lines = 0
        self.matches = [0] * count
        self.groups = [{} for _i in range(count)]
        self.last = [None] * count  # (epoch or None, text)

    def add(self, text, obj, patterns, when):
        self.lines += 1
        for i, pattern in enumerate(patterns):
            hit, group = pattern.match(text, obj)
            if not hit:
                continue
            self.matches[i] += 1
            if pattern.group_by:
                bump(self.groups[i], group, 1)
            if self.last[i] is None:
                self.last[i] = (when, text[:SAMPLE_CHARS])

    def absorb(self, older, when):
        """Add the counts of ``older`` (lines read after these, so older), dated ``when``."""
        self.lines += older.lines
        for i in range(len(self.matches)):
            self.matches[i] += older.matches[i]
            for key, count in older.groups[i].items():
                bump(self.groups[i], key, count)
            if self.last[i] is None and older.last[i] is not None:
                self.last[i] = (when if older.last[i][0] is None else older.last[i][0], older.last[i][1])


def bump(groups, key, count):
    if key in groups or len(groups) < MAX_GROUPS:
        groups[key] = groups.get(key, 0) + count
    else:
        groups[OTHER_GROUP] = groups.get(OTHER_GROUP, 0) + count


def _decode(raw):
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", "replace")


def _json_object(text):
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return None
    try:
        obj = json.loads(stripped)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _rotated(path):
    return path + ".1"


def scan_file_chain(path, cutoff, patterns, now_local):
    """Scan ``path`` backwards, then ``path.1`` while the window reaches further back.

    Returns ``(tally, files, problem)``: ``files`` describes each file looked at, ``problem``
    is a reason the counts are incomplete (None when they are complete).
    """
    total = Tally(len(patterns))
    pending = Tally(len(patterns))  # lines without a timestamp, waiting for the one before them
    files = []
    dated = False
    oldest = None
    chain_bytes = 0
    problem = None
    reached_start = False
    for current in (path, _rotated(path)):
        rotated = current != path
        if rotated and (not reached_start or not os.path.isfile(current)):
            break
        if rotated and current.lower().endswith(COMPRESSED_SUFFIXES):
            break
        info = {"path": current, "bytes_read": 0, "lines_read": 0, "rotated": rotated}
        files.append(info)
        reached_start = False
        try:
            handle = open(current, "rb")
        except OSError as exc:
            info["error"] = exc.strerror or str(exc)
            problem = "cannot read %s: %s" % (current, info["error"])
            break
        stopped = False
        with handle:
            st = os.fstat(handle.fileno())
            if st.st_mtime < cutoff:
                # Nothing was written to it since before the window: no line can be inside.
                info["skipped"] = "last modified before the window"
                pending = Tally(len(patterns))
                break
            counter = _Counter()
            try:
                for raw in reverse_lines(handle, st.st_size, counter):
                    text = _decode(raw)
                    if not text.strip():
                        continue
                    info["lines_read"] += 1
                    obj = _json_object(text)
                    when = line_time(text, obj, now_local)
                    if when is None:
                        pending.add(text, obj, patterns, None)
                        if not dated and chain_bytes + counter.bytes > UNDATED_LIMIT:
                            stopped = True
                            problem = "no timestamp in the last %s of %s" % (
                                format_quantity(chain_bytes + counter.bytes, BYTES), current)
                            break
                        continue
                    dated = True
                    if when < cutoff:
                        stopped = True
                        pending = Tally(len(patterns))
                        break
                    total.absorb(pending, when)
                    pending = Tally(len(patterns))
                    total.add(text, obj, patterns, when)
                    oldest = when
            except OSError as exc:
                info["error"] = exc.strerror or str(exc)
                problem = "cannot read %s: %s" % (current, info["error"])
                stopped = True
            info["bytes_read"] = counter.bytes
            chain_bytes += counter.bytes
        if stopped:
            break
        reached_start = True
    if pending.lines and problem is None:
        if dated:
            # Lines before the first timestamp of the oldest file read: they belong to the oldest
            # dated line seen, which is inside the window.
            total.absorb(pending, oldest)
        else:
            problem = "no line of %s has a timestamp this check can read (ISO 8601, RFC 3164 syslog, " \
                      "common log format, JSON time field)" % path
    return total, files, problem


# --- files ---------------------------------------------------------------------------------

def _not_a_log(path):
    """Why ``path`` cannot be scanned (None when it is a regular file)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "%s is a broken symbolic link" % path if os.path.islink(path) else "%s does not exist" % path
    except OSError as exc:
        return "cannot read %s: %s" % (path, exc.strerror or exc)
    if stat.S_ISDIR(st.st_mode):
        return "%s is a directory; give a file or a glob such as %s/*.log" % (path, path.rstrip("/"))
    if not stat.S_ISREG(st.st_mode):
        # opening a FIFO would block until a writer comes
        return "%s is not a regular file" % path
    return None


def expand(paths):
    """Expand globs into regular files; return (files, skipped, errors)."""
    files = []
    errors = []
    for item in paths:
        item = os.path.expanduser(item)
        if _GLOB_CHARS & set(item):
            matched = sorted(p for p in glob.glob(item) if os.path.isfile(p))
            if not matched:
                errors.append("no file matches %s" % item)
            files.extend(matched)
        else:
            problem = _not_a_log(item)
            if problem:
                errors.append(problem)
            else:
                files.append(item)
    unique = []
    for path in files:
        if path not in unique:
            unique.append(path)
    # path.1, path.2.gz, ... are read (when needed) as rotations of path, not as logs of their own.
    chosen = set(unique)
    skipped = []
    primaries = []
    for path in unique:
        if any(re.match(r"^%s\.\d+(\.[A-Za-z0-9]+)?$" % re.escape(other), path) for other in chosen if other != path):
            continue
        if path.lower().endswith(COMPRESSED_SUFFIXES):
            skipped.append(path)
            continue
        primaries.append(path)
    return primaries, skipped, errors


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


def run(params, compiled, name=KIND):
    paths, seconds, patterns = validate(params)
    started = time.monotonic()
    now = time.time()
    now_local = datetime.datetime.fromtimestamp(now)
    cutoff = now - seconds
    since_text = str(params.get("since")).strip()
    if re.match(r"^[0-9.]+$", since_text):
        since_text += "s"
    primaries, skipped, problems = expand(paths)
    if skipped and not primaries:
        problems.append("only compressed files match (%s), and only plain-text logs are read" % ", ".join(skipped))
    total = Tally(len(patterns))
    files = []
    newest = [None] * len(patterns)
    for path in primaries:
        tally, infos, problem = scan_file_chain(path, cutoff, patterns, now_local)
        files.extend(infos)
        if problem:
            problems.append(problem)
        total.lines += tally.lines
        for i in range(len(patterns)):
            total.matches[i] += tally.matches[i]
            for key, count in tally.groups[i].items():
                bump(total.groups[i], key, count)
            last = tally.last[i]
            if last is not None and (newest[i] is None or (last[0] or 0) > (newest[i][0] or 0)):
                newest[i] = last
    for path in skipped:
        files.append({"path": path, "bytes_read": 0, "lines_read": 0, "rotated": False,
                      "skipped": "compressed; only plain-text logs are read"})
    bytes_read = sum(f["bytes_read"] for f in files)
    duration_ms = (time.monotonic() - started) * 1000.0
    where = _describe_files(primaries, files) if primaries else ", ".join(paths)
    readable = [f for f in files if not f.get("error")]
    nothing_read = not primaries or not readable
    extra = dict(path=paths, since=since_text, window_start=_iso_utc(cutoff), files=files)
    results = []
    targets = patterns if patterns else [None]
    for i, pattern in enumerate(targets):
        effective = _effective(compiled, pattern)
        label = pattern.name if pattern is not None else ",".join(paths)
        result_name = "%s:%s" % (name, label)
        item_extra = dict(extra)
        if pattern is not None:
            item_extra["pattern"] = pattern.name
        if nothing_read:
            summary = "%s: cannot scan: %s" % (label, "; ".join(problems) or "nothing to read")
            metrics = {"matches": None, "lines_scanned": 0, "bytes_read": bytes_read}
            if pattern is None:
                del metrics["matches"]
            results.append(make_result(result_name, KIND, UNKNOWN, summary, metrics, thresholds_as_text(effective),
                                       duration_ms, **item_extra))
            continue
        lines = "%d line%s" % (total.lines, "" if total.lines == 1 else "s")
        if pattern is None:
            values = {"lines_scanned": total.lines, "bytes_read": bytes_read}
            headline = "%s in the last %s of %s" % (lines, since_text, where)
            subject = ""
            primary = "lines_scanned"
        else:
            count = total.matches[i]
            values = {"matches": count, "lines_scanned": total.lines, "bytes_read": bytes_read}
            plural = "" if count == 1 else "es"
            headline = "%d match%s in the last %s of %s (%s)" % (count, plural, since_text, where, lines)
            if pattern.group_by and total.groups[i]:
                headline += " [by %s: %s]" % (pattern.group_by, _groups_text(total.groups[i]))
                item_extra["groups"] = _ordered_groups(total.groups[i])
            elif pattern.group_by:
                item_extra["groups"] = {}
            if params.get("return_last_match"):
                last = newest[i]
                item_extra["last_match"] = last[1] if last else None
            subject = "%s:" % pattern.name
            primary = "matches"
        result = judge(result_name, KIND, subject, headline, values, effective, METRICS, primary=primary,
                       duration_ms=duration_ms, **item_extra)
        if problems:
            result["status"] = worst([result["status"], UNKNOWN])
            result["summary"] += "; incomplete: %s" % "; ".join(problems)
        results.append(result)
    return results
