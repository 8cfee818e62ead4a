# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_alert's options: the spec, and their one validation into a Config."""

from __future__ import annotations

import re

from urllib.parse import urlsplit

from ansible_collections.sre.health.plugins.module_utils._alert import silences as _silences
from ansible_collections.sre.health.plugins.module_utils._alert import targets
from ansible_collections.sre.health.plugins.module_utils._duration import parse_duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._status import CRITICAL, OK, STATUSES, UNKNOWN

PAYLOAD_FORMATS = ("generic", "slack")
ORIGINS = ("health", "remediation")
DEFAULT_ALERT_ON = [CRITICAL, UNKNOWN]
DEFAULT_COOLDOWN = "15m"
DEFAULT_REMINDER = "4h"
DEFAULT_RUN_INTERVAL = "1h"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 2
DEFAULT_BATCH_SIZE = 20
MAX_RUNS = 100
MASK = "********"
# The name of the one target that the url option (and fleet_report_webhook_url) makes.
URL_TARGET = "webhook"

TARGET_OPTIONS = dict(
    type=dict(type="str", required=True, choices=list(targets.TYPES)),
    name=dict(type="str"),
    url=dict(type="str", no_log=True),
    urls=dict(type="list", elements="str", no_log=True),
    routing_key=dict(type="str", no_log=True),
    headers=dict(type="dict", no_log=True),
    validate_certs=dict(type="bool"),
    ca_path=dict(type="path"),
    generator_url=dict(type="str"),
)

SILENCE_OPTIONS = dict(
    host=dict(type="str"),
    check=dict(type="str"),
    until=dict(type="raw", required=True),
    reason=dict(type="str", required=True),
)

OPTIONS = dict(
    results=dict(type="list", elements="dict"),
    # the name of the variable every host of hosts holds its result in: read by the action plugin, on the controller
    result_var=dict(type="str"),
    hosts=dict(type="list", elements="str", default=[]),
    url=dict(type="str", no_log=True),
    payload_format=dict(type="str", choices=list(PAYLOAD_FORMATS)),
    targets=dict(type="list", elements="dict", options=TARGET_OPTIONS),
    origin=dict(type="str", default="health", choices=list(ORIGINS)),
    state_file=dict(type="path", required=True),
    alert_on=dict(type="list", elements="str", default=list(DEFAULT_ALERT_ON), choices=["critical", "warning", "unknown"]),
    alert_after=dict(type="int", default=1),
    recover_after=dict(type="int", default=1),
    silences=dict(type="list", elements="dict", default=[], options=SILENCE_OPTIONS),
    cooldown=dict(type="raw", default=DEFAULT_COOLDOWN),
    reminder=dict(type="raw", default=DEFAULT_REMINDER),
    run_interval=dict(type="raw", default=DEFAULT_RUN_INTERVAL),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    retries=dict(type="int", default=DEFAULT_RETRIES),
    batch_size=dict(type="int", default=DEFAULT_BATCH_SIZE),
    headers=dict(type="dict", no_log=True),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
)
MUTUALLY_EXCLUSIVE = [["url", "targets"], ["results", "result_var"]]
REQUIRED_ONE_OF = [["url", "targets"], ["results", "result_var"]]

URL_ACCEPTED = "an http:// or https:// URL with a host, such as https://hooks.example.com/services/T0/B0/XXXX"
DURATION_ACCEPTED = "a duration of 0 or more, up to 366d, such as 90s, 15m, 4h, 1d, or a number of seconds " \
                    "(0 disables it)"


class AlertError(SreHealthError):
    """An option the module cannot use; the message names it and never shows a secret."""


def duration(option, value):
    """Seconds from a duration such as 15m, 4h or 90; never negative, 0 when unset."""
    try:
        return parse_duration(option, value, DURATION_ACCEPTED, empty=0)
    except OptionError as exc:
        raise AlertError(str(exc))


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


def _number(params, option, default, kind, accepts, accepted):
    value = params.get(option)
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, kind) or not accepts(value):
        raise AlertError("option %s: %r is invalid; accepted: %s" % (option, value, accepted))
    return value


def _alert_on(params):
    alert_on = params.get("alert_on")
    alert_on = set(DEFAULT_ALERT_ON if alert_on is None else alert_on)
    for status in alert_on:
        if status not in STATUSES or status == OK:
            raise AlertError("option alert_on: %r is invalid; accepted: critical, warning, unknown" % (status,))
    if not alert_on:
        raise AlertError("option alert_on: [] is invalid; accepted: a list of one or more of critical, warning, "
                         "unknown")
    return alert_on


def _headers(params):
    headers = {}
    for key, value in (params.get("headers") or {}).items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise AlertError("option headers: the value of %r is not text (values are not shown: they may be "
                             "secrets); accepted: a dict of header name to text" % (key,))
        headers[str(key)] = str(value)
    return headers


