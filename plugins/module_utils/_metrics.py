# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``metrics`` check kind: expectations on a Prometheus exposition endpoint.

The page is fetched with the collection's HTTP client (``_web``) and parsed with
prometheus_client's own parser (the text format, or OpenMetrics when the server answers with
that content type). Each expectation selects samples by SAMPLE name (as they appear on the page:
``foo_total`` for a counter, ``foo_bucket``/``foo_sum``/``foo_count`` for a histogram) and labels
(``_selector``), aggregates them into one value and judges it against its warning/critical
ranges. One result per expectation, always, whatever went wrong, so that reports keep the same
columns.

Status rules (documented in the metrics_check module):

- no sample matches: ``critical`` by default (``missing`` per expectation); with
  ``aggregate: count`` zero matches is a measurement (0) judged by the thresholds.
- the page cannot be parsed: ``unknown`` with the parser's message.
- HTTP error status, connection refused, timeout, TLS or DNS failure: ``critical``, saying which.

Thread-safe: no globals are written, every run uses its own requests session.
"""

from __future__ import annotations

import codecs
import io
import math
import re
import time

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError, ThresholdError
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._ranges import NagiosRange, RangeError
from ansible_collections.sre.health.plugins.module_utils._selector import parse_selector, unit_kind
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    check_timeout,
    evaluate,
    make_result,
    thresholds_as_text,
)
from ansible_collections.sre.health.plugins.module_utils._units import (
    BYTES,
    COUNT,
    SECONDS,
    UnitError,
    format_quantity,
    parse_quantity,
)
from ansible_collections.sre.health.plugins.module_utils._web import client
from ansible_collections.sre.health.plugins.module_utils._web.errors import shorten
from ansible_collections.sre.health.plugins.module_utils._web.options import check_headers, check_tls_files
from ansible_collections.sre.health.plugins.module_utils._web.redact import Scrubber, redact_url, request_secrets
from ansible_collections.sre.health.plugins.module_utils._web.urls import check_url

try:
    from prometheus_client.parser import text_fd_to_metric_families as _parse_text
    from prometheus_client.openmetrics.parser import text_fd_to_metric_families as _parse_openmetrics
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
# A node_exporter page is ~100 KiB and kube-state-metrics on a large cluster a few MiB; 16 MiB
# leaves room for those and keeps the check's own memory near 100 MiB (see docs/benchmarks.md).
DEFAULT_PAGE_SIZE = "16MiB"
MAX_PAGE_BYTES = 1024 * 1024 * 1024
# How many matched series a result lists (the value aggregates all of them).
MAX_SERIES = 20
# A sample line's valid metric name, after any leading blanks; no match for anything else (comments,
# blank lines, garbage: the parser sees those and says what is wrong).
_SAMPLE_NAME_RE = re.compile(r"[ \t]*([a-zA-Z_:][a-zA-Z0-9_:]*)(?=[{ \t])")
ACCEPT = "text/plain;version=0.0.4;q=1.0,application/openmetrics-text;version=1.0.0;q=0.5,*/*;q=0.1"
URL_EXAMPLE = "http://127.0.0.1:9100/metrics"

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
    max_page_size=dict(type="raw", default=DEFAULT_PAGE_SIZE),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    headers=dict(type="dict"),
    url_username=dict(type="str"),
    url_password=dict(type="str", no_log=True),
    bearer_token=dict(type="str", no_log=True),
)

CONSTRAINTS = dict(
    mutually_exclusive=[["bearer_token", "url_username"]],
    required_together=[["url_username", "url_password"]],
)

REQUIRES = {
    "requests": client.available,
    "prometheus_client": lambda: _parse_text is not None,
}

# Feeds host- or peer-chosen text to user patterns or parsers: a child process (see _kind).
ISOLATED = True


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


def _credentials(params):
    """The auth options; validate() checks the spec's constraints too, for callers without the spec."""
    if params.get("bearer_token") and params.get("url_username"):
        raise OptionError("bearer_token", "(hidden)", "either bearer_token or url_username/url_password, not both")
    if params.get("url_username") and params.get("url_password") is None:
        raise OptionError("url_password", None, "url_password together with url_username")
    if params.get("url_password") is not None and not params.get("url_username"):
        raise OptionError("url_username", params.get("url_username"), "url_username together with url_password")
    auth = (params["url_username"], params["url_password"]) if params.get("url_username") else None
    return dict(auth=auth, bearer_token=params.get("bearer_token"))


