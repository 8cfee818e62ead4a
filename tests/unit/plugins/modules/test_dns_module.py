# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""dns_check end to end, through the real ansible CLI, against dnsmasq on the loopback (see
module_utils/dnsmasq.py); and the dns kind inside health_check. Every check names its server:
the machine's own resolver is never asked."""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils import dnsmasq as D
from ansible_collections.sre.health.tests.unit.utils import run_module

RESULT_KEYS = {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms", "query", "type",
               "server", "servers", "rcode", "authoritative", "tcp", "records", "ttl", "cnames", "failures"}

pytest.importorskip("dns.message")


def assert_no_traceback(run):
    for text in (run.stdout, run.stderr, json.dumps(run.result)):
        assert "Traceback" not in text
        assert 'File "' not in text


# Function scope: ansible-test units runs each test in a forked child, which never tears down a
# module-scoped fixture, so a dnsmasq started there would outlive the run.
@pytest.fixture
def zone(tmp_path_factory):
    server = D.zone_server(tmp_path_factory.mktemp("zone"))
    yield server
    server.close()


@pytest.fixture
def resolver(zone, tmp_path_factory):
    server = D.validating_resolver(tmp_path_factory.mktemp("resolver"), zone.port, D.closed_udp_port())
    yield server
    server.close()


@pytest.mark.parametrize("check_mode", [False, True])
def test_dns_check_ok(zone, check_mode):
    run = run_module("dns_check", {"name": "test", "type": "MX", "server": zone.server(),
                                   "expect": ["10 mail.test", "mail2.test"], "exact": True}, check=check_mode)
    assert not run.failed, run.result
    assert run.result["changed"] is False and run.result["status"] == "ok" and run.result["health"] == "healthy"
    (result,) = run.result["checks"]
    assert RESULT_KEYS | {"expect", "exact", "missing", "unexpected"} <= set(result)
    assert result["name"] == "dns:test/MX" and result["kind"] == "dns"
    assert result["records"] == ["10 mail.test", "20 mail2.test"]
    assert result["expect"] == ["10 mail.test", "mail2.test"]
    assert result["metrics"]["answers"] == 2 and result["metrics"]["resolve_time_ms"] > 0
    assert result["thresholds"] == {"resolve_time_ms": {"warning": "1s"}}


def test_dns_check_missing_value_fails_the_task(zone):
    run = run_module("dns_check", {"name": "www.test", "server": zone.server(), "expect": ["127.0.0.99"]})
    assert run.failed and run.result["status"] == "critical"
    summary = run.result["checks"][0]["summary"]
    assert summary.startswith("www.test A: 127.0.0.10 in ")
    assert summary.endswith("from %s (critical: expected 127.0.0.99, not among the answers)" % zone.server())
    assert run.result["msg"] == run.result["summary"] == "1 of 1 checks not ok: CRITICAL: " + summary
    assert_no_traceback(run)


def test_dns_check_nxdomain_servfail_and_fail_on_never(zone, resolver):
    run = run_module("dns_check", {"name": "nope.test", "server": zone.server(), "fail_on": "never"})
    assert not run.failed and run.result["status"] == "critical"
    assert "NXDOMAIN, the name does not exist" in run.result["summary"]
    run = run_module("dns_check", {"name": "www.test", "server": resolver.server()})
    assert run.failed and "SERVFAIL (the server failed to resolve the name)" in run.result["summary"]


def test_dns_check_timeout_through_ansible(resolver):
    run = run_module("dns_check", {"name": "x.dead.test", "server": resolver.server(), "timeout": 1.5})
    assert run.failed and run.result["checks"][0]["summary"] == \
        "x.dead.test A: no answer from %s: timed out after 1.5 s" % resolver.server()
    assert run.result["checks"][0]["duration_ms"] < 1500 + 30000  # a hang guard, not a timing


