# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The dns check against real DNS servers on the loopback: dnsmasq authoritative for the zone
``test`` (see dnsmasq.py), a validating dnsmasq that gives SERVFAIL, and UDP peers that stay silent
or send garbage. The machine's own resolver is never asked: every check has a ``server``, except
those that read a resolv.conf written by the test, whose nameservers are loopback addresses."""

from __future__ import annotations

import os
import socket
import struct
import threading
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _checks, _dns, _kind, _kinds_all
from ansible_collections.sre.health.plugins.module_utils._errors import CheckDefinitionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import SpecError
from ansible_collections.sre.health.plugins.module_utils._status import compile_thresholds
from ansible_collections.sre.health.tests.unit.plugins.module_utils import dnsmasq as D
from ansible_collections.sre.health.tests.unit.plugins.module_utils.servers import has_ipv6

dns_message = pytest.importorskip("dns.message")
needs_ipv6 = pytest.mark.skipif(not has_ipv6(), reason="no IPv6 loopback")


def check(thresholds=None, **params):
    """Validate through the spec (as the modules do), run, return the one result."""
    results = _kind.check(_dns, params, thresholds)
    assert len(results) == 1
    return results[0]


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


@pytest.fixture
def peer():
    peers = []

    def make(reply=None, host="127.0.0.1"):
        peers.append(D.UdpPeer(reply, host))
        return peers[-1]
    yield make
    for one in peers:
        one.close()


# --- answers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, rdtype, expect, records", [
    ("www.test", "A", ["127.0.0.10"], ["127.0.0.10"]),
    ("WWW.Test.", "A", ["127.0.0.10"], ["127.0.0.10"]),
    ("pool.test", "A", ["127.0.0.22", "127.0.0.21"], ["127.0.0.21", "127.0.0.22", "127.0.0.23"]),
    ("v6.test", "AAAA", ["0:0::10"], ["::10"]),
    ("dual.test", "AAAA", ["::11"], ["::11"]),
    ("alias.test", "CNAME", ["WWW.TEST."], ["www.test"]),
    ("test", "MX", ["10 mail.test", "mail2.test."], ["10 mail.test", "20 mail2.test"]),
    ("test.", "MX", ["010 MAIL.test"], ["10 mail.test", "20 mail2.test"]),
    ("txt.test", "TXT", ["v=spf1 -all"], ["v=spf1 -all"]),
    ("multi.test", "TXT", ["part onepart two"], ["part onepart two"]),
    ("_http._tcp.test", "SRV", ["1 5 80 www.test"], ["1 5 80 www.test"]),
    ("_http._tcp.test", "SRV", ["www.test"], ["1 5 80 www.test"]),
    ("127.0.0.127.in-addr.arpa", "PTR", ["rev.test"], ["rev.test"]),
    ("127.0.0.127", "PTR", ["rev.test"], ["rev.test"]),
    ("::10", "PTR", ["v6.test"], ["v6.test"]),
    ("test", "NS", ["ns.test"], ["ns.test"]),
    ("test", "SOA", ["ns.test hostmaster.test 2024010101 1200 180 1209600 600"],
     ["ns.test hostmaster.test 2024010101 1200 180 1209600 600"]),
    ("test", "SOA", ["ns.test"], ["ns.test hostmaster.test 2024010101 1200 180 1209600 600"]),
])
def test_each_type_answers_and_matches_its_expect_form(zone, name, rdtype, expect, records):
    result = check(name=name, type=rdtype, server=zone.server(), expect=expect)
    assert result["status"] == "ok", result["summary"]
    assert result["records"] == records
    assert result["metrics"]["answers"] == len(records)
    assert 0 < result["metrics"]["resolve_time_ms"] < 1000
    assert result["rcode"] == "NOERROR" and result["authoritative"] is True and result["tcp"] is False
    assert result["server"] == zone.server() and result["servers"] == [zone.server()]
    assert result["missing"] == [] and result["unexpected"] == []
    assert result["ttl"] == 600
    assert result["name"] == "dns:%s/%s" % (result["query"], rdtype)
    assert result["summary"].startswith("%s: " % _dns.subject(_dns.validate(
        dict(name=name, type=rdtype, server=None, expect=None, exact=False, timeout=5))))


def test_the_summary_shows_the_answers_the_time_and_the_server(zone):
    result = check(name="test", type="MX", server=zone.server())
    assert result["summary"].startswith("test MX: 10 mail.test, 20 mail2.test in ")
    assert result["summary"].endswith(" ms from %s" % zone.server())
    assert "expect" not in result and result["cnames"] == [] and result["failures"] == []
    assert result["thresholds"] == {"resolve_time_ms": {"warning": "1s"}}
    # the query reached the server once, over UDP
    assert len(zone.queries("test")) >= 1


def test_a_ptr_query_for_an_address_names_both(zone):
    result = check(name="127.0.0.127", type="PTR", server=zone.server())
    assert result["query"] == "127.0.0.127.in-addr.arpa"
    assert result["summary"].startswith("127.0.0.127 PTR (127.0.0.127.in-addr.arpa): rev.test in ")


@needs_ipv6
def test_the_server_over_ipv6(zone):
    result = check(name="v6.test", type="AAAA", server=zone.server("::1"), expect=["::10"], exact=True)
    assert result["status"] == "ok", result["summary"]
    assert result["server"] == "[::1]:%d" % zone.port


def test_an_alias_is_followed_and_shown(zone):
    result = check(name="alias.test", server=zone.server(), expect=["127.0.0.10"])
    assert result["status"] == "ok", result["summary"]
    assert result["cnames"] == ["www.test"]
    assert result["summary"].startswith("alias.test A: 127.0.0.10 via www.test in ")


def answer_with(*records):
    """A UdpPeer reply: the query's response holding ``records`` (zone-file lines) in its answer."""
    def reply(query):
        import dns.rrset

        response = dns_message.make_response(dns_message.from_wire(query))
        for line in records:
            owner, ttl, rdclass, rdtype, data = line.split(None, 4)
            response.answer.append(dns.rrset.from_text(owner, int(ttl), rdclass, rdtype, data))
        return response.to_wire()
    return reply


