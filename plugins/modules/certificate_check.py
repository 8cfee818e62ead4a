#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_check
short_description: Check certificates on disk - expiry, matching private key, and that the server serves them
version_added: 1.1.0
description:
  - Reads the certificate files O(path) names (PEM or DER; single certificates, bundles and chains) and measures
    V(cert_days_left), the days until the leaf expires - the file's first certificate, as in C(fullchain.pem) - or,
    with O(chain=true), until the first of the file's certificates expires.
  - With O(key_path), checks that the private key belongs to the leaf (their public keys are the same); C(critical)
    when it does not. The key is read only to compute its public key; nothing of it is returned or shown.
  - With O(served_by), makes one TLS handshake with that endpoint and checks that the certificate it serves is the
    one on disk (same SHA-256 fingerprint). When it is not, the check is C(critical) and the summary gives both
    fingerprints and expiry dates - I(the certificate on disk was renewed but host:port still serves the old one)
    when the served one expires first, the classic outage of a renewal without a reload. A connection or handshake
    that fails is C(critical) with the reason. The handshake does not verify the certificate, since the point is to
    compare it.
  - A file that does not exist, is empty, is malformed, holds no certificate (a key only), or whose certificate is
    not valid yet is C(critical) with a summary saying which; an expired certificate is C(critical) through the
    default thresholds. A file that cannot be read (permission denied) is C(unknown).
  - A path in O(path), O(key_path) or a glob's matches that is not a regular file (a FIFO, a socket, a device, a
    directory) is C(critical) at once, named with what it is, and never opened (a FIFO would block, a device may
    act); the other certificates of the check are reported as usual.
  - One result per certificate file; a glob that matches nothing gives one C(critical) result saying so.
  - Only reads; never changes the host, so it runs the same in check mode. Runs in a child process stopped at
    O(check_timeout).
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
requirements:
  - cryptography (Debian/Ubuntu package C(python3-cryptography)) on the managed host.
