# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Large Prometheus pages: what one ``metrics`` check costs in time and peak memory.

A page of the size asked for (node_exporter-like series with four labels) is served from memory on
127.0.0.1; one check runs in a fresh interpreter (what the forked child of ``health_check`` does:
fetch, parse, select, judge) and reports its wall time and its peak resident memory above the
interpreter after the imports.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading

MIB = 1024 * 1024
EXACT = [{"metric": "bench_family_0", "aggregate": "count"},
         {"metric": 'bench_family_0{instance="host0007"}', "aggregate": "max"}]
# A name pattern: every sample line goes through prometheus_client's parser.
PATTERN = [{"metric": '{__name__=~"bench_family_0"}', "aggregate": "count"}]
# (label, page MiB, max_page_size, expectations)
CASES = [
    ("1 MiB", 1, "16MiB", EXACT),
    ("15 MiB", 15, "16MiB", EXACT),
    ("15 MiB, name pattern", 15, "16MiB", PATTERN),
    ("63 MiB, default limit", 63, "16MiB", EXACT),
    ("63 MiB, max_page_size 64MiB", 63, "64MiB", EXACT),
]
QUICK = [("1 MiB", 1, "16MiB", EXACT)]

# VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across exec, so a child started by a
# large process would report its parent's peak.
CHILD = r"""
import json, sys, time
from ansible_collections.sre.health.plugins.module_utils import _metrics
from ansible_collections.sre.health.plugins.module_utils._status import compile_thresholds
def hwm():
    with open("/proc/self/status") as handle:
        return int([line.split()[1] for line in handle if line.startswith("VmHWM:")][0])
params = json.loads(sys.argv[1])
import requests, prometheus_client.parser
base = hwm()
started = time.monotonic()
results = _metrics.run(_metrics.validate(params), compile_thresholds(None, _metrics.METRICS, {}))
print(json.dumps({"wall": time.monotonic() - started, "base_kib": base, "peak_kib": hwm(),
                  "status": [r["status"] for r in results], "summary": results[0]["summary"]}))
"""


def page(size):
    """A text-format page of about ``size`` bytes: one gauge family per 10000 series."""
    lines = []
    total = 0
    series = 0
    while total < size:
        if series % 10000 == 0:
            line = "# HELP bench_family_%d A family of the benchmark.\n# TYPE bench_family_%d gauge\n" % (
                series // 10000, series // 10000)
            lines.append(line)
            total += len(line)
        line = 'bench_family_%d{instance="host%04d",device="sd%d",mode="user",cpu="%d"} %d.5\n' % (
            series // 10000, series % 1000, series % 7, series % 64, series)
        lines.append(line)
        total += len(line)
        series += 1
    return "".join(lines).encode(), series


def serve(pages):
    """Serve ``{path: body}`` on 127.0.0.1; returns the server (shut it down when done)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = pages.get(self.path, b"")
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure(python, collections, cases, timeout=300.0):
    """One row per case ``(label, size_mib, max_page_size, expect)``."""
    pages = {}
    counts = {}
    for _label, size_mib, _limit, _expect in cases:
        path = "/%d" % size_mib
        if path not in pages:
            pages[path], counts[path] = page(size_mib * MIB)
    server = serve(pages)
    env = dict(os.environ, PYTHONPATH=collections)
    rows = []
    try:
        for label, size_mib, limit, expect in cases:
            path = "/%d" % size_mib
            params = {"url": "http://127.0.0.1:%d%s" % (server.server_address[1], path), "timeout": timeout,
                      "max_page_size": limit, "expect": expect}
            proc = subprocess.run([python, "-c", CHILD, json.dumps(params)], env=env, capture_output=True, text=True,
                                  check=False, timeout=timeout + 60)
            if proc.returncode != 0:
                raise SystemExit("bench: the %s page case failed:\n%s" % (label, proc.stderr[-3000:]))
            out = json.loads(proc.stdout)
            rows.append(dict(out, label=label, bytes=len(pages[path]), series=counts[path], limit=limit))
            print("  metrics page %-28s %6.1f MiB: wall %6.2f s, peak +%5.0f MiB (%s)"
                  % (label, len(pages[path]) / MIB, out["wall"], (out["peak_kib"] - out["base_kib"]) / 1024.0,
                     out["status"][0]), flush=True)
    finally:
        server.shutdown()
        server.server_close()
    return rows


def section(rows):
    """The Markdown section of the report."""
    doc = ["## One metrics check on a large page", "",
           "One `metrics` check in a fresh interpreter against a page served on 127.0.0.1 (node_exporter-like "
           "series, 10000 per family); peak memory is the check's resident memory above the interpreter after "
           "its imports (VmHWM). Expectations that name their metric exactly let the check hand the parser only "
           "those lines; a name pattern (`{__name__=~...}`) makes it parse every line, at about a second per "
           "MiB, bounded by the check's deadline.", "",
           "| case | page | series | max_page_size | status | wall | peak memory |",
           "|---|---:|---:|---|---|---:|---:|"]
    for row in rows:
        doc.append("| %s | %.1f MiB | %d | %s | %s | %.2f s | +%.0f MiB |" % (
            row["label"], row["bytes"] / float(MIB), row["series"], row["limit"], row["status"][0], row["wall"],
            (row["peak_kib"] - row["base_kib"]) / 1024.0))
    return doc