def test_a_chain_of_aliases_is_followed(peer):
    chain = peer(answer_with("chain.test. 60 IN CNAME alias.test.", "alias.test. 60 IN CNAME www.test.",
                             "www.test. 60 IN A 127.0.0.10", "other.test. 60 IN A 127.0.0.99"))
    result = check(name="chain.test", server=chain.server(), expect=["127.0.0.10"], exact=True)
    assert result["status"] == "ok", result["summary"]
    assert result["cnames"] == ["alias.test", "www.test"] and result["records"] == ["127.0.0.10"]
    assert result["authoritative"] is False and result["ttl"] == 60
    assert " via alias.test -> www.test in " in result["summary"]


def test_a_loop_of_aliases_ends(peer):
    loop = peer(answer_with("a.test. 60 IN CNAME b.test.", "b.test. 60 IN CNAME a.test."))
    result = check(name="a.test", server=loop.server())
    assert result["status"] == "critical"
    assert result["summary"].startswith("a.test A: no A record: the aliases loop (a.test -> b.test -> a.test) in ")


def test_a_truncated_answer_is_asked_again_over_tcp(zone):
    result = check(name="big.test", type="TXT", server=zone.server(), expect=[D.LONG * 3, D.OTHER * 3], exact=True)
    assert result["status"] == "ok", result["summary"]
    assert result["tcp"] is True and result["metrics"]["answers"] == 2
    assert result["records"] == [D.LONG * 3, D.OTHER * 3]
    assert " over TCP" in result["summary"]


def test_many_answers_are_counted_all_and_shown_five(zone):
    result = check(name="pool.test", server=zone.server(), expect=["127.0.0.21"], exact=True)
    assert result["status"] == "critical"
    assert result["unexpected"] == ["127.0.0.22", "127.0.0.23"]
    assert "critical: answered 127.0.0.22, 127.0.0.23, not expected (exact)" in result["summary"]


# --- what is wrong -----------------------------------------------------------------------------

def test_nxdomain_is_critical(zone):
    result = check(name="nope.test", server=zone.server())
    assert result["status"] == "critical"
    assert result["rcode"] == "NXDOMAIN"
    assert result["metrics"]["answers"] == 0 and result["metrics"]["resolve_time_ms"] > 0
    assert result["summary"].startswith("nope.test A: NXDOMAIN, the name does not exist in ")


def test_no_record_of_the_type_is_critical(zone):
    result = check(name="www.test", type="AAAA", server=zone.server())
    assert result["status"] == "critical" and result["rcode"] == "NOERROR"
    assert result["metrics"]["answers"] == 0
    assert "www.test AAAA: no AAAA record (NOERROR without an answer: the name exists" in result["summary"]


def test_an_alias_without_its_target_is_no_record(zone):
    """dnsmasq answers NOERROR with the CNAME alone (its target does not exist)."""
    result = check(name="dangling.test", server=zone.server())
    assert result["status"] == "critical" and result["rcode"] == "NOERROR"
    assert result["cnames"] == ["gone.test"]
    assert result["summary"].startswith("dangling.test A: no A record: the answer ends at an alias, without its "
                                        "records (NOERROR) via gone.test in ")


