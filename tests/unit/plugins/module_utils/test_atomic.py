# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Atomic writes and the report directory's write probe, on real files and processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from ansible_collections.sre.health.plugins.module_utils import _report
from ansible_collections.sre.health.plugins.module_utils._atomic import write_atomically


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_write_removes_what_killed_writers_left(tmp_path):
    # 13 temporary files were left after 100 kill -9 of writers, and stayed for ever.
    path = tmp_path / "state.json"
    dead = _dead_pid()
    orphans = [tmp_path / (".state.json.%d.x%d.tmp" % (dead, i)) for i in range(3)]
    for orphan in orphans:
        orphan.write_bytes(b"half a sta")
    live = tmp_path / (".state.json.%d.busy.tmp" % os.getpid())  # a writer still at work
    live.write_bytes(b"in progress")
    other = tmp_path / ".other.json.1.x.tmp"
    other.write_bytes(b"not ours")
    write_atomically(str(path), b'{"version": 1}')
    assert path.read_bytes() == b'{"version": 1}'
    assert not any(o.exists() for o in orphans)
    assert live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([".other.json.1.x.tmp", live.name, "state.json"])


def test_writers_killed_mid_write_never_leave_a_torn_file_nor_litter(tmp_path):
    path = str(tmp_path / "big.json")
    write_atomically(path, b"old")
    code = ("import sys; sys.path[:0] = %r\n"
            "from ansible_collections.sre.health.plugins.module_utils._atomic import write_atomically\n"
            "while True: write_atomically(%r, b'n' * (8 << 20))\n" % (sys.path, path))
    for _round in range(5):
        proc = subprocess.Popen([sys.executable, "-c", code])
        # killed once its temporary file is there, i.e. mid-write (a fixed pause could end before a
        # loaded machine started Python at all, and the round would kill nothing but a start-up)
        mine = ".%d." % proc.pid
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline \
                and not [n for n in os.listdir(str(tmp_path)) if mine in n and n.endswith(".tmp")]:
            time.sleep(0.001)
        assert proc.poll() is None, "the writer ended by itself (rc %s)" % proc.returncode
        proc.kill()
        proc.wait()
        with open(path, "rb") as handle:
            content = handle.read()
        assert content == b"old" or content == b"n" * (8 << 20)
    write_atomically(path, b"new")
    assert [n for n in os.listdir(str(tmp_path)) if n.endswith(".tmp")] == []


def test_the_write_probe_never_follows_a_planted_symlink(tmp_path):
    # The probe's name was predictable: a symlink planted under it truncated its target to 0 bytes.
    victim = tmp_path / "precious.txt"
    victim.write_text("do not truncate me")
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / (".sre-health-write-test.%d" % os.getpid())).symlink_to(victim)
    _report.check_directory(str(reports))
    assert victim.read_text() == "do not truncate me"
