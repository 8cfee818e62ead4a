# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""host_values against Ansible's own HostVars, over a real inventory and variable manager: a value is taken as it
is exactly when templating it would give it back, and is templated as hostvars[host][name] otherwise."""

from __future__ import annotations

import pytest

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.template import trust_as_template
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.sre.health.plugins.plugin_utils._hostvars import host_values, is_plain


@pytest.fixture
def hostvars(tmp_path):
    inventory_file = tmp_path / "hosts.yml"
    inventory_file.write_text(
        "all:\n  hosts:\n    web1:\n      level: warning\n      wanted: '{{ level }}'\n      checks:\n"
        "        - {name: root, path: '/'}\n        - {name: templated, path: '{{ level }}'}\n    web2:\n")
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(inventory_file)])
    manager = VariableManager(loader=loader, inventory=inventory)
    return HostVars(inventory=inventory, variable_manager=manager, loader=loader)


def test_each_value_is_what_hostvars_gives(hostvars):
    names = ("level", "wanted", "checks", "missing")
    got = host_values(hostvars, "web1", names)
    assert got == {"level": "warning", "wanted": "warning",
                   "checks": [{"name": "root", "path": "/"}, {"name": "templated", "path": "warning"}]}
    assert got == dict((name, hostvars["web1"][name]) for name in names if name in hostvars["web1"])
    assert host_values(hostvars, "web2", names) == {}


@pytest.mark.parametrize("value, plain", [
    ("{{ x }}", True),  # not trusted (a module's result): never templated
    (trust_as_template("{{ x }}"), False),
    (trust_as_template("{% if x %}"), False),
    (trust_as_template("{# x #}"), False),
    (trust_as_template("no template here"), True),
    ({"a": [1, 2.5, None, True, {"b": trust_as_template("{{ y }}")}]}, False),
    ({"a": [1, 2.5, None, True, {"b": "{{ y }}"}]}, True),
    ({trust_as_template("{{ key }}"): 1}, False),
    (object(), False),
])
def test_is_plain(value, plain):
    assert is_plain(value) is plain
