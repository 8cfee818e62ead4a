# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""memory and load checks against the kernel's own numbers in /proc."""

from __future__ import annotations

import os

import pytest

from ansible_collections.sre.health.plugins.module_utils import _load, _memory
from ansible_collections.sre.health.plugins.module_utils._status import OptionError, compile_thresholds


def meminfo():
    values = {}
    with open("/proc/meminfo") as handle:
        for line in handle:
            key, rest = line.split(":", 1)
            values[key] = int(rest.split()[0]) * 1024
    return values


def run(kind, thresholds=None, **params):
    compiled = compile_thresholds(thresholds, kind.METRICS, kind.DEFAULT_THRESHOLDS)
    return kind.run(kind.validate(params), compiled)[0]


def test_memory_agrees_with_proc_meminfo():
    before = meminfo()
    result = run(_memory)
    after = meminfo()
    metrics = result["metrics"]
    lo = min(before["MemAvailable"], after["MemAvailable"])
    hi = max(before["MemAvailable"], after["MemAvailable"])
    # other processes allocate meanwhile: allow 64 MiB of drift around the two readings
    assert lo - 64 * 2 ** 20 <= metrics["available_bytes"] <= hi + 64 * 2 ** 20
    expected = 100.0 * (before["MemTotal"] - metrics["available_bytes"]) / before["MemTotal"]
    assert metrics["used_percent"] == pytest.approx(expected, abs=0.01)
    assert result["kind"] == "memory" and result["name"] == "memory"
    assert result["summary"].startswith("memory %s" % ("%g" % round(metrics["used_percent"], 1)))
    if before["SwapTotal"] == 0:
        assert metrics["swap_used_percent"] is None and metrics["swap_free_bytes"] is None
        assert "no swap" in result["summary"]
    else:
        assert metrics["swap_free_bytes"] >= 0
        assert 0 <= metrics["swap_used_percent"] <= 100


def test_memory_thresholds_fire_on_the_real_value():
    result = run(_memory, {"used_percent": {"critical": "@0:100"}})
    assert result["status"] == "critical"
    assert "(critical within 0%..100%)" in result["summary"]
    result = run(_memory, {"available_bytes": {"warning": "1TiB:"}})
    assert result["status"] == "warning"
    assert "warning: available_bytes" in result["summary"] and "< 1 TiB" in result["summary"]


@pytest.mark.skipif(meminfo()["SwapTotal"] != 0, reason="this host has swap")
@pytest.mark.parametrize("no_swap_status", ["ok", "warning", "critical", "unknown"])
def test_no_swap_status(no_swap_status):
    result = run(_memory, no_swap_status=no_swap_status)
    assert result["status"] == no_swap_status
    if no_swap_status != "ok":
        assert result["summary"].endswith("(no_swap_status: %s)" % no_swap_status)


def test_memory_rejects_bad_no_swap_status():
    with pytest.raises(OptionError) as err:
        run(_memory, no_swap_status="fine")
    assert "no_swap_status" in str(err.value) and "'fine'" in str(err.value)


def test_load_agrees_with_proc_loadavg():
    with open("/proc/loadavg") as handle:
        first = [float(x) for x in handle.read().split()[:3]]
    result = run(_load, interval=0.1)
    metrics = result["metrics"]
    cpus = os.cpu_count()
    # load15 moves slowly; the 1-minute figure can move between the two readings
    assert metrics["load15"] == pytest.approx(first[2], abs=0.5)
    for window in ("1", "5", "15"):
        assert metrics["load%s_per_cpu" % window] == pytest.approx(metrics["load" + window] / cpus, abs=0.01)
    assert 0.0 <= metrics["cpu_percent"] <= 100.0
    assert result["cpus"] == cpus
    assert result["thresholds"] == {"load5_per_cpu": {"warning": "2", "critical": "4"}}


def test_load_interval_zero_skips_cpu_sampling():
    result = run(_load, interval=0)
    assert result["metrics"]["cpu_percent"] is None
    assert "CPU" not in result["summary"].split(")")[-1]


def test_load_critical_summary():
    result = run(_load, {"load1": {"critical": "@0:"}}, interval=0)
    assert result["status"] == "critical"
    assert "critical: load1" in result["summary"] and ">= 0" in result["summary"]


@pytest.mark.parametrize("interval", [-1, 61, "x", True])
def test_load_rejects_bad_interval(interval):
    with pytest.raises(OptionError) as err:
        run(_load, interval=interval)
    assert str(err.value).startswith("option interval: ")
    assert "from 0 (no sampling) to 60" in str(err.value)
