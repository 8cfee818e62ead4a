# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""service_state's remediation: restart unhealthy units, prove the restart held, guard against flapping.

Rules (documented in the service_state module):

- A unit is restarted when it is not running (ActiveState inactive, failed or maintenance, or
  activating in SubState auto-restart: waiting to be restarted after a failure), or when the
  ``probe`` is critical. A warning (still starting, enabled mismatch, a slow probe) or an unknown
  (systemctl or the probe could not measure) is reported, never acted on: a restart cannot fix it.
- Flap guard: a unit is restarted at most ``max_restarts`` times within ``restart_window``
  seconds, counted in a JSON state file on the host. Past the limit it is not restarted and is
  critical (``skipped_flap_guard``). A restart is recorded BEFORE systemctl runs, so a run that
  dies midway still counts it.
- After the restarts, every restarted unit is watched for ``settle`` seconds: it must be active
  at every look and never re-enter the active state (a new ActiveEnterTimestampMonotonic means it
  died and systemd restarted it between two looks). Then the probe must pass (ok or warning).
- Check mode restarts nothing and writes nothing; it reports ``would_restart``.
"""

from __future__ import annotations

import bisect
import errno
import json
import os
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - every target this runs on is POSIX
    fcntl = None

from ansible_collections.sre.health.plugins.module_utils import _aggregate, _atomic, _service
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    OptionError,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import SECONDS, UnitError, parse_quantity

DEFAULT_STATE_FILE = "/var/lib/sre-health/service-restarts.json"

REMEDIATE_OPTIONS = dict(
    remediate=dict(type="bool", default=False),
    settle=dict(type="float", default=5.0),
    probe=dict(type="dict"),
    max_restarts=dict(type="int", default=3),
    restart_window=dict(type="raw", default="1h"),
    restart_timeout=dict(type="float", default=90.0),
    state_file=dict(type="path", default=DEFAULT_STATE_FILE),
)

PROBE_KINDS = ("http", "port")
SETTLE_MAX = 3600.0
POLL_INTERVAL = 0.25

# Outcomes, one per unit.
HEALTHY = "healthy"
RECOVERED = "recovered"
STILL_FAILING = "still_failing"
SKIPPED_FLAP_GUARD = "skipped_flap_guard"
WOULD_RESTART = "would_restart"
# A unit that needs nothing, or whose warning or unknown a restart cannot fix.
NO_ACTION = "no_action"

OUTCOME_TEXT = {
    RECOVERED: "recovered",
    STILL_FAILING: "still failing",
    SKIPPED_FLAP_GUARD: "not restarted (flap guard)",
    WOULD_RESTART: "would restart",
}

STATE_VERSION = 1

# The clocks; names of their own so tests can pin them. Restarts are stamped with the wall
# clock because the state file outlives reboots, which reset the monotonic clock.
_wall = time.time
_monotonic = time.monotonic
_sleep = time.sleep


class ProbeError(ValueError):
    """An invalid ``probe``; the message names the probe's option, its value and what is accepted."""


class StateFileError(Exception):
    """The flap-guard state file cannot be written: restarting without a guard is not safe."""


# --- options ------------------------------------------------------------------------------------

class Config(object):
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def parse_window(value):
    """``restart_window`` in seconds: a number of seconds or a duration such as ``30m``, ``1h``, ``1d``."""
    accepted = "a duration greater than 0, in seconds or with a unit (ms, s, m, h, d), such as 3600 or 1h"
    if value is None or isinstance(value, bool):
        raise OptionError("restart_window", value, accepted)
    try:
        seconds = parse_quantity(value, SECONDS)
    except UnitError:
        raise OptionError("restart_window", value, accepted)
    if seconds <= 0:
        raise OptionError("restart_window", value, accepted)
    return seconds


def prepare_probe(probe, name, default_timeout):
    """Validate ``probe`` as an http or port check definition; return the prepared check or None."""
    if probe is None:
        return None
    if not isinstance(probe, dict):
        raise OptionError("probe", probe, "a dict: an http or port check definition, such as "
                                          "{kind: http, url: 'http://127.0.0.1/health'}")
    entry = dict(probe)
    entry.setdefault("name", "%s:probe" % name)
    try:
        return _aggregate.prepare_entry(entry, "option probe", default_timeout, kinds=PROBE_KINDS)
    except _aggregate.CheckDefinitionError as exc:
        # "option probe: option kind: 'ping' is invalid; accepted: http, port"
        raise ProbeError(str(exc))