def _expectation(index, item, labels_seen):
    option = "expect[%d]" % index
    if not isinstance(item, dict):
        raise OptionError(option, item, "a dict with metric and optional labels, aggregate, warning, critical")
    unknown = sorted(set(item) - set(EXPECT_OPTIONS))
    if unknown:
        raise OptionError("%s.%s" % (option, unknown[0]), item[unknown[0]], "keys %s" % ", ".join(sorted(EXPECT_OPTIONS)))
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
    return Expectation(index, label, display, matchers, aggregate, missing, levels, unit)


def _expectations(expect):
    if not isinstance(expect, list) or not expect:
        raise OptionError("expect", expect, "a non-empty list of {metric, labels, aggregate, warning, critical}")
    labels_seen = {}
    return [_expectation(index, item, labels_seen) for index, item in enumerate(expect)]


def validate(params):
    """Check every option once; return the Config ``run`` uses. Raises OptionError/ThresholdError."""
    secrets = request_secrets(params.get("url"), params.get("headers"), params.get("url_username"),
                              (params.get("url_password"), params.get("bearer_token")))
    url = check_url(params.get("url"), example=URL_EXAMPLE)
    timeout = check_timeout("timeout", params.get("timeout", DEFAULT_TIMEOUT), allow_none=False)
    max_page_size = _page_size(params.get("max_page_size", DEFAULT_PAGE_SIZE))
    headers = check_headers(params.get("headers"), option_per_name=True)
    values = _credentials(params)
    values.update(check_tls_files(params, ("ca_path",)))
    validate_certs = params.get("validate_certs")
    config = Config(url=url, shown_url=redact_url(url), timeout=timeout, max_page_size=max_page_size, headers=headers,
                    validate_certs=True if validate_certs is None else bool(validate_certs),
                    expectations=_expectations(params.get("expect")), scrub=Scrubber(secrets), **values)
    config.secrets = tuple(sorted(secrets))
    return config


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


class FetchError(SreHealthError):
    """The page could not be fetched: ``status`` (critical or unknown) and a one-line reason."""

    def __init__(self, status, reason):
        super(FetchError, self).__init__(reason)
        self.status = status
        self.reason = reason


def _page_size(value):
    """``max_page_size`` in bytes: a size with an optional unit, from 1 KiB to 1 GiB."""
    try:
        size = parse_quantity(value, BYTES)
    except UnitError:
        size = None
    if size is None or not 1024 <= size <= MAX_PAGE_BYTES:
        raise OptionError("max_page_size", value, "a size from 1KiB to 1GiB, such as 16MiB or 200000000")
    return int(size)


def request(config):
    """The client request for the page."""
    headers = {"Accept": ACCEPT}
    headers.update(config.headers)
    if config.bearer_token:
        headers["Authorization"] = "Bearer %s" % config.bearer_token
    return client.Request(config.url, headers=headers, auth=config.auth, timeout=config.timeout,
                          validate_certs=config.validate_certs, ca_path=config.ca_path,
                          keep_bytes=config.max_page_size, max_bytes=config.max_page_size)


def fetch(config):
    """GET the page; return ``(body, encoding, content_type)`` or raise FetchError naming the URL redacted."""
    shown = config.shown_url
    answer = client.send(request(config))
    if answer.code is None:
        raise FetchError(CRITICAL, "cannot fetch %s: %s" % (shown, answer.failure.text(phase=False)))
    if answer.code >= 400:
        raise FetchError(CRITICAL, ("%s answered HTTP %s %s" % (shown, answer.code, answer.reason)).strip())
    if answer.too_large:
        raise FetchError(UNKNOWN, "the page at %s is larger than max_page_size (%s)"
                         % (shown, format_quantity(config.max_page_size, BYTES)))
    if answer.failure is not None:
        raise FetchError(CRITICAL, "cannot fetch %s: %s" % (shown, answer.failure))
    return answer.body, answer.encoding, answer.content_type


class Matches(object):
    """The samples one expectation selected: every value, and the first MAX_SERIES in full."""

    __slots__ = ("values", "series")

    def __init__(self):
        self.values = []
        self.series = []

    def add(self, sample_name, labels, value):
        self.values.append(value)
        if len(self.series) < MAX_SERIES:
            self.series.append((sample_name, labels, value))


def read_page(config):
    """``(matches, families)`` of the page (a Matches per expectation), or raise FetchError."""
    body, encoding, content_type = fetch(config)
    try:
        return select(body, encoding, content_type, config.expectations)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise FetchError(UNKNOWN, "cannot parse the page at %s as Prometheus exposition format: %s"
                         % (config.shown_url, shorten(str(exc) or type(exc).__name__)))


