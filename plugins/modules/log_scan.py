#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_scan
short_description: Count pattern matches in the last minutes of log files or of the systemd journal
version_added: 1.0.0
description:
  - Counts, per pattern, the lines of the last O(since) of one or more log files (O(path)), or the entries of the
    systemd journal (O(journal)), that match it, and compares each count with warning and critical ranges. There is
    one result per pattern (or one for the files or the journal when O(patterns) is empty), with the metrics
    V(matches), V(lines_scanned) (files) or V(entries) (journal), and V(bytes_read).
  - Reads each file from its B(end backwards) in 64 KiB blocks and stops at the first line whose timestamp is
    older than the window, so a 1 GB log costs time proportional to the window, not to the file, and memory
    stays bounded. A file last modified before the window is not read at all (V(bytes_read) tells what was
    read). The scan assumes lines are written in time order; it stops at the first older line it meets.
  - B(Rotation.) When the oldest line of a file is still inside the window (the file was rotated within it),
    its predecessor C(<file>.1), logrotate's default name, is read next, backwards, as far as the window
    reaches. A glob that also matches C(<file>.1) or C(<file>.2.gz) reads them only that way; compressed files
    are not read. Date-suffixed rotation (C(dateext)) is not followed.
  - 'B(Timestamps) are looked for in this order: the JSON fields C(time), C(timestamp), C(ts), C(@timestamp),
    C(__REALTIME_TIMESTAMP) of a JSON object line (ISO 8601 text, or epoch seconds, milliseconds, microseconds or
    nanoseconds told apart by size, as numbers or numeric strings); RFC 3164 syslog at the start of the line
    (V(Nov 22 11:05:01), after an optional C(<PRI>)); ISO 8601 / RFC 3339 within the first 64 characters
    (V(2024-11-22T11:05:01.123Z), V(2024-11-22 11:05:01,123), V(2024/11/22 11:05:01), with or without a zone);
    the common log format of Apache and nginx within the first 256 characters (V([22/Nov/2024:11:05:01 +0000])).'
  - A timestamp without a zone (syslog, and ISO 8601 without C(Z) or an offset) is B(local time) of the managed
    host, daylight saving included; every comparison is on absolute time. Syslog has no year; it is the current
    year, or the previous one when that would put the line more than a day in the future (a C(Dec 31) line read
    on January 1st).
  - A line without a timestamp (a stack trace, a multi-line message) B(inherits the timestamp of the line
    before it) in the file, the previous file included after a rotation. Lines at the head of the oldest file
    read, before its first timestamp, count as inside the window. A file in which no line carries a timestamp
    (or whose last 1 MiB has none) cannot be scanned by time, and gives C(unknown).
  - B(Status.) The counts are judged with the pattern's ranges; there are no default ranges, so a pattern
    without ranges only reports its count (C(ok)). Write O(patterns[].critical=0) for "any match is critical".
    A path that does not exist or a glob that matches nothing makes the check C(unknown) ("no file matches
    ...") because the check could not measure, which is not the same as a clean log, and C(unknown) fails the task under
    the default O(fail_on). A file that cannot be read (permission denied) also adds C(unknown) to the counts of
    the other files.
  - 'B(The systemd journal.) With O(journal) instead of O(path), the entries of the window come from
    C(journalctl --output=json) (journalctl must be installed; it comes with systemd), selected by journalctl
    itself: C(--since) the window start, C(--unit) per O(journal.units), C(--identifier) per
    O(journal.identifiers), C(--priority), C(--directory). Patterns work as on a JSON log, JSON first:
    V(regex) is searched in the entry''s C(MESSAGE); V(field) names a journal field (V(PRIORITY), V(_SYSTEMD_UNIT),
    V(SYSLOG_IDENTIFIER), V(_PID), V(_COMM)...) or, when the message is itself a JSON object (a service logging JSON
    to stdout), one of its fields. V(PRIORITY) is a number: V(equals: [0, 1, 2, 3]) matches C(err) and more severe.
    A message that is not UTF-8 text (journalctl prints it as an array of bytes) is decoded, invalid bytes replaced;
    a field given several times is the list of its values.'
  - 'The metric V(entries) counts the entries of the window that pass the journal filters, so O(journal.priority=err)
    without patterns, with C(thresholds: {entries: {critical: 0}}), makes any error of the last O(since) critical.'
  - B(Journal bounds.) Entries are read newest first (C(--reverse)) as journalctl prints them, one at a time, with
    only C(MESSAGE) and the journal fields (upper-case names) that the patterns name. Reading stops at
    O(journal.max_entries) entries, 128 MiB of output or O(journal.timeout) seconds, whichever comes first; journalctl
    (its whole process group) is killed, RV(checks[].truncated) is V(true), the counts cover the newest part of the
    window, and a result that breaches no range is C(unknown), since the rest of the window could.
  - B(No journal.) journalctl missing, no journal files (no systemd-journald running, or an empty
    O(journal.directory)), or a user not allowed to read them (neither root nor in the C(systemd-journal) or
    C(adm) group) make the check C(unknown), saying which; when the user can read only some journal files (its
    own), the counts are given and C(unknown) too, saying so.
  - Only reads; never changes the host, so it runs the same in check mode.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
options:
  path:
    description:
      - Absolute paths of the log files, or globs (such as V(/var/log/app/*.log)) matching them.
      - Counts are summed over all the files; RV(checks[].files) details each file read.
      - Only regular files are read; a directory, a FIFO or a device given explicitly makes the check C(unknown),
        and so does a file or directory the module cannot read (permission denied).
      - Exactly one of O(path) and O(journal) is required.
    type: list
    elements: path
  journal:
    description:
      - Read the systemd journal instead of log files (see B(The systemd journal) above). V({}) reads every entry of
        the window.
      - Exactly one of O(path) and O(journal) is required.
    type: dict
    suboptions:
      units:
        description:
          - Read the entries of these units only (C(journalctl --unit)), including what systemd logs about them
            (started, failed). A name without a suffix is a service (V(nginx) is V(nginx.service)); globs such as
            V(app@*.service) match several.
          - Default all units, and entries of no unit (the kernel).
        type: list
        elements: str
      identifiers:
        description:
          - Read the entries of these syslog identifiers only (C(SYSLOG_IDENTIFIER), C(journalctl --identifier)),
            such as V(sshd) or V(kernel).
          - With O(journal.units) too, an entry must match both (one of the units and one of the identifiers), as
            journalctl combines them.
        type: list
        elements: str
      priority:
        description:
          - Read the entries of this priority and the more severe ones only (C(journalctl --priority)), V(emerg),
            V(alert), V(crit), V(err), V(warning), V(notice), V(info) or V(debug), or their numbers V(0) (emerg) to
            V(7) (debug). Default all.
        type: str
      directory:
        description:
          - Read the journal files of this directory (C(journalctl --directory)) instead of the system's journal, such
            as a journal copied from another host or received by systemd-journal-remote
            (V(/var/log/journal/remote)).
        type: path
      max_entries:
        description:
          - Read at most this many entries, the newest of the window, from 1 to 10000000. More entries in the window
            make the counts partial (RV(checks[].truncated)); narrow the filters, or raise it as far as
            O(journal.timeout) allows.
        type: int
        default: 100000
      timeout:
        description:
          - Seconds journalctl may take to print the window, whatever it meets (a slow disk, a huge journal); then it
            is killed and the counts are partial (RV(checks[].truncated)).
          - Keep it below the check's O(check_timeout) (or C(check_timeout) in M(sre.health.health_check)), which
            stops the whole check with no counts at all.
        type: float
        default: 20
  since:
    description:
      - The window to scan, back from now, as a duration with a unit C(ms), C(s), C(m), C(h) or C(d), such as V(5m),
        V(90s), V(1h), V(1d). A plain number is seconds.
    type: str
    required: true
  patterns:
    description:
      - What to count, one result per entry. Each entry is a regular expression on the line (V(regex)), or a JSON
        field match (V(field) with V(equals) and/or V(field_regex)), or both.
      - A line that is a JSON object is matched on its fields; other lines (plain text, or a mixed log's stack
        traces) fall back to V(regex).
      - When empty, a single result reports V(lines_scanned) and V(bytes_read) of the window, for example to alert on
        a log that went silent with a V(lines_scanned) critical range of V(1:) in O(thresholds) (see the examples).
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the pattern; the result is named C(log:<name>). Must be unique.
        type: str
        required: true
      regex:
        description:
          - A Python regular expression searched in each line (not anchored; use V(^) to anchor, V((?i\)) to ignore
            case).
          - Without O(patterns[].field), it is searched in every line, JSON or not. With O(patterns[].field), it is the
            fallback for lines that are not JSON objects.
          - With O(journal), it is searched in the entry's C(MESSAGE).
        type: str
      field:
        description:
          - A field of JSON object lines, such as V(level); a dotted path, V(http.status), reaches into nested objects
            (a key containing the dots literally is tried first). Alone, it matches lines having the field, not null.
          - With O(journal), a journal field such as V(PRIORITY) or V(_SYSTEMD_UNIT), or a field of a C(MESSAGE) that is
            a JSON object. An entry whose C(MESSAGE) is plain text and that lacks the field falls back to
            O(patterns[].regex), as a text line does.
        type: str
      equals:
        description:
          - The value (or a list of values, any of which matches) that O(patterns[].field) must have. Numbers compare
            as numbers (V(500) matches C(500) and C("500")), booleans as C(true)/C(false).
        type: raw
      field_regex:
        description:
          - A Python regular expression searched in the text of O(patterns[].field)'s value.
        type: str
      group_by:
        description:
          - Count the matches per value of this regex named group (V((?P<name>...\)) or, failing that, this JSON field
            (dotted path allowed), reported in RV(checks[].groups). Overrides O(group_by) for this pattern.
        type: str
      warning:
        description:
          - Warning range (Nagios range, see O(thresholds)) for this pattern's match count, such as V(10) (more than
            10) or V(@1:) (any match). Overrides the V(matches) warning of O(thresholds); an empty string removes it.
        type: raw
      critical:
        description:
          - Critical range for this pattern's match count, as O(patterns[].warning); V(0) means any match is critical.
        type: raw
  group_by:
    description:
      - Default O(patterns[].group_by) for every pattern. Lines whose value is missing count under V((none\)); at most
        100 distinct values are counted per pattern, the rest under V((other\)).
    type: str
  return_last_match:
    description:
      - Return the newest matching line of each pattern (its first 500 characters) in RV(checks[].last_match).
      - Off by default because log lines may hold data that should not reach reports and alerts.
    type: bool
    default: false
  thresholds:
    description:
      - 'Metrics of each result: V(matches) (lines or journal entries of the window matching the pattern),
        V(lines_scanned) (with O(path): non-blank lines inside the window, over all files), V(entries) (with
        O(journal): entries of the window that pass the journal filters), V(bytes_read) (bytes read from disk, the
        window and up to one 64 KiB block more per file; or read from journalctl).'
      - C(thresholds.matches) is the default range of every pattern, level by level; a pattern's own
        O(patterns[].warning) and O(patterns[].critical) win. C(lines_scanned), C(entries) and C(bytes_read) ranges
        apply to every result.
      - No defaults.
notes:
  - Lines longer than 1 MiB are matched on their first 1 MiB. Bytes that are not UTF-8 are read as replacement
    characters.
  - 'A line, or a journal C(MESSAGE), that nests JSON arrays or objects deeper than 512 levels is read as text (no log
    format comes near; parsing it would exhaust the parser''s recursion): O(patterns[].regex) still searches it, it
    has no fields, and every other line is counted as usual, so one hostile line cannot hide the others.'
  - A journal entry whose JSON is longer than 1 MiB is matched, as text, on its first 1 MiB, and has no fields
    (RV(checks[].entries_cut) counts them). journalctl runs with C(LC_ALL=C).
  - O(journal) needs the journalctl of systemd 236 or later (for C(--output-fields)), as in Debian 10, Ubuntu 18.04,
    RHEL 8 and later. An older one makes the check C(unknown) with journalctl's own error.
seealso:
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: Any error in the last 5 minutes of the application's JSON log is critical, warnings above 20 warn
  sre.health.log_scan:
    path: /var/log/app/app.log
    since: 5m
    patterns:
      - name: errors
        field: level
        equals: [error, fatal]
        regex: '\b(ERROR|FATAL)\b'     # the log's plain-text lines (stack traces, start-up output)
        critical: 0
      - name: warnings
        field: level
        equals: warn
        warning: 20

- name: 5xx answers of nginx in the last 15 minutes, per status code
  sre.health.log_scan:
    path: /var/log/nginx/access.log
    since: 15m
    patterns:
      - name: server errors
        regex: '" (?P<status>5\d\d) '
        group_by: status
        warning: 10
        critical: 100

- name: Errors of the app's units in the systemd journal in the last 15 minutes, per unit
  sre.health.log_scan:
    journal:
      units: [app-api.service, app-worker@*.service]
      priority: err
    since: 15m
    group_by: _SYSTEMD_UNIT
    thresholds:
      entries:
        warning: 0
        critical: 20

- name: OOM kills and failed logins in the kernel's and sshd's messages of the last hour
  sre.health.log_scan:
    journal:
      identifiers: [kernel, sshd]
    since: 1h
    patterns:
      - name: oom kills
        regex: 'Out of memory: Killed process'
        critical: 0
      - name: failed logins
        regex: '^Failed password for'
        warning: 50

- name: A service logging JSON to stdout, read from the journal through its own fields
  sre.health.log_scan:
    journal:
      units: [checkout.service]
    since: 5m
    patterns:
      - name: errors
        field: level        # a field of the JSON message
        equals: error
        regex: '\bERROR\b'  # its plain-text messages (start-up output, tracebacks)
        critical: 0

- name: The service logged something in the last hour (alert on a silent log), report only
  sre.health.log_scan:
    path: /var/log/syslog
    since: 1h
    thresholds:
      lines_scanned:
        critical: "1:"
    fail_on: never
  register: syslog_activity
"""

RETURN = r"""
status:
  description: Worst status of all checks (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: critical
health:
  description: V(healthy) for ok, V(degraded) for warning, V(unhealthy) for critical or unknown.
  returned: always
  type: str
  sample: unhealthy
summary:
  description: One line naming every check that is not ok.
  returned: always
  type: str
  sample: "1 of 2 checks not ok: CRITICAL: errors: 3 matches in the last 5m of /var/log/app/app.log (7 lines)
    [by logger: db 2, (none) 1] (critical > 0)"
checks:
  description: One result per pattern (one for the files or the journal when O(patterns) is empty).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(log:) followed by the pattern name (or the paths, or C(journal), without patterns).
      type: str
      sample: "log:errors"
    kind:
      description: Always C(log).
      type: str
      sample: log
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description:
        - One human line; with O(group_by), the three largest groups in brackets.
        - 'With O(journal), for example "db errors: 2 matches in the last 30m of the journal in /tmp/hjournal/sample
          (3 entries; units app-api.service, app-worker@*.service; priority err and above)
          [by _SYSTEMD_UNIT: app-worker@1.service 1, app-worker@2.service 1] (critical > 1)".'
      type: str
      sample: "errors: 3 matches in the last 5m of /var/log/app/app.log (7 lines) [by logger: db 2, (none) 1] (critical > 0)"
    metrics:
      description: V(matches) (null when nothing could be read), V(lines_scanned) (with O(path)) or V(entries) (with
        O(journal); null when the journal could not be read), V(bytes_read).
      type: dict
      sample: {"matches": 3, "lines_scanned": 7, "bytes_read": 597}
    thresholds:
      description: The effective ranges of this result.
      type: dict
      sample: {"matches": {"critical": 0}}
    duration_ms:
      description: How long scanning all the files took.
      type: float
      sample: 0.273
    path:
      description: O(path) as given.
      type: list
      elements: str
      returned: with O(path)
      sample: ["/var/log/app/app.log"]
    since:
      description: O(since) as given (C(s) added to a plain number).
      type: str
      sample: 5m
    window_start:
      description: The start of the window, UTC.
      type: str
      sample: "2026-11-22T13:20:40Z"
    files:
      description: Every file looked at, with its V(path), V(bytes_read), V(lines_read) (non-blank lines read,
        including the first line older than the window), V(rotated) (read as the predecessor of a rotated file),
        and, when it was not read, V(skipped) or V(error) saying why.
      type: list
      elements: dict
      returned: with O(path)
      sample: [{"path": "/var/log/app/app.log", "bytes_read": 597, "lines_read": 8, "rotated": false}]
    journal:
      description: O(journal) as used (V(priority) by its name).
      type: dict
      returned: with O(journal)
      sample: {"directory": "/tmp/hjournal/sample", "identifiers": [], "max_entries": 100000, "priority": "err",
               "units": ["app-api.service", "app-worker@*.service"]}
    command:
      description: The journalctl command line that listed the entries (run without a shell, with C(LC_ALL=C)).
      type: str
      returned: with O(journal)
      sample: "/usr/bin/journalctl --no-pager --directory=/tmp/hjournal/sample --output=json --all --reverse
        --since=@1795669567.900833 --lines=100001 --output-fields=MESSAGE,_SYSTEMD_UNIT --priority=3
        --unit=app-api.service --unit=app-worker@*.service"
    truncated:
      description: Whether reading stopped at O(journal.max_entries), 128 MiB or O(journal.timeout) before the start of
        the window; the summary then says how far back the counts go.
      type: bool
      returned: with O(journal)
      sample: false
    entries_cut:
      description: How many entries were longer than 1 MiB of JSON, matched as text on their first 1 MiB.
      type: int
      returned: with O(journal)
      sample: 0
    pattern:
      description: The pattern's name.
      type: str
      returned: for a pattern's result
      sample: errors
    groups:
      description: Match counts per O(group_by) value, largest first.
      type: dict
      returned: when the pattern has a group_by
      sample: {"db": 2, "(none)": 1}
    last_match:
      description: The newest matching line (its first 500 characters), or null when nothing matched.
      type: str
      returned: when O(return_last_match=true)
      sample: '{"time": "2026-11-22T13:25:19.716Z", "level": "error", "logger": "db", "msg": "connection lost"}'
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _logscan
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_logscan)


if __name__ == "__main__":
    main()
