# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The metrics check against real HTTP servers on 127.0.0.1 and ::1 serving pages made by
prometheus_client's own registry and generate_latest."""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _kind, _metrics
from ansible_collections.sre.health.plugins.module_utils._web import redact
from ansible_collections.sre.health.plugins.module_utils._runner import run_all
from ansible_collections.sre.health.plugins.module_utils._status import (
    OptionError,
    ThresholdError,
    compile_thresholds,
)
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, SECONDS
from ansible_collections.sre.health.tests.unit.plugins.module_utils import servers as S

prometheus_client = pytest.importorskip("prometheus_client")
pytest.importorskip("requests")

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest  # noqa: E402
from prometheus_client.exposition import CONTENT_TYPE_LATEST  # noqa: E402
from prometheus_client.openmetrics import exposition as openmetrics_exposition  # noqa: E402

TOKEN = "s3cr3t-bearer-token-0123"
USER, PASSWORD = "scraper", "hunter2-password"
GARBAGE = b"<html><body><h1>Welcome to nginx!</h1></body></html>\n"
# 60000 series of one family (about 3 MiB), as a large exporter serves them.
BIG_SERIES = 60000
BIG_PAGE = b"# TYPE big_series gauge\n" + b"".join(
    b'big_series{shard="%d",pod="pod-%05d"} %d\n' % (i % 16, i, i) for i in range(BIG_SERIES))


def make_registry():
    registry = CollectorRegistry()
    requests_total = Counter("http_requests", "Requests served.", ["code", "method"], registry=registry)
    requests_total.labels("200", "GET").inc(5)
    requests_total.labels("500", "GET").inc(2)
    requests_total.labels("503", "POST").inc(3)
    temperature = Gauge("temperature_celsius", "Room temperature.", ["room"], registry=registry)
    temperature.labels("kitchen").set(21.5)
    temperature.labels("cellar").set(12)
    queue = Gauge("queue_depth", "Messages waiting.", ["queue"], registry=registry)
    queue.labels("orders").set(120)
    queue.labels("emails").set(0)
    Gauge("disk_free_bytes", "Free space.", registry=registry).set(5 * 1024 ** 3)
    Gauge("broken_ratio", "Always NaN.", registry=registry).set(float("nan"))
    Gauge("error_ratio", "Small numbers.", registry=registry).set(0.0012)
    Gauge("outside_temperature_celsius", "Below zero.", registry=registry).set(-5)
    Gauge("job_duration_seconds", "Under a second.", registry=registry).set(0.25)
    latency = Histogram("request_latency_seconds", "Latency.", buckets=(0.1, 0.5, 1.0), registry=registry)
    for value in (0.05, 0.2, 0.3, 0.7):
        latency.observe(value)
    return registry


class Handler(http.server.BaseHTTPRequestHandler):
    registry = make_registry()
    page = generate_latest(registry)
    openmetrics_page = openmetrics_exposition.generate_latest(registry)

    def log_message(self, *args):
        pass

    def _send(self, code, body, content_type="text/plain; charset=utf-8", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, self.page, CONTENT_TYPE_LATEST)
        elif path == "/openmetrics":
            self._send(200, self.openmetrics_page, openmetrics_exposition.CONTENT_TYPE_LATEST)
        elif path == "/garbage":
            self._send(200, GARBAGE, "text/html")
        elif path == "/big":
            self._send(200, BIG_PAGE, CONTENT_TYPE_LATEST)
        elif path == "/empty":
            self._send(200, b"", CONTENT_TYPE_LATEST)
        elif path == "/error":
            self._send(500, b"internal error\n")
        elif path == "/slow":
            time.sleep(3)
            self._send(200, self.page, CONTENT_TYPE_LATEST)
        elif path == "/redirect":
            self._send(302, b"", extra={"Location": "/metrics"})
        elif path == "/accept":
            # echoes the Accept header the client sent, as a metric label
            accept = self.headers.get("Accept", "").replace('"', "'")
            self._send(200, ('seen_accept{value="%s"} 1\n' % accept).encode(), CONTENT_TYPE_LATEST)
        elif path == "/auth":
            basic = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
            if self.headers.get("Authorization") in ("Bearer " + TOKEN, basic):
                self._send(200, self.page, CONTENT_TYPE_LATEST)
            else:
                self._send(401, b"unauthorized\n", extra={"WWW-Authenticate": 'Basic realm="metrics"'})
        else:
            self._send(404, b"not found\n")


