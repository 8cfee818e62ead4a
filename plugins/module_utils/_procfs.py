# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Linux's memory and CPU counters, read from /proc as psutil reads them, for the memory and load kinds.

Importing psutil costs a host about 17 ms of CPU on every run, more than those two checks cost, and
the health_check role runs them on every host by default. Where /proc does not give what they need
(another system than Linux, a kernel before 3.14 without MemAvailable), they use psutil, and only
there does a host need it.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

MEMINFO = "/proc/meminfo"
STAT = "/proc/stat"

# Bounds on what is read: both files are a few KiB.
MAX_MEMINFO_BYTES = 1 << 16
MAX_STAT_LINE = 4096

# The memory kind's fields.
MEMORY_FIELDS = ("MemTotal", "MemAvailable", "SwapTotal", "SwapFree")


def meminfo(path=None):
    """``{field: value}`` from /proc/meminfo (``MEMINFO``), kB values in bytes; None when the file cannot be read."""
    try:
        with open(path or MEMINFO, "rb") as handle:
            data = handle.read(MAX_MEMINFO_BYTES)
    except OSError:
        return None
    fields = {}
    for line in data.splitlines():
        name, _sep, rest = line.partition(b":")
        parts = rest.split()
        if not parts or not parts[0].isdigit():
            continue
        value = int(parts[0])
        if parts[1:2] == [b"kB"]:
            value *= 1024
        fields[name.strip().decode("ascii", "replace")] = value
    return fields


def memory(path=None):
    """``(total, available, swap_total, swap_free)`` in bytes, as psutil's virtual_memory() and
    swap_memory() give them, or None when /proc/meminfo lacks one of them."""
    fields = meminfo(path)
    if fields is None or any(name not in fields for name in MEMORY_FIELDS):
        return None
    total, available = fields["MemTotal"], max(0, fields["MemAvailable"])
    if available > total:
        # psutil's guard for kernels (LXC, some containers) that report more available than total
        available = fields.get("MemFree", total)
    return total, available, fields["SwapTotal"], fields["SwapFree"]


def cpu_times(path=None):
    """The tick counters of /proc/stat's (``STAT``) aggregate ``cpu`` line (user, nice, system, idle,
    iowait, irq, softirq, steal, guest, guest_nice: as many as the kernel gives), or None."""
    try:
        with open(path or STAT, "rb") as handle:
            first = handle.readline(MAX_STAT_LINE)
    except OSError:
        return None
    parts = first.split() if first.endswith(b"\n") else []  # a line cut at the bound is not read
    if len(parts) < 5 or parts[0] != b"cpu" or not all(part.isdigit() for part in parts[1:]):
        return None
    return [int(part) for part in parts[1:]]


def busy_percent(before, after):
    """The CPU's busy share between two ``cpu_times`` samples, as psutil.cpu_percent() computes it:
    busy is all time but idle and iowait; guest time is already inside user and nice, so it is not
    added again. Rounded to 0.1, within 0..100; 0.0 when no time passed."""
    def split(times):
        total = sum(times[:8])
        return total, total - times[3] - (times[4] if len(times) > 4 else 0)

    total_before, busy_before = split(before)
    total_after, busy_after = split(after)
    elapsed = total_after - total_before
    if elapsed <= 0 or busy_after <= busy_before:
        return 0.0
    return round(min(100.0, 100.0 * (busy_after - busy_before) / elapsed), 1)
