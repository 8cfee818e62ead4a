# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Alert targets: ``{type, name, url or urls, routing_key, headers, validate_certs, ca_path, generator_url}``,
checked once into endpoints (one per URL), each delivered and recorded on its own.

Every URL is a secret as a whole (webhook URLs carry tokens; any URL may carry a password), and so are
``routing_key`` and the header values: messages name the target and the option, never the value.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import re

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._web.options import header_fault
from ansible_collections.sre.health.plugins.module_utils._web.redact import header_text
from ansible_collections.sre.health.plugins.module_utils._web.urls import url_problem

WEBHOOK = "webhook"
SLACK = "slack"
ALERTMANAGER = "alertmanager"
PAGERDUTY = "pagerduty"
TYPES = (WEBHOOK, SLACK, ALERTMANAGER, PAGERDUTY)
# The types whose notices follow the dedup, cooldown and reminder rules; Alertmanager does its own.
NOTIFIED = (WEBHOOK, SLACK, PAGERDUTY)

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
ROUTING_KEY_RE = re.compile(r"^[A-Za-z0-9]{32}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
MAX_URLS = 10

FIELDS = ("type", "name", "url", "urls", "routing_key", "headers", "validate_certs", "ca_path", "generator_url")

URL_EXAMPLES = {
    WEBHOOK: "https://hooks.example.com/sre/health",
    SLACK: "https://hooks.slack.com/services/T000/B000/XXXX",
    ALERTMANAGER: "http://127.0.0.1:9093 (the API path /api/v2/alerts is added)",
    PAGERDUTY: PAGERDUTY_URL + " (the default)",
}


class TargetError(SreHealthError):
    """A target that cannot be used; the message names it and never shows a secret."""


class Endpoint(object):
    """One URL of one target: what delivery needs, and the ``name`` its state is kept under."""

    def __init__(self, **values):
        self.name = None
        self.type = None
        self.target = None
        self.url = None
        self.given_url = None
        self.headers = {}
        self.routing_key = None
        self.validate_certs = True
        self.ca_path = None
        self.generator_url = None
        self.__dict__.update(values)

    @property
    def notified(self):
        return self.type in NOTIFIED

    def __repr__(self):
        return "Endpoint(%s, %s)" % (self.name, self.type)


def _where(option, index, name=None):
    return "%s[%d]%s" % (option, index, " (%s)" % name if name else "")


def _url(where, field, value, kind):
    problem = url_problem(value)
    if problem:
        raise TargetError("option %s: %s is not a valid http(s) URL (the value is not shown: it is a secret): %s; "
                          "accepted: an http:// or https:// URL with a host, such as %s"
                          % (where, field, problem, URL_EXAMPLES[kind]))
    return value.strip()


def _urls(where, entry, kind):
    url, urls = entry.get("url"), entry.get("urls")
    if url not in (None, "") and urls not in (None, []):
        raise TargetError("option %s: url and urls are mutually exclusive; accepted: url (one URL) or urls (a list "
                          "of URLs that each get the same notices, such as an Alertmanager HA pair)" % where)
    if urls not in (None, []):
        if not isinstance(urls, list) or len(urls) > MAX_URLS:
            raise TargetError("option %s: urls is invalid (the value is not shown: it is a secret); accepted: a list "
                              "of 1 to %d URLs" % (where, MAX_URLS))
        return [_url(where, "urls[%d]" % n, u, kind) for n, u in enumerate(urls)]
    if url in (None, ""):
        if kind == PAGERDUTY:
            return [PAGERDUTY_URL]
        raise TargetError("option %s: url is missing; accepted: an http:// or https:// URL, such as %s"
                          % (where, URL_EXAMPLES[kind]))
    return [_url(where, "url", url, kind)]


def _headers(where, headers):
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise TargetError("option %s: headers is invalid (values are not shown: they may be secrets); accepted: a "
                          "dict of header name to text" % where)
    sent = {}
    for key, value in headers.items():
        fault = header_fault(key, value)
        if fault == "name":
            raise TargetError("option %s: headers: %r is not a header name; accepted: letters, digits and "
                              "!#$%%&'*+.^_`|~-" % (where, key))
        if fault == "value":
            raise TargetError("option %s: headers: the value of %r is invalid (the value is not shown: it may be a "
                              "secret); accepted: a single-line text, number or boolean" % (where, key))
        sent[key] = header_text(value)
    return sent


def _routing_key(where, kind, value):
    if kind != PAGERDUTY:
        if value not in (None, ""):
            raise TargetError("option %s: routing_key is only for type pagerduty; accepted: no routing_key for type "
                              "%s" % (where, kind))
        return None
    if value in (None, ""):
        raise TargetError("option %s: routing_key is missing; accepted: the 32-character integration key of a "
                          "PagerDuty Events API v2 integration (a secret: keep it in a vault)" % where)
    if not isinstance(value, str) or not ROUTING_KEY_RE.match(value):
        length = len(value) if isinstance(value, str) else None
        problem = "it has %d characters" % length if length not in (None, 32) else "it is not 32 letters and digits"
        raise TargetError("option %s: routing_key is invalid (the value is not shown: it is a secret): %s; accepted: "
                          "the 32-character integration key of a PagerDuty Events API v2 integration"
                          % (where, problem))
    return value


def _generator_url(where, kind, value):
    if value in (None, ""):
        return None
    if kind != ALERTMANAGER:
        raise TargetError("option %s: generator_url is only for type alertmanager" % where)
    problem = url_problem(value)
    if problem:
        raise TargetError("option %s: generator_url %r is not a valid http(s) URL: %s; accepted: a link to the job or "
                          "the report, such as https://awx.example.com/#/jobs/playbook/42" % (where, value, problem))
    return value.strip()


def _bool(where, field, value, default):
    if value is None:
        return default
    if not isinstance(value, bool):
        raise TargetError("option %s: %s %r is invalid; accepted: true or false" % (where, field, value))
    return value


def parse_target(entry, index, option="targets", defaults=None):
    """The endpoints of one target entry (one per URL)."""
    defaults = defaults or {}
    where = _where(option, index)
    if not isinstance(entry, dict):
        raise TargetError("option %s: %r is invalid; accepted: a dict {type, url, name, ...}"
                          % (where, type(entry).__name__))
    unknown = sorted(str(k) for k in entry if k not in FIELDS)
    if unknown:
        raise TargetError("option %s: unknown field(s) %s; accepted: %s" % (where, ", ".join(unknown), ", ".join(FIELDS)))
    kind = entry.get("type")
    if kind not in TYPES:
        raise TargetError("option %s.type: %r is invalid; accepted: %s" % (where, kind, ", ".join(TYPES)))
    name = entry.get("name")
    if name is not None and (not isinstance(name, str) or not NAME_RE.match(name)):
        raise TargetError("option %s.name: %r is invalid; accepted: letters, digits, '.', '_' and '-', starting with a "
                          "letter or digit, at most 63 characters" % (where, name))
    where = _where(option, index, name)
    urls = _urls(where, entry, kind)
    headers = _headers(where, entry["headers"] if entry.get("headers") is not None else defaults.get("headers"))
    routing_key = _routing_key(where, kind, entry.get("routing_key"))
    ca_path = entry.get("ca_path") if entry.get("ca_path") not in (None, "") else defaults.get("ca_path")
    if ca_path is not None and not isinstance(ca_path, str):
        raise TargetError("option %s: ca_path %r is invalid; accepted: a path to a PEM file" % (where, ca_path))
    common = dict(type=kind, headers=headers, routing_key=routing_key,
                  validate_certs=_bool(where, "validate_certs", entry.get("validate_certs"),
                                       defaults.get("validate_certs", True)),
                  ca_path=ca_path, generator_url=_generator_url(where, kind, entry.get("generator_url")))
    api = alertmanager_api if kind == ALERTMANAGER else (lambda u: u)
    return name, [Endpoint(url=api(url), given_url=url, **common) for url in urls]


def parse_targets(value, option="targets", defaults=None):
    """Every target, checked once, as a list of Endpoint with unique names.

    A target without ``name`` is named after its type (``pagerduty``), with ``-2``, ``-3``... for the
    later ones of the same type; a target with several URLs gives endpoints ``<name>#1``, ``<name>#2``...
    The state of each endpoint is kept under its name, so names should stay put: give targets a name
    when there are several of one type.
    """
    if not isinstance(value, list) or not value:
        raise TargetError("option %s: %r is invalid; accepted: a list of one or more targets {type, url, ...} with "
                          "type one of %s" % (option, value if not isinstance(value, list) else [], ", ".join(TYPES)))
    endpoints = []
    names = set()
    seen_types = {}
    for index, entry in enumerate(value):
        name, found = parse_target(entry, index, option, defaults)
        kind = found[0].type
        if name is None:
            seen_types[kind] = seen_types.get(kind, 0) + 1
            name = kind if seen_types[kind] == 1 else "%s-%d" % (kind, seen_types[kind])
        if name in names:
            raise TargetError("option %s: the name %r is used twice; accepted: a unique name for each target"
                              % (_where(option, index), name))
        names.add(name)
        for number, endpoint in enumerate(found):
            endpoint.target = name
            endpoint.name = name if len(found) == 1 else "%s#%d" % (name, number + 1)
        endpoints.extend(found)
    return endpoints


def alertmanager_api(url):
    """The alerts endpoint of an Alertmanager: ``/api/v2/alerts`` after the URL's path (a route prefix),
    unless the URL already ends with it."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/api/v2/alerts"):
        path += "/api/v2/alerts"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def endpoint_secrets(endpoints):
    """Every value that must never be shown: the URLs and their parts, routing keys, header values."""
    found = set()
    for endpoint in endpoints:
        found.update(url_secrets(endpoint.url))
        found.update(url_secrets(endpoint.given_url or endpoint.url))
        if endpoint.routing_key:
            found.add(endpoint.routing_key)
        for value in endpoint.headers.values():
            if value:
                found.add(value)
                pieces = value.split(None, 1)
                if len(pieces) == 2:
                    found.add(pieces[1])
    return found


def url_secrets(url):
    """A URL and each piece of it that may carry a token (the part after the scheme, the path, the query,
    the password)."""
    found = {url, url.split("://", 1)[-1]}
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return found
    if len(parts.path) > 1:
        found.add(parts.path)
    if parts.query:
        found.add(parts.query)
    if password:
        found.add(password)
    return found
