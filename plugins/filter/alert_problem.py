# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: alert_problem
short_description: Tell why alert settings would not work, before any work
version_added: 1.1.0
description:
  - Checks alert settings (the options of M(sre.health.fleet_alert) other than C(results) and C(state_file)) with
    the module's own validation, so that the roles fail a play on a bad target, silence or count before any check
    or remediation runs.
  - Returns an empty string when the settings are usable, else one line naming the option (as O(names) spells
    it), the value when it is not a secret, and what is accepted. URLs, routing keys and header values never
    appear in it.
  - No URL and no targets is accepted (nothing will be sent); the other settings are still checked.
author:
  - sre.health developers (!UNKNOWN)
options:
  _input:
    description: The settings, a dict of M(sre.health.fleet_alert) options such as C(targets), C(silences), C(alert_after).
    type: dict
    required: true
  names:
    description:
      - The names to use in the message for the options, a dict such as one mapping C(targets) to
        C(fleet_report_alert_targets).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Check the alert settings before any check runs
  ansible.builtin.assert:
    that: problem | length == 0
    fail_msg: "{{ problem }}"
    quiet: true
  vars:
    problem: >-
      {{ {'targets': fleet_report_alert_targets, 'silences': fleet_report_silences}
         | sre.health.alert_problem({'targets': 'fleet_report_alert_targets', 'silences': 'fleet_report_silences'}) }}
"""

RETURN = r"""
_value:
  description: An empty string when the settings are usable, else the problem in one line.
  type: str
"""

# Imported where used: Ansible imports every filter file of a collection (and what each imports) in every worker
# process that uses any of its filters, such as each host's check task in sre.health.check (about 50 ms a host
# with these at the top).


def alert_problem(settings, names=None):
    # the one implementation, also behind fleet_report's alert_settings option
    from ansible_collections.sre.health.plugins.module_utils._alert.problem import alert_problem as problem

    return problem(settings, names)


class FilterModule(object):
    def filters(self):
        return {"alert_problem": alert_problem}
