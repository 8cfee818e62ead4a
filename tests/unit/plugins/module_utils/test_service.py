# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The service check on the real ``systemctl show`` output format.

This machine has no running systemd (real systemd is exercised in the molecule scenarios), so
the fixtures/systemctl_show_*.txt files hold ``systemctl show --property=...`` output as
systemd 252 prints it: one block per unit in argument order, blocks separated by a blank line,
properties in D-Bus order (Service interface before Unit interface, so MainPID comes before
Id), an explicitly requested empty property printed as ``Name=``, unset uint64 values as
``[not set]``, timestamps as ``Sun 2026-11-22 11:05:01 UTC``, and properties the unit type does
not have (NRestarts on a timer) left out. systemctl_show_old_systemd.txt is the older format
(before v235: no NRestarts, unset MemoryCurrent printed as 18446744073709551615, empty
properties omitted).

systemctl_show_captured_systemd252.txt is genuine output, captured from systemd 252 running as
PID 1 in the molecule test image (Debian 12) with the module's own argv (show_command), on units
set up to be failed, flapping (Restart=always), still starting (Type=notify), masked while
running, running with a unit file that no longer loads, an alias, a timer and a missing unit; it
confirms the format the hand-written fixtures follow, down to the property order.

run() is exercised through a stand-in ``systemctl`` executable put first on PATH: a real
subprocess that records its argv, answers from the fixtures like systemctl would (blocks in
argument order, only the requested properties, a not-found block for unknown units).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import threading
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _service
from ansible_collections.sre.health.plugins.module_utils._status import (
    OptionError,
    ThresholdError,
    compile_thresholds,
)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

# A value of CLOCK_MONOTONIC (seconds since boot) to judge the fixtures' timestamps against.
NOW = 2382.0


def fixture_text(name):
    with open(os.path.join(FIXTURES, "systemctl_show_%s.txt" % name)) as handle:
        return handle.read()


def fixture_blocks():
    """Every unit block of every fixture, keyed by each of its names."""
    blocks = {}
    for name in ("healthy", "problems", "bad_setting"):
        for block in _service.parse_show(fixture_text(name)):
            for alias in block["Names"].split():
                blocks[alias] = block
    return blocks


# --- stand-in systemctl -------------------------------------------------------------------------

_FAKE = r'''#!%(python)s
import json, sys, time
CONFIG = json.loads(%(config)r)
args = sys.argv[1:]
with open(CONFIG["record"], "a") as handle:
    handle.write(json.dumps(args) + "\n")
if CONFIG["mode"] == "fail":
    sys.stderr.write(CONFIG["stderr"])
    sys.exit(CONFIG["rc"])
if CONFIG["mode"] == "sleep":
    time.sleep(60)
if not args or args[0] != "show" or "--" not in args:
    sys.stderr.write("stand-in systemctl: expected 'show ... -- UNIT...', got %%r\n" %% (args,))
    sys.exit(2)
options, units = args[1:args.index("--")], args[args.index("--") + 1:]
props = []
for option in options:
    if option.startswith("--property="):
        props += option[len("--property="):].split(",")
    elif option != "--no-pager":
        sys.stderr.write("stand-in systemctl: unexpected option %%r\n" %% option)
        sys.exit(2)
if sorted(props) != sorted(CONFIG["properties"]):
    sys.stderr.write("stand-in systemctl: unexpected properties %%r\n" %% (props,))
    sys.exit(2)
out = []
for unit in units:
    block = CONFIG["blocks"].get(unit)
    if block is None:
        block = [[k, v.replace("nosuch.service", unit)] for k, v in CONFIG["blocks"]["nosuch.service"]]
    out.append("".join("%%s=%%s\n" %% (k, v) for k, v in block if k in props))
sys.stdout.write("\n".join(out))
'''


def fake_systemctl(directory, mode="answer", rc=1, stderr=""):
    """Write a stand-in ``systemctl`` into ``directory``; return the file recording its calls."""
    os.makedirs(directory, exist_ok=True)
    record = os.path.join(directory, "systemctl-calls.jsonl")
    blocks = {}
    for name in ("healthy", "problems", "bad_setting"):
        for block in _service.parse_show(fixture_text(name)):
            # keep systemctl's property order: parse_show returns dicts in insertion order
            for alias in block["Names"].split():
                blocks[alias] = list(block.items())
    config = json.dumps({"record": record, "mode": mode, "rc": rc, "stderr": stderr, "blocks": blocks,
                         "properties": list(_service.PROPERTIES)})
    path = os.path.join(directory, "systemctl")
    with open(path, "w") as handle:
        handle.write(_FAKE % {"python": sys.executable, "config": config})
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return record


