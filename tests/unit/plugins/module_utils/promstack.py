# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Debian's node_exporter and Prometheus, run by the tests themselves: each on 127.0.0.1 with a port
and a data directory of its own (never the packages' services, which would listen on every address).

Only loopback addresses are ever used; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
PACKAGES = "Debian packages prometheus and prometheus-node-exporter; make system-deps installs them"

RULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, os.pardir, os.pardir,
                         "extensions", "prometheus")
RULES = os.path.normpath(os.path.join(RULES_DIR, "rules", "sre-health.rules.yml"))
RULE_TESTS = os.path.normpath(os.path.join(RULES_DIR, "tests", "sre-health.rules.test.yml"))


def need(binary, name):
    if binary is None:
        pytest.skip("%s is not installed (%s)" % (name, PACKAGES))
    return binary


def free_tcp_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


def http_get(url, timeout=5.0):
    """``(status, body text)`` of a GET to a loopback URL."""
    assert urllib.parse.urlsplit(url).hostname == "127.0.0.1"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(16 * 1024 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(1024 * 1024).decode("utf-8", "replace")


def wait_for(predicate, timeout, what, interval=0.2):
    """Poll ``predicate`` until it returns something true; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except (OSError, ValueError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError("%s: not within %s s (last: %r)" % (what, timeout, last))


class _Daemon(object):
    """A program on 127.0.0.1:port, its output in a log file; stopped (and waited for) by stop()."""

    name = "daemon"

    def __init__(self, workdir):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.log_path = os.path.join(self.workdir, self.name + ".log")
        self.port = None
        self.proc = None

    def command(self):
        raise NotImplementedError

    def ready(self):
        raise NotImplementedError

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self, timeout=30.0):
        for _attempt in range(3):
            self.port = free_tcp_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if self.ready():
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            self.stop()
        raise AssertionError("%s did not start on 127.0.0.1; its log:\n%s" % (self.name, self.log()))

    def log(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None


class NodeExporter(_Daemon):
    """node_exporter with only its textfile collector, reading ``textfile_dir``."""

    name = "node_exporter"

    def __init__(self, workdir, textfile_dir):
        super(NodeExporter, self).__init__(workdir)
        self.textfile_dir = str(textfile_dir)

    def command(self):
        return [need(NODE_EXPORTER, "node_exporter"), "--web.listen-address=127.0.0.1:%d" % self.port,
                "--collector.disable-defaults", "--collector.textfile",
                "--collector.textfile.directory=" + self.textfile_dir]

    def ready(self):
        return http_get(self.base + "/metrics", timeout=2)[0] == 200

    def metrics(self):
        status, body = http_get(self.base + "/metrics")
        assert status == 200, body
        return body


class Prometheus(_Daemon):
    """Prometheus scraping ``targets`` (host:port on 127.0.0.1) every second, evaluating ``rule_files``
    every second, its TSDB in its own directory."""

    name = "prometheus"

    def __init__(self, workdir, targets, rule_files=()):
        super(Prometheus, self).__init__(workdir)
        self.config = os.path.join(self.workdir, "prometheus.yml")
        document = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "900ms"},
            "rule_files": list(rule_files),
            "scrape_configs": [{"job_name": "node", "static_configs": [{"targets": list(targets)}]}],
        }
        with open(self.config, "w") as handle:
            json.dump(document, handle)  # JSON is YAML

    def command(self):
        return [need(PROMETHEUS, "prometheus"), "--config.file=" + self.config,
                "--storage.tsdb.path=" + os.path.join(self.workdir, "data"),
                "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"]

    def ready(self):
        return http_get(self.base + "/-/ready", timeout=2)[0] == 200

    def api(self, path, **params):
        url = self.base + "/api/v1/" + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
        status, body = http_get(url)
        document = json.loads(body)
        assert status == 200 and document.get("status") == "success", body
        return document["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def series(self, match):
        return self.api("series", **{"match[]": match})

    def alerts(self):
        return self.api("alerts")["alerts"]
