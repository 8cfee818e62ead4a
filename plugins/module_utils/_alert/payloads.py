# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The JSON bodies of alert notices: generic (for any receiver) and Slack's incoming webhooks."""

from __future__ import annotations

import datetime
import json

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


def generic_payload(items, totals, now):
    return dict(source="sre.health", sent_at=iso(now), fleet=totals, alerts=items)


_SLACK_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_SLACK_HEADS = {"firing": ":red_circle: *FIRING*", "reminder": ":repeat: *STILL FIRING*",
                "resolved": ":large_green_circle: *RESOLVED*"}


def slack_escape(text):
    """Host data shown as text: Slack would read <...> as links or mentions."""
    text = "" if text is None else str(text)
    for char, entity in _SLACK_ESCAPES:
        text = text.replace(char, entity)
    return text


def _headline(items, totals):
    counts = {}
    for item in items:
        counts[item["event"]] = counts.get(item["event"], 0) + 1
    parts = ["%d %s" % (counts[e], e) for e in EVENTS if e in counts]
    return "sre.health: %s; fleet of %d hosts: %d healthy, %d degraded, %d unhealthy" % (
        ", ".join(parts), totals["hosts"], totals["healthy"], totals["degraded"], totals["unhealthy"])


def slack_payload(items, totals, now):
    """A Slack incoming-webhook message: ``text`` (the notification line) and one block per alert."""
    blocks = [dict(type="section", text=dict(type="mrkdwn", text=slack_escape(_headline(items, totals))))]
    for item in items:
        subject = item["host"] if item["check"] is None else "%s %s" % (item["host"], item["check"])
        line = "%s `%s` %s: %s" % (_SLACK_HEADS[item["event"]], slack_escape(subject), item["status"].upper(),
                                   slack_escape(item["summary"]))
        if item["event"] != "resolved" and item["since"]:
            line += " (since %s)" % item["since"]
        blocks.append(dict(type="section", text=dict(type="mrkdwn", text=line)))
    blocks.append(dict(type="context", elements=[dict(type="mrkdwn", text="sent by sre.health at %s" % iso(now))]))
    return dict(text=slack_escape(_headline(items, totals)), blocks=blocks)


def payloads(notices, totals, now, cfg):
    """[(keys, JSON bytes)] batches of at most cfg.batch_size notices."""
    build = slack_payload if cfg.payload_format == "slack" else generic_payload
    batches = []
    for start in range(0, len(notices), cfg.batch_size):
        chunk = notices[start:start + cfg.batch_size]
        items = [alert_item(key, event, record) for key, event, record in chunk]
        body = json.dumps(build(items, totals, now), sort_keys=True).encode("utf-8")
        batches.append(([key for key, _event, _record in chunk], body))
    return batches
