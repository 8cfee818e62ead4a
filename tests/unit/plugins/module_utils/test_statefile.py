# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one state file and its lock (_statefile), on real files, FIFOs, symbolic links and locks."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import threading
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _statefile
from ansible_collections.sre.health.plugins.module_utils._alert import cycle
from ansible_collections.sre.health.plugins.module_utils._remediate import flapguard


def test_missing_is_none_and_a_round_trip_is_owner_only(tmp_path):
    path = str(tmp_path / "sub" / "state.json")
    assert _statefile.read_json(path) is None
    _statefile.write_json(path, {"version": 1, "a": [1, 2]}, 0o600, 0o700)
    assert _statefile.read_json(path) == {"version": 1, "a": [1, 2]}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


def _refused(path, fragment, **kwargs):
    with pytest.raises(_statefile.UnreadableState) as info:
        _statefile.read_json(path, **kwargs)
    assert str(info.value).startswith("cannot read %s (" % path) and fragment in str(info.value)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    path = str(tmp_path / "state.json")
    os.mkfifo(path)
    done = []
    reader = threading.Thread(target=lambda: done.append(pytest.raises(_statefile.UnreadableState,
                                                                       _statefile.read_json, path)))
    reader.daemon = True
    reader.start()
    reader.join(10)
    assert done, "reading a FIFO blocked"
    _refused(path, "not a regular file: a FIFO")


def test_a_symbolic_link_to_dev_zero_is_refused(tmp_path):
    path = str(tmp_path / "state.json")
    os.symlink("/dev/zero", path)
    _refused(path, "a symbolic link, which is not followed")


def test_a_directory_is_refused(tmp_path):
    path = tmp_path / "state.json"
    path.mkdir()
    _refused(str(path), "not a regular file: a directory")


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_another_users_file_is_refused(tmp_path):
    path = str(tmp_path / "state.json")
    with open(path, "w") as handle:
        json.dump({"version": 1}, handle)
    os.chown(path, 65534, 65534)
    _refused(path, "owned by uid 65534, not by the user running this (uid 0)")


def test_a_file_over_the_cap_is_refused(tmp_path):
    path = str(tmp_path / "state.json")
    with open(path, "w") as handle:
        handle.write("[" + "1," * 100 + "1]")
    _refused(path, "203 bytes, more than the 50 a state file may hold", max_bytes=50)
    assert _statefile.read_json(path, max_bytes=1000) == [1] * 101


def test_not_json_is_invalid_state(tmp_path):
    path = str(tmp_path / "state.json")
    with open(path, "wb") as handle:
        handle.write(b"\xff{")
    with pytest.raises(_statefile.InvalidState, match="is not valid JSON"):
        _statefile.read_json(path)


def test_callers_report_and_rebuild_what_is_refused(tmp_path):
    path = str(tmp_path / "restarts.json")
    os.symlink("/dev/zero", path)
    log = flapguard.RestartLog.load(path)
    assert log.rebuild and log.units == {} and "symbolic link" in log.problem
    log.save()
    assert not os.path.islink(path) and flapguard.RestartLog.load(path).problem is None

    state = str(tmp_path / "alerts" / "alerts.json")
    os.makedirs(os.path.dirname(state))
    os.mkfifo(state)
    result = cycle.run(dict(url="https://hooks.example.com/x", state_file=state, results=[]),
                       post=lambda body, timeout: None)
    assert "cannot read the alert state %s (not a regular file: a FIFO (named pipe))" % state in result["warnings"][0]


# --- the lock -----------------------------------------------------------------------------------

def test_the_lock_is_exclusive_and_its_wait_bounded(tmp_path):
    path = str(tmp_path / "state.json")
    with _statefile.StateLock(path, 1) as first:
        assert first.path == path + ".lock"
        started = time.monotonic()
        with pytest.raises(_statefile.LockBusy, match="another run held the lock %s.lock" % path):
            _statefile.StateLock(path, 0.3).acquire()
        assert 0.3 <= time.monotonic() - started < 0.3 + 30  # waited its 0.3 s; the upper bound is a hang guard
    with _statefile.StateLock(path, 0.3):
        pass
    assert stat.S_IMODE(os.stat(path + ".lock").st_mode) == 0o600


def test_a_lock_held_by_another_process_descriptor_counts(tmp_path):
    path = str(tmp_path / "state.json")
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(_statefile.LockBusy):
            _statefile.StateLock(path, 0.2).acquire()
    finally:
        os.close(fd)


def test_a_symbolic_link_as_lock_file_is_refused_not_followed(tmp_path):
    path = str(tmp_path / "state.json")
    target = tmp_path / "elsewhere"
    os.symlink(str(target), path + ".lock")
    with pytest.raises(_statefile.StateFileError, match="cannot lock .*symbolic link"):
        _statefile.StateLock(path, 0.2).acquire()
    assert not target.exists()
