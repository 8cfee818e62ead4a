# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``metrics`` check kind: expectations on a Prometheus exposition endpoint.

The page is fetched with requests and parsed with prometheus_client's own parser (the text
format, or OpenMetrics when the server answers with that content type). Each expectation
selects samples by SAMPLE name (as they appear on the page: ``foo_total`` for a counter,
``foo_bucket``/``foo_sum``/``foo_count`` for a histogram) and labels, aggregates them into one
value and judges it against its warning/critical ranges. One result per expectation, always,
whatever went wrong, so that reports keep the same columns.

Status rules (documented in the metrics_check module):

- no sample matches: ``critical`` by default (``missing`` per expectation); with
  ``aggregate: count`` zero matches is a measurement (0) judged by the thresholds.
- the page cannot be parsed: ``unknown`` with the parser's message.
- HTTP error status, connection refused, timeout, TLS or DNS failure: ``critical``, saying which.

Thread-safe: no globals are written, every run uses its own requests session.
"""

from __future__ import annotations

import math
import re
import ssl
import time

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ansible_collections.sre.health.plugins.module_utils._ranges import NagiosRange, RangeError
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    OptionError,
    ThresholdError,
    check_timeout,
    evaluate,
    make_result,
    thresholds_as_text,
)
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, SECONDS, format_quantity

try:
    import requests
except ImportError:
    requests = None

try:
    from prometheus_client.parser import text_string_to_metric_families as _parse_text
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as _parse_openmetrics
except ImportError:
    _parse_text = None
    _parse_openmetrics = None

KIND = "metrics"

# ``value`` is the aggregate of the matched samples, ``samples`` how many matched.
METRICS = {
    "value": COUNT,
    "samples": COUNT,
}

# No default bound fits every metric: each expectation states its own.
DEFAULT_THRESHOLDS = {}

AGGREGATES = ("sum", "min", "max", "avg", "count")
MISSING_CHOICES = (CRITICAL, WARNING, UNKNOWN, OK)

DEFAULT_TIMEOUT = 10.0
MAX_PAGE_BYTES = 64 * 1024 * 1024
# How many matched series a result lists (the value aggregates all of them).
MAX_SERIES = 20
ACCEPT = "text/plain;version=0.0.4;q=1.0,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"

EXPECT_OPTIONS = dict(
    metric=dict(type="str", required=True),
    labels=dict(type="dict"),
    aggregate=dict(type="str", default="sum", choices=list(AGGREGATES)),
    warning=dict(type="raw"),
    critical=dict(type="raw"),
    missing=dict(type="str", default="critical", choices=list(MISSING_CHOICES)),
    name=dict(type="str"),
)

OPTIONS = dict(
    url=dict(type="str", required=True),
    expect=dict(type="list", elements="dict", required=True, options=EXPECT_OPTIONS),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    headers=dict(type="dict"),
    url_username=dict(type="str"),
    url_password=dict(type="str", no_log=True),
    bearer_token=dict(type="str", no_log=True),
)

MUTUALLY_EXCLUSIVE = [["bearer_token", "url_username"]]
REQUIRED_TOGETHER = [["url_username", "url_password"]]

REQUIRES = {
    "requests": lambda: requests is not None,
    "prometheus_client": lambda: _parse_text is not None,
}

# Header names whose values are credentials: never echoed (see sensitive_values()).
_SENSITIVE_HEADER_RE = re.compile(r"authorization|cookie|token|secret|api[-_]?key|password|passwd|auth", re.I)
_SENSITIVE_QUERY_RE = re.compile(r"token|secret|key|password|passwd|auth|signature|sig$", re.I)

_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_BAD_HEADER_VALUE_RE = re.compile(r"[\r\n\x00]|^\s")
_LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_SELECTOR_RE = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$", re.S)
_MATCHER_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)', re.S)
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}

SELECTOR_SYNTAX = (
    'a sample name such as http_requests_total, optionally with PromQL label matchers: '
    'http_requests_total{code=~"5..",method!="GET"} (operators = != =~ !~, values in double quotes, '
    'regexes fully anchored), or {__name__=~"regex"} alone'
)


class Matcher(object):
    """One label matcher; an absent label has the value "" (as in PromQL)."""

    __slots__ = ("label", "op", "value", "regex")

    def __init__(self, label, op, value, regex=None):
        self.label = label
        self.op = op
        self.value = value
        self.regex = regex

    def matches(self, labels):
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = self.regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def text(self):
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return '%s%s"%s"' % (self.label, self.op, escaped)


def _unescape(text):
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _label_text(value):
    """A YAML scalar as Prometheus label text: true/false for booleans, digits for numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def parse_selector(text, labels=None, option="metric"):
    """Parse ``text`` (a name and/or PromQL matchers) plus an exact ``labels`` dict into matchers.

    Returns ``(matchers, display)``; ``display`` is the selector written back in PromQL form.
    """
    if not isinstance(text, str) or not text.strip():
        raise OptionError(option, text, SELECTOR_SYNTAX)
    match = _SELECTOR_RE.match(text)
    if not match:
        raise OptionError(option, text, SELECTOR_SYNTAX)
    name, body = match.group(1), match.group(2)
    matchers = []
    if name:
        matchers.append(Matcher("__name__", "=", name))
    if body is not None and body.strip():
        pos = 0
        while pos < len(body):
            found = _MATCHER_RE.match(body, pos)
            if not found or found.end() == pos:
                raise OptionError(option, text, "%s (cannot read matcher at %r)" % (SELECTOR_SYNTAX, body[pos:pos + 30]))
            label, op, raw = found.group(1), found.group(2), _unescape(found.group(3))
            if label == "__name__" and name:
                raise OptionError(option, text, "%s (a name and a __name__ matcher together)" % SELECTOR_SYNTAX)
            regex = None
            if op in ("=~", "!~"):
                try:
                    regex = re.compile(raw)
                except re.error as exc:
                    raise OptionError(option, text, "valid regular expressions in =~ and !~ matchers (%s: %s)"
                                      % (raw, exc))
            matchers.append(Matcher(label, op, raw, regex))
            pos = found.end()
            if found.group(4) == "" and pos < len(body):
                raise OptionError(option, text, "%s (matchers are separated by commas)" % SELECTOR_SYNTAX)
    if not any(m.label == "__name__" and m.op in ("=", "=~") for m in matchers):
        raise OptionError(option, text, "%s (a sample name is required)" % SELECTOR_SYNTAX)
    if labels:
        if not isinstance(labels, dict):
            raise OptionError(option.rsplit(".", 1)[0] + ".labels", labels, "a dict of label name -> exact value")
        for key in sorted(labels):
            if not isinstance(key, str) or not _LABEL_NAME_RE.match(key) or key == "__name__":
                raise OptionError("%s.labels" % option.rsplit(".", 1)[0], key,
                                  "label names of letters, digits and underscores, not starting with a digit")
            value = labels[key]
            if isinstance(value, (dict, list)):
                raise OptionError("%s.labels.%s" % (option.rsplit(".", 1)[0], key), value,
                                  "a string, number or boolean")
            matchers.append(Matcher(key, "=", _label_text(value)))
    name_matcher = [m for m in matchers if m.label == "__name__"]
    others = [m for m in matchers if m.label != "__name__"]
    if name_matcher and name_matcher[0].op == "=":
        display = name_matcher[0].value
    else:
        display = ""
        others = matchers
    if others:
        display += "{%s}" % ",".join(m.text() for m in others)
    return matchers, display


