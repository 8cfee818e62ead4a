# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Statuses, thresholds and the check result shape shared by every check kind.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, ThresholdError
from ansible_collections.sre.health.plugins.module_utils._printable import LINES, escape_controls
from ansible_collections.sre.health.plugins.module_utils._ranges import NagiosRange, RangeError
from ansible_collections.sre.health.plugins.module_utils._units import format_quantity

OK = "ok"
WARNING = "warning"
CRITICAL = "critical"
UNKNOWN = "unknown"

STATUSES = (OK, WARNING, CRITICAL, UNKNOWN)
LEVELS = ("warning", "critical")

# Combining results takes the worst: critical > warning > unknown > ok.
_SEVERITY = {OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3}

HEALTH = {OK: "healthy", WARNING: "degraded", CRITICAL: "unhealthy", UNKNOWN: "unhealthy"}

FAIL_ON_CHOICES = ("critical", "warning", "never")


# The longest timeout any option accepts: a day. Larger values are a mistake (or an attack on the
# timer arithmetic: 1e300 overflows a socket timeout), never a health check.
MAX_TIMEOUT = 86400.0
TIMEOUT_ACCEPTED = "a number of seconds greater than 0 and at most %d (one day)" % MAX_TIMEOUT


def check_timeout(option, value, allow_none=True):
    """Validate a timeout in seconds: a positive finite number up to a day (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value <= MAX_TIMEOUT):
        raise OptionError(option, value, TIMEOUT_ACCEPTED)
    return float(value)


def worst(statuses):
    """The worst of ``statuses`` (ok when there are none)."""
    result = OK
    for status in statuses:
        if status not in _SEVERITY:
            raise ValueError("unknown status %r" % (status,))
        if _SEVERITY[status] > _SEVERITY[result]:
            result = status
    return result


def health(status):
    return HEALTH[status]


def should_fail(status, fail_on):
    """True when ``status`` reaches the ``fail_on`` level (critical, warning or never).

    unknown counts as failing for both levels: a check that could not measure must never pass
    silently, and it is as bad as critical for the host's health.
    """
    if fail_on == "never":
        return False
    if status in (CRITICAL, UNKNOWN):
        return True
    return fail_on == "warning" and status == WARNING


def compile_thresholds(user, metrics, defaults, option="thresholds"):
    """Merge ``user`` thresholds over ``defaults`` and parse every range.

    ``metrics`` maps each metric name of the check kind to its unit kind. ``user`` is a dict
    ``{metric: {warning: range, critical: range}}``; a level set to null or "" removes that
    level's default. Returns ``{metric: {level: NagiosRange}}``.
    """
    if user is None:
        user = {}
    if not isinstance(user, dict):
        raise ThresholdError(option, "%r is not a dict of metric -> {warning, critical}" % (user,))
    merged = {}
    for metric, levels in defaults.items():
        merged[metric] = dict(levels)
    for metric, levels in user.items():
        path = "%s.%s" % (option, metric)
        if metric not in metrics:
            raise ThresholdError(
                path, "unknown metric %r; accepted metrics: %s" % (metric, ", ".join(sorted(metrics)))
            )
        if not isinstance(levels, dict):
            raise ThresholdError(path, "%r is not a dict with keys warning and/or critical" % (levels,))
        for level, text in levels.items():
            if level not in LEVELS:
                raise ThresholdError(
                    "%s.%s" % (path, level), "unknown level %r; accepted: warning, critical" % (level,)
                )
            merged.setdefault(metric, {})[level] = text
    compiled = {}
    for metric, levels in merged.items():
        for level in LEVELS:
            text = levels.get(level)
            if text is None or text == "":
                continue
            try:
                compiled.setdefault(metric, {})[level] = NagiosRange.parse(text, metrics[metric])
            except RangeError as exc:
                raise ThresholdError("%s.%s.%s" % (option, metric, level), str(exc))
    return compiled


def thresholds_as_text(compiled):
    """The effective thresholds as given (strings/numbers), for the result's ``thresholds``."""
    return dict(
        (metric, dict((level, rng.text) for level, rng in levels.items())) for metric, levels in compiled.items()
    )