def calls(record):
    if not os.path.exists(record):
        return []
    with open(record) as handle:
        return [json.loads(line) for line in handle]


def sbin_has_systemctl():
    return any(os.path.exists(os.path.join(d, "systemctl")) for d in ("/sbin", "/usr/sbin", "/usr/local/sbin"))


@pytest.fixture
def pinned_clock(monkeypatch):
    monkeypatch.setattr(_service, "_clock", lambda: NOW)


@pytest.fixture
def systemctl(tmp_path, monkeypatch, pinned_clock):
    """The stand-in systemctl alone on PATH; yields the file recording its calls."""
    directory = str(tmp_path / "bin")
    record = fake_systemctl(directory)
    monkeypatch.setenv("PATH", directory)
    return record


def run(thresholds=None, **params):
    params.setdefault("timeout", 10.0)
    compiled = compile_thresholds(thresholds, _service.METRICS, _service.DEFAULT_THRESHOLDS)
    return _service.run(_service.validate(params), compiled)


# --- unit names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, unit", [
    ("nginx", "nginx.service"),
    ("nginx.service", "nginx.service"),
    ("apt-daily.timer", "apt-daily.timer"),
    ("getty@tty1.service", "getty@tty1.service"),
    ("getty@tty1", "getty@tty1.service"),
    ("-.mount", "-.mount"),
    ("var-lib-docker.mount", "var-lib-docker.mount"),
    ("dbus-org.freedesktop.hostname1.service", "dbus-org.freedesktop.hostname1.service"),
    ("systemd-fsck@dev-disk-by\\x2duuid-0f3c.service", "systemd-fsck@dev-disk-by\\x2duuid-0f3c.service"),
    ("nginx.conf", "nginx.conf.service"),  # as systemctl itself mangles it: not a unit type suffix
    ("service", "service.service"),
    ("user-1000.slice", "user-1000.slice"),
    ("a" * 247, "a" * 247 + ".service"),
])
def test_unit_names_are_normalized_as_systemctl_does(name, unit):
    assert _service.normalize_unit(name) == unit


@pytest.mark.parametrize("name", [
    "", "nginx web", "ngin*", "ssh?", "nginx[1]", "/etc/passwd", "../nginx", "nginx;reboot", "$(reboot)",
    "nginx\n", " nginx", "ünit", "a@b@c.service", "@tty1.service", ".service", "a" * 248, None, 5,
])
def test_invalid_unit_names_name_the_option_and_value(name):
    with pytest.raises(OptionError) as info:
        _service.normalize_unit(name)
    message = str(info.value)
    assert message.startswith("option name: %r is invalid; accepted: " % (name,))
    assert "nginx.service" in message and "no globs" in message


def test_a_template_needs_an_instance():
    with pytest.raises(OptionError, match=r"option name: 'getty@\.service'.*getty@tty1\.service"):
        _service.normalize_unit("getty@.service")


def test_validate_deduplicates_and_checks_every_option():
    config = _service.validate(
        {"name": ["nginx", "nginx.service", "cron"], "expect": "active", "enabled": None, "timeout": 3})
    assert config.units == ["nginx.service", "cron.service"]
    assert (config.expect, config.enabled, config.timeout) == ("active", None, 3.0)
    single = _service.validate({"name": "nginx"})
    assert (single.units, single.expect, single.enabled) == (["nginx.service"], "active", None)
    for params, fragment in [
        ({"name": []}, "option name: [] is invalid; accepted: a list of one or more unit names"),
        ({"name": None}, "option name: None"),
        ({"name": ["ok", "not ok"]}, "option name: 'not ok' is invalid"),
        ({"name": ["nginx"], "expect": "running"}, "option expect: 'running' is invalid; accepted: active, inactive"),
        ({"name": ["nginx"], "enabled": "yes"}, "option enabled: 'yes' is invalid"),
        ({"name": ["nginx"], "timeout": 0}, "option timeout: 0 is invalid"),
        ({"name": ["nginx"], "timeout": None}, "option timeout: None is invalid"),
    ]:
        with pytest.raises(OptionError) as info:
            _service.validate(params)
        assert fragment in str(info.value)