def unit_kind(metric_name, aggregate):
    """The unit kind of an expectation's value, from Prometheus naming conventions.

    ``*_seconds`` (and its ``_total``/``_sum``) is a duration, ``*_bytes`` a size; buckets,
    ``_count`` samples and the ``count`` aggregate are counts.
    """
    if aggregate == "count" or not metric_name:
        return COUNT
    base = metric_name
    if base.endswith("_bucket") or base.endswith("_count"):
        return COUNT
    for suffix in ("_total", "_sum"):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
            break
    if base.endswith("_seconds"):
        return SECONDS
    if base.endswith("_bytes"):
        return BYTES
    return COUNT


class Expectation(object):
    """One validated entry of ``expect``; ``levels`` holds its own warning/critical as given."""

    __slots__ = ("index", "label", "display", "matchers", "aggregate", "missing", "levels", "unit")

    def __init__(self, index, label, display, matchers, aggregate, missing, levels, unit):
        self.index = index
        self.label = label
        self.display = display
        self.matchers = matchers
        self.aggregate = aggregate
        self.missing = missing
        self.levels = levels
        self.unit = unit

    def selects(self, sample_name, labels):
        full = dict(labels)
        full["__name__"] = sample_name
        return all(m.matches(full) for m in self.matchers)


def _parse_range(option, text, unit):
    try:
        return NagiosRange.parse(text, unit)
    except RangeError as exc:
        raise ThresholdError(option, str(exc))


