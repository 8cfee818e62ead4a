# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The systemd check kind (skeleton)."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils import _systemd


def test_kind_protocol():
    assert _systemd.KIND == "systemd"
    assert set(_systemd.METRICS) == {"failed_units", "last_trigger_age_seconds"}