class _V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _serve(server_class, host):
    server = server_class((host, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def server():
    """A real HTTP server on 127.0.0.1; yields its base URL."""
    srv = _serve(http.server.ThreadingHTTPServer, "127.0.0.1")
    try:
        yield "http://127.0.0.1:%d" % srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(scope="module")
def server6():
    """The same server on ::1 only."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6 support")
    try:
        srv = _serve(_V6Server, "::1")
    except OSError as exc:
        pytest.skip("cannot listen on ::1: %s" % exc)
    try:
        yield "http://[::1]:%d" % srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def self_signed(directory):
    """A real self-signed certificate for 127.0.0.1 made with the cryptography package."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sre-health test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path = str(directory / "cert.pem")
    key_path = str(directory / "key.pem")
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """The same server over HTTPS on 127.0.0.1, with a self-signed certificate; yields (base URL, CA file)."""
    cert_path, key_path = self_signed(tmp_path_factory.mktemp("tls"))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield "https://127.0.0.1:%d" % srv.server_address[1], cert_path
    finally:
        srv.shutdown()
        srv.server_close()


def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def check(url, expect, thresholds=None, **params):
    params = dict(params, url=url, expect=expect)
    params.setdefault("timeout", 5.0)
    params.setdefault("validate_certs", True)
    compiled = compile_thresholds(thresholds, _metrics.METRICS, _metrics.DEFAULT_THRESHOLDS)
    return _metrics.run(_metrics.validate(params), compiled)


def one(url, thresholds=None, **expectation):
    results = check(url, [expectation], thresholds)
    assert len(results) == 1
    return results[0]


# --- selectors -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, labels, display", [
    ("up", None, "up"),
    ("  up ", None, "up"),
    ('http_requests_total{code="500"}', None, 'http_requests_total{code="500"}'),
    ('http_requests_total{ code =~ "5..", method!="GET" }', None, 'http_requests_total{code=~"5..",method!="GET"}'),
    ('http_requests_total{code!~"2..",}', None, 'http_requests_total{code!~"2.."}'),
    ("queue_depth", {"queue": "orders"}, 'queue_depth{queue="orders"}'),
    ("http_requests_total", {"code": 500, "ok": True}, 'http_requests_total{code="500",ok="true"}'),
    ('{__name__=~"temperature_.*"}', None, '{__name__=~"temperature_.*"}'),
    ('x{path="a\\"b\\\\c"}', None, 'x{path="a\\"b\\\\c"}'),
    ("ns:metric:rate5m", None, "ns:metric:rate5m"),
])
def test_parse_selector(text, labels, display):
    _matchers, shown = _metrics.parse_selector(text, labels)
    assert shown == display


@pytest.mark.parametrize("text, labels, option, fragment", [
    ("", None, "metric", "sample name"),
    ("9lives", None, "metric", "sample name"),
    ("up{", None, "metric", "sample name"),
    ('up{job=node}', None, "metric", "cannot read matcher"),
    ('up{job="node" instance="a"}', None, "metric", "cannot read matcher"),
    ('up{job=~"(unclosed"}', None, "metric", "valid regular expressions"),
    ('{job="node"}', None, "metric", "a sample name is required"),
    ('up{__name__="up"}', None, "metric", "__name__ matcher together"),
    ("up", {"bad-name": "x"}, "labels", "label names"),
    ("up", {"job": ["a"]}, "labels.job", "a string, number or boolean"),
])
def test_bad_selectors_name_the_option(text, labels, option, fragment):
    with pytest.raises(OptionError) as err:
        _metrics.parse_selector(text, labels, option="expect[3].metric")
    expected = "expect[3].%s" % option
    assert err.value.option == expected
    assert fragment in str(err.value)


