# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The log check on the systemd journal: real journal files written by systemd-journal-remote,
read by the real journalctl through ``journal.directory`` (this machine runs no journald)."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time

import psutil
import pytest

from ansible_collections.sre.health.plugins.module_utils import _command, _kind, _logscan
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._logscan import journal
from ansible_collections.sre.health.plugins.module_utils._runner import TaskTimeout, run_forked
from ansible_collections.sre.health.plugins.module_utils._status import compile_thresholds

from ansible_collections.sre.health.tests.unit.plugins.module_utils.journals import entry, needs_journal, write_journal
from ansible_collections.sre.health.tests.unit.plugins.module_utils.test_logscan import as_unprivileged_user

pytestmark = needs_journal

ERRORS = {"name": "errors", "regex": r"\bERROR\b"}


def scan(directory, since="1h", patterns=None, thresholds=None, return_last_match=False, **source):
    source = dict(source, directory=str(directory))
    params = dict(journal=source, since=since, patterns=patterns, return_last_match=return_last_match)
    return _kind.check(_logscan, params, thresholds)


def only(results):
    assert len(results) == 1, results
    return results[0]


def by_pattern(results):
    return dict((r["pattern"], r) for r in results)


def journalctl_processes(marker):
    """journalctl processes still running with ``marker`` (a test's directory) on their command line."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["name"] == "journalctl" and marker in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(cmdline)
    return found


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """A journal of two services and the kernel over the last three hours."""
    entries = [
        (7200, entry("old ERROR from before the window", 3, "app.service", "app")),
        (1800, entry("request failed: ERROR timeout", 3, "app.service", "app")),
        (1200, entry("disk almost full", 4, "app.service", "app")),
        (600, entry("connection reset ERROR", 2, "db.service", "postgres")),
        (300, entry("started", 6, "db.service", "postgres")),
        (120, entry('{"level": "error", "logger": "http", "msg": "upstream ERROR 502"}', 6, "web.service", "web")),
        (60, entry('{"level": "info", "logger": "http", "msg": "GET / 200"}', 6, "web.service", "web")),
        (30, entry("usb 1-1: new device", 5, identifier="kernel")),
    ]
    return write_journal(tmp_path_factory.mktemp("services"), entries)


# --- the window, priorities, units ------------------------------------------------------------

def test_entries_inside_the_window_only(services):
    assert only(scan(services, "1h"))["metrics"]["entries"] == 7
    assert only(scan(services, "3h"))["metrics"]["entries"] == 8
    assert only(scan(services, "9m"))["metrics"]["entries"] == 4
    result = only(scan(services, "1h", [ERRORS]))
    assert result["metrics"]["matches"] == 3  # the 2-hour-old ERROR is outside


@pytest.mark.parametrize("priority, count", [
    ("err", 2), ("3", 2), (3, 2), ("ERR", 2), ("crit", 1), ("warning", 3), ("notice", 4), ("debug", 7), ("emerg", 0),
])
def test_priority_counts_that_level_and_the_more_severe_ones(services, priority, count):
    result = only(scan(services, "1h", priority=priority))
    assert result["metrics"]["entries"] == count
    assert result["journal"]["priority"] == journal.PRIORITIES[int(priority) if str(priority).isdigit()
                                                               else journal.PRIORITIES.index(priority.lower())]


def test_entries_at_or_above_the_priority_against_thresholds(services):
    result = only(scan(services, "1h", thresholds={"entries": {"warning": 0, "critical": 5}}, priority="err"))
    assert result["status"] == "warning"
    assert result["name"] == "log:journal"
    assert result["summary"] == ("2 entries in the last 1h of the journal in %s (priority err and above) "
                                 "(warning > 0)" % services)
    assert result["metrics"] == {"entries": 2, "bytes_read": result["metrics"]["bytes_read"]}
    assert 0 < result["metrics"]["bytes_read"] < 4096


@pytest.mark.parametrize("units, identifiers, count", [
    (["app.service"], None, 2),
    (["app"], None, 2),  # journalctl adds .service
    (["app.service", "db.service"], None, 4),
    (["*.service"], None, 6),
    (["nothing.service"], None, 0),
    (None, ["kernel"], 1),
    (None, ["postgres", "web"], 4),
    (["db.service"], ["postgres"], 2),
    (["db.service"], ["kernel"], 0),  # units and identifiers both narrow
])
def test_units_and_identifiers(services, units, identifiers, count):
    source = {}
    if units:
        source["units"] = units
    if identifiers:
        source["identifiers"] = identifiers
    result = only(scan(services, "1h", **source))
    assert result["metrics"]["entries"] == count
    assert all("--unit=%s" % u in result["command"] for u in units or [])


# --- patterns: JSON fields first, MESSAGE by regex ---------------------------------------------

def test_patterns_on_fields_and_on_the_message(services):
    results = by_pattern(scan(services, "1h", [
        ERRORS,
        {"name": "severe", "field": "PRIORITY", "equals": [0, 1, 2, 3]},
        {"name": "db", "field": "_SYSTEMD_UNIT", "field_regex": "^db\\."},
        {"name": "unit-in-message", "regex": "app\\.service"},  # regex looks at MESSAGE only
        {"name": "app-json-errors", "field": "level", "equals": "error", "group_by": "logger"},
        {"name": "per-unit", "regex": "ERROR", "group_by": "_SYSTEMD_UNIT", "critical": 1},
    ], return_last_match=True))
    assert results["errors"]["metrics"] == dict(matches=3, entries=7, bytes_read=results["errors"]["metrics"]["bytes_read"])
    assert results["errors"]["last_match"] == '{"level": "error", "logger": "http", "msg": "upstream ERROR 502"}'
    assert results["severe"]["metrics"]["matches"] == 2
    assert results["db"]["metrics"]["matches"] == 2
    assert results["unit-in-message"]["metrics"]["matches"] == 0
    assert results["app-json-errors"]["metrics"]["matches"] == 1
    assert results["app-json-errors"]["groups"] == {"http": 1}
    per_unit = results["per-unit"]
    assert per_unit["groups"] == {"app.service": 1, "db.service": 1, "web.service": 1}
    assert per_unit["status"] == "critical"
    assert per_unit["summary"] == (
        "per-unit: 3 matches in the last 1h of the journal in %s (7 entries) [by _SYSTEMD_UNIT: app.service 1, "
        "db.service 1, web.service 1] (critical > 1)" % services)
    # only MESSAGE and the journal fields the patterns name are printed
    assert "--output-fields=MESSAGE,PRIORITY,_SYSTEMD_UNIT " in per_unit["command"] + " "
    assert per_unit["truncated"] is False


def test_byte_array_null_and_repeated_fields(tmp_path):
    directory = write_journal(tmp_path / "j", [
        (30, entry(b"disk \xff\xfe ERROR sector 7", 3, "app.service")),
        (20, {"PRIORITY": "3", "_SYSTEMD_UNIT": "app.service", "CODE": "x"}),  # no MESSAGE at all
        (10, dict(entry("tagged", 6, "app.service"), TAG=["a", "b"])),
    ])
    results = by_pattern(scan(directory, "1h", [
        ERRORS,
        {"name": "sector", "field": "MESSAGE", "field_regex": "sector \\d"},
        {"name": "tagged", "field": "TAG", "equals": '["a", "b"]'},
        {"name": "any", "regex": ".*"},
    ], return_last_match=True))
    assert results["errors"]["metrics"]["matches"] == 1
    assert results["errors"]["last_match"] == u"disk \ufffd\ufffd ERROR sector 7"
    assert results["sector"]["metrics"]["matches"] == 1
    assert results["tagged"]["metrics"]["matches"] == 1
    assert results["any"]["metrics"]["matches"] == 3  # the entry without MESSAGE is searched as ""


def test_message_field_printed_as_a_byte_array_and_null():
    text, fields, when, text_line = journal.entry_of(
        b'{"MESSAGE":[65,255,66],"PRIORITY":"3","__REALTIME_TIMESTAMP":"1700000000250000","X":null}', False)
    assert (text, fields["MESSAGE"], fields["X"], when) == (u"A\ufffdB", u"A\ufffdB", None, 1700000000.25)
    assert text_line
    text, fields, _when, text_line = journal.entry_of(b'{"MESSAGE":null,"PRIORITY":"3"}', False)
    assert text == "" and fields["MESSAGE"] is None and text_line
    text, fields, _when, _text_line = journal.entry_of(b'{"MESSAGE":["one",[116,119,111]]}', False)
    assert text == "one\ntwo" and fields["MESSAGE"] == ["one", "two"]
    text, fields, _when, text_line = journal.entry_of(b'{"MESSAGE":"{\\"level\\": \\"error\\"}","PRIORITY":"6"}', False)
    assert fields["level"] == "error" and fields["PRIORITY"] == "6" and not text_line
    assert journal.entry_of(b'{"MESSAGE":"cut', True) == ('{"MESSAGE":"cut', None, None, True)


def test_a_service_logging_json_and_text_is_matched_json_first_then_by_regex(tmp_path):
    directory = write_journal(tmp_path / "j", [
        (50, entry('{"level": "error", "msg": "payment declined"}', 6, "shop.service")),
        (40, entry('{"level": "info", "msg": "ERROR in a field that is not level"}', 6, "shop.service")),
        (30, entry("Traceback: ERROR at start-up", 6, "shop.service")),
        (20, entry("plain text, all fine", 6, "shop.service")),
        (10, entry('{"level": "error", "msg": "stock gone"}', 6, "shop.service")),
    ])
    results = by_pattern(scan(directory, "1h", [
        {"name": "errors", "field": "level", "equals": "error", "regex": r"\bERROR\b", "group_by": "_SYSTEMD_UNIT"},
        {"name": "json-only", "field": "level", "equals": "error"},
        {"name": "journal-field", "field": "PRIORITY", "equals": 6, "regex": "never used"},
    ]))
    assert results["errors"]["metrics"]["matches"] == 3  # two JSON errors, one text line by regex
    assert results["errors"]["groups"] == {"shop.service": 3}
    assert results["json-only"]["metrics"]["matches"] == 2
    assert results["journal-field"]["metrics"]["matches"] == 5


# --- bounds: huge entries, many entries, the deadline -------------------------------------------

def test_a_huge_entry_is_read_bounded(tmp_path):
    directory = write_journal(tmp_path / "j", [
        (20, entry("start " + "x" * (3 * 1024 * 1024) + " ERROR at the end", 3, "app.service")),
        (10, entry("small ERROR", 3, "app.service")),
    ])
    result = only(scan(directory, "1h", [ERRORS, ], priority="err"))
    # journalctl prints it whole (--all); its first MiB is matched, as the file path does with a long line
    assert result["metrics"]["entries"] == 2 and result["metrics"]["matches"] == 1
    assert result["entries_cut"] == 1
    assert result["metrics"]["bytes_read"] > 3 * 1024 * 1024
    assert result["status"] == "ok" and result["truncated"] is False


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    """40000 entries of the last 40 minutes, one ERROR in ten."""
    entries = [(2400 - i * 0.05, entry("request %d %s" % (i, "ERROR" if i % 10 == 0 else "ok"),
                                       3 if i % 10 == 0 else 6, "app.service")) for i in range(40000)]
    return write_journal(tmp_path_factory.mktemp("busy"), entries)


def test_many_entries_stop_at_max_entries_newest_first(busy):
    result = only(scan(busy, "1h", [ERRORS], max_entries=1000, return_last_match=True))
    assert result["truncated"] is True
    assert result["metrics"]["entries"] == 1000 and result["metrics"]["matches"] == 100
    assert result["last_match"] == "request 39990 ERROR"
    # below any range the counts cannot tell: unknown; the summary says how far back they go
    assert result["status"] == "unknown"
    assert "incomplete: read stopped at journal.max_entries=1000: the counts cover the newest entries, back to " \
        in result["summary"]
    assert "--lines=1001" in result["command"]
    assert not journalctl_processes(busy)
    # a breach seen in what was read stands
    breached = only(scan(busy, "1h", [dict(ERRORS, critical=10)], max_entries=1000))
    assert breached["status"] == "critical"


def test_all_entries_within_the_bounds(busy):
    result = only(scan(busy, "1h", [ERRORS], priority="err"))
    assert result["truncated"] is False and result["status"] == "ok"
    assert result["metrics"]["entries"] == 4000 and result["metrics"]["matches"] == 4000


def test_reading_stops_at_the_byte_bound(busy, monkeypatch):
    monkeypatch.setattr(journal, "MAX_BYTES", 256 * 1024)
    result = only(scan(busy, "1h", [ERRORS]))
    assert result["truncated"] is True and result["status"] == "unknown"
    assert "incomplete: read stopped after 256 KiB of journalctl output: the counts cover the newest entries" \
        in result["summary"]
    # the bound is checked after each chunk of at most 64 KiB read from the pipe
    assert 256 * 1024 <= result["metrics"]["bytes_read"] <= (256 + 64) * 1024
    assert 0 < result["metrics"]["entries"] < 40000
    assert not journalctl_processes(busy)


def test_reading_stops_at_the_journal_timeout_and_journalctl_is_killed(busy, monkeypatch):
    """journalctl is paused (its process group SIGSTOPped) as soon as its first output arrives: the
    read cannot end before journal.timeout on any machine, however fast; the timeout is long enough
    for the probe and journalctl's first output on any machine, however slow."""
    timeout = 5.0
    paused = []
    feed = journal.JournalScan.feed

    def pause_journalctl_then_feed(self, chunk):
        if not paused:
            for child in psutil.Process().children(recursive=True):
                if child.name() == "journalctl" and "--output=json" in child.cmdline():
                    os.killpg(child.pid, signal.SIGSTOP)  # its own group (start_new_session)
                    paused.append(child.pid)
        return feed(self, chunk)

    monkeypatch.setattr(journal.JournalScan, "feed", pause_journalctl_then_feed)
    results = []
    reader = threading.Thread(target=lambda: results.append(scan(busy, "1h", [ERRORS], timeout=timeout)), daemon=True)
    reader.start()
    reader.join(timeout + 60)  # a hang guard, not a timing: the check must come back at its timeout
    hung = reader.is_alive()
    if hung:  # the check did not kill the paused group (it is not reaped, so its id is still its own)
        for pid in paused:
            os.killpg(pid, signal.SIGKILL)
    assert not hung, "the check did not return at journal.timeout=%gs" % timeout
    assert len(paused) == 1
    result = only(results[0])
    assert result["truncated"] is True and result["status"] == "unknown"
    assert "read stopped at journal.timeout=5s" in result["summary"]
    # what came before the pause was counted: the newest entries, not all of them
    assert 0 < result["metrics"]["entries"] < 40000
    # its 11 MB of output cannot all sit in a 64 KiB pipe: the read was cut, journalctl's group killed
    assert not journalctl_processes(busy)