def test_show_command_asks_explicit_properties_and_ends_options():
    argv = _service.show_command("/usr/bin/systemctl", ["-.mount", "nginx.service"])
    assert argv[:3] == ["/usr/bin/systemctl", "show", "--no-pager"]
    assert argv[-3:] == ["--", "-.mount", "nginx.service"]
    assert [a for a in argv if a.startswith("--property=")] == ["--property=" + p for p in _service.PROPERTIES]
    for needed in ("Id", "Names", "LoadState", "ActiveState", "SubState", "UnitFileState", "NRestarts",
                   "ActiveEnterTimestampMonotonic", "MemoryCurrent", "MainPID", "Result"):
        assert needed in _service.PROPERTIES


# --- parsing ------------------------------------------------------------------------------------

def test_parse_show_splits_blocks_in_output_order():
    blocks = _service.parse_show(fixture_text("healthy"))
    assert [b["Id"] for b in blocks] == ["nginx.service", "ssh.service", "cron.service",
                                         "systemd-journald.service", "apt-daily.timer", "ifupdown-pre.service"]
    nginx = blocks[0]
    assert nginx["ActiveEnterTimestamp"] == "Sun 2026-11-22 11:05:01 UTC"
    assert nginx["LoadError"] == ""
    assert nginx["Description"] == "A high performance web server and a reverse proxy server"
    assert "NRestarts" not in blocks[4] and "MemoryCurrent" not in blocks[4]  # a timer has neither
    problems = _service.parse_show(fixture_text("problems"))
    assert problems[0]["LoadError"] == 'org.freedesktop.systemd1.NoSuchUnit "Unit nosuch.service not found."'
    assert problems[0]["UnitFileState"] == ""


def test_parse_show_tolerates_crlf_extra_blank_lines_and_equals_in_values():
    text = "\n\nId=a.service\r\nDescription=x=y\r\n\r\n\r\nId=b.service\nnot a property line\n"
    assert _service.parse_show(text) == [{"Id": "a.service", "Description": "x=y"}, {"Id": "b.service"}]
    assert _service.parse_show("") == []


def test_blocks_match_by_position_then_by_names():
    blocks = _service.parse_show(fixture_text("healthy"))
    # sshd.service is an alias: systemctl prints ssh.service's block, which names the alias
    matched = _service.match_blocks(["nginx.service", "sshd.service"], blocks[:2])
    assert matched["sshd.service"]["Id"] == "ssh.service"
    # out of order (or a block missing): found by Id/Names, or None
    matched = _service.match_blocks(["cron.service", "nginx.service", "gone.service"], blocks[:3])
    assert matched["cron.service"]["Id"] == "cron.service"
    assert matched["nginx.service"]["Id"] == "nginx.service"
    assert matched["gone.service"] is None


# CLOCK_MONOTONIC inside the container right after the capture.
CAPTURED_NOW = 3052.142458452

CAPTURED_UNITS = [
    "nginx.service", "dbus-org.freedesktop.login1.service", "systemd-journald.service", "tick.timer",
    "systemd-remount-fs.service", "nosuch.service", "apache2.service", "app.service", "flappy.service",
    "slow.service", "legacy.service", "telnetd.service",
]