def test_an_expected_value_missing_names_what_was_expected_and_answered(zone):
    result = check(name="www.test", server=zone.server(), expect=["127.0.0.10", "127.0.0.99"])
    assert result["status"] == "critical"
    assert result["missing"] == ["127.0.0.99"] and result["records"] == ["127.0.0.10"]
    assert result["summary"].startswith("www.test A: 127.0.0.10 in ")
    assert result["summary"].endswith("(critical: expected 127.0.0.99, not among the answers)")


@pytest.mark.parametrize("expect, exact, status, missing, unexpected", [
    (["127.0.0.21", "127.0.0.22", "127.0.0.23"], True, "ok", [], []),
    (["127.0.0.21", "127.0.0.22", "127.0.0.23"], False, "ok", [], []),
    (["127.0.0.21"], False, "ok", [], []),
    (["127.0.0.21"], True, "critical", [], ["127.0.0.22", "127.0.0.23"]),
    (["127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.24"], True, "critical", ["127.0.0.24"], []),
    (["127.0.0.24"], True, "critical", ["127.0.0.24"], ["127.0.0.21", "127.0.0.22", "127.0.0.23"]),
])
def test_expect_and_exact(zone, expect, exact, status, missing, unexpected):
    result = check(name="pool.test", server=zone.server(), expect=expect, exact=exact)
    assert result["status"] == status, result["summary"]
    assert result["missing"] == missing and result["unexpected"] == unexpected
    assert result["exact"] is exact


def test_mx_preference_is_compared_when_given(zone):
    result = check(name="test", type="MX", server=zone.server(), expect=["20 mail.test"])
    assert result["status"] == "critical" and result["missing"] == ["20 mail.test"]


def test_txt_is_compared_exactly(zone):
    result = check(name="txt.test", type="TXT", server=zone.server(), expect=["V=SPF1 -ALL"])
    assert result["status"] == "critical" and result["missing"] == ["V=SPF1 -ALL"]


def test_servfail_from_a_validating_resolver(resolver, peer):
    """dnsmasq validating DNSSEC finds the unsigned zone's answer BOGUS and answers SERVFAIL."""
    result = check(name="www.test", server=resolver.server(), timeout=5)
    assert result["status"] == "critical"
    assert result["metrics"] == {"resolve_time_ms": None, "answers": None}
    assert result["failures"] == [{"server": resolver.server(), "error":
                                   "SERVFAIL (the server failed to resolve the name)"}]
    assert result["summary"] == "www.test A: no answer from %s: SERVFAIL (the server failed to resolve the name)" \
        % resolver.server()
    assert "validation www.test is BOGUS" in resolver.read_log()
    # an error code is an answer: not asked again (a peer answering SERVFAIL counts the queries; a
    # second one would come PER_TRY seconds later, before the 5 s timeout)

    def servfail(query):
        response = dns_message.make_response(dns_message.from_wire(query))
        response.set_rcode(2)  # SERVFAIL
        return response.to_wire()
    failing = peer(servfail)
    again = check(name="www.test", server=failing.server(), timeout=5)
    assert again["failures"] == [{"server": failing.server(), "error": "SERVFAIL (the server failed to resolve the name)"}]
    assert len(failing.received) == 1


def test_refused_for_a_name_outside_the_zone(zone):
    result = check(name="outside.invalid", server=zone.server())
    assert result["status"] == "critical"
    assert result["summary"] == "outside.invalid A: no answer from %s: REFUSED (the server refuses to answer " \
        "this query)" % zone.server()


def test_a_forwarder_whose_upstream_is_dead_never_answers(resolver):
    """dnsmasq forwarding to a loopback port where nothing listens sends no answer at all (it does
    not turn the ICMP error into SERVFAIL or REFUSED): the check times out."""
    started = time.monotonic()
    result = check(name="x.dead.test", server=resolver.server(), timeout=2.5)
    elapsed = time.monotonic() - started
    assert result["status"] == "critical"
    assert result["summary"] == "x.dead.test A: no answer from %s: timed out after 2.5 s (2 queries sent)" \
        % resolver.server()
    assert 2.5 <= elapsed < 2.5 + 30  # not before its deadline; the upper bound is a hang guard


def test_a_server_that_never_answers_times_out_within_the_timeout(peer):
    silent = peer()
    started = time.monotonic()
    result = check(name="www.test", server=silent.server(), timeout=3)
    elapsed = time.monotonic() - started
    assert result["status"] == "critical"
    assert result["summary"] == "www.test A: no answer from %s: timed out after 3 s (2 queries sent)" \
        % silent.server()
    assert 3.0 <= elapsed < 3 + 30  # not before its deadline; the upper bound is a hang guard
    # a lost datagram is sent again after PER_TRY seconds: once within 3 s, and not at once
    assert len(silent.received) == 2
    assert silent.received[1][0] - silent.received[0][0] > _dns.PER_TRY / 2


