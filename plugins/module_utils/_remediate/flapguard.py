# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The flap guard's restart log: restart times per unit, in a state file on the host (``_statefile``)."""

from __future__ import annotations

import bisect
import contextlib
import os
import time

from ansible_collections.sre.health.plugins.module_utils import _statefile
from ansible_collections.sre.health.plugins.module_utils._statefile import StateFileError

STATE_VERSION = 1


def _layout_problem(data):
    """Why ``data`` is not a restart log, or None."""
    if not isinstance(data, dict) or "units" not in data:
        return "no units"
    units = data["units"]
    if data.get("version") != STATE_VERSION or not isinstance(units, dict):
        return "unexpected layout"
    for unit, stamps in units.items():
        if not isinstance(stamps, list) or not all(
                isinstance(s, (int, float)) and not isinstance(s, bool) for s in stamps):
            return "unexpected restart times for %s" % unit
    return None


class RestartLog(object):
    """Restart times per unit, loaded from and saved to the state file.

    The file is ``{"version": 1, "units": {"nginx.service": [epoch seconds, ...]}}``. A file that
    was never written starts empty. One that cannot be read or parsed, or that is missing while
    its lock file shows an earlier remediation (deleted), is reported (``problem``): the guard
    then cannot count restarts, so it fails closed (no restart on that run); the log starts empty
    and the next save replaces it whole, so the run after that counts again.
    """

    def __init__(self, path):
        self.path = path
        self.units = {}
        self.problem = None
        self.rebuild = False

    @classmethod
    def load(cls, path, lock_existed=None):
        """The log at ``path``. ``lock_existed``: whether its lock file was there before this run
        took the lock (None: look now), the sign of an earlier remediation."""
        log = cls(path)
        if lock_existed is None:
            lock_existed = os.path.exists(path + ".lock")
        try:
            data = _statefile.read_json(path)
        except _statefile.InvalidState as exc:
            problem = "%s is not a valid restart log (%s)" % (path, exc.reason)
        except _statefile.UnreadableState as exc:
            problem = str(exc)
        else:
            problem = cls._problem(path, data, lock_existed)
            if problem is None and data is not None:
                log.units = dict((unit, sorted(float(s) for s in stamps)) for unit, stamps in data["units"].items())
        if problem:
            log.problem = problem
            log.rebuild = True
        return log

    @staticmethod
    def _problem(path, data, lock_existed):
        """Why the content read from ``path`` cannot be trusted as the restart history, or None."""
        if data is None:
            if lock_existed:
                return ("%s is missing, but %s.lock shows an earlier remediation: the restart history was deleted"
                        % (path, path))
            return None
        problem = _layout_problem(data)
        return "%s is not a valid restart log (%s)" % (path, problem) if problem else None

    def recent(self, unit, now, window):
        """Restart times of ``unit`` inside the window that ends at ``now`` (a time in the future counts)."""
        return [t for t in self.units.get(unit, []) if t > now - window]

    def allowed(self, unit, now, window, limit):
        return len(self.recent(unit, now, window)) < limit

    def next_allowed(self, unit, now, window, limit):
        """When the next restart fits inside the limit again: when enough old restarts leave the window."""
        recent = self.recent(unit, now, window)
        if len(recent) < limit:
            return now
        return recent[len(recent) - limit] + window

    def record(self, unit, when):
        bisect.insort(self.units.setdefault(unit, []), float(when))

    def prune(self, now, window):
        """Forget restarts older than the window, and units left with none."""
        for unit in list(self.units):
            kept = self.recent(unit, now, window)
            if kept:
                self.units[unit] = kept
            else:
                del self.units[unit]

    def save(self):
        """Write the whole log atomically (see _statefile); raises StateFileError."""
        _statefile.write_json(self.path, {"version": STATE_VERSION, "units": self.units}, 0o600, 0o755)
        self.rebuild = False


@contextlib.contextmanager
def locked(path, wait, monotonic=time.monotonic, sleep=time.sleep):
    """Hold the state file's lock, so two runs on one host never restart the same units at once (a
    playbook and a cron job, or two overlapping AWX jobs); StateFileError after ``wait`` seconds."""
    lock = _statefile.StateLock(path, wait, 0o755, monotonic, sleep)
    try:
        lock.acquire()
    except _statefile.LockBusy:
        raise StateFileError("another remediation on this host holds %s for more than %g s" % (lock.path, wait))
    try:
        yield lock
    finally:
        lock.release()
