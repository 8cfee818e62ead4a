# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One fleet_alert run: lock the state, read it, count and decide every key, send to every target at once,
record what each target was told, write."""

from __future__ import annotations

import threading
import time

from ansible_collections.sre.health.plugins.module_utils import _statefile
from ansible_collections.sre.health.plugins.module_utils._alert import machine, payloads
from ansible_collections.sre.health.plugins.module_utils._alert.delivery import deliver, http_post
from ansible_collections.sre.health.plugins.module_utils._alert.options import validate
from ansible_collections.sre.health.plugins.module_utils._alert.payloads import iso
from ansible_collections.sre.health.plugins.module_utils._alert.state import State, load_state, save_state
from ansible_collections.sre.health.plugins.module_utils._alert.targets import ALERTMANAGER, PAGERDUTY
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration

# A firing alert sent to Alertmanager ends this many run intervals after the run that sent it, unless a
# later run sends it again: one or two missed runs do not end it, a controller that stopped running does.
AM_INTERVALS = 3
# Beyond the delivery timeout, how long a target's delivery thread may take to hand back its outcome
# (each attempt may overrun its share by the HTTP client's grace of one second).
JOIN_GRACE = 5.0


class Clocks(object):
    """The run's clocks, injectable: ``clock`` (wall, for the state), ``monotonic`` and ``sleep``."""

    def __init__(self, clock=time.time, monotonic=time.monotonic, sleep=time.sleep):
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep


def run(params, check_mode=False, post=None, clock=time.time, monotonic=time.monotonic, sleep=time.sleep,
        lock_wait=None, transport=None):
    """Everything the module returns (plus ``warnings``); raises AlertError for bad options.

    ``transport(endpoint)`` gives the ``post(body, timeout)`` of a target (default: HTTP); ``post`` is
    one for every target.
    """
    if transport is None and post is not None:
        transport = _same_for_every_target(post)
    return run_config(validate(params), params.get("results"), check_mode, transport,
                      Clocks(clock, monotonic, sleep), lock_wait)


def _same_for_every_target(post):
    def transport(_endpoint):
        return post
    return transport


def run_config(cfg, results, check_mode=False, transport=None, clocks=None, lock_wait=None):
    """One run with validated options (``_alert.options.validate``)."""
    clocks = clocks or Clocks()
    remediation = cfg.origin == "remediation"
    if remediation:
        results = machine.remediation_results(results)
    observations, hosts = machine.observe(results, cfg.alert_on, every_host_reports=remediation)
    if check_mode:
        # reads only: no lock, so that check mode creates nothing either
        return _run(cfg, results, observations, hosts, True, transport, clocks, [])
    # long enough for another run's whole delivery and write
    wait = cfg.timeout + JOIN_GRACE + 30 if lock_wait is None else lock_wait
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
        return _run(cfg, results, observations, hosts, False, transport, clocks, warnings)
    finally:
        lock.release()


class _Plan(object):
    """What one endpoint gets this run."""

    def __init__(self, endpoint, notices, held, records, batches):
        self.endpoint = endpoint
        self.notices = notices
        self.held = held
        self.records = records
        self.batches = batches


def _plan_endpoint(endpoint, state, views, now, totals, cfg):
    records = state.records(endpoint.name, endpoint.type)
    if endpoint.type == ALERTMANAGER:
        notices, records = machine.plan_alertmanager(records, views, now)
        batches = payloads.alertmanager_bodies(notices, now, AM_INTERVALS * cfg.run_interval, cfg.origin,
                                               endpoint.generator_url)
        return _Plan(endpoint, notices, [], records, batches)
    notices, held, records = machine.plan(records, views, now, cfg)
    if endpoint.type == PAGERDUTY:
        batches = payloads.pagerduty_bodies(notices, endpoint.routing_key, now, cfg.origin)
    else:
        batches = payloads.payloads(notices, totals, now, cfg, endpoint.type if endpoint.type == "slack" else
                                    "generic", cfg.origin)
    return _Plan(endpoint, notices, held, records, batches)


def _http_transport(endpoint):
    return http_post(endpoint.url, endpoint.headers, endpoint.validate_certs, endpoint.ca_path)


def _deliver_into(holder, plan, transport, cfg, clocks):
    holder["outcome"] = deliver(plan.batches, transport(plan.endpoint), cfg, clock=clocks.monotonic, sleep=clocks.sleep)


