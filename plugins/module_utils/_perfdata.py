# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Nagios plugin output: the summary line, the long output and the performance data.

As the monitoring-plugins development guidelines define them:

- the first line is ``TEXT | PERFDATA``; the lines after it are long text, and everything after
  the first ``|`` of those lines is more performance data (which may span lines);
- performance data is a space separated list of ``'label'=value[UOM];[warn];[crit];[min];[max]``:
  a label with spaces is quoted with single quotes, a quote inside it is written twice
  (``'it''s'``); empty fields may be left empty, trailing ones left out; ``value`` may be ``U``
  (the plugin could not determine it); ``warn`` and ``crit`` are Nagios ranges in the value's
  unit; UOM is one of ``s ms us % B KB MB GB TB c`` or nothing.

Each item becomes a metric in the collection's base units: seconds (``s ms us``), percent,
bytes (``B KB MB GB TB``, powers of 1024 as check_disk means them), or a plain number (no unit,
``c``). A UOM outside the guidelines keeps the number as it is, and says so.

Parsing never raises: a malformed item is skipped with a reason (``problems``), the rest is kept;
a malformed warn, crit, min or max is left out of its item (the value kept), with a reason too.
A number must be finite once in base units: ``1e306TB`` is past the largest float in bytes, and
``1e999`` (or ``inf``, ``nan``) in any field is no number; such a value skips its item, such a
bound is left out.
The text is the plugin's, so it is hostile: every loop is linear in its length.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import math
import re

from ansible_collections.sre.health.plugins.module_utils._ranges import NagiosRange, RangeError
from ansible_collections.sre.health.plugins.module_utils._units import BASE_UNIT_TEXT, BYTES, COUNT, PERCENT, SECONDS

# UOM -> (unit kind, factor to the base unit).
UNITS = {
    "": (COUNT, 1.0),
    "c": (COUNT, 1.0),
    "%": (PERCENT, 1.0),
    "s": (SECONDS, 1.0),
    "ms": (SECONDS, 1e-3),
    "us": (SECONDS, 1e-6),
    "B": (BYTES, 1.0),
    "KB": (BYTES, 1024.0),
    "MB": (BYTES, 1024.0 ** 2),
    "GB": (BYTES, 1024.0 ** 3),
    "TB": (BYTES, 1024.0 ** 4),
}
# Not in the guidelines, but printed by some plugins: read them too (case aside, KiB...).
_BYTE_ALIASES = {"KIB": "KB", "MIB": "MB", "GIB": "GB", "TIB": "TB", "KB": "KB", "MB": "MB", "GB": "GB",
                 "TB": "TB"}

UOM_ACCEPTED = "s, ms, us, %, B, KB, MB, GB, TB, c or none"

# How many items one output may carry (the rest is skipped, and said so).
MAX_ITEMS = 500
# How many problems a result lists.
MAX_PROBLEMS = 20
# How much of a malformed item a problem shows.
SHOWN = 60

_VALUE_RE = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)([^\d;]*)$")
_NUMBER_RE = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")


class Item(object):
    """One performance data item: ``label``, ``value`` (base units, None for ``U``), ``kind`` (unit
    kind), ``uom`` as printed, ``warning``/``critical`` (NagiosRange in base units or None),
    ``minimum``/``maximum`` (base units or None) and ``raw`` (the item as printed)."""

    __slots__ = ("label", "value", "kind", "uom", "warning", "critical", "minimum", "maximum", "raw")

    def __init__(self, label, value, kind, uom, raw):
        self.label = label
        self.value = value
        self.kind = kind
        self.uom = uom
        self.raw = raw
        self.warning = self.critical = self.minimum = self.maximum = None

    def as_dict(self):
        return {
            "label": self.label,
            "value": self.value,
            "uom": self.uom,
            "warning": self.warning.text if self.warning is not None else None,
            "critical": self.critical.text if self.critical is not None else None,
            "min": self.minimum,
            "max": self.maximum,
        }


