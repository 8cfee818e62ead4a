# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: role_spec
short_description: The options of one entry point of a role's argument spec file
version_added: 1.1.0
description:
  - Reads a role's C(meta/argument_specs.yml) and returns the C(options) of entry point O(entry), as
    C((lookup('ansible.builtin.file', path) | from_yaml).argument_specs[entry].options) does, parsed once per process
    with a C YAML parser (a few ms, where C(from_yaml) takes tens of ms for such a file, every time it is
    referenced).
  - The health_check role's preflight task uses it twice in one task (the spec, and the names of its options).
author:
  - sre.health developers (!UNKNOWN)
options:
  _input:
    description: The path of the argument spec file, such as C(role_path ~ '/meta/argument_specs.yml').
    type: path
    required: true
  entry:
    description: The entry point.
    type: str
    default: main
"""

EXAMPLES = r"""
- name: Validate every play host's settings in one task
  ansible.builtin.validate_argument_spec:
    argument_spec: "{{ dict(ansible_play_hosts | product([{'type': 'dict', 'options': spec}])) }}"
    provided_arguments: "{{ hostvars | sre.health.host_settings(ansible_play_hosts, spec.keys() | list) }}"
  run_once: true
  vars:
    spec: "{{ (role_path ~ '/meta/argument_specs.yml') | sre.health.role_spec('check') }}"
"""

RETURN = r"""
_value:
  description: The options of the entry point, by name.
  type: dict
  sample: {"health_check_fail_on": {"type": "str", "default": "critical", "choices": ["critical", "warning", "never"]}}
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sre.health.plugins.plugin_utils import _role_spec


def role_spec(path, entry="main"):
    if not isinstance(path, str) or not isinstance(entry, str):
        raise AnsibleFilterError("role_spec: the path and the entry point must be strings, got %r and %r" % (path, entry))
    try:
        return _role_spec.entry_options(path, entry)
    except _role_spec.RoleSpecError as exc:
        raise AnsibleFilterError("role_spec: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"role_spec": role_spec}
