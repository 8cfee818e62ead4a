# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Attributes of the modules that run once on the controller (fleet_report, fleet_alert); each module adds
    # its own check_mode details.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing) when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
"""

    # The result_var option of fleet_report and fleet_alert, which their action plugins read on the controller.
    RESULT_VAR = r"""
options:
  result_var:
    description:
      - 'The name of the variable each host of O(hosts) holds its result in, such as V(health_check_result): the
        action plugin reads it from every host''s variables itself, the same values as
        C(ansible_play_hosts_all | map("extract", hostvars) | selectattr("health_check_result", "defined")), without
        templating them (at 10 hosts that template costs the task about 0.1 s). A host without it has no result.'
      - Exactly one of O(results) and O(result_var). Only on the controller, where the variables are (the action
        plugin); the module refuses it.
    type: str
    version_added: 1.1.0
"""
