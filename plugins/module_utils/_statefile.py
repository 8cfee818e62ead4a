# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One JSON state file and its lock: fleet_alert's alert state and service_state's flap-guard log.

- Reading refuses what is not a regular file owned by the running user (a FIFO that would block,
  a symbolic link to ``/dev/zero`` that never ends, a file another user could have planted or
  edited) and anything over ``max_bytes``, and says why; a missing file is no state at all.
- Writing replaces the file whole, owner-only (``_atomic.write_atomically``).
- The lock is an exclusive ``flock`` on ``<file>.lock``, opened with ``O_NOFOLLOW`` (a symbolic
  link planted there is refused, not followed), held for a whole read, act, write cycle, and
  waited for at most ``wait`` seconds. The lock file stays: removing it while another run waits
  on it would let two runs hold "the" lock at once.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - every host this runs on is POSIX
    fcntl = None

from ansible_collections.sre.health.plugins.module_utils._atomic import write_atomically
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._filetype import type_word

# A state file is a few kilobytes; a much larger one is not ours, or is damaged.
MAX_BYTES = 8 * 1024 * 1024


class StateFileError(SreHealthError):
    """A state file or its lock cannot be used; the message names the file and the reason."""

    def __init__(self, message, path=None, reason=None):
        super(StateFileError, self).__init__(message)
        self.path = path
        self.reason = reason


class UnreadableState(StateFileError):
    """The state file exists but cannot be read as a state file (``reason`` says why)."""


class InvalidState(StateFileError):
    """The state file was read, but it is not JSON (``reason`` has the parser's message)."""


class LockBusy(StateFileError):
    """Another run held the lock for longer than the wait."""


def _strerror(exc):
    return exc.strerror or str(exc)


def _refusal(st, max_bytes):
    """Why an open file is not a state file of ours, or None."""
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file: %s" % type_word(st.st_mode)
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return "owned by uid %d, not by the user running this (uid %d)" % (st.st_uid, os.geteuid())
    if st.st_size > max_bytes:
        return "%d bytes, more than the %d a state file may hold" % (st.st_size, max_bytes)
    return None


def _read_at_most(fd, limit):
    chunks = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_bytes(path, max_bytes=MAX_BYTES):
    """The content of the state file ``path``, or None when it does not exist.

    Raises UnreadableState (message ``cannot read PATH (REASON)``) for anything else that stops it.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = "a symbolic link, which is not followed" if exc.errno == errno.ELOOP else _strerror(exc)
        raise UnreadableState("cannot read %s (%s)" % (path, reason), path, reason)
    data = None
    try:
        reason = _refusal(os.fstat(fd), max_bytes)
        if reason is None:
            # the size may grow between fstat and read: never read more than the cap
            data = _read_at_most(fd, max_bytes + 1)
    except OSError as exc:
        reason = _strerror(exc)
    finally:
        os.close(fd)
    if reason is None and len(data) > max_bytes:
        reason = "more than the %d bytes a state file may hold" % max_bytes
    if reason is not None:
        raise UnreadableState("cannot read %s (%s)" % (path, reason), path, reason)
    return data


def read_json(path, max_bytes=MAX_BYTES):
    """The JSON document in ``path``, or None when there is no file.

    Raises UnreadableState (see read_bytes) or InvalidState (not UTF-8 JSON).
    """
    data = read_bytes(path, max_bytes)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError as exc:  # UnicodeDecodeError is a ValueError too
        reason = str(exc)
        if len(reason) > 120:
            reason = reason[:117] + "..."
        raise InvalidState("%s is not valid JSON (%s)" % (path, reason), path, reason)


def write_json(path, document, mode=0o600, dir_mode=0o755):
    """Replace ``path`` whole with ``document`` as JSON (see _atomic); raises StateFileError."""
    data = (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")
    try:
        write_atomically(path, data, mode, dir_mode)
    except OSError as exc:
        raise StateFileError("cannot write %s (%s)" % (path, _strerror(exc)), path, _strerror(exc))


class StateLock(object):
    """An exclusive lock on ``<path>.lock``, for a whole read, act, write cycle.

    ``acquire()`` waits at most ``wait`` seconds, then raises LockBusy; any other failure is a
    StateFileError. Use as a context manager, or acquire() and release().
    """

    POLL = 0.1

    def __init__(self, path, wait, dir_mode=0o755, monotonic=time.monotonic, sleep=time.sleep):
        self.path = path + ".lock"
        self.wait = wait
        self.dir_mode = dir_mode
        self.monotonic = monotonic
        self.sleep = sleep
        self.fd = None

    def _open(self):
        directory = os.path.dirname(os.path.abspath(self.path))
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, self.dir_mode)
            self.fd = os.open(self.path, flags | getattr(os, "O_NONBLOCK", 0), 0o600)
            reason = _refusal(os.fstat(self.fd), MAX_BYTES)
        except OSError as exc:
            reason = "a symbolic link, which is not followed" if exc.errno == errno.ELOOP else _strerror(exc)
        if reason is not None:
            self.release()
            raise StateFileError("cannot lock %s (%s)" % (self.path, reason), self.path, reason)

    def acquire(self):
        self._open()
        if fcntl is None:
            return self
        deadline = self.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    self.release()
                    raise StateFileError("cannot lock %s (%s)" % (self.path, _strerror(exc)), self.path,
                                         _strerror(exc))
            if self.monotonic() >= deadline:
                self.release()
                raise LockBusy("another run held the lock %s for more than %g s" % (self.path, self.wait),
                               self.path, "held by another run")
            self.sleep(self.POLL)

    def release(self):
        if self.fd is not None:
            try:
                os.close(self.fd)  # closing the last descriptor releases the flock
            finally:
                self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()