def check_url(url):
    """Validate ``url`` (http or https with a host); return it. Errors show it redacted."""
    accepted = "an http:// or https:// URL with a host, such as http://127.0.0.1:9100/metrics"
    if not isinstance(url, str) or not url.strip():
        raise OptionError("url", url, accepted)
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise OptionError("url", redact_url(url), "%s (%s)" % (accepted, exc))
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise OptionError("url", redact_url(url), accepted)
    if any(char.isspace() for char in url.strip()):
        raise OptionError("url", redact_url(url), "%s (no spaces; encode them as %%20)" % accepted)
    if port is not None and not 0 < port < 65536:
        raise OptionError("url", redact_url(url), "%s (port 1 to 65535)" % accepted)
    return url.strip()


def redact_url(url):
    """``url`` with its password and credential-like query values replaced by ``********``."""
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            netloc = "%s:********@%s" % (user, host) if ":" in userinfo else "%s@%s" % (user, host)
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(_SENSITIVE_QUERY_RE.search(k) for k, _v in pairs):
                query = urlencode([(k, "********" if _SENSITIVE_QUERY_RE.search(k) else v) for k, v in pairs])
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return re.sub(r"//[^/@]*@", "//********@", url)


def sensitive_values(params):
    """Values that must never appear in output: credential headers, password, token.

    The module adds them to ``no_log_values`` so Ansible masks them in the result and errors.
    """
    values = set()
    for key, value in (params.get("headers") or {}).items():
        if value not in (None, "") and _SENSITIVE_HEADER_RE.search(str(key)):
            values.add(str(value))
            # "Bearer abc": mask the credential also when it appears on its own
            parts = str(value).split(None, 1)
            if len(parts) == 2 and len(parts[1]) >= 4:
                values.add(parts[1])
    for key in ("url_password", "bearer_token"):
        if params.get(key):
            values.add(params[key])
    return values


