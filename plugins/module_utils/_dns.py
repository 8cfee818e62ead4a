# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``dns`` check kind: one DNS query, its answers judged (work in progress)."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._units import COUNT, MILLISECONDS

KIND = "dns"

METRICS = {
    "resolve_time_ms": MILLISECONDS,
    "answers": COUNT,
}

DEFAULT_THRESHOLDS = {}

OPTIONS = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", default="A"),
    server=dict(type="str"),
    expect=dict(type="list", elements="str"),
    exact=dict(type="bool", default=False),
    timeout=dict(type="float", default=5.0),
)

CONSTRAINTS = {}

REQUIRES = {}

ISOLATED = False


def validate(params):
    raise NotImplementedError


def run(cfg, compiled, name=KIND):
    raise NotImplementedError