def test_real_capture_from_systemd_252():
    blocks = _service.parse_show(fixture_text("captured_systemd252"))
    matched = _service.match_blocks(CAPTURED_UNITS, blocks)
    assert len(blocks) == len(CAPTURED_UNITS)
    assert matched["dbus-org.freedesktop.login1.service"]["Id"] == "systemd-logind.service"  # an alias
    judged = {}
    for unit in CAPTURED_UNITS:
        status, problems, metrics, headline, _fields = _service.assess(unit, matched[unit], "active", True,
                                                                       CAPTURED_NOW)
        judged[unit] = (status, headline, [text for _level, text in problems], metrics)
    assert judged["nginx.service"] == ("ok", "active (running), enabled, up 1m 13s, 0 restarts, memory 2.3 MiB", [],
                                       {"active": 1, "restarts": 0, "uptime_seconds": 73.2, "memory_bytes": 2396160})
    assert judged["dbus-org.freedesktop.login1.service"][:3] == (
        "ok", "active (running), static, up 1m 13s, 0 restarts, memory 1.4 MiB", [])
    assert judged["tick.timer"][:3] == ("ok", "active (waiting), enabled, up 59s", [])
    assert judged["systemd-remount-fs.service"][:3] == ("ok", "active (exited), enabled-runtime, up 1m 13s, 0 restarts",
                                                        [])
    assert judged["nosuch.service"][:3] == ("critical", "unit not found", [])
    assert judged["apache2.service"][:3] == ("critical", "inactive (dead), masked",
                                             ["expected active", "expected enabled"])
    assert judged["app.service"][:3] == ("critical", "failed, result exit-code, enabled", ["expected active"])
    assert judged["flappy.service"][:3] == ("critical", "activating (auto-restart), result exit-code, enabled, 1 restart",
                                            ["restarting after a failure, expected active"])
    assert judged["slow.service"][:3] == ("warning", "activating (start), static, 0 restarts, memory 172 KiB",
                                          ["still starting, expected active"])
    assert judged["legacy.service"][:3] == (
        "warning", "active (running), enabled, unit file bad-setting: Unit legacy.service has a bad unit file "
                   "setting, up 59s, 0 restarts, memory 176 KiB",
        ["unit file does not load (bad-setting): will not start again once stopped"])
    assert judged["telnetd.service"][:3] == (
        "warning", "active (running), masked, up 51s, 0 restarts",
        ["masked: will not start again once stopped", "expected enabled"])


# --- metrics ------------------------------------------------------------------------------------

def test_metrics_of_a_running_service():
    block = fixture_blocks()["nginx.service"]
    assert _service.unit_metrics(block, NOW) == {
        "active": 1, "restarts": 0, "uptime_seconds": round(NOW - 6.210456, 1), "memory_bytes": 5349376}


@pytest.mark.parametrize("unit, expected", [
    ("cron.service", {"active": 1, "restarts": 2, "memory_bytes": None}),        # MemoryCurrent=[not set]
    ("apt-daily.timer", {"active": 1, "restarts": None, "memory_bytes": None}),  # properties absent
    ("ifupdown-pre.service", {"active": 1, "restarts": 0, "memory_bytes": None}),  # oneshot, exited
    ("app.service", {"active": 0, "restarts": 5, "uptime_seconds": None}),       # failed: no uptime
    ("flappy.service", {"active": 0, "restarts": 3, "uptime_seconds": None}),
    ("slow.service", {"active": 0, "memory_bytes": 1523712, "uptime_seconds": None}),
    ("nosuch.service", {"active": 0, "restarts": None, "uptime_seconds": None, "memory_bytes": None}),
    ("legacy.service", {"active": 1, "memory_bytes": 22892544}),
])
def test_metrics_from_real_format_values(unit, expected):
    metrics = _service.unit_metrics(fixture_blocks()[unit], NOW)
    for key, value in expected.items():
        assert metrics[key] == value, key


def test_metrics_of_old_systemd_and_odd_clocks():
    block = _service.parse_show(fixture_text("old_systemd"))[0]
    assert _service.unit_metrics(block, NOW) == {
        "active": 1, "restarts": None, "uptime_seconds": round(NOW - 6.210456, 1), "memory_bytes": None}
    # a timestamp from the future (another clock) gives no uptime rather than a negative one
    assert _service.unit_metrics(block, 5.0)["uptime_seconds"] is None
    assert _service.unit_metrics(dict(block, ActiveEnterTimestampMonotonic="0"), NOW)["uptime_seconds"] is None


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (12.7, "12s"), (60, "1m"), (250, "4m 10s"), (7500, "2h 5m"), (3 * 86400 + 4 * 3600 + 59, "3d 4h"),
    (86400 + 30, "1d"),
])
def test_format_uptime(seconds, text):
    assert _service.format_uptime(seconds) == text


@pytest.mark.parametrize("state, enabled", [
    ("enabled", True), ("enabled-runtime", True), ("alias", True), ("static", True), ("indirect", True),
    ("generated", True), ("transient", True), ("disabled", False), ("linked", False), ("linked-runtime", False),
    ("masked", False), ("masked-runtime", False), ("bad", False), ("", False), ("something-new", False),
])
def test_enabled_follows_systemctl_is_enabled(state, enabled):
    assert _service.is_enabled(state) is enabled


# --- judgement ----------------------------------------------------------------------------------

