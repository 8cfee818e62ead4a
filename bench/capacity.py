# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The capacity benchmark behind docs/capacity.md (make bench-capacity): what the main job costs the controller.

`ansible-playbook sre.health.check` with the role's defaults (mainjob.arms: fail_on never, the reports in the
workdir) and a `ping` playbook as the floor, over SSH to the benchmark's own sshd (bench/sshd.py: every host an
alias of this machine with its own ControlPersist master), at N hosts and F forks. Each run is measured from
cold connections: its wall time and controller CPU (bench.measure: the ansible-playbook process tree, plus the
ssh ControlPersist masters, which run on the controller but leave the tree: found in /proc by their ControlPath)
and the controller's memory, sampled every 0.2 s from /proc (RSS and PSS of the tree, the parent, each worker;
the masters apart). From the measured rows it computes, with AWX's own capacity rules, the forks per execution
node, the nodes and the slices that a fleet needs to be checked every 5 or 15 minutes, and writes both to
docs/capacity.md and docs/capacity.json. `--replan docs/capacity.json` recomputes the plan from stored rows.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import shutil
import sys
import tempfile
import threading
import time

import bench
import mainjob
import sshd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SAMPLE_SECONDS = 0.2
TICKS = os.sysconf("SC_CLK_TCK")
CONTROL_PERSIST = 60  # seconds, sshd.Sshd.host_vars: a master outlives its last session by this much
ARMS = ("ping", "main job")

# AWX's capacity rules (docs/capacity.md cites the sources): forks per core, MB of memory per fork, the memory
# kept back for AWX's own services, the capacity_adjustment default, and a job's impact (forks + 1).
AWX_FORKS_PER_CPU = 4        # SYSTEM_TASK_FORKS_CPU
AWX_MEM_PER_FORK_MB = 100    # SYSTEM_TASK_FORKS_MEM
AWX_MEM_RESERVED_MB = 2048   # memory_penalty_bytes (not on Kubernetes)
AWX_CAPACITY_ADJUSTMENT = 1.0

FLEETS = (1000, 10000, 50000)
FULL_SIZE = 500  # the largest N of the full measurement (issue 18: at least 500)
ROW_KEYS = ("arm", "hosts", "forks", "runs", "wall", "cpu", "cpu_tree", "cpu_masters", "tree_pss", "tree_rss",
            "parent_pss", "worker_pss", "worker_rss", "workers", "masters", "masters_started", "masters_pss")
META_KEYS = ("date", "elapsed", "cpus", "memory", "platform", "load", "versions", "sizes", "forks", "checks")
INTERVALS = (300, 900)
# Red Hat's minimum execution node (4 vCPU, 16 GB), and one twice that size.
NODES = ((4, 16), (8, 32))


# --- bad input: one clear line naming the option, the value and what is accepted ------------------------

def _positive_ints(bound=None, example="10,50"):
    def parse(text):
        try:
            values = [int(v) for v in text.split(",") if v.strip()]
        except ValueError:
            values = []
        if not values or any(v < 1 or (bound is not None and v > bound) for v in values):
            raise argparse.ArgumentTypeError(
                "%r: expected positive whole numbers separated by commas%s, e.g. %s"
                % (text, "" if bound is None else " (at most %d)" % bound, example))
        return values
    return parse


def _fraction(zero=False):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not (0 <= value <= 1 if zero else 0 < value <= 1):
            raise argparse.ArgumentTypeError("%r: expected a number from 0 %s to 1, e.g. 0.8"
                                             % (text, "included" if zero else "excluded"))
        return value
    return parse


def _node_types(text):
    """'4:16,8:32' -> [(4, 16), (8, 32)]: cores and GiB of memory of an execution node."""
    out = []
    for item in text.split(","):
        cores, _sep, gib = item.strip().partition(":")
        try:
            out.append((int(cores), int(gib)))
        except ValueError:
            out = []
            break
        if out[-1][0] < 1 or out[-1][1] * 1024 <= AWX_MEM_RESERVED_MB:
            out = []
            break
    if not out:
        raise argparse.ArgumentTypeError("%r: expected CORES:GIB pairs separated by commas, each with at "
                                         "least 1 core and more than 2 GiB (AWX keeps 2 GiB back), e.g. 4:16,8:32"
                                         % text)
    return out


# --- /proc ---------------------------------------------------------------------------------------------

def _read(path, limit=65536):
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError:  # the process ended meanwhile
        return None


