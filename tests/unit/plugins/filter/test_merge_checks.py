# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sre.health.plugins.filter.merge_checks import merge_checks

DEFAULTS = [{"name": "disk", "kind": "disk"}, {"name": "memory", "kind": "memory"}, {"name": "load", "kind": "load"}]


def names(checks):
    return [c["name"] for c in checks]


def test_lists_are_concatenated_in_order():
    merged = merge_checks(DEFAULTS, [{"name": "nginx", "kind": "process"}], [{"name": "web", "kind": "http"}])
    assert names(merged) == ["disk", "memory", "load", "nginx", "web"]


def test_a_later_definition_replaces_an_earlier_one_in_place():
    merged = merge_checks(DEFAULTS, [{"name": "memory", "kind": "memory", "thresholds": {"used_percent": {"critical": 99}}}])
    assert names(merged) == ["disk", "memory", "load"]
    assert merged[1]["thresholds"] == {"used_percent": {"critical": 99}}


def test_state_absent_removes_and_a_later_list_can_add_it_back():
    merged = merge_checks(DEFAULTS, [{"name": "load", "state": "absent"}])
    assert names(merged) == ["disk", "memory"]
    merged = merge_checks(DEFAULTS, [{"name": "load", "state": "absent"}], [{"name": "load", "kind": "load"}])
    assert names(merged) == ["disk", "memory", "load"]
    assert merge_checks(DEFAULTS, [{"name": "nope", "state": "absent"}]) == DEFAULTS


def test_inputs_are_not_mutated_and_none_is_skipped():
    first = [{"name": "a", "kind": "disk"}]
    merge_checks(first, None, [{"name": "a", "kind": "memory"}])
    assert first == [{"name": "a", "kind": "disk"}]


@pytest.mark.parametrize("more, fragment", [
    (["not a list"], "list 1 is not a list"),
    ([[{"kind": "disk"}]], "list 1, item 0 has no name"),
    ([["disk"]], "list 1, item 0 has no name"),
])
def test_errors(more, fragment):
    with pytest.raises(AnsibleFilterError) as err:
        merge_checks(DEFAULTS, *more)
    assert fragment in str(err.value)
