# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The alert state machine: what each alert key needs this run (see the package documentation).

Two layers:

- ``track``: one record per key, shared by every target: its latest status and the counts of
  consecutive runs with and without the problem (``alert_after``, ``recover_after``), which make it
  *confirmed* (alerting for the targets) or not; the result is a *view* of every key this run knows.
- per target: ``plan`` (webhook, Slack, PagerDuty: firing once, dedup, reminder, escalation, cooldown,
  resolved) or ``plan_alertmanager`` (every confirmed key re-sent on every run, resolved once), each
  with records of its own, so that a target that missed a notice gets it on its next run whatever
  the others did.

Pure logic with an injectable clock (``now``), tested directly.
"""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._alert import silences as _silences
from ansible_collections.sre.health.plugins.module_utils._alert.options import MAX_RUNS, AlertError
from ansible_collections.sre.health.plugins.module_utils._alert.payloads import am_severity as severity
from ansible_collections.sre.health.plugins.module_utils._alert.payloads import shorten
from ansible_collections.sre.health.plugins.module_utils._status import CRITICAL, OK, STATUSES, UNKNOWN, worst

# service_guard's outcomes that alert: restarted and still down, or held by the flap guard.
REMEDIATION_FAILED = ("still_failing", "skipped_flap_guard")
# ... and, as unknown, a unit whose state remediation could not read (systemctl missing, systemd not running).
REMEDIATION_UNREADABLE = "unknown"


def _status(value, where):
    if value is None:
        return UNKNOWN
    if value not in STATUSES:
        raise AlertError("option results: %s is %r; accepted: ok, warning, critical, unknown" % (where, value))
    return value


def remediation_results(results):
    """service_guard's host results (``service_guard_result``: ``{host, units}``) as check results: one check
    per unit, critical when its outcome is still_failing or skipped_flap_guard (its summary says what was
    tried), unknown when it is unknown (its state could not be read), ok otherwise, so that a unit that recovers resolves its alert."""
    if not isinstance(results, list):
        raise AlertError("option results: accepted: a list of service_guard results {host, units}")
    converted = []
    for index, entry in enumerate(results):
        where = "results[%d]" % index
        if not isinstance(entry, dict):
            raise AlertError("option results: %s is not a dict; accepted: {host, units}" % where)
        units = entry.get("units") or []
        if not isinstance(units, list):
            raise AlertError("option results: %s.units is not a list" % where)
        checks = []
        for number, unit in enumerate(units):
            name = unit.get("unit") or unit.get("name") if isinstance(unit, dict) else None
            if not isinstance(name, str) or not name:
                raise AlertError("option results: %s.units[%d] has no unit; accepted: {unit, outcome, summary, ...}"
                                 % (where, number))
            status = CRITICAL if unit.get("outcome") in REMEDIATION_FAILED else (
                UNKNOWN if unit.get("outcome") == REMEDIATION_UNREADABLE else OK)
            checks.append(dict(name=name, kind="service", status=status,
                               summary=unit.get("summary") if status != OK else "%s: %s" % (
                                   name, unit.get("outcome", "ok"))))
        failing = [c for c in checks if c["status"] != OK]
        converted.append(dict(
            host=entry.get("host"), status=worst(c["status"] for c in checks), checks=checks,
            summary="%d of %d service unit(s) not recovered" % (len(failing), len(checks)) if failing
            else "%d service unit(s) healthy or recovered" % len(checks)))
    return converted


def observe(results, alert_on, every_host_reports=False):
    """``(observations, hosts)`` from the role's host results.

    observations: key -> {host, check, kind, status, summary, alerting}; hosts: host -> whether it
    reported check results (a host that did reports on all its check keys; one that did not, only
    on its host key). With ``every_host_reports`` (remediation results) every host reports on all its
    keys, even with no units left.
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
        hosts[host] = hosts.get(host, False) or bool(checks) or every_host_reports
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


# --- the shared layer: consecutive runs, confirmation, silences -----------------------------------

def _gone(host, record):
    """What is known of a check its host no longer reports: a clean run."""
    return dict(host=host, check=record.get("check"), kind=record.get("kind"), status=OK,
                summary="no longer reported by %s" % host, alerting=False)


def _observations_this_run(keys, target_keys, observations, hosts):
    """Every key this run knows something about: observed, or a check its host reported without."""
    known = dict(observations)
    for key in sorted(set(keys) | set(target_keys)):
        if key in known:
            continue
        record = keys.get(key) or target_keys.get(key)
        host = record.get("host")
        if host in hosts and hosts[host] and record.get("check") is not None:
            known[key] = _gone(host, record)
    return known


def count(record, obs, now, cfg):
    """One key's shared record after this run's observation (a new dict)."""
    record = dict(record) if record is not None else dict(
        host=obs["host"], check=obs["check"], kind=obs["kind"], bad=0, good=0, confirmed=False, since=None,
        alert_status=None, alert_summary=None)
    record.update(status=obs["status"], summary=obs["summary"], kind=obs["kind"] or record.get("kind"))
    if obs["alerting"]:
        # counted up to the largest alert_after: beyond, the number says nothing more
        record.update(bad=min(record["bad"] + 1, MAX_RUNS), good=0, alert_status=obs["status"],
                      alert_summary=obs["summary"])
        if record["since"] is None:
            record["since"] = now
        if not record["confirmed"] and record["bad"] >= cfg.alert_after:
            record["confirmed"] = True
    else:
        record.update(good=min(record["good"] + 1, MAX_RUNS), bad=0)
        if record["confirmed"] and record["good"] >= cfg.recover_after:
            record["confirmed"] = False
        if not record["confirmed"]:
            record.update(since=None, alert_status=None, alert_summary=None)
    return record


