# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The port check against real TCP listeners on 127.0.0.1 and ::1 (see servers.py). No mocks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys

import pytest

from ansible_collections.sre.health.plugins.module_utils import _port
from ansible_collections.sre.health.plugins.module_utils._runner import run_all
from ansible_collections.sre.health.plugins.module_utils._status import OptionError, compile_thresholds
from ansible_collections.sre.health.tests.unit.plugins.module_utils import servers as S
from ansible_collections.sre.health.tests.unit.utils import collections_path

needs_ipv6 = pytest.mark.skipif(not S.has_ipv6(), reason="no IPv6 loopback")


def check(thresholds=None, **params):
    compiled = compile_thresholds(thresholds, _port.METRICS, _port.DEFAULT_THRESHOLDS)
    results = _port.run(_port.validate(params), compiled)
    assert len(results) == 1
    return results[0]


@pytest.fixture(params=["127.0.0.1", pytest.param("::1", marks=needs_ipv6)])
def host(request):
    return request.param


@pytest.fixture
def listener(host):
    server = S.TcpServer(host)
    yield server
    server.close()


@pytest.fixture
def refused(host):
    sock, port = S.refused_port(host)
    yield port
    sock.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    pytest.importorskip("cryptography")
    return S.Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_listener(pki):
    cert_path, key_path, _cert = pki.issue("port-short", "localhost", S.in_days(3))
    server = S.TcpServer("127.0.0.1", "tls", S.server_context(cert_path, key_path))
    yield server
    server.close()


def shown(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


# --- open and closed -------------------------------------------------------------------------

def test_open_port(host, listener):
    result = check(host=host, port=listener.port)
    assert result["status"] == "ok", result["summary"]
    assert result["kind"] == "port" and result["name"] == "port:" + shown(host, listener.port)
    assert result["address"] == host and result["attempts"] == []
    assert result["metrics"]["connect_time_ms"] >= 0 and result["metrics"]["cert_days_left"] is None
    assert result["summary"].startswith("%s open (%s) in " % (shown(host, listener.port), host))


def test_ipv6_literal_in_brackets(listener, host):
    written = "[%s]" % host if ":" in host else host
    assert check(host=written, port=listener.port)["address"] == host


def test_refused_port_is_critical(host, refused):
    result = check(host=host, port=refused)
    assert result["status"] == "critical"
    assert result["summary"] == "%s: connection refused (%s)" % (shown(host, refused), host)
    assert result["attempts"] == [{"address": host, "error": "connection refused"}]
    assert result["metrics"]["connect_time_ms"] is None and result["address"] is None


def test_state_closed(host, listener, refused):
    result = check(host=host, port=refused, state="closed")
    assert result["status"] == "ok"
    assert result["summary"] == "%s closed as expected: connection refused (%s)" % (shown(host, refused), host)
    result = check(host=host, port=listener.port, state="closed")
    assert result["status"] == "critical"
    assert result["summary"] == "%s is open (%s), expected closed" % (shown(host, listener.port), host)


def test_every_address_is_tried_in_turn():
    """What ``localhost`` does: the first address refuses, the next one accepts."""
    if not S.has_ipv6():
        pytest.skip("no IPv6 loopback")
    server, blocker = S.split_stack("::1", "127.0.0.1")
    try:
        addresses = [(socket.AF_INET, socket.SOCK_STREAM, 0, ("127.0.0.1", server.port)),
                     (socket.AF_INET6, socket.SOCK_STREAM, 0, ("::1", server.port, 0, 0))]
        import time

        sock, address, attempts = _port.connect_any(addresses, time.monotonic() + 5)
        assert sock is not None
        sock.close()
        assert address == "::1" and attempts == [{"address": "127.0.0.1", "error": "connection refused"}]
    finally:
        server.close()
        blocker.close()


# ``localhost`` with both ::1 and 127.0.0.1, whatever this machine's /etc/hosts says: a private
# mount namespace (root only) gets its own hosts file; the network stays the same.
_LOCALHOST_SCRIPT = r"""
import json, sys
from ansible_collections.sre.health.plugins.module_utils import _http, _port
from ansible_collections.sre.health.plugins.module_utils._status import compile_thresholds
out = {}
for key, port, url in json.loads(sys.argv[1]):
    out[key + ":port"] = _port.run(_port.validate({"port": port, "expect": "^SSH-2"}),
                                   compile_thresholds(None, _port.METRICS, _port.DEFAULT_THRESHOLDS))[0]
    try:
        import requests  # noqa: F401
    except ImportError:
        continue
    out[key + ":http"] = _http.run(_http.validate({"url": url, "json": {"status": "up"}}),
                                   compile_thresholds(None, _http.METRICS, _http.DEFAULT_THRESHOLDS))[0]
print(json.dumps(out))
"""


def _resolves_both():
    try:
        found = set(info[4][0] for info in socket.getaddrinfo("localhost", 1, 0, socket.SOCK_STREAM))
    except socket.gaierror:
        return False
    return {"::1", "127.0.0.1"} <= found


def run_with_dual_stack_localhost(cases, tmp_path):
    env = dict(os.environ, PYTHONPATH=collections_path())
    argv = [sys.executable, "-c", _LOCALHOST_SCRIPT, json.dumps(cases)]
    if _resolves_both():
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    elif os.geteuid() == 0 and shutil.which("unshare"):
        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 localhost\n::1 localhost\n")
        cmd = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts)] + argv
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
        if proc.returncode != 0 and "mount" in proc.stderr:
            pytest.skip("cannot give localhost an IPv6 address here: %s" % proc.stderr.strip())
    else:
        pytest.skip("localhost does not resolve to both ::1 and 127.0.0.1, and no private mount namespace")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@needs_ipv6
