#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: metrics_check
short_description: Check values on a Prometheus metrics endpoint against thresholds
version_added: 1.0.0
description:
  - Fetches a Prometheus exposition page (such as node_exporter's C(/metrics)) with C(requests) and parses it
    with C(prometheus_client)'s own parser (the text format, or OpenMetrics when the server answers with
    content type C(application/openmetrics-text)).
  - Each entry of O(expect) selects samples by name and labels, aggregates their values into one number
    and compares it with the entry's warning and critical ranges. There is one result per entry, always.
  - 'Samples are matched by their B(sample) name, as it appears on the page: a counter C(http_requests)
    is exposed as C(http_requests_total) (and C(http_requests_created)); a histogram C(latency_seconds)
    as C(latency_seconds_bucket) (one per C(le) label), C(latency_seconds_sum) and C(latency_seconds_count);
    a summary as C(name) (per C(quantile)), C(name_sum) and C(name_count). When the name given is a family
    name, the summary of the missing result names the samples to use instead.'
  - When no sample matches an entry, its result is C(critical) ("no matching sample"), or the status set by
    its C(missing) option. With C(aggregate=count), zero matching samples is a measurement (0), judged by
    the ranges.
  - A page that cannot be parsed is C(unknown), with the parser's message. An HTTP error status
    (4xx, 5xx), a refused connection, a timeout, a TLS or name resolution failure is C(critical), and the
    summary says which ("connection refused", "timed out after 5 s", "answered HTTP 500 Internal Server Error").
  - Only reads; never changes the host, so it runs the same in check mode. The request goes from the
    managed host, so C(127.0.0.1) is the host's own exporter.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
requirements:
  - requests (Debian/Ubuntu package C(python3-requests)) on the managed host.
  - prometheus_client (Debian/Ubuntu package C(python3-prometheus-client)) on the managed host.
