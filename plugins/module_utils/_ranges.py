# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Nagios threshold ranges, exactly as the monitoring-plugins developer guidelines define them.

``[@]start:end``: ``N`` is ``0:N``; ``N:`` is N..+inf; ``~`` as start is -inf; the endpoints
are inside the range. A value alerts when it is OUTSIDE start..end, or, with a leading ``@``,
when it is INSIDE. start > end is an error. Numbers may carry units (see _units).

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import math

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._units import (
    COUNT,
    UnitError,
    format_quantity,
    parse_quantity,
)

RANGE_SYNTAX = "[@]start:end, N (means 0:N), N: (N to infinity), ~:N (minus infinity to N)"


class RangeError(SreHealthError):
    """A range string that is not valid Nagios range syntax (the message says why)."""


class NagiosRange(object):
    """A parsed threshold range; ``alerts(value)`` tells whether a value breaches it."""

    __slots__ = ("text", "start", "end", "inside", "kind")

    def __init__(self, text, start, end, inside, kind):
        self.text = text
        self.start = start
        self.end = end
        self.inside = inside
        self.kind = kind

    @classmethod
    def parse(cls, text, kind=COUNT):
        """Parse ``text`` (a string, or a plain int/float meaning ``0:N``) for a metric of ``kind``."""
        if isinstance(text, bool) or text is None:
            raise RangeError("%r is not a range; accepted: %s" % (text, RANGE_SYNTAX))
        if isinstance(text, (int, float)):
            body = text
            original = text
            if isinstance(text, float) and not math.isfinite(text):
                raise RangeError("%r is not a finite number; accepted: %s" % (text, RANGE_SYNTAX))
            return cls._build(original, 0.0, float(body), False, kind)
        if not isinstance(text, str):
            raise RangeError("%r is not a range; accepted: %s" % (text, RANGE_SYNTAX))
        original = text
        body = text.strip()
        inside = False
        if body.startswith("@"):
            inside = True
            body = body[1:].strip()
        if not body:
            raise RangeError("%r is empty; accepted: %s" % (original, RANGE_SYNTAX))
        if ":" in body:
            start_text, end_text = body.split(":", 1)
            if ":" in end_text:
                raise RangeError("%r has more than one ':'; accepted: %s" % (original, RANGE_SYNTAX))
            start_text = start_text.strip()
            end_text = end_text.strip()
            if start_text == "~":
                start = -math.inf
            elif start_text == "":
                start = 0.0
            else:
                start = cls._number(original, start_text, kind, "start")
            if end_text == "":
                end = math.inf
            elif end_text == "~":
                raise RangeError(
                    "%r: '~' (minus infinity) is only valid as the start; leave the end empty "
                    "for plus infinity; accepted: %s" % (original, RANGE_SYNTAX)
                )
            else:
                end = cls._number(original, end_text, kind, "end")
        else:
            if body == "~":
                raise RangeError("%r: '~' needs an end, as in '~:10'; accepted: %s" % (original, RANGE_SYNTAX))
            start = 0.0
            end = cls._number(original, body, kind, "end")
        return cls._build(original, start, end, inside, kind)

    @classmethod
    def _build(cls, original, start, end, inside, kind):
        if start > end:
            raise RangeError(
                "%r: start %s is greater than end %s; accepted: %s"
                % (original, format_quantity(start, kind), format_quantity(end, kind), RANGE_SYNTAX)
            )
        return cls(original, start, end, inside, kind)

    @staticmethod
    def _number(original, text, kind, which):
        try:
            return parse_quantity(text, kind)
        except UnitError as exc:
            raise RangeError("%r: %s %r: %s; accepted ranges: %s" % (original, which, text, exc, RANGE_SYNTAX))

    def alerts(self, value):
        """True when ``value`` breaches this range (outside it, or inside it with ``@``)."""
        within = self.start <= value <= self.end
        return within if self.inside else not within

    def describe(self):
        """The alert condition in words, e.g. ``> 90%`` or ``< 1``."""
        fmt = format_quantity
        lo, hi, kind = self.start, self.end, self.kind
        if self.inside:
            if lo == -math.inf and hi == math.inf:
                return "always"
            if lo == -math.inf:
                return "<= %s" % fmt(hi, kind)
            if hi == math.inf:
                return ">= %s" % fmt(lo, kind)
            if lo == hi:
                return "= %s" % fmt(lo, kind)
            return "within %s..%s" % (fmt(lo, kind), fmt(hi, kind))
        if lo == -math.inf and hi == math.inf:
            return "never"
        # Every metric here is non-negative, so 0:N reads best as "> N".
        if lo == -math.inf or lo == 0:
            return "> %s" % fmt(hi, kind)
        if hi == math.inf:
            return "< %s" % fmt(lo, kind)
        if lo == hi:
            return "!= %s" % fmt(lo, kind)
        return "outside %s..%s" % (fmt(lo, kind), fmt(hi, kind))

    def __repr__(self):
        return "NagiosRange(%r)" % (self.text,)
