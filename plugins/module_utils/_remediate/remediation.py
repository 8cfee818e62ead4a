# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""service_state's two paths: ``check_only`` (remediate: false) and ``remediate`` (the whole cycle).

Both take the Config of ``options.validate`` (validated once) and never validate again.
"""

from __future__ import annotations

import os
import time

from ansible_collections.sre.health.plugins.module_utils import _checks, _service
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._remediate import flapguard, systemd
from ansible_collections.sre.health.plugins.module_utils._status import CRITICAL, OK, UNKNOWN, WARNING, worst

# Outcomes, one per unit.
HEALTHY = "healthy"
RECOVERED = "recovered"
STILL_FAILING = "still_failing"
SKIPPED_FLAP_GUARD = "skipped_flap_guard"
WOULD_RESTART = "would_restart"
# A unit that needs nothing, or whose warning a restart cannot fix.
NO_ACTION = "no_action"
# A unit whose state could not be read (systemctl missing, systemd not running, no answer): remediation could
# not look, so it did nothing, and the unit stays unknown, which fails the task and the host: never a silent pass.
UNREADABLE = "unknown"

OUTCOME_TEXT = {
    RECOVERED: "recovered",
    STILL_FAILING: "still failing",
    SKIPPED_FLAP_GUARD: "not restarted (flap guard)",
    WOULD_RESTART: "would restart",
}

# Restarts are stamped with the wall clock because the state file outlives reboots, which reset
# the monotonic clock; a name of its own so tests can pin it.
_wall = time.time


def run_probe(probe):
    if probe is None:
        return None
    results, _abandoned, _elapsed = _checks.run_checks([probe], 1, probe["timeout"] + 5.0)
    return results[0] if len(results) == 1 else dict(results[0], status=worst(r["status"] for r in results))


def check_only(config, compiled, name=_service.KIND):
    """service_state without remediation: the units' results, then the probe's when there is one."""
    results = _service.run(config.service, compiled, name)
    probe = run_probe(config.probe)
    return results + ([probe] if probe is not None else [])


def _duration_text(seconds):
    return format_duration(seconds, approximate=True)


def _guard_text(log, unit, now, cfg):
    recent = log.recent(unit, now, cfg.window)
    return "%d of %d restarts used in the last %s" % (len(recent), cfg.max_restarts, _duration_text(cfg.window))


def _diff_state(result):
    text = result.get("active_state") or "unknown"
    if result.get("sub_state") and result.get("sub_state") != text:
        text += " (%s)" % result["sub_state"]
    return text


def _plan(before, probe_before):
    """[(unit result, reason to restart or None)]."""
    probe_failed = probe_before is not None and probe_before["status"] == CRITICAL
    plan = []
    for result in before:
        if result["status"] == UNKNOWN and result.get("active_state") is None:
            plan.append((result, None))          # systemctl itself failed: nothing is known
        elif systemd.needs_restart(result):
            plan.append((result, "was %s" % _diff_state(result)))
        elif probe_failed:
            plan.append((result, "the probe failed: %s" % probe_before["summary"]))
        else:
            plan.append((result, None))
    return plan


def _guarded_restarts(plan, cfg, check_mode, warnings):
    """Apply the flap guard under its lock and restart what it allows: ``(outcomes, restarted)``."""
    restarted = []
    if any(reason for _result, reason in plan):
        if check_mode:
            log = flapguard.RestartLog.load(cfg.state_file)
            outcomes = _decide(plan, log, cfg, True, restarted)
        else:
            lock_existed = os.path.exists(cfg.state_file + ".lock")
            with flapguard.locked(cfg.state_file, cfg.restart_timeout, systemd._monotonic, systemd._sleep):
                log = flapguard.RestartLog.load(cfg.state_file, lock_existed)
                outcomes = _decide(plan, log, cfg, False, restarted)
        if log.problem:
            warnings.append("flap guard: %s; %s" % (log.problem, "nothing would be restarted, and it would be rebuilt"
                                                    if check_mode else "nothing was restarted on this run; rebuilt it "
                                                    "with no restart history"))
        return outcomes, restarted
    if not check_mode and os.path.exists(cfg.state_file):
        # Healthy: only repair a damaged log, so that the guard works on the next failure.
        log = flapguard.RestartLog.load(cfg.state_file)
        if log.problem:
            with flapguard.locked(cfg.state_file, cfg.restart_timeout, systemd._monotonic, systemd._sleep):
                log = flapguard.RestartLog.load(cfg.state_file)
                if log.rebuild:
                    log.prune(_wall(), cfg.window)
                    log.save()
            warnings.append("flap guard: %s; rebuilt it with no restart history" % log.problem)
    return {}, restarted


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
        if log.problem:
            # Fail closed: without a trustworthy history the guard cannot count restarts.
            outcomes[unit] = (SKIPPED_FLAP_GUARD, "%s; the flap guard cannot count its restarts (%s), so nothing is "
                              "restarted on this run" % (reason, log.problem))
            continue
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
        error = systemd.restart(unit, cfg.restart_timeout)
        restarted.append((unit, error))
        outcomes[unit] = (RECOVERED, "%s; restarted it, %s" % (reason, _guard_text(log, unit, now, cfg)))
    if not check_mode and log.rebuild:
        log.save()
    return outcomes


def _after(unit, outcome, detail, restart_errors, failures, probe_after, cfg):
    """A restarted unit's final outcome, detail and whether it is critical now."""
    if outcome == RECOVERED:
        failure = restart_errors.get(unit) or failures.get(unit)
        if not failure and probe_after is not None and probe_after["status"] not in (OK, WARNING):
            failure = "the probe still fails: %s" % probe_after["summary"]
        if failure:
            return STILL_FAILING, "%s; %s" % (detail, failure), True
        detail = "%s; active for %s since" % (detail, _duration_text(cfg.settle))
        if probe_after is not None:
            detail += ", probe %s" % probe_after["status"]
        return outcome, detail, False
    return outcome, detail, outcome in (SKIPPED_FLAP_GUARD, WOULD_RESTART)


