# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``memory`` check kind: RAM used (from MemAvailable, as ``free`` shows it) and swap.

On Linux it reads /proc/meminfo itself (``_procfs``); elsewhere psutil's numbers, from the same
counters where it has them."""

from __future__ import annotations

import time

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._kind import Config, importable
from ansible_collections.sre.health.plugins.module_utils._procfs import memory
from ansible_collections.sre.health.plugins.module_utils._status import (
    STATUSES,
    judge,
    make_result,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, PERCENT, format_quantity

KIND = "memory"

METRICS = {
    "used_percent": PERCENT,
    "available_bytes": BYTES,
    "swap_used_percent": PERCENT,
    "swap_free_bytes": BYTES,
}

DEFAULT_THRESHOLDS = {
    "used_percent": {"warning": "90", "critical": "95"},
    "swap_used_percent": {"warning": "80", "critical": "95"},
}

OPTIONS = dict(
    no_swap_status=dict(type="str", default="ok", choices=list(STATUSES)),
)

CONSTRAINTS = {}

# psutil only where /proc/meminfo does not give the numbers (not Linux, or a kernel before 3.14).
REQUIRES = {"psutil": lambda: memory() is not None or importable("psutil")}

# Pure measurement: runs in a thread (see _kind).
ISOLATED = False


def validate(params):
    no_swap_status = params.get("no_swap_status") or "ok"
    if no_swap_status not in STATUSES:
        raise OptionError("no_swap_status", no_swap_status, ", ".join(STATUSES))
    return Config(no_swap_status=no_swap_status)


def from_psutil():
    """``(total, available, swap_total, swap_free)`` from psutil, where /proc cannot tell."""
    import psutil

    vm = psutil.virtual_memory()
    sw = psutil.swap_memory()
    return int(vm.total), int(vm.available), int(sw.total), int(sw.free)


def measure():
    total, available, swap_total, swap_free = memory() or from_psutil()
    used_percent = 100.0 * (total - available) / total if total else 0.0
    metrics = {
        "used_percent": round(used_percent, 2),
        "available_bytes": available,
        "swap_used_percent": round(100.0 * (swap_total - swap_free) / swap_total, 2) if swap_total else None,
        "swap_free_bytes": swap_free if swap_total else None,
    }
    return metrics, total, swap_total


def run(config, compiled, name=KIND):
    no_swap_status = config.no_swap_status
    started = time.monotonic()
    metrics, total, swap_total = measure()
    duration_ms = (time.monotonic() - started) * 1000.0
    headline = "%s used, %s available of %s" % (
        format_quantity(metrics["used_percent"], PERCENT),
        format_quantity(metrics["available_bytes"], BYTES),
        format_quantity(total, BYTES),
    )
    if swap_total:
        headline += "; swap %s used, %s free" % (
            format_quantity(metrics["swap_used_percent"], PERCENT),
            format_quantity(metrics["swap_free_bytes"], BYTES),
        )
    else:
        headline += "; no swap"
    result = judge(name, KIND, "memory", headline, metrics, compiled, METRICS, primary="used_percent",
                   duration_ms=duration_ms)
    if not swap_total and no_swap_status != "ok":
        status = worst([result["status"], no_swap_status])
        summary = result["summary"] + " (no_swap_status: %s)" % no_swap_status
        result = make_result(name, KIND, status, summary, result["metrics"], result["thresholds"], duration_ms)
    return [result]