def test_a_closed_port_is_refused_at_once():
    """The ICMP port unreachable reaches the connected socket: no waiting for the timeout."""
    port = D.closed_udp_port()
    result = check(name="www.test", server="127.0.0.1:%d" % port, timeout=60)
    assert result["status"] == "critical"
    assert result["summary"] == "www.test A: no answer from 127.0.0.1:%d: connection refused (nothing listens " \
        "on that port)" % port
    assert result["duration_ms"] < 30000  # far below the 60 s timeout it did not wait for


def test_garbage_is_a_malformed_answer(peer):
    garbage = peer(lambda query: query[:2] + b"\x81\x80\xff\xff")
    result = check(name="www.test", server=garbage.server(), timeout=60)
    assert result["status"] == "critical"
    assert "no answer from %s: malformed answer (" % garbage.server() in result["summary"]
    assert result["duration_ms"] < 30000  # far below the 60 s timeout it did not wait for


def test_answers_to_other_queries_are_ignored(peer):
    """A datagram with another id is not the answer: the check keeps waiting, within its timeout."""
    def wrong_id(query):
        response = dns_message.make_response(dns_message.from_wire(query))
        response.id = (response.id + 1) % 65536
        return response.to_wire()
    stray = peer(wrong_id)
    result = check(name="www.test", server=stray.server(), timeout=1)
    assert result["status"] == "critical" and "timed out after 1 s" in result["summary"]


def test_a_truncated_answer_without_tcp(peer):
    def truncated(query):
        response = dns_message.make_response(dns_message.from_wire(query))
        response.flags |= 0x0200  # TC
        return response.to_wire()
    udp_only = peer(truncated)
    result = check(name="www.test", server=udp_only.server(), timeout=3)
    assert result["status"] == "critical"
    assert "over TCP (the UDP answer was truncated): connection refused" in result["summary"]


def test_a_truncated_answer_whose_tcp_server_hangs_up(peer):
    def truncated(query):
        response = dns_message.make_response(dns_message.from_wire(query))
        response.flags |= 0x0200  # TC
        return response.to_wire()
    udp = peer(truncated)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", udp.port))
        listener.listen(1)

        def read_then_close():
            conn = listener.accept()[0]
            conn.recv(65535)  # the query read: the close is a FIN, not a reset
            conn.close()
        hang_up = threading.Thread(target=read_then_close, daemon=True)
        hang_up.start()
        result = check(name="www.test", server=udp.server(), timeout=3)
        hang_up.join(3)
    finally:
        listener.close()
    assert result["status"] == "critical"
    assert result["summary"] == "www.test A: no answer from %s: over TCP (the UDP answer was truncated): connection " \
        "closed by the server before its answer" % udp.server()


def test_a_flood_of_stray_datagrams_does_not_hold_the_check(peer):
    """A hostile peer sending answers to another query without end: each is parsed and dropped (it
    answers another id); the deadline holds (a check that waited for the flood's end would never
    return). Junk that is no DNS message at all is the other case: a malformed answer, at once."""
    stop = threading.Event()

    def flood(query):
        response = dns_message.make_response(dns_message.from_wire(query))
        response.id = (response.id + 1) % 65536
        wire = response.to_wire()
        while not stop.is_set():
            yield wire
            time.sleep(0.002)
    hostile = peer(flood)
    results = []
    checker = threading.Thread(target=lambda: results.append(check(name="www.test", server=hostile.server(),
                                                                   timeout=1.5)), daemon=True)
    checker.start()
    checker.join(1.5 + 30)  # a hang guard, not a timing
    stop.set()
    assert not checker.is_alive(), "the check did not return at its 1.5 s timeout under a flood"
    assert results[0]["status"] == "critical" and "timed out after 1.5 s" in results[0]["summary"], results[0]


def test_resolve_time_thresholds(zone, peer):
    slow = peer()
    result = check(name="www.test", server=zone.server(), thresholds={"resolve_time_ms": {"critical": "@0:100s"}})
    assert result["status"] == "critical"
    assert "critical: resolve_time_ms" in result["summary"]
    result = check(name="pool.test", server=zone.server(), thresholds={"answers": {"critical": "4:"}})
    assert result["status"] == "critical" and "(critical: answers 3 < 4)" in result["summary"]
    assert slow.received == []


def test_a_slow_answer_is_a_warning_by_default(peer, zone):
    """The default warning at 1 s: an answer that comes after a lost first query (a retry)."""
    def second_only(query):
        if len(forwarder.received) < 2:
            return None
        upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            upstream.settimeout(2)
            upstream.sendto(query, ("127.0.0.1", zone.port))
            return upstream.recv(65535)
        finally:
            upstream.close()
    forwarder = peer(second_only)
    result = check(name="www.test", server=forwarder.server(), expect=["127.0.0.10"], timeout=5)
    assert result["status"] == "warning", result["summary"]
    assert result["metrics"]["resolve_time_ms"] >= _dns.PER_TRY * 1000
    assert "(warning: resolve_time_ms" in result["summary"] and "ms > 1000 ms)" in result["summary"]


