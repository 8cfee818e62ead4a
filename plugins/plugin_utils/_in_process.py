# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The action plugin of a module that works on the controller (fleet_report, fleet_merge, fleet_alert): it runs
the module's code in the task's worker process, with the same options (``CODE.OPTIONS``, and
``CODE.MUTUALLY_EXCLUSIVE`` / ``CODE.REQUIRED_ONE_OF`` where the module has them) and the same
``CODE.run(params)``, without sending a module and starting a Python for it (about 0.8 s a run).

What AnsibleModule does around a module's code is done here too: options validated by Ansible's own
ArgumentSpecValidator, check mode passed on (``CODE.RUN_TAKES_CHECK_MODE``: ``run(params, check_mode)``),
``warnings`` handed to Ansible, the values of ``no_log`` options masked in everything returned (also in an
error message), and the task's ``environment`` (a proxy, say) set around the run, as a module's process gets it."""

from __future__ import annotations

import contextlib
import importlib
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.plugin_utils._hostvars import result_var_problem, with_host_results


def validator(code):
    """Ansible's validator of ``code``'s options, with its constraints between options."""
    return ArgumentSpecValidator(code.OPTIONS, mutually_exclusive=getattr(code, "MUTUALLY_EXCLUSIVE", None),
                                 required_one_of=getattr(code, "REQUIRED_ONE_OF", None))


@contextlib.contextmanager
def environment(values):
    """``values`` (the task's ``environment``) set in os.environ for the block, then put back as they were."""
    saved = dict((name, os.environ.get(name)) for name in values)
    try:
        for name, value in values.items():
            os.environ[name] = str(value)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class InProcessAction(ActionBase):
    TRANSFERS_FILES = False
    # The module_utils module with OPTIONS (the argument spec) and run(params) -> the result,
    CODE = None
    # or its name, imported when the task runs: Ansible loads an action plugin in its main process before every task
    # that uses it, even a skipped one, and the main process is the run's bottleneck (fleet_alert's code, with
    # requests, takes it about 0.14 s to import).
    CODE_NAME = None

    @property
    def code(self):
        return self.CODE if self.CODE is not None else importlib.import_module(self.CODE_NAME)

    def task_args(self, task_vars):
        """The options to validate and run with (the task's arguments)."""
        return self._task.args

    def run(self, tmp=None, task_vars=None):
        result = super(InProcessAction, self).run(tmp, task_vars)
        code = self.code
        validation = validator(code).validate(self.task_args(task_vars or {}))
        secrets = validation._no_log_values
        if validation.error_messages:
            result.update(failed=True, msg=remove_values("; ".join(validation.error_messages), secrets))
            return result
        task_environment = {}
        self._compute_environment_string(task_environment)
        try:
            with environment(task_environment):
                if getattr(code, "RUN_TAKES_CHECK_MODE", False):
                    outcome = code.run(validation.validated_parameters, check_mode=bool(self._task.check_mode))
                else:
                    outcome = code.run(validation.validated_parameters)
        except SreHealthError as exc:
            result.update(failed=True, msg=remove_values(str(exc), secrets))
            return result
        outcome = dict(outcome)
        outcome.setdefault("changed", False)
        if not outcome.get("warnings"):
            outcome.pop("warnings", None)
        result.update(remove_values(outcome, secrets))
        return result


class HostResultsAction(InProcessAction):
    """The action of a module that takes the hosts' results (fleet_report, fleet_alert): with ``result_var`` it reads
    each host's result from that variable of every host of ``hosts`` itself (``_hostvars.with_host_results``)."""

    def own_args(self):
        """The task's arguments that are the module's options."""
        return self._task.args

    def task_args(self, task_vars):
        return with_host_results(self.own_args(), task_vars)

    def run(self, tmp=None, task_vars=None):
        problem = result_var_problem(self._task.args.get("result_var"))
        if problem:
            return {"failed": True, "changed": False, "msg": problem}
        return super(HostResultsAction, self).run(tmp, task_vars)
