# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The same fleet check done seven ways, side by side, in one run: make bench (docs/benchmarks.md).

Every target is on 127.0.0.1, served by this process: a slow HTTP endpoint (answers after 1 s, so
that "sum of latencies" and "max of latencies" show apart), fast HTTP endpoints, TCP listeners.
Hosts are inventory aliases with the local connection. Each arm runs as a child process; its wall
time and its CPU time (user + system of the child and its children, from getrusage) are measured.
"""

from __future__ import annotations

import argparse
import datetime
import http.server
import json
import os
import platform
import resource
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import kinds
import mainjob
import sshd
import pages
import jobprofile as job_profile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PLUGINS = "/usr/lib/nagios/plugins"
SLOW_SECONDS = 1.0
FORKS = 10
# The arms that cost one module run per host and check (2-4), or N times the slow endpoint (1a, 6).
SLOW_ARMS = ("1a", "2", "3", "4", "6")
MARK = "bench/bench.py"  # this process's command line: what the process check looks for


# --- the targets ----------------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(SLOW_SECONDS)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


def start_targets(listeners):
    """One HTTP server (slow and fast paths) and ``listeners`` plain TCP listeners, all on 127.0.0.1."""
    server = _Server(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ports = []
    for _i in range(listeners):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)

        def accept(sock=sock):
            while True:
                conn, _addr = sock.accept()
                conn.close()

        threading.Thread(target=accept, daemon=True).start()
        ports.append(sock.getsockname()[1])
    return server.server_address[1], ports


def checks(k, http_port, tcp_ports):
    """K check definitions (4 or 16): disk, memory, the slow endpoint and a port; then load, a process,
    fast endpoints and more ports."""
    url = "http://127.0.0.1:%d" % http_port
    base = [
        {"name": "disk", "kind": "disk", "paths": ["/"]},
        {"name": "memory", "kind": "memory"},
        {"name": "slow", "kind": "http", "url": url + "/slow"},
        {"name": "port0", "kind": "port", "host": "127.0.0.1", "port": tcp_ports[0]},
    ]
    if k == 4:
        return base
    # The benchmark itself drives the load of a 2-core machine up: a bound it cannot reach keeps every arm
    # measuring, not failing.
    more = [{"name": "load", "kind": "load", "thresholds": {"load5_per_cpu": {"warning": "50", "critical": "100"}}},
            {"name": "target", "kind": "process", "pattern": MARK}]
    more += [{"name": "fast%d" % i, "kind": "http", "url": "%s/fast%d" % (url, i)} for i in range(6)]
    more += [{"name": "port%d" % i, "kind": "port", "host": "127.0.0.1", "port": tcp_ports[i]} for i in range(1, 5)]
    return base + more


# --- the arms -----------------------------------------------------------------------------------

def floor_script(defs, hosts, pooled):
    """Arm 1: the physical floor, the checks in plain Python (psutil, requests, socket), in one interpreter."""
    return r'''
import concurrent.futures, os, re, socket, psutil, requests
DEFS = %r
def one(d):
    k = d["kind"]
    if k == "disk":
        s = os.statvfs(d["paths"][0]); return (s.f_blocks - s.f_bfree) * 100.0 / max(s.f_blocks, 1) < 90
    if k == "memory":
        return psutil.virtual_memory().percent < 90
    if k == "load":
        return os.getloadavg()[1] / os.cpu_count() < 4
    if k == "process":
        rx = re.compile(d["pattern"])
        return any(rx.search(" ".join(p.info["cmdline"] or [])) for p in psutil.process_iter(["cmdline"]))
    if k == "http":
        return requests.get(d["url"], timeout=10).status_code == 200
    if k == "port":
        socket.create_connection((d["host"], d["port"]), timeout=5).close(); return True
work = [d for _h in range(%d) for d in DEFS]
if %r:
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(64, len(work))) as pool:
        results = list(pool.map(one, work))
else:
    results = [one(d) for d in work]
assert all(results), results
''' % (defs, hosts, pooled)


def builtin_tasks(defs, looped):
    """Arms 2 and 3: what a user writes with ansible.builtin alone, one task per check or one loop per module."""
    system = {
        "disk": ("df -P /", "(out.stdout_lines[1].split()[4] | replace('%', '') | int) < 90"),
        "memory": ("cat /proc/meminfo", "out.stdout is search('MemAvailable')"),
        "load": ("cat /proc/loadavg", "(out.stdout.split()[1] | float) < 200"),
    }
    commands = [(d["name"],) + system[d["kind"]] for d in defs if d["kind"] in system]
    commands += [(d["name"], "pgrep -f %s" % d["pattern"], "out.rc == 0") for d in defs if d["kind"] == "process"]
    urls = [d["url"] for d in defs if d["kind"] == "http"]
    ports = [d["port"] for d in defs if d["kind"] == "port"]
    tasks = []
    if not looped:
        for name, command, condition in commands:
            tasks.append({"name": name, "ansible.builtin.command": command, "register": "out", "changed_when": False})
            tasks.append({"name": name + " ok", "ansible.builtin.assert": {"that": [condition], "quiet": True}})
        tasks += [{"name": u, "ansible.builtin.uri": {"url": u, "timeout": 10}} for u in urls]
        tasks += [{"name": "port %d" % p, "ansible.builtin.wait_for": {"host": "127.0.0.1", "port": p, "timeout": 5}}
                  for p in ports]
        return tasks
    tasks.append({"name": "commands", "ansible.builtin.command": "{{ item.0 }}", "register": "outs",
                  "changed_when": False, "loop": [[c, w] for _n, c, w in commands]})
    tasks.append({"name": "commands ok", "ansible.builtin.assert": {"that": ["outs.results | length == %d"
                                                                             % len(commands)], "quiet": True}})
    tasks.append({"name": "urls", "ansible.builtin.uri": {"url": "{{ item }}", "timeout": 10}, "loop": urls})
    tasks.append({"name": "ports", "ansible.builtin.wait_for": {"host": "127.0.0.1", "port": "{{ item }}",
                                                                "timeout": 5}, "loop": ports})
    return tasks


MODULES = {"disk": "disk_usage", "memory": "memory_usage", "load": "cpu_load", "process": "process_check",
           "http": "http_check", "port": "port_check"}


def standalone_tasks(defs):
    """Arm 4: sre.health's standalone modules, one task per check."""
    tasks = []
    for d in defs:
        args = dict((k, v) for k, v in d.items() if k not in ("name", "kind"))
        args["fail_on"] = "never"  # measuring the cost, not judging the (shared, busy) machine
        tasks.append({"name": d["name"], "sre.health.%s" % MODULES[d["kind"]]: args})
    return tasks


