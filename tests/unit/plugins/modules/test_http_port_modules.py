# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""http_check and port_check end to end, through the real ansible CLI, against real servers on
127.0.0.1 and ::1."""

from __future__ import annotations

import json
import subprocess

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils import servers as S
from ansible_collections.sre.health.tests.unit.utils import run_module

RESULT_KEYS = {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms"}


def module_output(run):
    """What the module returned and ansible printed of it. An ad-hoc command's failure also echoes
    the task's arguments as typed (its "Origin" line), which is Ansible's display, not the module's."""
    printed = [line for line in (run.stdout + run.stderr).splitlines() if not line.startswith("{'action': ")]
    return "\n".join(printed) + json.dumps(run.result)


def assert_no_traceback(run):
    for text in (run.stdout, run.stderr, str(run.result)):
        assert "Traceback" not in text
        assert 'File "' not in text


@pytest.fixture(scope="module")
def web():
    pytest.importorskip("requests")
    servers = {"v4": S.HttpServer("127.0.0.1")}
    if S.has_ipv6():
        servers["v6"] = S.HttpServer("::1")
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture(scope="module")
def tls_web(tmp_path_factory):
    pytest.importorskip("cryptography")
    pki = S.Pki(tmp_path_factory.mktemp("pki"))
    cert_path, key_path, _cert = pki.issue("short", "localhost", S.in_days(3))
    server = S.HttpServer("127.0.0.1", S.server_context(cert_path, key_path))
    yield server, pki.ca_path
    server.close()


@pytest.fixture
def python_without_requests(python_without_psutil):
    """The conftest's interpreter without site packages: it has no requests either."""
    probe = subprocess.run([python_without_psutil, "-c", "import requests"], capture_output=True, check=False)
    assert probe.returncode != 0
    return python_without_psutil


# --- http_check ----------------------------------------------------------------------------

@pytest.mark.parametrize("family, check_mode", [("v4", False), ("v6", True)])
def test_http_check_ok(web, family, check_mode):
    if family not in web:
        pytest.skip("no IPv6 loopback")
    url = web[family].url("/json")
    run = run_module("http_check", {"url": url, "json": {"data.items.0.state": "running"},
                                    "thresholds": {"response_time_ms": {"critical": "30s"}}}, check=check_mode)
    assert not run.failed, run.result
    result = run.result
    assert result["changed"] is False and result["status"] == "ok" and result["health"] == "healthy"
    check = result["checks"][0]
    assert RESULT_KEYS <= set(check)
    assert check["metrics"]["status_code"] == 200 and check["url"] == url
    assert check["thresholds"]["response_time_ms"] == {"critical": "30s"}


def test_http_check_critical_fails_the_task(web):
    run = run_module("http_check", {"url": web["v4"].url("/error")})
    assert run.failed and run.result["status"] == "critical"
    assert run.result["msg"].startswith("1 of 1 checks not ok: CRITICAL: %s: HTTP 500" % web["v4"].url("/error"))
    relaxed = run_module("http_check", {"url": web["v4"].url("/error"), "fail_on": "never"})
    assert not relaxed.failed and relaxed.result["status"] == "critical"


def test_http_check_expiring_certificate(tls_web):
    server, ca_path = tls_web
    run = run_module("http_check", {"url": server.url("/json"), "ca_path": ca_path})
    assert run.failed
    check = run.result["checks"][0]
    assert check["metrics"]["status_code"] == 200 and 2.9 < check["metrics"]["cert_days_left"] <= 3
    assert check["summary"].endswith("(critical: cert_days_left 3 d < 7 d)")


def test_http_check_never_shows_credentials(web):
    base = web["v4"]
    in_url = base.url("/auth").replace("://", "://%s:%s@" % (S.USER, S.PASSWORD))
    passing = run_module("http_check", {"url": base.url("/apikey?token=%s" % S.API_KEY[::-1]),
                                        "headers": {"X-Api-Key": S.API_KEY}})
    assert not passing.failed, passing.result
    echoing = run_module("http_check", {"url": base.url("/echo"), "url_username": S.USER, "url_password": S.PASSWORD,
                                        "headers": {"X-Api-Key": S.API_KEY},
                                        "json": {"headers.X-Api-Key": "x", "headers.Authorization": "x"}})
    assert echoing.failed and "json headers.X-Api-Key is" in echoing.result["msg"]
    url_auth = run_module("http_check", {"url": in_url, "expected_status": [403]})
    assert url_auth.failed and "status 200, expected 403" in url_auth.result["msg"]
    assert url_auth.result["checks"][0]["url"] == in_url.replace(S.PASSWORD, "********")
    for run in (passing, echoing, url_auth):
        everything = module_output(run)
        for secret in (S.PASSWORD, S.API_KEY, S.API_KEY[::-1]):
            assert secret not in everything


