# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_settings
short_description: The variables of several hosts that a role's argument spec names, in one step
version_added: 1.1.0
description:
  - For each host of O(hosts), the variables among O(names) that the host defines (inventory, group and
    host variables, play variables, extra variables), templated as the host sees them; a name the host
    does not define is left out, so that the argument spec's default applies.
  - With C(ansible.builtin.validate_argument_spec) and an argument spec with one dict option per host
    (the role's spec as its suboptions), every host's settings are validated in one task, once per play,
    and an error names the host (C(found in <host>)). The C(sre.health.check) playbook does this for the
    health_check role instead of Ansible's own validation, which is one task (one worker process) for
    every host.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.host_filter
options:
  names:
    description: The variable names, for example the keys of a role's argument spec options.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Validate every play host's health_check settings in one task
  ansible.builtin.validate_argument_spec:
    argument_spec: "{{ dict(ansible_play_hosts | product([{'type': 'dict', 'options': spec}])) }}"
    provided_arguments: "{{ hostvars | sre.health.host_settings(ansible_play_hosts, spec.keys() | list) }}"
  run_once: true
  vars:
    spec: "{{ (lookup('ansible.builtin.file', role_path ~ '/meta/argument_specs.yml') | from_yaml).argument_specs.main.options }}"
"""

RETURN = r"""
_value:
  description: "C({host: {name: value}}), one entry per host of O(hosts), each with the names that host defines."
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sre.health.plugins.plugin_utils._hostvars import host_values


def host_settings(hostvars, hosts, names):
    for option, value in (("hosts", hosts), ("names", names)):
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            raise AnsibleFilterError("host_settings: %s must be a list of strings, got %r" % (option, value))
    settings = {}
    for host in hosts:
        if host not in hostvars:
            raise AnsibleFilterError("host_settings: %r is not a host of the inventory" % (host,))
        settings[host] = host_values(hostvars, host, names)
    return settings


class FilterModule(object):
    def filters(self):
        return {"host_settings": host_settings}
