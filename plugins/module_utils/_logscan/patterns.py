# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``patterns`` of a log check: regexes on text lines, field matches on JSON lines."""

from __future__ import annotations

import json

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, ThresholdError
from ansible_collections.sre.health.plugins.module_utils._pattern import compile_regex
from ansible_collections.sre.health.plugins.module_utils._ranges import NagiosRange, RangeError
from ansible_collections.sre.health.plugins.module_utils._units import COUNT

NO_GROUP = "(none)"

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

    def match(self, text, obj, text_line=False):
        """``(matched, group)``: whether the line matches, and its group_by value.

        ``text_line``: ``obj`` holds fields that come with a text line (a journal entry whose message
        is not JSON); a field it lacks falls back to the regex, as on a text line of a mixed log.
        """
        found = None
        present, value = lookup(obj, self.field) if self.field is not None and obj is not None else (False, None)
        if present:
            if self.equals is not None and not any(_equal(value, e) for e in self.equals):
                return False, None
            if self.field_regex is not None:
                found = self.field_regex.search(value_text(value))
                if not found:
                    return False, None
        elif self.field is not None and obj is not None and not text_line:
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


def _parse_level(option, text):
    try:
        return NagiosRange.parse(text, COUNT)
    except RangeError as exc:
        raise ThresholdError(option, str(exc))


def _matching(option, entry, field):
    """``(equals, field_regex)`` of one entry, checked."""
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
        field_regex = compile_regex(option + ".field_regex", field_regex)
    return equals, field_regex


def _levels(option, entry):
    levels = {}
    for level in ("warning", "critical"):
        text = entry.get(level)
        if text is None:
            continue
        levels[level] = None if text == "" else _parse_level("%s.%s" % (option, level), text)
    return levels


def _name(option, entry, names, index):
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise OptionError(option + ".name", name, "a non-empty string")
    if name in names:
        raise OptionError(option + ".name", name, "a name not used by patterns[%d]" % names[name])
    names[name] = index
    return name


def parse_pattern(index, entry, names, group_by):
    """One entry of ``patterns`` as a Pattern; ``names`` maps the names seen so far to their index."""
    option = "patterns[%d]" % index
    if not isinstance(entry, dict):
        raise OptionError(option, entry, "a dict such as {name: errors, regex: 'ERROR'}")
    unknown = sorted(set(entry) - set(PATTERN_OPTIONS))
    if unknown:
        raise OptionError("%s.%s" % (option, unknown[0]), entry[unknown[0]],
                          "keys %s" % ", ".join(sorted(PATTERN_OPTIONS)))
    name = _name(option, entry, names, index)
    regex = None
    if entry.get("regex") is not None:
        regex = compile_regex(option + ".regex", entry["regex"])
    field = entry.get("field")
    if field is not None and (not isinstance(field, str) or not field.strip()):
        raise OptionError(option + ".field", field, "a JSON field name or dotted path such as http.status")
    if field is None and regex is None:
        raise OptionError(option, entry, "regex, or field (with equals or field_regex), or both")
    equals, field_regex = _matching(option, entry, field)
    own_group = entry.get("group_by")
    if own_group is not None and (not isinstance(own_group, str) or not own_group.strip()):
        raise OptionError(option + ".group_by", own_group, "a JSON field name or a regex named group")
    return Pattern(index, name, regex, field, equals, field_regex, own_group or group_by, _levels(option, entry))


def parse_patterns(entries, group_by):
    """Every entry of ``patterns``, checked, as Pattern objects."""
    entries = entries or []
    if not isinstance(entries, list):
        raise OptionError("patterns", entries, "a list of {name, regex} or {name, field, equals/field_regex}")
    names = {}
    return [parse_pattern(index, entry, names, group_by) for index, entry in enumerate(entries)]
