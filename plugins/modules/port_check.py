#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: port_check
short_description: Check that a TCP port is open (or closed), with optional TLS handshake and send/expect
version_added: 1.0.0
description:
  - Connects to O(host) and O(port) over TCP from the managed host. The host name is resolved with C(getaddrinfo)
    and every address is tried in turn, as a real client does, so V(localhost) reaches a service bound only to
    C(::1) as well as one bound only to C(127.0.0.1).
  - With O(state=open) (the default), the check is C(critical) when no address accepts the connection, and the
    summary says why for each address (C(connection refused), C(timed out after 5 s)); when the TLS handshake
    fails; or when the answer does not match O(expect). Then the metrics are compared with O(thresholds).
  - With O(state=closed), for ports that must not be reachable, the check is C(critical) when an address accepts
    the connection, and C(ok) when none does (refused, timed out or unreachable).
  - A host name that does not resolve is C(critical) with O(state=open), and C(unknown) with O(state=closed) (with
    no address, nothing was tested).
  - With O(tls=true), a TLS handshake follows the connection and V(cert_days_left) is measured on the server
    certificate, whether or not it is verified.
  - Only reads; never changes the host, so it runs the same in check mode. Needs no third-party Python library,
    except C(cryptography) to read the certificate with O(tls=true); without it V(cert_days_left) is C(null) and
    the check is C(unknown) while V(cert_days_left) has thresholds.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
requirements:
  - cryptography (Debian/Ubuntu package C(python3-cryptography)) on the managed host, only with O(tls=true).
options:
  host:
    description:
      - Host name, IPv4 address or IPv6 address (V(::1) or V([::1])) to connect to, without a port.
    type: str
    default: localhost
  port:
    description:
      - TCP port, from 1 to 65535.
    type: int
    required: true
  state:
    description:
      - V(open) checks that the port accepts connections; V(closed) checks that it does not.
      - O(send), O(expect) and O(tls) are only valid with V(open).
    type: str
    choices: [open, closed]
    default: open
  send:
    description:
      - Text to send (UTF-8) once connected, after the TLS handshake with O(tls=true). YAML double-quoted strings
        write line ends as V(\\r\\n).
    type: str
  expect:
    description:
      - A Python regular expression that must be found (C(re.search)) in what the server sends, after O(send) if set,
        else in its greeting (SSH, SMTP, FTP banners). Reading stops at the first match, when the server closes the
        connection, after 64 KiB or when O(timeout) runs out.
    type: str
  tls:
    description:
      - Perform a TLS handshake after connecting, and measure V(cert_days_left) on the server certificate.
    type: bool
    default: false
  validate_certs:
    description:
      - With O(tls=true), verify the certificate chain (system CA store or O(ca_path)) and, when a name is known
        (O(server_name), or O(host) when it is not an IP address), that the certificate is valid for that name.
      - The default is V(false), as for C(check_tcp --ssl) and C(community.crypto.get_certificate) - a port check
        proves that the TLS listener answers and measures its certificate's expiry, and O(host) is often
        V(localhost), a name real certificates do not carry. Set V(true) (with O(server_name)) to verify.
    type: bool
    default: false
  ca_path:
    description:
      - PEM file of CA certificates (or an OpenSSL hashed directory) to verify with, with O(tls=true) and
        O(validate_certs=true). A missing or unreadable file fails the task with a message naming the option.
    type: path
  server_name:
    description:
      - The name to send as SNI and, with O(validate_certs=true), to verify the certificate against. Default is
        O(host) unless it is an IP address. Only with O(tls=true).
    type: str
  timeout:
    description:
      - Seconds for the whole check - every connection attempt, the TLS handshake and the wait for O(expect) share
        it, so the module returns within about this time.
    type: float
    default: 5
  thresholds:
    description:
      - 'Metrics: V(connect_time_ms): from the first connection attempt until an address accepted, failed attempts
        on earlier addresses included (what a client waits); V(cert_days_left): days until the certificate expires,
        negative once expired (null without O(tls)).'
      - 'Defaults: V(cert_days_left) warning C(14:) critical C(7:). There is no default on V(connect_time_ms); set one
        such as C({connect_time_ms: {warning: 50ms, critical: 1s}}).'
