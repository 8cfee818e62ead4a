# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``systemd`` check kind: the host's systemd as a whole (skeleton)."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._units import COUNT, SECONDS

KIND = "systemd"

METRICS = {
    "failed_units": COUNT,
    "last_trigger_age_seconds": SECONDS,
}

DEFAULT_THRESHOLDS = {"failed_units": {"critical": "0"}}

OPTIONS = dict(
    failed_units=dict(type="bool", default=True),
    ignore=dict(type="list", elements="str", default=[]),
    system_state=dict(type="bool", default=True),
    degraded_status=dict(type="str", default="warning", choices=["warning", "critical"]),
    timers=dict(type="list", elements="str", default=[]),
    max_age=dict(type="str"),
    timeout=dict(type="float", default=10.0),
)

CONSTRAINTS = {}

REQUIRES = {}

ISOLATED = False
