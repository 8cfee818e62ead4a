# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fleet alerting on the controller: which alerts to send, their payloads, their delivery, their state.

Rules (documented in the fleet_alert module):

- An alert key is ``<host>/<check name>`` for a check, and ``<host>`` for a host that returned no
  check results at all (unreachable, or health_check failed before measuring). A key is
  *alerting* while its status is in ``alert_on``.
- A key that starts alerting is sent as ``firing``; while it keeps alerting nothing more is sent
  (dedup), except a ``reminder`` once ``reminder`` seconds have passed since the last delivered
  notice of that key, and a new ``firing`` when it escalates to critical from a milder alerting
  status (warning or unknown) than the one last delivered.
- A key whose firing notice was delivered and that stops alerting (ok, or a status no longer in
  ``alert_on``, or a check its host no longer reports) is sent as ``resolved``. A key whose firing
  was never delivered resolves silently: the receiver never heard of it.
- ``cooldown``: a key that starts alerting again less than ``cooldown`` seconds after its last
  delivered ``resolved`` notice is *suppressed* (flapping): nothing is sent. If it is still
  alerting on a run after the cooldown has passed, it is sent as ``firing`` then.
- Hosts missing from the results (another slice, ``--limit``) leave their keys untouched.
- A notice that was not delivered is not recorded as sent: the next run tries again. A
  ``resolved`` notice that failed keeps the episode open, so a re-fire before it is delivered
  continues the earlier episode instead of paging again.