@pytest.mark.parametrize("name, aggregate, kind", [
    ("request_latency_seconds_sum", "sum", SECONDS),
    ("process_cpu_seconds_total", "max", SECONDS),
    ("request_latency_seconds", "avg", SECONDS),
    ("request_latency_seconds_bucket", "sum", COUNT),
    ("request_latency_seconds_count", "sum", COUNT),
    ("node_filesystem_avail_bytes", "min", BYTES),
    ("node_network_receive_bytes_total", "sum", BYTES),
    ("node_filesystem_avail_bytes", "count", COUNT),
    ("up", "sum", COUNT),
])
def test_unit_kind_follows_prometheus_naming(name, aggregate, kind):
    assert _metrics.unit_kind(name, aggregate) == kind


@pytest.mark.parametrize("url, shown", [
    ("http://user:pw@host:9100/metrics", "http://user:********@host:9100/metrics"),
    ("http://user@host/metrics", "http://user@host/metrics"),
    # one mask format with the http kind (issue 13): the mask in place, the query as written
    ("https://host/metrics?token=abc&x=1", "https://host/metrics?token=********&x=1"),
    ("http://[::1]:9100/metrics", "http://[::1]:9100/metrics"),
])
def test_redact_url(url, shown):
    assert _metrics.redact_url(url) == shown


def test_sensitive_values_cover_credential_headers_and_secrets():
    values = redact.request_secrets(
        headers={"Authorization": "Bearer abcdefgh", "X-Api-Key": "k-123", "Accept": "text/plain"},
        passwords=("pw-1", "tok-1"))
    assert values == {"Bearer abcdefgh", "abcdefgh", "k-123", "pw-1", "tok-1"}


# --- real pages ----------------------------------------------------------------------------

def test_counter_samples_by_label_regex_summed(server):
    result = one(server + "/metrics", metric='http_requests_total{code=~"5.."}', critical=4)
    assert result["status"] == "critical"
    assert result["metrics"] == {"value": 5, "samples": 2}
    assert result["summary"] == 'http_requests_total{code=~"5.."} sum = 5 over 2 samples (critical > 4)'
    assert result["name"] == 'metrics:http_requests_total{code=~"5.."}'
    assert result["kind"] == "metrics"
    assert result["thresholds"] == {"value": {"critical": 4}}
    assert sorted(s["labels"]["code"] for s in result["series"]) == ["500", "503"]
    assert result["url"] == server + "/metrics"


def test_exact_labels_dict_and_negative_matchers(server):
    url = server + "/metrics"
    exact = one(url, metric="http_requests_total", labels={"code": 500, "method": "GET"}, warning=1)
    assert exact["metrics"] == {"value": 2, "samples": 1}
    assert exact["status"] == "warning"
    assert exact["summary"] == 'http_requests_total{code="500",method="GET"} = 2 (warning > 1)'
    not_get = one(url, metric='http_requests_total{method!="GET"}')
    assert not_get["metrics"] == {"value": 3, "samples": 1} and not_get["status"] == "ok"
    not_2xx = one(url, metric='http_requests_total{code!~"2.."}', aggregate="count")
    assert not_2xx["metrics"]["value"] == 2
    # regexes are fully anchored, as in PromQL: "0" matches no code
    anchored = one(url, metric='http_requests_total{code=~"0"}', aggregate="count")
    assert anchored["metrics"]["value"] == 0
    # an absent label is "": no sample lacks "code"
    assert one(url, metric='http_requests_total{code=""}', aggregate="count")["metrics"]["value"] == 0
    by_name = one(url, metric='{__name__=~"temperature_.*"}', aggregate="max")
    assert by_name["metrics"] == {"value": 21.5, "samples": 2}


@pytest.mark.parametrize("aggregate, value", [
    ("sum", 33.5), ("min", 12), ("max", 21.5), ("avg", 16.75), ("count", 2),
])
def test_aggregates(server, aggregate, value):
    result = one(server + "/metrics", metric="temperature_celsius", aggregate=aggregate)
    assert result["metrics"]["value"] == value
    assert result["aggregate"] == aggregate
    expected_name = "temperature_celsius" if aggregate == "sum" else "%s(temperature_celsius)" % aggregate
    assert result["name"] == "metrics:" + expected_name


