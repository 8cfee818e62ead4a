# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The log check on the systemd journal: real journal files written by systemd-journal-remote."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._logscan import journal


def test_priorities_are_the_syslog_levels_in_order():
    assert journal.PRIORITIES.index("err") == 3
    assert journal.PRIORITIES.index("debug") == 7
