# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The JSON bodies of alert notices: generic (for any receiver) and Slack's incoming webhooks."""

from __future__ import annotations

import datetime
import hashlib
import json

from ansible_collections.sre.health.plugins.module_utils._units import count_of

EVENTS = ("firing", "reminder", "resolved")
# Slack section text is limited to 3000 characters; host data can be long.
MAX_SUMMARY = 500


def shorten(value, limit=MAX_SUMMARY):
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def iso(epoch):
    if epoch is None:
        return None
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def alert_item(key, event, record):
    item = dict(event=event, key=key, host=record["host"], check=record["check"], kind=record.get("kind"),
                status=record["status"], summary=record["summary"], since=iso(record.get("since")))
    if event == "resolved":
        item["resolved_at"] = iso(record.get("resolved_at"))
    return item


def generic_payload(items, totals, now, origin="health"):
    return dict(source="sre.health", origin=origin, sent_at=iso(now), fleet=totals, alerts=items)


_SLACK_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_SLACK_HEADS = {"firing": ":red_circle: *FIRING*", "reminder": ":repeat: *STILL FIRING*",
                "resolved": ":large_green_circle: *RESOLVED*"}


def slack_escape(text):
    """Host data shown as text: Slack would read <...> as links or mentions."""
    text = "" if text is None else str(text)
    for char, entity in _SLACK_ESCAPES:
        text = text.replace(char, entity)
    return text


def _headline(items, totals, origin="health"):
    counts = {}
    for item in items:
        counts[item["event"]] = counts.get(item["event"], 0) + 1
    parts = ["%d %s" % (counts[e], e) for e in EVENTS if e in counts]
    if origin == "remediation":
        return "sre.health remediation: %s; %s in this run" % (", ".join(parts), count_of(totals["hosts"], "host"))
    return "sre.health: %s; fleet of %s: %d healthy, %d degraded, %d unhealthy" % (
        ", ".join(parts), count_of(totals["hosts"], "host"), totals["healthy"], totals["degraded"], totals["unhealthy"])


def slack_payload(items, totals, now, origin="health"):
    """A Slack incoming-webhook message: ``text`` (the notification line) and one block per alert."""
    headline = slack_escape(_headline(items, totals, origin))
    blocks = [dict(type="section", text=dict(type="mrkdwn", text=headline))]
    for item in items:
        subject = item["host"] if item["check"] is None else "%s %s" % (item["host"], item["check"])
        line = "%s `%s` %s: %s" % (_SLACK_HEADS[item["event"]], slack_escape(subject), item["status"].upper(),
                                   slack_escape(item["summary"]))
        if item["event"] != "resolved" and item["since"]:
            line += " (since %s)" % item["since"]
        blocks.append(dict(type="section", text=dict(type="mrkdwn", text=line)))
    blocks.append(dict(type="context", elements=[dict(type="mrkdwn", text="sent by sre.health at %s" % iso(now))]))
    return dict(text=headline, blocks=blocks)


def payloads(notices, totals, now, cfg, payload_format=None, origin="health"):
    """[(keys, JSON bytes)] batches of at most cfg.batch_size notices, generic or Slack."""
    payload_format = payload_format or getattr(cfg, "payload_format", "generic")
    batches = []
    for start in range(0, len(notices), cfg.batch_size):
        chunk = notices[start:start + cfg.batch_size]
        items = [alert_item(key, event, record) for key, event, record in chunk]
        if payload_format == "slack":
            document = slack_payload(items, totals, now, origin)
        else:
            document = generic_payload(items, totals, now, origin)
        body = json.dumps(document, sort_keys=True).encode("utf-8")
        batches.append(([key for key, _event, _record in chunk], body))
    return batches


# --- PagerDuty Events API v2 ----------------------------------------------------------------------

# The documented limits of an event: dedup_key 255 characters, summary 1024.
PD_MAX_DEDUP_KEY = 255
PD_MAX_SUMMARY = 1024
PD_SEVERITY = {"critical": "critical", "warning": "warning", "unknown": "error", "ok": "info"}


def dedup_key(key, origin="health"):
    """The PagerDuty dedup_key of an alert key: ``sre.health/<key>`` (``sre.health/remediation/<key>`` for
    remediation alerts), or, when that is longer than 255 characters, its start and a digest of the whole."""
    text = "sre.health/%s%s" % ("remediation/" if origin == "remediation" else "", key)
    if len(text) <= PD_MAX_DEDUP_KEY:
        return text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return "%s#%s" % (text[:PD_MAX_DEDUP_KEY - len(digest) - 1], digest)


