#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dns_check
short_description: Check that a DNS name resolves, to the expected values, in time
version_added: 1.1.0
description:
  - Sends one DNS query - O(name), of O(type) - to O(server) or to the host's own nameservers, and measures how
    long the answer took (metric C(resolve_time_ms)) and how many records of that type it holds (metric
    C(answers)). With O(expect), the answers must include these values (with O(exact), be exactly them).
  - 'C(critical), with the reason in the summary: NXDOMAIN (the name does not exist); no record of O(type)
    (NOERROR without an answer: the name exists, the record does not); SERVFAIL, REFUSED or any other error
    code; no answer before O(timeout) (C(timed out after N s)); a server that refuses the connection (an ICMP
    port unreachable: C(connection refused)); an expected value that is not among the answers (the summary
    names what was expected and what was answered); with O(exact), an answer that was not expected.'
  - C(unknown) when C(/etc/resolv.conf) exists but cannot be read.
  - Aliases are followed within the answer, as a resolver does - an C(A) query of a name that is a CNAME is
    answered by the target's addresses, and the summary shows the chain - except for O(type=CNAME), which
    reads the alias itself.
  - The query is sent over UDP with EDNS (1232-byte answers), on a connected socket so that a closed port is
    reported at once; a truncated answer is asked again over TCP. An unanswered query is sent again every 2
    seconds (or C(options timeout) of C(/etc/resolv.conf)), to each server in turn, until an answer or
    O(timeout). The earlier queries' answers are still awaited meanwhile, as a stub resolver does - an answer
    that comes after a retry but before O(timeout) is the answer, and its time is judged by C(resolve_time_ms)
    (a slow resolver is slow, not silent). A server that answers an error code or refuses the connection is not
    asked again; the next one is.
  - The name is always taken as absolute (a final dot is implied); the host's search domains are not
    appended, as with C(dig), so the check means one name on every host.
  - Only reads; never changes the host, so it runs the same in check mode. Needs the dnspython library on the
    host (Debian and Ubuntu package C(python3-dnspython), RHEL and Fedora C(python3-dns), or
    C(pip install dnspython)); the C(sre.health.health_check) role installs it when a host lacks it.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
options:
  name:
    description:
      - The name to resolve, such as V(www.example.com) (international names are sent in their ASCII form).
      - With O(type=PTR), an IPv4 or IPv6 address is turned into its reverse name (V(127.0.0.127) asks for
        C(127.0.0.127.in-addr.arpa)); a name is asked as it is.
      - In M(sre.health.health_check) entries, where C(name) names the check, this option is written C(query);
        without C(query), the check's name is the name resolved.
    type: str
    required: true
  type:
    description:
      - The record type asked for.
    type: str
    choices: [A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT]
    default: A
  server:
    description:
      - The nameserver to ask, as an IPv4 or IPv6 address with an optional port - V(127.0.0.1), V(127.0.0.1:5353),
        V(::1), V([::1]:5353) (an IPv6 address with a port in brackets). Port 53 by default.
      - Without it, the nameservers of the host's resolver configuration are asked, as the C library does - the
        first three C(nameserver) lines of C(/etc/resolv.conf), in order, with its C(options timeout); when
        the file names none (or does not exist), C(127.0.0.1), and the summary says so.
    type: str
  expect:
    description:
      - Values that must be among the answers; each one missing makes the check C(critical). Compared after
        normalizing both sides - names in lower case without their final dot, addresses in their canonical
        form (V(::0:10) is V(::10)), numbers as numbers.
      - 'Written per O(type): V(A) an IPv4 address (V(127.0.0.10)); V(AAAA) an IPv6 address (V(::1)); V(CNAME), V(NS)
        and V(PTR) a host name (V(www.example.com)); V(MX) V(PREFERENCE HOST) (V(10 mail.example.com)) or the
        host alone (any preference); V(SRV) V(PRIORITY WEIGHT PORT TARGET) (V(0 5 5060 sip.example.com)) or the
        target alone; V(SOA) V(MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM) or the primary server MNAME
        alone; V(TXT) the record''s text with its strings joined without separator, without quotes, compared
        exactly (case matters).'
      - The answers are shown in the same form in RV(checks[].records) and the summary.
    type: list
    elements: str
  exact:
    description:
      - The answers must be exactly the O(expect) values - an answer that matches none of them is C(critical)
        too. Only with O(expect).
    type: bool
    default: false
  timeout:
    description:
      - Seconds the query may take in all, retries and every server included; then the check is C(critical),
        C(timed out after N s). From more than 0 to 86400. O(check_timeout) bounds the whole check as well.
    type: float
    default: 5
  thresholds:
    description:
      - 'Metrics: V(resolve_time_ms), the time to the answer used (retries and the servers asked before it
        included; null when no answer came), with duration units (V(200ms), V(1s)); V(answers), the number of
        records of O(type) in it (0 for NXDOMAIN and NOERROR without an answer).'
      - 'Default: C({resolve_time_ms: {warning: 1s}}) - a resolver that needs more than a second has lost a
        query or waits on a struggling upstream, which users feel; the critical bound is O(timeout). For a
        resolver on the host itself (a cache such as systemd-resolved), C({critical: 200ms}) is more telling.'
