# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""resource_check takes health_check's controller options (result_fact, result_note, merge_vars) the same way."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.action.health_check import ActionModule as HealthCheckAction


class ActionModule(HealthCheckAction):
    MODULE = "sre.health.resource_check"
    LIGHT_MODULE = None
