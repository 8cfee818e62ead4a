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


def write_atomically(path, data, mode=0o600, dir_mode=0o755):
    """Write ``data`` (bytes) to ``path``: a temporary file in the same directory with ``mode``,
    fsync, rename over ``path``, fsync the directory. Creates missing directories with ``dir_mode``.

    Raises OSError; the temporary file is removed whatever happens.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, dir_mode)
    fd, temp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
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
