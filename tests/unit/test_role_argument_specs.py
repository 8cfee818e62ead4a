# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Each role's meta/argument_specs.yml against its defaults/main.yml, the values the role really uses.

The rule: every variable in defaults/main.yml is an option of an entry point, and an option's C(default) in the
spec is the value in defaults/main.yml. The one exception is a templated default of an option that is not a
string (a list or dict that is a Jinja template, such as service_guard_alert_targets): the spec's C(default) must
be of the option's type (antsibull-docs and Galaxy's docs refuse a string for a list of dicts), so the spec names
no default and its description says what it defaults to, naming every variable the template reads."""

from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

from ansible_collections.sre.health.tests.unit.utils import collections_path

ROLES = os.path.join(collections_path(), "ansible_collections", "sre", "health", "roles")
STRING_TYPES = ("str", "path", "raw")


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle) or {}


def _roles():
    return sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROLES, "*", "defaults")))


def _description(option):
    text = option.get("description", "")
    return " ".join(text) if isinstance(text, list) else text


@pytest.mark.parametrize("role", _roles())
def test_the_spec_defaults_are_the_role_defaults(role):
    defaults = _load(os.path.join(ROLES, role, "defaults", "main.yml"))
    specs = _load(os.path.join(ROLES, role, "meta", "argument_specs.yml"))["argument_specs"]
    documented = set()
    problems = []
    for entry, spec in sorted(specs.items()):
        for name, option in sorted((spec.get("options") or {}).items()):
            documented.add(name)
            where = "%s: entry point %s: %s" % (role, entry, name)
            if name not in defaults:
                if "default" in option:
                    problems.append("%s: the spec's default %r is set nowhere in defaults/main.yml"
                                    % (where, option["default"]))
                continue
            value = defaults[name]
            templated = isinstance(value, str) and "{{" in value
            if "default" in option:
                if option["default"] != value:
                    problems.append("%s: spec default %r, defaults/main.yml %r" % (where, option["default"], value))
            elif not templated or option.get("type", "str") in STRING_TYPES:
                problems.append("%s: defaults/main.yml sets %r; the spec must say so in default" % (where, value))
            else:
                described = _description(option)
                read = re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)", value)
                if "Default" not in described or not all(var in described for var in read):
                    problems.append("%s: a templated %s default (%r): the description must say 'Default' and name %s"
                                    % (where, option.get("type"), value, ", ".join(read)))
    problems.extend("%s: %s is in defaults/main.yml but in no entry point's options" % (role, name)
                    for name in sorted(set(defaults) - documented))
    assert not problems, "\n".join(problems)


def test_the_rule_holds_for_the_templated_lists_of_service_guard():
    """The case the exception is for stays covered: if these become plain values, the test above checks them."""
    defaults = _load(os.path.join(ROLES, "service_guard", "defaults", "main.yml"))
    options = _load(os.path.join(ROLES, "service_guard", "meta", "argument_specs.yml"))["argument_specs"]["main"]["options"]
    for name in ("service_guard_alert_targets", "service_guard_alert_silences"):
        assert "{{" in defaults[name] and "default" not in options[name] and options[name]["type"] == "list"