def test_localhost_reaches_a_service_bound_only_to_either_loopback(tmp_path):
    v6_only, v4_blocked = S.split_stack("::1", "127.0.0.1")
    v4_only, v6_blocked = S.split_stack("127.0.0.1", "::1")
    web6 = S.HttpServer("::1")
    web4 = S.HttpServer("127.0.0.1")
    try:
        blockers = []
        for web, other in ((web6, "127.0.0.1"), (web4, "::1")):
            try:
                blockers.append(S.refused_port(other, web.port)[0])
            except OSError:
                pass  # the port is taken on the other family: the HTTP half below still proves reachability
        out = run_with_dual_stack_localhost([
            ["v6", v6_only.port, "http://localhost:%d/json" % web6.port],
            ["v4", v4_only.port, "http://localhost:%d/json" % web4.port],
        ], tmp_path)
    finally:
        for item in (v6_only, v4_only, web6, web4):
            item.close()
        for sock in [v4_blocked, v6_blocked] + blockers:
            sock.close()
    for key, address in (("v6", "::1"), ("v4", "127.0.0.1")):
        result = out[key + ":port"]
        assert result["status"] == "ok", result["summary"]
        assert result["address"] == address
        assert set(a["address"] for a in result["attempts"]) <= {"::1", "127.0.0.1"} - {address}
        if key + ":http" in out:
            assert out[key + ":http"]["status"] == "ok", out[key + ":http"]["summary"]
    # whichever order getaddrinfo prefers, one of the two needed the second address
    assert out["v6:port"]["attempts"] or out["v4:port"]["attempts"]
    tried = out["v6:port"]["attempts"] + out["v4:port"]["attempts"]
    assert tried[0]["error"] == "connection refused"


# --- send, expect, TLS -----------------------------------------------------------------------

def test_banner_expect(host):
    server = S.TcpServer(host, "banner")
    try:
        result = check(host=host, port=server.port, expect=r"^SSH-2\.0-")
        assert result["status"] == "ok", result["summary"]
        assert result["summary"].endswith("answer matches '^SSH-2\\.0-'")
        # what the peer sent, its control characters shown escaped (CR LF ends an SSH banner)
        assert result["answer"] == S.TcpServer.BANNER.decode().replace("\r", "\\r").replace("\n", "\\n")
        # the banner must arrive before the timeout: 2 s, ample on any machine
        result = check(host=host, port=server.port, expect="^220 ", timeout=2)
    finally:
        server.close()
    assert result["status"] == "critical"
    assert result["summary"].endswith(
        "(critical: answer does not match '^220 ' (timed out after 2 s; got 'SSH-2.0-OpenSSH_9.2p1 "
        "sre-health-test\\r\\n'))")


def test_send_and_expect():
    server = S.TcpServer("127.0.0.1", "pong")
    try:
        assert check(host="127.0.0.1", port=server.port, send="PING\r\n", expect=r"^\+PONG")["status"] == "ok"
        result = check(host="127.0.0.1", port=server.port, send="HELLO\r\n", expect=r"^\+PONG", timeout=2)
    finally:
        server.close()
    assert result["status"] == "critical" and "got '-ERR unknown command\\r\\n'" in result["summary"]


def test_send_without_expect_reads_nothing(host, listener):
    result = check(host=host, port=listener.port, send="QUIT\r\n")
    assert result["status"] == "ok" and "answer" not in result


