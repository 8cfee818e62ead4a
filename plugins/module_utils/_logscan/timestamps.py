# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Timestamps of log lines, as epoch seconds.

ISO 8601 (also ``2024/11/22 11:05:01`` as Go's log writes it), RFC 3164 syslog
(``Nov 22 11:05:01``, year inferred), the common log format (``[22/Nov/2024:11:05:01 +0000]``),
and JSON fields ``time``, ``timestamp``, ``ts``, ``@timestamp`` (ISO text or epoch
seconds/ms/us/ns). A timestamp without a zone is local time. Pure logic, thread-safe.
"""

from __future__ import annotations

import datetime
import math
import re

TIME_FIELDS = ("time", "timestamp", "ts", "@timestamp", "__REALTIME_TIMESTAMP")

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