def test_histogram_samples_bucket_sum_count(server):
    url = server + "/metrics"
    results = check(url, [
        {"metric": 'request_latency_seconds_bucket{le="0.5"}'},
        {"metric": 'request_latency_seconds_bucket{le="+Inf"}'},
        {"metric": "request_latency_seconds_count"},
        {"metric": "request_latency_seconds_sum", "warning": "1s", "critical": "2s"},
        {"metric": "request_latency_seconds_bucket", "aggregate": "count"},
    ])
    values = [r["metrics"]["value"] for r in results]
    assert values == [3, 4, 4, 1.25, 4]
    assert results[3]["status"] == "warning"
    assert results[3]["summary"] == "request_latency_seconds_sum = 1.25 s (warning > 1 s)"


def test_units_in_ranges_follow_the_metric_name(server):
    free = one(server + "/metrics", metric="disk_free_bytes", critical="10GiB:", warning="20GiB:")
    assert free["status"] == "critical"
    assert free["summary"] == "disk_free_bytes = 5 GiB (critical < 10 GiB)"
    assert free["thresholds"] == {"value": {"critical": "10GiB:", "warning": "20GiB:"}}
    with pytest.raises(ThresholdError) as err:
        check(server + "/metrics", [{"metric": "up"}, {"metric": "queue_depth", "critical": "5GiB"}])
    assert err.value.option == "expect[1].critical"
    assert "unit 'GiB' does not fit a count metric" in str(err.value)


def test_small_and_negative_values_read_well(server):
    url = server + "/metrics"
    results = check(url, [
        {"metric": "error_ratio", "warning": 0.001},
        {"metric": "job_duration_seconds", "warning": "200ms", "critical": "1s"},
        {"metric": "outside_temperature_celsius", "critical": 30, "name": "plain N is 0:N"},
        {"metric": "outside_temperature_celsius", "critical": "~:30", "name": "minus infinity"},
    ])
    assert [r["summary"] for r in results] == [
        "error_ratio = 0.0012 (warning > 0.001)",
        "job_duration_seconds = 250 ms (warning > 200 ms)",
        "outside_temperature_celsius = -5 (critical < 0)",
        "outside_temperature_celsius = -5",
    ]
    assert results[0]["metrics"]["value"] == 0.0012
    assert results[1]["metrics"]["value"] == 0.25


def test_family_name_of_a_counter_is_missing_with_a_hint(server):
    result = one(server + "/metrics", metric="http_requests")
    assert result["status"] == "critical"
    assert result["metrics"] == {"value": None, "samples": 0}
    assert result["summary"] == ("http_requests: no matching sample on %s/metrics; http_requests is a counter: "
                                 "match its samples http_requests_total" % server)
    histogram = one(server + "/metrics", metric="request_latency_seconds")
    assert "request_latency_seconds_bucket, request_latency_seconds_sum, request_latency_seconds_count" \
        in histogram["summary"]


def test_missing_status_option_and_count_of_nothing(server):
    url = server + "/metrics"
    results = check(url, [
        {"metric": "no_such_metric"},
        {"metric": "no_such_metric", "missing": "ok", "name": "optional"},
        {"metric": "no_such_metric", "missing": "warning", "name": "wanted"},
        {"metric": "no_such_metric", "aggregate": "count", "critical": "1:"},
        {"metric": "no_such_metric", "aggregate": "count", "critical": "0", "name": "none expected"},
    ])
    assert [r["status"] for r in results] == ["critical", "ok", "warning", "critical", "ok"]
    assert results[0]["summary"] == "no_such_metric: no matching sample on %s" % url
    assert results[1]["summary"].endswith("(missing: ok)")
    assert results[1]["name"] == "metrics:optional"
    assert results[3]["summary"] == "no_such_metric = 0 matching samples (critical < 1)"


