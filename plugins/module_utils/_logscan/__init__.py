# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``log`` check kind (the log_scan module, ``kind: log`` in health_check), one job per module:

- ``kind``: the kind's protocol (see ``_kind``): options, ``validate()`` once, ``run(config)``;
- ``patterns``: the ``patterns`` entries, checked, and how a line matches them;
- ``reader``: reading a log backwards, bounded, with its rotation chain;
- ``timestamps``: the timestamp formats of log lines.

The package is the kind: it exposes the protocol of ``kind``.
"""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._logscan.kind import (
    CONSTRAINTS,
    DEFAULT_THRESHOLDS,
    ISOLATED,
    KIND,
    METRICS,
    OPTIONS,
    REQUIRES,
    run,
    validate,
)

__all__ = ["CONSTRAINTS", "DEFAULT_THRESHOLDS", "ISOLATED", "KIND", "METRICS", "OPTIONS", "REQUIRES", "run", "validate"]
