# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``load`` check kind: load averages, per CPU, and CPU utilisation over a short interval.

On Linux the utilisation comes from two readings of /proc/stat (``_procfs``); elsewhere from psutil."""

from __future__ import annotations

import os
import time

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._kind import Config, importable
from ansible_collections.sre.health.plugins.module_utils._procfs import busy_percent, cpu_times
from ansible_collections.sre.health.plugins.module_utils._status import judge
from ansible_collections.sre.health.plugins.module_utils._units import COUNT, PERCENT, format_quantity

KIND = "load"

METRICS = {
    "load1": COUNT,
    "load5": COUNT,
    "load15": COUNT,
    "load1_per_cpu": COUNT,
    "load5_per_cpu": COUNT,
    "load15_per_cpu": COUNT,
    "cpu_percent": PERCENT,
}

# Per-CPU load is comparable across machine sizes; the 5-minute average ignores short spikes.
DEFAULT_THRESHOLDS = {
    "load5_per_cpu": {"warning": "2", "critical": "4"},
}

DEFAULT_INTERVAL = 0.5
MAX_INTERVAL = 60.0

OPTIONS = dict(
    interval=dict(type="float", default=DEFAULT_INTERVAL),
)

CONSTRAINTS = {}

# psutil only where /proc/stat cannot be read (not Linux).
REQUIRES = {"psutil": lambda: cpu_times() is not None or importable("psutil")}

# Pure measurement: runs in a thread (see _kind).
ISOLATED = False


def check_interval(value, option="interval"):
    """A CPU sampling interval in seconds, from 0 (no sampling) to MAX_INTERVAL."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_INTERVAL:
        raise OptionError(option, value, "a number of seconds from 0 (no sampling) to %g" % MAX_INTERVAL)
    return float(value)


def validate(params):
    return Config(interval=check_interval(params.get("interval", DEFAULT_INTERVAL)))


def sample_cpu_percent(interval):
    """The CPU's busy share over ``interval`` seconds, from /proc/stat, else from psutil."""
    before = cpu_times()
    if before is None:
        import psutil

        return float(psutil.cpu_percent(interval=interval))
    time.sleep(interval)
    after = cpu_times()
    return busy_percent(before, after) if after is not None else None


def measure(interval):
    cpus = os.cpu_count() or 1
    load1, load5, load15 = os.getloadavg()
    cpu_percent = None
    if interval > 0:
        cpu_percent = sample_cpu_percent(interval)
    return {
        "load1": round(load1, 2),
        "load5": round(load5, 2),
        "load15": round(load15, 2),
        "load1_per_cpu": round(load1 / cpus, 3),
        "load5_per_cpu": round(load5 / cpus, 3),
        "load15_per_cpu": round(load15 / cpus, 3),
        "cpu_percent": cpu_percent,
    }, cpus


def run(config, compiled, name=KIND):
    started = time.monotonic()
    metrics, cpus = measure(config.interval)
    duration_ms = (time.monotonic() - started) * 1000.0
    headline = "%s %s %s on %d CPU%s (%s per CPU over 5 min)" % (
        format_quantity(metrics["load1"], COUNT),
        format_quantity(metrics["load5"], COUNT),
        format_quantity(metrics["load15"], COUNT),
        cpus,
        "" if cpus == 1 else "s",
        format_quantity(metrics["load5_per_cpu"], COUNT),
    )
    if metrics["cpu_percent"] is not None:
        headline += ", CPU %s busy" % format_quantity(metrics["cpu_percent"], PERCENT)
    return [judge(name, KIND, "load", headline, metrics, compiled, METRICS, primary="load5_per_cpu",
                  duration_ms=duration_ms, cpus=cpus)]