def families_of(body, encoding=None, content_type="", names=None):
    """prometheus_client's parser for the page's content type, as a generator of families. The page is
    decoded line by line as the parser reads it: no second copy of it, in any width. With ``names``
    (a set), the text format's sample lines of other names never reach the parser (its comments do)."""
    try:
        encoding = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        encoding = "utf-8"
    lines = io.TextIOWrapper(io.BytesIO(body), encoding=encoding, errors="replace", newline="\n")
    if content_type.split(";", 1)[0].strip().lower() == "application/openmetrics-text":
        # OpenMetrics' parser checks a family as a whole (a histogram's buckets...): it sees every line.
        return _parse_openmetrics(lines)
    return _parse_text(lines if names is None else _lines_named(lines, names))


def wanted_names(expectations):
    """The sample names the expectations select, when each selects one exact name; else None."""
    names = set()
    for exp in expectations:
        exact = [m.value for m in exp.matchers if m.label == "__name__" and m.op == "="]
        if not exact:
            return None
        names.add(exact[0])
    return names


def _lines_named(lines, names):
    """The lines of ``lines`` but the samples of other names than ``names``: parsing costs about a
    second per MiB, finding a line's name a fraction of a microsecond."""
    name_of = _SAMPLE_NAME_RE.match
    for line in lines:
        found = name_of(line)
        if found is None or found.group(1) in names:
            yield line


def select(body, encoding, content_type, expectations):
    """One pass over the page: each expectation keeps only its own samples, so memory follows what
    is matched, not the size of the page. Returns ``(matches, families)`` (family name -> type)."""
    matches = [Matches() for _exp in expectations]
    families = {}
    for family in families_of(body, encoding, content_type, wanted_names(expectations)):
        families[family.name] = family.type
        for sample in family.samples:
            value = float(sample.value)
            for exp, found in zip(expectations, matches):
                if exp.selects(sample.name, sample.labels):
                    found.add(sample.name, sample.labels, value)
    return matches, families


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
    for sample_name, labels, value in matched.series:
        out.append({"name": sample_name, "labels": dict(labels), "value": _number(value) if not math.isnan(value)
                    else "NaN"})
    return out


def _breach_text(breach, effective, units):
    rng = effective[breach["metric"]][breach["level"]]
    if breach["metric"] == "value":
        return "%s %s" % (breach["level"], condition(rng, units["value"], breach["value"]))
    return "%s: %s %s %s" % (breach["level"], breach["metric"], fmt(breach["value"], COUNT),
                             condition(rng, COUNT, breach["value"]))


def _headline(exp, value, count):
    if exp.aggregate == "count":
        return "= %s matching sample%s" % (fmt(value, COUNT), "" if value == 1 else "s")
    if count == 1:
        return "= %s" % fmt(value, exp.unit)
    return "%s = %s over %d samples" % (exp.aggregate, fmt(value, exp.unit), count)


def judge(exp, matched, families, effective, shown_url):
    """``(status, summary, metrics, series)`` of one expectation on the samples it matched."""
    series = _series(matched)
    count = len(matched.values)
    if not count and exp.aggregate != "count":
        summary = "%s: no matching sample on %s%s" % (exp.display, shown_url,
                                                      _family_hint(exp.display, exp.matchers, families))
        if exp.missing == OK:
            summary += " (missing: ok)"
        return exp.missing, summary, {"value": None, "samples": 0}, series
    value = aggregate(matched.values, exp.aggregate)
    if math.isnan(value):
        summary = "%s: value is NaN (%d sample%s)" % (exp.display, count, "" if count == 1 else "s")
        return UNKNOWN, summary, {"value": None, "samples": count}, series
    units = {"value": exp.unit, "samples": COUNT}
    values = {"value": value, "samples": count}
    status, breaches = evaluate(values, effective, units)
    summary = "%s %s" % (exp.display, _headline(exp, value, count))
    if breaches:
        summary += " (%s)" % "; ".join(_breach_text(b, effective, units) for b in breaches)
    values["value"] = _number(value)
    return status, summary, values, series


def run(config, compiled, name=KIND):
    started = time.monotonic()
    failure = matches = families = None
    try:
        matches, families = read_page(config)
    except FetchError as exc:
        failure = exc
    fetch_ms = (time.monotonic() - started) * 1000.0
    results = []
    for number, exp in enumerate(config.expectations):
        effective = _compile_for(exp, compiled)
        extra = dict(url=config.shown_url, metric=exp.display, aggregate=exp.aggregate)
        if failure is not None:
            status, summary = failure.status, "%s: %s" % (exp.display, failure.reason)
            values = {"value": None, "samples": 0}
        else:
            status, summary, values, extra["series"] = judge(
                exp, matches[number], families, effective, config.shown_url)
        results.append(make_result(config.scrub("%s:%s" % (name, exp.label)), KIND, status, config.scrub(summary),
                                   values, thresholds_as_text(effective), fetch_ms, **config.scrub.deep(extra)))
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
