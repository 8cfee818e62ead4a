# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module side of fleet_report, fleet_merge and fleet_alert: on the controller their action plugins run the
same code in-process (plugins/plugin_utils/_in_process.py); the module is what runs when a play sends it to a
host."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._printable import escape_controls


def run_as_module(code):
    """Run ``code.run(params)`` as a module with the argument spec ``code.OPTIONS`` (and its constraints)."""
    module = AnsibleModule(argument_spec=code.OPTIONS, supports_check_mode=True,
                           mutually_exclusive=getattr(code, "MUTUALLY_EXCLUSIVE", None),
                           required_one_of=getattr(code, "REQUIRED_ONE_OF", None))
    try:
        if getattr(code, "RUN_TAKES_CHECK_MODE", False):
            outcome = code.run(module.params, check_mode=module.check_mode)
        else:
            outcome = code.run(module.params)
    except SreHealthError as exc:
        # a message may quote what a host sent (a slice's file, a result): shown, never interpreted by a terminal
        module.fail_json(msg=escape_controls(str(exc)))
    outcome = dict(outcome)
    for warning in outcome.pop("warnings", None) or []:
        module.warn(warning)
    outcome.setdefault("changed", False)
    module.exit_json(**outcome)
