# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Numbers with units, as thresholds write them.

Pure logic, no Ansible imports. Every metric has a unit kind; a threshold number may carry a
unit only when that unit belongs to the metric's kind, and is converted to the metric's base
unit (bytes, milliseconds, seconds, percent, or a plain count).
"""

from __future__ import annotations

import math
import re

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError

BYTES = "bytes"
PERCENT = "percent"
MILLISECONDS = "milliseconds"
SECONDS = "seconds"
DAYS = "days"
COUNT = "count"

UNIT_KINDS = (BYTES, PERCENT, MILLISECONDS, SECONDS, DAYS, COUNT)

_BYTE_UNITS = {
    "B": 1,
    "KB": 1000,
    "MB": 1000 ** 2,
    "GB": 1000 ** 3,
    "TB": 1000 ** 4,
    "KIB": 1024,
    "MIB": 1024 ** 2,
    "GIB": 1024 ** 3,
    "TIB": 1024 ** 4,
}

# Durations in seconds; converted to the metric's own duration base below.
_DURATION_UNITS = {
    "MS": 0.001,
    "S": 1,
    "M": 60,
    "H": 3600,
    "D": 86400,
}

_DURATION_BASE = {MILLISECONDS: 0.001, SECONDS: 1, DAYS: 86400}

ACCEPTED_UNITS = {
    BYTES: "B, KB, MB, GB, TB, KiB, MiB, GiB, TiB",
    PERCENT: "%",
    MILLISECONDS: "ms, s, m, h, d",
    SECONDS: "ms, s, m, h, d",
    DAYS: "ms, s, m, h, d",
    COUNT: "no unit",
}

_NUMBER_RE = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z%]*)\s*$")


BASE_UNIT_TEXT = {BYTES: "bytes", MILLISECONDS: "milliseconds", SECONDS: "seconds", PERCENT: "percent"}


class UnitError(SreHealthError):
    """A number or unit that cannot be read, or a unit that does not fit the metric."""


class UnitOverflow(UnitError):
    """A finite number that its unit makes infinite (``1e300TiB``, ``1e308d``)."""


def parse_quantity(text, kind):
    """Read ``text`` (a number, optionally with a unit) as a float in the base unit of ``kind``.

    >>> parse_quantity("10GiB", BYTES)
    10737418240.0
    """
    if kind not in UNIT_KINDS:
        raise UnitError("unknown unit kind %r" % (kind,))
    if isinstance(text, bool):
        raise UnitError("%r is not a number" % (text,))
    if isinstance(text, (int, float)):
        value = float(text)
        if not math.isfinite(value):
            raise UnitError("%r is not a finite number" % (text,))
        return value
    if not isinstance(text, str):
        raise UnitError("%r is not a number" % (text,))
    match = _NUMBER_RE.match(text)
    if not match:
        raise UnitError("%r is not a number with an optional unit" % (text,))
    value = float(match.group(1))
    if not math.isfinite(value):
        raise UnitError("%r is not a finite number" % (text,))
    scaled = _scale(value, match.group(2), kind)
    if not math.isfinite(scaled):
        raise UnitOverflow("%r is too large: it is not a finite number in %s" % (text, BASE_UNIT_TEXT.get(kind, kind)))
    return scaled


def _scale(value, unit, kind):
    """``value`` given in ``unit`` (empty: the base unit), in the base unit of ``kind``."""
    if not unit:
        return value
    upper = unit.upper()
    if kind == BYTES and upper in _BYTE_UNITS:
        return value * _BYTE_UNITS[upper]
    if kind == PERCENT and unit == "%":
        return value
    if kind in _DURATION_BASE and upper in _DURATION_UNITS:
        return value * _DURATION_UNITS[upper] / _DURATION_BASE[kind]
    raise UnitError("unit %r does not fit a %s metric (accepted units: %s)" % (unit, kind, ACCEPTED_UNITS[kind]))


def _trim(number):
    if number == int(number) and abs(number) < 1e15:
        return "%d" % number
    return ("%.1f" % number) if abs(number) >= 10 else ("%.2f" % number).rstrip("0").rstrip(".")


def format_quantity(value, kind):
    """Format a value of ``kind`` for a human summary line."""
    if value is None:
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if kind == BYTES:
        magnitude = abs(value)
        for unit, factor in (("TiB", 1024 ** 4), ("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
            if magnitude >= factor:
                return "%s %s" % (_trim(round(value / factor, 1)), unit)
        return "%s B" % _trim(value)
    if kind == PERCENT:
        return "%s%%" % _trim(round(value, 1))
    if kind == MILLISECONDS:
        return "%s ms" % _trim(round(value, 1))
    if kind == SECONDS and abs(value) >= 120:
        # "1d 2h" reads better than "93600 s" (_duration imports this module: imported here)
        from ansible_collections.sre.health.plugins.module_utils._duration import format_duration
        return format_duration(value, approximate=True)
    if kind == SECONDS:
        return "%s s" % _trim(round(value, 1))
    if kind == DAYS:
        return "%s d" % _trim(round(value, 1))
    return _trim(round(value, 2))


def count_of(count, noun):
    """``1 host``, ``2 hosts``, ``0 hosts``: a count and its noun in good English (a plural in ``s``)."""
    return "%d %s%s" % (count, noun, "" if count == 1 else "s")
