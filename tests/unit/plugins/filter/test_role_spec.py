# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.sre.health.plugins.filter.role_spec import role_spec
from ansible_collections.sre.health.tests.unit.utils import collections_path


def test_the_options_of_an_entry_point_as_from_yaml_reads_them():
    path = os.path.join(collections_path(), "ansible_collections", "sre", "health", "roles", "health_check", "meta",
                        "argument_specs.yml")
    with open(path) as handle:
        expected = yaml.safe_load(handle)["argument_specs"]["check"]["options"]
    got = role_spec(path, "check")
    assert got == expected and "health_check_fail_on" in got
    # each call gets its own copy: changing one changes no other
    got["health_check_fail_on"]["default"] = "never"
    assert role_spec(path, "check") == expected


def test_a_changed_file_is_read_again(tmp_path):
    path = tmp_path / "argument_specs.yml"
    path.write_text("argument_specs:\n  main:\n    options:\n      a: {type: str}\n")
    assert role_spec(str(path)) == {"a": {"type": "str"}}
    path.write_text("argument_specs:\n  main:\n    options:\n      a: {type: int}\n      bb: {type: str}\n")
    assert role_spec(str(path)) == {"a": {"type": "int"}, "bb": {"type": "str"}}


@pytest.mark.parametrize("content, entry, message", [
    (None, "main", "role_spec: option argument_spec_file: cannot read"),
    ("argument_specs: [\n", "main", "role_spec: option argument_spec_file: cannot read"),
    ("other: 1\n", "main", "has no argument_specs dict"),
    ("argument_specs:\n  main: {options: {}}\n  check: {}\n", "nope",
     "'nope' is not an entry point of %s; accepted: check, main"),
    ("argument_specs:\n  main: {options: [a]}\n", "main", "the options of entry point 'main' in %s are not a dict"),
])
def test_bad_files_and_entries_are_clear_errors(tmp_path, content, entry, message):
    path = tmp_path / "argument_specs.yml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(AnsibleFilterError) as caught:
        role_spec(str(path), entry)
    assert (message % path if "%s" in message else message) in str(caught.value)


def test_bad_arguments():
    with pytest.raises(AnsibleFilterError, match="must be strings"):
        role_spec(["a"], "main")