notes:
  - A port that answers for O(state=closed) is reported with the address that accepted it.
seealso:
  - module: sre.health.http_check
  - module: sre.health.health_check
  - module: ansible.builtin.wait_for
"""

EXAMPLES = r"""
- name: PostgreSQL accepts connections on the loopback (IPv6 or IPv4)
  sre.health.port_check:
    port: 5432

- name: Redis must not be reachable on the public address
  sre.health.port_check:
    host: "{{ ansible_default_ipv4.address }}"
    port: 6379
    state: closed

- name: SSH greets with its banner
  sre.health.port_check:
    port: 22
    expect: "^SSH-2\\.0-"

- name: Redis answers PING
  sre.health.port_check:
    host: ::1
    port: 6379
    send: "PING\r\n"
    expect: "\\+PONG"

- name: The LDAPS certificate has at least 30 days left, verified against the internal CA
  sre.health.port_check:
    host: 127.0.0.1
    port: 636
    tls: true
    validate_certs: true
    ca_path: /etc/pki/internal-ca.pem
    server_name: ldap.example.com
    thresholds:
      cert_days_left: {warning: "45:", critical: "30:"}
"""

RETURN = r"""
status:
  description: Worst status of all checks (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: ok
health:
  description: V(healthy) for ok, V(degraded) for warning, V(unhealthy) for critical or unknown.
  returned: always
  type: str
  sample: healthy
summary:
  description: One line naming every check that is not ok.
  returned: always
  type: str
  sample: "1 check ok"
checks:
  description: One result, for the port.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(port:) followed by C(host:port).
      type: str
      sample: "port:localhost:46457"
    kind:
      description: Always C(port).
      type: str
      sample: port
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: ok
    summary:
      description: One human line, with what failed in parentheses.
      type: str
      sample: "localhost:46457 open (::1) in 0.3 ms, TLSv1.3, answer matches '^220 ', certificate expires in 90 d"
    metrics:
      description: The measured metrics; null when not measured.
      type: dict
      sample: {"connect_time_ms": 0.346, "cert_days_left": 90.0}
    thresholds:
      description: The effective thresholds, defaults merged with O(thresholds).
      type: dict
      sample: {"cert_days_left": {"warning": "14:", "critical": "7:"}}
    duration_ms:
      description: How long the check took.
      type: float
      sample: 45.384
    host:
      description: The host checked.
      type: str
      sample: localhost
    port:
      description: The port checked.
      type: int
      sample: 46457
    state:
      description: The expected state.
      type: str
      sample: open
    address:
      description: The address that accepted the connection, null when none did.
      type: str
      sample: "::1"
    attempts:
      description: The addresses that did not accept the connection, in the order tried, with the reason.
      type: list
      elements: dict
      sample: [{"address": "::1", "error": "connection refused"}]
    tls_version:
      description: The TLS version negotiated.
      type: str
      returned: when O(tls=true) and the handshake succeeded
      sample: TLSv1.3
    tls_cipher:
      description: The cipher negotiated.
      type: str
      returned: when O(tls=true) and the handshake succeeded
      sample: TLS_AES_256_GCM_SHA384
    certificate:
      description: The server certificate (subject, issuer, not_before, not_after in UTC, verified).
      type: dict
      returned: when O(tls=true) and a certificate was received
      sample: {"subject": "CN=localhost", "issuer": "CN=sre-health test CA, O=sre.health tests",
               "not_before": "2026-11-21T13:46:04Z", "not_after": "2027-02-20T13:46:04Z", "verified": false}
    answer:
      description: The first 200 characters the server sent, when O(expect) is set.
      type: str
      returned: when O(expect) is set and the connection was made
      sample: "220 sre-health-test ESMTP ready\r\n"
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _port
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_port)


if __name__ == "__main__":
    main()
