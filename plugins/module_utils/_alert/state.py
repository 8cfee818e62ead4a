# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The alert state file: ``{version, updated, alerts: {key: record}}``, owner-only, never holding the URL.

Read and written through ``_statefile``; a file that cannot be used is reported and rebuilt.
"""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils import _statefile
from ansible_collections.sre.health.plugins.module_utils._alert.payloads import iso

STATE_VERSION = 1

_RECORD_FIELDS = {"host": str, "firing": bool, "resolve_pending": bool}


def load_state(path):
    """(alerts, warning or None). A missing file is an empty state; an unusable one is rebuilt."""
    try:
        document = _statefile.read_json(path)
    except _statefile.InvalidState as exc:
        return {}, "the alert state %s is not valid JSON (%s): rebuilt from this run" % (path, exc.reason)
    except _statefile.UnreadableState as exc:
        return {}, "cannot read the alert state %s (%s): starting from an empty state" % (path, exc.reason)
    if document is None:
        return {}, None
    problem = _state_problem(document)
    if problem:
        return {}, "the alert state %s is not usable (%s): rebuilt from this run" % (path, problem)
    return document["alerts"], None


def _record_problem(key, record):
    if not isinstance(record, dict):
        return "entry %r is not a dict" % key
    for field, kind in _RECORD_FIELDS.items():
        if not isinstance(record.get(field), kind):
            return "entry %r has no valid %s" % (key, field)
    for field in ("since", "notified_at", "resolved_notified_at", "resolved_at"):
        value = record.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return "entry %r has an invalid %s" % (key, field)
    return None


def _state_problem(document):
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        return "not a version %d alert state" % STATE_VERSION
    alerts = document.get("alerts")
    if not isinstance(alerts, dict):
        return "no alerts dict"
    for key, record in alerts.items():
        problem = _record_problem(key, record)
        if problem:
            return problem
    return None


def save_state(path, alerts, now):
    """Write atomically and owner-only, in an owner-only directory; raises _statefile.StateFileError."""
    document = dict(version=STATE_VERSION, updated=iso(now), alerts=alerts)
    _statefile.write_json(path, document, 0o600, 0o700)