def _runs(params, option, names):
    value = params.get(option)
    value = 1 if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RUNS:
        raise AlertError("option %s: %r is invalid; accepted: a whole number of consecutive runs from 1 to %d (1: at "
                         "once)" % (names.get(option, option), value, MAX_RUNS))
    return value


def _url_endpoint(params):
    """The one target of the url shortcut (and of the role's fleet_report_webhook_url)."""
    check_url(params.get("url"))
    payload_format = params.get("payload_format") or "generic"
    if payload_format not in PAYLOAD_FORMATS:
        raise AlertError("option payload_format: %r is invalid; accepted: %s"
                         % (payload_format, ", ".join(PAYLOAD_FORMATS)))
    return targets.Endpoint(name=URL_TARGET, target=URL_TARGET, url=params["url"], given_url=params["url"],
                            type=targets.SLACK if payload_format == "slack" else targets.WEBHOOK,
                            headers=_headers(params), validate_certs=params.get("validate_certs", True) is not False,
                            ca_path=params.get("ca_path"))


def _endpoints(params, names, required=True):
    has_url = params.get("url") not in (None, "")
    has_targets = params.get("targets") not in (None, [])
    if has_url and has_targets:
        raise AlertError("options url and targets are mutually exclusive; accepted: url (one webhook, with "
                         "payload_format) or targets (a list of targets, each with its type)")
    if has_targets:
        if params.get("payload_format") is not None:
            raise AlertError("option payload_format is for url only; accepted: with targets, each target's type "
                             "(webhook or slack) says its format")
        option = names.get("targets", "targets")
        defaults = dict(headers=params.get("headers"), validate_certs=params.get("validate_certs", True) is not False,
                        ca_path=params.get("ca_path"))
        try:
            return targets.parse_targets(params["targets"], option, defaults)
        except targets.TargetError as exc:
            raise AlertError(str(exc))
    if params.get("url") is None and params.get("targets") is None:
        if not required:
            return []
        raise AlertError("one of the options url or targets is required; accepted: url (one webhook) or targets (a "
                         "list of targets {type, url, ...} with type one of %s)" % ", ".join(targets.TYPES))
    if not has_url and params.get("targets") is not None:
        raise AlertError("option %s: [] is invalid; accepted: a list of one or more targets {type, url, ...}"
                         % names.get("targets", "targets"))
    return [_url_endpoint(params)]


def _origin(params):
    origin = params.get("origin") or "health"
    if origin not in ORIGINS:
        raise AlertError("option origin: %r is invalid; accepted: %s" % (origin, ", ".join(ORIGINS)))
    return origin


def validate(params, names=None, targets_required=True):
    """The options, checked once; returns a Config whose ``secrets`` are every target's URL parts, routing key
    and header values.

    ``names`` maps an option to the name the user wrote it under (a role variable, such as
    ``fleet_report_alert_targets`` for ``targets``), for the messages. Without ``targets_required``, no url
    and no targets is no endpoint (the roles' checks of their settings before any work).
    """
    names = names or {}
    endpoints = _endpoints(params, names, targets_required)
    secrets = targets.endpoint_secrets(endpoints)
    try:
        silences = _silences.parse_silences(params.get("silences"), names.get("silences", "silences"))
    except _silences.SilenceError as exc:
        raise AlertError(str(exc))
    interval_name = names.get("run_interval", "run_interval")
    interval = duration(interval_name, params.get("run_interval", DEFAULT_RUN_INTERVAL))
    if not interval:
        raise AlertError("option %s: %r is invalid; accepted: how often these runs happen (their schedule), a "
                         "duration above 0 such as 15m or 1h" % (interval_name, params.get("run_interval")))
    return Config(
        endpoints=endpoints,
        origin=_origin(params),
        alert_on=_alert_on(params),
        alert_after=_runs(params, "alert_after", names),
        recover_after=_runs(params, "recover_after", names),
        silences=silences,
        cooldown=duration(names.get("cooldown", "cooldown"), params.get("cooldown", DEFAULT_COOLDOWN)),
        reminder=duration(names.get("reminder", "reminder"), params.get("reminder", DEFAULT_REMINDER)),
        run_interval=interval,
        timeout=_number(params, "timeout", DEFAULT_TIMEOUT, (int, float), lambda v: 0 < v < 3600,
                        "a number of seconds greater than 0 and below 3600"),
        retries=_number(params, "retries", DEFAULT_RETRIES, int, lambda v: 0 <= v <= 10, "an integer from 0 to 10"),
        batch_size=_number(params, "batch_size", DEFAULT_BATCH_SIZE, int, lambda v: 1 <= v <= 45,
                           "an integer from 1 to 45"),
        state_file=params.get("state_file"),
        secrets=tuple(sorted(secrets)),
        scrub=Scrubber(secrets),
    )


class Scrubber(object):
    """Replace every secret in a text with ``********``, longest first."""

    def __init__(self, secrets):
        self.secrets = sorted((s for s in secrets if s and len(s) > 1), key=len, reverse=True)

    def __call__(self, text):
        text = str(text)
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text
