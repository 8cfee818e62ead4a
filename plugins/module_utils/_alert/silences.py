# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Silences without Alertmanager: ``{host, check, until, reason}``, shared by fleet_alert (what is not
sent) and fleet_report (what the reports mark silenced), so that both read one rule.

- ``host`` and ``check`` are shell-style patterns (``web*``, ``disk:/var*``), matched case-sensitively;
  a missing one is ``*``, but at least one of them must be given. The host-level alert of a host that
  could not report (no check name) is matched by a check pattern that matches the empty text: ``*``.
- ``until`` is an ISO 8601 time with its UTC offset (``2026-12-01T18:00:00Z``,
  ``2026-12-01T19:00:00+01:00``); a silence whose time has passed is ignored.
- ``reason`` is required: a silence nobody can explain three weeks later is a hidden outage.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import datetime
import fnmatch

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError

TIME_ACCEPTED = "an ISO 8601 time with its UTC offset, such as 2026-12-01T18:00:00Z or 2026-12-01T19:00:00+01:00"
FIELDS = ("host", "check", "until", "reason")
MAX_PATTERN = 500
MAX_REASON = 500


class SilenceError(SreHealthError):
    """A silence that cannot be used: the message names the option and the entry."""


class Silence(object):
    """One silence: patterns, the end (epoch seconds and its text in UTC) and the reason."""

    __slots__ = ("host", "check", "until", "until_text", "reason", "index")

    def __init__(self, host, check, until, reason, index):
        self.host = host
        self.check = check
        self.until = until
        self.until_text = iso_utc(until)
        self.reason = reason
        self.index = index

    def matches(self, host, check):
        return fnmatch.fnmatchcase(host, self.host) and fnmatch.fnmatchcase(check or "", self.check)

    def mark(self):
        """What reports and results show: ``{until, reason}``."""
        return dict(until=self.until_text, reason=self.reason)

    def text(self):
        return "silenced until %s (%s)" % (self.until_text, self.reason)


def iso_utc(epoch):
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def parse_time(where, value):
    """Epoch seconds from an ISO 8601 time with an offset (text, or a datetime YAML already parsed)."""
    moment = None
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise SilenceError("option %s: %r is not a time; accepted: %s" % (where, value, TIME_ACCEPTED))
    if moment is None:
        raise SilenceError("option %s: %r is invalid; accepted: %s" % (where, value, TIME_ACCEPTED))
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise SilenceError("option %s: %r has no UTC offset, so it means a different time on each machine; "
                           "accepted: %s" % (where, str(value), TIME_ACCEPTED))
    return moment.timestamp()


def _pattern(where, value):
    if value is None:
        return "*"
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PATTERN:
        raise SilenceError("option %s: %r is invalid; accepted: a shell-style pattern such as web* or disk:/var* "
                           "(at most %d characters)" % (where, value, MAX_PATTERN))
    return value.strip()


def parse_silences(value, option="silences"):
    """The silences, checked once: a list of Silence (expired ones included: ``active`` filters)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SilenceError("option %s: %r is invalid; accepted: a list of {host, check, until, reason}"
                           % (option, type(value).__name__))
    silences = []
    for index, entry in enumerate(value):
        where = "%s[%d]" % (option, index)
        if not isinstance(entry, dict):
            raise SilenceError("option %s: %r is invalid; accepted: a dict {host, check, until, reason}"
                               % (where, entry))
        unknown = sorted(str(k) for k in entry if k not in FIELDS)
        if unknown:
            raise SilenceError("option %s: unknown field(s) %s; accepted: host, check, until, reason"
                               % (where, ", ".join(unknown)))
        if entry.get("host") is None and entry.get("check") is None:
            raise SilenceError("option %s: no host or check pattern; accepted: host and/or check patterns "
                               "(such as host: web1, check: '*' to silence a whole host)" % where)
        host = _pattern(where + ".host", entry.get("host"))
        check = _pattern(where + ".check", entry.get("check"))
        if "until" not in entry:
            raise SilenceError("option %s: until is missing; accepted: %s" % (where, TIME_ACCEPTED))
        until = parse_time(where + ".until", entry.get("until"))
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise SilenceError("option %s.reason: %r is invalid; accepted: a text saying why (a ticket, a "
                               "maintenance), shown in the reports" % (where, reason))
        reason = " ".join(reason.split())
        if len(reason) > MAX_REASON:
            reason = reason[:MAX_REASON - 3] + "..."
        silences.append(Silence(host, check, until, reason, index))
    return silences


def active(silences, now):
    """The silences that have not ended at ``now``."""
    return [s for s in silences if s.until > now]


def find(silences, host, check, now):
    """The active silence that matches (the one that lasts longest), or None."""
    found = None
    for silence in silences:
        if silence.until > now and silence.matches(host, check) and (found is None or silence.until > found.until):
            found = silence
    return found