def evaluate(values, compiled, metrics):
    """Judge ``values`` ({metric: number or None}) against ``compiled`` thresholds.

    Critical is evaluated before warning. Returns ``(status, breaches)``, each breach a dict
    ``{metric, level, value, condition}``; metrics whose value is None are not judged.
    """
    breaches = []
    for metric in sorted(compiled):
        value = values.get(metric)
        if value is None:
            continue
        levels = compiled[metric]
        for level in ("critical", "warning"):
            rng = levels.get(level)
            if rng is not None and rng.alerts(value):
                breaches.append(
                    {
                        "metric": metric,
                        "level": level,
                        "value": value,
                        "text": format_quantity(value, metrics[metric]),
                        "condition": rng.describe(),
                    }
                )
                break
    breaches.sort(key=lambda b: b["level"] != "critical")
    status = worst(b["level"] for b in breaches)
    return status, breaches


def describe_breaches(breaches, primary=None):
    """``critical > 90%`` for the primary metric, ``warning: inodes_used_percent 85% > 80%`` else."""
    parts = []
    for breach in breaches:
        if breach["metric"] == primary:
            parts.append("%s %s" % (breach["level"], breach["condition"]))
        else:
            parts.append("%s: %s %s %s" % (breach["level"], breach["metric"], breach["text"], breach["condition"]))
    return "; ".join(parts)


def safe_text(value):
    """``value`` with every string made valid UTF-8, recursively (lists and dicts).

    Names read from a host (a mount point, a command line, a log line) may hold bytes that are
    not UTF-8; decoded with surrogateescape they work with os functions but cannot be returned
    (Ansible fails the whole module: "invalid UTF8 string"). Such bytes are shown as ``\\xNN``.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            try:
                return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            except UnicodeEncodeError:
                return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [safe_text(item) for item in value]
    if isinstance(value, dict):
        return dict((safe_text(k), safe_text(v)) for k, v in value.items())
    return value


# The result fields whose value is several lines (a command's stdout and stderr, a Nagios plugin's long output):
# their LF and TAB stay raw, every other control character is escaped as anywhere else.
MULTILINE_FIELDS = frozenset(("stdout", "stderr", "output"))


def printable(result):
    """``result`` (a check result) with every text valid UTF-8 and its control characters escaped
    (``_printable``): the summary and the name, and every other field, since names of files, mounts,
    units and lines of logs come from the host and are printed too (a ``debug`` of the result, the
    reports, the alerts). Applying it twice changes nothing."""
    shown = {}
    for key, value in safe_text(result).items():
        shown[escape_controls(key)] = escape_controls(value, LINES if key in MULTILINE_FIELDS else u"")
    return shown


def make_result(name, kind, status, summary, metrics=None, thresholds=None, duration_ms=0.0, **extra):
    """One check result in the shape every module returns; its text valid UTF-8 and safe to print."""
    if status not in _SEVERITY:
        raise ValueError("unknown status %r" % (status,))
    result = {
        "name": name,
        "kind": kind,
        "status": status,
        "summary": summary,
        "metrics": dict(metrics or {}),
        "thresholds": dict(thresholds or {}),
        "duration_ms": round(float(duration_ms), 3),
    }
    result.update(extra)
    return printable(result)


def judge(name, kind, subject, headline, values, compiled, metrics, primary=None, duration_ms=0.0, **extra):
    """Evaluate ``values`` and build the result, with a summary like ``/var 91.2% used (critical > 90%)``."""
    status, breaches = evaluate(values, compiled, metrics)
    summary = ("%s %s" % (subject, headline)).strip()
    if breaches:
        summary = "%s (%s)" % (summary, describe_breaches(breaches, primary))
    return make_result(
        name, kind, status, summary, values, thresholds_as_text(compiled), duration_ms, **extra
    )


def summarize(results):
    """Host-level status, health and one summary line from a list of check results."""
    status = worst(r["status"] for r in results)
    counts = dict((s, 0) for s in STATUSES)
    for r in results:
        counts[r["status"]] += 1
    bad = [r for r in results if r["status"] != OK]
    bad.sort(key=lambda r: -_SEVERITY[r["status"]])
    if not results:
        summary = "no checks ran"
    elif not bad:
        summary = "%d check%s ok" % (len(results), "" if len(results) == 1 else "s")
    else:
        summary = "; ".join("%s: %s" % (r["status"].upper(), r["summary"]) for r in bad)
        # a summary changed after make_result (a kind that adds to it) is made safe here, where the module's msg is made
        summary = escape_controls(safe_text("%d of %d checks not ok: %s" % (len(bad), len(results), summary)))
    return {"status": status, "health": health(status), "summary": summary, "counts": counts}
