# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_alert runs where its alert state is, on the controller: in the worker process, with the same options and
code as the module (``_alert.module``), without sending a module and starting a Python for it."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.plugin_utils._in_process import HostResultsAction


class ActionModule(HostResultsAction):
    # imported when the task runs (a skipped task, in the main process, imports nothing)
    CODE_NAME = "ansible_collections.sre.health.plugins.module_utils._alert.module"