def test_nan_value_is_unknown(server):
    result = one(server + "/metrics", metric="broken_ratio", critical=1)
    assert result["status"] == "unknown"
    assert result["summary"] == "broken_ratio: value is NaN (1 sample)"
    assert result["metrics"] == {"value": None, "samples": 1}
    assert result["series"] == [{"name": "broken_ratio", "labels": {}, "value": "NaN"}]
    # NaN samples are counted, and left out of a sum with real numbers
    assert one(server + "/metrics", metric="broken_ratio", aggregate="count")["metrics"]["value"] == 1


def test_thresholds_value_is_the_default_for_every_expectation(server):
    url = server + "/metrics"
    results = check(url, [
        {"metric": 'queue_depth{queue="orders"}'},
        {"metric": 'queue_depth{queue="emails"}'},
        {"metric": 'queue_depth{queue="orders"}', "critical": 1000, "name": "own level"},
        {"metric": 'queue_depth{queue="orders"}', "warning": "", "name": "warning removed"},
    ], thresholds={"value": {"warning": 100, "critical": 500}, "samples": {"critical": "1:"}})
    assert [r["status"] for r in results] == ["warning", "ok", "warning", "ok"]
    assert results[0]["thresholds"] == {"value": {"warning": 100, "critical": 500}, "samples": {"critical": "1:"}}
    assert results[2]["thresholds"]["value"] == {"warning": 100, "critical": 1000}
    assert results[3]["thresholds"]["value"] == {"critical": 500}


def test_samples_threshold_catches_a_missing_series_marked_ok(server):
    result = one(server + "/metrics", {"samples": {"critical": "2:"}}, metric="queue_depth", aggregate="max")
    assert result["status"] == "ok" and result["metrics"]["samples"] == 2
    result = one(server + "/metrics", {"samples": {"critical": "3:"}}, metric="queue_depth", aggregate="max")
    assert result["status"] == "critical"
    assert "critical: samples 2 < 3" in result["summary"]


def test_ipv6_loopback(server6):
    result = one(server6 + "/metrics", metric="up_not_here", aggregate="count")
    assert result["status"] == "ok"
    result = one(server6 + "/metrics", metric='temperature_celsius{room="kitchen"}', warning=20)
    assert result["metrics"]["value"] == 21.5 and result["status"] == "warning"
    assert result["url"] == server6 + "/metrics"


def test_openmetrics_content_type_uses_the_openmetrics_parser(server):
    result = one(server + "/openmetrics", metric='http_requests_total{code="503"}')
    assert result["metrics"] == {"value": 3, "samples": 1}
    assert result["status"] == "ok"


def test_asks_for_the_text_format_unless_told_otherwise(server):
    result = one(server + "/accept", metric="seen_accept", aggregate="count")
    assert result["series"][0]["labels"]["value"].startswith("text/plain;version=0.0.4")
    result = check(server + "/accept", [{"metric": "seen_accept"}], headers={"Accept": "text/plain"})[0]
    assert result["series"][0]["labels"]["value"] == "text/plain"


def test_redirect_is_followed(server):
    assert one(server + "/redirect", metric="disk_free_bytes")["metrics"]["value"] == 5 * 1024 ** 3


def test_garbage_page_is_unknown_with_the_parser_message(server):
    results = check(server + "/garbage", [{"metric": "up"}, {"metric": "queue_depth"}])
    assert [r["status"] for r in results] == ["unknown", "unknown"]
    summary = results[0]["summary"]
    assert summary.startswith("up: cannot parse the page at %s/garbage as Prometheus exposition format: " % server)
    assert "invalid metric name" in summary and "Welcome to nginx" in summary
    assert results[0]["metrics"] == {"value": None, "samples": 0}


def test_a_page_over_max_page_size_is_unknown_and_not_parsed(server):
    results = check(server + "/big", [{"metric": "big_series"}, {"metric": "up"}], max_page_size="1MiB")
    assert [r["status"] for r in results] == ["unknown", "unknown"]
    assert results[0]["summary"] == ("big_series: the page at %s/big is larger than max_page_size (1 MiB)"
                                     % server)