@pytest.mark.parametrize("args, fragments", [
    ({"url": "htp:/127.0.0.1/health"}, ["option url", "scheme 'htp' is not http or https"]),
    ({"url": "http://127.0.0.1:99999/"}, ["option url", "Port out of range"]),
    ({"body_regex": "(unclosed"}, ["option body_regex", "'(unclosed'", "valid Python regular expression"]),
    ({"json": {"data..state": "up"}}, ["option json", "empty segment", "data.items.0.state"]),
    ({"method": "get"}, ["method", "GET, HEAD, POST"]),
    ({"url_password": "pw-only-secret"}, ["option url_username", "together with url_password"]),
    ({"thresholds": {"response_time": {"critical": "1s"}}},
     ["thresholds.response_time", "accepted metrics: body_bytes, cert_days_left, response_time_ms, status_code"]),
])
def test_http_check_bad_input_is_a_clear_error(args, fragments):
    run = run_module("http_check", dict({"url": "http://127.0.0.1:9/health"}, **args))
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert "pw-only-secret" not in module_output(run)
    assert_no_traceback(run)


def test_http_check_missing_requests_is_missing_required_lib(python_without_requests):
    run = run_module("http_check", {"url": "http://127.0.0.1:9/"}, python=python_without_requests)
    assert run.failed
    assert "Failed to import the required Python library (requests" in run.result["msg"]
    assert "python3-requests" in run.result["msg"]
    assert_no_traceback(run)


# --- port_check ----------------------------------------------------------------------------

@pytest.mark.parametrize("host, check_mode", [("127.0.0.1", False), ("::1", True)])
def test_port_check_open_and_closed(host, check_mode):
    if ":" in host and not S.has_ipv6():
        pytest.skip("no IPv6 loopback")
    server = S.TcpServer(host, "banner")
    sock, refused = S.refused_port(host)
    try:
        run = run_module("port_check", {"host": host, "port": server.port, "expect": "^SSH-2"}, check=check_mode)
        closed = run_module("port_check", {"host": host, "port": refused, "state": "closed"})
        must_be_closed = run_module("port_check", {"host": host, "port": server.port, "state": "closed"})
    finally:
        server.close()
        sock.close()
    assert not run.failed, run.result
    assert run.result["changed"] is False and run.result["status"] == "ok"
    check = run.result["checks"][0]
    assert RESULT_KEYS <= set(check) and check["address"] == host and check["kind"] == "port"
    assert not closed.failed and closed.result["checks"][0]["summary"].endswith("connection refused (%s)" % host)
    assert must_be_closed.failed and "is open (%s), expected closed" % host in must_be_closed.result["msg"]


@pytest.mark.parametrize("args, fragments", [
    ({"port": 70000}, ["option port", "70000", "from 1 to 65535"]),
    ({"port": 22, "state": "closed", "expect": "^SSH"}, ["option expect", "only with state=open"]),
    ({"port": 22, "host": "db.example.com:5432"}, ["option host", "without a port"]),
])
def test_port_check_bad_input_is_a_clear_error(args, fragments):
    run = run_module("port_check", args)
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert_no_traceback(run)


def test_port_check_needs_no_third_party_library(python_without_requests):
    sock, refused = S.refused_port()
    try:
        run = run_module("port_check", {"host": "127.0.0.1", "port": refused}, python=python_without_requests)
    finally:
        sock.close()
    assert run.failed and run.result["status"] == "critical"
    assert run.result["checks"][0]["summary"] == "127.0.0.1:%d: connection refused (127.0.0.1)" % refused
    assert_no_traceback(run)


def test_port_check_tls_without_cryptography_is_unknown_for_the_certificate_only(python_without_requests, tmp_path):
    """Issue 13's decision (see _tls): a host without cryptography still runs the check; only the
    certificate it cannot read is unknown, with the missing-library wording, and not silently ok."""
    pytest.importorskip("cryptography")
    probe = subprocess.run([python_without_requests, "-c", "import cryptography"], capture_output=True, check=False)
    assert probe.returncode != 0
    pki = S.Pki(tmp_path)
    cert_path, key_path, _cert = pki.issue("plain", "localhost", S.in_days(90))
    server = S.TcpServer("127.0.0.1", "tls", S.server_context(cert_path, key_path))
    try:
        judged = run_module("port_check", {"host": "127.0.0.1", "port": server.port, "tls": True, "expect": "^220 "},
                            python=python_without_requests)
        opted_out = run_module("port_check", {"host": "127.0.0.1", "port": server.port, "tls": True,
                                              "thresholds": {"cert_days_left": {"warning": "", "critical": ""}}},
                               python=python_without_requests)
    finally:
        server.close()
    assert_no_traceback(judged)
    check = judged.result["checks"][0]
    assert judged.failed and check["status"] == "unknown", check["summary"]
    assert check["metrics"]["cert_days_left"] is None and check["metrics"]["connect_time_ms"] > 0
    assert "answer matches '^220 '" in check["summary"]
    assert "unknown: cert_days_left: cannot read the certificate: missing Python library cryptography" in check["summary"]
    assert "python3-cryptography" in check["summary"]
    assert not opted_out.failed and opted_out.result["checks"][0]["status"] == "ok"