notes:
  - RV(checks[].records) lists at most 50 answers; the summary shows 5. RV(checks[].metrics) C(answers) counts them
    all.
  - The answer's size is bounded by DNS itself (64 KiB); the whole exchange is bounded by O(timeout). The check
    runs in a thread, not in a child process - it only waits on a socket, and what a server sends is parsed by
    dnspython, never by a pattern; when O(check_timeout) is shorter than O(timeout), the result is C(unknown)
    at O(check_timeout) and the thread ends by itself at O(timeout).
seealso:
  - module: sre.health.health_check
  - module: sre.health.port_check
  - name: RFC 1035, Domain names - implementation and specification
    description: The record types and their fields.
    link: https://www.rfc-editor.org/rfc/rfc1035
"""

EXAMPLES = r"""
- name: The site's name is an alias of its load balancer, through the host's own resolver
  sre.health.dns_check:
    name: www.example.com
    type: CNAME
    expect:
      - lb.example.com

- name: The hidden primary on this host (port 5353) serves exactly the two mail exchangers
  sre.health.dns_check:
    name: example.com
    type: MX
    server: 127.0.0.1:5353
    expect:
      - 10 mail1.example.com
      - 20 mail2.example.com
    exact: true

- name: The local cache (systemd-resolved) answers, and fast
  sre.health.dns_check:
    name: example.org
    server: 127.0.0.53
    thresholds:
      resolve_time_ms:
        warning: 100ms
        critical: 500ms

- name: The SPF record is published, and the address has its reverse name
  sre.health.health_check:
    checks:
      - name: spf
        kind: dns
        query: example.com
        type: TXT
        expect:
          - v=spf1 mx -all
      - name: reverse-dns
        kind: dns
        query: 127.0.0.10
        type: PTR
        expect:
          - www.example.com
"""

RETURN = r"""
status:
  description: Worst status of all checks (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: critical
health:
  description: V(healthy) for ok, V(degraded) for warning, V(unhealthy) for critical or unknown.
  returned: always
  type: str
  sample: unhealthy
summary:
  description: One line naming every check that is not ok.
  returned: always
  type: str
  sample: "1 of 1 checks not ok: CRITICAL: test MX: 10 mail.test, 20 mail2.test in 7 ms from 127.0.0.1:5353
    (critical: expected 30 mail3.test, not among the answers; critical: answered 20 mail2.test, not expected
    (exact))"
checks:
  description: One result, for the query.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(dns:) followed by the name asked for and O(type).
      type: str
      sample: "dns:test/MX"
    kind:
      description: Always C(dns).
      type: str
      sample: dns
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description: One human line - the name and type, the answers (or what came instead), how long it took and
        from which server, and in parentheses what is wrong.
      type: str
      sample: "test MX: 10 mail.test, 20 mail2.test in 7 ms from 127.0.0.1:5353 (critical: expected 30 mail3.test,
        not among the answers; critical: answered 20 mail2.test, not expected (exact))"
    metrics:
      description: V(resolve_time_ms) and V(answers); both null when no answer came.
      type: dict
      sample: {"answers": 2, "resolve_time_ms": 6.995}
    thresholds:
      description: The effective thresholds.
      type: dict
      sample: {"resolve_time_ms": {"warning": "1s"}}
    duration_ms:
      description: How long the check took.
      type: float
      sample: 7.316
    query:
      description: The name asked for (the reverse name of a PTR query for an address), lower case, without the
        final dot.
      type: str
      sample: test
    type:
      description: O(type).
      type: str
      sample: MX
    server:
      description: The server whose answer was used, null when none answered.
      type: str
      sample: "127.0.0.1:5353"
    servers:
      description: The servers that could be asked, in order (O(server), or those of C(/etc/resolv.conf)).
      type: list
      elements: str
      sample: ["127.0.0.1:5353"]
    rcode:
      description: The answer's response code (C(NOERROR), C(NXDOMAIN)), null when no server gave a usable answer.
      type: str
      sample: NOERROR
    authoritative:
      description: Whether the answer came from a server authoritative for the name (its AA flag).
      type: bool
      sample: true
    tcp:
      description: Whether the answer came over TCP (the UDP answer was truncated).
      type: bool
      sample: false
    records:
      description: The first 50 answers, normalized and sorted (see O(expect) for their form).
      type: list
      elements: str
      sample: ["10 mail.test", "20 mail2.test"]
    ttl:
      description: The answers' time to live in seconds, null without answers.
      type: int
      sample: 600
    cnames:
      description: The aliases followed from O(name) to the answers (a CNAME chain), in order.
      type: list
      elements: str
      sample: []
    failures:
      description: The servers that gave no usable answer before it (or at all), with the reason (this sample from
        another run, against a closed port).
      type: list
      elements: dict
      sample: [{"error": "connection refused (nothing listens on that port)", "server": "127.0.0.1:1"}]
    expect:
      description: The O(expect) values, normalized, as compared.
      returned: with O(expect)
      type: list
      elements: str
      sample: ["10 mail.test", "30 mail3.test"]
    exact:
      description: O(exact).
      returned: with O(expect)
      type: bool
      sample: true
    missing:
      description: The expected values that were not among the answers.
      returned: with O(expect)
      type: list
      elements: str
      sample: ["30 mail3.test"]
    unexpected:
      description: With O(exact), the answers that were not expected.
      returned: with O(expect)
      type: list
      elements: str
      sample: ["20 mail2.test"]
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _dns
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_dns)


if __name__ == "__main__":
    main()
