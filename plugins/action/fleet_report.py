# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_report runs where its reports are wanted, on the controller: in the worker process, with the same options and
code as the module (``_report``), without sending a module and starting a Python for it.

With ``argument_spec_file``, it first checks the role's variables (the task variables) against that file's entry
point, as Ansible's validate_argument_spec does (the fleet_report role's one check task, issue 14).

With ``result_var``, it reads each host's result from that variable of every host of ``hosts`` itself: the same
values as ``ansible_play_hosts_all | map('extract', hostvars) | selectattr(var, 'defined')``, without the Jinja
that costs the task about 0.1 s at 10 hosts."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sre.health.plugins.module_utils import _report
from ansible_collections.sre.health.plugins.plugin_utils import _role_spec
from ansible_collections.sre.health.plugins.plugin_utils._in_process import HostResultsAction


class ActionModule(HostResultsAction):
    CODE = _report
    _VALID_ARGS = frozenset(_report.OPTIONS)

    def own_args(self):
        # the role's variables were checked (run): the module's code never sees the spec options
        return dict((k, v) for k, v in self._task.args.items() if k not in _report.ROLE_SPEC_OPTIONS)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        given = dict((k, v) for k, v in self._task.args.items() if k in _report.ROLE_SPEC_OPTIONS)
        if given.get("argument_spec_file") is not None:
            validation = ArgumentSpecValidator(dict((k, _report.OPTIONS[k]) for k in _report.ROLE_SPEC_OPTIONS))
            checked = validation.validate(given)
            if checked.error_messages:
                return {"failed": True, "changed": False, "msg": "; ".join(checked.error_messages)}
            params = checked.validated_parameters
            try:
                spec = _role_spec.entry_options(params["argument_spec_file"],
                                                params["argument_spec_entry"])
            except _role_spec.RoleSpecError as exc:
                return {"failed": True, "changed": False, "msg": str(exc)}
            failure = _role_spec.check(self, spec, task_vars)
            if failure is not None:
                return failure
        return super(ActionModule, self).run(tmp, task_vars)