class Output(object):
    """A plugin's parsed output: ``summary`` (first line before ``|``), ``long_text`` (the lines
    after it, without their performance data), ``items`` and ``problems`` (skipped items)."""

    def __init__(self, summary, long_text, items, problems):
        self.summary = summary
        self.long_text = long_text
        self.items = items
        self.problems = problems


def split_output(text):
    """``(summary, long_text, perfdata text)`` of a plugin's whole output."""
    first, _sep, rest = text.partition("\n")
    summary, _bar, perf = first.partition("|")
    long_text, found, more = rest.partition("|")
    if found:
        perf = perf + " " + more
    return summary.strip(), long_text.rstrip(), perf


def parse_output(text):
    """The whole output of a plugin, parsed (see the module documentation); never raises."""
    summary, long_text, perf = split_output(text)
    items, problems = parse_perfdata(perf)
    return Output(summary, long_text, items, problems)


def _shown(raw):
    return raw if len(raw) <= SHOWN else raw[:SHOWN] + "..."


def _quoted_label(text, pos):
    """A quoted label starting at ``text[pos] == "'"``: (label, position after the closing quote) or
    (None, the position of the next white space) when the quote is not closed."""
    parts = []
    i = pos + 1
    end = len(text)
    while i < end:
        quote = text.find("'", i)
        if quote < 0:
            break
        parts.append(text[i:quote])
        if quote + 1 < end and text[quote + 1] == "'":
            parts.append("'")
            i = quote + 2
            continue
        return "".join(parts), quote + 1
    stop = pos
    while stop < end and not text[stop].isspace():
        stop += 1
    return None, stop


def _next_token(text, pos):
    """The next item from ``pos``: (label or None, data text, raw text, next position, problem)."""
    end = len(text)
    if text[pos] == "'":
        label, after = _quoted_label(text, pos)
        if label is None:
            return None, "", text[pos:after], after, "unterminated quoted label"
    else:
        after = pos
        while after < end and text[after] not in "= \t\r\n\v\f":
            after += 1
        label = text[pos:after]
    stop = after
    while stop < end and not text[stop].isspace():
        stop += 1
    raw = text[pos:stop]
    if after >= end or text[after] != "=":
        return None, "", raw, stop, "no '=' after the label"
    return label, text[after + 1:stop], raw, stop, None


def _tokens(text):
    """Every (label, data, raw, problem) of a performance data text, in order."""
    pos = 0
    end = len(text)
    while pos < end:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return
        label, data, raw, pos, problem = _next_token(text, pos)
        yield label, data, raw, problem


def _unit(uom):
    """(unit kind, factor, note) of a UOM; unknown UOMs are plain numbers with a note."""
    if uom in UNITS:
        kind, factor = UNITS[uom]
        return kind, factor, None
    alias = _BYTE_ALIASES.get(uom.upper())
    if alias is not None:
        kind, factor = UNITS[alias]
        return kind, factor, None
    return COUNT, 1.0, "unit %r is not one of %s: kept as a plain number" % (uom, UOM_ACCEPTED)


class _NotFinite(ValueError):
    """A number that is no finite float once in base units (``1e306TB``, ``1e999``)."""


def _not_finite(kind, factor):
    """Why a number is refused: not finite as printed, or only once converted to ``kind``'s base unit."""
    if factor == 1.0:
        return "is not a finite number"
    return "is not a finite number in %s (too large)" % BASE_UNIT_TEXT.get(kind, kind)


def _base(number, factor, kind=COUNT):
    """``number`` in base units: an int when it is a whole number a float holds exactly; raises
    _NotFinite when it is past the largest float (int() of an infinity would raise OverflowError)."""
    if not math.isfinite(number):
        raise _NotFinite(_not_finite(kind, 1.0))
    value = number * factor
    if not math.isfinite(value):
        raise _NotFinite(_not_finite(kind, factor))
    if value == int(value) and abs(value) < 2 ** 53:
        return int(value)
    return value


def _bound_text(number):
    if number == int(number) and abs(number) < 2 ** 53:
        return "%d" % number
    return "%.15g" % number


def range_text(start, end, inside):
    """A Nagios range's text from its bounds (``~`` and an empty end for the infinities)."""
    lo = "~" if start == -math.inf else _bound_text(start)
    hi = "" if end == math.inf else _bound_text(end)
    text = hi if lo == "0" and hi else "%s:%s" % (lo, hi)
    return ("@" if inside else "") + text