def answer_later(peer, host, reply, when=2):
    """A UdpPeer that answers nothing at once: when its ``when``-th query arrives, it answers the
    FIRST query it received, ``reply(first query bytes)`` (its id, its question), sent to the
    address that query came from. The retry has arrived, so the first try's window has certainly
    passed: the answer is slow by construction, whatever the machine's speed."""
    def late(query):
        if len(slow.received) == when:
            slow.sock.sendto(reply(slow.received[0][1]), slow.senders[0])
        return None
    slow = peer(late, host)
    return slow


@pytest.mark.parametrize("host", ["127.0.0.1", pytest.param("::1", marks=needs_ipv6)])
def test_an_answer_to_the_first_query_after_the_retry_is_taken(peer, host):
    """The issue: a resolver answering in 3 s, tries every 2 s, timeout 5 s. The answer to the
    first query arrives after the retry was sent: it is the answer (a retry must not throw away
    the first query's), slow, so judged by resolve_time_ms (warning at 1 s by default)."""
    slow = answer_later(peer, host, answer_with("www.test. 60 IN A 127.0.0.10"))
    result = check(name="www.test", server=slow.server(), expect=["127.0.0.10"], timeout=5)
    assert result["status"] == "warning", result["summary"]
    assert result["records"] == ["127.0.0.10"] and result["failures"] == [] and result["server"] == slow.server()
    # the retry left after PER_TRY seconds, and the answer after the retry
    assert result["metrics"]["resolve_time_ms"] >= _dns.PER_TRY * 1000
    assert "no answer" not in result["summary"]
    assert "(warning: resolve_time_ms" in result["summary"] and "ms > 1000 ms)" in result["summary"]
    # answered: no third query
    assert len(slow.received) == 2


@pytest.mark.parametrize("thresholds, status, said", [
    ({"resolve_time_ms": {"warning": "10s"}}, "ok", None),
    ({"resolve_time_ms": {"warning": "100ms", "critical": "1500ms"}}, "critical", "(critical: resolve_time_ms "),
    ({"resolve_time_ms": {"warning": None}}, "ok", None),
])
def test_a_slow_answer_is_judged_by_the_resolve_time_thresholds(peer, thresholds, status, said):
    slow = answer_later(peer, "127.0.0.1", answer_with("www.test. 60 IN A 127.0.0.10"))
    result = check(thresholds, name="www.test", server=slow.server(), timeout=5)
    assert result["status"] == status, result["summary"]
    assert result["metrics"]["answers"] == 1 and result["metrics"]["resolve_time_ms"] >= _dns.PER_TRY * 1000
    if said:
        assert said in result["summary"]


def test_garbage_answering_the_first_query_late_is_malformed_at_once(peer):
    """What arrives late for the first query is read like any answer: garbage ends the wait
    (critical, malformed) instead of the check waiting for its timeout."""
    hostile = answer_later(peer, "127.0.0.1", lambda query: query[:2] + b"\x81\x80\xff\xff")
    result = check(name="www.test", server=hostile.server(), timeout=30)
    assert result["status"] == "critical"
    assert "no answer from %s: malformed answer (" % hostile.server() in result["summary"]
    # the check ended on the garbage: a wait for the timeout would have sent a query every 2 s
    assert len(hostile.received) == 2


def test_a_late_answer_to_another_query_is_still_no_answer(peer):
    """Only a response to the query counts, late or not: another id is ignored, up to the timeout."""
    def other_id(query):
        response = dns_message.make_response(dns_message.from_wire(query))
        response.id = (response.id + 1) % 65536
        return response.to_wire()
    stray = answer_later(peer, "127.0.0.1", other_id)
    result = check(name="www.test", server=stray.server(), timeout=3)
    assert result["status"] == "critical"
    assert result["summary"] == "www.test A: no answer from %s: timed out after 3 s (2 queries sent)" % stray.server()