def view_of(key, record, now, cfg):
    """What the targets see of a key: its status, whether it alerts (confirmed), and its silence."""
    view = dict(host=record["host"], check=record.get("check"), kind=record.get("kind"), status=record["status"],
                summary=record["summary"], alerting=record["confirmed"], since=record.get("since"), silenced=None)
    if record["confirmed"] and record["good"]:
        # recovering: still alerting until recover_after clean runs; the targets keep its problem
        view.update(status=record["alert_status"] or record["status"], summary="%s (clean for %d of the %d runs "
                    "needed to recover; now: %s)" % (record["alert_summary"], record["good"], cfg.recover_after,
                                                     record["summary"]))
    if record["confirmed"] or record["bad"]:
        view["silenced"] = _silences.find(cfg.silences, record["host"], record.get("check"), now)
    return view


def track(keys, target_keys, observations, hosts, now, cfg):
    """The shared layer: ``(keys, views, pending)``.

    keys: the updated shared records; views: key -> view for every key this run knows (keys of hosts
    outside this run have none: they are left alone); pending: keys alerting for fewer than
    ``alert_after`` runs, as ``(key, record)``.
    """
    keys = dict(keys)
    views = {}
    pending = []
    for key, obs in sorted(_observations_this_run(keys, target_keys, observations, hosts).items()):
        record = keys.get(key)
        if record is None and not obs["alerting"]:
            # nothing known, nothing wrong: a view only for the targets that still hold it
            if key in target_keys:
                views[key] = dict(obs, alerting=False, since=None, silenced=None)
            continue
        record = count(record, obs, now, cfg)
        keys[key] = record
        views[key] = view_of(key, record, now, cfg)
        if not record["confirmed"] and record["bad"]:
            pending.append((key, record))
    return keys, views, pending


def prune_keys(keys, target_keys):
    """Drop shared records of keys that neither alert nor count toward alerting nor are held by a target."""
    return dict((k, r) for k, r in keys.items() if r["confirmed"] or r["bad"] or k in target_keys)


# --- webhook, Slack, PagerDuty: notices with dedup, reminders, cooldown ---------------------------

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
            record.update(firing=True, since=obs.get("since") or now, notified_at=None, failures=0, last_error=None)
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


def plan(records, views, now, cfg):
    """Decide every key of one target: (notices [(key, event, record)], suppressed [(key, record)], records).

    A silenced key that alerts is held: no firing, no reminder, its record unchanged but for its
    status (when the silence ends and it still alerts, its episode goes on). Its recovery is still
    sent: the receiver was told about the problem.
    """
    records = dict(records)
    notices = []
    suppressed = []
    for key in sorted(views):
        view = views[key]
        record = records.get(key)
        if view["alerting"] and view["silenced"] is not None:
            if record is not None:
                records[key] = dict(record, status=view["status"], summary=view["summary"])
            continue
        if record is None and not view["alerting"]:
            continue
        event, updated = decide(record, view, now, cfg)
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


# --- Alertmanager: every confirmed key on every run, resolved once ------------------------------

def plan_alertmanager(records, views, now):
    """Decide every key of one Alertmanager: (notices [(key, event, record)], records).

    event: ``firing`` (new to this Alertmanager, or its severity changed: the record's
    ``ended_severity`` says which label set to end), ``refresh`` (sent again, as Alertmanager expects)
    or ``resolved`` (sent once with endsAt = now; again on the next run if it was not delivered).
    A silenced key is ended like a resolved one and sent again when its silence is over.
    """
    records = dict(records)
    notices = []
    for key in sorted(views):
        view = views[key]
        record = records.get(key)
        if view["alerting"] and view["silenced"] is None:
            updated = dict(record or {}, host=view["host"], check=view["check"], kind=view["kind"],
                           status=view["status"], summary=view["summary"], since=view.get("since") or now,
                           resolve_pending=False, ended_severity=None)
            updated.setdefault("sent_at", None)
            updated.setdefault("severity", None)
            new = record is None or record.get("resolve_pending") or record.get("sent_at") is None
            event = "firing" if new else "refresh"
            if not new and record.get("severity") != severity(view["status"]):
                event = "firing"
                updated["ended_severity"] = record.get("severity")
            records[key] = updated
            notices.append((key, event, updated))
        elif record is not None:
            if record.get("sent_at") is None and not record.get("resolve_pending"):
                # never delivered: nothing to end
                del records[key]
                continue
            updated = dict(record, status=view["status"], summary=view["summary"], resolve_pending=True,
                           resolved_at=record.get("resolved_at") or now)
            records[key] = updated
            notices.append((key, "resolved", updated))
    return notices, records


def settle_alertmanager(records, outcomes, now):
    for key, (event, error) in outcomes.items():
        record = records.get(key)
        if record is None:
            continue
        if error is None:
            if event == "resolved":
                del records[key]
            else:
                record.update(sent_at=now, severity=severity(record["status"]), ended_severity=None, failures=0,
                              last_error=None)
        else:
            record.update(failures=record.get("failures", 0) + 1, last_error=error)
    return records