def validate(params):
    """Check every option; return (url, timeout, expectations). Raises OptionError/ThresholdError."""
    url = check_url(params.get("url"))
    timeout = check_timeout("timeout", params.get("timeout", DEFAULT_TIMEOUT), allow_none=False)
    headers = params.get("headers") or {}
    if not isinstance(headers, dict):
        raise OptionError("headers", "(hidden)", "a dict of header name -> value")
    for key, value in headers.items():
        text = _label_text(value) if not isinstance(value, (dict, list)) else None
        if not isinstance(key, str) or not _HEADER_NAME_RE.match(key) or text is None or _BAD_HEADER_VALUE_RE.search(text):
            shown = "(hidden)" if _SENSITIVE_HEADER_RE.search(str(key)) else value
            raise OptionError("headers.%s" % key, shown, "header names (letters, digits, - and _) mapped to "
                              "single-line strings")
    if params.get("bearer_token") and params.get("url_username"):
        raise OptionError("bearer_token", "(hidden)", "either bearer_token or url_username/url_password, not both")
    if params.get("url_username") and params.get("url_password") is None:
        raise OptionError("url_password", None, "url_password together with url_username")
    if params.get("url_password") is not None and not params.get("url_username"):
        raise OptionError("url_username", params.get("url_username"), "url_username together with url_password")
    expect = params.get("expect")
    if not isinstance(expect, list) or not expect:
        raise OptionError("expect", expect, "a non-empty list of {metric, labels, aggregate, warning, critical}")
    expectations = []
    labels_seen = {}
    for index, item in enumerate(expect):
        option = "expect[%d]" % index
        if not isinstance(item, dict):
            raise OptionError(option, item, "a dict with metric and optional labels, aggregate, warning, critical")
        unknown = sorted(set(item) - set(EXPECT_OPTIONS))
        if unknown:
            raise OptionError("%s.%s" % (option, unknown[0]), item[unknown[0]],
                              "keys %s" % ", ".join(sorted(EXPECT_OPTIONS)))
        matchers, display = parse_selector(item.get("metric"), item.get("labels"), option + ".metric")
        aggregate = item.get("aggregate") or "sum"
        if aggregate not in AGGREGATES:
            raise OptionError(option + ".aggregate", aggregate, ", ".join(AGGREGATES))
        missing = item.get("missing") or CRITICAL
        if missing not in MISSING_CHOICES:
            raise OptionError(option + ".missing", missing, ", ".join(MISSING_CHOICES))
        name_matchers = [m for m in matchers if m.label == "__name__" and m.op == "="]
        unit = unit_kind(name_matchers[0].value if name_matchers else "", aggregate)
        label = item.get("name")
        if label is not None and (not isinstance(label, str) or not label.strip()):
            raise OptionError(option + ".name", label, "a non-empty string")
        if not label:
            label = display if aggregate == "sum" else "%s(%s)" % (aggregate, display)
        if label in labels_seen:
            raise OptionError(option + ".name", label, "a name not used by expect[%d]; set name to tell them apart"
                              % labels_seen[label])
        labels_seen[label] = index
        levels = dict((level, item.get(level)) for level in ("warning", "critical") if item.get(level) is not None)
        for level, text in levels.items():
            if text != "":
                _parse_range("%s.%s" % (option, level), text, unit)
        expectations.append(Expectation(index, label, display, matchers, aggregate, missing, levels, unit))
    return url, timeout, expectations


def _compile_for(expectation, compiled):
    """The effective ranges of one expectation: its own warning/critical over ``thresholds.value``.

    ``thresholds.value`` (plain numbers) is the default for every expectation, level by level;
    an expectation's own level wins, and "" removes it. ``thresholds.samples`` applies as is.
    """
    result = {}
    base = dict(compiled.get("value", {}))
    for level, text in expectation.levels.items():
        if text == "":
            base.pop(level, None)
        else:
            base[level] = _parse_range("expect[%d].%s" % (expectation.index, level), text, expectation.unit)
    if base:
        result["value"] = base
    if compiled.get("samples"):
        result["samples"] = dict(compiled["samples"])
    return result


class FetchError(Exception):
    """The page could not be fetched: ``status`` (critical or unknown) and a one-line reason."""

    def __init__(self, status, reason):
        super(FetchError, self).__init__(reason)
        self.status = status
        self.reason = reason


def _root_causes(exc):
    seen = []
    current = exc
    while current is not None and len(seen) < 12 and all(current is not s for s in seen):
        seen.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None:
            current = current.__context__
        elif current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
        else:
            current = None
    return seen


def describe_request_error(exc, timeout):
    """A short reason for a failed request: connection refused, timed out after 5 s, ..."""
    chain = _root_causes(exc)
    text = " ".join(str(e) for e in chain)
    if isinstance(exc, requests.exceptions.Timeout) or any(isinstance(e, TimeoutError) for e in chain[1:]):
        return "timed out after %s s" % ("%g" % timeout)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return "connection refused"
    if isinstance(exc, requests.exceptions.SSLError):
        for err in chain:
            if isinstance(err, ssl.SSLCertVerificationError):
                return "TLS error: certificate verify failed: %s" % _shorten(err.verify_message or err.reason)
        last = chain[-1]
        return "TLS error: %s" % _shorten(getattr(last, "reason", None) or str(last))
    if "NameResolutionError" in [type(e).__name__ for e in chain] or "Name or service not known" in text:
        return "cannot resolve the host name"
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return "connection reset by the server"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    last = chain[-1]
    return "request failed: %s: %s" % (type(last).__name__, _shorten(str(last)))


