# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What one check of each kind costs inside health_check's engine (validate, run, and the forked
child for the kinds that need one), in one interpreter, against targets on this machine: the
benchmark's HTTP server and TCP listeners, a file, a certificate and a log written here, a
monitoring-plugins command, Debian's dnsmasq on 127.0.0.1 (the dns kind), a journal file written
by systemd-journal-remote (the log kind's journal source) and systemctl (the systemd kind: on a
machine without systemd as PID 1 it measures the path to "unknown").
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import time

CHILD = r"""
import json, statistics, sys, time
from ansible_collections.sre.health.plugins.module_utils import _checks, _kinds_all
defs, rounds = json.loads(sys.argv[1]), int(sys.argv[2])
out = {}
for d in defs:
    _checks.run_checks(_checks.prepare([d], 30, _kinds_all.KINDS), 1, 60)  # imports and first use
    times = []
    for _r in range(rounds):
        started = time.monotonic()
        results, _a, _e = _checks.run_checks(_checks.prepare([d], 30, _kinds_all.KINDS), 1, 60)
        times.append((time.monotonic() - started) * 1000.0)
    label = d["kind"] + (" (journal)" if "journal" in d else "")
    out[label] = {"ms": statistics.median(times), "status": results[0]["status"]}
print(json.dumps(out))
"""


def _certificate(path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=90)).sign(key, hashes.SHA256()))
    with open(path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))


DNSMASQ = "/usr/sbin/dnsmasq"
JOURNAL_REMOTE = next((p for p in ("/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote")
                       if os.access(p, os.X_OK)), None)


def _free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_dns():
    """Debian's dnsmasq, authoritative for the zone ``test`` on 127.0.0.1 only: (process, port), or None."""
    if not os.access(DNSMASQ, os.X_OK):
        return None
    port = _free_udp_port()
    proc = subprocess.Popen([DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                             "--bind-interfaces", "--listen-address=127.0.0.1", "--port=%d" % port, "--user=nobody",
                             "--pid-file=", "--auth-server=ns.test,127.0.0.1", "--auth-zone=test,127.0.0.0/8",
                             "--auth-soa=2024010101,hostmaster.test", "--host-record=www.test,127.0.0.10"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    if proc.poll() is not None:
        return None
    return proc, port


def write_journal(directory, count):
    """A real journal file of ``count`` entries of the last hour (one in ten an error), written by
    systemd-journal-remote from the journal export format; the directory, or None without the tool."""
    if JOURNAL_REMOTE is None:
        return None
    os.makedirs(directory, exist_ok=True)
    now = time.time()
    entries = []
    for i in range(count):
        realtime = int((now - 3000 + i * 3000.0 / count) * 1e6)
        priority = 3 if i % 10 == 0 else 6
        entries.append(b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
                       b"_SYSTEMD_UNIT=app.service\nPRIORITY=%d\nMESSAGE=request %d %s\n\n"
                       % (realtime, 10 ** 9 + i, priority, i, b"failed" if priority == 3 else b"ok"))
    proc = subprocess.run([JOURNAL_REMOTE, "--output=" + os.path.join(directory, "bench.journal"), "--split-mode=none",
                           "-"], input=b"".join(entries), capture_output=True, timeout=300, check=False)
    return directory if proc.returncode == 0 else None


def definitions(workdir, http_port, tcp_port, plugins, dns_port=None):
    """One check of every kind, each expected ok on this machine."""
    backups = os.path.join(workdir, "backups")
    os.makedirs(backups, exist_ok=True)
    for i in range(3):
        with open(os.path.join(backups, "db-%d.dump" % i), "w") as handle:
            handle.write("x" * 1000)
    log = os.path.join(workdir, "app.log")
    with open(log, "w") as handle:
        handle.write("".join("2026-01-01T00:00:%02d info request %d\n" % (i % 60, i) for i in range(5000)))
    cert = os.path.join(workdir, "site.pem")
    _certificate(cert)
    defs = [
        {"name": "disk", "kind": "disk", "paths": ["/"], "thresholds": {"used_percent": {"critical": "100"}}},
        {"name": "memory", "kind": "memory", "thresholds": {"used_percent": {"critical": "100"}}},
        {"name": "load", "kind": "load", "interval": 0, "thresholds": {"load5_per_cpu": {"critical": "100"}}},
        {"name": "process", "kind": "process", "pattern": "bench/bench.py"},
        {"name": "http", "kind": "http", "url": "http://127.0.0.1:%d/fast" % http_port},
        {"name": "port", "kind": "port", "host": "127.0.0.1", "port": tcp_port},
        {"name": "log", "kind": "log", "path": log, "since": "1h",
         "patterns": [{"name": "errors", "regex": "error"}]},
        {"name": "file", "kind": "file", "path": [os.path.join(backups, "db-*.dump")]},
        {"name": "certificate", "kind": "certificate", "path": [cert]},
    ]
    if os.path.exists(os.path.join(plugins, "check_dummy")):
        defs.append({"name": "command", "kind": "command", "plugin": "check_dummy", "args": ["0", "fine"]})
    if dns_port is not None:
        defs.append({"name": "dns", "kind": "dns", "query": "www.test", "server": "127.0.0.1:%d" % dns_port,
                     "expect": ["127.0.0.10"]})
    journal = write_journal(os.path.join(workdir, "journal"), 5000)
    if journal is not None:
        # the "log" key is taken by the file log check: this row is "log (journal)"
        defs.append({"name": "journal", "kind": "log", "journal": {"directory": journal, "priority": "err"},
                     "since": "1h", "patterns": [{"name": "failed", "regex": "failed"}]})
    defs.append({"name": "systemd", "kind": "systemd"})
    return defs


def measure(python, collections, workdir, http_port, tcp_port, plugins, rounds):
    dns = start_dns()
    try:
        defs = definitions(workdir, http_port, tcp_port, plugins, dns[1] if dns else None)
        env = dict(os.environ, PYTHONPATH=collections)
        proc = subprocess.run([python, "-c", CHILD, json.dumps(defs), str(rounds)], env=env, capture_output=True,
                              text=True, check=False, timeout=600)
    finally:
        if dns:
            dns[0].terminate()
            dns[0].wait()
    if proc.returncode != 0:
        raise SystemExit("bench: the per-kind costs failed:\n%s" % proc.stderr[-3000:])
    costs = json.loads(proc.stdout)
    for kind, row in costs.items():
        print("  one %-12s check: %7.2f ms (%s)" % (kind, row["ms"], row["status"]), flush=True)
    return costs


def section(costs, rounds):
    doc = ["## One check of each kind", "",
           "One check alone through health_check's engine (`_checks.prepare` + `run_checks`: validation, the "
           "run, and for the kinds that run in a forked child the fork), in one warm interpreter; median of "
           "%d. The `load` check is measured with `interval: 0` (its CPU sample, 0.5 s by default, is a "
           "wait, not a cost). The `dns` check asks a dnsmasq on 127.0.0.1; `log (journal)` reads a journal file of "
           "5000 entries of the last hour (systemd-journal-remote wrote it) through journalctl; `systemd` on a "
           "machine without systemd as PID 1 measures its path to `unknown`. Added to a host's `health_check` "
           "task the checks run concurrently, so a host pays about the slowest, not the sum." % rounds, "",
           "| kind | median | status |", "|---|---:|---|"]
    for kind, row in costs.items():
        doc.append("| %s | %.2f ms | %s |" % (kind, row["ms"], row["status"]))
    return doc