def test_a_backtracking_pattern_is_killed_at_the_check_deadline(tmp_path):
    directory = write_journal(tmp_path / "j", [(10, entry("a" * 34 + "!", 3, "app.service"))])
    config = _logscan.validate(dict(journal={"directory": directory, "timeout": 60}, since="1h",
                                    patterns=[{"name": "evil", "regex": "(a+)+$"}]))
    compiled = compile_thresholds(None, _logscan.METRICS, _logscan.DEFAULT_THRESHOLDS)
    started = time.monotonic()
    outcome = run_forked([(lambda: _logscan.run(config, compiled), 2, True)])
    value, exc, _duration = outcome.results[0]
    assert value is None and isinstance(exc, TaskTimeout) and str(exc) == "timed out after 2 s"
    assert time.monotonic() - started < 2 + 30  # a hang guard: the pattern alone would take hours
    deadline = time.monotonic() + 60
    while journalctl_processes(directory) and time.monotonic() < deadline:
        time.sleep(0.1)  # the watchdog kills the group once the killed child's pipe end closes
    assert not journalctl_processes(directory)


def test_command_sink_stops_a_stream_and_kills_its_group():
    seen = []

    def sink(chunk):
        seen.append(len(chunk))
        return sum(seen) < 1024 * 1024

    config = _kind.Config(argv=["/bin/sh", "-c", "yes sre-health-sink-test"], plugin=None, environment={},
                          chdir=None, timeout=30)
    outcome = _command.execute(config, sink)
    # stopped by the sink, not at the 30 s timeout (yes never ends by itself)
    assert outcome.stopped and not outcome.timed_out and outcome.rc is None
    assert sum(seen) >= 1024 * 1024 and outcome.stdout == ""
    assert not [p for p in psutil.process_iter(["cmdline"]) if "sre-health-sink-test" in " ".join(p.info["cmdline"] or [])
                and p.status() != psutil.STATUS_ZOMBIE]


