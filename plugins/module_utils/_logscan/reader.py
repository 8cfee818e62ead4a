# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading a log from its end: reverse line reading, bounded, and the rotation chain (``<file>.1``).

Each file is read from its END backwards in fixed-size blocks, and reading stops at the first
line whose timestamp is older than the window, so a 1 GB log costs time proportional to the
window, not to the file; memory is bounded by the block size, the longest line kept
(MAX_LINE_BYTES) and the number of distinct group values kept (MAX_GROUPS). When the oldest
line of a file is still inside the window, its rotated predecessor ``<file>.1`` is read next
(logrotate's default naming), and a file last modified before the window is not read at all.
A line without a timestamp (a stack trace) belongs to the timestamped line before it in the file.
"""

from __future__ import annotations

import glob
import os
import re
import stat

from ansible_collections.sre.health.plugins.module_utils._filetype import NONBLOCKING_READ
from ansible_collections.sre.health.plugins.module_utils._jsontext import loads
from ansible_collections.sre.health.plugins.module_utils._logscan.timestamps import line_time
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, format_quantity

BLOCK_SIZE = 64 * 1024
# A longer line is judged on its first MAX_LINE_BYTES bytes.
MAX_LINE_BYTES = 1024 * 1024
# Reading this much from the end of a file without finding one timestamp gives up (unknown).
UNDATED_LIMIT = 1024 * 1024
# Distinct values counted per pattern for group_by; further values count under "(other)".
MAX_GROUPS = 100
OTHER_GROUP = "(other)"
# How much of a matching line ``last_match`` returns.
SAMPLE_CHARS = 500
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip", ".z")
_GLOB_CHARS = set("*?[")


class _Counter(object):
    __slots__ = ("bytes",)

    def __init__(self):
        self.bytes = 0


def reverse_lines(handle, size, counter, block_size=BLOCK_SIZE, max_line=MAX_LINE_BYTES):
    """Yield the lines of ``handle`` (binary) from the last to the first, reading ``block_size``
    blocks backwards from ``size``. A line longer than ``max_line`` keeps only its beginning."""
    pos = size
    carry = b""
    while pos > 0:
        step = min(block_size, pos)
        pos -= step
        handle.seek(pos)
        data = handle.read(step)
        counter.bytes += len(data)
        if not data:
            break
        parts = (data + carry).split(b"\n")
        carry = parts[0][:max_line]
        for index in range(len(parts) - 1, 0, -1):
            yield parts[index][:max_line]
    if carry:
        yield carry


class Tally(object):
    """Counts for a run of lines: lines, matches, groups and the newest match per pattern."""

    __slots__ = ("lines", "matches", "groups", "last")

    def __init__(self, count):
        self.lines = 0
        self.matches = [0] * count
        self.groups = [{} for _i in range(count)]
        self.last = [None] * count  # (epoch or None, text)

    def add(self, text, obj, patterns, when, text_line=False):
        self.lines += 1
        for i, pattern in enumerate(patterns):
            hit, group = pattern.match(text, obj, text_line)
            if not hit:
                continue
            self.matches[i] += 1
            if pattern.group_by:
                bump(self.groups[i], group, 1)
            if self.last[i] is None:
                self.last[i] = (when, text[:SAMPLE_CHARS])

    def absorb(self, older, when):
        """Add the counts of ``older`` (lines read after these, so older), dated ``when``."""
        self.lines += older.lines
        for i in range(len(self.matches)):
            self.matches[i] += older.matches[i]
            for key, count in older.groups[i].items():
                bump(self.groups[i], key, count)
            if self.last[i] is None and older.last[i] is not None:
                self.last[i] = (when if older.last[i][0] is None else older.last[i][0], older.last[i][1])


def bump(groups, key, count):
    if key in groups or len(groups) < MAX_GROUPS:
        groups[key] = groups.get(key, 0) + count
    else:
        groups[OTHER_GROUP] = groups.get(OTHER_GROUP, 0) + count


def _decode(raw):
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", "replace")


def json_object(text):
    """The JSON object ``text`` holds (leading blanks allowed), or None: a log line, a journal MESSAGE.

    Anyone who can log can write the line: one nested deeper than ``_jsontext.MAX_DEPTH`` levels
    is text (json.loads would raise RecursionError, and the check would see no other line).
    """
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return None
    try:
        obj = loads(stripped)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def _open_log(path):
    """``path`` opened for binary reading without blocking: expand() refused what was no regular file,
    but a FIFO put in its place since then would block a plain open() until a writer comes (fstat()
    after opening tells). O_NONBLOCK changes nothing for a regular file's reads."""
    fd = os.open(path, NONBLOCKING_READ)
    try:
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _plain_file(path):
    """A regular file that is not compressed: the rotated file read after the current one."""
    return os.path.isfile(path) and not path.lower().endswith(COMPRESSED_SUFFIXES)


def _rotated(path):
    return path + ".1"


class _Chain(object):
    """One scan through a file and its rotations: the counts so far and what is still pending."""

    def __init__(self, cutoff, patterns, now_local):
        self.cutoff = cutoff
        self.patterns = patterns
        self.now_local = now_local
        self.total = Tally(len(patterns))
        self.pending = Tally(len(patterns))  # lines without a timestamp, waiting for the one before them
        self.files = []
        self.dated = False
        self.oldest = None
        self.chain_bytes = 0
        self.problem = None

    def read(self, current, rotated):
        """Scan one file backwards; True when its first line was reached (the window goes on before it)."""
        info = {"path": current, "bytes_read": 0, "lines_read": 0, "rotated": rotated}
        self.files.append(info)
        try:
            handle = _open_log(current)
        except OSError as exc:
            info["error"] = exc.strerror or str(exc)
            self.problem = "cannot read %s: %s" % (current, info["error"])
            return False
        with handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode):
                # replaced since expand() looked at it: refused as expand() would have
                info["error"] = "not a regular file"
                self.problem = "%s is not a regular file" % current
                return False
            if st.st_mtime < self.cutoff:
                # Nothing was written to it since before the window: no line can be inside.
                info["skipped"] = "last modified before the window"
                self.pending = Tally(len(self.patterns))
                return False
            counter = _Counter()
            try:
                stopped = self._lines(handle, st.st_size, counter, info, current)
            except OSError as exc:
                info["error"] = exc.strerror or str(exc)
                self.problem = "cannot read %s: %s" % (current, info["error"])
                stopped = True
            info["bytes_read"] = counter.bytes
            self.chain_bytes += counter.bytes
        return not stopped

    def _lines(self, handle, size, counter, info, current):
        """Count the lines of one file inside the window; True when reading stopped before its start."""
        for raw in reverse_lines(handle, size, counter):
            text = _decode(raw)
            if not text.strip():
                continue
            info["lines_read"] += 1
            obj = json_object(text)
            when = line_time(text, obj, self.now_local)
            if when is None:
                self.pending.add(text, obj, self.patterns, None)
                if not self.dated and self.chain_bytes + counter.bytes > UNDATED_LIMIT:
                    self.problem = "no timestamp in the last %s of %s" % (
                        format_quantity(self.chain_bytes + counter.bytes, BYTES), current)
                    return True
                continue
            self.dated = True
            if when < self.cutoff:
                self.pending = Tally(len(self.patterns))
                return True
            self.total.absorb(self.pending, when)
            self.pending = Tally(len(self.patterns))
            self.total.add(text, obj, self.patterns, when)
            self.oldest = when
        return False

    def finish(self, path):
        if self.pending.lines and self.problem is None:
            if self.dated:
                # Lines before the first timestamp of the oldest file read: they belong to the oldest
                # dated line seen, which is inside the window.
                self.total.absorb(self.pending, self.oldest)
            else:
                self.problem = "no line of %s has a timestamp this check can read (ISO 8601, RFC 3164 syslog, " \
                               "common log format, JSON time field)" % path
        return self.total, self.files, self.problem


