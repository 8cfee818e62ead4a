# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Real journal files for the tests: entries in the journal export format, written into a
``.journal`` file by systemd's own systemd-journal-remote (no journald, no network: it reads
stdin), then read by the real journalctl (``journal.directory``)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time

import pytest

JOURNAL_REMOTE = next((p for p in ("/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote")
                       if os.access(p, os.X_OK)), None)

needs_journal = pytest.mark.skipif(
    JOURNAL_REMOTE is None or shutil.which("journalctl") is None,
    reason="journalctl and systemd-journal-remote (Debian package systemd-journal-remote, installed by make "
           "system-deps) write and read the test journals")

BOOT_ID = "0123456789abcdef0123456789abcdef"


def _field(name, value):
    if isinstance(value, str):
        value = value.encode("utf-8")
    if b"\n" in value or any(c < 0x20 and c != 9 for c in value) or any(c >= 0x80 for c in value):
        # the binary form: the name, a newline, the length as 64-bit little endian, the bytes
        return name.encode("ascii") + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return name.encode("ascii") + b"=" + value + b"\n"


def export(entries, now=None):
    """The journal export format of ``entries``: ``(seconds ago, {field: str, bytes or a list of them})``."""
    now = time.time() if now is None else now
    ordered = sorted(entries, key=lambda e: -e[0])
    oldest = ordered[0][0] if ordered else 0
    chunks = []
    for ago, fields in ordered:
        realtime = int((now - ago) * 1e6)
        monotonic = int((oldest - ago) * 1e6) + 10 ** 9
        chunks.append(b"__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n"
                      % (realtime, monotonic, BOOT_ID.encode()))
        for name, value in fields.items():
            # a list: the field given several times, as a journal entry may
            chunks.extend(_field(name, item) for item in (value if isinstance(value, list) else [value]))
        chunks.append(b"\n")
    return b"".join(chunks)


def write_journal(directory, entries, now=None, name="test.journal"):
    """Write ``entries`` into ``directory/name``, a real journal file; return ``directory``."""
    directory = str(directory)
    os.makedirs(directory, exist_ok=True)
    proc = subprocess.run([JOURNAL_REMOTE, "--output=" + os.path.join(directory, name), "--split-mode=none", "-"],
                          input=export(entries, now), capture_output=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return directory


def entry(message, priority=6, unit=None, identifier=None, **fields):
    """The fields of one entry as services write them."""
    result = {"MESSAGE": message, "PRIORITY": str(priority)}
    if unit:
        result["_SYSTEMD_UNIT"] = unit
    if identifier:
        result["SYSLOG_IDENTIFIER"] = identifier
    result.update(fields)
    return result
