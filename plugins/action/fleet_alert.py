# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_alert runs where its alert state is, on the controller: in the worker process, with the same options and
code as the module (``_alert.module``), without sending a module and starting a Python for it."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._alert import module as _alert_module
from ansible_collections.sre.health.plugins.plugin_utils._in_process import InProcessAction


class ActionModule(InProcessAction):
    CODE = _alert_module
    _VALID_ARGS = frozenset(_alert_module.OPTIONS)