Everything here but ``http_post`` is pure logic with an injectable clock, tested directly.
"""

from __future__ import annotations

import datetime
import errno
import fcntl
import json
import os
import re
import socket
import time

from urllib.parse import urlsplit

from ansible_collections.sre.health.plugins.module_utils._atomic import write_atomically
from ansible_collections.sre.health.plugins.module_utils._status import CRITICAL, OK, STATUSES, UNKNOWN, worst
from ansible_collections.sre.health.plugins.module_utils._units import SECONDS, UnitError, parse_quantity

STATE_VERSION = 1
PAYLOAD_FORMATS = ("generic", "slack")
EVENTS = ("firing", "reminder", "resolved")
DEFAULT_ALERT_ON = [CRITICAL, UNKNOWN]
DEFAULT_COOLDOWN = "15m"
DEFAULT_REMINDER = "4h"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 2
DEFAULT_BATCH_SIZE = 20
# First pause between two attempts of one POST; doubled after each attempt.
BACKOFF = 0.5
MASK = "********"
# Slack section text is limited to 3000 characters; host data can be long.
MAX_SUMMARY = 500

OPTIONS = dict(
    results=dict(type="list", elements="dict", required=True),
    url=dict(type="str", required=True, no_log=True),
    payload_format=dict(type="str", default="generic", choices=list(PAYLOAD_FORMATS)),
    state_file=dict(type="path", required=True),
    alert_on=dict(type="list", elements="str", default=list(DEFAULT_ALERT_ON), choices=["critical", "warning", "unknown"]),
    cooldown=dict(type="raw", default=DEFAULT_COOLDOWN),
    reminder=dict(type="raw", default=DEFAULT_REMINDER),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    retries=dict(type="int", default=DEFAULT_RETRIES),
    batch_size=dict(type="int", default=DEFAULT_BATCH_SIZE),
    headers=dict(type="dict", no_log=True),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
)

URL_ACCEPTED = "an http:// or https:// URL with a host, such as https://hooks.example.com/services/T0/B0/XXXX"
DURATION_ACCEPTED = "a duration of 0 or more, such as 90s, 15m, 4h, 1d, or a number of seconds (0 disables it)"


class AlertError(ValueError):
    """An option the module cannot use; the message names it and never shows a secret."""


# --- options -----------------------------------------------------------------------------

def parse_duration(option, value):
    """Seconds from a duration such as 15m, 4h or 90; never negative."""
    if value is None or value == "":
        return 0.0
    try:
        seconds = parse_quantity(value, SECONDS)
    except UnitError:
        raise AlertError("option %s: %r is invalid; accepted: %s" % (option, value, DURATION_ACCEPTED))
    if seconds < 0:
        raise AlertError("option %s: %r is negative; accepted: %s" % (option, value, DURATION_ACCEPTED))
    return seconds


def check_url(url):
    """Raise AlertError without the URL itself (it is a secret) unless it is a usable http(s) URL."""
    problem = None
    if not isinstance(url, str) or not url:
        problem = "url is empty"
    elif re.search(r"[\s\x00-\x1f\x7f]", url):
        problem = "url is not a valid http(s) URL: it contains spaces or control characters"
    else:
        try:
            parts = urlsplit(url)
            parts.port  # pylint: disable=pointless-statement
        except ValueError:
            problem = "url is not a valid http(s) URL: its host or port cannot be read"
        else:
            if parts.scheme.lower() not in ("http", "https"):
                problem = "url is not a valid http(s) URL: the scheme is not http or https"
            elif not parts.hostname:
                problem = "url is not a valid http(s) URL: it has no host"
    if problem:
        raise AlertError("option %s (the value is not shown: it is a secret); accepted: %s" % (problem, URL_ACCEPTED))


class Config(object):
    def __init__(self, params):
        check_url(params.get("url"))
        self.url = params["url"]
        self.payload_format = params.get("payload_format") or "generic"
        if self.payload_format not in PAYLOAD_FORMATS:
            raise AlertError("option payload_format: %r is invalid; accepted: %s"
                             % (self.payload_format, ", ".join(PAYLOAD_FORMATS)))
        alert_on = params.get("alert_on")
        self.alert_on = set(DEFAULT_ALERT_ON if alert_on is None else alert_on)
        for status in self.alert_on:
            if status not in STATUSES or status == OK:
                raise AlertError("option alert_on: %r is invalid; accepted: critical, warning, unknown" % (status,))
        if not self.alert_on:
            raise AlertError("option alert_on: [] is invalid; accepted: a list of one or more of critical, warning, "
                             "unknown")
        self.cooldown = parse_duration("cooldown", params.get("cooldown", DEFAULT_COOLDOWN))
        self.reminder = parse_duration("reminder", params.get("reminder", DEFAULT_REMINDER))
        timeout = params.get("timeout")
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, (int, float)) or not 0 < self.timeout < 3600:
            raise AlertError("option timeout: %r is invalid; accepted: a number of seconds greater than 0 and below "
                             "3600" % (self.timeout,))
        retries = params.get("retries")
        self.retries = DEFAULT_RETRIES if retries is None else retries
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or not 0 <= self.retries <= 10:
            raise AlertError("option retries: %r is invalid; accepted: an integer from 0 to 10" % (self.retries,))
        batch_size = params.get("batch_size")
        self.batch_size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= 45:
            raise AlertError("option batch_size: %r is invalid; accepted: an integer from 1 to 45" % (self.batch_size,))
        self.headers = {}
        for key, value in (params.get("headers") or {}).items():
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise AlertError("option headers: the value of %r is not text (values are not shown: they may be "
                                 "secrets); accepted: a dict of header name to text" % (key,))
            self.headers[str(key)] = str(value)
        self.validate_certs = params.get("validate_certs", True) is not False
        self.ca_path = params.get("ca_path")
        self.scrub = Scrubber(secrets_of(self.url, self.headers))


def secrets_of(url, headers):
    """Every piece of the URL that may carry a token, and every header value."""
    secrets = {url}
    parts = urlsplit(url)
    secrets.add(url.split("://", 1)[-1])
    if len(parts.path) > 1:
        secrets.add(parts.path)
    if parts.query:
        secrets.add(parts.query)
    if parts.password:
        secrets.add(parts.password)
    secrets.update(v for v in headers.values() if v)
    return secrets


class Scrubber(object):
    """Replace every secret in a text with ``********``, longest first."""

    def __init__(self, secrets):
        self.secrets = sorted((s for s in secrets if s and len(s) > 1), key=len, reverse=True)

    def __call__(self, text):
        text = str(text)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


def human_duration(seconds):
    """90 -> 1m30s, 900 -> 15m, 14400 -> 4h, 2.5 -> 2.5s: as the options are written."""
    if seconds < 60:
        return "%gs" % round(seconds, 1)
    whole = int(round(seconds))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if whole >= size:
            parts.append("%d%s" % (whole // size, unit))
            whole %= size
    return "".join(parts)


# --- observing the fleet -------------------------------------------------------------------

def _text(value, limit=MAX_SUMMARY):
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


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
    observations[key] = dict(host=host, check=check, kind=kind, status=status, summary=_text(summary),
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


# --- deciding ------------------------------------------------------------------------------

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


# --- payloads ------------------------------------------------------------------------------

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


# --- delivery ------------------------------------------------------------------------------

class PostFailed(Exception):
    """One POST did not reach a 2xx answer; ``retry`` says whether trying again may help."""

    def __init__(self, reason, retry):
        super(PostFailed, self).__init__(reason)
        self.reason = reason
        self.retry = retry


def deliver(batches, post, cfg, clock=time.monotonic, sleep=time.sleep):
    """POST every batch within cfg.timeout in total; {key: (error or None, attempts)}.

    Each attempt gets an equal share of the time left for the attempts it may still make, so a
    webhook that never answers still leaves time for a retry, and the whole delivery ends within
    the bound whatever the number of batches.
    """
    deadline = clock() + cfg.timeout
    outcome = {}
    for keys, body in batches:
        attempts = 0
        error = None
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                error = error or "not sent: the delivery time (timeout %s) ran out" % human_duration(cfg.timeout)
                break
            attempts += 1
            share = remaining / (cfg.retries + 2 - attempts)
            try:
                post(body, max(share, min(remaining, 1.0)))
            except PostFailed as exc:
                error = cfg.scrub(exc.reason)
                if not exc.retry or attempts > cfg.retries:
                    break
                pause = min(BACKOFF * 2 ** (attempts - 1), deadline - clock())
                if pause <= 0:
                    break
                sleep(pause)
                continue
            error = None
            break
        for key in keys:
            outcome[key] = (error, attempts)
    return outcome


def http_post(url, headers, validate_certs, ca_path):
    """A ``post(body, timeout)`` for deliver(), with Ansible's open_url (no third-party library)."""
    from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
    from ansible.module_utils.urls import SSLValidationError, open_url
    from urllib.error import HTTPError, URLError

    send_headers = {"Content-Type": "application/json", "User-Agent": "sre.health-fleet_alert"}
    send_headers.update(headers)

    def post(body, timeout):
        try:
            response = open_url(url, data=body, headers=send_headers, method="POST", timeout=timeout,
                                validate_certs=validate_certs, ca_path=ca_path, follow_redirects="none",
                                http_agent=send_headers["User-Agent"])
            try:
                code = response.getcode()
                response.read(65536)
            finally:
                response.close()
        except HTTPError as exc:
            detail = ""
            try:
                detail = exc.read(200).decode("utf-8", "replace").strip()
            except (OSError, ValueError, AttributeError):
                pass
            reason = "HTTP %d %s" % (exc.code, exc.reason or "")
            if detail:
                reason += ": %s" % _text(detail, 200)
            raise PostFailed(reason.strip(), exc.code >= 500 or exc.code in (408, 429))
        except SSLValidationError as exc:
            raise PostFailed("TLS verification failed: %s" % _text(exc, 300), False)
        except (socket.timeout, TimeoutError):
            raise PostFailed("no answer within %s" % human_duration(timeout), True)
        except URLError as exc:
            reason = exc.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise PostFailed("no answer within %s" % human_duration(timeout), True)
            if isinstance(reason, ConnectionRefusedError):
                raise PostFailed("connection refused", True)
            raise PostFailed("cannot connect: %s" % _text(reason, 300), True)
        except (UrlsConnectionError, OSError) as exc:
            raise PostFailed("cannot connect: %s" % _text(exc, 300), True)
        except ValueError as exc:
            raise PostFailed("cannot send: %s" % _text(exc, 300), False)
        if not 200 <= code < 300:
            raise PostFailed("HTTP %d (a 2xx answer was expected)" % code, code >= 500)

    return post