def _subject(record):
    return record["host"] if record["check"] is None else "%s %s" % (record["host"], record["check"])


def pagerduty_event(key, event, record, routing_key, now, origin="health"):
    """One Events API v2 event: ``trigger`` for firing and reminder notices, ``resolve`` for resolved ones."""
    document = dict(routing_key=routing_key, dedup_key=dedup_key(key, origin))
    if event == "resolved":
        document["event_action"] = "resolve"
        return document
    what = "remediation failed" if origin == "remediation" else record["status"].upper()
    details = dict(key=key, host=record["host"], check=record["check"], kind=record.get("kind"),
                   status=record["status"], summary=record["summary"], since=iso(record.get("since")), event=event,
                   origin=origin)
    payload = dict(summary=shorten("%s: %s: %s" % (_subject(record), what, record["summary"]), PD_MAX_SUMMARY),
                   source=record["host"], severity=PD_SEVERITY.get(record["status"], "error"), timestamp=iso(now),
                   custom_details=details)
    if record["check"] is not None:
        payload["component"] = record["check"]
    if record.get("kind"):
        payload["class"] = record["kind"]
    document.update(event_action="trigger", payload=payload, client="sre.health")
    return document


def pagerduty_bodies(notices, routing_key, now, origin="health"):
    """One POST per event (the Events API takes one event a request)."""
    return [([key], json.dumps(pagerduty_event(key, event, record, routing_key, now, origin),
                               sort_keys=True).encode("utf-8"))
            for key, event, record in notices]


# --- Alertmanager API v2 --------------------------------------------------------------------------

# Alerts per POST: Alertmanager takes a list; a bounded body all the same.
AM_BATCH = 500
ALERTNAMES = {"health": ("SreHealthCheck", "SreHealthHost"),
              "remediation": ("SreHealthRemediation", "SreHealthRemediation")}


def am_time(epoch):
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def am_severity(status):
    """Alertmanager's severity label: critical and warning as they are; unknown is critical, because a check
    that cannot measure (or a host that cannot be reached) counts as unhealthy like a critical one (the
    status annotation tells them apart)."""
    return "warning" if status == "warning" else "critical"


def am_labels(record, severity, origin="health"):
    """The label set that identifies an alert in Alertmanager; a host-level alert has no check label."""
    check_name, host_name = ALERTNAMES[origin]
    labels = dict(alertname=host_name if record["check"] is None else check_name, host=record["host"],
                  severity=severity, source="sre.health")
    if record["check"] is not None:
        labels["check"] = record["check"]
    if record.get("kind"):
        labels["kind"] = record["kind"]
    return labels


def am_alert(key, event, record, now, ends_after, origin="health", generator_url=None, severity=None):
    """One postable alert: firing ones end ``ends_after`` seconds from now unless sent again, resolved ones now."""
    severity = severity or am_severity(record["status"])
    what = "remediation failed" if origin == "remediation" else record["status"].upper()
    annotations = dict(summary=shorten("%s: %s: %s" % (_subject(record), what, record["summary"]), MAX_SUMMARY),
                       description=shorten(record["summary"], 2000), status=record["status"], key=key)
    alert = dict(labels=am_labels(record, severity, origin), annotations=annotations,
                 startsAt=am_time(record.get("since") or now),
                 endsAt=am_time(now if event == "resolved" else now + ends_after))
    if generator_url:
        alert["generatorURL"] = generator_url
    return alert


def alertmanager_bodies(notices, now, ends_after, origin="health", generator_url=None):
    """[(keys, JSON list of alerts)]: a key whose severity changed also ends its alert of the old severity."""
    alerts = []
    for key, event, record in notices:
        alerts.append((key, am_alert(key, event, record, now, ends_after, origin, generator_url)))
        if record.get("ended_severity") and event != "resolved":
            alerts.append((key, am_alert(key, "resolved", record, now, ends_after, origin, generator_url,
                                         severity=record["ended_severity"])))
    batches = []
    for start in range(0, len(alerts), AM_BATCH):
        chunk = alerts[start:start + AM_BATCH]
        keys = []
        for key, _alert in chunk:
            if key not in keys:
                keys.append(key)
        batches.append((keys, json.dumps([a for _k, a in chunk], sort_keys=True).encode("utf-8")))
    return batches