def probe_kind(probe):
    """The check kind module of a probe definition, or None when its kind is not a probe kind."""
    kind = probe.get("kind") if isinstance(probe, dict) else None
    return _aggregate.KINDS.get(kind) if kind in PROBE_KINDS else None


def validate(params, name=_service.KIND):
    """Check the remediation and probe options; return a Config. Raises OptionError.

    Checked whether or not ``remediate`` is on: a typo in a limit should not wait for the day a
    unit dies to show up.
    """
    units, expect, enabled, timeout = _service.validate(params)
    if params.get("remediate") and expect != "active":
        raise OptionError("expect", expect, "active when remediate is true (remediation restarts units that "
                                            "should run; it never stops one)")
    settle = params.get("settle", 5.0)
    if isinstance(settle, bool) or not isinstance(settle, (int, float)) or not 0 <= settle <= SETTLE_MAX:
        raise OptionError("settle", settle, "a number of seconds from 0 to %d" % SETTLE_MAX)
    max_restarts = params.get("max_restarts", 3)
    if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 1:
        raise OptionError("max_restarts", max_restarts, "an integer of 1 or more (remediate: false never restarts)")
    window = parse_window(params.get("restart_window", "1h"))
    restart_timeout = params.get("restart_timeout", 90.0)
    if isinstance(restart_timeout, bool) or not isinstance(restart_timeout, (int, float)) or not restart_timeout > 0:
        raise OptionError("restart_timeout", restart_timeout, "a number of seconds greater than 0")
    state_file = params.get("state_file") or DEFAULT_STATE_FILE
    if not os.path.isabs(state_file) or state_file.endswith(os.sep):
        raise OptionError("state_file", state_file, "an absolute path to a file")
    probe = prepare_probe(params.get("probe"), name, max(timeout, 10.0))
    return Config(units=units, enabled=enabled, timeout=timeout, settle=float(settle), max_restarts=max_restarts,
                  window=window, restart_timeout=float(restart_timeout), state_file=state_file, probe=probe)


# --- the flap-guard state file ------------------------------------------------------------------

class RestartLog(object):
    """Restart times per unit, loaded from and saved to the state file.

    The file is ``{"version": 1, "units": {"nginx.service": [epoch seconds, ...]}}``. A file that
    is missing starts empty; one that cannot be read or parsed is reported (``problem``) and
    starts empty too, and the next save replaces it whole.
    """

    def __init__(self, path):
        self.path = path
        self.units = {}
        self.problem = None
        self.rebuild = False

    @classmethod
    def load(cls, path):
        log = cls(path)
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except IOError as exc:
            if exc.errno == errno.ENOENT:
                return log
            log.problem = "cannot read %s (%s)" % (path, exc.strerror or exc)
            log.rebuild = True
            return log
        try:
            data = json.loads(raw.decode("utf-8"))
            units = data["units"]
            if data.get("version") != STATE_VERSION or not isinstance(units, dict):
                raise ValueError("unexpected layout")
            for unit, stamps in units.items():
                if not isinstance(stamps, list) or not all(
                        isinstance(s, (int, float)) and not isinstance(s, bool) for s in stamps):
                    raise ValueError("unexpected restart times for %s" % unit)
                log.units[unit] = sorted(float(s) for s in stamps)
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            log.units = {}
            log.problem = "%s is not a valid restart log (%s)" % (path, exc)
            log.rebuild = True
        return log

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
        """Write the whole log atomically: a temporary file in the same directory, fsync, rename."""
        data = json.dumps({"version": STATE_VERSION, "units": self.units}, indent=1, sort_keys=True) + "\n"
        write_atomically(self.path, data.encode("utf-8"))
        self.rebuild = False


def write_atomically(path, data):
    """The state file, replaced whole (see _atomic); a failure is a StateFileError."""
    try:
        _atomic.write_atomically(path, data, 0o600, 0o755)
    except OSError as exc:
        raise StateFileError("cannot write %s (%s)" % (path, exc.strerror or exc))


