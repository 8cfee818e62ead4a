# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The http check against real HTTP(S) servers on 127.0.0.1 and ::1 (see servers.py), with real
certificates made by the cryptography package. No mocks."""

from __future__ import annotations

import datetime
import json
import ssl
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _http, _jsonpath, _metrics, _tls
from ansible_collections.sre.health.plugins.module_utils._web import client, redact
from ansible_collections.sre.health.plugins.module_utils._runner import run_all
from ansible_collections.sre.health.plugins.module_utils._status import OptionError, compile_thresholds
from ansible_collections.sre.health.tests.unit.plugins.module_utils import servers as S

pytest.importorskip("requests")
pytest.importorskip("cryptography")

HOSTS = ["127.0.0.1", "::1"]

# pytest resets warning filters per test; the module itself silences this one (validate_certs=false is explicit)
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def check(thresholds=None, **params):
    compiled = compile_thresholds(thresholds, _http.METRICS, _http.DEFAULT_THRESHOLDS)
    results = _http.run(_http.validate(params), compiled)
    assert len(results) == 1
    return results[0]


def secret_free(result, *secrets):
    text = json.dumps(result)
    for secret in secrets:
        assert secret not in text, "%r leaked into %s" % (secret, text)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return S.Pki(tmp_path_factory.mktemp("pki"))


def _start(host, context=None):
    if ":" in host and not S.has_ipv6():
        pytest.skip("no IPv6 loopback")
    return S.HttpServer(host, context)


@pytest.fixture(scope="module", params=HOSTS)
def web(request):
    """A plain HTTP server, on 127.0.0.1 and then on ::1."""
    server = _start(request.param)
    yield server
    server.close()


@pytest.fixture(scope="module")
def web4():
    server = _start("127.0.0.1")
    yield server
    server.close()


@pytest.fixture(scope="module")
def short_cert(pki):
    """A server certificate that expires in 3 days, signed by the test CA."""
    cert_path, key_path, _cert = pki.issue("short", "localhost", S.in_days(3))
    return cert_path, key_path


@pytest.fixture(scope="module", params=HOSTS)
def tls_web(request, short_cert):
    """HTTPS with the 3-day certificate, on 127.0.0.1 and then on ::1."""
    server = _start(request.param, S.server_context(*short_cert))
    yield server
    server.close()


@pytest.fixture(scope="module")
def mtls_web(pki, short_cert):
    """HTTPS that requires a client certificate signed by the test CA."""
    server = _start("127.0.0.1", S.server_context(short_cert[0], short_cert[1], client_ca=pki.ca_path))
    yield server
    server.close()


@pytest.fixture
def refused():
    sock, port = S.refused_port()
    yield port
    sock.close()


# --- answers ---------------------------------------------------------------------------------

def test_json_endpoint_ok_on_ipv4_and_ipv6(web):
    result = check(url=web.url("/json"))
    body = json.dumps(S.JSON_DOC).encode()
    assert result["status"] == "ok", result["summary"]
    assert result["kind"] == "http" and result["name"] == "http:" + web.url("/json")
    assert result["metrics"]["status_code"] == 200
    assert result["metrics"]["body_bytes"] == len(body)
    assert result["metrics"]["response_time_ms"] > 0
    assert result["metrics"]["cert_days_left"] is None
    assert result["summary"].startswith("%s: HTTP 200 OK in " % web.url("/json"))
    assert result["thresholds"] == {"cert_days_left": {"warning": "14:", "critical": "7:"}}
    assert result["probes"] == 1 and result["retries"] == 0 and result["redirects"] == 0
    assert "certificate" not in result


def test_json_expectations_hold(web):
    result = check(url=web.url("/json"), json={
        "status": "up",
        "data.items.0.state": "running",
        "data.items.-1.name": "cache",
        "data.count": 2.0,
        "data.ok": True,
        "data.ratio": 0.5,
        "data.nothing": None,
        "data.items.1": {"name": "cache", "state": "stopped"},
        "app\\.kubernetes\\.io/name": "web",
    })
    assert result["status"] == "ok", result["summary"]


@pytest.mark.parametrize("path, expected, fragment", [
    ("data.items.5.state", "running", "json path data.items.5.state not found: data.items has 2 items: no index 5"),
    ("data.nope", 1, "json path data.nope not found: data has no key 'nope' (keys: count, items, nothing, ok, ratio)"),
    ("status.deep", 1, 'json path status.deep not found: status is "up", not an object or a list'),
    ("data.items.first", 1, "data.items is a list of 2 items: 'first' is not an index"),
    ("data.ok", 1, "json data.ok is true, expected 1"),
    ("data.count", "2", 'json data.count is 2, expected "2"'),
    ("status", "down", 'json status is "up", expected "down"'),
    ("data.nothing", "", 'json data.nothing is null, expected ""'),
])
def test_json_expectation_failures_are_critical_and_say_where(web4, path, expected, fragment):
    result = check(url=web4.url("/json"), json={path: expected})
    assert result["status"] == "critical"
    assert fragment in result["summary"], result["summary"]
    assert result["metrics"]["status_code"] == 200


def test_body_that_is_not_json_is_critical(web4):
    result = check(url=web4.url("/notjson"), json={"status": "up"})
    assert result["status"] == "critical"
    assert "critical: body is not JSON (Expecting value: line 1 column 1" in result["summary"]


def test_body_regex(web4):
    assert check(url=web4.url("/text"), body_regex=r"(?i)ALL SYSTEMS \w+")["status"] == "ok"
    result = check(url=web4.url("/text"), body_regex="degraded")
    assert result["status"] == "critical"
    assert result["summary"].endswith("(critical: body does not match 'degraded')")


def test_error_status_is_critical(web):
    result = check(url=web.url("/error"))
    assert result["status"] == "critical"
    assert result["metrics"]["status_code"] == 500
    assert "HTTP 500 Internal Server Error in " in result["summary"]
    assert result["summary"].endswith("(critical: status 500, expected any 2xx or 3xx)")


def test_expected_status_list_and_no_retry_of_expected_codes(web4):
    result = check(url=web4.url("/error"), expected_status=[500, 503], retries=2, retry_delay=0.01)
    assert result["status"] == "ok" and result["retries"] == 0
    result = check(url=web4.url("/json"), expected_status=[204])
    assert result["status"] == "critical" and "critical: status 200, expected 204" in result["summary"]
    assert check(url=web4.url("/status/404"), expected_status=[404])["status"] == "ok"


def test_slow_server_times_out_as_critical(web):
    result = check(url=web.url("/slow"), timeout=0.5)
    assert result["status"] == "critical"
    assert result["summary"] == "%s: timed out after 0.5 s (waiting for the answer)" % web.url("/slow")
    assert result["metrics"]["status_code"] is None and result["metrics"]["response_time_ms"] is None


def test_refused_connection_is_critical(refused):
    url = "http://127.0.0.1:%d/health" % refused
    result = check(url=url)
    assert result["status"] == "critical"
    assert result["summary"] == "%s: connection refused" % url
    result = check(url=url, retries=2, retry_delay=0.01)
    assert result["summary"] == "%s: connection refused, after 2 retries" % url
    assert result["retries"] == 2


def test_redirects(web):
    result = check(url=web.url("/redirect"))
    assert result["status"] == "ok" and result["redirects"] == 1
    assert result["final_url"] == web.url("/json")
    assert result["summary"].endswith(", after 1 redirect")
    result = check(url=web.url("/redirect"), follow_redirects=False)
    assert result["status"] == "ok" and result["metrics"]["status_code"] == 302 and result["redirects"] == 0
    result = check(url=web.url("/redirect"), follow_redirects=False, expected_status=[200])
    assert result["status"] == "critical" and "status 302, expected 200" in result["summary"]
    result = check(url=web.url("/redirect-loop"))
    assert result["status"] == "critical" and result["summary"].endswith(": too many redirects (more than 10)")


def test_methods_body_and_headers_are_sent(web4):
    result = check(url=web4.url("/echo"), method="POST", body={"deploy": 42}, headers={"X-Count": 3, "X-Flag": True},
                   json={"method": "POST", "body": '{"deploy": 42}', "headers.Content-Type": "application/json",
                         "headers.X-Count": "3", "headers.X-Flag": "true"})
    assert result["status"] == "ok", result["summary"]
    assert result["summary"].startswith("POST %s: HTTP 200" % web4.url("/echo"))
    result = check(url=web4.url("/echo"), method="PUT", body="plain text", headers={"Content-Type": "text/plain"},
                   json={"method": "PUT", "body": "plain text", "headers.Content-Type": "text/plain"})
    assert result["status"] == "ok", result["summary"]
    result = check(url=web4.url("/json"), method="HEAD")
    assert result["status"] == "ok" and result["metrics"]["body_bytes"] == 0


# --- credentials -----------------------------------------------------------------------------

def test_basic_auth_by_options_and_by_url_never_shows_the_password(web):
    ok = check(url=web.url("/auth"), url_username=S.USER, url_password=S.PASSWORD)
    assert ok["status"] == "ok"
    secret_free(ok, S.PASSWORD)
    bad = check(url=web.url("/auth"), url_username=S.USER, url_password=S.PASSWORD + "-wrong")
    assert bad["status"] == "critical" and "status 401" in bad["summary"]
    secret_free(bad, S.PASSWORD)
    in_url = web.url("/auth").replace("://", "://%s:%s@" % (S.USER, S.PASSWORD))
    result = check(url=in_url, json={"user": "someone-else"})
    assert result["status"] == "critical"
    assert result["url"] == in_url.replace(S.PASSWORD, "********")
    assert result["name"] == "http:" + result["url"] and result["summary"].startswith(result["url"])
    secret_free(result, S.PASSWORD)


def test_password_in_url_is_hidden_in_errors_too(refused):
    url = "http://%s:%s@127.0.0.1:%d/x?token=%s&page=2" % (S.USER, S.PASSWORD, refused, S.API_KEY)
    result = check(url=url)
    assert result["status"] == "critical"
    assert result["summary"] == "http://%s:********@127.0.0.1:%d/x?token=********&page=2: connection refused" % (
        S.USER, refused)
    secret_free(result, S.PASSWORD, S.API_KEY)


def test_sensitive_headers_are_scrubbed_even_when_the_server_echoes_them(web4):
    bearer = "Bearer " + S.API_KEY + "-bearer"
    result = check(url=web4.url("/echo"), headers={"X-Api-Key": S.API_KEY, "Authorization": bearer},
                   json={"headers.X-Api-Key": "other", "headers.Authorization": "other"})
    assert result["status"] == "critical"
    assert 'json headers.X-Api-Key is "********", expected "other"' in result["summary"]
    assert 'json headers.Authorization is "********", expected "other"' in result["summary"]
    secret_free(result, S.API_KEY)
    # the basic credentials requests builds are scrubbed too
    result = check(url=web4.url("/echo"), url_username=S.USER, url_password=S.PASSWORD,
                   json={"headers.Authorization": "other"})
    assert 'json headers.Authorization is "Basic ********"' in result["summary"]
    assert check(url=web4.url("/apikey"), headers={"X-Api-Key": S.API_KEY})["status"] == "ok"


@pytest.mark.parametrize("url, shown", [
    ("https://u:p%40ss@host/x", "https://u:********@host/x"),
    ("http://user@host:8080/", "http://user@host:8080/"),
    ("http://h/?access_token=abc&x=1&apiKey=k#frag", "http://h/?access_token=********&x=1&apiKey=********#frag"),
    ("http://h/?sig=abc&signal=1", "http://h/?sig=********&signal=1"),
    ("http://[::1]:80/p", "http://[::1]:80/p"),
])
def test_redact_url(url, shown):
    assert redact.redact_url(url) == shown


def test_sensitive_values_and_scrubber():
    params = {"url": "https://u:pw%2Fsecret@h/?token=tok123", "url_password": "hunter22",
              "url_username": "bob", "headers": {"Cookie": "sid=abcdef", "X-Trace": "visible",
                                                 "Authorization": "Bearer xyz123"}}
    secrets = set(_http.validate(params).secrets)
    assert {"hunter22", "pw/secret", "pw%2Fsecret", "tok123", "sid=abcdef", "Bearer xyz123", "xyz123"} <= secrets
    assert "visible" not in secrets
    scrub = redact.Scrubber(secrets)
    assert scrub("a hunter22 b pw/secret c") == "a ******** b ******** c"
    assert scrub.deep({"k": ["xyz123"], "n": 1}) == {"k": ["********"], "n": 1}


# --- retries and waiting ---------------------------------------------------------------------

def test_retries_through_urllib3_retry_until_the_server_recovers(web4):
    result = check(url=web4.url("/flaky/recovers/2"), retries=3, retry_delay=0.01, json={"attempt": 3})
    assert result["status"] == "ok", result["summary"]
    assert result["retries"] == 2 and result["summary"].endswith(", after 2 retries")
    result = check(url=web4.url("/flaky/gives-up/5"), retries=1, retry_delay=0.01)
    assert result["status"] == "critical" and result["metrics"]["status_code"] == 503
    assert result["retries"] == 1
    assert "after 1 retry (critical: status 503, expected any 2xx or 3xx)" in result["summary"]


def test_timeouts_are_retried_too(web4):
    result = check(url=web4.url("/slow"), timeout=0.3, retries=1, retry_delay=0.01)
    assert result["status"] == "critical" and result["retries"] == 1
    assert result["summary"].endswith("timed out after 0.3 s (waiting for the answer), after 1 retry")


def test_retry_policy_is_urllib3_retry_with_backoff_from_the_first_retry():
    from urllib3.util.retry import Retry

    cfg = _http.validate({"url": "http://127.0.0.1/", "retries": 10, "retry_delay": 0.5, "expected_status": [503]})
    retry = client.make_retry(cfg.retries, cfg.retry_delay, cfg.expected)
    assert isinstance(retry, Retry) and retry.total == 10
    assert 503 not in retry.status_forcelist and {429, 500, 502, 504} <= set(retry.status_forcelist)
    assert retry.respect_retry_after_header is False and retry.raise_on_status is False
    delays = []
    for _attempt in range(9):
        retry = retry.increment(method="POST", url="/", error=ConnectionResetError())
        delays.append(retry.get_backoff_time())
    assert delays[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert max(delays) == client.MAX_BACKOFF


def test_wait_timeout_probes_until_a_late_service_answers():
    # bound now, listening only after 1 s: the first probes are refused
    server = S.HttpServer("127.0.0.1", delay=1.0)
    try:
        result = check(url=server.url("/json"), wait_timeout=20, retry_delay=0.1)
    finally:
        server.close()
    assert result["status"] == "ok", result["summary"]
    assert result["probes"] >= 2
    assert "healthy after %d probes in " % result["probes"] in result["summary"]


def test_wait_timeout_gives_up_and_reports_the_last_probe(web4):
    # 2 s: room for two probes on any machine (0.3 s was not, on a loaded one)
    result = check(url=web4.url("/error"), wait_timeout=2, retry_delay=0.1)
    assert result["status"] == "critical" and result["probes"] >= 2
    assert "still failing after %d probes" % result["probes"] in result["summary"]
    assert result["summary"].endswith("(critical: status 500, expected any 2xx or 3xx)")


# --- TLS -------------------------------------------------------------------------------------

def test_certificate_expiring_in_3_days_is_critical(tls_web, pki):
    result = check(url=tls_web.url("/json"), ca_path=pki.ca_path)
    assert result["status"] == "critical"
    assert result["metrics"]["status_code"] == 200
    assert 2.9 < result["metrics"]["cert_days_left"] <= 3.0
    assert result["summary"].endswith("certificate expires in 3 d (critical: cert_days_left 3 d < 7 d)")
    cert = result["certificate"]
    assert cert["subject"] == "CN=localhost" and cert["issuer"] == "CN=sre-health test CA, O=sre.health tests"
    assert cert["verified"] is True
    relaxed = check({"cert_days_left": {"warning": "2:", "critical": "1:"}}, url=tls_web.url("/json"),
                    ca_path=pki.ca_path)
    assert relaxed["status"] == "ok"


def test_certificate_is_measured_without_verification(tls_web):
    result = check({"cert_days_left": {"warning": "", "critical": "1:"}}, url=tls_web.url("/json"),
                   validate_certs=False)
    assert result["status"] == "ok" and 2.9 < result["metrics"]["cert_days_left"] <= 3.0
    assert result["certificate"]["verified"] is False


def test_unverifiable_certificate_is_critical_and_still_measured(tls_web):
    result = check(url=tls_web.url("/json"))
    assert result["status"] == "critical"
    assert "certificate verify failed: unable to get local issuer certificate" in result["summary"]
    assert result["metrics"]["status_code"] is None
    assert 2.9 < result["metrics"]["cert_days_left"] <= 3.0


def test_expired_certificate(pki):
    now = datetime.datetime.now(datetime.timezone.utc)
    cert_path, key_path, _cert = pki.issue("expired", "localhost", now - datetime.timedelta(days=2),
                                           not_before=now - datetime.timedelta(days=30))
    server = _start("127.0.0.1", S.server_context(cert_path, key_path))
    try:
        verified = check(url=server.url("/"), ca_path=pki.ca_path)
        unverified = check(url=server.url("/json"), validate_certs=False)
    finally:
        server.close()
    assert verified["status"] == "critical"
    assert "certificate verify failed: certificate has expired" in verified["summary"]
    assert "certificate expired 2 d ago" in verified["summary"]
    assert -2.01 < verified["metrics"]["cert_days_left"] < -1.99
    assert unverified["status"] == "critical" and unverified["metrics"]["status_code"] == 200
    assert "cert_days_left -2 d < 7 d" in unverified["summary"]


def test_mutual_tls(mtls_web, pki, tmp_path):
    client_cert, client_key, _cert = pki.issue("client", "monitor", S.in_days(90), client=True)
    result = check(url=mtls_web.url("/json"), ca_path=pki.ca_path, client_cert=client_cert, client_key=client_key,
                   thresholds=None)
    assert result["metrics"]["status_code"] == 200, result["summary"]
    combined = tmp_path / "client-combined.pem"
    combined.write_bytes(open(client_cert, "rb").read() + open(client_key, "rb").read())
    result = check(url=mtls_web.url("/json"), ca_path=pki.ca_path, client_cert=str(combined))
    assert result["metrics"]["status_code"] == 200, result["summary"]
    without = check(url=mtls_web.url("/json"), ca_path=pki.ca_path)
    assert without["status"] == "critical" and without["metrics"]["status_code"] is None
    assert "certificate required" in without["summary"] or "TLS error" in without["summary"], without["summary"]


# --- certificate reader (the cryptography package is the oracle) -----------------------------

@pytest.mark.parametrize("not_after", [
    datetime.datetime(2031, 5, 17, 8, 30, 15, tzinfo=datetime.timezone.utc),   # UTCTime
    datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc),  # last UTCTime year
    datetime.datetime(2050, 1, 1, 0, 0, 0, tzinfo=datetime.timezone.utc),      # GeneralizedTime from 2050
    datetime.datetime(2124, 2, 29, 12, 0, 0, tzinfo=datetime.timezone.utc),
])
def test_certificate_dates_agree_with_cryptography(pki, not_after):
    from cryptography.hazmat.primitives import serialization

    _path, _key, cert = pki.issue("dated", "dated.example", not_after,
                                  not_before=datetime.datetime(1999, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
    parsed = _tls.parse_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert parsed["not_after"] == cert.not_valid_after_utc == not_after
    assert parsed["not_before"] == cert.not_valid_before_utc
    assert parsed["subject"] == "CN=dated.example"
    assert _tls.days_left(not_after, not_after - datetime.timedelta(days=3, hours=12)) == 3.5


@pytest.mark.parametrize("der", [b"", b"\x30\x03\x02\x01\x01", b"\x04\x02ab", b"\x30\x82\xff\xff\x30"])
def test_garbage_is_not_a_certificate(der):
    with pytest.raises(_tls.CertificateError):
        _tls.parse_certificate(der)
    left, details = _tls.certificate_info(der)
    assert left is None and details["error"]


def test_ssl_errors_are_described():
    err = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    err.verify_message = "certificate has expired"
    assert _tls.describe_ssl_error(err) == "certificate verify failed: certificate has expired"
    assert _tls.describe_ssl_error(ConnectionRefusedError(111, "Connection refused")) == "connection refused"


# --- options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("params, option, fragments", [
    ({"url": "127.0.0.1:8080/health"}, "url", ["scheme '' is not http or https"]),
    ({"url": "ftp://host/"}, "url", ["scheme 'ftp'"]),
    ({"url": "http:///path"}, "url", ["(no host)"]),
    ({"url": "http://[::1:80/"}, "url", ["Invalid IPv6 URL"]),
    ({"url": "http://127.0.0.1:99999/"}, "url", ["out of range"]),
    ({"url": "http://127.0.0.1/a b"}, "url", ["no spaces"]),
    ({"url": ""}, "url", ["an http:// or https:// URL"]),
    ({"url": "http://h/", "method": "FETCH"}, "method", ["GET, HEAD, POST"]),
    ({"url": "http://h/", "timeout": 0}, "timeout", ["greater than 0"]),
    ({"url": "http://h/", "retries": -1}, "retries", ["from 0"]),
    ({"url": "http://h/", "retry_delay": -1}, "retry_delay", ["from 0"]),
    ({"url": "http://h/", "wait_timeout": -5}, "wait_timeout", ["from 0"]),
    ({"url": "http://h/", "expected_status": [200, 99]}, "expected_status", ["100 to 599"]),
    ({"url": "http://h/", "expected_status": []}, "expected_status", ["non-empty list"]),
    ({"url": "http://h/", "body_regex": "(unclosed"}, "body_regex",
     ["valid Python regular expression", "missing )"]),
    ({"url": "http://h/", "json": {"a..b": 1}}, "json", ["empty segment", "data.items.0.state"]),
    ({"url": "http://h/", "json": {"": 1}}, "json", ["dotted paths"]),
    ({"url": "http://h/", "json": {"a": 1}, "method": "HEAD"}, "json", ["need a body"]),
    ({"url": "http://h/", "headers": {"Bad Name": "x"}}, "headers", ["header names"]),
    ({"url": "http://h/", "headers": {"X-Ok": "a\r\nInjected: 1"}}, "headers.X-Ok", ["single-line"]),
    ({"url": "http://h/", "client_key": "/k.pem"}, "client_key", ["together with client_cert"]),
    ({"url": "http://h/", "url_password": "pw-secret-1"}, "url_username", ["together with url_password"]),
])
def test_bad_options_name_the_option_and_what_is_accepted(params, option, fragments):
    with pytest.raises(OptionError) as info:
        _http.run(_http.validate(params), {})
    message = str(info.value)
    assert info.value.option == option
    assert message.startswith("option %s: " % option)
    for fragment in fragments:
        assert fragment in message, message
    assert "pw-secret-1" not in message


def test_bad_options_never_show_secrets():
    with pytest.raises(OptionError) as info:
        _http.validate({"url": "http://u:%s@h:0/" % S.PASSWORD})
    assert S.PASSWORD not in str(info.value) and "u:********@h:0" in str(info.value)
    with pytest.raises(OptionError) as info:
        _http.validate({"url": "http://h/", "headers": {"Authorization": "Bearer %s\n" % S.API_KEY}})
    assert S.API_KEY not in str(info.value) and "********" in str(info.value)


def test_tls_files_are_checked_before_any_request(pki, tmp_path):
    cert_a, key_a, _cert = pki.issue("file-a", "a", S.in_days(30), client=True)
    _cert_b, key_b, _cert = pki.issue("file-b", "b", S.in_days(30), client=True)
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n")
    cases = [
        ({"ca_path": str(tmp_path / "missing.pem")}, "ca_path", "no such file or directory"),
        ({"ca_path": str(not_pem)}, "ca_path", "a readable PEM file of CA certificates"),
        ({"client_cert": str(tmp_path / "missing.pem")}, "client_cert", "an existing PEM file"),
        ({"client_cert": str(not_pem)}, "client_cert", "a PEM certificate and its unencrypted private key"),
        ({"client_cert": cert_a, "client_key": key_b}, "client_key", "matching each other"),
        ({"client_cert": cert_a}, "client_cert", "a PEM certificate and its unencrypted private key"),
    ]
    for params, option, fragment in cases:
        with pytest.raises(OptionError) as info:
            _http.validate(dict(url="https://127.0.0.1/", **params))
        assert info.value.option == option and fragment in str(info.value), str(info.value)
    assert _http.validate({"url": "https://127.0.0.1/", "client_cert": cert_a, "client_key": key_a,
                           "ca_path": pki.ca_path}).client_key == key_a


@pytest.mark.parametrize("path, segments", [
    ("status", ["status"]),
    ("data.items.0.state", ["data", "items", "0", "state"]),
    ("a\\.b.c", ["a.b", "c"]),
    ("a\\\\.b", ["a\\", "b"]),
    ("-1", ["-1"]),
])
def test_json_path_syntax(path, segments):
    assert _jsonpath.parse_json_path(path) == segments


# --- concurrency -----------------------------------------------------------------------------

def test_checks_run_concurrently_in_worker_threads(web4, refused):
    """As health_check runs them: many checks at once in the runner's daemon threads."""
    compiled = compile_thresholds(None, _http.METRICS, _http.DEFAULT_THRESHOLDS)
    urls = [web4.url("/json"), web4.url("/error"), "http://127.0.0.1:%d/" % refused, web4.url("/redirect")] * 3
    outcome = run_all([(lambda u=u: _http.run(_http.validate({"url": u}), compiled, name=u), 10) for u in urls], max_workers=6)
    statuses = []
    for url, (value, exc, _duration) in zip(urls, outcome.results):
        assert exc is None, exc
        assert value[0]["name"] == url
        statuses.append(value[0]["status"])
    assert statuses == ["ok", "critical", "critical", "ok"] * 3