def _shorten(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def fetch(url, timeout, validate_certs=True, ca_path=None, headers=None, auth=None, bearer_token=None):
    """GET the page; return ``(text, content_type, http_status)`` or raise FetchError.

    FetchError reasons name the URL with its credentials redacted.
    """
    shown = redact_url(url)
    send = {"Accept": ACCEPT}
    for key, value in (headers or {}).items():
        send[str(key)] = _label_text(value)
    if bearer_token:
        send["Authorization"] = "Bearer %s" % bearer_token
    verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
    deadline = time.monotonic() + timeout
    session = requests.Session()
    try:
        try:
            response = session.get(url, headers=send, auth=auth, timeout=timeout, verify=verify, stream=True,
                                   allow_redirects=True)
        except requests.exceptions.RequestException as exc:
            raise FetchError(CRITICAL, "cannot fetch %s: %s" % (shown, describe_request_error(exc, timeout)))
        try:
            if response.status_code >= 400:
                raise FetchError(CRITICAL, ("%s answered HTTP %d %s" % (shown, response.status_code, response.reason or "")).strip())
            chunks = []
            size = 0
            try:
                for chunk in response.iter_content(chunk_size=65536):
                    size += len(chunk)
                    if size > MAX_PAGE_BYTES:
                        raise FetchError(UNKNOWN, "the page at %s is larger than %s" % (shown, format_quantity(MAX_PAGE_BYTES, BYTES)))
                    if time.monotonic() > deadline:
                        raise FetchError(CRITICAL, "cannot fetch %s: timed out after %s s (reading the page)" % (shown, "%g" % timeout))
                    chunks.append(chunk)
            except requests.exceptions.RequestException as exc:
                raise FetchError(CRITICAL, "cannot fetch %s: %s" % (shown, describe_request_error(exc, timeout)))
            body = b"".join(chunks)
            encoding = response.encoding if response.headers.get("Content-Type", "").find("charset") >= 0 else None
            text = body.decode(encoding or "utf-8", "replace")
            return text, response.headers.get("Content-Type", ""), response.status_code
        finally:
            response.close()
    finally:
        session.close()


def parse_page(text, content_type=""):
    """All samples of the page as (name, labels, value); raises ValueError with the parser's message."""
    openmetrics = content_type.split(";", 1)[0].strip().lower() == "application/openmetrics-text"
    parser = _parse_openmetrics if openmetrics else _parse_text
    samples = []
    families = {}
    for family in parser(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples.append((sample.name, sample.labels, float(sample.value)))
    return samples, families


def aggregate(values, how):
    """Aggregate sample values; NaN samples are left out of sum/min/max/avg (not of count)."""
    if how == "count":
        return float(len(values))
    numbers = [v for v in values if not math.isnan(v)]
    if not numbers:
        return float("nan")
    if how == "sum":
        return math.fsum(numbers)
    if how == "min":
        return min(numbers)
    if how == "max":
        return max(numbers)
    return math.fsum(numbers) / len(numbers)


def _family_hint(display, matchers, families):
    """When the name is a family name (a counter or histogram), name its real sample names."""
    names = [m.value for m in matchers if m.label == "__name__" and m.op == "="]
    if not names or names[0] not in families:
        return ""
    name = names[0]
    kind = families[name]
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
        "summary": ("", "_sum", "_count"),
        "info": ("_info",),
    }.get(kind)
    if not suffixes:
        return ""
    return "; %s is a %s: match its samples %s" % (name, kind, ", ".join(name + s for s in suffixes))


def _number(value):
    """A metric value for the result: finite floats, integral ones as int; NaN/Inf as None."""
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    if value == int(value) and abs(value) < 2 ** 53:
        return int(value)
    return value


def _series(matched):
    out = []
    for sample_name, labels, value in matched[:MAX_SERIES]:
        out.append({"name": sample_name, "labels": dict(labels), "value": _number(value) if not math.isnan(value)
                    else "NaN"})
    return out


def run(params, compiled, name=KIND):
    url, timeout, expectations = validate(params)
    shown_url = redact_url(url)
    started = time.monotonic()
    auth = None
    if params.get("url_username"):
        auth = (params["url_username"], params.get("url_password") or "")
    failure = None
    samples = families = None
    try:
        text, content_type, _code = fetch(url, timeout, params.get("validate_certs", True), params.get("ca_path"),
                                          params.get("headers"), auth, params.get("bearer_token"))
        try:
            samples, families = parse_page(text, content_type)
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            failure = FetchError(UNKNOWN, "cannot parse the page at %s as Prometheus exposition format: %s"
                                 % (shown_url, _shorten(str(exc) or type(exc).__name__)))
    except FetchError as exc:
        failure = exc
    fetch_ms = (time.monotonic() - started) * 1000.0
    results = []
    for exp in expectations:
        effective = _compile_for(exp, compiled)
        thresholds = thresholds_as_text(effective)
        result_name = "%s:%s" % (name, exp.label)
        extra = dict(url=shown_url, metric=exp.display, aggregate=exp.aggregate)
        if failure is not None:
            summary = "%s: %s" % (exp.display, failure.reason)
            results.append(make_result(result_name, KIND, failure.status, summary, {"value": None, "samples": 0},
                                       thresholds, fetch_ms, **extra))
            continue
        matched = [s for s in samples if exp.selects(s[0], s[1])]
        extra["series"] = _series(matched)
        if not matched and exp.aggregate != "count":
            summary = "%s: no matching sample on %s%s" % (exp.display, shown_url,
                                                          _family_hint(exp.display, exp.matchers, families))
            if exp.missing == OK:
                summary += " (missing: ok)"
            results.append(make_result(result_name, KIND, exp.missing, summary, {"value": None, "samples": 0},
                                       thresholds, fetch_ms, **extra))
            continue
        value = aggregate([s[2] for s in matched], exp.aggregate)
        units = {"value": exp.unit, "samples": COUNT}
        if math.isnan(value):
            summary = "%s: value is NaN (%d sample%s)" % (exp.display, len(matched), "" if len(matched) == 1 else "s")
            results.append(make_result(result_name, KIND, UNKNOWN, summary, {"value": None, "samples": len(matched)},
                                       thresholds, fetch_ms, **extra))
            continue
        if exp.aggregate == "count":
            headline = "= %s matching sample%s" % (fmt(value, COUNT), "" if value == 1 else "s")
        elif len(matched) == 1:
            headline = "= %s" % fmt(value, exp.unit)
        else:
            headline = "%s = %s over %d samples" % (exp.aggregate, fmt(value, exp.unit), len(matched))
        values = {"value": value, "samples": len(matched)}
        status, breaches = evaluate(values, effective, units)
        summary = "%s %s" % (exp.display, headline)
        if breaches:
            summary += " (%s)" % "; ".join(
                "%s %s" % (b["level"], condition(effective[b["metric"]][b["level"]], units[b["metric"]], b["value"]))
                if b["metric"] == "value" else
                "%s: %s %s %s" % (b["level"], b["metric"], fmt(b["value"], COUNT),
                                  condition(effective[b["metric"]][b["level"]], COUNT, b["value"]))
                for b in breaches)
        values["value"] = _number(value)
        results.append(make_result(result_name, KIND, status, summary, values, thresholds, fetch_ms, **extra))
    return results


def fmt(value, unit):
    """A sample value for a summary, without losing the small numbers Prometheus is full of."""
    if value is None or math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if unit == BYTES:
        return format_quantity(value, BYTES)
    if unit == SECONDS and value != 0 and abs(value) < 1:
        return "%s ms" % _significant(value * 1000.0)
    if unit == SECONDS:
        return "%s s" % _significant(value)
    return _significant(value)


def _significant(value):
    if value == int(value) and abs(value) < 1e15:
        return "%d" % value
    return "%.6g" % value


def condition(rng, unit, value):
    """The alert condition that ``value`` met, in words (``> 250 ms``), formatted as fmt() does."""
    lo, hi = rng.start, rng.end
    if rng.inside:
        if lo == -math.inf and hi == math.inf:
            return "always"
        if lo == -math.inf:
            return "<= %s" % fmt(hi, unit)
        if hi == math.inf:
            return ">= %s" % fmt(lo, unit)
        if lo == hi:
            return "= %s" % fmt(lo, unit)
        return "within %s..%s" % (fmt(lo, unit), fmt(hi, unit))
    # Outside start..end: name the side the value is on (a plain N is 0:N, so below 0 alerts too).
    if value > hi:
        return "> %s" % fmt(hi, unit)
    return "< %s" % fmt(lo, unit)