def test_the_first_servers_late_answer_is_taken_while_the_next_is_asked(peer):
    """Two nameservers, both silent by themselves: the first's query is answered only once the
    second has received its own (so the first's try has passed). The first's answer is the answer.
    The second's window outlasts the deadline: no third query, whatever the machine's speed."""
    first, second = peer(), peer()
    done = threading.Event()

    def answer_first_once_the_second_is_asked():
        while not (first.received and second.received):
            if done.wait(0.01):
                return
        first.sock.sendto(answer_with("www.test. 60 IN A 127.0.0.10")(first.received[0][1]), first.senders[0])
    answering = threading.Thread(target=answer_first_once_the_second_is_asked, daemon=True)
    answering.start()
    servers = [_dns.Server("127.0.0.1", first.port, 0.2), _dns.Server("127.0.0.1", second.port, 600)]
    try:
        response, server, over_tcp, failures, tries = _dns.ask(dns_message.make_query("www.test", "A"), servers,
                                                               time.monotonic() + 60)
    finally:
        done.set()
        answering.join(5)
    assert response is not None and server is servers[0] and over_tcp is False
    assert [r.to_text() for r in response.answer] == ["www.test. 60 IN A 127.0.0.10"]
    assert failures == [] and tries == 2
    assert len(first.received) == 1 and len(second.received) == 1


# --- the host's resolver configuration -------------------------------------------------------

def write_resolv_conf(path, text):
    with open(str(path), "w") as handle:
        handle.write(text)
    return str(path)


@pytest.mark.parametrize("text, hosts, per_try, note", [
    ("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.com\n", ["127.0.0.53"], 2.0, False),
    ("# comment\n; other\nnameserver 127.0.0.2\nnameserver ::1\nnameserver 127.0.0.3\nnameserver 127.0.0.4\n"
     "options timeout:1 attempts:3\n", ["127.0.0.2", "::1", "127.0.0.3"], 1.0, False),
    ("nameserver not-an-address\noptions timeout:0\n", ["127.0.0.1"], 2.0, True),
    ("", ["127.0.0.1"], 2.0, True),
])
def test_resolv_conf_is_read_as_the_c_library_reads_it(tmp_path, text, hosts, per_try, note):
    servers, said = _dns.read_resolv_conf(write_resolv_conf(tmp_path / "resolv.conf", text))
    assert [s.host for s in servers] == hosts
    assert all(s.port == 53 and s.per_try == per_try for s in servers)
    assert (said is not None) is note


def test_a_missing_resolv_conf_means_the_loopback(tmp_path):
    servers, note = _dns.read_resolv_conf(str(tmp_path / "absent"))
    assert [s.text for s in servers] == ["127.0.0.1:53"]
    assert note.endswith("does not exist, so 127.0.0.1 as the C library does")


def test_an_unreadable_resolv_conf_is_unknown(tmp_path, monkeypatch):
    directory = tmp_path / "resolv.conf"
    directory.mkdir()  # reading a directory fails as an unreadable file does, even for root
    monkeypatch.setattr(_dns, "RESOLV_CONF", str(directory))
    result = check(name="www.test")
    assert result["status"] == "unknown"
    assert result["summary"] == "www.test A: cannot read %s: is a directory" % directory


@pytest.fixture
def port53(tmp_path):
    """dnsmasq on 127.0.0.77 port 53 (root only): a nameserver a resolv.conf can name."""
    if os.geteuid() != 0:
        pytest.skip("port 53 needs root")
    try:
        server = D.zone_server(tmp_path, ipv6=False, port=53, addresses=["127.0.0.77"])
    except RuntimeError as exc:
        pytest.skip("cannot run dnsmasq on 127.0.0.77 port 53: %s" % exc)
    yield server
    server.close()


