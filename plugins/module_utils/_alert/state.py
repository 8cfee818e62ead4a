# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The alert state file, owner-only, never holding a URL, routing key or header:

``{version: 2, updated, keys: {key: shared record}, targets: {name: {type, alerts: {key: record}}}}``

``keys`` holds what every target shares (the latest status, the counts of consecutive runs with and
without the problem); ``targets`` what each target was told. A version 1 file (one webhook:
``{version: 1, alerts}``) is read as the records of the target named ``webhook`` (the one the
``url`` option and ``fleet_report_webhook_url`` make), so an upgrade sends nothing twice.

Read and written through ``_statefile``; a file that cannot be used is reported and rebuilt.
"""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils import _statefile
from ansible_collections.sre.health.plugins.module_utils._alert.payloads import iso

STATE_VERSION = 2
LEGACY_TARGET = "webhook"

_NOTIFIED_FIELDS = {"host": str, "firing": bool, "resolve_pending": bool}
_KEY_FIELDS = {"host": str, "confirmed": bool, "bad": int, "good": int}
_TIMES = ("since", "notified_at", "resolved_notified_at", "resolved_at", "sent_at")


class State(object):
    """``keys`` (shared records) and ``targets`` (name -> {type, alerts})."""

    def __init__(self, keys=None, targets=None):
        self.keys = keys or {}
        self.targets = targets or {}

    def records(self, name, kind):
        """The records of one target; none when it is new or its type changed (they meant something else)."""
        entry = self.targets.get(name)
        if entry is None:
            return {}
        if entry.get("type") != kind and not (entry.get("type") == "legacy" and kind in ("webhook", "slack")):
            return {}
        return entry["alerts"]

    def document(self):
        return dict(keys=self.keys, targets=self.targets)


def load_state(path, alert_after=1):
    """(State, warning or None). A missing file is an empty state; an unusable one is rebuilt."""
    try:
        document = _statefile.read_json(path)
    except _statefile.InvalidState as exc:
        return State(), "the alert state %s is not valid JSON (%s): rebuilt from this run" % (path, exc.reason)
    except _statefile.UnreadableState as exc:
        return State(), "cannot read the alert state %s (%s): starting from an empty state" % (path, exc.reason)
    if document is None:
        return State(), None
    if isinstance(document, dict) and document.get("version") == 1:
        return _from_version_1(path, document, alert_after)
    problem = _state_problem(document)
    if problem:
        return State(), "the alert state %s is not usable (%s): rebuilt from this run" % (path, problem)
    return State(document["keys"], document["targets"]), None


def _from_version_1(path, document, alert_after):
    alerts = document.get("alerts")
    problem = "no alerts dict" if not isinstance(alerts, dict) else None
    for key, record in (alerts or {}).items() if problem is None else ():
        problem = problem or _record_problem(key, record, _NOTIFIED_FIELDS)
    if problem:
        return State(), "the alert state %s is not usable (%s): rebuilt from this run" % (path, problem)
    keys = {}
    for key, record in alerts.items():
        if record["firing"]:
            keys[key] = dict(host=record["host"], check=record.get("check"), kind=record.get("kind"),
                             status=record.get("status"), summary=record.get("summary"), bad=alert_after, good=0,
                             confirmed=True, since=record.get("since"), alert_status=record.get("status"),
                             alert_summary=record.get("summary"))
    return State(keys, {LEGACY_TARGET: dict(type="legacy", alerts=alerts)}), None


def _record_problem(key, record, fields):
    if not isinstance(record, dict):
        return "entry %r is not a dict" % key
    for field, kind in fields.items():
        value = record.get(field)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return "entry %r has no valid %s" % (key, field)
    for field in _TIMES:
        value = record.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return "entry %r has an invalid %s" % (key, field)
    return None


def _state_problem(document):
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        return "not a version %d alert state" % STATE_VERSION
    keys, targets = document.get("keys"), document.get("targets")
    if not isinstance(keys, dict) or not isinstance(targets, dict):
        return "no keys or targets dict"
    for key, record in keys.items():
        problem = _record_problem(key, record, _KEY_FIELDS)
        if problem:
            return problem
    for name, entry in targets.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) or \
                not isinstance(entry.get("alerts"), dict):
            return "target %r has no type or alerts" % name
        fields = {"host": str} if entry["type"] == "alertmanager" else _NOTIFIED_FIELDS
        for key, record in entry["alerts"].items():
            problem = _record_problem(key, record, fields)
            if problem:
                return "target %r: %s" % (name, problem)
    return None


def save_state(path, state, now):
    """Write atomically and owner-only, in an owner-only directory; raises _statefile.StateFileError."""
    document = dict(version=STATE_VERSION, updated=iso(now), keys=state.keys, targets=state.targets)
    _statefile.write_json(path, document, 0o600, 0o700)