def nagios_argv(d):
    """The monitoring-plugins command line that does what check ``d`` does."""
    k = d["kind"]
    if k == "disk":
        return [PLUGINS + "/check_disk", "-w", "20%", "-c", "10%", "-p", "/"]
    if k == "memory":
        # the plugins have no memory check; check_swap is the nearest (see docs/benchmarks.md)
        return [PLUGINS + "/check_swap", "-w", "20%", "-c", "10%", "-n", "ok"]
    if k == "load":
        return [PLUGINS + "/check_load", "-r", "-w", "50,50,50", "-c", "100,100,100"]
    if k == "process":
        return [PLUGINS + "/check_procs", "-c", "1:", "-a", d["pattern"]]
    if k == "http":
        port, path = d["url"].split("127.0.0.1:")[1].split("/", 1)
        return [PLUGINS + "/check_http", "-H", "127.0.0.1", "-p", port, "-u", "/" + path, "-t", "10"]
    return [PLUGINS + "/check_tcp", "-H", "127.0.0.1", "-p", str(d["port"]), "-t", "5"]


def nagios_script(defs, hosts):
    """Arm 6: the monitoring-plugins from a shell loop, one plugin run per host and check."""
    body = "\n".join("  %s >/dev/null" % " ".join(shlex.quote(a) for a in nagios_argv(d)) for d in defs)
    return "set -e\nfor host in $(seq %d); do\n%s\ndone\n" % (hosts, body)


def nagios_checks(defs):
    """Arm 6b: the same plugins as arm 6, as command checks of one health_check task."""
    return [{"name": d["name"], "kind": "command", "argv": nagios_argv(d)} for d in defs]


# --- running --------------------------------------------------------------------------------------

def mitogen_strategy():
    """The directory of Mitogen for Ansible's strategy plugins, or None when it is not installed."""
    try:
        import ansible_mitogen
    except ImportError:
        return None
    return os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy")


