# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_procfs against psutil on this host's real /proc, and on files as other kernels write them (a kernel
before 3.14 cannot be booted for a test; its /proc/meminfo can be written)."""

from __future__ import annotations

import psutil
import pytest

from ansible_collections.sre.health.plugins.module_utils import _load, _memory, _procfs
from ansible_collections.sre.health.plugins.module_utils._status import compile_thresholds

# /proc/meminfo as a 3.10 kernel writes it: no MemAvailable.
OLD_MEMINFO = """MemTotal:        2048000 kB
MemFree:          512000 kB
Buffers:           64000 kB
Cached:           768000 kB
SwapCached:            0 kB
SwapTotal:       1024000 kB
SwapFree:        1000000 kB
"""
DRIFT = 64 * 2 ** 20  # other processes allocate between two readings


def run(kind, **params):
    return kind.run(kind.validate(params), compile_thresholds(None, kind.METRICS, kind.DEFAULT_THRESHOLDS))[0]


def test_memory_agrees_with_psutil_on_this_host():
    vm_before, sw = psutil.virtual_memory(), psutil.swap_memory()
    total, available, swap_total, swap_free = _procfs.memory()
    vm_after = psutil.virtual_memory()
    assert total == vm_before.total and swap_total == sw.total
    assert min(vm_before.available, vm_after.available) - DRIFT <= available <= \
        max(vm_before.available, vm_after.available) + DRIFT
    assert abs(swap_free - sw.free) <= DRIFT


def test_cpu_times_agree_with_psutil_on_this_host():
    ticks = _procfs.cpu_times()
    seconds = psutil.cpu_times()
    hz = float(ticks[0]) / seconds.user if seconds.user else 100.0
    assert len(ticks) >= 8
    # same counters, ticks against seconds: idle moves by at most a second of all CPUs in between
    assert ticks[3] / hz == pytest.approx(seconds.idle, abs=2.0 * psutil.cpu_count())


@pytest.mark.parametrize("before, after, percent", [
    # user nice system idle iowait irq softirq steal guest guest_nice
    ([100, 0, 100, 800, 0, 0, 0, 0, 0, 0], [150, 0, 150, 900, 0, 0, 0, 0, 0, 0], 50.0),
    ([0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 100, 0, 0, 0, 0], 0.0),               # idle only
    ([0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 50, 50, 0, 0, 0], 0.0),               # iowait is not busy
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [60, 0, 0, 40, 0, 0, 0, 0, 60, 0], 60.0),  # guest is inside user
    ([0, 0, 0, 0, 0, 0, 0, 10], [0, 0, 0, 30, 0, 10, 0, 20], 40.0),            # irq and steal are busy
    ([5, 0, 0, 5, 0], [5, 0, 0, 5, 0], 0.0),                                   # no time passed
    ([9, 0, 0, 5], [5, 0, 0, 10], 0.0),                                       # counters went back
    ([0, 0, 0, 0], [1, 0, 0, 2], 33.3),                                       # a kernel with four counters
])
def test_busy_percent_as_psutil_computes_it(before, after, percent):
    assert _procfs.busy_percent(before, after) == percent


@pytest.mark.parametrize("text", ["", "cpu  1 2\n", "cpux 1 2 3 4 5\n", "cpu  1 2 three 4 5\n", "intr 1 2 3 4\n",
                                  "cpu  1 2 3 4 5",  # not a whole line
                                  "cpu " + " 1" * 5000 + "\n"])  # longer than any real one: cut, so refused
def test_cpu_times_refuses_what_is_not_a_cpu_line(tmp_path, text):
    path = tmp_path / "stat"
    path.write_text(text)
    assert _procfs.cpu_times(str(path)) is None


def test_meminfo_reads_fields_in_bytes_and_skips_what_it_cannot_read(tmp_path):
    path = tmp_path / "meminfo"
    path.write_text("MemTotal:  1000 kB\nHugePages_Total:  4\nbroken line\nMemFree: lots kB\n: 7 kB\n")
    assert _procfs.meminfo(str(path)) == {"MemTotal": 1024000, "HugePages_Total": 4, "": 7 * 1024}
    assert _procfs.memory(str(path)) is None
    assert _procfs.meminfo(str(tmp_path / "absent")) is None


def test_meminfo_reads_a_bounded_amount(tmp_path):
    path = tmp_path / "meminfo"
    path.write_text("MemTotal: 1000 kB\n" + "X: 1 kB\n" * 100000)
    fields = _procfs.meminfo(str(path))
    assert fields["MemTotal"] == 1024000 and len(fields) == 2


def test_available_above_total_falls_back_to_free_as_psutil_does(tmp_path):
    path = tmp_path / "meminfo"
    path.write_text("MemTotal: 1000 kB\nMemFree: 300 kB\nMemAvailable: 5000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n")
    assert _procfs.memory(str(path)) == (1024000, 300 * 1024, 0, 0)


def test_a_kernel_without_memavailable_gets_psutils_numbers(tmp_path, monkeypatch):
    path = tmp_path / "meminfo"
    path.write_text(OLD_MEMINFO)
    monkeypatch.setattr(_procfs, "MEMINFO", str(path))
    assert _procfs.memory() is None
    # psutil is importable here, so the kind still runs, on psutil's reading of the real host
    assert _memory.REQUIRES["psutil"]()
    result = run(_memory)
    assert result["metrics"]["available_bytes"] != 1024000 * 1024
    vm = psutil.virtual_memory()
    assert abs(result["metrics"]["available_bytes"] - vm.available) <= DRIFT


def test_without_proc_stat_the_load_kind_samples_with_psutil(tmp_path, monkeypatch):
    monkeypatch.setattr(_procfs, "STAT", str(tmp_path / "absent"))
    assert _procfs.cpu_times() is None and _load.REQUIRES["psutil"]()
    result = run(_load, interval=0.1)
    assert 0.0 <= result["metrics"]["cpu_percent"] <= 100.0
