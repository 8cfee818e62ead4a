# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""log_scan and health_check on the systemd journal, end to end through the real ansible CLI: real
journal files (systemd-journal-remote) read by the real journalctl (``journal.directory``)."""

from __future__ import annotations

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils.journals import entry, needs_journal, write_journal
from ansible_collections.sre.health.tests.unit.plugins.modules.test_metrics_log_modules import (
    RESULT_KEYS,
    assert_no_traceback,
)
from ansible_collections.sre.health.tests.unit.utils import run_module

pytestmark = needs_journal


@pytest.fixture(scope="module")
def app_journal(tmp_path_factory):
    return write_journal(tmp_path_factory.mktemp("journal"), [
        (7200, entry("too old ERROR", 3, "app.service", "app")),
        (600, entry("request failed ERROR", 3, "app.service", "app")),
        (300, entry("db gone ERROR", 2, "app.service", "app")),
        (200, entry("cache slow", 4, "app.service", "app")),
        (100, entry("all good", 6, "app.service", "app")),
        (50, entry("other unit ERROR", 3, "other.service", "other")),
    ])


@pytest.mark.parametrize("check_mode", [False, True])
def test_log_scan_counts_journal_entries_and_fails_on_critical(app_journal, check_mode):
    run = run_module("log_scan", {"journal": {"directory": app_journal, "units": ["app.service"]}, "since": "1h",
                                  "patterns": [{"name": "severe", "field": "PRIORITY", "equals": [0, 1, 2, 3],
                                                "critical": 1},
                                               {"name": "errors", "regex": "ERROR"}]}, check=check_mode)
    result = run.result
    assert run.failed and result["changed"] is False
    severe, errors = result["checks"]
    assert severe["metrics"]["matches"] == 2 and severe["metrics"]["entries"] == 4
    assert severe["status"] == "critical" and errors["status"] == "ok"
    assert result["msg"] == ("1 of 2 checks not ok: CRITICAL: severe: 2 matches in the last 1h of the journal in %s "
                             "(4 entries; unit app.service) (critical > 1)" % app_journal)
    for check in result["checks"]:
        assert RESULT_KEYS <= set(check) and check["kind"] == "log" and check["truncated"] is False
    assert_no_traceback(run)


def test_health_check_runs_a_journal_log_check_among_others(app_journal):
    run = run_module("health_check", {"checks": [
        {"name": "app-errors", "kind": "log", "journal": {"directory": app_journal, "priority": "err"},
         "since": "1h", "thresholds": {"entries": {"warning": 0, "critical": 10}}},
        {"name": "memory", "kind": "memory", "thresholds": {"used_percent": {"warning": "", "critical": ""}}},
    ], "fail_on": "critical"})
    assert not run.failed, run.result
    journal_check, memory = run.result["checks"]
    assert journal_check["name"] == "app-errors:journal" and journal_check["status"] == "warning"
    assert journal_check["metrics"]["entries"] == 3
    assert journal_check["summary"] == ("3 entries in the last 1h of the journal in %s (priority err and above) "
                                        "(warning > 0)" % app_journal)
    assert memory["status"] == "ok" and run.result["status"] == "warning"
    assert_no_traceback(run)


def test_a_backtracking_pattern_on_the_journal_ends_at_the_check_timeout(tmp_path):
    directory = write_journal(tmp_path / "j", [(10, entry("a" * 34 + "!", 3, "app.service"))])
    run = run_module("health_check", {"checks": [
        {"name": "evil", "kind": "log", "journal": {"directory": directory}, "since": "1h", "check_timeout": 3,
         "patterns": [{"name": "evil", "regex": "(a+)+$"}]},
    ], "fail_on": "never"})
    assert not run.failed, run.result
    (evil,) = run.result["checks"]
    assert evil["status"] == "unknown" and evil["summary"].endswith("check timed out after 3 s")
    assert run.elapsed < 30  # the pattern alone would take hours; a bound, not a timing test
    assert_no_traceback(run)


def test_a_missing_journal_directory_is_unknown_and_fails(tmp_path):
    missing = str(tmp_path / "nope")
    run = run_module("log_scan", {"journal": {"directory": missing}, "since": "5m"})
    assert run.failed and run.result["status"] == "unknown"
    assert run.result["msg"] == ("1 of 1 checks not ok: UNKNOWN: journal: cannot read the journal: journalctl "
                                 "exited with code 1: Failed to open %s: No such file or directory" % missing)


@pytest.mark.parametrize("args, fragments", [
    ({"journal": {}, "path": ["/var/log/syslog"]}, ["parameters are mutually exclusive: path|journal"]),
    ({}, ["one of the following is required: path, journal"]),
    ({"journal": {"priority": "error"}}, ["option journal.priority", "'error'", "one of emerg, alert, crit, err"]),
    ({"journal": {"units": [{"name": "nginx"}]}}, ["option journal.units", "{'name': 'nginx'}", "unit names or globs"]),
    ({"journal": {"units": ["nginx service"]}}, ["option journal.units", "'nginx service'", "unit names or globs"]),
    ({"journal": {"unit": "nginx"}}, ["unit", "Supported parameters include"]),
    ({"journal": {"max_entries": 0}}, ["option journal.max_entries", "0", "a whole number from 1 to 10000000"]),
])
def test_log_scan_bad_journal_input_is_a_clear_error(args, fragments):
    run = run_module("log_scan", dict(args, since="5m"))
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"], run.result["msg"]
    assert_no_traceback(run)


def test_health_check_bad_journal_input_names_the_check():
    run = run_module("health_check", {"checks": [
        {"name": "errs", "kind": "log", "journal": {"priority": 9}, "since": "1h"}]})
    assert run.failed
    assert run.result["msg"].startswith("checks[0] (errs): option journal.priority: '9' is invalid; accepted: one of "
                                        "emerg"), run.result["msg"]
    assert_no_traceback(run)