def _range(text, kind, factor):
    """A plugin's warn or crit, in base units: NagiosRange, or None; raises RangeError, or _NotFinite
    for a bound that is a number as printed but none in base units."""
    body = text.lstrip("@").strip()
    for bound in body.split(":") if body.count(":") == 1 else [body]:
        bound = bound.strip()
        if _NUMBER_RE.match(bound) and not math.isfinite(float(bound)):
            raise _NotFinite(_not_finite(kind, 1.0))
    parsed = NagiosRange.parse(text, COUNT)
    start, end = parsed.start * factor, parsed.end * factor
    # the infinities of "N:" and "~:N" stay as they are; a finite bound must stay finite
    if (math.isfinite(parsed.start) and not math.isfinite(start)) or (math.isfinite(parsed.end) and not math.isfinite(end)):
        raise _NotFinite(_not_finite(kind, factor))
    shown = text if factor == 1.0 else range_text(start, end, parsed.inside)
    return NagiosRange(shown, start, end, parsed.inside, kind)


def _fields(item, fields, factor, notes):
    """Fill warn, crit, min and max of ``item``; a bad field is left out with a note."""
    names = ("warning", "critical", "min", "max")
    for name, text in zip(names, fields):
        text = text.strip()
        if not text:
            continue
        if name in ("warning", "critical"):
            try:
                setattr(item, name, _range(text, item.kind, factor))
            except _NotFinite as exc:
                notes.append("%s: %s %r %s: left out" % (item.label, name, _shown(text), exc))
            except RangeError:
                notes.append("%s: %s %r is not a Nagios range: left out" % (item.label, name, _shown(text)))
            continue
        if not _NUMBER_RE.match(text):
            notes.append("%s: %s %r is not a number: left out" % (item.label, name, _shown(text)))
            continue
        try:
            setattr(item, "minimum" if name == "min" else "maximum", _base(float(text), factor, item.kind))
        except _NotFinite as exc:
            notes.append("%s: %s %r %s: left out" % (item.label, name, _shown(text), exc))


def parse_item(label, data, raw):
    """One item from its label and ``value[UOM];warn;crit;min;max`` text: ``(item or None, notes)``."""
    if label == "":
        return None, ["%r: empty label" % _shown(raw)]
    fields = data.split(";")
    if len(fields) > 5:
        return None, ["%r: more than 5 fields" % _shown(raw)]
    head = fields[0].strip()
    notes = []
    if head == "U":
        item = Item(label, None, COUNT, "", raw)
        _fields(item, fields[1:], 1.0, notes)
        return item, notes
    match = _VALUE_RE.match(head)
    if not match:
        return None, ["%r: value %r is not a number" % (_shown(raw), _shown(head))]
    kind, factor, note = _unit(match.group(2))
    try:
        value = _base(float(match.group(1)), factor, kind)
    except _NotFinite as exc:
        return None, ["%r: value %s" % (_shown(raw), exc)]
    if note:
        notes.append("%s: %s" % (label, note))
    item = Item(label, value, kind, match.group(2), raw)
    _fields(item, fields[1:], factor, notes)
    return item, notes


def parse_perfdata(text):
    """``(items, problems)`` of a performance data text; items in order, duplicated labels skipped."""
    items = []
    problems = []
    seen = set()
    for label, data, raw, problem in _tokens(text or ""):
        if len(items) >= MAX_ITEMS:
            problems.append("more than %d items: the rest is skipped" % MAX_ITEMS)
            break
        if problem:
            problems.append("%r: %s: skipped" % (_shown(raw), problem))
            continue
        item, notes = parse_item(label, data, raw)
        problems.extend(n if item is not None else n + ": skipped" for n in notes)
        if item is None:
            continue
        if item.label in seen:
            problems.append("%r: label %r already given: skipped" % (_shown(raw), item.label))
            continue
        seen.add(item.label)
        items.append(item)
    return items, problems[:MAX_PROBLEMS]