def measure(argv, env, cwd):
    """(wall seconds, CPU seconds of the child and its descendants); fails loudly when the arm fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit("bench: %s failed (rc %d):\n%s" % (" ".join(argv[:4]), proc.returncode, proc.stdout[-3000:]))
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Bench(object):
    def __init__(self, workdir, collections):
        self.workdir = workdir
        self.python = sys.executable
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PIPELINING="True",
                        ANSIBLE_FORKS=str(FORKS), ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="True",
                        ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_RETRY_FILES_ENABLED="False",
                        ANSIBLE_HOME=os.path.join(workdir, "ansible-home"))
        self.env.pop("PYTHONPATH", None)
        self.playbook_bin = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

    def _write(self, name, content):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as handle:
            handle.write(content if isinstance(content, str) else json.dumps(content, indent=1))
        return path

    def inventory(self, hosts, server=None):
        """N aliases of this machine: local connections, or SSH to the benchmark's own sshd (``server``)."""
        if server is not None:
            names = dict(("ssh%03d" % i, server.host_vars("ssh%03d" % i, self.python)) for i in range(1, hosts + 1))
            return self._write("inventory-ssh-%d.json" % hosts, {"all": {"hosts": names}})
        names = dict(("host%03d" % i, None) for i in range(1, hosts + 1))
        host_vars = {"ansible_connection": "local", "ansible_python_interpreter": self.python}
        inv = {"all": {"hosts": names, "vars": host_vars}}
        return self._write("inventory-%d.json" % hosts, inv)

    def ssh_arms(self, defs, hosts, server):
        """{arm: (argv, env)} over SSH: ping, one health_check task, builtins one task per check, the main
        job; and the same through Mitogen's strategy where Mitogen is installed."""
        inv = self.inventory(hosts, server)
        key = "ssh-%d-%d" % (hosts, len(defs))

        def play(name, tasks):
            return [self.playbook_bin, "-i", inv, self.playbook(name + "-" + key, tasks)]

        plain = {
            "S7 ping": play("ping", [{"name": "ping", "ansible.builtin.ping": {}}]),
            "S5 health_check": play("health_check", [{"name": "all checks", "sre.health.health_check":
                                                      {"checks": defs, "fail_on": "never"}}]),
            "S2 builtins, task per check": play("builtins", builtin_tasks(defs, False)),
            "S8 sre.health.check, the main job": self.main_job(inv, defs, key),
        }
        arms = dict((arm, (argv, self.env)) for arm, argv in plain.items())
        strategy = mitogen_strategy()
        if strategy:
            env = dict(self.env, ANSIBLE_STRATEGY_PLUGINS=strategy, ANSIBLE_STRATEGY="mitogen_linear")
            for arm in ("S7 ping", "S5 health_check", "S2 builtins, task per check",
                        "S8 sre.health.check, the main job"):
                arms["M" + arm[1:] + " (Mitogen)"] = (plain[arm], env)
        return arms

    def run_ssh(self, defs, hosts, runs, server, skip=()):
        """The SSH arms, interleaved (run 1 of every arm, then run 2...), every run from cold connections."""
        arms = dict((a, v) for a, v in self.ssh_arms(defs, hosts, server).items() if a.split()[0] not in skip)
        samples = dict((arm, []) for arm in arms)
        for _r in range(runs):
            for arm, (argv, env) in arms.items():
                server.close_masters()
                samples[arm].append(measure(argv, env, self.workdir))
        rows = {}
        for arm, got in samples.items():
            rows[arm] = {"wall": statistics.median(s[0] for s in got), "cpu": statistics.median(s[1] for s in got),
                         "runs": runs}
            print("  SSH N=%-3d K=%-2d %-38s wall %7.2f s  cpu %7.2f s  (%d runs)"
                  % (hosts, len(defs), arm, rows[arm]["wall"], rows[arm]["cpu"], runs), flush=True)
        return rows

    def playbook(self, name, tasks):
        return self._write(name + ".json", [{"name": name, "hosts": "all", "gather_facts": False, "tasks": tasks}])

    def main_job(self, inv, defs, key):
        """What users run: the sre.health.check playbook with the role's defaults (the dependency step,
        the reports) and these checks as the default checks; nothing fails, the reports go to the workdir."""
        extra = self._write("main-job-%s.json" % key, {
            "health_check_default_checks": defs, "health_check_fail_on": "never",
            "fleet_report_dir": os.path.join(self.workdir, "reports-%s" % key)})
        return [self.playbook_bin, "-i", inv, "sre.health.check", "-e", "@" + extra]

    def arms(self, defs, hosts):
        """{arm: argv} for this workload."""
        inv = self.inventory(hosts)
        key = "%d-%d" % (hosts, len(defs))

        def play(name, tasks):
            return [self.playbook_bin, "-i", inv, self.playbook(name + "-" + key, tasks)]

        return {
            "1a python, sequential": [self.python, "-c", floor_script(defs, hosts, False)],
            "1b python, thread pool": [self.python, "-c", floor_script(defs, hosts, True)],
            "1c python start-up only": [self.python, "-c", "pass"],
            "2 builtins, task per check": play("builtins", builtin_tasks(defs, False)),
            "3 builtins, looped": play("looped", builtin_tasks(defs, True)),
            "4 sre.health modules, task per check": play("standalone", standalone_tasks(defs)),
            "5 sre.health health_check": play("health_check", [{"name": "all checks", "sre.health.health_check":
                                                                {"checks": defs, "fail_on": "never"}}]),
            "6 monitoring-plugins, shell loop": ["/bin/sh", "-c", nagios_script(defs, hosts)],
            "6b monitoring-plugins, health_check command kind": play("plugins", [{
                "name": "plugins", "sre.health.health_check": {"checks": nagios_checks(defs), "fail_on": "never"}}]),
            "7 ansible.builtin.ping": play("ping", [{"name": "ping", "ansible.builtin.ping": {}}]),
            "8 sre.health.check, the main job": self.main_job(inv, defs, key),
        }

    def run(self, defs, hosts, runs, skip=(), slow_runs=None):
        """Each arm's median over ``runs`` runs; the slow arms (SLOW_ARMS) over ``slow_runs``."""
        rows = {}
        for arm, argv in self.arms(defs, hosts).items():
            if arm.startswith("6") and not os.path.exists(os.path.join(PLUGINS, "check_http")):
                continue
            if arm.split()[0] in skip:
                continue
            arm_runs = slow_runs if slow_runs and arm.split()[0] in SLOW_ARMS else runs
            samples = [measure(argv, self.env, self.workdir) for _r in range(arm_runs)]
            rows[arm] = {"wall": statistics.median(s[0] for s in samples),
                         "cpu": statistics.median(s[1] for s in samples), "runs": arm_runs}
            print("  N=%-3d K=%-2d %-38s wall %7.2f s  cpu %7.2f s  (%d runs)"
                  % (hosts, len(defs), arm, rows[arm]["wall"], rows[arm]["cpu"], arm_runs), flush=True)
        return rows