class StateLock(object):
    """An exclusive lock next to the state file, so two runs on one host never restart the same units
    at once (a playbook and a cron job, or two overlapping AWX jobs)."""

    def __init__(self, path, timeout):
        self.path = path + ".lock"
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        directory = os.path.dirname(self.path)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateFileError("cannot create the lock file %s (%s)" % (self.path, exc.strerror or exc))
        if fcntl is None:
            return self
        deadline = _monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except IOError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise StateFileError("cannot lock %s (%s)" % (self.path, exc.strerror or exc))
            if _monotonic() >= deadline:
                os.close(self.fd)
                raise StateFileError("another remediation on this host holds %s for more than %d s"
                                     % (self.path, self.timeout))
            _sleep(0.2)

    def __exit__(self, *exc_info):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


# --- what systemd says ----------------------------------------------------------------------------

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
                failures[unit] = "%s %.1f s after the restart" % (_state_text(props), elapsed)
                continue
            mark = props.get("ActiveEnterTimestampMonotonic")
            if entered.setdefault(unit, mark) != mark:
                failures[unit] = ("died and was started again by systemd within %.1f s of the restart"
                                  % elapsed)
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


def run_probe(probe):
    if probe is None:
        return None
    results, _errors, _abandoned, _elapsed = _aggregate.run_checks([probe], 1, probe["timeout"] + 5.0)
    return results[0] if len(results) == 1 else dict(results[0], status=worst(r["status"] for r in results))


# --- the remediation ------------------------------------------------------------------------------

def _duration_text(seconds):
    return _service.format_uptime(seconds) if seconds >= 1 else "%.1fs" % seconds


def _guard_text(log, unit, now, cfg):
    recent = log.recent(unit, now, cfg.window)
    return "%d of %d restarts used in the last %s" % (len(recent), cfg.max_restarts, _duration_text(cfg.window))


def check(params, compiled, name=_service.KIND):
    """service_state without remediation: the units' results, then the probe's when there is one."""
    cfg = validate(params, name)
    results = _service.run(params, compiled, name)
    probe = run_probe(cfg.probe)
    return results + ([probe] if probe is not None else [])


