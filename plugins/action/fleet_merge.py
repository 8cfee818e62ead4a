# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_merge runs where the slice reports are, on the controller: in the worker process, with
the same options and code as the module (``_merge``), without sending a module and starting a
Python for it."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.sre.health.plugins.module_utils import _merge
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(_merge.OPTIONS)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        validation = ArgumentSpecValidator(_merge.OPTIONS).validate(self._task.args)
        if validation.error_messages:
            result.update(failed=True, msg="; ".join(validation.error_messages))
            return result
        try:
            result.update(_merge.run(validation.validated_parameters))
        except SreHealthError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result["changed"] = False
        return result