@pytest.mark.parametrize("part", ["headers", "body"])
def test_one_deadline_covers_the_whole_exchange_against_a_trickling_server(part):
    # One byte every half second never lets a socket read time out: with timeout 5 this took 91 s,
    # and the slow headers were even reported ok.
    server = S.TrickleServer(part)
    try:
        started = time.monotonic()
        result = check(url=server.url("/health"), timeout=2)
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert result["status"] == "critical"
    phase = "waiting for the answer" if part == "headers" else "reading the body"
    assert "timed out after 2 s (%s)" % phase in result["summary"]
    assert elapsed < 15  # the trickle alone would take hours; a bound, not a timing test


@pytest.mark.parametrize("retries, ok", [(10, True), (11, False), (2000, False), (10 ** 15, False)])
def test_retries_are_bounded(retries, ok):
    # 2000 ended in RecursionError, 1e15 never returned.
    if ok:
        assert _http.validate({"url": "http://127.0.0.1/", "retries": retries}).retries == retries
        return
    with pytest.raises(OptionError) as err:
        _http.validate({"url": "http://127.0.0.1/", "retries": retries})
    assert "option retries: %r is invalid; accepted: a whole number from 0 to 10" % retries in str(err.value)


def test_the_exchange_limit_adds_every_attempt_and_pause():
    req = client.Request("http://127.0.0.1/", timeout=2.0, retries=3, retry_delay=1.0)
    assert client.exchange_limit(req) == 2.0 * 4 + 1 + 2 + 4