options:
  url:
    description:
      - The page to fetch, C(http://) or C(https://), for example V(http://127.0.0.1:9100/metrics). IPv6
        addresses go in brackets, V(http://[::1]:9100/metrics).
      - A password in the URL (V(http://user:pass@host/)) and credential-like query values (C(token),
        C(key), C(password), ...) are replaced by C(********) wherever the URL is shown.
    type: str
    required: true
  expect:
    description:
      - What to check on the page, one result per entry.
    type: list
    elements: dict
    required: true
    suboptions:
      metric:
        description:
          - 'The sample name, optionally with PromQL label matchers: V(up), V(http_requests_total{code=~"5.."}),
            V(node_filesystem_avail_bytes{mountpoint="/",fstype!="tmpfs"}). Operators C(=), C(!=), C(=~), C(!~);
            values in double quotes; regular expressions are Python C(re) syntax, fully anchored as in PromQL
            (V(5..) matches C(500), not C(1500)). A label a sample does not have has the value C("") (as in
            PromQL), so V(env="") selects samples without C(env).'
          - V({__name__=~"node_network_.*_bytes_total"}) matches sample names by regular expression.
        type: str
        required: true
      labels:
        description:
          - Labels that must have exactly these values, as a dict; combined with the matchers of O(expect[].metric).
            Numbers and booleans are compared as Prometheus writes them (V(500), V(true)).
        type: dict
      aggregate:
        description:
          - How the values of the matching samples become one value. V(sum), V(min), V(max), V(avg) (NaN samples
            left out; all NaN gives C(unknown)), or V(count) (how many samples match, 0 included).
        type: str
        choices: [sum, min, max, avg, count]
        default: sum
      warning:
        description:
          - Warning range for the aggregated value (Nagios range, see O(thresholds)), such as V(100) (alert above
            100) or V(1:) (alert below 1).
          - A plain number V(N) means C(0:N), so a negative value alerts too; write V(~:N) for a gauge that may go
            below zero.
          - 'Plain numbers in the metric''s base unit. For sample names ending in C(_seconds) (also C(_seconds_total),
            C(_seconds_sum)) durations are accepted, V(500ms); for C(_bytes) sizes, V(2GiB:).'
          - Overrides the V(value) warning of O(thresholds); an empty string removes it for this entry.
        type: raw
      critical:
        description:
          - Critical range for the aggregated value, as O(expect[].warning). Evaluated before the warning range.
        type: raw
      missing:
        description:
          - The status of this entry when no sample matches (ignored with O(expect[].aggregate=count)). Use V(ok) for
            series that only appear once something happened, such as an error counter with a C(code="500") label.
        type: str
        choices: [critical, warning, unknown, ok]
        default: critical
      name:
        description:
          - The result's name after C(metrics:). Default is the selector, preceded by the aggregate when it is not
            V(sum), such as C(metrics:http_requests_total{code=~"5.."}) or V(metrics:count(up\)). Names must be unique.
        type: str
  timeout:
    description:
      - Seconds the whole request may take (connecting, the headers and the page), however slowly the server
        sends. A timeout is C(critical). At most 86400 (one day).
    type: float
    default: 10
  max_page_size:
    description:
      - The largest page read, as a size with an optional unit (V(16MiB), V(200MB), or bytes), from 1 KiB to
        1 GiB. A larger page is not parsed and every expectation is C(unknown), saying the page is larger than
        this.
      - Only the samples an expectation matches are kept while the page is parsed, so the check's memory is
        about twice the page's size plus what the parser holds of one metric family; the parse is bounded by
        the check's deadline (O(check_timeout) in M(sre.health.health_check)) like the rest of the check.
      - The default fits a node_exporter page (about 100 KiB) and kube-state-metrics of a large cluster (a
        few MiB); raise it for larger exporters.
      - When every expectation names its metric exactly (V(up), V(http_requests_total{code="500"})), only the
        lines of those metrics are parsed, in milliseconds per MiB. A name pattern (V({__name__=~"node_.*"})) or
        an OpenMetrics page makes the parser read every line, at about one second per MiB of page.
    type: raw
    default: 16MiB
    version_added: 1.1.0
  validate_certs:
    description:
      - Verify the server's TLS certificate (https). Only set V(false) for an endpoint on the host itself.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of certificate authorities to verify the server with, instead of the system's.
    type: path
  headers:
    description:
      - Extra request headers, as a dict. The module asks for the text format with C(Accept) unless given here.
      - Values of credential headers (C(Authorization), C(Cookie), names containing C(token), C(secret),
        C(api-key), C(auth) or C(password)) are masked in the module's output and errors like C(no_log)
        values. Prefer O(bearer_token) or O(url_username)/O(url_password), which are C(no_log) options; unlike
        O(headers), they are also kept out of the invocation record the module writes to the managed host's journal.
    type: dict
  url_username:
    description:
      - User name for HTTP basic authentication.
    type: str
  url_password:
    description:
      - Password for HTTP basic authentication.
    type: str
  bearer_token:
    description:
      - Sends C(Authorization Bearer) with this token (as Prometheus's C(authorization) scrape setting does).
    type: str
  thresholds:
    description:
      - 'Metrics of each result: V(value) (the aggregated value) and V(samples) (how many samples matched).'
      - C(thresholds.value) is the default range of every entry of O(expect), level by level (plain numbers only);
        an entry's own O(expect[].warning) and O(expect[].critical) win. C(thresholds.samples) applies to every
        entry, for example a V(samples) critical range of V(1:) with O(expect[].missing=ok).
      - No defaults.
notes:
  - The value of a counter only grows; this module judges the value on the page at that moment (no rate).
    Compare a counter with a bound only when any value above it is a problem, or use a gauge.
  - Pages larger than O(max_page_size) (16 MiB by default) are not parsed (C(unknown)).
seealso:
  - module: sre.health.health_check
  - name: Prometheus exposition formats
    description: The text format this module reads.
    link: https://prometheus.io/docs/instrumenting/exposition_formats/
"""

EXAMPLES = r"""
- name: The node exporter answers and the root filesystem has 10 GiB free
  sre.health.metrics_check:
    url: http://127.0.0.1:9100/metrics
    expect:
      - metric: node_filesystem_avail_bytes{mountpoint="/"}
        critical: "10GiB:"
      - metric: node_load15
        warning: 4
        critical: 8

- name: No 5xx responses counted, more than one instance up, median latency under 250 ms
  sre.health.metrics_check:
    url: https://app.example.com:8443/metrics
    bearer_token: "{{ metrics_token }}"
    timeout: 5
    expect:
      - metric: http_requests_total{code=~"5.."}
        critical: 0
        missing: ok          # the series appears with the first 5xx
      - metric: up{job="app"}
        aggregate: count
        critical: "2:"
      - metric: http_request_duration_seconds{quantile="0.5"}
        aggregate: max
        warning: 250ms

- name: Report only, with exact labels as a dict
  sre.health.metrics_check:
    url: http://[::1]:8000/metrics
    fail_on: never
    expect:
      - metric: queue_depth
        labels:
          queue: orders
        name: orders queue
        warning: 100
        critical: 1000
  register: queue
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
  sample: "1 of 3 checks not ok: CRITICAL: http_requests_total{code=~\"5..\"} sum = 5 over 2 samples (critical > 0)"
checks:
  description: One result per entry of O(expect), in order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: C(metrics:) followed by O(expect[].name) or the selector.
      type: str
      sample: "metrics:http_requests_total{code=~\"5..\"}"
    kind:
      description: Always C(metrics).
      type: str
      sample: metrics
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description: One human line.
      type: str
      sample: "http_requests_total{code=~\"5..\"} sum = 5 over 2 samples (critical > 0)"
    metrics:
      description: V(value), the aggregated value (null when no sample matched, the page could not be read, or it
        is NaN or infinite), and V(samples), how many samples matched.
      type: dict
      sample: {"value": 5, "samples": 2}
    thresholds:
      description: The effective ranges of this entry.
      type: dict
      sample: {"value": {"critical": 0}}
    duration_ms:
      description: How long fetching and parsing the page took.
      type: float
      sample: 3.067
    url:
      description: The URL fetched, credentials redacted.
      type: str
      sample: "http://127.0.0.1:9100/metrics"
    metric:
      description: The selector, written back in PromQL form (O(expect[].labels) included).
      type: str
      sample: "http_requests_total{code=~\"5..\"}"
    aggregate:
      description: The aggregation used.
      type: str
      sample: sum
    series:
      description: The matching samples (at most 20), each with its name, labels and value (V(NaN) as a string).
      type: list
      elements: dict
      returned: when the page was read
      sample: [{"name": "http_requests_total", "labels": {"code": "500", "method": "GET"}, "value": 2},
               {"name": "http_requests_total", "labels": {"code": "503", "method": "POST"}, "value": 3}]
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _metrics
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_metrics)


if __name__ == "__main__":
    main()
