# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""metrics_check and log_scan end to end, through the real ansible CLI, against a real HTTP
server on 127.0.0.1 and ::1 and real log files."""

from __future__ import annotations

import datetime
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.sre.health.tests.unit.utils import run_module

RESULT_KEYS = {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms"}
TOKEN = "tok-9f8e7d6c5b4a-secret"
PASSWORD = "pw-0a1b2c3d-secret"


def module_output(run):
    """What the module returned and ansible printed of it; an ad-hoc command's failure also
    echoes the task's own arguments as typed (its "Origin"), which a playbook shows as file:line."""
    printed = [line for line in (run.stdout + run.stderr).splitlines() if not line.startswith("{'action': ")]
    return "\n".join(printed) + json.dumps(run.result)


def assert_no_traceback(run):
    for text in (run.stdout, run.stderr, str(run.result)):
        assert "Traceback" not in text
        assert 'File "' not in text


def metrics_page():
    from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

    registry = CollectorRegistry()
    requests_total = Counter("http_requests", "Requests.", ["code"], registry=registry)
    requests_total.labels("200").inc(7)
    requests_total.labels("500").inc(2)
    Gauge("queue_depth", "Waiting.", registry=registry).set(42)
    return generate_latest(registry)


class Handler(http.server.BaseHTTPRequestHandler):
    page = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/auth" and self.headers.get("Authorization") != "Bearer " + TOKEN:
            code, body = 401, b"unauthorized\n"
        elif self.path in ("/metrics", "/auth"):
            code, body = 200, self.page
        elif self.path == "/garbage":
            code, body = 200, b"<html>not metrics</html>\n"
        else:
            code, body = 500, b"boom\n"
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


@pytest.fixture(scope="module")
def servers():
    """Real HTTP servers on 127.0.0.1 and (when available) ::1; yields their base URLs."""
    pytest.importorskip("prometheus_client")
    Handler.page = metrics_page()
    started = []
    urls = {}
    for name, cls, host in (("v4", http.server.ThreadingHTTPServer, "127.0.0.1"), ("v6", _V6Server, "::1")):
        try:
            server = cls((host, 0), Handler)
        except OSError:
            continue
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        urls[name] = "http://%s:%d" % ("[::1]" if name == "v6" else host, server.server_address[1])
    try:
        yield urls
    finally:
        for server in started:
            server.shutdown()
            server.server_close()


def _venv(path):
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = str(path / "bin" / "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return python, site


@pytest.fixture(scope="module")
def python_bare(tmp_path_factory):
    """A real interpreter without site packages: neither requests nor prometheus_client."""
    python, _site = _venv(tmp_path_factory.mktemp("bare") / "venv")
    assert subprocess.run([python, "-c", "import requests"], capture_output=True, check=False).returncode != 0
    return python


@pytest.fixture(scope="module")
def python_requests_only(tmp_path_factory):
    """A real interpreter with requests (and its dependencies) but without prometheus_client."""
    import certifi
    import charset_normalizer
    import idna
    import requests
    import urllib3

    python, site = _venv(tmp_path_factory.mktemp("requests-only") / "venv")
    for package in (requests, urllib3, idna, certifi, charset_normalizer):
        source = os.path.dirname(package.__file__)
        os.symlink(source, os.path.join(site, os.path.basename(source)))
    assert subprocess.run([python, "-c", "import requests"], capture_output=True, check=False).returncode == 0
    assert subprocess.run([python, "-c", "import prometheus_client"], capture_output=True,
                          check=False).returncode != 0
    return python


def iso_local(t):
    return datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]