def test_the_default_page_size_reads_a_large_exporter_keeping_only_what_matches(server):
    assert len(BIG_PAGE) > 2 * 1024 * 1024
    results = check(server + "/big", [
        {"metric": "big_series", "aggregate": "count", "critical": "%d:%d" % (BIG_SERIES, BIG_SERIES)},
        {"metric": 'big_series{shard="3"}', "aggregate": "max"},
        {"metric": 'big_series{pod="pod-00007"}'},
    ])
    assert [r["status"] for r in results] == ["ok", "ok", "ok"]
    assert results[0]["metrics"] == {"value": BIG_SERIES, "samples": BIG_SERIES}
    # only the first series are listed; the value aggregates all of them
    assert len(results[0]["series"]) == _metrics.MAX_SERIES
    shard3 = [i for i in range(BIG_SERIES) if i % 16 == 3]
    assert results[1]["metrics"] == {"value": max(shard3), "samples": len(shard3)}
    assert results[2]["metrics"] == {"value": 7, "samples": 1}
    assert results[2]["series"] == [{"name": "big_series", "labels": {"shard": "7", "pod": "pod-00007"}, "value": 7}]


@pytest.mark.parametrize("value", ["0", 1023, "2GiB", "lots", True, "1e300TiB", -5, None])
def test_max_page_size_out_of_range_is_an_option_error(server, value):
    with pytest.raises(OptionError) as err:
        check(server + "/metrics", [{"metric": "up"}], max_page_size=value)
    text = str(err.value)
    assert "max_page_size" in text and "from 1KiB to 1GiB" in text


def test_empty_page_means_every_metric_is_missing(server):
    assert one(server + "/empty", metric="up")["status"] == "critical"


def test_http_500_is_critical(server):
    result = one(server + "/error", metric="up")
    assert result["status"] == "critical"
    assert result["summary"] == "up: %s/error answered HTTP 500 Internal Server Error" % server


def test_404_is_critical(server):
    result = one(server + "/nope", metric="up")
    assert result["status"] == "critical" and "answered HTTP 404 Not Found" in result["summary"]


def test_connection_refused_is_critical():
    url = "http://127.0.0.1:%d/metrics" % closed_port()
    results = check(url, [{"metric": "up"}, {"metric": "down"}])
    assert [r["status"] for r in results] == ["critical", "critical"]
    assert results[0]["summary"] == "up: cannot fetch %s: connection refused" % url


def test_timeout_is_critical(server):
    result = check(server + "/slow", [{"metric": "up"}], timeout=0.3)[0]
    assert result["status"] == "critical"
    assert result["summary"] == "up: cannot fetch %s/slow: timed out after 0.3 s" % server


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_https_certificate_verification(tls_server):
    base, ca_file = tls_server
    url = base + "/metrics"
    untrusted = check(url, [{"metric": "queue_depth"}])[0]
    assert untrusted["status"] == "critical"
    assert untrusted["summary"].startswith("queue_depth: cannot fetch %s: TLS error: " % url)
    assert untrusted["summary"].endswith("TLS error: certificate verify failed: self-signed certificate")
    trusted = check(url, [{"metric": "queue_depth"}], ca_path=ca_file)[0]
    assert trusted["status"] == "ok" and trusted["metrics"]["value"] == 120
    unverified = check(url, [{"metric": "queue_depth"}], validate_certs=False)[0]
    assert unverified["status"] == "ok"


def test_missing_ca_path_is_an_option_error_before_any_request(server, tmp_path):
    """Issue 13: a missing ca_path ended in a raw OSError from deep inside requests; it is now
    checked once in validate(), as the http kind does, and named as the option at fault."""
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(OptionError) as err:
        check(server.replace("http://", "https://") + "/metrics", [{"metric": "up"}], ca_path=missing)
    assert err.value.option == "ca_path"
    assert str(err.value).startswith("option ca_path: %r is invalid" % missing)
    assert "no such file or directory" in str(err.value)
    with pytest.raises(OptionError) as err:
        _kind.check(_metrics, {"url": "https://127.0.0.1:1/metrics", "expect": [{"metric": "up"}], "ca_path": missing})
    assert err.value.option == "ca_path"