@pytest.mark.parametrize("unit, expect, enabled, status, summary", [
    ("nginx.service", "active", None, "ok",
     "active (running), enabled, up 39m 35s, 0 restarts, memory 5.1 MiB"),
    ("nginx.service", "active", True, "ok", None),
    ("nginx.service", "active", False, "warning", "(warning: expected disabled)"),
    ("nginx.service", "inactive", None, "critical", "(critical: expected inactive)"),
    ("cron.service", "active", None, "ok", "active (running), enabled, up 39m 38s, 2 restarts"),
    ("systemd-journald.service", "active", True, "ok", "active (running), static, up"),
    ("systemd-journald.service", "active", False, "warning", "static, up 39m 40s, 0 restarts (warning: expected disabled)"),
    ("apt-daily.timer", "active", True, "ok", "active (waiting), enabled, up 39m 38s"),
    ("ifupdown-pre.service", "active", None, "ok", "active (exited), static, up 39m 39s, 0 restarts"),
    ("nosuch.service", "active", None, "critical", "unit not found"),
    ("nosuch.service", "active", True, "critical", "unit not found"),
    ("nosuch.service", "inactive", None, "ok", "unit not found, so not running"),
    ("nosuch.service", "inactive", False, "ok", "unit not found, so not running"),
    ("apache2.service", "active", None, "critical", "inactive (dead), masked (critical: expected active)"),
    ("apache2.service", "inactive", None, "ok", "inactive (dead), masked"),
    ("apache2.service", "inactive", False, "ok", "inactive (dead), masked"),
    ("apache2.service", "inactive", True, "warning", "inactive (dead), masked (warning: expected enabled)"),
    ("app.service", "active", None, "critical", "failed, result exit-code, enabled, 5 restarts (critical: expected active)"),
    ("app.service", "active", False, "critical",
     "failed, result exit-code, enabled, 5 restarts (critical: expected active; warning: expected disabled)"),
    ("app.service", "inactive", None, "ok", "failed, result exit-code, enabled, 5 restarts"),
    ("flappy.service", "active", None, "critical",
     "activating (auto-restart), result exit-code, enabled, 3 restarts (critical: restarting after a failure, expected active)"),
    ("flappy.service", "inactive", None, "critical", "(critical: expected inactive)"),
    ("slow.service", "active", None, "warning",
     "activating (start), disabled, 0 restarts, memory 1.5 MiB (warning: still starting, expected active)"),
    ("slow.service", "active", True, "warning", "(warning: still starting, expected active; warning: expected enabled)"),
    ("postgresql.service", "active", None, "critical", "inactive (dead), disabled (critical: expected active)"),
    ("postgresql.service", "inactive", False, "ok", "inactive (dead), disabled"),
    ("legacy.service", "active", None, "warning",
     "active (running), enabled, unit file bad-setting: Unit legacy.service has a bad unit file setting, up 39m 35s, "
     "0 restarts, memory 21.8 MiB (warning: unit file does not load (bad-setting): will not start again once stopped)"),
    ("telnetd.service", "active", None, "warning", "active (running), masked, up 39m 34s, 0 restarts, memory 3 MiB "
                                                   "(warning: masked: will not start again once stopped)"),
    ("telnetd.service", "inactive", None, "critical", "(critical: expected inactive)"),
])
def test_state_judgement(unit, expect, enabled, status, summary):
    block = fixture_blocks()[unit]
    got_status, problems, _metrics, headline, fields = _service.assess(unit, block, expect, enabled, NOW)
    parts = ["%s: %s" % p for p in sorted(problems, key=lambda p: p[0] != "critical")]
    text = headline + (" (%s)" % "; ".join(parts) if parts else "")
    assert got_status == status, text
    if summary is not None:
        assert summary in text
    assert fields["expected"] == {"state": expect, "enabled": enabled}


def test_unrecognized_active_state_is_unknown():
    block = dict(fixture_blocks()["nginx.service"], ActiveState="hibernating")
    status, problems, _m, _h, _f = _service.assess("nginx.service", block, "active", None, NOW)
    assert status == "unknown" and problems == [("unknown", "unrecognized ActiveState 'hibernating'")]


# --- run(): one real subprocess -----------------------------------------------------------------

UNITS = ["nginx", "sshd.service", "cron", "apt-daily.timer", "nosuch", "apache2", "app", "flappy", "slow"]


