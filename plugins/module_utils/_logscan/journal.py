# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The systemd journal as the source of a log check: ``journalctl -o json``, read streaming and bounded.

journalctl selects the entries (``--since`` the window start, ``-u`` units, ``-t`` identifiers,
``-p`` priority, ``-D`` a directory) and prints them newest first (``-r``), one JSON object a
line, with only the fields the patterns need (``--output-fields``); ``-a`` keeps long fields
whole (journalctl would print them as null). Its output is read as it comes (``_command.execute``
with a sink: the program's deadline, its process group killed at the end) and each entry is
counted at once, so memory holds one entry at a time. Reading stops at ``max_entries`` entries,
at ``MAX_BYTES`` bytes or at ``timeout`` seconds, whichever comes first: journalctl is killed,
the counts cover the newest part of the window, and the result says it was truncated.

An entry is matched as the file path matches a line, JSON first: ``field`` patterns look in the
entry's fields (``PRIORITY``, ``_SYSTEMD_UNIT``, ...), then in the fields of MESSAGE when MESSAGE
is itself a JSON object (an application logging JSON to stdout); ``regex`` patterns search the
MESSAGE text, and are the fallback of a ``field`` that an entry with a plain-text MESSAGE lacks
(a mixed log's text lines). journalctl prints a value that is not UTF-8 text as an array of byte
values: it is decoded (invalid bytes replaced); a field given several times is a list of values.

Before reading, ``journalctl -n 0`` (no entry printed, plain output) tells whether there are
journal files at all and whether this user can read them all: the JSON output says neither.

Pure logic (no Ansible imports), thread-safe: no globals are written.
"""

from __future__ import annotations

import json
import os
import re
import time

from ansible_collections.sre.health.plugins.module_utils._command import clean, execute
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._jsontext import loads
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._logscan.reader import MAX_LINE_BYTES, Tally, json_object
from ansible_collections.sre.health.plugins.module_utils._status import check_timeout
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, format_quantity

# journalctl's priorities (syslog levels), most severe first: the index is the number.
PRIORITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
PRIORITY_ACCEPTED = "one of %s, or a number from 0 (emerg) to 7 (debug): that level and the more severe ones" \
    % ", ".join(PRIORITIES)

DEFAULT_MAX_ENTRIES = 100000
MAX_ENTRIES_LIMIT = 10000000
DEFAULT_TIMEOUT = 20.0
# Bytes of journalctl output read at most (the entries' fields, ``-a``: unabridged).
MAX_BYTES = 128 * 1024 * 1024
# Characters of journalctl's error output a summary shows.
ERROR_CHARS = 300

JOURNAL_OPTIONS = dict(
    units=dict(type="list", elements="str"),
    identifiers=dict(type="list", elements="str"),
    priority=dict(type="str"),
    directory=dict(type="path"),
    max_entries=dict(type="int", default=DEFAULT_MAX_ENTRIES),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
)

# Unit names and globs (``-u nginx``, ``-u 'app@*.service'``), syslog identifiers: what journalctl takes.
_UNIT_RE = re.compile(r"^[A-Za-z0-9:_.\\@*?\[\]-]+$")
_IDENTIFIER_RE = re.compile(r"^[^\x00-\x20\x7f=]+$")
# A journal field name (journalctl --output-fields): the others are looked up inside MESSAGE.
_FIELD_RE = re.compile(r"^[A-Z0-9_]+$")

NO_FILES = "No journal files were found"
NO_ACCESS = "insufficient permissions"
PARTIAL_ACCESS = "You are currently not seeing messages from other users and the system"


def _names(option, value, regex, accepted):
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        raise OptionError(option, value, "a non-empty list of " + accepted)
    for item in value:
        if not isinstance(item, str) or not regex.match(item) or item.startswith("-"):
            raise OptionError(option, item, accepted)
    return list(value)


def parse_priority(value):
    """``journal.priority`` as its number (0-7), None when not given."""
    if value is None:
        return None
    text = str(value).strip().lower() if not isinstance(value, bool) else ""
    if text in PRIORITIES:
        return PRIORITIES.index(text)
    if re.match(r"^[0-7]$", text):
        return int(text)
    raise OptionError("journal.priority", value, PRIORITY_ACCEPTED)


def _max_entries(value):
    if value is None:
        return DEFAULT_MAX_ENTRIES
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ENTRIES_LIMIT:
        raise OptionError("journal.max_entries", value, "a whole number from 1 to %d" % MAX_ENTRIES_LIMIT)
    return value


def _directory(value):
    if value is None:
        return None
    if not isinstance(value, str) or not os.path.isabs(os.path.expanduser(value)) or "\0" in value:
        raise OptionError("journal.directory", value, "an absolute path of a directory holding journal files "
                          "(journalctl --directory), such as /var/log/journal/remote")
    return os.path.expanduser(value)


def parse_journal(value):
    """The ``journal`` option, checked: a Config of the journal source (None when not given)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise OptionError("journal", value, "a dict of journal options (%s), {} for the whole journal"
                          % ", ".join(sorted(JOURNAL_OPTIONS)))
    unknown = sorted(k for k in value if k not in JOURNAL_OPTIONS)
    if unknown:
        raise OptionError("journal.%s" % unknown[0], value[unknown[0]], "keys %s" % ", ".join(sorted(JOURNAL_OPTIONS)))
    units = _names("journal.units", value.get("units"), _UNIT_RE,
                   "unit names or globs such as nginx.service, nginx (.service is added) or 'app@*.service'")
    identifiers = _names("journal.identifiers", value.get("identifiers"), _IDENTIFIER_RE,
                         "syslog identifiers (SYSLOG_IDENTIFIER, journalctl -t) such as sshd or kernel, "
                         "without spaces or =")
    timeout = value.get("timeout")
    timeout = check_timeout("journal.timeout", DEFAULT_TIMEOUT if timeout is None else timeout, allow_none=False)
    return Config(units=units, identifiers=identifiers, priority=parse_priority(value.get("priority")),
                  directory=_directory(value.get("directory")), max_entries=_max_entries(value.get("max_entries")),
                  timeout=timeout)


def shown_options(source):
    """The journal source as results show it."""
    return dict(units=source.units, identifiers=source.identifiers,
                priority=None if source.priority is None else PRIORITIES[source.priority],
                directory=source.directory, max_entries=source.max_entries)


def describe(source, counted=None):
    """``the journal (unit nginx.service; priority err and above)``: where the entries come from,
    with ``counted`` (``12 entries``) first in the brackets when given."""
    where = "the journal" if source.directory is None else "the journal in %s" % source.directory
    parts = [counted] if counted else []
    if source.units:
        parts.append("unit%s %s" % ("" if len(source.units) == 1 else "s", ", ".join(source.units)))
    if source.identifiers:
        parts.append("identifier%s %s" % ("" if len(source.identifiers) == 1 else "s", ", ".join(source.identifiers)))
    if source.priority is not None:
        parts.append("priority %s and above" % PRIORITIES[source.priority])
    return "%s (%s)" % (where, "; ".join(parts)) if parts else where


def output_fields(patterns):
    """The fields journalctl prints: MESSAGE and the journal fields the patterns name."""
    fields = set(["MESSAGE"])
    for pattern in patterns:
        for name in (pattern.field, pattern.group_by):
            if name and _FIELD_RE.match(name):
                fields.add(name)
    return sorted(fields)


def _source_args(source):
    args = ["--no-pager"]
    if source.directory is not None:
        args.append("--directory=%s" % source.directory)
    return args


def read_command(source, cutoff, patterns):
    """The journalctl command line that prints the window's entries, newest first, one more than max."""
    args = ["journalctl"] + _source_args(source) + [
        "--output=json", "--all", "--reverse", "--since=@%.6f" % cutoff, "--lines=%d" % (source.max_entries + 1),
        "--output-fields=%s" % ",".join(output_fields(patterns))]
    if source.priority is not None:
        args.append("--priority=%d" % source.priority)
    args.extend("--unit=%s" % unit for unit in source.units)
    args.extend("--identifier=%s" % name for name in source.identifiers)
    return args


def _run(argv, deadline, sink=None):
    config = Config(argv=argv, plugin=None, environment={}, chdir=None, timeout=max(0.001, deadline - time.monotonic()))
    return execute(config, sink)


def _said(outcome):
    """journalctl's error output, made safe to show, on one line."""
    lines = [line.strip() for line in outcome.stderr.splitlines() if line.strip()]
    return clean(" ".join(lines), ERROR_CHARS)


def _failure(outcome, what=None):
    """Why a run of journalctl gave nothing usable (None when it ran to its end with exit code 0)."""
    if outcome.error is not None:
        reason = outcome.error
        if "not found" in reason:
            reason += ": the systemd journal cannot be read on this host"
        return reason
    prefix = "%s: " % what if what else ""
    if outcome.timed_out:
        return "%sjournalctl did not answer within journal.timeout" % prefix
    if outcome.rc not in (0, None):
        said = _said(outcome)
        return "%sjournalctl exited with code %d%s" % (prefix, outcome.rc, ": %s" % said if said else "")
    return None


def probe(source, deadline):
    """``(fatal, partial)``: why the journal cannot be read at all, or why it can be read only in part."""
    outcome = _run(["journalctl"] + _source_args(source) + ["--lines=0", "--output=short"], deadline)
    failure = _failure(outcome)
    said = _said(outcome)
    if failure is not None:
        if NO_ACCESS in said:
            failure = "cannot read %s: permission denied (journalctl: %s); run as root or as a member of the " \
                      "systemd-journal or adm group" % (describe(source), said)
        return failure, None
    if NO_FILES in said:
        where = source.directory or "/var/log/journal or /run/log/journal"
        return "no journal files in %s (journalctl: %s)%s" % (
            where, said, "" if source.directory else "; is systemd-journald running?"), None
    if PARTIAL_ACCESS in said:
        return None, "this user cannot read every journal file (journalctl: %s); run as root or as a member of " \
                     "the systemd-journal or adm group" % said.split(" Pass -q", 1)[0]
    return None, None


def _value(value):
    """A field's value as journalctl prints it, as text: a byte array decoded, several values a list."""
    if isinstance(value, list):
        if value and all(isinstance(item, int) and not isinstance(item, bool) for item in value):
            try:
                return bytes(value).decode("utf-8", "replace")
            except ValueError:
                return value
        return [_value(item) for item in value]
    return value


def entry_of(raw, cut):
    """``(text, fields, when, text_line)`` of one line of ``journalctl -o json``: the MESSAGE text
    searched by regexes, the fields (MESSAGE's own JSON fields added), the entry's time in epoch
    seconds, and whether the message is a text line (not a JSON object: a field that the entry
    lacks then falls back to the regex, as on a text line of a mixed log file).

    A line cut at MAX_LINE_BYTES (``cut``) is not JSON any more: its beginning is the text, as
    the file path does with an overlong line, and it has no fields.
    """
    text = raw.decode("utf-8", "replace")
    if cut:
        return text, None, None, True
    try:
        # journalctl's own JSON nests a level or two (MESSAGE is a string); bounded all the same
        obj = loads(text)
    except ValueError:
        return text, None, None, True
    if not isinstance(obj, dict):
        return text, None, None, True
    fields = dict((key, _value(value)) for key, value in obj.items())
    message = fields.get("MESSAGE")
    if message is None:
        text = ""
    elif isinstance(message, str):
        text = message
    else:
        text = "\n".join(m if isinstance(m, str) else json.dumps(m) for m in message) \
            if isinstance(message, list) else json.dumps(message)
    inner = json_object(text) if text else None
    if inner is not None:
        for key, value in inner.items():
            fields.setdefault(key, value)
    when = None
    try:
        when = int(fields.get("__REALTIME_TIMESTAMP")) / 1e6
    except (TypeError, ValueError):
        pass
    return text, fields, when, inner is None


class JournalScan(object):
    """The counts of one journalctl read: a sink for its output, line by line, bounded."""

    def __init__(self, patterns, max_entries):
        self.patterns = patterns
        self.max_entries = max_entries
        self.tally = Tally(len(patterns))
        self.bytes = 0
        self.oldest = None
        self.cut_entries = 0
        self.stop_reason = None
        self._parts = []
        self._size = 0
        self._cut = False

    def feed(self, chunk):
        """Take the next chunk of output; False once a bound is reached (journalctl is then killed)."""
        if self.stop_reason is not None:
            return False
        self.bytes += len(chunk)
        start = 0
        while self.stop_reason is None:
            end = chunk.find(b"\n", start)
            if end < 0:
                self._keep(chunk[start:])
                break
            self._keep(chunk[start:end])
            self._line(b"".join(self._parts), self._cut)
            self._parts, self._size, self._cut = [], 0, False
            start = end + 1
        if self.stop_reason is None and self.bytes >= MAX_BYTES:
            self.stop_reason = "read stopped after %s of journalctl output" % format_quantity(MAX_BYTES, BYTES)
        return self.stop_reason is None

    def _keep(self, piece):
        room = MAX_LINE_BYTES - self._size
        if len(piece) > room:
            piece = piece[:room]
            self._cut = True
        if piece:
            self._parts.append(piece)
            self._size += len(piece)

    def _line(self, raw, cut):
        if not raw.strip():
            return
        if self.tally.lines >= self.max_entries:
            # journalctl was asked for one entry more than max_entries: the window holds more.
            self.stop_reason = "read stopped at journal.max_entries=%d" % self.max_entries
            return
        text, fields, when, text_line = entry_of(raw, cut)
        if cut:
            self.cut_entries += 1
        self.tally.add(text, fields, self.patterns, when, text_line)
        if when is not None:
            self.oldest = when if self.oldest is None else min(self.oldest, when)

    def finish(self):
        """The end of the output: a last line without a newline still counts."""
        if self._parts and self.stop_reason is None:
            self._line(b"".join(self._parts), self._cut)
            self._parts = []


def scan_journal(source, cutoff, patterns):
    """Read the window of the journal; return ``(scan, command, problems, fatal)``.

    ``fatal`` says why nothing could be read (None when the journal was read); ``problems`` why
    the counts are incomplete (truncated, partial access, journalctl failing midway).
    """
    deadline = time.monotonic() + source.timeout
    argv = read_command(source, cutoff, patterns)
    scan = JournalScan(patterns, source.max_entries)
    fatal, partial = probe(source, deadline)
    if fatal is not None:
        return scan, argv, [], fatal
    outcome = _run(argv, deadline, scan.feed)
    scan.finish()
    argv = outcome.argv or argv
    problems = [partial] if partial else []
    if outcome.timed_out:
        scan.stop_reason = "read stopped at journal.timeout=%gs" % source.timeout
    failure = _failure(outcome, "reading the journal") if not outcome.timed_out else None
    if failure is not None and not scan.tally.lines and outcome.sizes["stdout"] == 0:
        return scan, argv, problems, failure
    if failure is not None:
        problems.append(failure)
    return scan, argv, problems, None