def test_credential_query_value_is_masked_like_the_http_kind_does(server):
    """Issue 13: the metrics kind's own redaction showed ?credential= values; one rule set now masks them."""
    secret = "cr3d-value-0123"
    assert _metrics.redact_url("http://h/metrics?credential=%s&page=2" % secret) == \
        "http://h/metrics?credential=********&page=2"
    result = one(server + "/metrics?credential=%s" % secret, metric="queue_depth")
    assert result["status"] == "ok"
    assert result["url"] == server + "/metrics?credential=********"
    refused = one("http://127.0.0.1:%d/metrics?credential=%s" % (closed_port(), secret), metric="queue_depth")
    assert refused["status"] == "critical" and "credential=********: connection refused" in refused["summary"]
    for res in (result, refused):
        assert secret not in str(res)


def test_bearer_token_and_basic_auth(server):
    url = server + "/auth"
    denied = one(url, metric="queue_depth")
    assert denied["status"] == "critical" and "answered HTTP 401 Unauthorized" in denied["summary"]
    token = check(url, [{"metric": "queue_depth"}], bearer_token=TOKEN)[0]
    assert token["status"] == "ok" and token["metrics"]["value"] == 120
    header = check(url, [{"metric": "queue_depth"}], headers={"Authorization": "Bearer " + TOKEN})[0]
    assert header["status"] == "ok"
    basic = check(url, [{"metric": "queue_depth"}], url_username=USER, url_password=PASSWORD)[0]
    assert basic["status"] == "ok"
    wrong = check(url, [{"metric": "queue_depth"}], url_username=USER, url_password="wrong")[0]
    assert wrong["status"] == "critical"
    for result in (denied, token, header, basic, wrong):
        assert TOKEN not in str(result) and PASSWORD not in str(result)


def test_password_in_url_is_redacted_everywhere(server):
    port = server.rsplit(":", 1)[1]
    url = "http://%s:%s@127.0.0.1:%s/auth" % (USER, PASSWORD, port)
    result = one(url, metric="queue_depth")
    assert result["status"] == "ok"  # requests sends the URL's credentials as basic auth
    refused = "http://%s:%s@127.0.0.1:%d/metrics" % (USER, PASSWORD, closed_port())
    failed = one(refused, metric="queue_depth")
    for res in (result, failed):
        assert PASSWORD not in str(res)
        assert "%s:********@127.0.0.1" % USER in res["url"]
    assert "%s:********@" % USER in failed["summary"]


def test_concurrent_runs_are_independent(server):
    """run() is called from health_check's worker threads: no shared state between runs."""
    cases = [("temperature_celsius", "max", 21.5), ("queue_depth", "sum", 120), ("http_requests_total", "count", 3),
             ("request_latency_seconds_count", "sum", 4)] * 4

    def task(metric, aggregate):
        return lambda: one(server + "/metrics", metric=metric, aggregate=aggregate)["metrics"]["value"]

    outcome = run_all([(task(m, a), 30) for m, a, _v in cases], max_workers=8)
    assert [value for value, _exc, _d in outcome.results] == [v for _m, _a, v in cases]


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "not a url", "ftp://127.0.0.1/metrics", "http://", "127.0.0.1:9100/metrics", "http://[::1/metrics",
    "http://127.0.0.1:99999/metrics", "http://exa mple.com/metrics", "", None,
])
def test_malformed_urls_are_option_errors(url):
    with pytest.raises(OptionError) as err:
        check(url, [{"metric": "up"}])
    assert err.value.option == "url"
    assert "an http:// or https:// URL with a host" in str(err.value)


def test_bad_credential_header_value_is_not_echoed():
    with pytest.raises(OptionError) as err:
        check("http://127.0.0.1:1/metrics", [{"metric": "up"}], headers={"Authorization": "Bearer abc\r\nX: y"})
    assert err.value.option == "headers.Authorization"
    assert "abc" not in str(err.value) and "(hidden)" in str(err.value)


def test_malformed_url_error_redacts_the_password():
    with pytest.raises(OptionError) as err:
        check("http://user:topsecret@[::1/metrics", [{"metric": "up"}])
    assert "topsecret" not in str(err.value)


