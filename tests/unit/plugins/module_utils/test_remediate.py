# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""service_state's remediation: the flap guard's state file (real files), window arithmetic, options.

Restarts on real systemd are proven by the molecule scenario ``remediation``; here are the parts that
do not need systemd.
"""

from __future__ import annotations

import json
import os
import stat
import threading

import pytest

from ansible_collections.sre.health.plugins.module_utils._remediate import flapguard, options, systemd
from ansible_collections.sre.health.plugins.module_utils._statefile import StateFileError
from ansible_collections.sre.health.plugins.module_utils._status import OptionError

HOUR = 3600.0


def write(path, text):
    with open(str(path), "w") as handle:
        handle.write(text)


def leftovers(directory):
    return sorted(n for n in os.listdir(str(directory)) if n.endswith(".tmp"))


# --- the state file -------------------------------------------------------------------------------

def test_a_missing_file_is_an_empty_log_without_a_problem(tmp_path):
    log = flapguard.RestartLog.load(str(tmp_path / "restarts.json"))
    assert log.units == {} and log.problem is None and not log.rebuild
    assert log.allowed("nginx.service", 1000.0, HOUR, 1)


def test_save_then_load_round_trips_with_owner_only_mode(tmp_path):
    path = str(tmp_path / "sub" / "dir" / "restarts.json")
    log = flapguard.RestartLog(path)
    log.record("nginx.service", 100.0)
    log.record("nginx.service", 200.5)
    log.record("app.service", 150.0)
    log.save()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        expected = {"app.service": [150.0], "nginx.service": [100.0, 200.5]}
        assert json.load(handle) == {"version": 1, "units": expected}
    again = flapguard.RestartLog.load(path)
    assert again.units == {"app.service": [150.0], "nginx.service": [100.0, 200.5]} and again.problem is None
    assert leftovers(tmp_path / "sub" / "dir") == []


@pytest.mark.parametrize("content, fragment", [
    ('{"version": 1, "units": ', "is not a valid restart log"),
    ("", "is not a valid restart log"),
    ("[1, 2]", "is not a valid restart log"),
    ('{"version": 2, "units": {}}', "unexpected layout"),
    ('{"version": 1, "units": []}', "unexpected layout"),
    ('{"version": 1}', "is not a valid restart log"),
    ('{"version": 1, "units": {"a.service": "yesterday"}}', "unexpected restart times for a.service"),
    ('{"version": 1, "units": {"a.service": [true]}}', "unexpected restart times for a.service"),
    ('{"version": 1, "units": {"a.service": [1, "2"]}}', "unexpected restart times for a.service"),
    ("\xff\xfe garbage", "is not a valid restart log"),
])
def test_a_corrupt_file_is_reported_and_rebuilt_empty(tmp_path, content, fragment):
    path = tmp_path / "restarts.json"
    with open(str(path), "wb") as handle:
        handle.write(content.encode("latin-1"))
    log = flapguard.RestartLog.load(str(path))
    assert log.units == {} and log.rebuild
    assert fragment in log.problem and str(path) in log.problem
    log.record("a.service", 5.0)
    log.save()
    assert flapguard.RestartLog.load(str(path)).units == {"a.service": [5.0]}


def test_an_unreadable_file_is_reported_not_raised(tmp_path):
    path = tmp_path / "restarts.json"
    path.mkdir()  # a directory where the file should be: open() fails with EISDIR, as root too
    log = flapguard.RestartLog.load(str(path))
    assert log.units == {} and log.rebuild and log.problem.startswith("cannot read %s" % path)


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary_file(tmp_path, monkeypatch):
    path = str(tmp_path / "restarts.json")
    log = flapguard.RestartLog(path)
    log.record("nginx.service", 100.0)
    log.save()
    with open(path) as handle:
        before = handle.read()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    # A full disk cannot be arranged for one write on a shared machine: fail the fsync instead.
    monkeypatch.setattr(os, "fsync", full_disk)
    log.record("nginx.service", 200.0)
    with pytest.raises(StateFileError, match="cannot write .*No space left on device"):
        log.save()
    with open(path) as handle:
        assert handle.read() == before
    assert leftovers(tmp_path) == []


def test_an_unwritable_directory_is_a_state_file_error(tmp_path):
    blocker = tmp_path / "file"
    write(blocker, "a regular file, not a directory")
    log = flapguard.RestartLog(str(blocker / "restarts.json"))
    log.record("nginx.service", 1.0)
    with pytest.raises(StateFileError, match="cannot write %s" % blocker):
        log.save()


def test_a_reader_never_sees_a_half_written_file(tmp_path):
    path = str(tmp_path / "restarts.json")
    log = flapguard.RestartLog(path)
    log.save()
    stop = threading.Event()
    seen = []

    def read():
        while not stop.is_set():
            loaded = flapguard.RestartLog.load(path)
            seen.append(loaded.problem)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for index in range(300):
            # a log that grows, so every write changes the file's length
            log.record("unit%d.service" % (index % 7), float(index))
            log.save()
    finally:
        stop.set()
        reader.join()
    assert seen and all(problem is None for problem in seen)
    assert leftovers(tmp_path) == []


# --- window arithmetic ----------------------------------------------------------------------------

@pytest.mark.parametrize("stamps, now, window, limit, allowed, next_allowed", [
    ([], 1000.0, HOUR, 3, True, 1000.0),
    ([100.0, 200.0], 1000.0, HOUR, 3, True, 1000.0),
    ([100.0, 200.0, 300.0], 1000.0, HOUR, 3, False, 100.0 + HOUR),
    # a restart exactly one window ago has left it
    ([1000.0 - HOUR, 500.0, 600.0], 1000.0, HOUR, 3, True, 1000.0),
    ([1000.0 - HOUR + 0.5, 500.0, 600.0], 1000.0, HOUR, 3, False, 1000.5),
    # only the restarts inside the window count
    ([-5000.0, -4000.0, 900.0], 1000.0, HOUR, 2, True, 1000.0),
    ([-5000.0, 800.0, 900.0], 1000.0, HOUR, 2, False, 800.0 + HOUR),
    # limit 1: the one restart blocks until it leaves the window
    ([990.0], 1000.0, 60.0, 1, False, 1050.0),
    # a restart stamped in the future (the clock went back) still counts
    ([5000.0], 1000.0, HOUR, 1, False, 5000.0 + HOUR),
])
def test_window_arithmetic(stamps, now, window, limit, allowed, next_allowed):
    log = flapguard.RestartLog("/nonexistent/restarts.json")
    for stamp in stamps:
        log.record("a.service", stamp)
    assert log.allowed("a.service", now, window, limit) is allowed
    assert log.next_allowed("a.service", now, window, limit) == pytest.approx(next_allowed)
    assert log.allowed("other.service", now, window, limit)


def test_prune_forgets_old_restarts_and_empty_units():
    log = flapguard.RestartLog("/nonexistent/restarts.json")
    for unit, stamp in [("a.service", 10.0), ("a.service", 3000.0), ("b.service", 5.0)]:
        log.record(unit, stamp)
    log.prune(4000.0, HOUR)
    assert log.units == {"a.service": [3000.0]}


def test_the_lock_excludes_a_second_run(tmp_path):
    path = str(tmp_path / "restarts.json")
    with flapguard.locked(path, 5):
        with pytest.raises(StateFileError, match="another remediation on this host holds"):
            with flapguard.locked(path, 0.5):
                pass
    with flapguard.locked(path, 0.5):
        pass


# --- what needs a restart -------------------------------------------------------------------------

@pytest.mark.parametrize("state, sub, needed", [
    ("inactive", "dead", True),
    ("failed", "failed", True),
    ("maintenance", "maintenance", True),
    ("activating", "auto-restart", True),
    ("activating", "start", False),
    ("active", "running", False),
    ("reloading", "running", False),
    ("deactivating", "stop-sigterm", False),
    (None, None, False),
])
def test_needs_restart(state, sub, needed):
    assert systemd.needs_restart({"active_state": state, "sub_state": sub}) is needed


# --- options --------------------------------------------------------------------------------------

GOOD = {"name": ["nginx"], "expect": "active", "timeout": 10.0, "remediate": True, "settle": 5.0,
        "max_restarts": 3, "restart_window": "1h", "restart_timeout": 90.0,
        "state_file": "/var/lib/sre-health/service-restarts.json"}


def test_good_options():
    cfg = options.validate(dict(GOOD, restart_window="90m", probe={"kind": "port", "port": 8081}))
    assert cfg.units == ["nginx.service"] and cfg.window == 5400.0 and cfg.max_restarts == 3
    assert cfg.probe["kind_name"] == "port" and cfg.probe["name"] == "service:probe"
    assert options.validate(dict(GOOD, restart_window=120)).window == 120.0
    assert options.validate(dict(GOOD, settle=0)).settle == 0.0


@pytest.mark.parametrize("change, fragment", [
    ({"expect": "inactive"}, "option expect: 'inactive' is invalid; accepted: active when remediate is true"),
    ({"settle": -1}, "option settle: -1 is invalid; accepted: a number of seconds from 0 to 3600"),
    ({"settle": 7200}, "option settle: 7200 is invalid"),
    ({"max_restarts": 0}, "option max_restarts: 0 is invalid; accepted: an integer of 1 or more"),
    ({"max_restarts": -2}, "option max_restarts: -2 is invalid"),
    ({"restart_window": "soon"}, "option restart_window: 'soon' is invalid; accepted: a duration greater than 0"),
    ({"restart_window": "-5m"}, "option restart_window: '-5m' is invalid"),
    ({"restart_window": 0}, "option restart_window: 0 is invalid"),
    ({"restart_window": "10GiB"}, "option restart_window: '10GiB' is invalid"),
    ({"restart_window": "1e308d"}, "option restart_window: '1e308d' is not a finite duration"),
    ({"restart_window": 1e300}, "option restart_window: 1e+300 is longer than 366d"),
    ({"restart_timeout": 0}, "option restart_timeout: 0 is invalid; accepted: a number of seconds greater than 0"),
    # 1e300 was accepted and overflowed later (a traceback)
    ({"restart_timeout": 1e300}, "option restart_timeout: 1e+300 is invalid; accepted: a number of seconds greater "
                                 "than 0 and at most 86400"),
    ({"max_restarts": 10 ** 15}, "option max_restarts: 1000000000000000 is invalid; accepted: an integer of 1 or more, "
                                 "at most 1000"),
    ({"state_file": "restarts.json"}, "option state_file: 'restarts.json' is invalid; accepted: an absolute path"),
    ({"probe": "http://127.0.0.1/"}, "option probe: 'http://127.0.0.1/' is invalid; accepted: a dict"),
    ({"probe": {"kind": "ping"}}, "option probe: option kind: 'ping' is invalid; accepted: http, port"),
    ({"probe": {"kind": "disk"}}, "option probe: option kind: 'disk' is invalid; accepted: http, port"),
    ({"probe": {"kind": "http"}}, "option probe: missing required arguments: url"),
    ({"probe": {"kind": "port", "port": 99999}}, "option probe: option port: 99999 is invalid"),
    ({"probe": {"kind": "port", "port": 80, "colour": "red"}}, "option probe: unknown option colour for kind port"),
    ({"name": ["not a unit"]}, "option name: 'not a unit' is invalid"),
])
def test_bad_options_name_the_option_the_value_and_what_is_accepted(change, fragment):
    with pytest.raises((OptionError, options.ProbeError)) as info:
        options.validate(dict(GOOD, **change))
    assert fragment in str(info.value)


def test_limits_are_checked_even_without_remediate():
    with pytest.raises(OptionError, match="option max_restarts: -1"):
        options.validate(dict(GOOD, remediate=False, max_restarts=-1))
    # expect=inactive is a check-only use and fine without remediate
    assert options.validate(dict(GOOD, remediate=False, expect="inactive")).units == ["nginx.service"]