# --- no journal, no permission ------------------------------------------------------------------

def test_without_journalctl_the_check_is_unknown(services, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = only(scan(services, "1h", [ERRORS]))
    assert result["status"] == "unknown" and result["metrics"]["matches"] is None
    assert result["summary"] == ("errors: cannot read the journal: command journalctl not found in PATH (%s): the "
                                 "systemd journal cannot be read on this host" % tmp_path)


def test_a_host_without_a_journal_is_unknown():
    """The system's journal (no journal.directory) on a host where no journald ever wrote one (this test machine)."""
    found = [os.path.join(root, name) for base in ("/var/log/journal", "/run/log/journal")
             for root, _dirs, names in os.walk(base) for name in names if name.endswith(".journal")]
    if found:
        pytest.skip("this host has a journal (%s)" % found[0])
    result = only(_kind.check(_logscan, {"journal": {"priority": "err"}, "since": "1h", "patterns": [ERRORS]}))
    assert result["status"] == "unknown" and result["metrics"]["matches"] is None
    assert result["summary"] == ("errors: cannot read the journal: no journal files in /var/log/journal or "
                                 "/run/log/journal (journalctl: No journal files were found.); is systemd-journald "
                                 "running?")


def test_a_directory_that_does_not_exist_is_unknown(tmp_path):
    result = only(scan(tmp_path / "nope", "1h"))
    assert result["status"] == "unknown" and result["metrics"] == {"entries": None, "bytes_read": 0}
    assert result["summary"] == ("journal: cannot read the journal: journalctl exited with code 1: Failed to open "
                                 "%s: No such file or directory" % (tmp_path / "nope"))


def test_a_directory_without_journal_files_is_unknown(tmp_path):
    result = only(scan(tmp_path, "1h", [ERRORS]))
    assert result["status"] == "unknown"
    assert result["summary"] == ("errors: cannot read the journal: no journal files in %s (journalctl: No journal "
                                 "files were found.)" % tmp_path)


def test_unreadable_journal_files_are_unknown(services):
    """As nobody (when the tests run as root): no file readable, then only some."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make files that another user cannot read")
    base = tempfile.mkdtemp(prefix="sre-health-journal-perm-")
    try:
        os.chmod(base, 0o755)
        closed, mixed = os.path.join(base, "closed"), os.path.join(base, "mixed")
        write_journal(closed, [(60, entry("secret ERROR", 3, "app.service"))])
        write_journal(mixed, [(60, entry("visible ERROR", 3, "app.service"))], name="user-1000.journal")
        write_journal(mixed, [(50, entry("hidden ERROR", 3, "app.service"))], name="system.journal")
        for directory in (closed, mixed):
            os.chmod(directory, 0o755)
        os.chmod(os.path.join(closed, "test.journal"), 0o600)
        os.chmod(os.path.join(mixed, "user-1000.journal"), 0o644)
        os.chmod(os.path.join(mixed, "system.journal"), 0o600)
        out = as_unprivileged_user(lambda: [only(scan(d, "1h", [ERRORS])) for d in (closed, mixed)])
        denied, partial = out
        assert denied["status"] == "unknown" and denied["metrics"]["matches"] is None
        assert denied["summary"].startswith("errors: cannot read the journal: cannot read the journal in %s: "
                                            "permission denied (journalctl: " % closed)
        assert "No journal files were opened due to insufficient permissions" in denied["summary"]
        assert partial["status"] == "unknown" and partial["metrics"]["matches"] == 1
        assert partial["summary"].endswith(
            "; incomplete: this user cannot read every journal file (journalctl: Hint: You are currently not seeing "
            "messages from other users and the system. Users in groups 'adm', 'systemd-journal' can see all "
            "messages.); run as root or as a member of the systemd-journal or adm group")
        # root reads both
        assert only(scan(mixed, "1h", [ERRORS]))["metrics"]["matches"] == 2
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- options ----------------------------------------------------------------------------------

@pytest.mark.parametrize("journal_options, option, fragment", [
    ({"priority": "error"}, "journal.priority", "one of emerg, alert, crit, err, warning, notice, info, debug, or a "
                                                "number from 0 (emerg) to 7 (debug)"),
    ({"priority": "9"}, "journal.priority", "0 (emerg) to 7 (debug)"),
    ({"priority": True}, "journal.priority", "one of emerg"),
    ({"units": []}, "journal.units", "a non-empty list of unit names"),
    ({"units": "nginx"}, "journal.units", "a non-empty list"),
    ({"units": ["nginx service"]}, "journal.units", "unit names or globs such as nginx.service"),
    ({"units": ["--all"]}, "journal.units", "unit names"),
    ({"units": [5]}, "journal.units", "unit names"),
    ({"identifiers": ["a=b"]}, "journal.identifiers", "without spaces or ="),
    ({"directory": "relative/dir"}, "journal.directory", "an absolute path of a directory"),
    ({"max_entries": 0}, "journal.max_entries", "a whole number from 1 to 10000000"),
    ({"timeout": 0}, "journal.timeout", "seconds"),
    ({"lines": 5}, "journal.lines", "keys directory, identifiers, max_entries, priority, timeout, units"),
])
def test_bad_journal_options_name_the_option(journal_options, option, fragment):
    with pytest.raises(OptionError) as err:
        _logscan.validate({"journal": journal_options, "since": "1h"})
    assert err.value.option == option
    assert fragment in str(err.value)


def test_journal_and_path_exclude_each_other():
    with pytest.raises(OptionError) as err:
        _logscan.validate({"journal": {}, "path": ["/var/log/syslog"], "since": "1h"})
    assert err.value.option == "path"
    assert "no path with journal: a check reads log files (path) or the systemd journal (journal), not both" \
        in str(err.value)
    with pytest.raises(SreHealthError, match="parameters are mutually exclusive: path|journal"):
        _kind.check(_logscan, {"journal": {}, "path": ["/var/log/syslog"], "since": "1h"})
    with pytest.raises(SreHealthError, match="one of the following is required: path, journal"):
        _kind.check(_logscan, {"since": "1h"})


def test_the_spec_checks_journal_types():
    with pytest.raises(OptionError) as err:  # the spec makes the dict a string, which is not a unit name
        _kind.check(_logscan, {"journal": {"units": [{"name": "x"}]}, "since": "1h"})
    assert str(err.value).startswith("option journal.units: \"{'name': 'x'}\" is invalid; accepted: unit names")
    # a single name is a list of one, as everywhere in Ansible
    assert _logscan.validate({"journal": {"units": ["nginx"]}, "since": "1h"}).journal.units == ["nginx"]
    with pytest.raises(SreHealthError) as err:
        _kind.check(_logscan, {"journal": {"unit": ["x"]}, "since": "1h"})
    assert "unit" in str(err.value) and "Supported parameters include" in str(err.value)


def test_the_journal_keeps_the_protocol(services):
    config = _logscan.validate({"journal": {"units": ["app"], "priority": "err"}, "since": "30m"})
    assert isinstance(config, _kind.Config) and config.paths is None
    assert (config.journal.units, config.journal.priority, config.journal.max_entries, config.journal.timeout) == (
        ["app"], 3, 100000, 20.0)
    results = _kind.check(_logscan, {"journal": {"directory": services, "units": ["app"]}, "since": "1h",
                                     "patterns": [ERRORS]}, name="app-log")
    assert [(r["name"], r["metrics"]["matches"]) for r in results] == [("app-log:errors", 1)]
    assert results[0]["journal"] == {"units": ["app"], "identifiers": [], "priority": None, "directory": services,
                                     "max_entries": 100000}
    assert results[0]["since"] == "1h" and results[0]["window_start"].endswith("Z")


# --- hostile input: a message nested deeper than any log format ----------------------------------

def test_a_deeply_nested_json_message_is_text_and_every_other_entry_still_counts(tmp_path):
    """A service that logs JSON to stdout: one message nested 5000 levels deep is read as text (a
    regex still sees it) instead of making the whole journal check unknown."""
    deep = '{"level": "error", "msg": "ERROR hidden", "x": %s}' % ('{"a":' * 5000 + "1" + "}" * 5000)
    directory = write_journal(tmp_path / "j", [
        (50, entry('{"level": "error", "msg": "before"}', 6, "shop.service")),
        (40, entry("ERROR before, as text", 6, "shop.service")),
        (30, entry(deep, 6, "shop.service")),
        (25, entry("[" * 5000 + "]" * 5000, 6, "shop.service")),
        (20, entry("{" * 100000, 6, "shop.service")),
        (10, entry('{"level": "error", "msg": "after ERROR"}', 6, "shop.service")),
        (5, entry("ERROR after, as text", 6, "shop.service")),
    ])
    results = by_pattern(scan(directory, "1h", [
        ERRORS,
        {"name": "level", "field": "level", "equals": "error"},
        {"name": "level or text", "field": "level", "equals": "error", "regex": r"\bERROR\b"},
        {"name": "unit", "field": "_SYSTEMD_UNIT", "equals": "shop.service"},
    ]))
    assert [r["status"] for r in results.values()] == ["ok"] * 4, [r["summary"] for r in results.values()]
    assert results["errors"]["metrics"]["matches"] == 4  # both text entries, the deep message, "after ERROR"
    assert results["level"]["metrics"]["matches"] == 2  # the two JSON messages: the deep one has no fields
    assert results["level or text"]["metrics"]["matches"] == 5
    assert results["unit"]["metrics"]["matches"] == 7  # the entry's own fields still count for the deep one
    assert results["errors"]["metrics"]["entries"] == 7