def remediate(params, compiled, check_mode, name=_service.KIND):
    """Run service_state with remediation; return a dict with checks, changed, diff and warnings.

    Raises OptionError for bad options and for units that do not exist (before anything is
    restarted), StateFileError when the flap guard cannot be kept.
    """
    cfg = validate(params, name)
    warnings = []
    before = _service.run(params, compiled, name)
    missing = [r["unit"] for r in before if r.get("load_state") == "not-found"]
    if missing:
        accepted = "units that exist on this host; not found: %s (nothing was restarted)" % ", ".join(missing)
        raise OptionError("name", params.get("name"), accepted)
    probe_before = run_probe(cfg.probe)
    probe_failed = probe_before is not None and probe_before["status"] == CRITICAL

    plan = []
    for result in before:
        if result["status"] == UNKNOWN and result.get("active_state") is None:
            plan.append((result, None))          # systemctl itself failed: nothing is known
        elif needs_restart(result):
            plan.append((result, "was %s" % _diff_state(result)))
        elif probe_failed:
            plan.append((result, "the probe failed: %s" % probe_before["summary"]))
        else:
            plan.append((result, None))

    outcomes = {}
    restarted = []
    if any(reason for _result, reason in plan):
        if check_mode:
            log = RestartLog.load(cfg.state_file)
            outcomes = _decide(plan, log, cfg, check_mode=True, restarted=restarted)
        else:
            with StateLock(cfg.state_file, timeout=cfg.restart_timeout):
                log = RestartLog.load(cfg.state_file)
                outcomes = _decide(plan, log, cfg, check_mode=False, restarted=restarted)
        if log.problem:
            warnings.append("flap guard: %s; %s" % (log.problem, "it would be rebuilt" if check_mode else
                                                    "rebuilt it with no restart history"))
    elif not check_mode and os.path.exists(cfg.state_file):
        # Healthy: only repair a damaged log, so that the guard works on the next failure.
        log = RestartLog.load(cfg.state_file)
        if log.problem:
            with StateLock(cfg.state_file, timeout=cfg.restart_timeout):
                log = RestartLog.load(cfg.state_file)
                if log.rebuild:
                    log.prune(_wall(), cfg.window)
                    log.save()
            warnings.append("flap guard: %s; rebuilt it with no restart history" % log.problem)

    failures = watch([u for u, _err in restarted if not _err], cfg.settle, cfg.timeout) if restarted else {}
    probe_after = run_probe(cfg.probe) if restarted else probe_before
    after = _service.run(params, compiled, name) if restarted else before

    restart_errors = dict(restarted)
    checks = []
    diff_before, diff_after = [], []
    for (found, reason), result in zip(plan, after):
        unit = found["unit"]
        outcome, detail = outcomes.get(unit, (HEALTHY if result["status"] == OK else NO_ACTION, None))
        entry = dict(result)
        status = result["status"]
        if outcome == RECOVERED:
            failure = restart_errors.get(unit) or failures.get(unit)
            if not failure and probe_after is not None and probe_after["status"] not in (OK, WARNING):
                failure = "the probe still fails: %s" % probe_after["summary"]
            if failure:
                outcome = STILL_FAILING
                detail = "%s; %s" % (detail, failure)
                status = CRITICAL
            else:
                detail = "%s; active for %s since" % (detail, _duration_text(cfg.settle))
                if probe_after is not None:
                    detail += ", probe %s" % probe_after["status"]
        elif outcome in (SKIPPED_FLAP_GUARD, WOULD_RESTART):
            status = CRITICAL
        if outcome not in (HEALTHY, NO_ACTION):
            headline = result["summary"].split(": ", 1)[-1]
            entry["summary"] = "%s: %s: %s; now %s" % (unit, OUTCOME_TEXT[outcome], detail, headline)
        entry.update(status=status, outcome=outcome, found=found["summary"],
                     action="restart" if outcome in (RECOVERED, STILL_FAILING) and unit in restart_errors
                     else ("would restart" if outcome == WOULD_RESTART else "none"))
        checks.append(entry)
        diff_before.append("%s: %s\n" % (unit, _diff_state(found)))
        predicted = "active (restarted)" if outcome == WOULD_RESTART else _diff_state(result)
        diff_after.append("%s: %s\n" % (unit, predicted))
    if probe_after is not None:
        checks.append(probe_after)
    return {
        "checks": checks,
        # In check mode, changed predicts: true when a restart would happen.
        "changed": bool(restarted) or any(c.get("outcome") == WOULD_RESTART for c in checks),
        "diff": {"before": "".join(diff_before), "after": "".join(diff_after)},
        "warnings": warnings,
    }


def _diff_state(result):
    text = result.get("active_state") or "unknown"
    if result.get("sub_state") and result.get("sub_state") != text:
        text += " (%s)" % result["sub_state"]
    return text


def _decide(plan, log, cfg, check_mode, restarted):
    """Apply the flap guard to every unit that needs a restart; restart the allowed ones (not in check mode).

    Returns {unit: (outcome, detail)}; appends (unit, error or None) to ``restarted`` for each restart run.
    """
    outcomes = {}
    now = _wall()
    if not check_mode:
        log.prune(now, cfg.window)
    for result, reason in plan:
        if reason is None:
            continue
        unit = result["unit"]
        if not log.allowed(unit, now, cfg.window, cfg.max_restarts):
            wait = log.next_allowed(unit, now, cfg.window, cfg.max_restarts) - now
            outcomes[unit] = (SKIPPED_FLAP_GUARD, "%s; %s, next restart allowed in %s"
                              % (reason, _guard_text(log, unit, now, cfg), _duration_text(max(wait, 0))))
            continue
        if check_mode:
            outcomes[unit] = (WOULD_RESTART, "%s; check mode, %s" % (reason, _guard_text(log, unit, now, cfg)))
            continue
        # Recorded before the restart: a run that dies during it still counts it.
        log.record(unit, now)
        log.save()
        error = restart(unit, cfg.restart_timeout)
        restarted.append((unit, error))
        outcomes[unit] = (RECOVERED, "%s; restarted it, %s" % (reason, _guard_text(log, unit, now, cfg)))
    if not check_mode and log.rebuild:
        log.save()
    return outcomes