def _table():
    """{pid: (ppid, command name, CPU seconds of its own)} of every process on the machine."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        raw = _read("/proc/%s/stat" % name, 4096)
        if not raw:
            continue
        text = raw.decode("ascii", "replace")
        comm = text[text.find("(") + 1:text.rfind(")")]
        fields = text[text.rfind(")") + 2:].split()
        out[int(name)] = (int(fields[1]), comm, (int(fields[11]) + int(fields[12])) / float(TICKS))
    return out


def _memory(pid):
    """(RSS, PSS) bytes of one process from smaps_rollup; (0, 0) once it has gone."""
    raw = _read("/proc/%d/smaps_rollup" % pid)
    rss = pss = 0
    for line in (raw or b"").decode("ascii", "replace").splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1]) * 1024
        elif line.startswith("Pss:"):
            pss = int(line.split()[1]) * 1024
    return rss, pss


class Sampler(object):
    """While a run lasts, every SAMPLE_SECONDS: the RSS and PSS of the run's process tree (the ansible-playbook
    child of this process and its descendants), of its parent and of each worker (the parent's Python children),
    and the CPU and memory of the ssh ControlPersist masters under ``control_dir`` (an ssh master names itself
    "ssh: <ControlPath> [mux]"; once its first client exits it is reparented away from the tree, so the tree's
    rusage never counts it)."""

    def __init__(self, control_dir, exclude, stale):
        self.prefix = "ssh: " + os.path.join(control_dir, "cp-")
        self.exclude = set(exclude)   # children of this process that are not the run (the sshd)
        self.stale = set(stale)       # masters of an earlier run still exiting
        self.peak = dict.fromkeys(("tree_rss", "tree_pss", "parent_rss", "parent_pss", "worker_rss", "worker_pss",
                                   "workers", "masters", "masters_rss", "masters_pss"), 0)
        self.master_cpu = {}
        self.samples = 0
        self.own_cpu = 0.0  # the sampler thread's own CPU time: it shares the cores with the run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample(final=True)  # the masters outlive the run (ControlPersist): their CPU up to now

    def _loop(self):
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()
        self.own_cpu = time.thread_time()

    def masters(self, table):
        found = []
        for pid, (_ppid, comm, _cpu) in table.items():
            if comm != "ssh" or pid in self.stale:
                continue
            cmdline = (_read("/proc/%d/cmdline" % pid, 4096) or b"").replace(b"\0", b" ").decode("utf-8", "replace")
            if cmdline.startswith(self.prefix) and cmdline.rstrip().endswith("[mux]"):
                found.append(pid)
        return found

    def sample(self, final=False):
        table = _table()
        masters = self.masters(table)
        for pid in masters:
            self.master_cpu[pid] = max(self.master_cpu.get(pid, 0.0), table[pid][2])
        mrss = mpss = 0
        for pid in masters:
            rss, pss = _memory(pid)
            mrss, mpss = mrss + rss, mpss + pss
        self._high(masters=len(masters), masters_rss=mrss, masters_pss=mpss)
        if final:
            return
        me = os.getpid()
        children = {}
        for pid, (ppid, _comm, _cpu) in table.items():
            children.setdefault(ppid, []).append(pid)
        roots = [pid for pid in children.get(me, []) if pid not in self.exclude and table[pid][1] != "ssh"]
        if not roots:
            return
        skip = set(masters)
        tree, todo = [], list(roots)
        while todo:
            pid = todo.pop()
            if pid in skip:
                continue
            tree.append(pid)
            todo.extend(children.get(pid, []))
        total_rss = total_pss = 0
        workers = 0
        for pid in tree:
            rss, pss = _memory(pid)
            total_rss, total_pss = total_rss + rss, total_pss + pss
            if pid in roots:
                self._high(parent_rss=rss, parent_pss=pss)
            elif table[pid][0] in roots and table[pid][1] != "ssh":
                workers += 1
                self._high(worker_rss=rss, worker_pss=pss)
        self._high(tree_rss=total_rss, tree_pss=total_pss, workers=workers)
        self.samples += 1

    def _high(self, **values):
        for key, value in values.items():
            self.peak[key] = max(self.peak[key], value)


def _quiet(server):
    """End the masters of the previous run; the pids of those still exiting (not counted in the next run)."""
    server.close_masters()
    deadline = time.monotonic() + 5
    probe = Sampler(server.dir, (), ())
    while True:
        left = probe.masters(_table())
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def measure(bench_, argv, env, server, hosts, forks):
    """One run from cold connections: a row of wall, CPU (tree, masters) and peak memory."""
    stale = _quiet(server)
    with Sampler(server.dir, [server.proc.pid], stale) as sampler:
        wall, cpu_tree = bench.measure(argv, env, bench_.workdir)
    cpu_masters = sum(sampler.master_cpu.values())
    row = {"hosts": hosts, "forks": forks, "wall": wall, "cpu_tree": cpu_tree, "cpu_masters": cpu_masters,
           "cpu": cpu_tree + cpu_masters, "masters_started": len(sampler.master_cpu), "samples": sampler.samples,
           "sampler_cpu": sampler.own_cpu}
    row.update(sampler.peak)
    return row


def _median_row(runs):
    row = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and key not in ("hosts", "forks"):
            row[key] = statistics.median(r[key] for r in runs)
    row["runs"] = len(runs)
    return row


def run_plan(bench_, collections, server, sizes, runs):
    """Rows (arm, N, forks) in the order of ``sizes`` [(N, forks)]; ping and the main job interleaved."""
    defs = mainjob.default_checks(collections)
    rows = []
    for hosts, forks in sizes:
        inv = bench_.inventory(hosts, server)
        argvs = mainjob.arms(bench_, defs, inv, "cap-%d-%d" % (hosts, forks))
        env = dict(bench_.env, ANSIBLE_FORKS=str(forks))
        samples = dict((arm, []) for arm in ARMS)
        for _r in range(runs):
            for arm in ARMS:
                samples[arm].append(measure(bench_, argvs[arm], env, server, hosts, forks))
        for arm in ARMS:
            row = _median_row(samples[arm])
            row["arm"] = arm
            rows.append(row)
            print("  capacity N=%-3d forks=%-3d %-8s wall %7.2f s  cpu %7.2f s (masters %5.2f s)  peak PSS %s"
                  % (hosts, forks, arm, row["wall"], row["cpu"], row["cpu_masters"], _mib(row["tree_pss"])),
                  flush=True)
    return rows


# --- the plan ------------------------------------------------------------------------------------------

def _mib(value):
    return "%.0f MiB" % (value / 1048576.0)


def _line(rows, key):
    """(intercept, slope) of ``key`` against hosts between the two largest N (the marginal cost at the top of the
    measured range); with one size, (0, value / N)."""
    rows = sorted(rows, key=lambda r: r["hosts"])
    if len(rows) == 1 or rows[-1]["hosts"] == rows[-2]["hosts"]:
        return 0.0, rows[-1][key] / float(rows[-1]["hosts"])
    low, high = rows[-2], rows[-1]
    slope = (high[key] - low[key]) / float(high["hosts"] - low["hosts"])
    return high[key] - slope * high["hosts"], slope


def per_host(rows, forks):
    """The main job's costs per host at ``forks``, fitted on the measured rows (the doc's "Per host")."""
    job = [r for r in rows if r["arm"] == "main job" and r["forks"] == forks]
    ping = [r for r in rows if r["arm"] == "ping" and r["forks"] == forks]
    if not job:
        raise SystemExit("capacity: no main job rows at forks %d to plan from" % forks)
    cpu0, cpu = _line(job, "cpu")
    wall0, wall = _line(job, "wall")
    # the latency probe: one fork, so nothing queues for the CPU but the host's own work (see the doc)
    probe = [r for r in rows if r["arm"] == "main job" and r["forks"] == 1]
    latency = _line(probe, "wall")[1] if len(set(r["hosts"] for r in probe)) > 1 else None
    parent0, parent = _line(job, "parent_pss")
    largest = max(job, key=lambda r: r["hosts"])
    return {
        "forks": forks, "sizes": sorted(r["hosts"] for r in job),
        "cpu_per_host": cpu, "cpu_fixed": max(cpu0, 0.0),
        "ping_cpu_per_host": _line(ping, "cpu")[1] if ping else None,
        "wall_fixed": max(wall0, 0.0),
        # a fork is busy this long with one host: measured with one fork; or, without the probe, at ``forks``
        # forks, queueing for the CPU included (an upper bound)
        "latency": latency if latency else wall * forks, "latency_probed": bool(latency),
        "latency_contended": wall * forks,
        "parent_pss_fixed": max(parent0, 0.0), "parent_pss_per_host": max(parent, 0.0),
        "worker_pss": largest["worker_pss"], "worker_rss": largest["worker_rss"],
        "master_pss": largest["masters_pss"] / float(max(largest["masters"], 1)),
    }


def awx_capacity(cores, gib, adjustment=AWX_CAPACITY_ADJUSTMENT):
    """AWX's capacity of one execution node: (cpu_capacity, mem_capacity, capacity) in forks."""
    cpu_capacity = max(1, int(cores * AWX_FORKS_PER_CPU))
    mem_capacity = max(1, (gib * 1024 - AWX_MEM_RESERVED_MB) // AWX_MEM_PER_FORK_MB)
    low, high = min(cpu_capacity, mem_capacity), max(cpu_capacity, mem_capacity)
    return cpu_capacity, mem_capacity, int(low + (high - low) * adjustment)


def plan_fleet(costs, cores, gib, fleet, interval, settings):
    """One row of the plan: forks per node, nodes, slices, hosts per slice, the slice's wall, the memory."""
    cpu_cap, mem_cap, capacity = awx_capacity(cores, gib, settings.adjustment)
    utilisation, duty = settings.utilisation, settings.duty
    # a job's impact is forks + 1 (the ansible-playbook parent); one slice per node
    awx_forks = capacity - 1
    latency, cpu = costs["latency"], costs["cpu_per_host"]
    # forks that keep the node's cores busy to the target utilisation, no more (each fork is one host at a time)
    busy_forks = max(1, int(math.ceil(utilisation * cores * latency / cpu)))
    forks = max(1, min(awx_forks, busy_forks))
    rate = min(forks / latency, utilisation * cores / cpu)  # hosts per second per node
    window = duty * interval - costs["wall_fixed"]
    if window <= 0:
        return None
    per_node = int(window * rate)
    if per_node < 1:
        return None
    bound = "CPU" if busy_forks <= awx_forks else "forks"
    nodes = max(1, int(math.ceil(fleet / float(per_node))))
    usable = gib * 1073741824.0 - AWX_MEM_RESERVED_MB * 1048576.0
    while True:
        hosts = int(math.ceil(fleet / float(nodes)))
        masters = min(hosts, int(math.ceil(rate * (CONTROL_PERSIST + latency))))
        memory = (costs["parent_pss_fixed"] + costs["parent_pss_per_host"] * hosts + forks * costs["worker_pss"]
                  + masters * costs["master_pss"])
        if memory <= usable or nodes >= fleet:
            break
        nodes, bound = nodes + 1, "memory"
    return {"cores": cores, "gib": gib, "fleet": fleet, "interval": interval, "cpu_capacity": cpu_cap,
            "mem_capacity": mem_cap, "capacity": capacity, "awx_forks": awx_forks, "busy_forks": busy_forks,
            "forks": forks, "rate": rate, "nodes": nodes, "slices": nodes, "hosts_per_slice": hosts,
            "wall": costs["wall_fixed"] + hosts / rate, "memory": memory, "masters": masters,
            "cores_busy": (fleet * cpu + nodes * costs["cpu_fixed"]) / interval, "bound": bound}


def plan(costs, settings):
    """The plan's rows for every node type of ``settings.nodes``, fleet and interval."""
    out = []
    for cores, gib in settings.nodes:
        for fleet in FLEETS:
            for interval in INTERVALS:
                row = plan_fleet(costs, cores, gib, fleet, interval, settings)
                if row is not None:
                    out.append(row)
    return out


# --- the document --------------------------------------------------------------------------------------

def _s(value):
    return "%.2f s" % value


def _md(header, cells):
    """A Markdown table: ``header`` [(title, right-aligned?)], ``cells`` one list of strings a row."""
    return (["| " + " | ".join(title for title, _right in header) + " |",
             "|" + "|".join("---:" if right else "---" for _title, right in header) + "|"]
            + ["| " + " | ".join(row) + " |" for row in cells])


def measured_table(rows):
    header = [("arm", False), ("N hosts", True), ("forks", True), ("runs", True), ("wall", True),
              ("controller CPU (tree + ssh masters)", True), ("CPU per host", True),
              ("peak memory PSS: tree, parent, one worker (RSS)", False), ("workers", True),
              ("ssh masters: started, PSS per host", False)]
    return _md(header, [[
        r["arm"], "%d" % r["hosts"], "%d" % r["forks"], "%d" % r["runs"], _s(r["wall"]),
        "%s (%s + %s)" % (_s(r["cpu"]), _s(r["cpu_tree"]), _s(r["cpu_masters"])), "%.3f s" % (r["cpu"] / r["hosts"]),
        "%s, %s, %s (%s)" % (_mib(r["tree_pss"]), _mib(r["parent_pss"]), _mib(r["worker_pss"]), _mib(r["worker_rss"])),
        "%d" % r["workers"], "%d, %.1f MiB" % (r["masters_started"], r["masters_pss"] / 1048576.0 / r["hosts"])]
        for r in rows])


def plan_table(rows):
    header = [("node", False), ("fleet", True), ("every", True), ("AWX capacity (CPU, memory)", False),
              ("forks per node", True), ("bound", False), ("hosts per second per node", True),
              ("nodes = slices", True), ("hosts per slice", True), ("wall per slice", True),
              ("memory per node", True), ("controller cores busy", True)]
    return _md(header, [[
        "%d cores, %d GiB" % (r["cores"], r["gib"]), "{:,}".format(r["fleet"]), "%d min" % (r["interval"] // 60),
        "%d (%d, %d)" % (r["capacity"], r["cpu_capacity"], r["mem_capacity"]), "%d" % r["forks"], r["bound"],
        "%.1f" % r["rate"], "%d" % r["nodes"], "{:,}".format(r["hosts_per_slice"]), "%.0f s" % r["wall"],
        _mib(r["memory"]), "%.1f" % r["cores_busy"]] for r in rows])


SOURCES = [
    "AWX, `docs/capacity.md` (\"AWX Capacity Determination and Job Impact\"): memory capacity "
    "`(mem - 2048) / mem_per_fork` with `SYSTEM_TASK_FORKS_MEM` = 100 MB; CPU capacity `cpus * fork_per_cpu` with "
    "`SYSTEM_TASK_FORKS_CPU` = 4; `capacity_adjustment` between the two; a job's impact is `forks + 1` (the "
    "ansible-playbook parent), `min(forks, hosts) + 1` when it has fewer hosts than forks.",
    "AWX, `awx/main/utils/common.py`: `get_cpu_effective_capacity()` (cores x 4, overridable by the setting or "
    "environment variable) and `get_mem_effective_capacity()` (2 GiB kept back except on Kubernetes, then MiB "
    "// 100).",
    "AWX, `awx/main/models/ha.py`: `Instance.capacity_adjustment` defaults to 1.0 and `set_capacity_value()` "
    "sets `capacity = lower + (higher - lower) * capacity_adjustment`: by default the larger of the two, which is "
    "the memory capacity on any node with more than 2 GiB + 400 MiB per core (CPU overcommitted).",
    "AWX, `docs/job_slicing.md` and `docs/docsite/rst/common/job-slicing-rule.rst`: `job_slice_count` turns a "
    "launch into a workflow of that many jobs, the inventory spread evenly over them; the number of slices is "
    "expected to be at most the number of nodes.",
    "Red Hat Ansible Automation Platform 2.5/2.6 documentation, \"Automation controller system requirements\" "
    "(execution node minimum 4 vCPU, 16 GB; about 1 GB per 10 forks plus 2 GB kept back) and \"Capacity settings "
    "for each node type\" (one fork is estimated at 0.25 CPU and 100 MB).",
]


def document(meta, rows, costs, planned, args):
    load = meta["load"]
    job = [r for r in rows if r["arm"] == "main job" and r["forks"] == costs["forks"]]
    per_size = ", ".join("%.3f s at N=%d" % (r["cpu"] / r["hosts"], r["hosts"]) for r in job)
    sampler = max(r.get("sampler_cpu", 0.0) / max(r["wall"], 0.001) for r in rows)
    shown, skip = [], False
    for arg in meta.get("argv", []):  # the command line, less the local paths
        if skip or arg in ("--collections", "--output"):
            skip = not skip and "=" not in arg
            continue
        shown.append(arg)
    doc = ["# Capacity plan", "",
           "Written by `%s` (`make bench-capacity`) on %s UTC in %.0f s. Machine: %d CPUs, %s memory, "
           "%s; load average %.2f at the start, %.2f at the end (a shared machine: other work may have been "
           "running). Versions: %s." % (
               " ".join(["bench/capacity.py"] + shown), meta["date"], meta["elapsed"], meta["cpus"], meta["memory"],
               meta["platform"], load[0], load[1], ", ".join("%s %s" % kv for kv in sorted(meta["versions"].items()))),
           "",
           "**Measured** (the table below, on this machine, N = %s): wall time, controller CPU and controller memory "
           "of `ansible-playbook sre.health.check` with the role's defaults, and of a `ping` playbook as the floor. "
           "**Extrapolated** (the plan): everything for 1,000 hosts and more, from the per-host costs fitted on the "
           "measured rows, with AWX's capacity rules. The raw rows and the plan are in "
           "[capacity.json](capacity.json); `python bench/capacity.py --replan docs/capacity.json` recomputes the "
           "plan from them (`--nodes`, `--utilisation`, `--duty`)." % ", ".join(str(n) for n in meta["sizes"]), ""]
    if max(meta["sizes"]) < FULL_SIZE:
        doc += ["**Preliminary**: the largest N measured is %d, below the %d the plan is meant to start from; "
                "`make bench-capacity` measures N = 10, 50, 200 and 500 (see the Makefile)."
                % (max(meta["sizes"]), FULL_SIZE), ""]
    doc += ["## Measured", "",
            "Over SSH to the benchmark's own sshd on 127.0.0.1 (every host is an alias of this machine with its own "
            "ControlPersist master, pipelining on, every run from cold connections; runs interleaved: ping, then the "
            "main job). The main job is what users run: `sre.health.check` with the role's %d default checks "
            "(disk, memory, load), `fail_on: never`, the fleet reports written to the workdir. Controller CPU is "
            "user + system time of the ansible-playbook process tree (getrusage of the children) plus the ssh "
            "ControlPersist masters (they run on the controller but leave the tree: found in /proc by their "
            "ControlPath under the run's sshd directory); the modules run under sshd and are not counted, though "
            "they share this machine's cores, so wall times here are slower than with remote hosts. Memory is "
            "sampled every %.1f s from /proc/PID/smaps_rollup: peak PSS of the whole tree (RSS counts the pages a "
            "forked worker shares with its parent once per process; PSS shares them out), of the parent, of the "
            "largest worker (a worker is a Python child of the parent; its ssh clients are in the tree's total). The "
            "sampler's own CPU, on the same cores, was at most %.0f%% of a core. Medians over the runs. The rows at "
            "forks 1 are the latency probe (below)." % (meta["checks"], SAMPLE_SECONDS, sampler * 100), ""]
    doc += measured_table(rows)
    doc += ["", "## Per host, fitted on the measured rows", "",
            "From the main job at forks %d, between the two largest sizes (the marginal cost at the top of the "
            "measured range, so that start-up and the once-per-run report step are not spread over the hosts):"
            % costs["forks"], "",
            "- controller CPU: **%.3f s per host** (ping: %s), plus %.1f s per run; the measured CPU per host was %s"
            % (costs["cpu_per_host"], "-" if costs["ping_cpu_per_host"] is None
               else "%.3f s" % costs["ping_cpu_per_host"], costs["cpu_fixed"], per_size),
            "- wall: %.1f s per run plus %.3f s per host at %d forks. A fork is busy with one host for **L = %.2f s"
            "** (%s); at %d forks on these 2 cores a fork was busy %.2f s per host, most of it queueing for the CPU "
            "behind the other forks and the modules (the hosts are this machine)." % (
                costs["wall_fixed"], costs["latency_contended"] / costs["forks"], costs["forks"], costs["latency"],
                "the latency probe: the main job with one fork at N = %s, the wall per host added; nothing queues "
                "but the host's own work and the controller's for that host" % ", ".join(
                    str(n) for n in meta.get("latency_sizes", [])) if costs["latency_probed"] else
                "no latency probe was run: the contended figure below, an upper bound", costs["forks"],
                costs["latency_contended"]),
            "- memory: one worker %s PSS (%s RSS), against AWX's assumption of %d MB per fork; the parent %s plus "
            "%.1f KiB per host; one ssh master %.1f MiB PSS." % (
                _mib(costs["worker_pss"]), _mib(costs["worker_rss"]), AWX_MEM_PER_FORK_MB,
                _mib(costs["parent_pss_fixed"]), costs["parent_pss_per_host"] / 1024.0,
                costs["master_pss"] / 1048576.0),
            "", "## AWX's capacity rules", ""]
    doc += ["- " + s for s in SOURCES]
    doc += ["", "So a node with C cores and M MiB has a CPU capacity of 4C forks and a memory capacity of "
            "(M - 2048) // 100 forks; its capacity is the larger (capacity_adjustment 1.0, the default). A slice "
            "of the job with F forks takes F + 1 of it, so one slice per node runs with at most capacity - 1 "
            "forks. The plan below uses capacity_adjustment %.2f (`--adjustment`)." % args.adjustment,
            "", "## The plan", "",
            "Each fleet must be checked once per interval, each run finishing within %.0f%% of the interval (the "
            "rest is slack for the schedule, the control plane and the execution environment's start, none of "
            "which is measured here). One slice per execution node (AWX: slices at most the nodes), `job_slice_count`"
            " = nodes. Per node:" % (args.duty * 100), "",
            "- forks = the fewest that keep the node's cores %.0f%% busy, `ceil(%.2f x cores x L / CPU per host)`, "
            "but at most AWX's capacity - 1; **bound** says which limit set it;"
            % (args.utilisation * 100, args.utilisation),
            "- hosts per second = min(forks / L, %.2f x cores / CPU per host) (CPU per host extrapolated "
            "linearly);" % args.utilisation,
            "- nodes = fleet / (hosts per second x (%.0f%% of the interval - the run's fixed %.1f s)); wall per "
            "slice is the fixed part plus its hosts at that rate;" % (args.duty * 100, costs["wall_fixed"]),
            "- memory per node = the parent (fixed + per host of its slice) + forks x one worker + the ssh masters "
            "alive at once (ControlPersist %d s: the hosts done in the last %d s + L); where that would not fit "
            "in the node's memory less AWX's 2 GiB, more nodes (**bound**: memory);"
            % (CONTROL_PERSIST, CONTROL_PERSIST),
            "- controller cores busy = the fleet's controller CPU per interval (all nodes), as cores.", ""]
    doc += plan_table(planned)
    doc += ["", "## Assumptions and limits", "",
            "- The checks are the role's defaults (disk, memory, load: its CPU sample waits 0.5 s on the host); "
            "more or slower checks lengthen L (the wait) far more than the controller CPU.",
            "- SSH with pipelining and ControlPersist, as here; the hosts answer at loopback latency. A real "
            "network adds its round trips to L, which adds forks (up to AWX's capacity), not CPU.",
            "- The CPU per host is taken as constant beyond the measured N (linear); the per-size figures above "
            "show whether it grew with N in the measured range. A slice of several thousand hosts is far beyond "
            "it: measure the largest slice size the plan gives before relying on it.",
            "- Not measured: the control plane (job events: every task result of every host goes to the control "
            "nodes), the execution environment container's start, the facts cache, callbacks other than the "
            "default.",
            "- CPU seconds hardly depend on what else runs on the machine; wall times do, and so does L (the "
            "load averages above say how busy the machine was). A longer L raises the forks per node; where the "
            "CPU is the bound it changes neither the hosts per second nor the nodes.",
            "- The modules' CPU is the hosts' and is not counted; here they ran on the same 2 cores, which is why "
            "the measured walls are longer than the plan's for the same number of hosts."]
    return doc + more_forks(rows, costs["forks"]) + overcommit(planned, costs)


def more_forks(rows, forks):
    """What more forks bought at the largest size measured with more than one forks value (measured)."""
    job = [r for r in rows if r["arm"] == "main job" and r["forks"] > 1]
    if not job:
        return []
    largest = max(r["hosts"] for r in job)
    at = sorted((r for r in job if r["hosts"] == largest), key=lambda r: r["forks"])
    base = [r for r in at if r["forks"] == forks]
    if len(at) < 2 or not base:
        return []
    most = at[-1]
    gain = 1 - most["wall"] / base[0]["wall"]
    return ["- More forks on this machine (measured, N=%d): %s. Forks %d took %.0f%% less wall than forks %d%s"
            % (largest, "; ".join("forks %d: wall %s, CPU %s, peak PSS %s" % (
                r["forks"], _s(r["wall"]), _s(r["cpu"]), _mib(r["tree_pss"])) for r in at), most["forks"],
               gain * 100, forks, ": on 2 cores the CPU is the limit, and more forks mostly cost memory (a worker "
               "each)." if gain < 0.1 else ".")]


def overcommit(planned, costs):
    """AWX's capacity against the forks the measured CPU can feed, per node type (computed)."""
    out = []
    for row in planned:
        if row["fleet"] != FLEETS[0] or row["interval"] != INTERVALS[0]:
            continue
        out.append("- A node with %d cores and %d GiB: AWX's capacity %d lets one job run %d forks; this job's "
                   "controller CPU (%.3f s per host, L = %.2f s) keeps %.0f%% of its cores busy at %d forks%s" % (
                       row["cores"], row["gib"], row["capacity"], row["awx_forks"], costs["cpu_per_host"],
                       costs["latency"], 100 * row["rate"] * costs["cpu_per_host"] / row["cores"], row["forks"],
                       ": more forks would only queue for the CPU." if row["bound"] == "CPU" else
                       ", AWX's capacity binding first."))
    if out:
        out.append("- One worker's measured PSS is %s against AWX's %d MB per fork: %s" % (
            _mib(costs["worker_pss"]), AWX_MEM_PER_FORK_MB,
            "AWX's memory rule is on the safe side for this job." if costs["worker_pss"] <= AWX_MEM_PER_FORK_MB * 1e6
            else "AWX's memory rule underestimates this job; the plan's memory column uses the measured figure."))
    return out


def write(meta, rows, args, output, data_output):
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    costs = per_host(rows, meta["forks"])
    planned = plan(costs, args)
    doc = document(meta, rows, costs, planned, args)
    for path, text in ((output, "\n".join(doc) + "\n"),
                       (data_output, json.dumps({"meta": meta, "rows": rows, "per_host": costs, "plan": planned,
                                                 "utilisation": args.utilisation, "duty": args.duty,
                                                 "adjustment": args.adjustment}, indent=1)
                        + "\n")):
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(path + ".tmp", path)
    print("capacity: wrote %s and %s" % (output, data_output))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_positive_ints(), default=[10, 50, 200, 500],
                        help="numbers of hosts (default 10,50,200,500)")
    parser.add_argument("--forks", type=_positive_ints(1000, "10"), default=[10],
                        help="forks of every size (default 10; the plan uses the first)")
    parser.add_argument("--large-forks", type=_positive_ints(1000, "50"), default=[50],
                        help="more forks measured at the largest size only (default 50)")
    parser.add_argument("--no-large-forks", action="store_true", help="measure no --large-forks")
    parser.add_argument("--latency-sizes", type=_positive_ints(50, "1,5"), default=[1, 5],
                        help="sizes of the latency probe, run with one fork (default 1,5)")
    parser.add_argument("--no-latency", action="store_true", help="no latency probe (the plan's L is then the "
                        "contended upper bound)")
    parser.add_argument("--runs", type=_positive_ints(100, "3"), default=[1],
                        help="runs of each arm, the medians reported (default 1)")
    parser.add_argument("--nodes", type=_node_types, default=list(NODES),
                        help="execution nodes to plan for, CORES:GIB pairs (default 4:16,8:32)")
    parser.add_argument("--utilisation", type=_fraction(), default=0.8,
                        help="the share of a node's cores the plan may keep busy (default 0.8)")
    parser.add_argument("--duty", type=_fraction(), default=0.8,
                        help="the share of the interval a run may take (default 0.8)")
    parser.add_argument("--adjustment", type=_fraction(zero=True), default=AWX_CAPACITY_ADJUSTMENT,
                        help="AWX's capacity_adjustment of the nodes: 0 the CPU capacity, 1 the memory capacity "
                        "(default 1.0, AWX's)")
    parser.add_argument("--replan", metavar="JSON", help="no measuring: recompute the plan from this capacity.json")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=2, forks 2, one run, output to a temp dir")
    parser.add_argument("--output", help="the Markdown report (default docs/capacity.md; --quick: a temp file)")
    parser.add_argument("--collections", help="ANSIBLE_COLLECTIONS_PATH holding sre.health (not with --replan)")
    args = parser.parse_args()
    output = args.output or (os.path.join(tempfile.gettempdir(), "sre-health-capacity-quick.md") if args.quick
                             else os.path.join(ROOT, "docs", "capacity.md"))
    data_output = os.path.splitext(output)[0] + ".json"

    if args.replan:
        try:
            with open(args.replan, encoding="utf-8") as handle:
                stored = json.load(handle)
            meta, rows = stored["meta"], stored["rows"]
            per_host(rows, meta["forks"])
            if not all(set(ROW_KEYS) <= set(r) for r in rows) or not set(META_KEYS) <= set(meta):
                raise ValueError("rows or meta lack keys")
        except (OSError, ValueError, KeyError, TypeError, AttributeError, SystemExit) as exc:
            parser.error("--replan %r: expected a capacity.json written by this script (%s: %s)"
                         % (args.replan, type(exc).__name__, exc))
        write(meta, rows, args, output, data_output)
        return
    if not args.collections:
        parser.error("--collections: required unless --replan is given (the ANSIBLE_COLLECTIONS_PATH holding "
                     "sre.health, e.g. .build/collections)")
    defaults = os.path.join(args.collections, "ansible_collections", "sre", "health", "roles", "health_check",
                            "defaults", "main.yml")
    if not os.path.isfile(defaults):
        parser.error("--collections %r: expected a directory holding ansible_collections/sre/health (make copy "
                     "builds .build/collections); %s does not exist" % (args.collections, defaults))
    if not sshd.available():
        raise SystemExit("capacity: %s and ssh are needed (make bench-deps installs openssh-server)" % sshd.SSHD)
    if args.quick:
        args.sizes, args.forks, args.large_forks, args.runs, args.no_latency = [2], [2], [], [1], True
    sizes = sorted(set(args.sizes))
    measured_plan = [] if args.no_latency else [(n, 1) for n in sorted(set(args.latency_sizes))]
    measured_plan += [(n, f) for n in sizes for f in args.forks]
    if not args.no_large_forks:
        measured_plan += [(sizes[-1], f) for f in args.large_forks if f not in args.forks]

    load_start = os.getloadavg()
    workdir = tempfile.mkdtemp(prefix="sre-health-capacity-")
    started = time.monotonic()
    bench_ = bench.Bench(workdir, args.collections)
    server = sshd.Sshd(workdir).start()
    try:
        rows = run_plan(bench_, args.collections, server, measured_plan, args.runs[0])
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
            "elapsed": time.monotonic() - started, "cpus": os.cpu_count(), "memory": bench.memory_total(),
            "platform": platform.platform(), "load": [load_start[0], os.getloadavg()[0]],
            "versions": dict((k, v) for k, v in bench.versions().items() if k != "monitoring-plugins"),
            "sizes": sizes, "forks": args.forks[0], "runs": args.runs[0],
            "latency_sizes": [] if args.no_latency else sorted(set(args.latency_sizes)),
            "checks": len(mainjob.default_checks(args.collections)), "argv": sys.argv[1:]}
    write(meta, rows, args, output, data_output)


if __name__ == "__main__":
    main()
