# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What fleet_alert does, for its module and its action plugin (which runs it in the task's worker process on
the controller, plugins/plugin_utils/_in_process.py): the options with their constraints, and one run."""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.sre.health.plugins.module_utils._alert import cycle, options
from ansible_collections.sre.health.plugins.module_utils._alert.options import AlertError
from ansible_collections.sre.health.plugins.module_utils._errors import result_var_refused
from ansible_collections.sre.health.plugins.module_utils._kind import PACKAGES
from ansible_collections.sre.health.plugins.module_utils._web import client

OPTIONS = options.OPTIONS
MUTUALLY_EXCLUSIVE = options.MUTUALLY_EXCLUSIVE
REQUIRED_ONE_OF = options.REQUIRED_ONE_OF
# run() takes check_mode: in check mode it sends nothing and writes no state.
RUN_TAKES_CHECK_MODE = True


def run(params, check_mode=False):
    """Everything fleet_alert returns, plus ``warnings``; raises SreHealthError (a missing library, a bad
    option)."""
    if params.get("result_var") is not None:
        raise AlertError(result_var_refused(params["result_var"], "fleet_alert"))
    if not client.available():
        raise AlertError(missing_required_lib(PACKAGES["requests"]))
    config = options.validate(params)
    return cycle.run_config(config, params["results"], check_mode=check_mode)
