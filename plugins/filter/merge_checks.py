# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: merge_checks
short_description: Merge lists of health check definitions by name
version_added: 1.0.0
description:
  - Concatenates lists of check definitions (dicts with a C(name)), in order. A later definition
    with the name of an earlier one replaces it in the earlier one's place, so group_vars and
    host_vars can add checks, or redefine one, without repeating the others.
  - A definition with C(state=absent) removes the check of that name.
author:
  - sre.health developers (!UNKNOWN)
options:
  _input:
    description: The first list of check definitions.
    type: list
    elements: dict
    required: true
  _more:
    description: Further lists, merged in order.
    type: list
    elements: list
"""

EXAMPLES = r"""
- name: Defaults, then the play's checks, then every health_check_checks_* variable
  ansible.builtin.set_fact:
    all_checks: "{{ health_check_default_checks | sre.health.merge_checks(health_check_checks, *extra) }}"
  vars:
    extra: "{{ query('ansible.builtin.varnames', '^health_check_checks_.+') | sort | map('extract', vars) | list }}"
"""

RETURN = r"""
_value:
  description: The merged list of check definitions.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError


def merge_checks(first, *more):
    merged = {}
    order = []
    for position, checks in enumerate((first,) + more):
        if checks is None:
            continue
        if not isinstance(checks, list):
            raise AnsibleFilterError("merge_checks: list %d is not a list of check definitions: %r" % (position, checks))
        for index, check in enumerate(checks):
            if not isinstance(check, dict) or not isinstance(check.get("name"), str) or not check.get("name"):
                raise AnsibleFilterError(
                    "merge_checks: list %d, item %d has no name; every check needs a unique name: %r"
                    % (position, index, check))
            name = check["name"]
            if check.get("state") == "absent":
                if name in merged:
                    del merged[name]
                    order.remove(name)
                continue
            if name not in merged:
                order.append(name)
            merged[name] = dict((k, v) for k, v in check.items() if k != "state")
    return [merged[name] for name in order]


class FilterModule(object):
    def filters(self):
        return {"merge_checks": merge_checks}