@pytest.mark.parametrize("module", ["http", "metrics"])
def test_credentials_never_follow_a_redirect_to_another_origin(module):
    # X-Api-Key, Private-Token, X-Auth-Token and basic auth went along to any host or port a redirect named.
    first, other = S.HttpServer(), S.HttpServer()
    try:
        headers = {"X-Api-Key": "k-123456", "Private-Token": "p-123456", "X-Auth-Token": "t-123456",
                   "X-Trace": "kept-everywhere"}
        away = first.url("/redirect-to?url=" + other.url("/echo"))
        home = first.url("/redirect-to?url=/echo")
        params = dict(url=away, headers=headers, url_username="svc", url_password="pw-123456")
        kind = _http if module == "http" else _metrics
        extra = {} if module == "http" else {"expect": [{"metric": "up"}]}
        answer = client.send(kind.request(kind.validate(dict(params, **extra))))
        same = client.send(kind.request(kind.validate(dict(params, url=home, **extra))))
    finally:
        first.close()
        other.close()
    received = json.loads(answer.body)["headers"]
    assert answer.redirects == 1 and received["X-Trace"] == "kept-everywhere"
    lowered = dict((k.lower(), v) for k, v in received.items())
    assert [h for h in ("x-api-key", "private-token", "x-auth-token", "authorization") if h in lowered] == []
    kept = dict((k.lower(), v) for k, v in json.loads(same.body)["headers"].items())
    assert kept["x-api-key"] == "k-123456" and kept["authorization"].startswith("Basic ")


# --- hostile input: a body nested deeper than any API answer -------------------------------------

@pytest.mark.parametrize("path", ["/deep/5000", "/deep-object/5000", "/deep/513", "/deep-object/100000"])
def test_a_body_nested_too_deep_is_critical_and_says_where_it_gave_up(web4, path):
    """json.loads raised RecursionError on it and the check was unknown (a traceback's text)."""
    result = check(url=web4.url(path), json={"status": "up"})
    assert result["status"] == "critical", result["summary"]
    assert "critical: body is JSON nested deeper than 512 levels (gave up at depth 513): json not checked" \
        in result["summary"], result["summary"]
    assert result["metrics"]["status_code"] == 200


def test_a_body_nested_to_the_limit_is_judged(web4):
    result = check(url=web4.url("/deep-object/512"), json={".".join(["a"] * 511) + ".status": "up"})
    assert result["status"] == "ok", result["summary"]
    result = check(url=web4.url("/deep/512"), json={"0.0": []})
    assert result["status"] == "critical" and "critical: json 0.0 is [[[[" in result["summary"], result["summary"]
