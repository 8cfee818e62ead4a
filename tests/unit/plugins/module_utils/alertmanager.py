# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A real Alertmanager for the alert tests: Debian's ``prometheus-alertmanager`` binary, started by the test
itself on 127.0.0.1 with its own port, data directory and configuration, clustering off (the package's service
is never used: it would listen on every address). Stopped by the test that started it.

Its configuration routes every alert to a webhook receiver of the test's (``notify_url``), with short group
timers, so that a test sees Alertmanager's own firing and resolved notifications.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from ansible_collections.sre.health.tests.unit.utils import stop

BINARIES = ("prometheus-alertmanager", "alertmanager")
# Loopback only, never through a proxy of the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

CONFIG = """\
route:
  receiver: test
  group_by: [alertname, host, check]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
%s"""
WEBHOOK = """\
    webhook_configs:
      - url: %s
        send_resolved: true
"""


def binary():
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Alertmanager on this machine (make system-deps installs Debian's prometheus-alertmanager as "
                "root; its service is never started)")
    return None


def _free_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class Alertmanager(object):
    """One Alertmanager on 127.0.0.1; ``url`` is its base URL."""

    def __init__(self, directory, notify_url=None):
        self.directory = str(directory)
        os.makedirs(os.path.join(self.directory, "data"), exist_ok=True)
        config = os.path.join(self.directory, "alertmanager.yml")
        with open(config, "w") as handle:
            handle.write(CONFIG % (WEBHOOK % notify_url if notify_url else ""))
        self.log = os.path.join(self.directory, "alertmanager.log")
        program = binary()
        for _attempt in range(3):
            self.port = _free_port()
            with open(self.log, "w") as log:
                self.process = subprocess.Popen(
                    [program, "--web.listen-address=127.0.0.1:%d" % self.port, "--cluster.listen-address=",
                     "--storage.path=%s" % os.path.join(self.directory, "data"), "--config.file=%s" % config,
                     "--log.level=warn"],
                    stdout=log, stderr=subprocess.STDOUT)
            if self._ready(20):
                return
            self.close()
        raise AssertionError("Alertmanager did not start:\n%s" % open(self.log).read()[-3000:])

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def _ready(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with _OPENER.open(self.url + "/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return True
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        return False

    def get(self, path):
        with _OPENER.open(self.url + path, timeout=10) as answer:
            return json.loads(answer.read().decode("utf-8"))

    def alerts(self):
        """GET /api/v2/alerts: the alerts it holds that have not ended (active, suppressed, unprocessed)."""
        return self.get("/api/v2/alerts")

    def silence(self, matchers, minutes=60, comment="maintenance"):
        """POST /api/v2/silences with equality matchers; returns the silence's id."""
        now = time.time()
        body = dict(matchers=[dict(name=k, value=v, isRegex=False, isEqual=True) for k, v in matchers.items()],
                    startsAt=_iso(now - 60), endsAt=_iso(now + minutes * 60), createdBy="sre.health tests",
                    comment=comment)
        request = urllib.request.Request(self.url + "/api/v2/silences", data=json.dumps(body).encode("utf-8"),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with _OPENER.open(request, timeout=10) as answer:
            return json.loads(answer.read().decode("utf-8"))["silenceID"]

    def close(self):
        stop(self.process)


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def wait_for(predicate, seconds=15.0, pause=0.2):
    """Poll ``predicate`` until it returns something true or ``seconds`` pass; return its last value."""
    deadline = time.monotonic() + seconds
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(pause)
        value = predicate()
    return value
