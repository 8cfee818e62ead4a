# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What systemd says during a remediation: which units need a restart, restarting, watching them settle."""

from __future__ import annotations

import time

from ansible_collections.sre.health.plugins.module_utils import _service
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration

POLL_INTERVAL = 0.25

# The clocks; names of their own so tests can pin them.
_monotonic = time.monotonic
_sleep = time.sleep


def needs_restart(result):
    """True when the unit's check result says it is down (see the module docs); False otherwise."""
    state = result.get("active_state")
    if state in ("inactive", "failed", "maintenance"):
        return True
    return state == "activating" and result.get("sub_state") == "auto-restart"


def snapshot(units, timeout):
    """{unit: properties} from one ``systemctl show``; raises _service.SystemctlError."""
    return _service.match_blocks(units, _service.parse_show(_service.run_systemctl_show(units, timeout)))


def _state_text(props):
    if not props:
        return "no properties"
    text = props.get("ActiveState", "?")
    if props.get("SubState") and props.get("SubState") != text:
        text += " (%s)" % props["SubState"]
    if props.get("Result") not in (None, "", "success"):
        text += ", result %s" % props["Result"]
    return text


def watch(units, settle, timeout):
    """Look at ``units`` every POLL_INTERVAL for ``settle`` seconds; return {unit: failure text or None}.

    A unit fails when a look finds it not active, or active since a different moment than at the
    first look (it died and systemd's Restart= brought it back between two looks).
    """
    started = _monotonic()
    entered = {}
    failures = dict((unit, None) for unit in units)
    while True:
        try:
            seen = snapshot(units, timeout)
        except _service.SystemctlError as exc:
            for unit in units:
                failures[unit] = failures[unit] or str(exc)
            return failures
        elapsed = _monotonic() - started
        for unit in units:
            if failures[unit]:
                continue
            props = seen.get(unit) or {}
            if props.get("ActiveState") not in _service.ACTIVE_STATES:
                failures[unit] = "%s %s after the restart" % (_state_text(props), format_duration(elapsed))
                continue
            mark = props.get("ActiveEnterTimestampMonotonic")
            if entered.setdefault(unit, mark) != mark:
                failures[unit] = ("died and was started again by systemd within %s of the restart"
                                  % format_duration(elapsed))
        if elapsed >= settle or all(failures.values()):
            return failures
        _sleep(min(POLL_INTERVAL, max(settle - elapsed, 0.0)))


def restart(unit, timeout):
    """``systemctl restart UNIT``; return None or the error text."""
    try:
        _service.run_systemctl(["restart", "--no-ask-password", "--", unit], timeout)
    except _service.SystemctlError as exc:
        return str(exc)
    return None
