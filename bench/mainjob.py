# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The main job as users run it: ``ansible-playbook sre.health.check`` with the role's own default
checks, against a ``ping`` playbook and one bare ``health_check`` task with the same checks, locally and
over SSH, interleaved (run 1 of every arm, then run 2...); and what one module run costs on a host
(its AnsiballZ payload, its imports).

The targets (issue 14): the main job within 1.25x of the bare task, and within 1.3x of ping plus the
slowest default check (the load check's CPU sample, 0.5 s by default: a wait on the host)."""

from __future__ import annotations

import glob
import os
import resource
import shutil
import statistics
import subprocess

import yaml

# The load check samples the CPU for this long by default (_load.DEFAULT_INTERVAL): the slowest default check.
SLOWEST_DEFAULT_CHECK = 0.5
BARE_TARGET = 1.25
PING_TARGET = 1.3


def default_checks(collections):
    """The health_check role's own default checks, read from the collection measured."""
    path = os.path.join(collections, "ansible_collections", "sre", "health", "roles", "health_check", "defaults",
                        "main.yml")
    with open(path) as handle:
        return yaml.safe_load(handle)["health_check_default_checks"]


def arms(bench, defs, inv, key):
    """{arm: argv}: ping, the bare task, the main job with the role's defaults (nothing overridden but the
    report directory and fail_on, so that no host fails)."""
    def play(name, tasks):
        return [bench.playbook_bin, "-i", inv, bench.playbook(name + "-" + key, tasks)]

    extra = bench._write("defaults-job-%s.json" % key, {
        "health_check_fail_on": "never", "fleet_report_dir": os.path.join(bench.workdir, "reports-%s" % key)})
    return {
        "ping": play("dping", [{"name": "ping", "ansible.builtin.ping": {}}]),
        "bare task": play("dbare", [{"name": "default checks", "sre.health.health_check":
                                     {"checks": defs, "fail_on": "never"}}]),
        "main job": [bench.playbook_bin, "-i", inv, "sre.health.check", "-e", "@" + extra],
    }


def measure(bench, measure_one, collections, plan, runs, server=None):
    """Rows ``(transport, N, {arm: (wall, cpu)})`` for each ``(transport, N)`` of ``plan``, arms interleaved."""
    defs = default_checks(collections)
    rows = []
    for transport, hosts in plan:
        if transport == "ssh" and server is None:
            continue
        inv = bench.inventory(hosts, server if transport == "ssh" else None)
        argvs = arms(bench, defs, inv, "%s-%d" % (transport, hosts))
        samples = dict((arm, []) for arm in argvs)
        for _r in range(runs):
            for arm, argv in argvs.items():
                if transport == "ssh":
                    server.close_masters()
                samples[arm].append(measure_one(argv, bench.env, bench.workdir))
        medians = dict((arm, (statistics.median(s[0] for s in got), statistics.median(s[1] for s in got)))
                       for arm, got in samples.items())
        for arm, (wall, cpu) in medians.items():
            print("  defaults %-5s N=%-3d %-10s wall %7.2f s  cpu %7.2f s  (%d runs)"
                  % (transport, hosts, arm, wall, cpu, runs), flush=True)
        rows.append((transport, hosts, medians))
    return rows, len(defs), runs


def _ratio(value, bound, target):
    ratio = value / bound
    return "%.2f %s" % (ratio, "PASS" if ratio <= target else "MISS")


def section(measured):
    rows, count, runs = measured
    if not rows:
        return []
    out = ["## The main job as users run it", "",
           "`ansible-playbook sre.health.check` with the health_check role's defaults (its %d default checks, the "
           "fleet reports, the install step for missing libraries), against a `ping` playbook and one bare "
           "`health_check` task with the same checks, on the same hosts; interleaved runs, medians of %d. Over SSH "
           "the hosts are aliases of this machine behind the benchmark's own sshd (see below), CPU is the "
           "controller's alone; locally it includes the modules'. The slowest default check is the load check's "
           "CPU sample, %.1f s (a wait). Targets: the main job within %.2fx of the bare task and within %.1fx of "
           "ping + the slowest check." % (count, runs, SLOWEST_DEFAULT_CHECK, BARE_TARGET, PING_TARGET), "",
           "| transport | N hosts | ping | bare task | main job | main / bare | main / (ping + %.1f s) | "
           "controller CPU per host above ping: main job, bare task |" % SLOWEST_DEFAULT_CHECK,
           "|---|---:|---:|---:|---:|---|---|---|"]
    for transport, hosts, medians in rows:
        ping, bare, main = medians["ping"], medians["bare task"], medians["main job"]
        out.append("| %s | %d | %.2f s | %.2f s | %.2f s | %s | %s | %.3f s, %.3f s |" % (
            transport, hosts, ping[0], bare[0], main[0], _ratio(main[0], bare[0], BARE_TARGET),
            _ratio(main[0], ping[0] + SLOWEST_DEFAULT_CHECK, PING_TARGET),
            (main[1] - ping[1]) / hosts, (bare[1] - ping[1]) / hosts))
    return out


def _kept_payload(bench, playbook, workdir, inv):
    """The AnsiballZ file Ansible sends for the first task of ``playbook`` (pipelining off, files kept)."""
    tmp = os.path.join(workdir, "kept")
    shutil.rmtree(tmp, ignore_errors=True)
    env = dict(bench.env, ANSIBLE_PIPELINING="False", ANSIBLE_KEEP_REMOTE_FILES="True", ANSIBLE_REMOTE_TMP=tmp)
    subprocess.run([bench.playbook_bin, "-i", inv, playbook], env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    found = glob.glob(os.path.join(tmp, "*", "AnsiballZ_*.py"))
    return found[0] if found else None


def _import_ms(python, payload, module, workdir):
    """Median over 5 of the cumulative import time of ``module`` from the exploded payload (-X importtime)."""
    subprocess.run([python, payload, "explode"], cwd=os.path.dirname(payload), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    debug = os.path.join(os.path.dirname(payload), "debug_dir")
    times = []
    for _r in range(5):
        proc = subprocess.run([python, "-X", "importtime", "-c", "import " + module], cwd=debug,
                              env={"PYTHONPATH": debug, "PATH": os.environ.get("PATH", "")}, capture_output=True,
                              text=True, check=True)
        last = [line for line in proc.stderr.splitlines() if line.rstrip().endswith(" " + module)][-1]
        times.append(int(last.split("|")[1]) / 1000.0)
    return statistics.median(times)


def _run_cpu(python, payload):
    """Median over 5 of the CPU seconds of one whole run of the kept payload, fed on standard input as
    pipelining feeds it (Python reads a script from standard input slowly: the payload's size costs CPU)."""
    times = []
    for _r in range(5):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(payload, "rb") as handle:
            subprocess.run([python], stdin=handle, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                           cwd=os.path.dirname(payload))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def startup(bench, collections, workdir):
    """[(module, payload bytes, import ms)] for health_check with the role's default checks (its action runs
    resource_check for them), health_check with a check of another kind (every kind shipped) and ping."""
    inv = bench.inventory(1)
    defs = default_checks(collections)
    other = defs + [{"name": "closed port", "kind": "port", "port": 1, "state": "closed"}]
    cases = [("sre.health.health_check, the role's default checks (runs resource_check)",
              "ansible_collections.sre.health.plugins.modules.resource_check",
              [{"name": "default checks", "sre.health.health_check": {"checks": defs, "fail_on": "never"}}]),
             ("sre.health.health_check, with a port check too", "ansible_collections.sre.health.plugins.modules.health_check",
              [{"name": "other checks", "sre.health.health_check": {"checks": other, "fail_on": "never"}}]),
             ("ansible.builtin.ping", "ansible.modules.ping", [{"name": "ping", "ansible.builtin.ping": {}}])]
    out = []
    for name, module, tasks in cases:
        payload = _kept_payload(bench, bench.playbook("startup-%d" % len(out), tasks), workdir, inv)
        if payload is None:
            continue
        out.append((name, os.path.getsize(payload), _import_ms(bench.python, payload, module, workdir),
                    _run_cpu(bench.python, payload)))
    return out


def startup_section(rows):
    if not rows:
        return []
    out = ["## What one module run costs on a host", "",
           "The AnsiballZ payload Ansible sends for one task (pipelining off, the file kept) and the time "
           "the module's own import takes on the host (`python -X importtime`, cumulative, median of 5; the "
           "check kinds are imported later, only when a check of that kind runs), and the CPU of one whole run "
           "of that payload fed on standard input, as pipelining feeds it (median of 5; Python reads a script "
           "from standard input slowly, so each KiB of payload costs every host CPU).", "",
           "| module | payload | import | one run, CPU |", "|---|---:|---:|---:|"]
    for name, size, millis, cpu in rows:
        out.append("| %s | %.0f KiB | %.0f ms | %.3f s |" % (name, size / 1024.0, millis, cpu))
    return out
