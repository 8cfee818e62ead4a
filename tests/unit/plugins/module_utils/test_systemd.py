# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The systemd check kind, on real systemctl output.

This machine has no running systemd, so two things are real here: the no-systemd path (the
machine's own systemctl answers "offline" and "System has not been booted with systemd"), and the
output format. fixtures/systemd_*.json are captures from systemd 252 running as PID 1 in the
molecule test image (Debian 12), made by fixtures/systemd_capture.py: it creates units that
succeed, exit 3, die of SIGTERM, are still running, a timer with its own Unit=, one stopped, one
not triggered yet, and runs this kind with a recording systemctl. Each fixture holds every call
(argv, exit code, stdout, stderr), the wall and monotonic clocks the kind judged with, and the
results it returned there.

run() is exercised through a stand-in ``systemctl`` first on PATH that replays those calls (a
real subprocess, found and run as the real one is; an argv that was not captured is an error),
with the kind's clocks pinned to the capture's: the results must be the ones computed live.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _kind, _service, _systemd
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._status import compile_thresholds

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
HOUR = 3600.0


def fixture(name):
    with open(os.path.join(FIXTURES, "systemd_%s.json" % name)) as handle:
        return json.load(handle)


def captured(name, command):
    """The stdout of the first captured call whose argv starts with ``command``."""
    return next(c["stdout"] for c in fixture(name)["calls"] if c["argv"][0] == command)


# --- stand-in systemctl -------------------------------------------------------------------------

_REPLAY = r'''#!%(python)s
import json, os, sys, time
args = sys.argv[1:]
with open(%(record)r, "a") as handle:
    handle.write(json.dumps({"argv": args, "lc_all": os.environ.get("LC_ALL"), "tz": os.environ.get("TZ"),
                             "pager": os.environ.get("SYSTEMD_PAGER")}) + "\n")
with open(%(answers)r) as handle:
    answers = json.load(handle)
if answers["mode"] == "sleep":
    time.sleep(60)
if answers["mode"] == "flood":
    chunk = "x" * 65536 + "\n"
    for _ in range(200):
        sys.stdout.write(chunk)
    sys.exit(0)
for call in answers["calls"]:
    if call["argv"] == args:
        sys.stdout.write(call["stdout"])
        sys.stderr.write(call["stderr"])
        sys.exit(call["rc"])
sys.stderr.write("stand-in systemctl: no captured call for %%r\n" %% (args,))
sys.exit(2)
'''


def replay(directory, name=None, overrides=(), mode="answer"):
    """Put a stand-in ``systemctl`` in ``directory`` answering fixture ``name``'s captured calls (the
    ``overrides`` first); return the file recording its calls."""
    os.makedirs(directory, exist_ok=True)
    record = os.path.join(directory, "systemctl-calls.jsonl")
    answers = os.path.join(directory, "systemctl-answers.json")
    calls = list(overrides) + (fixture(name)["calls"] if name else [])
    with open(answers, "w") as handle:
        json.dump({"mode": mode, "calls": calls}, handle)
    path = os.path.join(directory, "systemctl")
    with open(path, "w") as handle:
        handle.write(_REPLAY % {"python": sys.executable, "record": record, "answers": answers})
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return record


def answer(argv, stdout="", rc=0, stderr=""):
    return {"argv": list(argv), "stdout": stdout, "rc": rc, "stderr": stderr}


def calls(record):
    if not os.path.exists(record):
        return []
    with open(record) as handle:
        return [json.loads(line) for line in handle]


def pin(monkeypatch, name, shift=0.0):
    """Pin the kind's clocks to those of capture ``name``, ``shift`` seconds later."""
    data = fixture(name)
    monkeypatch.setattr(_systemd, "_now", lambda: data["now"] + shift)
    monkeypatch.setattr(_systemd, "_monotonic", lambda: data["monotonic"] + shift)


@pytest.fixture
def standin(tmp_path, monkeypatch):
    """``use(name, overrides=(), mode=...)``: the stand-in first on PATH and the clocks pinned; returns the record."""
    def use(name=None, overrides=(), mode="answer", shift=0.0):
        record = replay(str(tmp_path / "bin"), name, overrides, mode)
        monkeypatch.setenv("PATH", "%s:%s" % (tmp_path / "bin", os.environ.get("PATH", "")))
        if name:
            pin(monkeypatch, name, shift)
        return record
    return use


def check(params, thresholds=None, name="systemd"):
    return _kind.check(_systemd, params, thresholds, name)


def strip(result):
    return dict((k, v) for k, v in result.items() if k != "duration_ms")


# --- replaying real captures ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["degraded", "all_timers", "only_ignored", "running"])
def test_replayed_capture_gives_what_the_real_systemd_gave(standin, name):
    record = standin(name)
    data = fixture(name)
    results = check(data["params"])
    assert [strip(r) for r in results] == [strip(r) for r in data["results"]]
    made = calls(record)
    assert [c["argv"] for c in made] == [c["argv"] for c in data["calls"]]
    for call in made:
        assert (call["lc_all"], call["tz"], call["pager"]) == ("C", "UTC", "")


def test_degraded_host_in_detail(standin):
    record = standin("degraded")
    results = check(fixture("degraded")["params"])
    by_name = dict((r["name"], r) for r in results)
    assert [r["name"] for r in results] == [
        "systemd", "systemd:ok-job.timer", "systemd:backup-db.timer", "systemd:backup-web.timer",
        "systemd:never.timer", "systemd:report.timer", "systemd:stopped.timer", "systemd:slow-job.timer",
        "systemd:nosuch.timer", "systemd:nomatch-*.timer"]
    system = by_name["systemd"]
    assert system["status"] == "critical"
    assert system["metrics"] == {"failed_units": 3}
    assert system["thresholds"] == {"failed_units": {"critical": "0"}}
    assert system["summary"] == (
        "systemd degraded, 3 failed units: backup-db.service, backup-web.service, broken.service (critical > 0; "
        "warning: system degraded (a unit failed); 1 ignored: user-cleanup@x.service)")
    assert system["failed"][2] == {"unit": "broken.service", "load_state": "loaded", "active_state": "failed",
                                   "sub_state": "failed", "description": "Service that fails at once"}
    assert system["ignored"] == ["user-cleanup@x.service"] and system["system_state"] == "degraded"

    db = by_name["systemd:backup-db.timer"]
    assert db["status"] == "critical" and db["pattern"] == "backup-*.timer"
    assert db["summary"] == (
        "backup-db.timer: last triggered 3s ago (Thu 2026-11-26 05:33:30 UTC), backup-db.service failed (exit-code, "
        "exit status 3); next Fri 2026-11-27 00:00:00 UTC (critical: last run failed)")
    assert (db["service"], db["service_result"], db["service_exit_code"], db["service_exit_status"]) == (
        "backup-db.service", "exit-code", "exited", 3)
    assert db["metrics"] == {"last_trigger_age_seconds": 3.5}
    web = by_name["systemd:backup-web.timer"]
    assert "backup-web.service failed (signal, killed by signal 15 (SIGTERM))" in web["summary"]
    assert (web["service_exit_code"], web["service_exit_status"]) == ("killed", 15)
    # OnUnitActiveSec=1d: no calendar elapse, the monotonic one brought to the wall clock
    assert web["next_elapse"] == "Fri 2026-11-27 05:33:30 UTC"

    assert by_name["systemd:ok-job.timer"]["status"] == "ok"
    report = by_name["systemd:report.timer"]
    assert report["status"] == "ok" and report["service"] == "make-report.service"
    assert "make-report.service succeeded" in report["summary"]
    never = by_name["systemd:never.timer"]
    assert never["status"] == "ok" and never["metrics"] == {"last_trigger_age_seconds": None}
    assert never["summary"] == ("never.timer: never triggered, never.service has not run; "
                                "next Thu 2099-01-01 00:00:00 UTC")
    stopped = by_name["systemd:stopped.timer"]
    assert stopped["status"] == "critical"
    assert stopped["summary"].endswith("(critical: timer inactive (dead): it will not trigger)")
    slow = by_name["systemd:slow-job.timer"]
    assert slow["status"] == "ok" and "slow-job.service running now (start)" in slow["summary"]
    assert slow["service_active_state"] == "activating"
    assert by_name["systemd:nosuch.timer"]["summary"] == "no timer matches nosuch.timer (not found)"
    assert by_name["systemd:nomatch-*.timer"]["status"] == "critical"
    assert by_name["systemd:nomatch-*.timer"]["summary"].startswith("no timer matches nomatch-*.timer (globs match")
    # is-system-running, list-units, one show of the timers and their namesake services, one for Unit=
    made = [c["argv"] for c in calls(record)]
    assert [a[0] for a in made] == ["is-system-running", "list-units", "show", "show"]
    assert made[1] == ["list-units", "--state=failed", "--plain", "--no-legend", "--no-pager", "--full"]
    assert made[3][made[3].index("--") + 1:] == ["make-report.service"]


def test_max_age_a_day_later(standin):
    """27 hours after the capture: every timer that ran is overdue, and so is one active all that time."""
    standin("degraded", shift=27 * HOUR)
    results = dict((r["name"], r) for r in check(fixture("degraded")["params"]))
    ok_job = results["systemd:ok-job.timer"]
    assert ok_job["status"] == "critical"
    assert ok_job["summary"] == (
        "ok-job.timer: last triggered 1d 3h ago (Thu 2026-11-26 05:33:30 UTC), ok-job.service succeeded; "
        "next Fri 2026-11-27 03:00:00 UTC (critical: not triggered within max_age 26h)")
    assert ok_job["metrics"]["last_trigger_age_seconds"] == pytest.approx(27 * HOUR + 3.5, abs=0.05)
    never = results["systemd:never.timer"]
    assert never["status"] == "critical"
    assert never["summary"].endswith("(critical: never triggered in the 1d 3h it has been active (max_age 26h))")
    # both problems are named
    assert results["systemd:backup-db.timer"]["summary"].endswith(
        "(critical: last run failed; critical: not triggered within max_age 26h)")


def test_age_thresholds_add_a_warning(standin):
    standin("running", shift=2 * HOUR)
    results = check(fixture("running")["params"], {"last_trigger_age_seconds": {"warning": "90m"}})
    timer = results[1]
    assert timer["status"] == "critical"
    assert timer["thresholds"] == {"last_trigger_age_seconds": {"warning": "90m"}}
    assert timer["summary"].endswith("(critical: not triggered within max_age 1h; warning: "
                                     "last_trigger_age_seconds 2h > 1h 30m)"), timer["summary"]
    # the system result has only its own metric and thresholds
    assert results[0]["metrics"] == {"failed_units": 0}
    assert results[0]["thresholds"] == {"failed_units": {"critical": "0"}}


def test_warning_only_by_threshold(standin):
    standin("running", shift=2 * HOUR)
    results = check({"timers": ["ok-job.timer", "never"], "failed_units": False, "system_state": False},
                    {"last_trigger_age_seconds": {"warning": "90m", "critical": "3h"}})
    assert [(r["name"], r["status"]) for r in results] == [("systemd:ok-job.timer", "warning"),
                                                           ("systemd:never.timer", "ok")]


def test_ignoring_every_failed_unit_clears_degraded(standin):
    standin("only_ignored")
    result = check(fixture("only_ignored")["params"])[0]
    assert result["status"] == "ok"
    assert result["metrics"] == {"failed_units": 0}
    assert result["summary"] == (
        "systemd degraded, no failed units (4 ignored: backup-db.service, backup-web.service, broken.service, "
        "user-cleanup@x.service; degraded only by ignored units)")


def test_six_failed_units_named_five_and_one_more(standin):
    failed = captured("degraded", "list-units")
    extra = "".join("extra-%d.service loaded failed failed Extra %d\n" % (i, i) for i in range(3))
    standin("degraded", overrides=[answer(_systemd.LIST_FAILED, failed + extra)])
    result = check({"ignore": ["user-cleanup@*"]})[0]
    assert result["metrics"] == {"failed_units": 6}
    assert result["summary"].startswith(
        "systemd degraded, 6 failed units: backup-db.service, backup-web.service, broken.service, extra-0.service, "
        "extra-1.service and 1 more (critical > 0; ")


def test_lenient_failed_units_threshold(standin):
    standin("degraded")
    result = check({"ignore": ["user-cleanup@*"]}, {"failed_units": {"warning": "0", "critical": "5"}})[0]
    assert result["status"] == "warning"
    assert result["summary"].endswith("(warning > 0; warning: system degraded (a unit failed); "
                                      "1 ignored: user-cleanup@x.service)")


@pytest.mark.parametrize("state, degraded_status, status, problem", [
    ("running", "warning", "ok", None),
    ("degraded", "warning", "warning", "warning: system degraded (a unit failed)"),
    ("degraded", "critical", "critical", "critical: system degraded (a unit failed)"),
    ("starting", "warning", "warning", "warning: system starting (still booting)"),
    ("initializing", "critical", "warning", "warning: system initializing (early boot)"),
    ("maintenance", "warning", "critical", "critical: system maintenance (rescue or emergency mode)"),
    ("stopping", "warning", "critical", "critical: system stopping (shutting down)"),
    ("reticulating", "warning", "unknown", "unknown: unrecognized system state 'reticulating'"),
])
def test_system_states(standin, state, degraded_status, status, problem):
    """is-system-running prints one word and exits 1 for every state but running: the word decides."""
    record = standin(overrides=[answer(["is-system-running"], state + "\n", 0 if state == "running" else 1)])
    result = check({"failed_units": False, "degraded_status": degraded_status})
    assert len(result) == 1 and result[0]["status"] == status
    assert result[0]["summary"] == "systemd %s" % state + (" (%s)" % problem if problem else "")
    assert result[0]["metrics"] == {"failed_units": None} and result[0]["thresholds"] == {}
    assert result[0]["failed"] is None and result[0]["system_state"] == state
    assert [c["argv"] for c in calls(record)] == [["is-system-running"]]


@pytest.mark.parametrize("state, meaning", [
    ("offline", "systemd is not running as the system manager (PID 1)"),
    ("unknown", "systemd cannot tell its own state"),
])
def test_no_systemd_states_make_everything_unknown_and_stop(standin, state, meaning):
    record = standin(overrides=[answer(["is-system-running"], state + "\n", 1)])
    results = check({"timers": ["logrotate"]})
    reason = "systemctl is-system-running: %s: %s" % (state, meaning)
    assert [(r["name"], r["status"], r["summary"]) for r in results] == [
        ("systemd", "unknown", reason), ("systemd:logrotate.timer", "unknown", "logrotate.timer: " + reason)]
    assert len(calls(record)) == 1


def test_is_system_running_without_output_is_unknown_with_stderr(standin):
    standin(overrides=[answer(["is-system-running"], "", 1, "Failed to connect to bus: No such file or directory\n")])
    result = check({})[0]
    assert result["status"] == "unknown"
    assert result["summary"] == ("systemctl is-system-running printed no state (rc 1): Failed to connect to bus: "
                                 "No such file or directory")


def test_failing_list_units_is_unknown(standin):
    standin(overrides=[answer(["is-system-running"], "running\n"),
                       answer(_systemd.LIST_FAILED, "", 1, "Access denied\n")])
    result = check({})
    assert [(r["status"], r["summary"]) for r in result] == [
        ("unknown", "systemctl list-units failed (rc 1): Access denied")]


def test_calls_made_are_only_those_asked_for(standin):
    record = standin("running")
    check({"system_state": False})
    check({"failed_units": False})
    check({"failed_units": False, "system_state": False, "timers": ["ok-job"]})
    assert [c["argv"][0] for c in calls(record)] == ["list-units", "is-system-running", "show"]
    # the timer and the service named after it in one show
    show = calls(record)[2]["argv"]
    assert show[show.index("--") + 1:] == ["ok-job.timer", "ok-job.service"]
    assert [a for a in show if a.startswith("--property=")] == ["--property=%s" % p for p in _systemd.TIMER_PROPERTIES]


def test_timer_named_twice_is_reported_once(standin):
    """A timer matched by a name and a glob is one result; the glob adds only the others."""
    timers, services = [c["stdout"] for c in fixture("all_timers")["calls"]]
    standin(overrides=[answer(_systemd.show_command(["backup-db.timer", "backup-*.timer", "backup-db.service",
                                                     "backup-*.service"]), timers),
                       answer(_systemd.show_command(["backup-db.service", "backup-web.service"]), services)])
    results = check({"failed_units": False, "system_state": False, "timers": ["backup-db", "backup-*"]})
    assert [(r["name"], r["pattern"]) for r in results] == [
        ("systemd:backup-db.timer", "backup-db.timer"), ("systemd:backup-web.timer", "backup-*.timer")]


# --- the machine's own systemctl, without systemd -----------------------------------------------

no_systemd_here = pytest.mark.skipif(
    os.path.isdir("/run/systemd/system") or not os.path.exists("/usr/bin/systemctl"),
    reason="needs the real systemctl on a host not booted with systemd")


@no_systemd_here
def test_real_systemctl_without_systemd_is_unknown(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    results = check({"timers": ["logrotate", "backup-*"]})
    reason = "systemctl is-system-running: offline: systemd is not running as the system manager (PID 1)"
    assert [(r["name"], r["status"], r["summary"]) for r in results] == [
        ("systemd", "unknown", reason),
        ("systemd:logrotate.timer", "unknown", "logrotate.timer: " + reason),
        ("systemd:backup-*.timer", "unknown", "backup-*.timer: " + reason)]


@no_systemd_here
def test_real_systemctl_without_systemd_failed_units_only(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    result = check({"system_state": False})
    assert len(result) == 1 and result[0]["status"] == "unknown"
    assert result[0]["summary"].startswith("systemctl list-units failed (rc 1): ")
    assert "System has not been booted with systemd as init system (PID 1)" in result[0]["summary"]


@no_systemd_here
def test_real_systemctl_without_systemd_timers_only(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    result = check({"system_state": False, "failed_units": False, "timers": ["logrotate"]})
    assert [r["status"] for r in result] == ["unknown"]
    assert result[0]["summary"].startswith("logrotate.timer: systemctl show failed (rc 1): System has not been booted")


def test_no_systemctl_is_unknown(tmp_path, monkeypatch):
    if any(os.path.exists(os.path.join(d, "systemctl")) for d in ("/sbin", "/usr/sbin", "/usr/local/sbin")):
        pytest.skip("systemctl is in an sbin directory, which is always searched")
    monkeypatch.setenv("PATH", str(tmp_path))
    result = check({})
    assert [(r["status"], r["summary"]) for r in result] == [
        ("unknown", "systemctl not found in PATH or /sbin, /usr/sbin, /usr/local/sbin (not a systemd host?)")]


# --- bounds ---------------------------------------------------------------------------------------

def test_hung_systemctl_is_unknown_at_the_timeout(standin):
    standin(mode="sleep")
    started = time.monotonic()
    result = check({"timeout": 0.5, "timers": ["x"]})
    assert time.monotonic() - started < 0.5 + 30  # a hang guard (the stand-in sleeps 60 s)
    assert [r["status"] for r in result] == ["unknown", "unknown"]
    assert result[0]["summary"] == "systemctl is-system-running did not answer within 0.5 s (systemd or D-Bus hung?)"


def test_one_deadline_for_every_call(standin, monkeypatch):
    """The second call gets what the first left: none here, so it is not even started."""
    record = standin(overrides=[answer(["is-system-running"], "running\n")])
    clock = iter([100.0, 100.0, 111.0])
    monkeypatch.setattr(_systemd, "_monotonic", lambda: next(clock, 111.0))
    result = check({"timeout": 10})
    assert result[0]["status"] == "unknown"
    assert result[0]["summary"] == "no time left for systemctl list-units within the check's timeout"
    assert [c["argv"][0] for c in calls(record)] == ["is-system-running"]


def test_a_flood_of_output_is_cut_and_unknown(standin):
    standin(mode="flood")
    result = check({"system_state": False})
    assert result[0]["status"] == "unknown"
    assert result[0]["summary"].startswith("systemctl list-units printed more than 4 MiB (")


# --- parsing --------------------------------------------------------------------------------------

def test_parse_failed_on_real_output():
    units = _systemd.parse_failed(captured("degraded", "list-units"))
    assert [u["unit"] for u in units] == [
        "backup-db.service", "backup-web.service", "broken.service", "user-cleanup@x.service"]
    assert units[3] == {"unit": "user-cleanup@x.service", "load_state": "loaded", "active_state": "failed",
                        "sub_state": "failed", "description": "Instance that fails"}
    assert _systemd.parse_failed(captured("running", "list-units")) == []


def test_parse_failed_with_a_bullet_and_without_description():
    text = u"\u25cf gone.service not-found failed failed gone.service\nbare.mount loaded failed failed\n\n"
    assert _systemd.parse_failed(text) == [
        {"unit": "gone.service", "load_state": "not-found", "active_state": "failed", "sub_state": "failed",
         "description": "gone.service"},
        {"unit": "bare.mount", "load_state": "loaded", "active_state": "failed", "sub_state": "failed",
         "description": ""}]


@pytest.mark.parametrize("text, seconds", [
    ("Thu 2026-11-26 05:33:30 UTC", 1795671210.0),
    ("Thu 2099-01-01 00:00:00 UTC", 4070908800.0),
    ("", None),
    ("n/a", None),
    ("Thu 2026-11-26 05:33:30 CET", None),
    ("2026-11-26 05:33:30", None),
])
def test_parse_timestamp(text, seconds):
    assert _systemd.parse_timestamp(text) == seconds
    if seconds is not None:
        assert _systemd.format_timestamp(seconds) == text


@pytest.mark.parametrize("text, seconds", [
    ("1d 6h 8min 57.961556s", 86400 + 6 * 3600 + 8 * 60 + 57.961556),
    ("6h 8min 57.909084s", 6 * 3600 + 8 * 60 + 57.909084),
    ("1y 2month 1w", 31557600 + 2 * 2629800 + 604800),
    ("500ms", 0.5),
    ("12us", 12e-6),
    (u"12\u03bcs", 12e-6),
    ("0", None),
    ("", None),
    ("infinity", None),
    ("3 fortnights", None),
])
def test_parse_timespan(text, seconds):
    value = _systemd.parse_timespan(text)
    assert value == (pytest.approx(seconds) if seconds is not None else None)


def test_every_captured_show_parses_into_blocks_with_ids():
    for name in ("degraded", "all_timers", "running"):
        for call in fixture(name)["calls"]:
            if call["argv"][0] == "show":
                blocks = _service.parse_show(call["stdout"])
                assert blocks and all(b.get("Id") for b in blocks)


@pytest.mark.parametrize("unit, patterns, expected", [
    ("user@1000.service", ["user@*.service"], True),
    ("backup-db.service", ["backup-*"], True),
    ("backup-db.timer", ["backup-*"], True),
    ("broken.service", ["broken"], True),
    ("broken.service", ["broken.socket"], False),
    ("unbroken.service", ["broken"], False),
    ("a.mount", [], False),
])
def test_ignore_patterns(unit, patterns, expected):
    assert _systemd.ignored(unit, patterns) is expected


@pytest.mark.parametrize("pattern, guess", [
    ("logrotate.timer", "logrotate.service"),
    ("backup-*.timer", "backup-*.service"),
    ("getty@tty1.timer", "getty@tty1.service"),
    ("*.timer", None),
    ("*?.timer", None),
])
def test_guessed_service(pattern, guess):
    assert _systemd.guessed_service(pattern) == guess


# --- judging, table-driven on real blocks ---------------------------------------------------------

def _blocks(name):
    return _service.index_blocks(_service.parse_show(captured(name, "show")))


@pytest.mark.parametrize("timer, change, status, fragment", [
    ("ok-job.timer", {}, "ok", "ok-job.service succeeded"),
    ("ok-job.timer", {"LoadState": "masked", "ActiveState": "inactive"}, "critical", "timer masked: it will not trigger"),
    ("ok-job.timer", {"ActiveState": "failed", "SubState": "failed", "Result": "resources"}, "critical",
     "timer failed: it will not trigger; critical: timer result resources"),
    ("ok-job.timer", {"SubState": "elapsed"}, "ok", "ok-job.service succeeded"),
    ("ok-job.timer", {"LastTriggerUSec": ""}, "ok", "ok-job.timer: never triggered, ok-job.service succeeded"),
])
def test_judge_timer_states(timer, change, status, fragment):
    blocks = _blocks("all_timers")
    services = _service.index_blocks(_service.parse_show(fixture("all_timers")["calls"][1]["stdout"]))
    services.update(blocks)
    block = dict(blocks[timer], **change)
    config = _kind.validate_params(_systemd, {"timers": [timer]})
    data = fixture("all_timers")
    result = _systemd.judge_timer(block, services[block["Unit"]], timer, config, {}, data["now"], data["monotonic"])
    assert result["status"] == status
    assert fragment in result["summary"], result["summary"]


@pytest.mark.parametrize("change, status, outcome", [
    ({}, "ok", "ok-job.service succeeded"),
    ({"Result": "timeout", "ActiveState": "failed", "ExecMainCode": "2", "ExecMainStatus": "9"}, "critical",
     "ok-job.service failed (timeout, killed by signal 9 (SIGKILL))"),
    ({"Result": "core-dump", "ActiveState": "failed", "ExecMainCode": "3", "ExecMainStatus": "11"}, "critical",
     "ok-job.service failed (core-dump, dumped core on signal 11 (SIGSEGV))"),
    ({"Result": "oom-kill", "ActiveState": "failed"}, "critical", "ok-job.service failed (oom-kill, exit status 0)"),
    ({"ActiveState": "failed", "Result": ""}, "critical", "ok-job.service failed (failed, exit status 0)"),
    ({"ActiveState": "activating", "SubState": "start"}, "ok", "ok-job.service running now (start)"),
    ({"ActiveState": "active", "SubState": "exited"}, "ok", "ok-job.service active"),
    ({"LoadState": "not-found"}, "critical", "ok-job.service not found"),
])
def test_service_outcomes(change, status, outcome):
    service = dict(_blocks("running")["ok-job.service"], **change)
    assert _systemd.service_outcome("ok-job.service", service) == (status, outcome)


def test_service_of_a_timer_not_printed_is_critical(standin):
    blocks = _blocks("running")
    config = _kind.validate_params(_systemd, {"timers": ["ok-job"]})
    data = fixture("running")
    result = _systemd.judge_timer(blocks["ok-job.timer"], None, "ok-job.timer", config, {}, data["now"],
                                  data["monotonic"])
    assert result["status"] == "critical"
    assert result["summary"].endswith("(critical: the unit it starts is not found)")


# --- options --------------------------------------------------------------------------------------

@pytest.mark.parametrize("params, fragments", [
    ({"timers": ["nginx.service"]}, ["option timers: 'nginx.service' is invalid; accepted: timers only, not service "
                                     "units", "logrotate.timer"]),
    ({"timers": ["back up"]}, ["option timers: 'back up' is invalid; accepted: timer names or globs"]),
    ({"timers": ["x" * 300]}, ["at most 255 characters"]),
    ({"timers": [".timer"]}, ["option timers: '.timer' is invalid; accepted: timer names or globs"]),
    ({"ignore": ["user @*"]}, ["option ignore: 'user @*' is invalid; accepted: unit names or globs"]),
    ({"ignore": ["x"], "failed_units": False}, ["option ignore: ['x'] is invalid; accepted: ignore only with "
                                                "failed_units true"]),
    ({"max_age": "26h"}, ["option max_age: '26h' is invalid; accepted: max_age only with timers"]),
    ({"timers": ["a"], "max_age": "soon"}, ["option max_age: 'soon' is invalid; accepted: a duration greater than 0"]),
    ({"timers": ["a"], "max_age": "0"}, ["option max_age: '0' is invalid"]),
    ({"timers": ["a"], "max_age": "-5m"}, ["option max_age: '-5m' is"]),
    ({"timers": ["a"], "max_age": "1e308d"}, ["option max_age: '1e308d' is not a finite duration"]),
    ({"failed_units": False, "system_state": False}, [
        "option failed_units/system_state/timers: 'false/false/[]' is invalid; accepted: at least one thing to check"]),
    ({"degraded_status": "fatal"}, ["degraded_status", "fatal", "warning, critical"]),
    ({"timeout": 0}, ["option timeout: 0.0 is invalid; accepted: a number of seconds greater than 0"]),
    ({"timeout": 100000}, ["option timeout: 100000.0 is invalid"]),
    ({"failed_units": "maybe"}, ["failed_units", "maybe"]),
])
def test_bad_options_name_option_value_and_what_is_accepted(params, fragments):
    with pytest.raises(SreHealthError) as raised:
        _kind.validate_params(_systemd, params)
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, message


def test_bad_thresholds_name_the_metric():
    with pytest.raises(SreHealthError, match="thresholds.failed_units.critical"):
        compile_thresholds({"failed_units": {"critical": "5s"}}, _systemd.METRICS, _systemd.DEFAULT_THRESHOLDS)
    with pytest.raises(SreHealthError, match="unknown metric 'active'; accepted metrics: failed_units, "
                                             "last_trigger_age_seconds"):
        compile_thresholds({"active": {"critical": "1"}}, _systemd.METRICS, _systemd.DEFAULT_THRESHOLDS)


def test_validated_config():
    config = _kind.validate_params(_systemd, {"timers": ["logrotate", "backup-*", "logrotate.timer"],
                                              "max_age": "26h", "ignore": ["user@*"]})
    assert config.timers == ["logrotate.timer", "backup-*.timer"]
    assert config.max_age == 26 * HOUR and config.max_age_text == "26h"
    assert (config.failed_units, config.system_state, config.degraded_status, config.timeout) == (
        True, True, "warning", 10.0)
    assert isinstance(_kind.validate_params(_systemd, {}), _kind.Config)


def test_the_kind_keeps_the_protocol():
    assert all(hasattr(_systemd, name) for name in _kind.PROTOCOL)
    assert _systemd.ISOLATED is False and _systemd.REQUIRES == {}
    with pytest.raises(OptionError):
        _systemd.normalize_timer("a.socket")
