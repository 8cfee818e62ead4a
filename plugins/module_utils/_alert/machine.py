# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The alert state machine: what each alert key needs this run (see the package documentation).

Pure logic with an injectable clock (``now``), tested directly.
"""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._alert.options import AlertError
from ansible_collections.sre.health.plugins.module_utils._alert.payloads import shorten
from ansible_collections.sre.health.plugins.module_utils._status import CRITICAL, OK, STATUSES, UNKNOWN, worst


def _status(value, where):
    if value is None:
        return UNKNOWN
    if value not in STATUSES:
        raise AlertError("option results: %s is %r; accepted: ok, warning, critical, unknown" % (where, value))
    return value


def observe(results, alert_on):
    """``(observations, hosts)`` from the role's host results.

    observations: key -> {host, check, kind, status, summary, alerting}; hosts: host -> whether it
    reported check results (a host that did reports on all its check keys; one that did not, only
    on its host key).
    """
    if not isinstance(results, list):
        raise AlertError("option results: accepted: a list of host results {host, status, summary, checks}")
    observations = {}
    hosts = {}
    for index, entry in enumerate(results):
        where = "results[%d]" % index
        if not isinstance(entry, dict):
            raise AlertError("option results: %s is not a dict; accepted: {host, status, summary, checks}" % where)
        host = entry.get("host")
        if not isinstance(host, str) or not host:
            raise AlertError("option results: %s.host is %r; accepted: the inventory host name (text)"
                             % (where, host))
        checks = entry.get("checks") or []
        if not isinstance(checks, list):
            raise AlertError("option results: %s.checks is not a list" % where)
        hosts[host] = hosts.get(host, False) or bool(checks)
        status = _status(entry.get("status"), where + ".status")
        _merge(observations, host, host, None, None, status, entry.get("summary"), alert_on)
        for number, check in enumerate(checks):
            cwhere = "%s.checks[%d]" % (where, number)
            if not isinstance(check, dict) or not isinstance(check.get("name"), str) or not check.get("name"):
                raise AlertError("option results: %s has no name; accepted: {name, kind, status, summary, ...}"
                                 % cwhere)
            name = check["name"]
            _merge(observations, "%s/%s" % (host, name), host, name, check.get("kind"),
                   _status(check.get("status"), cwhere + ".status"), check.get("summary"), alert_on)
    for host, has_checks in hosts.items():
        if has_checks:
            # the host-level alert is about a host that could not report: it reports now
            observations[host]["alerting"] = False
            observations[host]["status"] = OK
            observations[host]["summary"] = "%s reports its checks again" % host
    return observations, hosts


def _merge(observations, key, host, check, kind, status, summary, alert_on):
    """The same key twice (one host in two result lists): the worst status wins."""
    seen = observations.get(key)
    if seen is not None and worst([seen["status"], status]) == seen["status"]:
        return
    observations[key] = dict(host=host, check=check, kind=kind, status=status, summary=shorten(summary),
                             alerting=status in alert_on)


def fleet_totals(results):
    totals = dict(hosts=0, healthy=0, degraded=0, unhealthy=0)
    statuses = []
    seen = set()
    for entry in results:
        host = entry.get("host")
        if host in seen:
            continue
        seen.add(host)
        status = entry.get("status") if entry.get("status") in STATUSES else UNKNOWN
        statuses.append(status)
        totals["hosts"] += 1
        totals[{OK: "healthy", "warning": "degraded"}.get(status, "unhealthy")] += 1
    totals["status"] = worst(statuses)
    return totals


def new_record(obs):
    return dict(host=obs["host"], check=obs["check"], kind=obs["kind"], status=obs["status"],
                summary=obs["summary"], firing=False, since=None, notified_at=None, resolved_notified_at=None,
                resolve_pending=False, failures=0, last_error=None)


def _in_cooldown(record, now, cooldown):
    last = record.get("resolved_notified_at")
    return bool(cooldown) and last is not None and now - last < cooldown


def decide(record, obs, now, cfg):
    """The notice one key needs this run: (event or "suppressed" or None, record updated for it).

    The record is updated as if nothing were delivered; ``settle`` records the delivery outcome.
    """
    record = dict(record) if record is not None else new_record(obs)
    record.update(status=obs["status"], summary=obs["summary"], kind=obs["kind"] or record.get("kind"))
    if obs["alerting"]:
        if not record["firing"] and record["resolve_pending"]:
            # the receiver never heard of the recovery: the episode it knows about goes on
            record.update(firing=True, resolve_pending=False)
        if not record["firing"]:
            record.update(firing=True, since=now, notified_at=None, failures=0, last_error=None)
        if record["notified_at"] is None:
            if _in_cooldown(record, now, cfg.cooldown):
                return "suppressed", record
            return "firing", record
        if obs["status"] == CRITICAL and record.get("notified_status", CRITICAL) != CRITICAL:
            # escalated (warning or unknown, then critical): the receiver was told something milder
            return "firing", record
        if cfg.reminder and now - record["notified_at"] >= cfg.reminder:
            return "reminder", record
        return None, record
    if record["firing"]:
        record["firing"] = False
        if record["notified_at"] is None:
            # never delivered (failed, or held back by the cooldown): nothing to take back
            record.update(since=None, failures=0, last_error=None)
            return None, record
        record["resolve_pending"] = True
        record["resolved_at"] = now
        return "resolved", record
    if record["resolve_pending"]:
        return "resolved", record
    return None, record


def plan(state_alerts, observations, hosts, now, cfg):
    """Decide every key: (notices [(key, event, record)], suppressed [(key, record)], records)."""
    records = dict(state_alerts)
    notices = []
    suppressed = []
    for key in sorted(set(observations) | set(records)):
        obs = observations.get(key)
        record = records.get(key)
        if obs is None:
            host = record.get("host")
            if host not in hosts or not hosts[host] or record.get("check") is None:
                # not in this run (another slice, --limit) or its host could not report: unknown, untouched
                continue
            # its host reported, without this check: the check was removed or its target went away
            obs = dict(host=host, check=record.get("check"), kind=record.get("kind"), status=OK,
                       summary="no longer reported by %s" % host, alerting=False)
        if record is None and not obs["alerting"]:
            continue
        event, updated = decide(record, obs, now, cfg)
        records[key] = updated
        if event == "suppressed":
            suppressed.append((key, updated))
        elif event is not None:
            notices.append((key, event, updated))
    return notices, suppressed, records


def settle(records, outcomes, now):
    """Record what was delivered: outcomes is key -> (event, error or None)."""
    for key, (event, error) in outcomes.items():
        record = records[key]
        if error is None:
            record.update(failures=0, last_error=None)
            if event == "resolved":
                record.update(resolve_pending=False, resolved_notified_at=now, notified_at=None, since=None)
            else:
                record.update(notified_at=now, notified_status=record["status"])
        else:
            record.update(failures=record.get("failures", 0) + 1, last_error=error)
    return records


def prune(records, now, cooldown):
    """Drop keys that neither alert, owe a notice, nor hold a cooldown."""
    kept = {}
    for key, record in records.items():
        if record.get("firing") or record.get("resolve_pending") or _in_cooldown(record, now, cooldown):
            kept[key] = record
    return kept
