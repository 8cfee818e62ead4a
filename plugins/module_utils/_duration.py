# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Durations in options (``15m``, ``4h``, ``90``) and in messages (``1m30s``, ``2h 5m``), written once.

Every duration option has a lower and an upper bound and must be a finite number: ``1e308d`` or
``inf`` is an :class:`~._errors.OptionError` naming the option, never an ``inf`` that turns into an
OverflowError later (a date computed from it, an ``int()`` of it).

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import math

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._units import SECONDS, UnitError, UnitOverflow, parse_quantity

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
# No option of the collection needs more: a cooldown, a reminder, a restart window or a log
# window of more than a year is a typo, and the bound keeps every date computed from it valid.
MAX_SECONDS = 366 * DAY

UNITS_ACCEPTED = "units ms, s, m, h, d; a plain number is seconds"

_PARTS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


class DurationError(OptionError):
    """A duration option out of its range; the message says what is wrong with the value."""

    def __init__(self, option, value, problem, accepted):
        super(DurationError, self).__init__(option, value, accepted)
        if problem != "invalid":
            self.args = ("option %s: %r is %s; accepted: %s" % (option, value, problem, accepted),)


def parse_duration(option, value, accepted, minimum=0.0, inclusive=True, maximum=MAX_SECONDS, empty=None):
    """Seconds from ``value`` (a number of seconds, or text such as ``90s``, ``15m``, ``1.5h``, ``1d``).

    ``accepted`` is the option's own description of what it takes. The value must be finite and
    within ``minimum`` (``inclusive`` or not) and ``maximum``; ``empty`` is what None and ``""``
    mean (None: they are invalid). Raises DurationError (an OptionError) naming ``option``.
    """
    if value is None or value == "":
        if empty is None:
            raise DurationError(option, value, "invalid", accepted)
        return float(empty)
    if isinstance(value, bool):
        raise DurationError(option, value, "invalid", accepted)
    try:
        seconds = parse_quantity(value.strip() if isinstance(value, str) else value, SECONDS)
    except UnitOverflow:
        # 1e308d is a finite number of days but not of seconds
        raise DurationError(option, value, "not a finite duration", accepted)
    except UnitError:
        raise DurationError(option, value, "invalid", accepted)
    if seconds < 0 and minimum == 0 and inclusive:
        # 0 is accepted: a negative value is the only kind below it
        raise DurationError(option, value, "negative", accepted)
    if seconds < minimum or (seconds == minimum and not inclusive):
        raise DurationError(option, value, "invalid", accepted)
    if seconds > maximum:
        raise DurationError(option, value, "longer than %s" % format_duration(maximum), accepted)
    return seconds


def format_duration(seconds, approximate=False):
    """A duration as the options are written.

    Exact (the default): every unit, no spaces, tenths below a minute: ``0.5s``, ``10s``,
    ``1m30s``, ``15m``, ``1d1h``. Approximate: the largest unit and the next one, whole seconds,
    enough at a glance: ``12s``, ``4m 10s``, ``2h 5m``, ``3d 4h`` (below one second, tenths).
    """
    if seconds is None or not math.isfinite(seconds):
        return "%s" % seconds
    if seconds < 0:
        return "-" + format_duration(-seconds, approximate)
    if (seconds < MINUTE and not approximate) or (approximate and seconds < 1):
        return "%gs" % round(seconds, 1)
    whole = int(seconds) if approximate else int(round(seconds))
    parts = []
    for unit, size in _PARTS:
        if whole >= size or (unit == "s" and not parts):
            parts.append("%d%s" % (whole // size, unit))
            whole %= size
    if approximate:
        # the largest unit, and the next one when it is not zero
        first = parts[0]
        index = [u for u, _s in _PARTS].index(first[-1])
        following = _PARTS[index + 1][0] if index + 1 < len(_PARTS) else None
        shown = [first] + [p for p in parts[1:2] if p[-1] == following]
        return " ".join(shown)
    return "".join(parts)
