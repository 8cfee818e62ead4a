# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shipped Prometheus rules (extensions/prometheus), checked and unit-tested by Prometheus's own
promtool: `promtool check rules` and `promtool test rules`."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from ansible_collections.sre.health.tests.unit.plugins.module_utils.promstack import (
    PROMTOOL,
    RULE_TESTS,
    RULES,
    need,
)


def promtool(*args):
    return subprocess.run([need(PROMTOOL, "promtool")] + list(args), capture_output=True, text=True, timeout=120,
                          check=False)


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def test_the_rules_pass_promtool_check():
    run = promtool("check", "rules", RULES)
    assert run.returncode == 0, run.stdout + run.stderr
    found = re.search(r"SUCCESS: (\d+) rules found", run.stdout)
    assert found, run.stdout
    rules = [rule for group in load(RULES)["groups"] for rule in group["rules"]]
    assert int(found.group(1)) == len(rules) == 16


def test_the_rule_unit_tests_pass():
    run = promtool("test", "rules", RULE_TESTS)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^\s+SUCCESS\s*$", run.stdout, re.M), run.stdout
    assert "FAILED" not in run.stdout


def test_every_alert_is_tested_firing_and_not_firing():
    alerts = [rule["alert"] for group in load(RULES)["groups"] for rule in group["rules"] if "alert" in rule]
    assert alerts == ["SreHealthCheckCritical", "SreHealthHostUnhealthy", "SreHealthReportStale",
                      "SreHealthReportsAbsent"]
    cases = [case for test in load(RULE_TESTS)["tests"] for case in test.get("alert_rule_test", [])]
    for alert in alerts:
        outcomes = [bool(case["exp_alerts"]) for case in cases if case["alertname"] == alert]
        assert True in outcomes and False in outcomes, alert


def test_the_unit_tests_catch_a_rule_that_ignores_which_report_is_newest(tmp_path):
    # Without the newest-report filter an older AWX job's file keeps a recovered host alerting: the
    # unit tests must say so (they test the rules, not merely run).
    with open(RULES) as handle:
        text = handle.read()
    broken = text.replace("and on (job, instance, report, job_id, host) sre_health:host_report_newest",
                          "and on (job, instance, report, job_id, host) sre_health:host_report_timestamp_seconds")
    assert broken != text
    rules = tmp_path / "rules.yml"
    rules.write_text(broken)
    tests = load(RULE_TESTS)
    tests["rule_files"] = [str(rules)]
    test_file = tmp_path / "rules.test.yml"
    test_file.write_text(yaml.safe_dump(tests))
    run = promtool("test", "rules", str(test_file))
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "FAILED" in output
    assert 'alertname="SreHealthCheckCritical", check="nginx", host="web2"' in output


@pytest.mark.parametrize("mutation, message", [
    ("expr: sre_health:check_status:newest == 2", "expr: sre_health:check_status:newest == = 2"),
])
def test_promtool_check_rejects_a_broken_rule_file(tmp_path, mutation, message):
    with open(RULES) as handle:
        text = handle.read()
    rules = tmp_path / "rules.yml"
    rules.write_text(text.replace(mutation, message))
    run = promtool("check", "rules", str(rules))
    assert run.returncode != 0
    assert "FAILED" in run.stdout + run.stderr