@pytest.fixture
def app_log(tmp_path):
    now = time.time()
    path = tmp_path / "app.log"
    lines = [
        "%s ERROR too old" % iso_local(now - 3600),
        json.dumps({"time": datetime.datetime.fromtimestamp(now - 120, datetime.timezone.utc).isoformat(),
                    "level": "error", "logger": "db", "msg": "connection lost"}),
        "%s WARN slow query" % iso_local(now - 60),
        "%s ERROR request failed" % iso_local(now - 30),
        "Traceback (most recent call last):",
        "ValueError: ERROR in trace",
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# --- metrics_check -------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["v4", "v6"])
@pytest.mark.parametrize("check_mode", [False, True])
def test_metrics_check_results(servers, family, check_mode):
    if family not in servers:
        pytest.skip("no IPv6 loopback")
    url = servers[family] + "/metrics"
    run = run_module("metrics_check", {"url": url, "fail_on": "never", "expect": [
        {"metric": "queue_depth", "warning": 100},
        {"metric": 'http_requests_total{code=~"5.."}', "critical": 0},
    ]}, check=check_mode)
    result = run.result
    assert not run.failed and result["changed"] is False
    assert result["status"] == "critical" and result["health"] == "unhealthy"
    assert [c["status"] for c in result["checks"]] == ["ok", "critical"]
    for check in result["checks"]:
        assert RESULT_KEYS <= set(check)
        assert check["kind"] == "metrics" and check["url"] == url
    assert result["checks"][0]["metrics"] == {"value": 42, "samples": 1}
    assert result["summary"] == '1 of 2 checks not ok: CRITICAL: http_requests_total{code=~"5.."} = 2 (critical > 0)'
    assert_no_traceback(run)


def test_metrics_check_fails_the_task_on_critical(servers):
    run = run_module("metrics_check", {"url": servers["v4"] + "/error", "expect": [{"metric": "up"}]})
    assert run.failed
    assert run.result["msg"] == "1 of 1 checks not ok: CRITICAL: up: %s/error answered HTTP 500 Internal Server Error" \
        % servers["v4"]
    garbage = run_module("metrics_check", {"url": servers["v4"] + "/garbage", "expect": [{"metric": "up"}]})
    assert garbage.failed and garbage.result["status"] == "unknown"
    assert "invalid metric name" in garbage.result["msg"]


def test_metrics_check_never_shows_credentials(servers):
    port = servers["v4"].rsplit(":", 1)[1]
    header = run_module("metrics_check", {
        "url": servers["v4"] + "/auth",
        "headers": {"Authorization": "Bearer " + TOKEN, "X-Trace": "visible-value"},
        "expect": [{"metric": "queue_depth", "critical": 10}],
    })
    assert header.failed and header.result["status"] == "critical"  # authenticated: 42 > 10
    assert header.result["checks"][0]["metrics"]["value"] == 42
    token = run_module("metrics_check", {"url": servers["v4"] + "/auth", "bearer_token": TOKEN,
                                         "expect": [{"metric": "queue_depth"}]})
    assert not token.failed and token.result["checks"][0]["metrics"]["value"] == 42
    # credentials in the URL (sent as basic auth, refused by this server) are redacted in results and errors
    in_url = run_module("metrics_check", {"url": "http://scraper:%s@127.0.0.1:%s/auth" % (PASSWORD, port),
                                          "expect": [{"metric": "queue_depth"}]})
    assert in_url.failed and "answered HTTP 401" in in_url.result["msg"]
    assert "scraper:********@127.0.0.1" in in_url.result["checks"][0]["url"]
    for run in (header, token, in_url):
        everything = module_output(run)
        assert TOKEN not in everything and PASSWORD not in everything


@pytest.mark.parametrize("args, fragments", [
    ({"url": "htp:/127.0.0.1/metrics"}, ["option url", "an http:// or https:// URL with a host"]),
    ({"url": "http://127.0.0.1:99999/metrics"}, ["option url", "Port out of range"]),
    ({"expect": [{"metric": "up"}, {"metric": 'up{job=~"("}'}]}, ["option expect[1].metric", "regular expression"]),
    ({"expect": [{"metric": "up", "critical": "90:80"}]}, ["expect[0].critical", "'90:80'", "greater than end"]),
    ({"expect": [{"metric": "up", "aggregate": "median"}]}, ["aggregate", "median", "sum, min, max, avg, count"]),
    ({"expect": [{"labels": {"a": "b"}}]}, ["missing required arguments: metric", "expect"]),
    ({"timeout": 0}, ["option timeout", "greater than 0"]),
    ({"bearer_token": "t0ken-value", "url_username": "u", "url_password": "p"},
     ["mutually exclusive", "bearer_token", "url_username"]),
    ({"thresholds": {"vaule": {"critical": 1}}}, ["thresholds.vaule", "accepted metrics: samples, value"]),
])
def test_metrics_check_bad_input_is_a_clear_error(args, fragments):
    args = dict({"url": "http://127.0.0.1:9/metrics", "expect": [{"metric": "up"}]}, **args)
    run = run_module("metrics_check", args)
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert "t0ken-value" not in module_output(run)
    assert_no_traceback(run)


def test_metrics_check_missing_ca_path_is_a_clean_option_error(servers, tmp_path):
    """Issue 13: metrics_check with a missing ca_path failed with a raw OSError ("Module failed");
    it is now an option error naming ca_path, like http_check's, before any request."""
    missing = str(tmp_path / "missing-ca.pem")
    run = run_module("metrics_check", {"url": servers["v4"].replace("http://", "https://") + "/metrics",
                                       "ca_path": missing, "expect": [{"metric": "up"}]})
    assert run.failed
    assert run.result["msg"].startswith("option ca_path: %r is invalid; accepted: an existing PEM file" % missing)
    assert "Module failed" not in run.result["msg"]
    assert_no_traceback(run)


def test_missing_requests_is_missing_required_lib(python_bare):
    run = run_module("metrics_check", {"url": "http://127.0.0.1:9/metrics", "expect": [{"metric": "up"}]},
                     python=python_bare)
    assert run.failed
    assert "Failed to import the required Python library (requests" in run.result["msg"]
    assert "python3-requests" in run.result["msg"]
    assert_no_traceback(run)


def test_missing_prometheus_client_is_missing_required_lib(python_requests_only):
    run = run_module("metrics_check", {"url": "http://127.0.0.1:9/metrics", "expect": [{"metric": "up"}]},
                     python=python_requests_only)
    assert run.failed
    msg = run.result["msg"]
    assert "Failed to import the required Python library (prometheus_client" in msg
    assert "python3-prometheus-client" in msg
    assert_no_traceback(run)


# --- log_scan ------------------------------------------------------------------------------

@pytest.mark.parametrize("check_mode", [False, True])
def test_log_scan_counts_and_fails_on_critical(app_log, check_mode):
    run = run_module("log_scan", {"path": [app_log], "since": "5m", "group_by": "logger", "patterns": [
        {"name": "errors", "field": "level", "equals": "error", "regex": r"\bERROR\b", "critical": 0},
        {"name": "warnings", "regex": "WARN"},
    ]}, check=check_mode)
    result = run.result
    assert run.failed and result["changed"] is False
    errors, warnings = result["checks"]
    assert errors["metrics"]["matches"] == 3 and errors["metrics"]["lines_scanned"] == 5
    assert errors["groups"] == {"(none)": 2, "db": 1}
    assert errors["status"] == "critical" and warnings["status"] == "ok"
    assert result["msg"] == ("1 of 2 checks not ok: CRITICAL: errors: 3 matches in the last 5m of %s (5 lines) "
                             "[by logger: (none) 2, db 1] (critical > 0)" % app_log)
    for check in result["checks"]:
        assert RESULT_KEYS <= set(check) and check["kind"] == "log"
    assert_no_traceback(run)


@pytest.mark.parametrize("module", ["log_scan", "health_check"])
def test_a_backtracking_log_pattern_ends_at_the_check_timeout(tmp_path, module):
    # A log line of 34 a's and a "!" against (a+)+$ held health_check 60 s+ with check_timeout 5.
    log = tmp_path / "evil.log"
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    log.write_text("%s %s\n%s all is well\n" % (now, "a" * 34 + "!", now))
    scan = {"path": str(log), "since": "1h", "patterns": [{"name": "evil", "regex": "(a+)+$"}]}
    if module == "log_scan":
        run = run_module("log_scan", dict(scan, check_timeout=3, fail_on="never"))
    else:
        run = run_module("health_check", {"checks": [
            dict(scan, name="logs", kind="log", check_timeout=3),
            {"name": "memory", "kind": "memory", "thresholds": {"used_percent": {"warning": "", "critical": ""}}},
        ], "fail_on": "never"})
    assert not run.failed, run.result
    checks = run.result["checks"]
    evil = [c for c in checks if c["kind"] == "log"]
    assert len(evil) == 1 and evil[0]["status"] == "unknown"
    assert evil[0]["summary"].endswith("check timed out after 3 s")
    assert len(checks) == (1 if module == "log_scan" else 2)
    assert run.elapsed < 30  # the pattern alone would take hours; a bound, not a timing test
    assert_no_traceback(run)


def test_log_scan_needs_no_third_party_library(python_bare, app_log):
    run = run_module("log_scan", {"path": app_log, "since": "1h", "patterns": [{"name": "errors", "regex": "ERROR"}]},
                     python=python_bare)
    assert not run.failed and run.result["checks"][0]["metrics"]["matches"] == 2


def test_log_scan_nonexistent_path_is_unknown_and_fails(tmp_path):
    missing = str(tmp_path / "nope" / "*.log")
    run = run_module("log_scan", {"path": [missing], "since": "5m", "patterns": [{"name": "errors", "regex": "E"}]})
    assert run.failed
    assert run.result["status"] == "unknown"
    assert run.result["msg"] == "1 of 1 checks not ok: UNKNOWN: errors: cannot scan: no file matches %s" % missing
    relaxed = run_module("log_scan", {"path": [missing], "since": "5m", "fail_on": "never"})
    assert not relaxed.failed and relaxed.result["status"] == "unknown"
    assert_no_traceback(run)


@pytest.mark.parametrize("args, fragments", [
    ({"patterns": [{"name": "a", "regex": "ok"}, {"name": "b", "regex": "(unclosed"}]},
     ["option patterns[1].regex", "'(unclosed'", "a valid Python regular expression"]),
    ({"since": "5 minutes"}, ["option since", "'5 minutes'", "a duration such as 30s, 5m"]),
    ({"since": "-1h"}, ["option since", "'-1h'"]),
    ({"since": "1e300"}, ["option since", "'1e300' is longer than 366d"]),
    ({"path": ["logs/app.log"]}, ["option path", "absolute file paths or globs"]),
    ({"patterns": [{"name": "a", "regexp": "x"}]}, ["regexp", "patterns"]),
    ({"patterns": [{"name": "a", "regex": "x", "critical": "5:1"}]}, ["patterns[0].critical", "greater than end"]),
    ({"patterns": [{"regex": "x"}]}, ["missing required arguments: name", "patterns"]),
])
def test_log_scan_bad_input_is_a_clear_error(tmp_path, args, fragments):
    args = dict({"path": [str(tmp_path / "a.log")], "since": "5m"}, **args)
    run = run_module("log_scan", args)
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert_no_traceback(run)