def scan_file_chain(path, cutoff, patterns, now_local):
    """Scan ``path`` backwards, then ``path.1`` while the window reaches further back.

    Returns ``(tally, files, problem)``: ``files`` describes each file looked at, ``problem``
    is a reason the counts are incomplete (None when they are complete).
    """
    chain = _Chain(cutoff, patterns, now_local)
    reached_start = False
    for current in (path, _rotated(path)):
        rotated = current != path
        if rotated and not (reached_start and _plain_file(current)):
            break
        reached_start = chain.read(current, rotated)
        if not reached_start:
            break
    return chain.finish(path)


def _not_a_log(path):
    """Why ``path`` cannot be scanned (None when it is a regular file)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "%s is a broken symbolic link" % path if os.path.islink(path) else "%s does not exist" % path
    except OSError as exc:
        return "cannot read %s: %s" % (path, exc.strerror or exc)
    if stat.S_ISDIR(st.st_mode):
        return "%s is a directory; give a file or a glob such as %s/*.log" % (path, path.rstrip("/"))
    if not stat.S_ISREG(st.st_mode):
        # opening a FIFO would block until a writer comes
        return "%s is not a regular file" % path
    return None


def expand(paths):
    """Expand globs into regular files; return (files, skipped, errors)."""
    files = []
    errors = []
    for item in paths:
        item = os.path.expanduser(item)
        if _GLOB_CHARS & set(item):
            matched = sorted(p for p in glob.glob(item) if os.path.isfile(p))
            if not matched:
                errors.append("no file matches %s" % item)
            files.extend(matched)
        else:
            problem = _not_a_log(item)
            if problem:
                errors.append(problem)
            else:
                files.append(item)
    unique = []
    for path in files:
        if path not in unique:
            unique.append(path)
    # path.1, path.2.gz, ... are read (when needed) as rotations of path, not as logs of their own.
    chosen = set(unique)
    skipped = []
    primaries = []
    for path in unique:
        if any(re.match(r"^%s\.\d+(\.[A-Za-z0-9]+)?$" % re.escape(other), path) for other in chosen if other != path):
            continue
        if path.lower().endswith(COMPRESSED_SUFFIXES):
            skipped.append(path)
            continue
        primaries.append(path)
    return primaries, skipped, errors
