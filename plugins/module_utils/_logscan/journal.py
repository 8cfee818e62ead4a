# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The systemd journal as the source of a log check: ``journalctl -o json``, read streaming and bounded.

(Work in progress: the option spec of ``journal``; reading comes next.)
"""

from __future__ import annotations

# journalctl's priorities, by name and number (syslog levels).
PRIORITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

JOURNAL_OPTIONS = dict(
    units=dict(type="list", elements="str"),
    identifiers=dict(type="list", elements="str"),
    priority=dict(type="str"),
    directory=dict(type="path"),
)