# --- state ---------------------------------------------------------------------------------

def load_state(path):
    """(alerts, warning or None). A missing file is an empty state; an unusable one is rebuilt."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return {}, None
    except OSError as exc:
        return {}, "cannot read the alert state %s (%s): starting from an empty state" % (path, exc.strerror or exc)
    try:
        document = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        return {}, "the alert state %s is not valid JSON (%s): rebuilt from this run" % (path, _text(exc, 120))
    problem = _state_problem(document)
    if problem:
        return {}, "the alert state %s is not usable (%s): rebuilt from this run" % (path, problem)
    return document["alerts"], None


_RECORD_FIELDS = {"host": str, "firing": bool, "resolve_pending": bool}


def _state_problem(document):
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        return "not a version %d alert state" % STATE_VERSION
    alerts = document.get("alerts")
    if not isinstance(alerts, dict):
        return "no alerts dict"
    for key, record in alerts.items():
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


def save_state(path, alerts, now):
    """Write atomically and owner-only (see _atomic); the state never holds the URL."""
    document = dict(version=STATE_VERSION, updated=iso(now), alerts=alerts)
    write_atomically(path, json.dumps(document, indent=1, sort_keys=True).encode("utf-8"), 0o600, 0o700)


class StateLock(object):
    """An exclusive flock on the state file's directory, for the whole read, send, write cycle.

    Job slices sharing one state file may run at the same time on one node: without the lock, one
    run's write would drop the other's, and the next run would send those notices again. Locking
    the directory leaves no lock file behind. A holder that never lets go (a run stuck on a dead
    filesystem) costs at most ``wait`` seconds, then the run goes on without the lock, with a warning.
    """

    POLL = 0.1

    def __init__(self, path, wait, monotonic=time.monotonic, sleep=time.sleep):
        self.directory = os.path.dirname(os.path.abspath(path))
        self.wait = wait
        self.monotonic = monotonic
        self.sleep = sleep
        self.fd = None

    def acquire(self):
        """None when locked, else a warning saying why the run goes on without the lock."""
        try:
            if not os.path.isdir(self.directory):
                os.makedirs(self.directory, 0o700)
            self.fd = os.open(self.directory, os.O_RDONLY)
        except OSError as exc:
            return "cannot lock the alert state directory %s (%s): a run at the same time may send a notice " \
                   "twice" % (self.directory, exc.strerror or exc)
        deadline = self.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return None
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    self.release()
                    return "cannot lock the alert state directory %s (%s): a run at the same time may send a " \
                           "notice twice" % (self.directory, exc.strerror or exc)
            if self.monotonic() >= deadline:
                self.release()
                return "another run held the alert state lock on %s for %s: going on without it" % (
                    self.directory, human_duration(self.wait))
            self.sleep(self.POLL)

    def release(self):
        if self.fd is not None:
            try:
                os.close(self.fd)  # closing the last descriptor releases the flock
            finally:
                self.fd = None


# --- one run -------------------------------------------------------------------------------

def _public(key, record, **extra):
    item = dict(key=key, host=record["host"], check=record["check"], status=record["status"],
                summary=record["summary"], since=iso(record.get("since")))
    item.update(extra)
    return item


def run(params, check_mode=False, post=None, clock=time.time, monotonic=time.monotonic, sleep=time.sleep,
        lock_wait=None):
    """Everything the module returns (plus ``warnings``); raises AlertError for bad options."""
    cfg = Config(params)
    observations, hosts = observe(params.get("results"), cfg.alert_on)
    if check_mode:
        # reads only: no lock, so that check mode creates nothing either
        return _run(params, cfg, observations, hosts, True, post, clock, monotonic, sleep, [])
    # long enough for another run's whole delivery and write
    lock = StateLock(params["state_file"], cfg.timeout + 30 if lock_wait is None else lock_wait, monotonic, sleep)
    problem = lock.acquire()
    try:
        return _run(params, cfg, observations, hosts, False, post, clock, monotonic, sleep, [problem] if problem else [])
    finally:
        lock.release()


def _run(params, cfg, observations, hosts, check_mode, post, clock, monotonic, sleep, warnings):
    totals = fleet_totals(params.get("results"))
    state_file = params["state_file"]
    alerts, problem = load_state(state_file)
    if problem:
        warnings.append(problem)
    now = clock()
    notices, held, records = plan(alerts, observations, hosts, now, cfg)
    totals["firing"] = sum(1 for r in records.values() if r.get("firing"))
    batches = payloads(notices, totals, now, cfg)
    if check_mode:
        outcome = {key: (None, 0) for keys, _body in batches for key in keys}
    else:
        if post is None:
            post = http_post(cfg.url, cfg.headers, cfg.validate_certs, cfg.ca_path)
        outcome = deliver(batches, post, cfg, clock=monotonic, sleep=sleep)
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
        until = record["resolved_notified_at"] + cfg.cooldown
        result["suppressed"].append(_public(
            key, record, reason="alerting again %s after its resolved notice, within the cooldown of %s; sent if "
                                "still alerting after %s" % (human_duration(now - record["resolved_notified_at"]),
                                                             human_duration(cfg.cooldown), iso(until))))
    if result["undelivered"]:
        warnings.append("%d alert notice(s) not delivered (%s); they will be sent again on the next run"
                        % (len(result["undelivered"]), result["undelivered"][0]["reason"]))
    records = prune(settle(records, settled, now), now, cfg.cooldown)
    result["active"] = sorted(key for key, record in records.items() if record.get("firing"))
    result["fleet"] = totals
    result["changed"] = bool(result["sent"] or result["recovered"])
    if not check_mode and (records != alerts or problem):
        try:
            save_state(state_file, records, now)
        except OSError as exc:
            warnings.append("cannot write the alert state %s (%s): the next run may send these notices again"
                            % (state_file, exc.strerror or exc))
    result["warnings"] = [cfg.scrub(w) for w in warnings]
    return result
