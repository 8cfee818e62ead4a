# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.sre.health.plugins.module_utils._status import (
    OptionError,
    ThresholdError,
    check_timeout,
    compile_thresholds,
    evaluate,
    health,
    judge,
    make_result,
    should_fail,
    summarize,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, PERCENT

METRICS = {"used_percent": PERCENT, "free_bytes": BYTES, "count": COUNT}
DEFAULTS = {"used_percent": {"warning": "80", "critical": "90"}}


@pytest.mark.parametrize("statuses, expected", [
    ([], "ok"),
    (["ok"], "ok"),
    (["ok", "unknown"], "unknown"),
    (["unknown", "warning"], "warning"),
    (["warning", "unknown", "ok"], "warning"),
    (["critical", "warning", "unknown", "ok"], "critical"),
    (["ok", "critical"], "critical"),
])
def test_worst(statuses, expected):
    assert worst(statuses) == expected


def test_worst_rejects_unknown_status():
    with pytest.raises(ValueError):
        worst(["fine"])


@pytest.mark.parametrize("status, expected", [
    ("ok", "healthy"), ("warning", "degraded"), ("critical", "unhealthy"), ("unknown", "unhealthy"),
])
def test_health(status, expected):
    assert health(status) == expected


@pytest.mark.parametrize("status, fail_on, expected", [
    ("ok", "critical", False),
    ("warning", "critical", False),
    ("critical", "critical", True),
    ("unknown", "critical", True),
    ("ok", "warning", False),
    ("warning", "warning", True),
    ("critical", "warning", True),
    ("unknown", "warning", True),
    ("critical", "never", False),
    ("unknown", "never", False),
])
def test_should_fail(status, fail_on, expected):
    assert should_fail(status, fail_on) is expected


def test_defaults_apply_and_user_overrides_one_level():
    compiled = compile_thresholds({"used_percent": {"critical": "95"}}, METRICS, DEFAULTS)
    assert compiled["used_percent"]["warning"].text == "80"
    assert compiled["used_percent"]["critical"].text == "95"


def test_null_or_empty_removes_a_default_level():
    compiled = compile_thresholds({"used_percent": {"warning": None}}, METRICS, DEFAULTS)
    assert set(compiled["used_percent"]) == {"critical"}
    compiled = compile_thresholds({"used_percent": {"warning": "", "critical": ""}}, METRICS, DEFAULTS)
    assert "used_percent" not in compiled


def test_user_adds_a_metric_with_units():
    compiled = compile_thresholds({"free_bytes": {"critical": "10GiB:"}}, METRICS, DEFAULTS)
    assert compiled["free_bytes"]["critical"].start == 10 * 1024 ** 3
    assert "used_percent" in compiled


def test_defaults_are_not_mutated():
    compile_thresholds({"used_percent": {"warning": "1"}}, METRICS, DEFAULTS)
    assert DEFAULTS == {"used_percent": {"warning": "80", "critical": "90"}}


@pytest.mark.parametrize("user, option, fragment", [
    ({"usedpercent": {"warning": "1"}}, "thresholds.usedpercent", "accepted metrics: count, free_bytes, used_percent"),
    ({"used_percent": {"warn": "1"}}, "thresholds.used_percent.warn", "accepted: warning, critical"),
    ({"used_percent": "90"}, "thresholds.used_percent", "not a dict"),
    ({"used_percent": {"critical": "9x"}}, "thresholds.used_percent.critical", "'9x'"),
    ({"used_percent": {"critical": "20:10"}}, "thresholds.used_percent.critical", "greater than end"),
    ({"free_bytes": {"critical": "10%"}}, "thresholds.free_bytes.critical", "does not fit a bytes metric"),
    ("90", "thresholds", "not a dict"),
])
def test_threshold_errors_name_the_option_and_value(user, option, fragment):
    with pytest.raises(ThresholdError) as err:
        compile_thresholds(user, METRICS, DEFAULTS)
    assert err.value.option == option
    assert str(err.value).startswith(option + ": ")
    assert fragment in str(err.value)


def test_critical_is_evaluated_before_warning():
    compiled = compile_thresholds({}, METRICS, DEFAULTS)
    status, breaches = evaluate({"used_percent": 95.0}, compiled, METRICS)
    assert status == "critical"
    assert [(b["metric"], b["level"]) for b in breaches] == [("used_percent", "critical")]
    status, breaches = evaluate({"used_percent": 85.0}, compiled, METRICS)
    assert status == "warning" and breaches[0]["condition"] == "> 80%"
    assert evaluate({"used_percent": 80.0}, compiled, METRICS) == ("ok", [])


def test_none_values_are_not_judged():
    compiled = compile_thresholds({"count": {"critical": "1:"}}, METRICS, DEFAULTS)
    assert evaluate({"used_percent": None, "count": None}, compiled, METRICS) == ("ok", [])


def test_judge_builds_the_result_shape_and_summary():
    compiled = compile_thresholds({"free_bytes": {"warning": "1GiB:"}}, METRICS, DEFAULTS)
    result = judge("disk:/var", "disk", "/var", "91.2% used", {"used_percent": 91.2, "free_bytes": 100.0},
                   compiled, METRICS, primary="used_percent", duration_ms=1.23456, mount="/var")
    assert set(result) == {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms", "mount"}
    assert result["status"] == "critical"
    assert result["summary"] == "/var 91.2% used (critical > 90%; warning: free_bytes 100 B < 1 GiB)"
    assert result["thresholds"] == {"used_percent": {"warning": "80", "critical": "90"},
                                    "free_bytes": {"warning": "1GiB:"}}
    assert result["duration_ms"] == 1.235


def test_make_result_rejects_unknown_status():
    with pytest.raises(ValueError):
        make_result("x", "disk", "bad", "s")


def test_summarize():
    results = [make_result("a", "disk", "ok", "fine"), make_result("b", "disk", "warning", "b is warm"),
               make_result("c", "load", "critical", "c is on fire"), make_result("d", "disk", "unknown", "d?")]
    info = summarize(results)
    assert info["status"] == "critical" and info["health"] == "unhealthy"
    assert info["summary"] == "3 of 4 checks not ok: CRITICAL: c is on fire; WARNING: b is warm; UNKNOWN: d?"
    assert info["counts"] == {"ok": 1, "warning": 1, "critical": 1, "unknown": 1}
    assert summarize(results[:1])["summary"] == "1 check ok"
    assert summarize([])["summary"] == "no checks ran"


@pytest.mark.parametrize("value", [0, -1, "5", True, float("nan"), float("inf"), 1e300, 86400.5])
def test_check_timeout_rejects(value):
    # 1e300 once passed and overflowed a socket timeout deep inside a check (a traceback).
    with pytest.raises(OptionError) as err:
        check_timeout("timeout", value)
    assert str(err.value).startswith("option timeout: ")
    assert "greater than 0" in str(err.value)


def test_check_timeout_accepts():
    assert check_timeout("timeout", 2) == 2.0
    assert check_timeout("timeout", None) is None