@pytest.mark.parametrize("params, option", [
    ({"timeout": 0}, "timeout"),
    ({"timeout": -1}, "timeout"),
    ({"expect": []}, "expect"),
    ({"expect": "up"}, "expect"),
    ({"expect": ["up"]}, "expect[0]"),
    ({"expect": [{"metric": "up"}, {"metric": "up{"}]}, "expect[1].metric"),
    ({"expect": [{"metric": "up", "aggregate": "median"}]}, "expect[0].aggregate"),
    ({"expect": [{"metric": "up", "missing": "fine"}]}, "expect[0].missing"),
    ({"expect": [{"metric": "up", "treshold": 1}]}, "expect[0].treshold"),
    ({"expect": [{"metric": "up"}, {"metric": "up"}]}, "expect[1].name"),
    ({"expect": [{"metric": "up", "name": ""}]}, "expect[0].name"),
    ({"headers": {"X-A": ["a", "b"]}}, "headers.X-A"),
    ({"headers": {"Bad Name": "x"}}, "headers.Bad Name"),
    ({"headers": {"X-A": "two\nlines"}}, "headers.X-A"),
    ({"url_username": "u"}, "url_password"),
    ({"url_password": "p"}, "url_username"),
    ({"url_username": "u", "url_password": "p", "bearer_token": "t"}, "bearer_token"),
])
def test_bad_options_name_the_option(params, option):
    params = dict(params)
    expect = params.pop("expect", [{"metric": "up"}])
    with pytest.raises(OptionError) as err:
        check("http://127.0.0.1:1/metrics", expect, **params)
    assert err.value.option == option
    assert "accepted:" in str(err.value)


@pytest.mark.parametrize("expect, option, fragment", [
    ([{"metric": "up"}, {"metric": "up", "name": "b"}, {"metric": "up", "name": "c", "critical": "90:80"}],
     "expect[2].critical", "greater than end"),
    ([{"metric": "up", "warning": "lots"}], "expect[0].warning", "'lots'"),
    ([{"metric": "up", "warning": True}], "expect[0].warning", "not a range"),
    ([{"metric": "request_latency_seconds_sum", "critical": "10GiB"}], "expect[0].critical",
     "does not fit a seconds metric"),
])
def test_bad_ranges_name_the_expectation(expect, option, fragment):
    with pytest.raises(ThresholdError) as err:
        check("http://127.0.0.1:1/metrics", expect)
    assert err.value.option == option
    assert fragment in str(err.value)


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickling_metrics_page_ends_at_the_timeout(part):
    # 91 s with timeout 5 before one deadline covered the whole request.
    server = S.TrickleServer(part)
    try:
        started = time.monotonic()
        results = check(server.url("/metrics"), [{"metric": "up"}], timeout=2)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert len(results) == 1 and results[0]["status"] == "critical"
    assert "timed out after 2 s" in results[0]["summary"]
    assert elapsed < 15  # a bound far below the trickle's hours, not a timing test


def _select(page, *metrics, content_type=""):
    config = _metrics.validate({"url": "http://127.0.0.1:9/metrics", "expect": [{"metric": m} for m in metrics]})
    return _metrics.select(page, None, content_type, config.expectations)


def test_only_the_named_metrics_lines_reach_the_parser_and_names_match_whole():
    page = (b"# HELP up Up.\n# TYPE up gauge\nup 1\n  up{job=\"b\"}\t0\nupx{a=\"b\"} 2\nup_total 3\n"
            b"other_metric{a=\"b\"} not-a-number\n")
    matches, families = _select(page, "up")
    assert matches[0].values == [1.0, 0.0]
    assert families["up"] == "gauge"
    # a pattern on the name parses every line, and the bad value of another metric is then an error
    with pytest.raises(ValueError):
        _select(page, '{__name__=~"up"}')


def test_a_line_that_is_no_sample_still_reaches_the_parser():
    with pytest.raises(ValueError):
        _select(b"up 1\n<html>oops</html>\n", "up")
    with pytest.raises(ValueError):
        _select(b"up 1\n{\"not\": \"a name\"} 1\n", "up")
