# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sre.health.plugins.filter.host_settings import host_settings

# (Ansible's real hostvars are exercised by the sre.health.check playbook tests; here, the mapping rules.)
HOSTVARS = {"a": {"x_one": 1, "other": 2}, "b": {}, "c": {"x_two": "t", "x_one": None}}


def test_each_host_gets_the_names_it_defines_only():
    assert host_settings(HOSTVARS, ["a", "b", "c"], ["x_one", "x_two"]) == {
        "a": {"x_one": 1}, "b": {}, "c": {"x_two": "t", "x_one": None}}


@pytest.mark.parametrize("hosts, names, message", [
    (["a", "zz"], ["x_one"], "'zz' is not a host of the inventory"),
    ("a", ["x_one"], "hosts must be a list of strings"),
    (["a"], [1], "names must be a list of strings"),
])
def test_bad_arguments(hosts, names, message):
    with pytest.raises(AnsibleFilterError, match=message):
        host_settings(HOSTVARS, hosts, names)