def test_without_server_the_nameservers_of_resolv_conf_are_asked_in_turn(port53, tmp_path, monkeypatch):
    """The first nameserver refuses (nothing on 127.0.0.78 port 53), the second answers."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(("127.0.0.78", 53))
    except OSError:
        pytest.skip("something listens on 127.0.0.78 port 53")
    finally:
        probe.close()
    monkeypatch.setattr(_dns, "RESOLV_CONF", write_resolv_conf(
        tmp_path / "resolv.conf", "nameserver 127.0.0.78\nnameserver 127.0.0.77\noptions timeout:1\n"))
    result = check(name="www.test", expect=["127.0.0.10"])
    assert result["status"] == "ok", result["summary"]
    assert result["servers"] == ["127.0.0.78:53", "127.0.0.77:53"] and result["server"] == "127.0.0.77:53"
    refused = "connection refused (nothing listens on that port)"
    assert result["failures"] == [{"server": "127.0.0.78:53", "error": refused}]
    assert "from 127.0.0.77:53, after 127.0.0.78:53: connection refused" in result["summary"]


# --- options -----------------------------------------------------------------------------------

@pytest.mark.parametrize("params, message", [
    (dict(name="www.test", type="AXFR"), "value of type must be one of: A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, "
                                         "got: AXFR"),
    (dict(name="www.test", type="a"), "value of type must be one of"),
    (dict(type="A"), "missing required arguments: name"),
    (dict(name="www.test", server="ns1.example.com"), "option server: 'ns1.example.com' is invalid; accepted: an "
                                                      "IPv4 or IPv6 address"),
    (dict(name="www.test", server="127.0.0.1:0"), "the port from 1 to 65535"),
    (dict(name="www.test", server="127.0.0.1:99999"), "the port from 1 to 65535"),
    (dict(name="www.test", server="[::1]:x"), "option server: '[::1]:x' is invalid"),
    (dict(name="www.test", server="127.0.0.1:53:53"), "option server: '127.0.0.1:53:53' is invalid"),
    (dict(name="www.test", server=""), "option server: '' is invalid"),
    (dict(name="", type="A"), "option name: '' is invalid; accepted: a DNS name"),
    (dict(name="www test"), "option name: 'www test' is invalid"),
    (dict(name="a..test"), "option name: 'a..test' is invalid"),
    (dict(name="a" * 64 + ".test"), "is invalid; accepted: a DNS name (labels of at most 63 characters"),
    (dict(name=".".join(["abcdefgh"] * 30)), "is invalid; accepted: a DNS name"),
    (dict(name="127.0.0.1.5", type="PTR", expect=["x"]), None),
    (dict(name="www.test", expect=["not-an-address"]), "option expect: 'not-an-address' is invalid; accepted: for "
                                                       "type A, IPv4 addresses, such as 127.0.0.1"),
    (dict(name="www.test", expect=["::1"]), "for type A, IPv4 addresses"),
    (dict(name="www.test", type="AAAA", expect=["127.0.0.1"]), "for type AAAA, IPv6 addresses"),
    (dict(name="test", type="MX", expect=["ten mail.test"]), "for type MX, 'PREFERENCE HOST'"),
    (dict(name="test", type="MX", expect=["10 20 mail.test"]), "for type MX"),
    (dict(name="test", type="SRV", expect=["1 5 www.test"]), "for type SRV, 'PRIORITY WEIGHT PORT TARGET'"),
    (dict(name="test", type="SOA", expect=["ns.test hostmaster.test"]), "for type SOA"),
    (dict(name="test", type="CNAME", expect=["a b"]), "for type CNAME, host names"),
    (dict(name="test", expect=[]), "option expect: [] is invalid; accepted: a non-empty list"),
    (dict(name="test", exact=True), "option exact: True is invalid; accepted: true only with expect"),
    (dict(name="test", timeout=0), "option timeout: 0.0 is invalid; accepted: a number of seconds greater than 0"),
    (dict(name="test", timeout=-1), "option timeout: -1.0 is invalid"),
    (dict(name="test", timeout=86401), "option timeout: 86401.0 is invalid"),
    (dict(name="test", timeout="soon"), "timeout"),
])
def test_bad_options_name_the_option_the_value_and_what_is_accepted(params, message):
    if message is None:  # not an address: a PTR query for a name is asked as it is
        assert _kind.validate_params(_dns, params).qname == "127.0.0.1.5"
        return
    with pytest.raises(SreHealthError) as caught:
        _kind.validate_params(_dns, params)
    assert message in str(caught.value)


@pytest.mark.parametrize("value, expected", [
    ("127.0.0.1", ("127.0.0.1", 53)),
    (" 127.0.0.1:5353 ", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)),
    ("[::1]", ("::1", 53)),
    ("[::1]:5353", ("::1", 5353)),
    ("::1%lo", ("::1%lo", 53)),
])
def test_server_forms(value, expected):
    assert _dns.parse_server(value) == expected


@pytest.mark.parametrize("rdtype, value, fields", [
    ("A", " 127.0.0.1 ", ("127.0.0.1",)),
    ("AAAA", "0:0:0:0:0:0:0:1", ("::1",)),
    ("CNAME", "WWW.Example.COM.", ("www.example.com",)),
    ("NS", "bücher.example", ("xn--bcher-kva.example",)),
    ("MX", "10 Mail.Example.com.", (10, "mail.example.com")),
    ("MX", "mail.example.com", (None, "mail.example.com")),
    ("MX", "0 .", (0, ".")),
    ("SRV", "0 5 5060 sip.example.com", (0, 5, 5060, "sip.example.com")),
    ("SRV", "sip.example.com", (None, None, None, "sip.example.com")),
    ("SOA", "ns.test hostmaster.test 1 2 3 4 5", ("ns.test", "hostmaster.test", 1, 2, 3, 4, 5)),
    ("SOA", "ns.test", ("ns.test", None, None, None, None, None, None)),
    ("TXT", " v=spf1  -all", (" v=spf1  -all",)),
    ("TXT", "", ("",)),
])
def test_expect_values_are_normalized(rdtype, value, fields):
    assert _dns.parse_expected(rdtype, value) == fields


def test_validation_needs_no_dnspython(monkeypatch):
    """Options are checked before the library is looked for (a host without it says "cannot run")."""
    monkeypatch.setattr(_dns, "dns", None, raising=False)
    config = _kind.validate_params(_dns, dict(name="127.0.0.1", type="PTR", expect=["localhost"]))
    assert config.qname == "1.0.0.127.in-addr.arpa" and config.expected == [("localhost",)]


def test_without_dnspython_the_check_cannot_run(monkeypatch):
    monkeypatch.setattr(_dns, "HAS_DNSPYTHON", False)
    assert _kind.missing_libraries(_dns) == [_kind.PACKAGES["dns"]]
    assert "python3-dnspython" in _kind.PACKAGES["dns"] and "pip install dnspython" in _kind.PACKAGES["dns"]
    assert _kind.os_packages(["dns"], rpm=False) == ["python3-dnspython"]
    assert _kind.os_packages(["dns", "psutil"], rpm=True) == ["python3-dns", "python3-psutil"]
    # Fedora's and EPEL's name keeps the underscore of the import name
    assert _kind.os_packages(["prometheus_client"], rpm=False) == ["python3-prometheus-client"]
    assert _kind.os_packages(["prometheus_client"], rpm=True) == ["python3-prometheus_client"]


# --- inside health_check -----------------------------------------------------------------------

def test_in_health_check_the_query_defaults_to_the_checks_name(zone):
    prepared = _checks.prepare([
        {"name": "www.test", "kind": "dns", "server": zone.server(), "expect": ["127.0.0.10"]},
        {"name": "mail", "kind": "dns", "query": "test", "type": "MX", "server": zone.server(),
         "expect": ["mail.test", "mail2.test"], "exact": True, "check_timeout": 5},
        {"name": "gone", "kind": "dns", "query": "nope.test", "server": zone.server()},
    ], 10, _kinds_all.KINDS)
    results, abandoned, _elapsed = _checks.run_checks(prepared, 4, 20)
    assert abandoned == 0
    assert [(r["name"], r["kind"], r["status"]) for r in results] == [
        ("www.test", "dns", "ok"), ("mail", "dns", "ok"), ("gone", "dns", "critical")]
    assert results[1]["query"] == "test" and results[1]["records"] == ["10 mail.test", "20 mail2.test"]
    assert not _kind.isolated(_dns, prepared[0]["config"])


def test_in_health_check_bad_entries_fail_before_anything_runs():
    with pytest.raises(CheckDefinitionError) as caught:
        _checks.prepare([{"name": "x", "kind": "dns", "query": "www.test", "name_server": "127.0.0.1"}], 10, _kinds_all.KINDS)
    assert "checks[0] (x): unknown option name_server for kind dns; accepted: " in str(caught.value)
    assert "query" in str(caught.value)
    with pytest.raises(CheckDefinitionError) as caught:
        _checks.prepare([{"name": "x", "kind": "dns", "query": "www.test", "expect": ["nope"]}], 10, _kinds_all.KINDS)
    assert str(caught.value).startswith("checks[0] (x): option expect: 'nope' is invalid; accepted: for type A")


def test_the_check_timeout_bounds_a_longer_query_timeout(peer):
    silent = peer()
    prepared = _checks.prepare([{"name": "slow", "kind": "dns", "query": "www.test", "server": silent.server(),
                                 "timeout": 600, "check_timeout": 1}], 10, _kinds_all.KINDS)
    started = time.monotonic()
    results, _abandoned, _elapsed = _checks.run_checks(prepared, 1, 120)
    assert time.monotonic() - started < 1 + 30  # a hang guard: the query alone would wait 600 s
    assert results[0]["status"] == "unknown" and "timed out after 1 s" in results[0]["summary"]


def test_spec_errors_are_spec_errors():
    with pytest.raises(SpecError):
        _kind.validate_params(_dns, dict(name="www.test", exact="maybe"))


def test_thresholds_compile_with_duration_units():
    compiled = compile_thresholds({"resolve_time_ms": {"critical": "2s"}}, _dns.METRICS, _dns.DEFAULT_THRESHOLDS)
    assert compiled["resolve_time_ms"]["critical"].alerts(2500)
    assert compiled["resolve_time_ms"]["warning"].alerts(1500)


def test_message_id_and_question_must_match():
    """The parse step: a response to the query is returned, another query's is None, garbage raises."""
    query = dns_message.make_query("www.test", "A")
    response = dns_message.make_response(query)
    assert _dns._parse(query, response.to_wire()) is not None
    other = dns_message.make_response(dns_message.make_query("other.test", "A"))
    other.id = query.id
    assert _dns._parse(query, other.to_wire()) is None
    with pytest.raises(_dns.Failure):
        _dns._parse(query, struct.pack("!H", query.id) + b"\x81")
