# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a file is, in words, and how to open one to read without blocking: written once.

A path a check reads (a certificate, a state file, a log) may be a FIFO, whose open() blocks for ever
without a writer, or a device, whose open() can act. Callers refuse what stat() says is not a regular
file, open with ``NONBLOCKING_READ`` and check fstat() again (a file replaced in between). Pure logic.
"""

from __future__ import annotations

import os
import stat

NONBLOCKING_READ = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)

_TYPES = (
    (stat.S_ISREG, "a regular file"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def type_word(mode):
    """``mode`` (an st_mode) in words: ``a regular file``, ``a FIFO (named pipe)``, ``a socket`` ..."""
    return next((word for test, word in _TYPES if test(mode)), "a special file")
