#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: http_check
short_description: Check an HTTP(S) endpoint's status, body, response time and certificate expiry
version_added: 1.0.0
description:
  - Sends one HTTP(S) request from the managed host with C(requests) and judges the answer. The check is
    C(critical) when the status is not expected (O(expected_status), default any 2xx or 3xx after redirects),
    when the body does not match O(body_regex), or when the JSON body does not hold the O(json) expectations.
    Then the metrics are compared with O(thresholds).
  - A refused connection, a timeout, a TLS failure (including a certificate that does not verify) or a name that
    does not resolve is C(critical), never C(unknown), and the summary says which, for example
    C(connection refused) or C(timed out after 5 s (waiting for the answer)).
  - V(cert_days_left) is read from the certificate the server presented on the connection that carried the final
    answer, so it is measured with O(validate_certs=false) too, and also when verification fails (an expired
    certificate reports a negative number of days).
  - O(retries) retry a failed request through urllib3's C(Retry) policy mounted on the requests adapter, with
    exponential backoff; O(wait_timeout) repeats the whole check until it is C(ok), for a service that is still
    starting.
  - 'Credentials never appear in the result: O(url_password) is no_log; a password in the URL
    (V(https://user:pass@host/)) and the values of credential-like query parameters (names containing C(token),
    C(key), C(secret), C(passw), C(auth), C(signature), C(session), C(credential), or C(sig)) are replaced by
    C(********) wherever the URL is shown; the values of sensitive headers (names containing C(authorization),
    C(cookie), C(token), C(secret), C(passw), C(api-key)/C(api_key)/C(apikey), C(auth), C(session) or C(signature),
    in any case) are masked like no_log values; and every one of these secrets is also scrubbed from every text
    the check returns, error messages included.'
  - Only reads (unless O(method) itself changes something on the server); never changes the host, so it runs the
    same in check mode. The request is made from the managed host, so V(http://127.0.0.1/) is the host's own
    service.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
requirements:
  - requests (Debian/Ubuntu package C(python3-requests)) on the managed host.
  - cryptography (Debian/Ubuntu package C(python3-cryptography)) on the managed host, for V(cert_days_left) of
    an C(https) URL; without it V(cert_days_left) is C(null) and the check is C(unknown) while V(cert_days_left)
    has thresholds (set them to V("") to opt out). Plain C(http) URLs do not need it.
options:
  url:
    description:
      - The URL to request, C(http://) or C(https://). IPv6 addresses go in brackets, V(http://[::1]:8080/health).
        A host name is tried on every address it resolves to, IPv6 and IPv4.
      - A user and password in the URL (V(https://user:pass@host/)) are sent as basic authentication unless
        O(url_username) is set; the password is never shown.
      - A malformed URL (no host, another scheme, a port out of range, spaces) fails the task with a message naming
        the option.
    type: str
    required: true
  method:
    description:
      - The HTTP method. V(HEAD) cannot be combined with O(body_regex) or O(json).
    type: str
    choices: [GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS]
    default: GET
  headers:
    description:
      - Request headers, as a dict of name to value. Numbers and booleans are sent as text (V(true), V(false)).
      - Values of sensitive headers (see the description) are never shown.
    type: dict
  body:
    description:
      - The request body. A dict or a list is sent as JSON, with C(Content-Type) V(application/json) unless
        O(headers) sets one; anything else is sent as UTF-8 text.
    type: raw
  expected_status:
    description:
      - The status codes that count as healthy, as a list. The default accepts any 2xx or 3xx, judged on the final
        answer, after redirects when O(follow_redirects=true).
      - Expected codes are never retried by O(retries), so V([503]) checks a maintenance page without retrying it.
    type: list
    elements: int
  body_regex:
    description:
      - A Python regular expression that must be found in the body (C(re.search)), decoded with the charset of its
        C(Content-Type), else UTF-8. Use inline flags such as V((?i)) or V((?s)).
      - At most the first 16 MiB of the body are searched.
    type: str
  json:
    description:
      - Expectations on the JSON body, as a dict of path to expected value. The body must be JSON, every path must
        exist and its value must equal the expected value, else the check is C(critical), and the summary names
        the path and what was found.
      - 'A path is a list of keys separated by dots: V(status), V(data.items.0.state). A number indexes a list
        (V(-1) is the last item); a key that contains a dot escapes it with a backslash,
        V(metadata.labels.app\\.kubernetes\\.io/name). In YAML, quote such paths with single quotes.'
      - 'Values compare as JSON does: V(true) is not V(1) and V("5") is not V(5), but V(5) equals V(5.0); a dict or a
        list must be equal as a whole.'
      - 'A path that does not exist is C(critical), with a summary saying where it stopped, for example
        C(json path data.items.5.state not found: data.items has 2 items: no index 5).'
      - 'A body that nests arrays or objects deeper than 512 levels is not parsed (no API answer comes near; parsing
        it would exhaust the parser''s recursion): the check is C(critical) with
        C(body is JSON nested deeper than 512 levels (gave up at depth 513\): json not checked). Its depth is measured
        in linear time before parsing.'
    type: dict
  timeout:
    description:
      - Seconds one attempt may take as a whole, connecting, the headers and the body together. A server that
        sends one byte a second is stopped there too, and the check is C(critical) ("timed out after N s").
      - Each retry and each O(wait_timeout) probe has its own O(timeout); the whole request with its retries
        ends within O(timeout) times (O(retries) + 1) plus the pauses between them. At most 86400 (one day).
    type: float
    default: 10
  retries:
    description:
      - How many times to retry a request that failed to connect, timed out, or was answered with 429 or a 5xx
        status that O(expected_status) does not list, before judging the last outcome. Every method is retried,
        V(POST) included.
      - Retries go through urllib3's C(Retry) on the requests adapter; C(Retry-After) headers are not honoured,
        so that the check returns in bounded time.
      - From 0 to 10.
    type: int
    default: 0
  retry_delay:
    description:
      - Backoff factor in seconds. Retry N waits O(retry_delay) * 2^(N-1) (1 s, 2 s, 4 s... for V(1)), each pause
        at most 60 seconds.
      - Also the pause between two O(wait_timeout) probes (at least 0.1 second).
    type: float
    default: 1
  wait_timeout:
    description:
      - Keep probing, O(retry_delay) seconds apart, until the check is C(ok) or this many seconds have passed, then
        report the last probe. For a service that is starting; the result says how many probes it took.
      - A probe that starts before the time runs out finishes, so the module can take up to O(wait_timeout) plus one
        probe. Unset or V(0) probes once.
      - In M(sre.health.health_check), give such a check a C(check_timeout) longer than O(wait_timeout).
    type: float
  validate_certs:
    description:
      - Verify the server certificate and its name, with the system CA store or O(ca_path).
      - With V(false) the request is made without verification, and V(cert_days_left) is still measured.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates (or an OpenSSL hashed directory) to verify the server with, instead of the
        system store. Used when O(validate_certs=true).
      - O(ca_path), O(client_cert) and O(client_key) are loaded before any request; a missing or unreadable file,
        or a key that does not match its certificate, fails the task with a message naming the option.
    type: path
  client_cert:
    description:
      - A PEM client certificate for mutual TLS, with its key in the same file or in O(client_key).
    type: path
  client_key:
    description:
      - The unencrypted PEM private key of O(client_cert).
    type: path
  url_username:
    description:
      - User name for basic authentication (sent with the first request, not after a 401 challenge).
    type: str
  url_password:
    description:
      - Password for basic authentication, with O(url_username). Never shown.
    type: str
  follow_redirects:
    description:
      - Follow redirects (at most 10; authentication is dropped when a redirect leaves the host). With V(false), the
        3xx answer itself is judged.
    type: bool
    default: true
  thresholds:
    description:
      - 'Metrics: V(status_code); V(response_time_ms): from sending the request to the last byte of the body, redirects
        and retries included (as C(curl)''s C(time_total)); V(body_bytes): size of the decoded body; V(cert_days_left):
        days until the server certificate expires, negative once expired (HTTPS only, else null).'
      - 'Defaults: V(cert_days_left) warning C(14:) critical C(7:) (alert when fewer than 14 or 7 days are left).
        There is no default on V(response_time_ms): no bound fits every endpoint; set one such as
        C({response_time_ms: {warning: 500ms, critical: 2s}}).'
notes:
  - Prefer O(url_username) and O(url_password) to a password in O(url). The module hides both in everything it
    returns, but only O(url_password) is no_log, so Ansible itself may show a URL as it was written in the task (for
    example in the origin of an ad-hoc command's error).
  - The request honours the usual proxy environment variables (C(https_proxy), C(no_proxy)) and C(REQUESTS_CA_BUNDLE)
    of the managed host, as requests does.
  - Every probe uses a new connection, so each measures a full connect (and TLS handshake) as a new client would.
seealso:
  - module: sre.health.port_check
  - module: sre.health.health_check
  - module: ansible.builtin.uri
"""

EXAMPLES = r"""
- name: The service answers 2xx or 3xx on its health endpoint
  sre.health.http_check:
    url: http://127.0.0.1:8080/healthz

- name: The API is up, says so in JSON, answers within 500 ms, and its certificate has 30 days left
  sre.health.http_check:
    url: https://api.example.com/v1/status
    json:
      status: up
      data.items.0.state: running
    thresholds:
      response_time_ms: {warning: 200ms, critical: 500ms}
      cert_days_left: {warning: "30:", critical: "14:"}

- name: Wait up to two minutes for a service that is starting (IPv6 loopback)
  sre.health.http_check:
    url: http://[::1]:9000/ready
    wait_timeout: 120
    retry_delay: 2

- name: A flaky upstream gets 3 retries with backoff (1 s, 2 s, 4 s)
  sre.health.http_check:
    url: http://127.0.0.1:8080/
    retries: 3
    timeout: 5

- name: Internal endpoint with mutual TLS and a private CA
  sre.health.http_check:
    url: https://api.internal.example:8443/health
    ca_path: /etc/pki/internal-ca.pem
    client_cert: /etc/pki/monitor.pem
    client_key: /etc/pki/monitor.key
    body_regex: "(?i)healthy"

- name: Authenticated check, credentials kept out of the output
  sre.health.http_check:
    url: https://127.0.0.1/admin/health
    url_username: monitor
    url_password: "{{ vault_monitor_password }}"
    headers:
      X-Api-Key: "{{ vault_api_key }}"
    validate_certs: false
    expected_status: [200, 204]
    fail_on: never
  register: admin
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
  sample: "1 of 1 checks not ok: CRITICAL: https://127.0.0.1:36451/json: HTTP 200 OK in 47.2 ms, 220 B,
    certificate expires in 3 d (critical: cert_days_left 3 d < 7 d)"
checks:
  description: One result, for the URL.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(http:) followed by the URL (password masked).
      type: str
      sample: "http:https://127.0.0.1:36451/json"
    kind:
      description: Always C(http).
      type: str
      sample: http
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description: One human line, with what failed in parentheses.
      type: str
      sample: "https://127.0.0.1:36451/json: HTTP 200 OK in 47.2 ms, 220 B, certificate expires in 3 d
        (critical: cert_days_left 3 d < 7 d)"
    metrics:
      description: The measured metrics; null when not measured (no answer, or no TLS).
      type: dict
      sample: {"status_code": 200, "response_time_ms": 47.236, "body_bytes": 220, "cert_days_left": 3.0}
    thresholds:
      description: The effective thresholds, defaults merged with O(thresholds).
      type: dict
      sample: {"cert_days_left": {"warning": "14:", "critical": "7:"}}
    duration_ms:
      description: How long the check took, every probe and pause included.
      type: float
      sample: 48.739
    url:
      description: The URL requested, password and credential query values masked.
      type: str
      sample: "https://127.0.0.1:36451/json"
    method:
      description: The HTTP method.
      type: str
      sample: GET
    final_url:
      description: The URL of the final answer, after redirects (masked as O(url)); the URL that failed when there
        was no answer.
      type: str
      sample: "https://127.0.0.1:36451/json"
    redirects:
      description: How many redirects were followed.
      type: int
      sample: 0
    retries:
      description: How many retries the final probe used.
      type: int
      sample: 0
    probes:
      description: How many times the whole check ran (more than 1 only with O(wait_timeout)).
      type: int
      sample: 1
    certificate:
      description: The server certificate (HTTPS only), or C(error) when it could not be read.
      type: dict
      returned: for https URLs
      contains:
        subject:
          description: Subject (CN, O, OU, C, ST, L attributes).
          type: str
        issuer:
          description: Issuer.
          type: str
        not_before:
          description: Start of validity, UTC, ISO 8601.
          type: str
        not_after:
          description: End of validity, UTC, ISO 8601.
          type: str
        verified:
          description: Whether the certificate was verified (O(validate_certs)).
          type: bool
      sample: {"subject": "CN=localhost", "issuer": "CN=sre-health test CA, O=sre.health tests",
               "not_before": "2026-11-21T13:46:04Z", "not_after": "2026-11-25T13:46:04Z", "verified": true}
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _http
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_http)


if __name__ == "__main__":
    main()
