# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Replace a file atomically: readers and crashes see the old file or the new one, whole, never half.

Not AnsibleModule.atomic_move: it keeps an existing file's mode, and a state file once left
readable by others must become owner-only again; and pure module_utils code has no module object.
"""

from __future__ import annotations

import os
import tempfile


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's live process
    return True


def remove_orphans(directory, prefix):
    """Remove the temporary files that writers killed mid-write left (``<prefix><pid>.*.tmp``
    whose pid no longer runs); a live writer's file stays."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


class AtomicFile(object):
    """A file written in pieces, then put in place whole: ``write`` into a temporary file next to ``path``,
    ``commit`` (fsync, rename over ``path``, fsync the directory) or ``discard``. A report too big to hold in
    memory twice is written so; several AtomicFiles committed only after each was written whole make a set of
    files that bad data never leaves half replaced.

    Raises OSError; the temporary file is removed whatever happens short of commit (and by the next writer of
    ``path`` if this process was killed)."""

    # bytes gathered before a write(2): a renderer hands over many small pieces
    BUFFER = 1024 * 1024

    def __init__(self, path, mode=0o600, dir_mode=0o755):
        self.path = path
        self.handle = self.temp = None
        self.directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(self.directory):
            os.makedirs(self.directory, dir_mode)
        prefix = "." + os.path.basename(path) + "."
        remove_orphans(self.directory, prefix)
        fd, self.temp = tempfile.mkstemp(dir=self.directory, prefix="%s%d." % (prefix, os.getpid()), suffix=".tmp")
        try:
            self.handle = os.fdopen(fd, "wb", buffering=self.BUFFER)
            os.fchmod(self.handle.fileno(), mode)
        except BaseException:
            self.discard()
            raise

    def write(self, data):
        self.handle.write(data)

    def discard(self):
        """Remove the temporary file; ``path`` stays as it was."""
        handle, self.handle = self.handle, None
        try:
            if handle is not None:
                handle.close()
        except OSError:
            pass
        if self.temp is not None:
            try:
                os.unlink(self.temp)
            except OSError:
                pass
            self.temp = None

    def commit(self):
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            self.handle = None
            os.replace(self.temp, self.path)
            self.temp = None
        except BaseException:
            self.discard()
            raise
        _sync_directory(self.directory)


def _sync_directory(directory):
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        # makes the rename itself durable
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def write_atomically(path, data, mode=0o600, dir_mode=0o755):
    """Write ``data`` (bytes) to ``path``: a temporary file in the same directory with ``mode``,
    fsync, rename over ``path``, fsync the directory. Creates missing directories with ``dir_mode``.

    Raises OSError; the temporary file is removed whatever happens, and the ones that killed
    writers left behind are removed by the next write.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, dir_mode)
    prefix = "." + os.path.basename(path) + "."
    remove_orphans(directory, prefix)
    fd, temp = tempfile.mkstemp(dir=directory, prefix="%s%d." % (prefix, os.getpid()), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _sync_directory(directory)
