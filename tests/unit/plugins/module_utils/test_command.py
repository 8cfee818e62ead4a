# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The command kind against Debian's real monitoring-plugins and plugins written here (odd
performance data, no output, huge output, odd exit codes, SIGTERM ignored, children that outlive
their parent). No mocks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _command, _perfdata
from ansible_collections.sre.health.plugins.module_utils._kind import SpecError, check, validate_params
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._status import ThresholdError, compile_thresholds
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, PERCENT, SECONDS
from ansible_collections.sre.health.tests.unit.utils import collections_path

PLUGINS = "/usr/lib/nagios/plugins"
needs_plugins = pytest.mark.skipif(not os.path.exists(os.path.join(PLUGINS, "check_dummy")),
                                   reason="monitoring-plugins are not installed (%s/check_dummy)" % PLUGINS)


def run(params, thresholds=None):
    results = check(_command, params, thresholds)
    assert len(results) == 1
    json.dumps(results)  # crosses a pipe and Ansible's JSON: must serialize
    return results[0]


def script(tmp_path, body, name="plugin"):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def gone(pid, within=60.0):
    """True once ``pid`` no longer runs (a zombie waiting for init counts as gone)."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            with open("/proc/%d/stat" % pid) as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def read_pid(path, within=60.0):
    end = time.monotonic() + within
    while time.monotonic() < end:
        if os.path.exists(path) and open(path).read().strip():
            return int(open(path).read().strip())
        time.sleep(0.02)
    raise AssertionError("no pid written to %s" % path)


# ---------------------------------------------------------------- performance data, per the guidelines

GUIDELINES_EXAMPLE = """DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968
/ 15272 MB (77%);
/boot 68 MB (69%);
/home 69357 MB (27%);
/var/log 819 MB (84%); | /boot=68MB;88;93;0;98
/home=69357MB;253404;253409;0;253414
/var/log=818MB;970;975;0;980"""


def test_the_guidelines_long_output_example():
    out = _perfdata.parse_output(GUIDELINES_EXAMPLE)
    assert out.summary == "DISK OK - free space: / 3326 MB (56%);"
    assert out.long_text.splitlines() == ["/ 15272 MB (77%);", "/boot 68 MB (69%);", "/home 69357 MB (27%);",
                                          "/var/log 819 MB (84%);"]
    assert [i.label for i in out.items] == ["/", "/boot", "/home", "/var/log"]
    root = out.items[0]
    assert (root.value, root.kind, root.uom) == (2643 * 1024 ** 2, BYTES, "MB")
    assert root.warning.start == 0 and root.warning.end == 5948 * 1024 ** 2
    assert root.critical.end == 5958 * 1024 ** 2
    assert (root.minimum, root.maximum) == (0, 5968 * 1024 ** 2)
    assert out.problems == []


@pytest.mark.parametrize("text, label, value, kind", [
    ("'label with spaces'=5", "label with spaces", 5, COUNT),
    ("'it''s'=1", "it's", 1, COUNT),
    ("'a''''b'=1", "a''b", 1, COUNT),
    ("'x=y'=2", "x=y", 2, COUNT),
    ("time=0.25s;;;0", "time", 0.25, SECONDS),
    ("rta=12.5ms;100;500;0", "rta", 0.0125, SECONDS),
    ("t=250us", "t", 0.00025, SECONDS),
    ("pl=0%;20;60;0;100", "pl", 0, PERCENT),
    ("b=10B", "b", 10, BYTES),
    ("k=1KB", "k", 1024, BYTES),
    ("g=2GB", "g", 2 * 1024 ** 3, BYTES),
    ("t=1TB", "t", 1024 ** 4, BYTES),
    ("c=123c", "c", 123, COUNT),
    ("neg=-1.5", "neg", -1.5, COUNT),
    ("u=U;1;2", "u", None, COUNT),
    ("trailing=3;;", "trailing", 3, COUNT),
])
def test_items(text, label, value, kind):
    items, problems = _perfdata.parse_perfdata(text)
    assert problems == []
    assert [(i.label, i.value, i.kind) for i in items] == [(label, pytest.approx(value) if value else value, kind)]


def test_empty_and_missing_fields_and_ranges_in_the_values_unit():
    items, problems = _perfdata.parse_perfdata("a=1;;5 b=2;@10:20;~:30;; c=3ms;1:2;5")
    assert problems == []
    a, b, c = items
    assert a.warning is None and a.critical.end == 5 and a.minimum is None
    assert b.warning.inside and (b.warning.start, b.warning.end) == (10, 20)
    assert b.critical.start == float("-inf") and b.critical.end == 30
    assert (c.warning.start, c.warning.end) == (pytest.approx(0.001), pytest.approx(0.002))
    assert c.warning.text == "0.001:0.002" and c.critical.text == "0.005"


def test_garbage_is_skipped_with_reasons_and_never_raises():
    text = ("ok=1 'open=2 =3 ''=4 novalue x=abc y=1;2;3;4;5;6 z=1e999 w=5;zz;;q dup=1 dup=2 "
            "weird=7furlongs \x00\x1b[31m=1 " + "=" * 1000)
    items, problems = _perfdata.parse_perfdata(text)
    labels = [i.label for i in items]
    assert labels[:3] == ["ok", "w", "dup"] and "weird" in labels
    assert [i.value for i in items if i.label == "dup"] == [1]
    joined = "\n".join(problems)
    for fragment in ("unterminated quoted label", "empty label", "no '='", "'abc' is not a number",
                     "more than 5 fields", "not a finite number", "'zz' is not a Nagios range", "'q' is not a number",
                     "already given", "'furlongs' is not one of"):
        assert fragment in joined
    assert len(problems) <= _perfdata.MAX_PROBLEMS


def test_hostile_perfdata_is_linear():
    started = time.monotonic()
    _perfdata.parse_output("x | " + "'" * 200000 + " " + "a=1;" * 100000 + " " + "b=" + "9" * 100000)
    _perfdata.parse_output("x | " + "''" * 200000)
    assert time.monotonic() - started < 60  # quadratic would be hours; a bound, not a timing test


# ---------------------------------------------------------------- real plugins

@needs_plugins
@pytest.mark.parametrize("code, status", [(0, "ok"), (1, "warning"), (2, "critical"), (3, "unknown")])
def test_check_dummy_exit_codes_are_the_status(code, status):
    result = run({"plugin": "check_dummy", "args": [str(code), "some text"]})
    assert result["status"] == status and result["plugin_status"] == status
    assert result["exit_code"] == code
    assert result["summary"].endswith("some text")
    assert result["command"] == "%s/check_dummy %d some text" % (PLUGINS, code)
    assert result["metrics"] == {}


@needs_plugins
def test_check_disk_root_in_bytes():
    result = run({"plugin": "check_disk", "args": ["-w", "1%", "-c", "1%", "-p", "/"]})
    assert result["status"] == "ok", result["summary"]
    assert result["summary"].startswith("DISK OK")
    st = os.statvfs("/")
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    assert abs(result["metrics"]["/"] - used) < 512 * 1024 ** 2  # the disk moves while we look
    assert result["perfdata"][0]["max"] == pytest.approx(st.f_blocks * st.f_frsize, rel=0.01)
    assert set(result["thresholds"]["/"]) == {"warning", "critical"}


@needs_plugins
def test_check_load_and_user_thresholds_make_it_worse():
    result = run({"plugin": "check_load", "args": ["-w", "500,400,300", "-c", "1000,800,600"]},
                 {"load1": {"critical": "@0:"}})
    assert result["plugin_status"] == "ok"
    assert result["status"] == "critical"
    assert set(result["metrics"]) >= {"load1", "load5", "load15"}
    assert "critical: load1" in result["summary"]
    assert result["thresholds"]["load1"] == {"warning": "500.000", "critical": "@0:"}


@needs_plugins
def test_check_procs_counts():
    result = run({"plugin": "check_procs", "args": ["-w", "100000", "-c", "200000"]})
    assert result["status"] == "ok", result["summary"]
    assert result["metrics"]["procs"] >= 1


@needs_plugins
def test_check_tcp_against_a_loopback_listener():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    try:
        port = server.getsockname()[1]
        result = run({"plugin": "check_tcp", "args": ["-H", "127.0.0.1", "-p", str(port), "-t", "5"]})
        assert result["status"] == "ok", result["summary"]
        assert result["metrics"]["time"] < 5
        assert result["perfdata"][0]["uom"] == "s"
    finally:
        server.close()
    closed = run({"plugin": "check_tcp", "args": ["-H", "127.0.0.1", "-p", str(port), "-t", "5"]})
    assert closed["status"] == "critical", closed["summary"]


def test_a_missing_plugin_is_unknown_naming_the_directories():
    result = run({"plugin": "check_sre_health_does_not_exist"})
    assert result["status"] == "unknown"
    for directory in _command.PLUGIN_DIRS:
        assert directory in result["summary"]


def test_a_missing_program_and_directory_are_unknown(tmp_path):
    assert "not found in PATH" in run({"argv": ["sre-health-no-such-program"]})["summary"]
    result = run({"argv": [str(tmp_path / "nope")]})
    assert result["status"] == "unknown" and "cannot run" in result["summary"]
    result = run({"argv": ["true"], "chdir": str(tmp_path / "missing")})
    assert result["status"] == "unknown" and "not a directory" in result["summary"]


# ---------------------------------------------------------------- plugins written here

@pytest.mark.parametrize("code", [4, 255])
def test_exit_codes_outside_the_plugin_range_are_unknown(tmp_path, code):
    result = run({"argv": [script(tmp_path, "echo 'FINE | a=1'\nexit %d\n" % code)]})
    assert result["status"] == "unknown"
    assert result["summary"] == "exit code %d (not a plugin status): FINE" % code
    assert result["metrics"] == {"a": 1}


def test_a_signal_is_unknown_naming_it(tmp_path):
    result = run({"argv": [script(tmp_path, "echo dying\nkill -KILL $$\n")]})
    assert result["status"] == "unknown" and result["exit_code"] == -9
    assert "killed by signal 9 (SIGKILL)" in result["summary"]


def test_odd_perfdata_from_a_plugin(tmp_path):
    body = ("printf '%s\\n' \"OK: odd | 'it''s a label'=5ms;10;20;0; 'disk /'=1.5GB;;;0;10 bad=zz x=U\" "
            "\"long line 1\" \"long line 2 | more=3%;50;90\"\n")
    result = run({"argv": [script(tmp_path, body)]}, {"more": {"warning": 2}})
    assert result["summary"].startswith("OK: odd")
    assert result["metrics"] == {"it's a label": 0.005, "disk /": 1.5 * 1024 ** 3, "x": None, "more": 3}
    assert result["status"] == "warning"
    assert result["output"] == "long line 1\nlong line 2"
    assert result["perfdata_problems"] == ["'bad=zz': value 'zz' is not a number: skipped"]
    assert "1 performance data item skipped" in result["summary"]
    assert result["thresholds"]["more"] == {"warning": 2, "critical": "90"}


def test_a_label_in_thresholds_that_the_plugin_does_not_print_is_unknown(tmp_path):
    result = run({"argv": [script(tmp_path, "echo 'OK | a=1'\n")]}, {"b": {"critical": 5}})
    assert result["status"] == "unknown" and "no performance data for 'b'" in result["summary"]


def test_no_output(tmp_path):
    result = run({"argv": [script(tmp_path, "exit 0\n")]})
    assert result["status"] == "ok" and result["summary"] == "(no output)"
    result = run({"argv": [script(tmp_path, "echo 'it broke' >&2\nexit 2\n")]})
    assert result["status"] == "critical" and result["summary"] == "(no output); stderr: it broke"


def test_hostile_text_is_made_safe(tmp_path):
    body = "printf 'OK \\033[31mred\\001 \\377\\376 caf\\303\\251 | a=1\\n'\n"
    result = run({"argv": [script(tmp_path, body)]})
    summary = result["summary"]
    summary.encode("utf-8")
    assert "\x1b" not in summary and "\x01" not in summary and "café" in summary


def test_huge_output_is_capped_in_memory(tmp_path):
    """50 MB of output: the command is drained to its end, 64 KiB kept, the memory stays bounded."""
    plugin = script(tmp_path, "echo 'OK | a=1'\nhead -c 52428800 /dev/zero | tr '\\0' x\necho\n")
    code = ("import json, resource, sys\n"
            "from ansible_collections.sre.health.plugins.module_utils import _command\n"
            "from ansible_collections.sre.health.plugins.module_utils._kind import check\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "r = check(_command, {'argv': [sys.argv[1]]})[0]\n"
            "print(json.dumps([r['status'], r['metrics'], r['stdout_bytes'], before,"
            " resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))\n")
    env = dict(os.environ, PYTHONPATH=collections_path())
    out = subprocess.run([sys.executable, "-c", code, plugin], capture_output=True, text=True, env=env, timeout=120,
                         check=True).stdout
    status, metrics, size, before_kib, after_kib = json.loads(out)
    assert status == "ok" and metrics == {"a": 1}
    assert size == 9 + 52428800 + 1
    assert after_kib - before_kib < 20 * 1024  # KiB: far below the 50 MB printed


def test_sigterm_ignored_and_sleeping_is_killed_at_the_timeout(tmp_path):
    pidfile = str(tmp_path / "pid")
    plugin = script(tmp_path, "trap '' TERM\necho $$ > %s\necho 'still working'\nexec sleep 300\n" % pidfile)
    started = time.monotonic()
    result = run({"argv": [plugin], "timeout": 2})
    elapsed = time.monotonic() - started
    assert 2 <= elapsed < 2 + 30  # not before its timeout; the upper bound is a hang guard (sleep 300)
    assert result["status"] == "unknown" and result["timed_out"] is True and result["exit_code"] is None
    assert "timed out after 2 s" in result["summary"] and "still working" in result["summary"]
    assert gone(read_pid(pidfile))


def test_a_child_holding_stdout_after_its_parent_exits_is_killed(tmp_path):
    """The plugin's end is the check's end: the child left holding stdout is killed, not waited for."""
    pidfile = str(tmp_path / "pid")
    plugin = script(tmp_path, "sleep 300 &\necho $! > %s\necho 'OK | a=1'\nexit 0\n" % pidfile)
    started = time.monotonic()
    result = run({"argv": [plugin], "timeout": 120})
    assert time.monotonic() - started < 60  # not waited for: a wait would last until the 120 s timeout
    assert result["status"] == "ok" and result["metrics"] == {"a": 1}
    assert gone(read_pid(pidfile))


def test_a_grandchild_of_a_hanging_plugin_is_killed_at_the_timeout(tmp_path):
    pidfile = str(tmp_path / "pid")
    plugin = script(tmp_path, "(trap '' TERM; exec sleep 300) &\necho $! > %s\nsleep 300\n" % pidfile)
    started = time.monotonic()
    result = run({"argv": [plugin], "timeout": 2})
    assert time.monotonic() - started < 2 + 30  # a hang guard (the grandchild sleeps 300 s)
    assert result["status"] == "unknown" and result["timed_out"]
    assert gone(read_pid(pidfile))


def test_the_watchdog_kills_the_group_when_the_checking_process_dies(tmp_path):
    pidfile = str(tmp_path / "pid")
    plugin = script(tmp_path, "echo $$ > %s\nexec sleep 300\n" % pidfile)
    code = ("import sys\n"
            "from ansible_collections.sre.health.plugins.module_utils import _command\n"
            "from ansible_collections.sre.health.plugins.module_utils._kind import check\n"
            "check(_command, {'argv': [sys.argv[1]], 'timeout': 300})\n")
    env = dict(os.environ, PYTHONPATH=collections_path())
    checker = subprocess.Popen([sys.executable, "-c", code, plugin], env=env)
    try:
        pid = read_pid(pidfile)
        assert not gone(pid, within=0.2)
    finally:
        checker.kill()
        checker.wait()
    assert gone(pid)


# ---------------------------------------------------------------- plain format, environment, chdir

def test_plain_format(tmp_path):
    plugin = script(tmp_path, "echo 'backup done: 3 files'\necho 'warning: slow disk' >&2\nexit 1\n")
    ok = run({"argv": [plugin], "format": "plain", "expect_rc": [0, 1], "stdout": r"done: \d+ files",
              "stderr_absent": "(?i)error"})
    assert ok["status"] == "ok", ok["summary"]
    assert ok["stdout"] == "backup done: 3 files\n" and ok["stderr"] == "warning: slow disk\n"
    bad = run({"argv": [plugin], "format": "plain", "stdout_absent": "done", "stderr": "^fine$"})
    assert bad["status"] == "critical"
    for fragment in ("exit code 1, expected 0", "stdout matches 'done'", "stderr does not match '^fine$'"):
        assert fragment in bad["summary"]


def test_environment_and_chdir(tmp_path):
    plugin = script(tmp_path, 'echo "OK $SRE_TEST_VALUE $(pwd) $LC_ALL | n=$SRE_TEST_NUMBER"\n')
    result = run({"argv": [plugin], "environment": {"SRE_TEST_VALUE": "hello", "SRE_TEST_NUMBER": 42},
                  "public_environment": ["SRE_TEST_VALUE", "SRE_TEST_NUMBER"], "chdir": str(tmp_path)})
    assert result["summary"] == "OK hello %s C" % tmp_path
    assert result["metrics"] == {"n": 42}
    # not listed in public_environment: a secret, masked wherever the command prints it
    result = run({"argv": [plugin], "environment": {"SRE_TEST_VALUE": "hello"}, "chdir": str(tmp_path)})
    assert result["summary"].startswith("OK ******** %s C" % tmp_path)


def test_secrets_reach_the_command_and_nothing_else(tmp_path):
    # The script exits 3 unless it got each value right; then it echoes them everywhere a result shows output.
    plugin = script(tmp_path, """[ "$1" = "-p" ] && [ "$2" = "pw-Arg-1" ] && [ "$3" = "--token=tk-Arg-2" ] \\
  && [ "$4" = '${secrets.a}' ] && [ "$SRE_PW" = "pw-Env-3" ] && [ "$SRE_FROM_SECRET" = "tk-Arg-2" ] \\
  && [ "$SRE_SHORT" = "x" ] && [ "$SRE_HOST" = "db1" ] && [ "$SRE_EMPTY" = "" ] || { echo "UNKNOWN - wrong values: $*"; exit 3; }