def _idle_outcome(result):
    """The outcome of a unit remediation did not restart."""
    if result["status"] == OK:
        return HEALTHY
    return UNREADABLE if result["status"] == UNKNOWN else NO_ACTION


def _unit_entry(found, result, outcomes, restart_errors, failures, probe_after, cfg):
    """The unit's check result after remediation, with outcome, found and action."""
    unit = found["unit"]
    outcome, detail = outcomes.get(unit, (_idle_outcome(result), None))
    outcome, detail, critical = _after(unit, outcome, detail, restart_errors, failures, probe_after, cfg)
    entry = dict(result)
    if outcome == UNREADABLE:
        headline = result["summary"].split(": ", 1)[-1]
        entry["summary"] = "%s: unknown: cannot read the unit's state, so remediation cannot act on it: %s" % (
            unit, headline)
    elif outcome not in (HEALTHY, NO_ACTION):
        headline = result["summary"].split(": ", 1)[-1]
        entry["summary"] = "%s: %s: %s; now %s" % (unit, OUTCOME_TEXT[outcome], detail, headline)
    restarted = outcome in (RECOVERED, STILL_FAILING) and unit in restart_errors
    entry.update(status=CRITICAL if critical else result["status"], outcome=outcome, found=found["summary"],
                 action="restart" if restarted else ("would restart" if outcome == WOULD_RESTART else "none"))
    return entry


def remediate(cfg, compiled, check_mode, name=_service.KIND):
    """Run service_state with remediation; return a dict with checks, changed, diff and warnings.

    Raises OptionError for units that do not exist (before anything is restarted), StateFileError
    when the flap guard cannot be kept.
    """
    warnings = []
    before = _service.run(cfg.service, compiled, name)
    missing = [r["unit"] for r in before if r.get("load_state") == "not-found"]
    if missing:
        accepted = "units that exist on this host; not found: %s (nothing was restarted)" % ", ".join(missing)
        raise OptionError("name", cfg.names, accepted)
    probe_before = run_probe(cfg.probe)
    plan = _plan(before, probe_before)
    outcomes, restarted = _guarded_restarts(plan, cfg, check_mode, warnings)
    live = [u for u, error in restarted if not error]
    failures = systemd.watch(live, cfg.settle, cfg.timeout) if restarted else {}
    probe_after = run_probe(cfg.probe) if restarted else probe_before
    after = _service.run(cfg.service, compiled, name) if restarted else before
    restart_errors = dict(restarted)
    checks = []
    diff_before, diff_after = [], []
    for (found, _reason), result in zip(plan, after):
        entry = _unit_entry(found, result, outcomes, restart_errors, failures, probe_after, cfg)
        checks.append(entry)
        diff_before.append("%s: %s\n" % (found["unit"], _diff_state(found)))
        predicted = "active (restarted)" if entry["outcome"] == WOULD_RESTART else _diff_state(result)
        diff_after.append("%s: %s\n" % (found["unit"], predicted))
    if probe_after is not None:
        checks.append(probe_after)
    return {
        "checks": checks,
        # In check mode, changed predicts: true when a restart would happen.
        "changed": bool(restarted) or any(c.get("outcome") == WOULD_RESTART for c in checks),
        "diff": {"before": "".join(diff_before), "after": "".join(diff_after)},
        "warnings": warnings,
    }
