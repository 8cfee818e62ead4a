# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``json`` option of the http kind: dotted paths into a JSON answer, and JSON equality.

``data.items.0.state``: keys separated by ``.``, a number indexes a list (``-1`` is the last
item), ``\\.`` is a literal dot in a key. Values compare as JSON does: ``true`` is not ``1``
and ``"5"`` is not ``5``, but ``5`` is ``5.0``.

Pure logic, standard library only.
"""

from __future__ import annotations

import json

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError

JSON_PATH_SYNTAX = (
    "dotted paths such as data.items.0.state: keys separated by '.', a number indexes a list "
    "(-1 is the last item), '\\.' is a literal dot in a key"
)


def parse_json_path(path):
    """Split ``data.items.0.state`` into ["data", "items", "0", "state"]; ``\\.`` is a literal dot."""
    if not isinstance(path, str) or not path:
        raise OptionError("json", path, JSON_PATH_SYNTAX)
    segments = []
    current = []
    i = 0
    while i < len(path):
        char = path[i]
        if char == "\\" and i + 1 < len(path) and path[i + 1] in ".\\":
            current.append(path[i + 1])
            i += 2
            continue
        if char == ".":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    segments.append("".join(current))
    if any(segment == "" for segment in segments):
        raise OptionError("json", path, "%s (empty segment)" % JSON_PATH_SYNTAX)
    return segments


def parse_expectations(json_opt):
    """The ``json`` option as sorted ``(path, segments, expected)`` triples."""
    if not isinstance(json_opt, dict) or not json_opt:
        raise OptionError("json", json_opt, "a dict of path -> expected value, with %s" % JSON_PATH_SYNTAX)
    return [(path, parse_json_path(path), json_opt[path]) for path in sorted(json_opt)]


def same(actual, expected):
    """JSON equality where true is not 1 and "5" is not 5, but 5 is 5.0."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and actual == expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return actual == expected
    if isinstance(expected, dict) and isinstance(actual, dict):
        return set(expected) == set(actual) and all(same(actual[k], expected[k]) for k in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(same(a, e) for a, e in zip(actual, expected))
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, str) and isinstance(actual, str):
        return expected == actual
    return False


def json_text(value, limit=60):
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Missing(Exception):
    """A path that does not lead anywhere in the document; the message says where it stopped."""


def _step(current, segment, here):
    if isinstance(current, dict):
        if segment not in current:
            keys = sorted(str(k) for k in current)
            shown = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
            raise Missing("%s has no key %r (keys: %s)" % (here, segment, shown or "none"))
        return current[segment]
    if isinstance(current, list):
        try:
            index = int(segment)
        except ValueError:
            raise Missing("%s is a list of %d items: %r is not an index" % (here, len(current), segment))
        if not -len(current) <= index < len(current):
            plural = "" if len(current) == 1 else "s"
            raise Missing("%s has %d item%s: no index %d" % (here, len(current), plural, index))
        return current[index]
    raise Missing("%s is %s, not an object or a list" % (here, json_text(current)))


def lookup(document, segments):
    """Follow ``segments`` into ``document``; raise Missing with a reason naming where it stopped."""
    current = document
    walked = []
    for segment in segments:
        here = ".".join(s.replace(".", "\\.") for s in walked) or "the document"
        current = _step(current, segment, here)
        walked.append(segment)
    return current


def problems(document, expectations):
    """``critical: ...`` texts for the expectations ``document`` does not hold."""
    found = []
    for path, segments, expected in expectations:
        try:
            actual = lookup(document, segments)
        except Missing as exc:
            found.append("critical: json path %s not found: %s" % (path, exc))
            continue
        if not same(actual, expected):
            found.append("critical: json %s is %s, expected %s" % (path, json_text(actual), json_text(expected)))
    return found