def test_dns_check_check_timeout_bounds_the_query(resolver):
    started = time.monotonic()
    run = run_module("dns_check", {"name": "x.dead.test", "server": resolver.server(), "timeout": 60,
                                   "check_timeout": 1})
    assert run.failed and run.result["status"] == "unknown"
    assert "timed out after 1 s" in run.result["checks"][0]["summary"]
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("args, message", [
    ({"name": "www.test", "type": "ANY"}, "value of type must be one of: A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, "
                                          "got: ANY"),
    ({"name": "www.test", "server": "dns.example.com"}, "option server: 'dns.example.com' is invalid; accepted: an "
                                                        "IPv4 or IPv6 address, optionally with a port"),
    ({"name": "www.test", "server": "127.0.0.1:70000"}, "option server: '127.0.0.1:70000' is invalid"),
    ({"name": "www.test", "expect": ["www.test"]}, "option expect: 'www.test' is invalid; accepted: for type A, "
                                                   "IPv4 addresses"),
    ({"name": "www.test", "exact": True}, "option exact: True is invalid; accepted: true only with expect"),
    ({"name": "www.test", "timeout": 0}, "option timeout: 0.0 is invalid; accepted: a number of seconds greater "
                                         "than 0"),
    ({"name": "www.test", "timeout": -3}, "option timeout: -3.0 is invalid"),
    ({"name": "bad name"}, "option name: 'bad name' is invalid; accepted: a DNS name"),
    ({"name": "www.test", "thresholds": {"resolve_time_ms": {"warning": "fast"}}}, "thresholds.resolve_time_ms"),
])
def test_dns_check_bad_options_are_clear_failures(args, message):
    run = run_module("dns_check", args)
    assert run.failed and message in run.result["msg"], run.result
    assert_no_traceback(run)


def test_dns_check_without_dnspython(python_without_psutil):
    run = run_module("dns_check", {"name": "www.test", "server": "127.0.0.1"}, python=python_without_psutil)
    assert run.failed
    assert "dnspython (Debian/Ubuntu package python3-dnspython" in run.result["msg"]
    assert_no_traceback(run)


def test_dns_kind_in_health_check(zone, python_without_psutil):
    checks = [
        {"name": "www.test", "kind": "dns", "server": zone.server(), "expect": ["127.0.0.10"]},
        {"name": "reverse", "kind": "dns", "query": "127.0.0.127", "type": "PTR", "server": zone.server(),
         "expect": ["rev.test"]},
        {"name": "gone", "kind": "dns", "query": "nope.test", "server": zone.server()},
        {"name": "hosts", "kind": "file", "path": "/etc/hosts"},
    ]
    run = run_module("health_check", {"checks": checks, "fail_on": "never"})
    by_name = dict((c["name"], c) for c in run.result["checks"])
    assert by_name["www.test"]["status"] == "ok" and by_name["www.test"]["query"] == "www.test"
    assert by_name["reverse"]["status"] == "ok" and by_name["reverse"]["query"] == "127.0.0.127.in-addr.arpa"
    assert by_name["gone"]["status"] == "critical" and "NXDOMAIN" in by_name["gone"]["summary"]
    assert run.result["missing_libraries"] == [] and run.result["missing_packages"] == []
    # without dnspython: unknown, naming the package; the role installs python3-dnspython; the rest runs
    without = run_module("health_check", {"checks": checks, "fail_on": "never"}, python=python_without_psutil)
    by_name = dict((c["name"], c) for c in without.result["checks"])
    assert by_name["www.test"]["status"] == "unknown"
    assert by_name["www.test"]["summary"] == ("www.test: cannot run: missing Python library on this host: dnspython "
                                              "(Debian/Ubuntu package python3-dnspython, RHEL python3-dns, or pip "
                                              "install dnspython)")
    assert by_name["hosts"]["status"] == "ok"
    assert without.result["missing_libraries"] == ["dns"]
    assert without.result["missing_packages"] == ["python3-dnspython"]
    assert_no_traceback(without)


def test_dns_kind_bad_entry_in_health_check():
    run = run_module("health_check", {"checks": [{"name": "mx", "kind": "dns", "query": "example.com",
                                                  "type": "MX", "expect": ["mail.example.com 10"]}]})
    assert run.failed
    assert run.result["msg"].startswith("checks[0] (mx): option expect: 'mail.example.com 10' is invalid; accepted: "
                                        "for type MX, 'PREFERENCE HOST'")
    assert_no_traceback(run)
