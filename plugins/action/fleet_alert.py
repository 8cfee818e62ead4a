# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_alert runs where its alert state is, on the controller: in the worker process, with the same options and
code as the module (``_alert.module``), without sending a module and starting a Python for it."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.plugin_utils._hostvars import result_var_problem, with_host_results
from ansible_collections.sre.health.plugins.plugin_utils._in_process import InProcessAction


class ActionModule(InProcessAction):
    # imported when the task runs (a skipped task, in the main process, imports nothing)
    CODE_NAME = "ansible_collections.sre.health.plugins.module_utils._alert.module"

    def task_args(self, task_vars):
        # result_var: every host's result read from its variables, here, on the controller
        return with_host_results(self._task.args, task_vars)

    def run(self, tmp=None, task_vars=None):
        problem = result_var_problem(self._task.args.get("result_var"))
        if problem:
            return {"failed": True, "changed": False, "msg": problem}
        return super(ActionModule, self).run(tmp, task_vars)
