# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``http`` check kind: one HTTP(S) request, judged on its status, body, time and certificate.

Rules (documented in the http_check module):

- An answer whose status is not expected (default: any 2xx or 3xx after redirects), whose body
  does not match ``body_regex``, or whose JSON does not hold the ``json`` expectations
  (``_jsonpath``) is ``critical``; so is a refused connection, a timeout, a TLS or name
  resolution failure, and the summary says which ("connection refused", "timed out after 5 s").
- ``retries`` go through urllib3's Retry mounted on a requests HTTPAdapter (connection errors,
  timeouts, 429 and 5xx answers that are not expected), with exponential backoff (``_web.client``).
- ``wait_timeout`` repeats the whole probe until it is ``ok`` or the time runs out.
- Credentials never appear in results: URL passwords and credential-like query values are
  replaced by ``********``, and every known secret (url_password, sensitive header values) is
  scrubbed from every text the check returns, exception messages included (``_web.redact``).

Thread-safe: every probe uses its own requests session; nothing global is written at run time.
"""

from __future__ import annotations

import codecs
import json
import re
import time

from ansible_collections.sre.health.plugins.module_utils import _jsonpath, _jsontext, _tls
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._kind import Config, param
from ansible_collections.sre.health.plugins.module_utils._pattern import compile_regex
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    MAX_TIMEOUT,
    OK,
    UNKNOWN,
    check_timeout,
    describe_breaches,
    evaluate,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import (
    BYTES,
    COUNT,
    DAYS,
    MILLISECONDS,
    SECONDS,
    format_quantity,
)
from ansible_collections.sre.health.plugins.module_utils._web import client
from ansible_collections.sre.health.plugins.module_utils._web.errors import shorten
from ansible_collections.sre.health.plugins.module_utils._web.options import check_headers, check_tls_files
from ansible_collections.sre.health.plugins.module_utils._web.redact import (
    MASK,
    Scrubber,
    header_text,
    redact_url,
    request_secrets,
)
from ansible_collections.sre.health.plugins.module_utils._web.urls import check_url

KIND = "http"

METRICS = {
    "status_code": COUNT,
    "response_time_ms": MILLISECONDS,
    "body_bytes": BYTES,
    "cert_days_left": DAYS,
}

# No response time bound fits every endpoint: set thresholds.response_time_ms yourself.
DEFAULT_THRESHOLDS = {
    "cert_days_left": dict(_tls.DEFAULT_CERT_THRESHOLDS),
}

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRY_DELAY = 1.0
# Pause between wait_timeout probes when retry_delay is 0.
MIN_PROBE_INTERVAL = 0.1
# At most this much of the body is kept for body_regex and json (body_bytes counts all of it).
MAX_BODY_KEPT = 16 * 1024 * 1024

OPTIONS = dict(
    url=dict(type="str", required=True),
    method=dict(type="str", default="GET", choices=list(METHODS)),
    headers=dict(type="dict"),
    body=dict(type="raw"),
    expected_status=dict(type="list", elements="int"),
    body_regex=dict(type="str"),
    json=dict(type="dict"),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    retries=dict(type="int", default=0),
    retry_delay=dict(type="float", default=DEFAULT_RETRY_DELAY),
    wait_timeout=dict(type="float"),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path"),
    url_username=dict(type="str"),
    url_password=dict(type="str", no_log=True),
    follow_redirects=dict(type="bool", default=True),
)

# client_key needs client_cert and url_password needs url_username: validate() says so in its
# own words (naming the option to add), so no spec constraint repeats it.
CONSTRAINTS = {}

REQUIRES = {
    "requests": client.available,
}

# Feeds host- or peer-chosen text to user patterns or parsers: a child process (see _kind).
ISOLATED = True

_CHARSET_RE = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.I)


# --- options -----------------------------------------------------------------------------

def _seconds(params, option, accepted, allow_none=False):
    value = params.get(option) if allow_none else param(OPTIONS, params, option)
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_TIMEOUT:
        raise OptionError(option, value, "%s, at most %d (one day)" % (accepted, MAX_TIMEOUT))
    return float(value)


def _timing(params):
    """timeout, retries, retry_delay and wait_timeout."""
    retries = param(OPTIONS, params, "retries")
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= client.MAX_RETRIES:
        raise OptionError("retries", retries, "a whole number from 0 to %d" % client.MAX_RETRIES)
    return dict(
        timeout=check_timeout("timeout", param(OPTIONS, params, "timeout"), allow_none=False),
        retries=retries,
        retry_delay=_seconds(params, "retry_delay", "a number of seconds from 0"),
        wait_timeout=_seconds(params, "wait_timeout", "a number of seconds from 0 (0 or unset: probe once)",
                              allow_none=True) or None,
    )


def _body(params, headers):
    """The request body as bytes (dicts and lists as JSON, with its Content-Type), or None."""
    body = params.get("body")
    if body is None:
        return None
    if isinstance(body, (dict, list)):
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        return json.dumps(body).encode("utf-8")
    if isinstance(body, bytes):
        return body
    return header_text(body).encode("utf-8")


def _expected_status(expected):
    if expected is None:
        return None
    if not isinstance(expected, list) or not expected:
        raise OptionError("expected_status", expected, "a non-empty list of HTTP status codes (100 to 599)")
    for code in expected:
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise OptionError("expected_status", code, "HTTP status codes from 100 to 599")
    return sorted(set(expected))


def _judged(params, method):
    """expected_status, body_regex and json; the last two need a body."""
    regex = compile_regex("body_regex", params.get("body_regex"))
    expectations = []
    if params.get("json") is not None:
        expectations = _jsonpath.parse_expectations(params["json"])
        if method == "HEAD":
            raise OptionError("json", "(with method HEAD)", "json and body_regex need a body: use GET")
    if regex is not None and method == "HEAD":
        raise OptionError("body_regex", "(with method HEAD)", "json and body_regex need a body: use GET")
    return dict(expected=_expected_status(params.get("expected_status")), regex=regex, json=expectations)


def _credentials(params):
    username = params.get("url_username")
    if params.get("url_password") is not None and not username:
        raise OptionError("url_username", username, "url_username together with url_password")
    if username is not None and (not isinstance(username, str) or ":" in username):
        raise OptionError("url_username", username, "a user name without ':'")
    return dict(username=username, password=params.get("url_password"))


def validate(params):
    """Check every option once; return the Config ``run`` uses. Raises OptionError naming
    option, value and what is accepted; the TLS files are loaded here, not again at run time."""
    secrets = request_secrets(params.get("url"), params.get("headers"), params.get("url_username"),
                              (params.get("url_password"),))
    scrub = Scrubber(secrets)
    url = check_url(params.get("url"))
    method = param(OPTIONS, params, "method")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise OptionError("method", method, ", ".join(METHODS))
    method = method.upper()
    values = _timing(params)
    headers = check_headers(params.get("headers"), hidden=MASK)
    values.update(_judged(params, method))
    values.update(check_tls_files(params))
    values.update(_credentials(params))
    data = _body(params, headers)
    client.check_prepared(method, url, headers, scrub)
    config = Config(url=url, shown_url=redact_url(url), method=method, headers=headers, data=data,
                    validate_certs=bool(param(OPTIONS, params, "validate_certs")),
                    follow_redirects=bool(param(OPTIONS, params, "follow_redirects")), scrub=scrub, **values)
    config.secrets = tuple(sorted(secrets))
    # Only a body judged by the user's pattern or JSON paths needs a child process; the exchange
    # itself is bounded by the client's deadline in a thread.
    config.isolated = config.regex is not None or bool(config.json)
    # An https check reads the server's certificate (a redirect to https does too, rarely: it then
    # imports cryptography itself).
    if url.lower().startswith("https://"):
        _tls.preload()
        config.libraries = ("cryptography",)
    return config


# --- one probe ---------------------------------------------------------------------------

def request(config):
    """The client request of one probe."""
    auth = (config.username, config.password or "") if config.username else None
    return client.Request(
        config.url, method=config.method, headers=config.headers, data=config.data, auth=auth,
        timeout=config.timeout, validate_certs=config.validate_certs, ca_path=config.ca_path,
        client_cert=config.client_cert, client_key=config.client_key, retries=config.retries,
        retry_delay=config.retry_delay, expected=config.expected, follow_redirects=config.follow_redirects,
        keep_bytes=MAX_BODY_KEPT, want_certificate=True)


def probe(config):
    """Send the request once (with its retries); never raises for network trouble."""
    return client.send(request(config))


# --- judging -----------------------------------------------------------------------------

def _charset(content_type):
    match = _CHARSET_RE.search(content_type or "")
    if match:
        try:
            return codecs.lookup(match.group(1)).name
        except LookupError:
            pass
    return "utf-8"


def _expected_text(expected):
    if expected is None:
        return "any 2xx or 3xx"
    return ", ".join(str(c) for c in expected)


def _body_problems(config, answer):
    """What the status, body_regex and json expectations say of an answer."""
    problems = []
    if answer.failure:
        problems.append("critical: %s" % answer.failure)
    status_ok = 200 <= answer.code <= 399 if config.expected is None else answer.code in config.expected
    if not status_ok:
        problems.append("critical: status %d, expected %s" % (answer.code, _expected_text(config.expected)))
    if answer.failure or not (config.regex is not None or config.json):
        return problems
    text = answer.body.decode(_charset(answer.content_type), "replace")
    if config.regex is not None and not config.regex.search(text):
        problems.append("critical: body does not match '%s'" % config.regex.pattern)
    if config.json:
        try:
            document = _jsontext.loads(text)
        except _jsontext.TooDeep as exc:
            # json.loads would recurse into it and raise RecursionError; no API nests that deep
            problems.append("critical: body is JSON %s (gave up at depth %d): json not checked" % (exc, exc.limit + 1))
        except ValueError as exc:
            problems.append("critical: body is not JSON (%s)" % shorten(str(exc), 80))
        else:
            problems.extend(_jsonpath.problems(document, config.json))
    return problems


def _headline(answer, metrics):
    headline = "HTTP %d%s in %s, %s" % (
        answer.code, (" " + answer.reason) if answer.reason else "",
        format_quantity(answer.elapsed_ms, MILLISECONDS), format_quantity(answer.body_bytes, BYTES))
    if metrics["cert_days_left"] is not None:
        headline += ", " + _tls.expiry_phrase(metrics["cert_days_left"])
    if answer.redirects:
        headline += ", after %d redirect%s" % (answer.redirects, "" if answer.redirects == 1 else "s")
    return headline


def _worst(status, problems):
    levels = [CRITICAL for p in problems if p.startswith("critical:")]
    levels += [UNKNOWN for p in problems if p.startswith("unknown:")]
    return worst([status] + levels)


def judge_probe(config, answer, compiled):
    """(status, metrics, headline, problems, certificate details) for one probe."""
    metrics = {"status_code": None, "response_time_ms": None, "body_bytes": None, "cert_days_left": None}
    cert_details = None
    if answer.cert_der and _tls.available():
        metrics["cert_days_left"], cert_details = _tls.certificate_info(answer.cert_der)
    problems = _tls.cert_problems(answer.cert_der, compiled)
    if answer.code is None:
        status, breaches = evaluate(metrics, compiled, METRICS)
        problems += [describe_breaches(breaches)] if breaches else []
        return worst([CRITICAL, _worst(status, problems)]), metrics, str(answer.failure), problems, cert_details
    metrics["status_code"] = answer.code
    metrics["response_time_ms"] = round(answer.elapsed_ms, 3) if answer.elapsed_ms is not None else None
    metrics["body_bytes"] = answer.body_bytes
    problems = _body_problems(config, answer) + problems
    status, breaches = evaluate(metrics, compiled, METRICS)
    if breaches:
        problems.append(describe_breaches(breaches))
    return _worst(status, problems), metrics, _headline(answer, metrics), problems, cert_details


# --- the check ---------------------------------------------------------------------------

def _probe_until_ok(config, compiled):
    """Probe once, or until ok while wait_timeout lasts: (answer, judgement, probes, seconds)."""
    started = time.monotonic()
    deadline = started + config.wait_timeout if config.wait_timeout else None
    probes = 0
    while True:
        probes += 1
        answer = probe(config)
        judgement = judge_probe(config, answer, compiled)
        now = time.monotonic()
        if judgement[0] == OK or deadline is None or now >= deadline:
            return answer, judgement, probes, time.monotonic() - started
        time.sleep(max(MIN_PROBE_INTERVAL, min(config.retry_delay or MIN_PROBE_INTERVAL, deadline - now)))


def _summary(config, answer, judgement, probes, elapsed):
    status, metrics, headline, problems, _details = judgement
    subject = config.shown_url if config.method == "GET" else "%s %s" % (config.method, config.shown_url)
    notes = []
    if answer.retries:
        notes.append("after %d retr%s" % (answer.retries, "y" if answer.retries == 1 else "ies"))
    if probes > 1:
        verb = "healthy after" if status == OK else "still failing after"
        notes.append("%s %d probes in %s" % (verb, probes, format_quantity(elapsed, SECONDS)))
    if answer.code is None and metrics["cert_days_left"] is not None:
        notes.append(_tls.expiry_phrase(metrics["cert_days_left"]))
    summary = "%s: %s" % (subject, headline)
    if notes:
        summary += ", " + ", ".join(notes)
    if problems:
        summary += " (%s)" % "; ".join(problems)
    return summary


def _extra(config, answer, cert_details, probes):
    extra = dict(
        url=config.shown_url,
        method=config.method,
        final_url=redact_url(answer.url) if answer.url else None,
        redirects=answer.redirects,
        retries=answer.retries,
        probes=probes,
    )
    if cert_details is not None:
        cert_details["verified"] = config.validate_certs
        extra["certificate"] = cert_details
    elif answer.cert_error or (answer.cert_der and not _tls.available()):
        extra["certificate"] = {"error": answer.cert_error or _tls.missing_library()}
    return extra


def run(config, compiled, name=KIND):
    answer, judgement, probes, elapsed = _probe_until_ok(config, compiled)
    status, metrics = judgement[0], judgement[1]
    scrub = config.scrub
    summary = _summary(config, answer, judgement, probes, elapsed)
    extra = _extra(config, answer, judgement[4], probes)
    result_name = "%s:%s" % (name, config.shown_url) if name == KIND else name
    return [make_result(scrub(result_name), KIND, status, scrub(summary), metrics, thresholds_as_text(compiled),
                        elapsed * 1000.0, **scrub.deep(extra))]
