# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_verdict
short_description: Every host's lines and the hosts to fail, from the play hosts' recorded results, in one step
version_added: 1.1.0
description:
  - For each host of O(hosts), reads its C(health_check_result) fact and its own C(health_check_fail_on),
    C(health_check_judge) and C(health_check_show_summary) (its inventory, group, host and extra variables;
    O(defaults) where it sets none) and returns the lines to print (those of C(sre.health.result_lines), for
    the hosts whose C(health_check_show_summary) is true) and the hosts whose status reaches their
    C(health_check_fail_on) (unknown counts as critical; none when their C(health_check_judge) is false).
  - C(sre.health.check) uses it in one task on the controller, so that only the hosts to fail run a task of
    their own at the end (judging each host in a task of its own costs every host a worker process).
  - A host without a recorded result is among the hosts to fail (it was never checked).
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.host_filter
options:
  defaults:
    description:
      - The values of C(health_check_fail_on), C(health_check_judge) and C(health_check_show_summary) for a host
        that does not set them (the health_check role's defaults).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Print every host's lines in one task
  ansible.builtin.debug:
    msg: "{{ (hostvars | sre.health.fleet_verdict(ansible_play_hosts, defaults)).lines }}"
  vars:
    defaults:
      health_check_fail_on: critical
      health_check_judge: true
      health_check_show_summary: true
  run_once: true
"""

RETURN = r"""
_value:
  description: The lines and the hosts to fail.
  type: dict
  contains:
    lines:
      description: One headline per host, then one line per check.
      type: list
      elements: str
      sample: ["web1 is healthy (ok)", "OK  / 24.5% used, 76.6 GiB free of 252 GiB, inodes 3.1% used"]
    failing:
      description: The hosts whose status reaches their C(health_check_fail_on), in the order of O(hosts).
      type: list
      elements: str
      sample: ["db1"]
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.sre.health.plugins.filter.result_lines import result_lines
from ansible_collections.sre.health.plugins.plugin_utils._hostvars import host_values

SETTINGS = ("health_check_fail_on", "health_check_judge", "health_check_show_summary")
# The statuses that fail a host, by health_check_fail_on (as the role's judge step: unknown counts as critical).
FAILING = {"critical": ("critical", "unknown"), "warning": ("warning", "critical", "unknown"), "never": ()}
UNCHECKED = {"status": "unknown", "health": "unhealthy", "summary": "not checked: no health_check_result recorded",
             "checks": []}


def _setting(host, values, name):
    if name not in values:
        raise AnsibleFilterError("fleet_verdict: %s of %s has no value and no default" % (name, host))
    value = values[name]
    try:
        if name == "health_check_fail_on":
            if value not in FAILING:
                raise ValueError(value)
            return value
        return boolean(value, strict=True)
    except (TypeError, ValueError):
        accepted = ", ".join(FAILING) if name == "health_check_fail_on" else "a boolean"
        raise AnsibleFilterError("fleet_verdict: %s of %s is %r; accepted: %s" % (name, host, value, accepted))


def fleet_verdict(hostvars, hosts, defaults):
    if not isinstance(hosts, (list, tuple)) or not all(isinstance(host, str) for host in hosts):
        raise AnsibleFilterError("fleet_verdict: hosts must be a list of host names, got %r" % (hosts,))
    if not isinstance(defaults, dict):
        raise AnsibleFilterError("fleet_verdict: defaults must be a dict, got %r" % (defaults,))
    lines, failing = [], []
    for host in hosts:
        if host not in hostvars:
            raise AnsibleFilterError("fleet_verdict: %r is not a host of the inventory" % (host,))
        own = host_values(hostvars, host, SETTINGS + ("health_check_result",))
        values = dict(defaults)
        values.update((name, own[name]) for name in SETTINGS if name in own)
        result = own.get("health_check_result", UNCHECKED)
        result = result if isinstance(result, dict) else UNCHECKED
        if _setting(host, values, "health_check_show_summary"):
            lines.extend(result_lines(result, host))
        # the role's judge step fails the same hosts (roles/health_check/vars/main.yml)
        if _setting(host, values, "health_check_judge") and \
                result.get("status") in FAILING[_setting(host, values, "health_check_fail_on")]:
            failing.append(host)
    return {"lines": lines, "failing": failing}


class FilterModule(object):
    def filters(self):
        return {"fleet_verdict": fleet_verdict}
