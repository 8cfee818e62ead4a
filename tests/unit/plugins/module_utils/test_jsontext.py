# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""JSON from untrusted text, its nesting measured before json.loads recurses into it."""

from __future__ import annotations

import json
import random

import pytest

from ansible_collections.sre.health.plugins.module_utils import _jsontext
from ansible_collections.sre.health.plugins.module_utils._jsontext import MAX_DEPTH, TooDeep, loads, too_deep


def depth(value):
    """The nesting of a parsed document, without recursion."""
    deepest = 0
    todo = [(value, 0)]
    while todo:
        current, level = todo.pop()
        if isinstance(current, (list, dict)):
            level += 1
            deepest = max(deepest, level)
            todo.extend((child, level) for child in (current.values() if isinstance(current, dict) else current))
    return deepest


@pytest.mark.parametrize("text, nesting", [
    ("1", 0),
    ('"[[[["', 0),
    ("[]", 1),
    ("[[], [], {}]", 2),
    ('{"a": {"a": {"a": 1}}}', 3),
    ('["[[[[[[[[", {"]]]]]]]]": ["}}}}"]}]', 3),
    # an escaped quote does not end the string; an escaped backslash before a quote does
    ('["\\"[[[[[[", [[1]]]', 3),
    ('["\\\\", [[[1]]]]', 4),
    ('["\\\\\\"[[[[[["]', 1),
    ('{"k\\\\": [{"\\u005b": "\\u005d"}]}', 3),
])
def test_the_depth_is_exact_for_json(text, nesting):
    assert depth(json.loads(text)) == nesting
    if nesting:
        assert too_deep(text, nesting - 1) is True
    assert too_deep(text, nesting) is False


def test_random_documents_are_judged_exactly():
    """Documents whose strings hold brackets, quotes and backslashes: judged as json.loads reads them."""
    rng = random.Random(28)
    alphabet = '[]{}"\\ ab\n\u00e9'

    def build(level):
        roll = rng.random()
        if level > 12 or roll < 0.35:
            return "".join(rng.choice(alphabet) for _i in range(rng.randint(0, 8)))
        if roll < 0.3:
            return rng.choice([1, 2.5, None, True])
        children = [build(level + 1) for _i in range(rng.randint(0, 3 if level < 4 else 1))]
        if roll < 0.65:
            return children
        return dict(("%s%d" % (rng.choice(alphabet), i), child) for i, child in enumerate(children))

    for _i in range(300):
        document = build(0)
        text = json.dumps(document, ensure_ascii=rng.random() < 0.5)
        nesting = depth(document)
        assert too_deep(text, nesting) is False, text
        if nesting:
            assert too_deep(text, nesting - 1) is True, text


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,
    '{"a":' * 5000 + "1" + "}" * 5000,
    "{" * 100000,
    '[1, "x", ' * 600 + "]" * 600,
    '{"time": "2024-01-01T00:00:00Z", "x": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}",
])
def test_hostile_nesting_is_refused_before_json_loads_recurses(text):
    with pytest.raises(TooDeep) as err:
        loads(text)
    assert isinstance(err.value, ValueError)  # callers that treat "not JSON" as text do so here too
    assert str(err.value) == "nested deeper than %d levels" % MAX_DEPTH and err.value.limit == MAX_DEPTH


def test_the_limit_itself_parses_and_prints():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    document = loads(text)
    assert depth(document) == MAX_DEPTH
    assert json.dumps(document) == text  # what a check does next with a value (a sample, a group) works too
    assert loads('{"a": [1, {"b": "]]]]"}]}') == {"a": [1, {"b": "]]]]"}]}


def test_not_json_is_still_a_value_error():
    for text in ('"' + "[" * 10000, "\\" * 10001, "[" * 10 + "oops", ""):
        with pytest.raises(ValueError):
            loads(text)


def test_the_limit_is_within_the_recursion_limit():
    import sys

    assert MAX_DEPTH == _jsontext.MAX_DEPTH == 512
    assert MAX_DEPTH * 1.5 < sys.getrecursionlimit()