# --- the report -----------------------------------------------------------------------------------

def versions():
    out = {"python": platform.python_version()}
    for name in ("ansible-core", "psutil", "requests"):
        try:
            from importlib.metadata import version
            out[name] = version(name)
        except Exception:  # reported, not fatal
            out[name] = "not installed"
    try:
        proc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "monitoring-plugins-basic"], capture_output=True,
                              text=True, check=False)
        out["monitoring-plugins"] = proc.stdout.strip() or "not installed"
    except OSError:
        out["monitoring-plugins"] = "not installed"
    return out


def memory_total():
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return "%.1f GiB" % (int(line.split()[1]) / 1024.0 / 1024.0)
    return "?"


def table(results, reference="5 sre.health health_check", label="arm 5"):
    lines = ["| N hosts | K checks | arm | wall (median) | controller CPU (median) | runs | wall / %s | CPU / %s |"
             % (label, label),
             "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for (hosts, k), rows in results:
        ref = rows.get(reference)
        for arm, row in rows.items():
            ratio = "%.2f" % (row["wall"] / ref["wall"]) if ref else "-"
            cratio = "%.2f" % (row["cpu"] / ref["cpu"]) if ref and ref["cpu"] else "-"
            lines.append("| %d | %d | %s | %.2f s | %.2f s | %d | %s | %s |"
                         % (hosts, k, arm, row["wall"], row["cpu"], row["runs"], ratio, cratio))
    return "\n".join(lines)


def targets(results, fleet, slowest):
    found = dict(((h, k), rows) for (h, k), rows in results)
    out = []
    big = found.get((10, 16), {})
    if "2 builtins, task per check" in big and "5 sre.health health_check" in big:
        speedup = big["2 builtins, task per check"]["wall"] / big["5 sre.health health_check"]["wall"]
        out.append(("arm 5 at least 10x faster than arm 2 at N=10, K=16", "%.1fx" % speedup, speedup >= 10))
    one = found.get((1, 16), {})
    if "5 sre.health health_check" in one and "7 ansible.builtin.ping" in one:
        bound = one["7 ansible.builtin.ping"]["wall"] + slowest
        ratio = one["5 sre.health health_check"]["wall"] / bound
        text = "%.2f s / (%.2f s + %.2f s) = %.2f" % (
            one["5 sre.health health_check"]["wall"], one["7 ansible.builtin.ping"]["wall"], slowest, ratio)
        out.append(("arm 5 per host within 1.3x of arm 7 + the slowest check (N=1, K=16)", text, ratio <= 1.3))
    if fleet is not None:
        out.append(("arm 5 at N=200, K=16 completes", "%.1f s wall, %.1f s CPU" % fleet, True))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: N=1, K=4, one run of every arm")
    parser.add_argument("--runs", type=int, default=2, help="runs of each arm (interleaved where the doc says so)")
    parser.add_argument("--slow-runs", type=int, default=1,
                        help="runs of the arms that cost one module run per check or N seconds (1a, 2-4, 6, S2, M2)")
    parser.add_argument("--ssh-runs", type=int, default=1, help="runs of each K=16 arm over SSH (interleaved)")
    parser.add_argument("--full", action="store_true",
                        help="every arm at every size (K=4 too, arms 3 and 4, the K=16 main job over SSH at N=50, arm "
                             "5 at N=200): about 35 minutes with the default runs")
    parser.add_argument("--output", help="the Markdown report (default docs/benchmarks.md; --quick: a temp file)")
    parser.add_argument("--collections", required=True, help="ANSIBLE_COLLECTIONS_PATH holding sre.health")
    args = parser.parse_args()

    http_port, tcp_ports = start_targets(5)
    load_start = os.getloadavg()
    workdir = tempfile.mkdtemp(prefix="sre-health-bench-")
    bench = Bench(workdir, args.collections)
    started = time.monotonic()
    results = []
    fleet = None
    page_rows = []
    costs = {}
    profiles = []
    ssh_results = []
    defaults_rows = ([], 0, 0)
    startup_rows = []
    kind_rounds = 3 if args.quick else 30
    try:
        if args.quick:
            plan = [(1, 4, 1, ())]
        else:
            # At N=50, arms 2-4 (one module run per host and check) and the sequential arms (1a, 6: N x 1 s)
            # alone would take most of the 15-minute budget; their cost per host is clear from N=10 (see the doc).
            slow_arms = SLOW_ARMS
            if args.full:
                plan = [(1, 4, args.runs, ()), (1, 16, args.runs, ()), (10, 4, args.runs, ("1a", "6", "6b")),
                        (10, 16, args.runs, ()),
                        (50, 4, args.runs, slow_arms + ("6b",)), (50, 16, args.runs, slow_arms)]
            else:
                # 15 minutes: the one-task-per-check arms once, at N=10 only (their cost per host and check is
                # linear: --full shows N=1); arms 3 and 4 (looped builtins, standalone modules) with --full only;
                # N=50 is measured with the role's default checks in the main job's own section below.
                plan = [(1, 16, args.runs, ("2", "3", "4")), (10, 16, args.runs, ("3", "4"))]
        for hosts, k, runs, skip in plan:
            results.append(((hosts, k), bench.run(checks(k, http_port, tcp_ports), hosts, runs, skip,
                                                  slow_runs=None if args.quick else args.slow_runs)))
        slowest = None
        if not args.quick:
            # the slowest single check, alone, in plain Python: the slow endpoint
            slowest = statistics.median(
                measure([sys.executable, "-c", "import requests; requests.get(%r, timeout=10)"
                         % ("http://127.0.0.1:%d/slow" % http_port)], bench.env, workdir)[0] for _r in range(3))
            if args.full:
                argv = bench.arms(checks(16, http_port, tcp_ports), 200)["5 sre.health health_check"]
                fleet = measure(argv, bench.env, workdir)
                print("  N=200 K=16 arm 5: wall %.1f s, cpu %.1f s" % fleet, flush=True)
        profiles = []
        for hosts in ((1,) if args.quick else (50,)):
            # what users run: the role's default checks
            argv = mainjob.arms(bench, mainjob.default_checks(args.collections), bench.inventory(hosts),
                                "profile-%d" % hosts)["main job"]
            profiles.append(("The main job at N=%d, the role's default checks" % hosts,
                             job_profile.tasks(argv, bench.env, workdir, os.path.join(workdir, "times.json")),
                             job_profile.controller(argv, bench.env, workdir, os.path.join(workdir, "cprofile"))))
        server = sshd.Sshd(workdir).start() if sshd.available() else None
        try:
            sizes = ((1,),) if args.quick else ((10, 50),)
            defaults_plan = [(transport, n) for transport in ("local", "ssh") for n in sizes[0]]
            defaults_rows = mainjob.measure(bench, measure, args.collections, defaults_plan,
                                            1 if args.quick else args.runs, server)
            if server is not None:
                if args.quick:
                    ssh_plan = [(1, 4, 1, ("S2", "M2"))]
                elif args.full:
                    ssh_plan = [(10, 16, args.ssh_runs, ()), (50, 16, args.ssh_runs, ("S2", "M2"))]
                else:
                    # the main job over SSH is measured with the role's defaults above
                    ssh_plan = [(10, 16, args.ssh_runs, ("S8", "M8"))]
                for hosts, k, runs, skip in ssh_plan:
                    ssh_results.append(((hosts, k), bench.run_ssh(checks(k, http_port, tcp_ports), hosts, runs,
                                                                  server, skip)))
        finally:
            if server is not None:
                server.stop()
        if server is None:
            print("  no sshd (%s): the arms over SSH are left out (make bench-deps installs openssh-server)"
                  % sshd.SSHD, flush=True)
        startup_rows = mainjob.startup(bench, args.collections, workdir)
        costs = kinds.measure(sys.executable, args.collections, workdir, http_port, tcp_ports[0], PLUGINS, kind_rounds)
        page_rows = pages.measure(sys.executable, args.collections, pages.QUICK if args.quick else pages.CASES)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - started
    info = versions()
    doc = ["# Benchmarks", "",
           "Written by `make bench` (bench/bench.py) on %s UTC in %.0f s. Machine: %d CPUs, %s memory, %s; "
           "load average %.2f at the start, %.2f at the end (a shared machine: other work was running)."
           % (datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"), elapsed, os.cpu_count(),
              memory_total(), platform.platform(), load_start[0], os.getloadavg()[0]), "",
           "Versions: " + ", ".join("%s %s" % kv for kv in sorted(info.items())) + ".", "",
           "Every Ansible arm runs with `forks=%d`, pipelining on, `gather_facts: false`, the local connection, "
           "and the same Python as the controller. Wall and CPU are medians over the runs; CPU is user + "
           "system time of the arm's process and all its children (the controller and every module it started: "
           "with the local connection the hosts' work is on this machine too)." % FORKS, ""]
    doc += mainjob.section(defaults_rows) + [""] + mainjob.startup_section(startup_rows) + [
        "", "## Every arm", "",
        "The same K checks on every host, done each way (see \"What the arms do\" below); local connections. "
        "Without `--full`, the arms that cost one module run per host and check run once, at N=10.", ""]
    doc.append(table(results))
    if not args.quick:
        doc += ["", "## Targets", ""]
        for name, value, ok in targets(results, fleet, slowest):
            doc.append("- %s: %s: **%s**" % (name, value, "PASS" if ok else "MISS"))
        doc += ["", "The slowest single check (the endpoint that answers after 1 s, fetched alone by a fresh Python "
                "interpreter) takes %.2f s." % slowest]
    if ssh_results:
        doc += ["", "## Over SSH", "",
                "Every host is an alias of this machine reached over SSH: Debian's sshd started by the benchmark on "
                "127.0.0.1 with its own port, host key and a key made for the run; each alias has its own "
                "ControlPersist master (its own ControlPath), pipelining on, and every run starts from cold "
                "connections. The arms run interleaved (run 1 of each arm, then run 2...). `M` arms are the same "
                "playbooks under Mitogen for Ansible's `mitogen_linear` strategy.", "",
                table(ssh_results, reference="S5 health_check", label="S5")]
    doc += ["", "## Where the main job's time goes", ""]
    for label, timing, cprofile in profiles:
        doc += job_profile.section(label, timing, cprofile) + [""]
    doc += [""] + kinds.section(costs, kind_rounds)
    doc += [""] + pages.section(page_rows)
    with open(os.path.join(HERE, "NOTES.md")) as handle:
        doc += ["", handle.read().strip()]
    output = args.output or (os.path.join(tempfile.gettempdir(), "sre-health-bench-quick.md") if args.quick
                             else os.path.join(ROOT, "docs", "benchmarks.md"))
    with open(output + ".tmp", "w") as handle:
        handle.write("\n".join(doc) + "\n")
    os.replace(output + ".tmp", output)
    print("bench: wrote %s" % output)


if __name__ == "__main__":
    main()
