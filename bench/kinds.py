# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What one check of each kind costs inside health_check's engine (validate, run, and the forked
child for the kinds that need one), in one interpreter, against targets on this machine: the
benchmark's HTTP server and TCP listeners, a file, a certificate and a log written here, and a
monitoring-plugins command.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess

CHILD = r"""
import json, statistics, sys, time
from ansible_collections.sre.health.plugins.module_utils import _checks
defs, rounds = json.loads(sys.argv[1]), int(sys.argv[2])
out = {}
for d in defs:
    _checks.run_checks(_checks.prepare([d], 30), 1, 60)  # imports and first use
    times = []
    for _r in range(rounds):
        started = time.monotonic()
        results, _a, _e = _checks.run_checks(_checks.prepare([d], 30), 1, 60)
        times.append((time.monotonic() - started) * 1000.0)
    out[d["kind"]] = {"ms": statistics.median(times), "status": results[0]["status"]}
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


def definitions(workdir, http_port, tcp_port, plugins):
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
    return defs


def measure(python, collections, workdir, http_port, tcp_port, plugins, rounds):
    defs = definitions(workdir, http_port, tcp_port, plugins)
    env = dict(os.environ, PYTHONPATH=collections)
    proc = subprocess.run([python, "-c", CHILD, json.dumps(defs), str(rounds)], env=env, capture_output=True,
                          text=True, check=False, timeout=600)
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
           "wait, not a cost). Added to a host's `health_check` task the checks run concurrently, so a "
           "host pays about the slowest, not the sum." % rounds, "",
           "| kind | median | status |", "|---|---:|---|"]
    for kind, row in costs.items():
        doc.append("| %s | %.2f ms | %s |" % (kind, row["ms"], row["status"]))
    return doc
