# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One fleet_alert run: lock the state, read it, decide every key, send, record what was delivered, write."""

from __future__ import annotations

import time

from ansible_collections.sre.health.plugins.module_utils import _statefile
from ansible_collections.sre.health.plugins.module_utils._alert.delivery import deliver, http_post
from ansible_collections.sre.health.plugins.module_utils._alert.machine import fleet_totals, observe, plan, prune, settle
from ansible_collections.sre.health.plugins.module_utils._alert.options import validate
from ansible_collections.sre.health.plugins.module_utils._alert.payloads import iso, payloads
from ansible_collections.sre.health.plugins.module_utils._alert.state import load_state, save_state
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration


class Clocks(object):
    """The run's clocks, injectable: ``clock`` (wall, for the state), ``monotonic`` and ``sleep``."""

    def __init__(self, clock=time.time, monotonic=time.monotonic, sleep=time.sleep):
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep


def run(params, check_mode=False, post=None, clock=time.time, monotonic=time.monotonic, sleep=time.sleep,
        lock_wait=None):
    """Everything the module returns (plus ``warnings``); raises AlertError for bad options."""
    return run_config(validate(params), params.get("results"), check_mode, post, Clocks(clock, monotonic, sleep),
                      lock_wait)


def run_config(cfg, results, check_mode=False, post=None, clocks=None, lock_wait=None):
    """One run with validated options (``_alert.options.validate``)."""
    clocks = clocks or Clocks()
    observations, hosts = observe(results, cfg.alert_on)
    if check_mode:
        # reads only: no lock, so that check mode creates nothing either
        return _run(cfg, results, observations, hosts, True, post, clocks, [])
    # long enough for another run's whole delivery and write
    wait = cfg.timeout + 30 if lock_wait is None else lock_wait
    lock = _statefile.StateLock(cfg.state_file, wait, 0o700, clocks.monotonic, clocks.sleep)
    warnings = []
    try:
        lock.acquire()
    except _statefile.LockBusy:
        warnings.append("another run held the alert state lock %s for %s: going on without it"
                        % (lock.path, format_duration(wait)))
    except _statefile.StateFileError as exc:
        warnings.append("cannot lock the alert state (%s): a run at the same time may send a notice twice" % exc)
    try:
        return _run(cfg, results, observations, hosts, False, post, clocks, warnings)
    finally:
        lock.release()


def _public(key, record, **extra):
    item = dict(key=key, host=record["host"], check=record["check"], status=record["status"],
                summary=record["summary"], since=iso(record.get("since")))
    item.update(extra)
    return item


def _send(batches, cfg, check_mode, post, clocks):
    """{key: (error or None, attempts)} for every notice in ``batches``; check mode sends nothing."""
    if check_mode:
        return {key: (None, 0) for keys, _body in batches for key in keys}
    if post is None:
        post = http_post(cfg.url, cfg.headers, cfg.validate_certs, cfg.ca_path)
    return deliver(batches, post, cfg, clock=clocks.monotonic, sleep=clocks.sleep)


def _outcomes(notices, held, outcome, now, cfg):
    """The module's sent/recovered/suppressed/undelivered lists, and {key: (event, error)} to settle."""
    result = dict(sent=[], recovered=[], suppressed=[], undelivered=[])
    settled = {}
    for key, event, record in notices:
        error, attempts = outcome[key]
        settled[key] = (event, error)
        if error is not None:
            result["undelivered"].append(_public(key, record, event=event, reason=error, attempts=attempts))
        elif event == "resolved":
            result["recovered"].append(_public(key, record, event=event))
        else:
            result["sent"].append(_public(key, record, event=event))
    for key, record in held:
        since_resolved = now - record["resolved_notified_at"]
        until = record["resolved_notified_at"] + cfg.cooldown
        result["suppressed"].append(_public(
            key, record, reason="alerting again %s after its resolved notice, within the cooldown of %s; sent if "
                                "still alerting after %s" % (format_duration(since_resolved),
                                                             format_duration(cfg.cooldown), iso(until))))
    return result, settled


def _run(cfg, results, observations, hosts, check_mode, post, clocks, warnings):
    totals = fleet_totals(results)
    alerts, problem = load_state(cfg.state_file)
    if problem:
        warnings.append(problem)
    now = clocks.clock()
    notices, held, records = plan(alerts, observations, hosts, now, cfg)
    totals["firing"] = sum(1 for r in records.values() if r.get("firing"))
    outcome = _send(payloads(notices, totals, now, cfg), cfg, check_mode, post, clocks)
    result, settled = _outcomes(notices, held, outcome, now, cfg)
    if result["undelivered"]:
        warnings.append("%d alert notice(s) not delivered (%s); they will be sent again on the next run"
                        % (len(result["undelivered"]), result["undelivered"][0]["reason"]))
    records = prune(settle(records, settled, now), now, cfg.cooldown)
    result["active"] = sorted(key for key, record in records.items() if record.get("firing"))
    result["fleet"] = totals
    result["changed"] = bool(result["sent"] or result["recovered"])
    if not check_mode and (records != alerts or problem):
        try:
            save_state(cfg.state_file, records, now)
        except _statefile.StateFileError as exc:
            warnings.append("cannot write the alert state %s (%s): the next run may send these notices again"
                            % (cfg.state_file, exc.reason))
    result["warnings"] = [cfg.scrub(w) for w in warnings]
    return result