options:
  path:
    description:
      - Absolute paths or globs of certificate files, PEM (one or more certificates, other PEM blocks such as keys
        ignored) or DER (one certificate). A glob's wildcards do not match a leading dot, as in the shell.
    type: list
    elements: str
    required: true
  chain:
    description:
      - Judge every certificate in each file, not only the leaf. V(cert_days_left) is then the smallest of their
        days left, and RV(checks[].certificates) lists each with its own C(days_left). The order of the chain is
        not verified.
    type: bool
    default: false
  key_path:
    description:
      - Absolute path of the private key (PEM or DER, PKCS#1, PKCS#8 or SEC1) that must match the leaf of every file
        of O(path).
      - A key that does not match is C(critical); a missing or malformed key is C(critical); an unreadable one, or an
        encrypted one without a working O(key_passphrase), is C(unknown).
    type: path
  key_passphrase:
    description:
      - The passphrase of an encrypted O(key_path). Never logged or returned.
    type: str
  served_by:
    description:
      - The endpoint that must serve the certificate on disk, as C(host:port) (V(127.0.0.1:443),
        V(www.example.com:8443), V([::1]:443)). One TLS handshake, without verification, within O(timeout).
    type: str
  server_name:
    description:
      - The name to send as SNI to O(served_by), for servers with several certificates. Default is the host of
        O(served_by) unless it is an IP address.
    type: str
  timeout:
    description:
      - Seconds for the connection to O(served_by) and for its TLS handshake, each.
    type: float
    default: 5
  thresholds:
    description:
      - 'Metric: V(cert_days_left), the days (fractional) until the leaf expires, or the first certificate of the
        file with O(chain=true); negative once expired; null when the file could not be read.'
      - 'Defaults, as the endpoint checks: V(cert_days_left) warning C(14:) critical C(7:). Days take duration units
        too (C(30d), C(720h)).'
notes:
  - The result shows the leaf's subject, issuer, subject alternative names, serial number (hexadecimal), validity
    dates (UTC) and SHA-256 fingerprint (as C(openssl x509 -fingerprint -sha256) prints it).
seealso:
  - module: sre.health.http_check
  - module: sre.health.port_check
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: The web certificate has at least 3 weeks left, its key matches and nginx serves it (reloaded after renewal)
  sre.health.certificate_check:
    path: /etc/letsencrypt/live/www.example.com/fullchain.pem
    key_path: /etc/letsencrypt/live/www.example.com/privkey.pem
    served_by: 127.0.0.1:443
    server_name: www.example.com
    thresholds:
      cert_days_left:
        warning: "30:"
        critical: "21:"

- name: Every certificate of the internal CA bundle, intermediates included, with the default thresholds
  sre.health.certificate_check:
    path: /etc/pki/tls/certs/internal-*.pem
    chain: true
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
  sample: "1 of 1 checks not ok: CRITICAL: /tmp/sample/pki/www.pem: CN=www.example.test, certificate expires in 89 d
    (2027-02-23T02:13:55Z); key matches (critical: the certificate on disk was renewed but 127.0.0.1:33207 still
    serves the old one (on disk
    59:F0:A2:0B:87:A4:E2:96:8E:60:31:B2:54:A4:53:D7:C6:37:E8:B2:94:91:36:0A:3B:9D:A2:1B:C1:C6:7D:8F, expires
    2027-02-23T02:13:55Z; served
    56:AC:27:8F:03:9F:00:33:60:63:80:21:6C:4A:E7:AC:DC:1B:F9:72:D8:B8:3C:D0:E4:0D:ED:BF:E4:C7:8B:71, expires
    2026-12-01T02:13:55Z))"
checks:
  description: One result per certificate file (or per glob that matched nothing).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(certificate:) followed by the file; the check's own name in M(sre.health.health_check) when it
        has one file.
      type: str
      sample: "certificate:/tmp/sample/pki/www.pem"
    kind:
      description: Always C(certificate).
      type: str
      sample: certificate
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description: One human line - the file, the leaf's subject and expiry, and in parentheses what is wrong.
      type: str
      sample: "/tmp/sample/pki/www.pem: CN=www.example.test, certificate expires in 89 d (2027-02-23T02:13:55Z); key
        matches (critical: the certificate on disk was renewed but 127.0.0.1:33207 still serves the old one (on disk
        59:F0:A2:0B:87:A4:E2:96:8E:60:31:B2:54:A4:53:D7:C6:37:E8:B2:94:91:36:0A:3B:9D:A2:1B:C1:C6:7D:8F, expires
        2027-02-23T02:13:55Z; served
        56:AC:27:8F:03:9F:00:33:60:63:80:21:6C:4A:E7:AC:DC:1B:F9:72:D8:B8:3C:D0:E4:0D:ED:BF:E4:C7:8B:71, expires
        2026-12-01T02:13:55Z))"
    metrics:
      description: V(cert_days_left); null when the file could not be read.
      type: dict
      sample: {"cert_days_left": 89.0}
    thresholds:
      description: The effective thresholds, defaults merged with O(thresholds).
      type: dict
      sample: {"cert_days_left": {"warning": "14:", "critical": "7:"}}
    duration_ms:
      description: How long the check took, until this result.
      type: float
      sample: 24.727
    path:
      description: The certificate file (or the glob that matched nothing).
      type: str
      sample: "/tmp/sample/pki/www.pem"
    format:
      description: V(PEM) or V(DER).
      type: str
      returned: when the file was read
      sample: PEM
    chain_length:
      description: How many certificates the file holds.
      type: int
      returned: when the file was read
      sample: 1
    subject:
      description: The leaf's subject.
      type: str
      returned: when the file was read
      sample: "CN=www.example.test"
    issuer:
      description: The leaf's issuer.
      type: str
      returned: when the file was read
      sample: "CN=sre-health test CA, O=sre.health tests"
    sans:
      description: The leaf's subject alternative names (DNS names and IP addresses).
      type: list
      elements: str
      returned: when the file was read
      sample: ["localhost", "127.0.0.1", "::1"]
    serial:
      description: The leaf's serial number, in hexadecimal.
      type: str
      returned: when the file was read
      sample: "4CB7AA3F4D803958A20AF2B0C2AAA085961F718"
    not_before:
      description: Start of the leaf's validity, UTC.
      type: str
      returned: when the file was read
      sample: "2026-11-25T02:13:55Z"
    not_after:
      description: End of the leaf's validity, UTC.
      type: str
      returned: when the file was read
      sample: "2027-02-23T02:13:55Z"
    fingerprint_sha256:
      description: The leaf's SHA-256 fingerprint.
      type: str
      returned: when the file was read
      sample: "59:F0:A2:0B:87:A4:E2:96:8E:60:31:B2:54:A4:53:D7:C6:37:E8:B2:94:91:36:0A:3B:9D:A2:1B:C1:C6:7D:8F"
    certificates:
      description: Every certificate of the file, leaf first, with the same details and its own C(days_left).
      type: list
      elements: dict
      returned: with O(chain=true), when the file was read
      sample: [{"days_left": 89.0, "fingerprint_sha256":
        "59:F0:A2:0B:87:A4:E2:96:8E:60:31:B2:54:A4:53:D7:C6:37:E8:B2:94:91:36:0A:3B:9D:A2:1B:C1:C6:7D:8F", "issuer":
        "CN=sre-health test CA, O=sre.health tests", "not_after": "2027-02-23T02:13:55Z", "not_before":
        "2026-11-25T02:13:55Z", "sans": ["localhost", "127.0.0.1", "::1"], "serial":
        "4CB7AA3F4D803958A20AF2B0C2AAA085961F718", "subject": "CN=www.example.test"}]
    key_path:
      description: O(key_path).
      type: str
      returned: with O(key_path), when the file was read
      sample: "/tmp/sample/pki/www.key"
    key_matches:
      description: Whether the private key belongs to the leaf; null when the key could not be read.
      type: bool
      returned: with O(key_path), when the file was read
      sample: true
    served_by:
      description: O(served_by), as connected to.
      type: str
      returned: with O(served_by), when the file was read
      sample: "127.0.0.1:33207"
    served:
      description: The certificate O(served_by) serves (subject, issuer, serial, not_after, days_left,
        fingerprint_sha256); null when it could not be had.
      type: dict
      returned: with O(served_by), when the file was read
      sample: {"days_left": 5.0, "fingerprint_sha256":
        "56:AC:27:8F:03:9F:00:33:60:63:80:21:6C:4A:E7:AC:DC:1B:F9:72:D8:B8:3C:D0:E4:0D:ED:BF:E4:C7:8B:71", "issuer":
        "CN=sre-health test CA, O=sre.health tests", "not_after": "2026-12-01T02:13:55Z", "serial":
        "4E04E58BF3871E4A9EE27C36196AF3A34804185", "subject": "CN=www.example.test"}
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _certificate
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_certificate)


if __name__ == "__main__":
    main()