def _send_all(plans, cfg, check_mode, transport, clocks):
    """{endpoint name: {key: (error or None, attempts)}}: every endpoint in a thread of its own, so that one
    that hangs never holds back another; each within cfg.timeout (deliver's bound)."""
    outcomes = {}
    if check_mode:
        for plan in plans:
            outcomes[plan.endpoint.name] = dict((key, (None, 0)) for keys, _body in plan.batches for key in keys)
        return outcomes
    transport = transport or _http_transport
    workers = []
    for plan in plans:
        if not plan.batches:
            outcomes[plan.endpoint.name] = {}
            continue
        holder = {}
        worker = threading.Thread(target=_deliver_into, args=(holder, plan, transport, cfg, clocks),
                                  name="sre-health-alert-%s" % plan.endpoint.name)
        worker.daemon = True
        worker.start()
        workers.append((plan, holder, worker))
    deadline = time.monotonic() + cfg.timeout + JOIN_GRACE
    for plan, holder, worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
        outcome = holder.get("outcome")
        if outcome is None:
            reason = "not sent: the delivery did not end within the timeout of %s" % format_duration(cfg.timeout)
            outcome = dict((key, (reason, 0)) for keys, _body in plan.batches for key in keys)
        outcomes[plan.endpoint.name] = outcome
    return outcomes


def _public(key, record, **extra):
    item = dict(key=key, host=record["host"], check=record["check"], status=record["status"],
                summary=record["summary"], since=iso(record.get("since")))
    item.update(extra)
    return item


def _collect(plan, outcome, now, cfg, result):
    """Add one endpoint's notices to the module's lists; {key: (event, error)} to settle."""
    name = plan.endpoint.name
    settled = {}
    for key, event, record in plan.notices:
        error, attempts = outcome.get(key, (None, 0))
        settled[key] = (event, error)
        if error is not None:
            result["undelivered"].append(_public(key, record, event=event, target=name, reason=error,
                                                 attempts=attempts))
        elif event == "resolved":
            result["recovered"].append(_public(key, record, event=event, target=name))
        elif event == "refresh":
            result["refreshed"].append(_public(key, record, event=event, target=name))
        else:
            result["sent"].append(_public(key, record, event=event, target=name))
    for key, record in plan.held:
        since_resolved = now - record["resolved_notified_at"]
        until = record["resolved_notified_at"] + cfg.cooldown
        result["suppressed"].append(_public(
            key, record, target=name,
            reason="alerting again %s after its resolved notice, within the cooldown of %s; sent if still alerting "
                   "after %s" % (format_duration(since_resolved), format_duration(cfg.cooldown), iso(until))))
    return settled


def _undelivered_warnings(result):
    by_target = {}
    for item in result["undelivered"]:
        by_target.setdefault(item["target"], []).append(item)
    warnings = []
    for name, items in sorted(by_target.items()):
        warnings.append("%d alert notice(s) to target %s not delivered (%s); they will be sent again on the next run"
                        % (len(items), name, items[0]["reason"]))
    return warnings


def _silenced(views):
    items = []
    for key, view in sorted(views.items()):
        silence = view.get("silenced")
        if silence is not None:
            items.append(dict(key=key, host=view["host"], check=view["check"], status=view["status"],
                              summary=view["summary"], until=silence.until_text, reason=silence.reason))
    return items


def _run(cfg, results, observations, hosts, check_mode, transport, clocks, warnings):
    totals = machine.fleet_totals(results)
    state, problem = load_state(cfg.state_file, cfg.alert_after)
    if problem:
        warnings.append(problem)
    now = clocks.clock()
    target_keys = {}
    for endpoint in cfg.endpoints:
        for key, record in state.records(endpoint.name, endpoint.type).items():
            target_keys.setdefault(key, record)
    keys, views, pending = machine.track(state.keys, target_keys, observations, hosts, now, cfg)
    totals["firing"] = sum(1 for r in keys.values() if r["confirmed"])
    plans = [_plan_endpoint(endpoint, state, views, now, totals, cfg) for endpoint in cfg.endpoints]
    outcomes = _send_all(plans, cfg, check_mode, transport, clocks)
    result = dict(sent=[], recovered=[], refreshed=[], suppressed=[], undelivered=[])
    new_state = State(keys, {})
    for plan in plans:
        settled = _collect(plan, outcomes[plan.endpoint.name], now, cfg, result)
        if plan.endpoint.type == ALERTMANAGER:
            records = machine.settle_alertmanager(plan.records, settled, now)
        else:
            records = machine.prune(machine.settle(plan.records, settled, now), now, cfg.cooldown)
        new_state.targets[plan.endpoint.name] = dict(type=plan.endpoint.type, alerts=records)
    held = set()
    for entry in new_state.targets.values():
        held.update(entry["alerts"])
    new_state.keys = machine.prune_keys(keys, held)
    warnings.extend(_undelivered_warnings(result))
    result["active"] = sorted(key for key, record in new_state.keys.items() if record["confirmed"])
    result["silenced"] = _silenced(views)
    result["pending"] = [dict(_public(key, record), runs=record["bad"], needed=cfg.alert_after)
                         for key, record in pending]
    result["fleet"] = totals
    result["changed"] = bool(result["sent"] or result["recovered"])
    if not check_mode and (new_state.document() != state.document() or problem):
        try:
            save_state(cfg.state_file, new_state, now)
        except _statefile.StateFileError as exc:
            warnings.append("cannot write the alert state %s (%s): the next run may send these notices again"
                            % (cfg.state_file, exc.reason))
    result["warnings"] = [cfg.scrub(w) for w in warnings]
    return result
