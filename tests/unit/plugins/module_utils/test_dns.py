# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils import _dns


def test_kind_declares_its_metrics():
    assert set(_dns.METRICS) == {"resolve_time_ms", "answers"}
