# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_alert's options: the spec, and their one validation into a Config."""

from __future__ import annotations

import re

from urllib.parse import urlsplit

from ansible_collections.sre.health.plugins.module_utils._duration import parse_duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._status import CRITICAL, OK, STATUSES, UNKNOWN

PAYLOAD_FORMATS = ("generic", "slack")
DEFAULT_ALERT_ON = [CRITICAL, UNKNOWN]
DEFAULT_COOLDOWN = "15m"
DEFAULT_REMINDER = "4h"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 2
DEFAULT_BATCH_SIZE = 20
MASK = "********"

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


def validate(params):
    """The options, checked once; returns a Config whose ``secrets`` are the URL's parts and header values."""
    check_url(params.get("url"))
    payload_format = params.get("payload_format") or "generic"
    if payload_format not in PAYLOAD_FORMATS:
        raise AlertError("option payload_format: %r is invalid; accepted: %s"
                         % (payload_format, ", ".join(PAYLOAD_FORMATS)))
    url = params["url"]
    headers = _headers(params)
    secrets = secrets_of(url, headers)
    return Config(
        url=url,
        payload_format=payload_format,
        alert_on=_alert_on(params),
        cooldown=duration("cooldown", params.get("cooldown", DEFAULT_COOLDOWN)),
        reminder=duration("reminder", params.get("reminder", DEFAULT_REMINDER)),
        timeout=_number(params, "timeout", DEFAULT_TIMEOUT, (int, float), lambda v: 0 < v < 3600,
                        "a number of seconds greater than 0 and below 3600"),
        retries=_number(params, "retries", DEFAULT_RETRIES, int, lambda v: 0 <= v <= 10, "an integer from 0 to 10"),
        batch_size=_number(params, "batch_size", DEFAULT_BATCH_SIZE, int, lambda v: 1 <= v <= 45,
                           "an integer from 1 to 45"),
        headers=headers,
        validate_certs=params.get("validate_certs", True) is not False,
        ca_path=params.get("ca_path"),
        state_file=params.get("state_file"),
        secrets=tuple(sorted(secrets)),
        scrub=Scrubber(secrets),
    )


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