echo "OK $2 $3 $SRE_PW $SRE_SHORT on $SRE_HOST | '$2'=1 tk-Arg-2=2"
echo "long $SRE_PW"
echo "err $2" >&2
""")
    params = {"argv": [plugin, "-p", "${secrets.a}", "--token=${secrets.b}", "$${secrets.a}"],
              "secrets": {"a": "pw-Arg-1", "b": "tk-Arg-2", "unused": 12345},
              "environment": {"SRE_PW": "pw-Env-3", "SRE_FROM_SECRET": "${secrets.b}", "SRE_SHORT": "x",
                              "SRE_HOST": "db1", "SRE_EMPTY": ""},
              "public_environment": ["SRE_HOST", "SRE_FROM_SECRET", "SRE_SHORT"]}
    config = validate_params(_command, params)
    assert set(config.secrets) == {"pw-Arg-1", "tk-Arg-2", "12345", "pw-Env-3"}
    assert "pw-" not in repr(config)
    result = run(params)
    assert result["status"] == "ok", result
    assert result["command"] == "%s -p ******** --token=******** ${secrets.a}" % plugin
    assert result["summary"] == "OK ******** --token=******** ******** x on db1"
    assert set(result["metrics"]) == {"********"}  # labels too (Ansible masks values only)
    shown = json.dumps(result)
    for secret in ("pw-Arg-1", "tk-Arg-2", "pw-Env-3"):
        assert secret not in shown
    assert "db1" in shown
    config.check_mode, config.check_mode_safe = True, False
    skipped = _command.run(config, {})[0]
    assert skipped["skipped"] is True and skipped["command"] == result["command"]
    assert skipped["summary"].startswith(result["command"] + ": not run in check mode")


def test_secrets_are_masked_when_the_command_cannot_run_or_times_out(tmp_path):
    missing = run({"argv": [str(tmp_path / "nowhere"), "${secrets.a}"], "secrets": {"a": "pw-Missing-1"}})
    assert missing["status"] == "unknown" and missing["command"].endswith("nowhere ********")
    slow = script(tmp_path, 'echo "waiting with $1"\nexec sleep 1000\n', "slow")
    timed_out = run({"argv": [slow, "${secrets.a}"], "secrets": {"a": "pw-Slow-2"}, "timeout": 0.5})
    assert timed_out["timed_out"] is True and "it printed: waiting with ********" in timed_out["summary"]
    assert "pw-" not in json.dumps([missing, timed_out])


def test_raw_secrets_are_found_before_validation_without_raising():
    from ansible_collections.sre.health.plugins.module_utils._kind import raw_secrets
    found = raw_secrets(_command, {"argv": "not even a list", "secrets": {"a": "pw-1", "b": [7, {"c": "pw-2"}]},
                                   "environment": {"PW": "pw-3", "HOST": "db1", "ON": True},
                                   "public_environment": ["HOST"]})
    # every value of the no_log option, as Ansible lists them; environment values as long as a secret may be
    assert found == {"pw-1", "7", "pw-2", "pw-3"}
    assert raw_secrets(_command, {"environment": {"LC_ALL": "C", "PW": "pw-5"}}) == {"pw-5"}
    for hostile in (None, "x", [], {"secrets": "pw-4", "environment": "A=b", "public_environment": "HOST"},
                    {"environment": {"A": None}, "public_environment": [1, None]}):
        raw_secrets(_command, hostile)
    assert raw_secrets(_command, {"secrets": "pw-4"}) == {"pw-4"}


def test_check_mode_safe_false_is_honoured_only_in_check_mode(tmp_path):
    marker = tmp_path / "ran"
    params = {"argv": ["touch", str(marker)], "check_mode_safe": False}
    config = validate_params(_command, params)
    config.check_mode = True  # what the module sets from Ansible's check mode
    result = _command.run(config, {})[0]
    assert result["skipped"] is True and result["status"] == "ok" and not marker.exists()
    result = run(params)  # not in check mode: it runs
    assert result["exit_code"] == 0 and "skipped" not in result and marker.exists()


# ---------------------------------------------------------------- options

@pytest.mark.parametrize("params, fragments", [
    ({}, ["one of the following is required: argv, plugin"]),
    ({"argv": ["true"], "plugin": "check_dummy"}, ["mutually exclusive"]),
    ({"argv": []}, ["option argv", "[]", "a non-empty list"]),
    ({"argv": [""]}, ["option argv", "first item names the program"]),
    ({"plugin": "../bin/sh"}, ["option plugin", "'../bin/sh'", "check_disk"]),
    ({"argv": ["true"], "args": ["x"]}, ["args", "plugin"]),
    ({"argv": ["true"], "timeout": 0}, ["option timeout", "0", "greater than 0"]),
    ({"argv": ["true"], "timeout": 1e9}, ["option timeout", "at most 86400"]),
    ({"argv": ["true"], "format": "json"}, ["format", "json", "nagios, plain"]),
    ({"argv": ["true"], "expect_rc": [1]}, ["option expect_rc", "only with format=plain"]),
    ({"argv": ["true"], "format": "plain", "expect_rc": [256]}, ["option expect_rc", "256", "0 to 255"]),
    ({"argv": ["true"], "format": "plain", "stdout": "("}, ["option stdout", "'('", "regular expression"]),
    ({"argv": ["true"], "environment": {"1BAD": "x"}}, ["option environment", "'1BAD'", "variable names"]),
    ({"argv": ["true"], "environment": {"A": ["x"]}}, ["option environment.A", "a string or a number"]),
    ({"argv": ["true"], "chdir": "relative/dir"}, ["option chdir", "'relative/dir'", "absolute path"]),
    ({"argv": ["true", "${secrets.nope}"], "secrets": {"db": "pw-Bad-1"}},
     ["option argv[1]", "'${secrets.nope}'", "a key of secrets (db)"]),
    ({"argv": ["true", "${secrets.db}"]}, ["option argv[1]", "'${secrets.db}'", "a key of secrets (none given)"]),
    ({"plugin": "check_dummy", "args": ["0", "-p=${secrets.x}"], "secrets": {"db": "pw-Bad-1"}},
     ["option args[1]", "'${secrets.x}'"]),
    ({"argv": ["true"], "environment": {"PW": "pw-Bad-1${secrets.nope}"}, "secrets": {"db": "pw-Bad-2"}},
     ["option environment.PW", "'${secrets.nope}'", "a key of secrets (db)"]),
    ({"argv": ["true"], "secrets": {"db": ["pw-Bad-1"]}},
     ["option secrets.db", "<a value of type list, not shown: a secret>", "a string or a number"]),
    ({"argv": ["true"], "secrets": {"db": "pw-Bad-1\0"}},
     ["option secrets.db", "<a string with a NUL character, not shown: a secret>", "without NUL"]),
    ({"argv": ["true"], "secrets": {"db": True}}, ["option secrets.db", "type bool", "a string or a number"]),
    ({"argv": ["true"], "secrets": {"1db": "pw-Bad-1"}}, ["option secrets", "'1db'", "names of letters"]),
    ({"argv": ["true"], "secrets": "pw-Bad-1"}, ["secrets", "dict"]),
    ({"argv": ["true"], "environment": {"PGHOST": "db1"}, "public_environment": ["PGHOTS"]},
     ["option public_environment", "'PGHOTS'", "names of variables given in environment (PGHOST)"]),
    ({"argv": ["true"], "public_environment": ["PGHOST"]},
     ["option public_environment", "'PGHOST'", "environment (none given)"]),
    ({"argv": ["true"], "environment": {"PW": ["pw-Bad-1"]}}, ["option environment.PW", "not shown"]),
    ({"argv": ["true"], "environment": {"LC_ALL": "C"}},
     ["option environment.LC_ALL", "<a value of 1 character(s), not shown: a secret>",
      "LC_ALL named in public_environment", "a secret of at least 4 characters"]),
    ({"argv": ["true"], "secrets": {"pin": 123}},
     ["option secrets.pin", "<a value of 3 character(s), not shown: a secret>", "at least 4 characters"]),
])
def test_bad_options_name_the_option_the_value_and_what_is_accepted(params, fragments):
    with pytest.raises(SreHealthError) as info:
        validate_params(_command, params)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert "pw-Bad" not in str(info.value)


def test_thresholds_accept_any_label_without_units():
    compiled = compile_thresholds({"/": {"critical": 1000}, "it's": {"warning": "@1:2"}}, _command.METRICS,
                                  _command.DEFAULT_THRESHOLDS)
    assert set(compiled) == {"/", "it's"}
    with pytest.raises(ThresholdError):
        compile_thresholds({"x": {"critical": "bad"}}, _command.METRICS, _command.DEFAULT_THRESHOLDS)


def test_isolation_only_for_output_patterns():
    assert validate_params(_command, {"argv": ["true"]}).isolated is False
    assert validate_params(_command, {"argv": ["true"], "format": "plain", "stdout": "x"}).isolated is True
    with pytest.raises(SpecError):
        validate_params(_command, {"argv": "true", "plugin": "x"})