def test_run_reads_every_unit_in_one_systemctl_call(systemctl):
    results = run(name=UNITS)
    made = calls(systemctl)
    assert len(made) == 1
    argv = made[0]
    assert argv[0] == "show" and argv[-len(UNITS):] == [_service.normalize_unit(u) for u in UNITS]
    by_name = dict((r["name"], r) for r in results)
    assert [r["name"] for r in results] == ["service:%s" % _service.normalize_unit(u) for u in UNITS]
    statuses = dict((name, r["status"]) for name, r in by_name.items())
    assert statuses == {
        "service:nginx.service": "ok", "service:sshd.service": "ok", "service:cron.service": "ok",
        "service:apt-daily.timer": "ok", "service:nosuch.service": "critical", "service:apache2.service": "critical",
        "service:app.service": "critical", "service:flappy.service": "critical", "service:slow.service": "warning",
    }
    assert by_name["service:nosuch.service"]["summary"] == "nosuch.service: unit not found"
    assert by_name["service:sshd.service"]["summary"].startswith("sshd.service (ssh.service): active (running)")
    assert by_name["service:apache2.service"]["summary"] == (
        "apache2.service: inactive (dead), masked (critical: expected active)")
    nginx = by_name["service:nginx.service"]
    assert set(nginx) >= {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms"}
    assert nginx["kind"] == "service" and nginx["thresholds"] == {}
    assert nginx["metrics"] == {"active": 1, "restarts": 0, "uptime_seconds": 2375.8, "memory_bytes": 5349376}
    assert nginx["summary"] == ("nginx.service: active (running), enabled, up 39m 35s, 0 restarts, memory 5.1 MiB")
    fields = ("unit", "description", "load_state", "active_state", "sub_state", "unit_file_state", "enabled",
              "unit_result", "main_pid", "active_since")
    assert dict((k, nginx[k]) for k in fields) == {
        "unit": "nginx.service", "description": "A high performance web server and a reverse proxy server",
        "load_state": "loaded", "active_state": "active", "sub_state": "running", "unit_file_state": "enabled",
        "enabled": True, "unit_result": "success", "main_pid": 734, "active_since": "Sun 2026-11-22 11:05:01 UTC"}
    app = by_name["service:app.service"]
    assert app["active_state"] == "failed" and app["unit_result"] == "exit-code" and app["main_pid"] is None
    assert by_name["service:nosuch.service"]["load_state"] == "not-found"
    assert by_name["service:nosuch.service"]["enabled"] is None


def test_run_names_results_after_the_check_name(systemctl):
    results = run(name=["nginx"])
    assert [r["name"] for r in results] == ["service:nginx.service"]
    compiled = compile_thresholds(None, _service.METRICS, _service.DEFAULT_THRESHOLDS)
    results = _service.run(_service.validate({"name": ["nginx"], "timeout": 5}), compiled, "web")
    assert [r["name"] for r in results] == ["web:nginx.service"]


def test_thresholds_on_restarts_uptime_and_memory(systemctl):
    thresholds = {
        "restarts": {"warning": "0", "critical": "5"},
        "memory_bytes": {"warning": "5MiB", "critical": "1GiB"},
        "uptime_seconds": {"warning": "1h:"},
    }
    by_name = dict((r["name"], r) for r in run(thresholds, name=["nginx", "cron", "apt-daily.timer", "app"]))
    nginx = by_name["service:nginx.service"]
    assert nginx["status"] == "warning"
    assert nginx["summary"].endswith("(warning: memory_bytes 5.1 MiB > 5 MiB; warning: uptime_seconds 39m 35s < 1h)")
    assert nginx["thresholds"] == {"restarts": {"warning": "0", "critical": "5"},
                                   "memory_bytes": {"warning": "5MiB", "critical": "1GiB"},
                                   "uptime_seconds": {"warning": "1h:"}}
    cron = by_name["service:cron.service"]  # 2 restarts, memory not accounted
    assert cron["status"] == "warning" and "warning: restarts 2 > 0" in cron["summary"]
    assert by_name["service:apt-daily.timer"]["status"] == "warning"  # only its uptime is judged
    app = by_name["service:app.service"]  # failed and 5 restarts: state and threshold both critical
    assert app["status"] == "critical"
    assert app["summary"].endswith("(critical: expected active; warning: restarts 5 > 0)")


def test_thresholds_on_active_are_refused():
    with pytest.raises(OptionError, match=r"option thresholds.active: .*judged by expect"):
        run({"active": {"critical": "1:"}}, name=["nginx"])
    with pytest.raises(ThresholdError, match=r"thresholds.memory_bytes.critical: .*unit 's' does not fit a bytes"):
        run({"memory_bytes": {"critical": "10s"}}, name=["nginx"])


def test_bad_names_fail_before_systemctl_runs(systemctl):
    with pytest.raises(OptionError, match=r"option name: 'web\*'"):
        run(name=["nginx", "web*"])
    assert calls(systemctl) == []


def test_systemctl_missing_is_unknown_for_every_unit(tmp_path, monkeypatch):
    if sbin_has_systemctl():
        pytest.skip("systemctl is in an sbin directory, which is always searched")
    monkeypatch.setenv("PATH", str(tmp_path))
    results = run(name=["nginx", "cron"])
    assert [r["status"] for r in results] == ["unknown", "unknown"]
    assert results[0]["summary"] == ("nginx.service: systemctl not found in PATH or /sbin, /usr/sbin, /usr/local/sbin "
                                     "(not a systemd host?)")
    assert results[1]["metrics"] == {"active": None, "restarts": None, "uptime_seconds": None, "memory_bytes": None}


def test_systemctl_failing_is_unknown_with_its_message(tmp_path, monkeypatch):
    message = ("System has not been booted with systemd as init system (PID 1). Can't operate.\n"
               "Failed to connect to bus: Host is down\n")
    record = fake_systemctl(str(tmp_path), mode="fail", rc=1, stderr=message)
    monkeypatch.setenv("PATH", str(tmp_path))
    results = run(name=["nginx", "cron"])
    assert len(calls(record)) == 1
    assert [r["status"] for r in results] == ["unknown", "unknown"]
    assert results[1]["summary"] == (
        "cron.service: systemctl show failed (rc 1): System has not been booted with systemd as init system "
        "(PID 1). Can't operate.; Failed to connect to bus: Host is down")


@pytest.mark.skipif(os.path.isdir("/run/systemd/system") or not os.path.exists("/usr/bin/systemctl"),
                    reason="needs the real systemctl on a host not booted with systemd")
def test_real_systemctl_on_a_host_without_systemd(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    results = run(name=["nginx"])
    assert results[0]["status"] == "unknown"
    assert results[0]["summary"].startswith("nginx.service: systemctl show failed (rc 1): ")
    assert "System has not been booted with systemd" in results[0]["summary"]


def _state(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_hung_systemctl_times_out_and_is_killed_with_its_children(tmp_path, monkeypatch):
    pidfile = tmp_path / "child.pid"
    script = tmp_path / "systemctl"
    # a shell whose child holds stdout open: killing only the shell would leave the read hanging
    script.write_text("#!/bin/sh\n%s 60 &\necho $! > %s\nwait\n" % (shutil.which("sleep"), pidfile))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    results = run(name=["nginx"], timeout=0.5)
    assert results[0]["status"] == "unknown"
    assert results[0]["summary"] == "nginx.service: systemctl show did not answer within 0.5 s (systemd or D-Bus hung?)"
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 30  # well below the child's 60 s sleep
    while _state(child) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(child) in (None, "Z")


def test_run_is_thread_safe(systemctl):
    outcomes = {}

    def worker(index, units):
        outcomes[index] = [(r["name"], r["status"]) for r in run(name=units)]

    plans = [["nginx", "nosuch"], ["app"], ["cron", "apt-daily.timer", "sshd"], ["slow", "apache2"]] * 3
    threads = [threading.Thread(target=worker, args=(i, units)) for i, units in enumerate(plans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {"nginx": "ok", "nosuch": "critical", "app": "critical", "cron": "ok", "apt-daily.timer": "ok",
                "sshd": "ok", "slow": "warning", "apache2": "critical"}
    for index, units in enumerate(plans):
        assert outcomes[index] == [("service:%s" % _service.normalize_unit(u), expected[u]) for u in units]
    assert len(calls(systemctl)) == len(plans)


def test_the_service_kind_keeps_the_protocol(systemctl):
    """validate() once returns one Config; run(config) never validates again; _kind.check runs it whole."""
    from ansible_collections.sre.health.plugins.module_utils import _kind

    assert all(hasattr(_service, name) for name in _kind.PROTOCOL)
    results = _kind.check(_service, {"name": ["nginx"]}, name="web")
    assert [r["name"] for r in results] == ["web:nginx.service"] and results[0]["status"] == "ok"
    with pytest.raises(OptionError, match="option name: 'not a unit' is invalid"):
        _kind.check(_service, {"name": ["not a unit"]})