def test_tls_certificate_expiring_in_3_days(tls_listener):
    result = check(host="127.0.0.1", port=tls_listener.port, tls=True, expect="^220 ")
    assert result["status"] == "critical"
    assert 2.9 < result["metrics"]["cert_days_left"] <= 3.0
    assert result["tls_version"].startswith("TLSv1") and result["tls_cipher"]
    assert result["certificate"]["subject"] == "CN=localhost" and result["certificate"]["verified"] is False
    assert result["summary"].endswith(
        ", answer matches '^220 ', certificate expires in 3 d (critical: cert_days_left 3 d < 7 d)")
    relaxed = check({"cert_days_left": {"warning": "2:", "critical": "1:"}}, host="127.0.0.1",
                    port=tls_listener.port, tls=True)
    assert relaxed["status"] == "ok"


def test_tls_verification(tls_listener, pki):
    result = check({"cert_days_left": {"critical": "1:", "warning": None}}, host="127.0.0.1",
                   port=tls_listener.port, tls=True, validate_certs=True, ca_path=pki.ca_path,
                   server_name="localhost")
    assert result["status"] == "ok", result["summary"]
    assert result["certificate"]["verified"] is True
    result = check(host="localhost", port=tls_listener.port, tls=True, validate_certs=True)
    assert result["status"] == "critical"
    assert "TLS handshake failed: certificate verify failed: unable to get local issuer certificate" in result["summary"]
    assert 2.9 < result["metrics"]["cert_days_left"] <= 3.0, "measured through a second, unverified handshake"
    result = check(host="127.0.0.1", port=tls_listener.port, tls=True, validate_certs=True, ca_path=pki.ca_path,
                   server_name="db.example.com")
    assert result["status"] == "critical" and "Hostname mismatch" in result["summary"]


def test_tls_handshake_with_a_plain_service_times_out(listener, host):
    result = check(host=host, port=listener.port, tls=True, timeout=0.5)
    assert result["status"] == "critical"
    assert result["summary"].endswith("(critical: TLS handshake failed: timed out after 0.5 s)")


def test_connect_time_threshold(listener, host):
    result = check({"connect_time_ms": {"critical": "@0:"}}, host=host, port=listener.port)
    assert result["status"] == "critical" and "critical: connect_time_ms" in result["summary"]


# --- options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("params, option, fragment", [
    ({"port": 0}, "port", "from 1 to 65535"),
    ({"port": 65536}, "port", "from 1 to 65535"),
    ({"port": "22"}, "port", "from 1 to 65535"),
    ({"port": None}, "port", "from 1 to 65535"),
    ({"port": 22, "host": ""}, "host", "a host name"),
    ({"port": 22, "host": "db.example.com:5432"}, "host", "a host name"),
    ({"port": 22, "host": "::1:22:zz"}, "host", "put the port in the port option"),
    ({"port": 22, "host": "a b"}, "host", "a host name"),
    ({"port": 22, "state": "listening"}, "state", "open, closed"),
    ({"port": 22, "timeout": -1}, "timeout", "greater than 0"),
    ({"port": 22, "expect": "(unclosed"}, "expect", "valid Python regular expression"),
    ({"port": 22, "send": ""}, "send", "non-empty"),
    ({"port": 22, "state": "closed", "send": "x"}, "send", "only with state=open"),
    ({"port": 22, "state": "closed", "expect": "x"}, "expect", "only with state=open"),
    ({"port": 22, "state": "closed", "tls": True}, "tls", "only with state=open"),
    ({"port": 22, "ca_path": "/etc/ca.pem"}, "ca_path", "only with tls=true"),
    ({"port": 22, "server_name": "x.example"}, "server_name", "only with tls=true"),
    ({"port": 22, "tls": True, "ca_path": "/nonexistent/ca.pem"}, "ca_path", "no such file or directory"),
])
def test_bad_options(params, option, fragment):
    with pytest.raises(OptionError) as info:
        _port.run(_port.validate(params), {})
    assert info.value.option == option
    assert str(info.value).startswith("option %s: " % option)
    assert fragment in str(info.value), str(info.value)


def test_checks_run_concurrently_in_worker_threads():
    server = S.TcpServer("127.0.0.1", "banner")
    sock, refused = S.refused_port()
    compiled = compile_thresholds(None, _port.METRICS, _port.DEFAULT_THRESHOLDS)
    try:
        params = [{"host": "127.0.0.1", "port": server.port, "expect": "^SSH"},
                  {"host": "127.0.0.1", "port": refused},
                  {"host": "127.0.0.1", "port": refused, "state": "closed"}] * 4
        outcome = run_all([(lambda p=p: _port.run(_port.validate(p), compiled), 10) for p in params], max_workers=6)
    finally:
        server.close()
        sock.close()
    statuses = [value[0]["status"] for value, _exc, _duration in outcome.results]
    assert statuses == ["ok", "critical", "ok"] * 4
