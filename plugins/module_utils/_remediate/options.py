# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""service_state's options beyond the service kind's: remediation limits and the probe, validated once."""

from __future__ import annotations

import os

from ansible_collections.sre.health.plugins.module_utils import _checks, _service
from ansible_collections.sre.health.plugins.module_utils._duration import parse_duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._registry import Registry
from ansible_collections.sre.health.plugins.module_utils._status import check_timeout

DEFAULT_STATE_FILE = "/var/lib/sre-health/service-restarts.json"

REMEDIATE_OPTIONS = dict(
    remediate=dict(type="bool", default=False),
    settle=dict(type="float", default=5.0),
    probe=dict(type="dict"),
    max_restarts=dict(type="int", default=3),
    restart_window=dict(type="raw", default="1h"),
    restart_timeout=dict(type="float", default=90.0),
    state_file=dict(type="path", default=DEFAULT_STATE_FILE),
)

PROBE_KINDS = ("http", "port")


def _import_probe_kind(name):
    if name == "http":
        from ansible_collections.sre.health.plugins.module_utils import _http as kind
    else:
        from ansible_collections.sre.health.plugins.module_utils import _port as kind
    return kind


# The kinds a probe may be: service_state ships these two and no other.
PROBE_REGISTRY = Registry(PROBE_KINDS, _import_probe_kind)
SETTLE_MAX = 3600.0
WINDOW_ACCEPTED = "a duration greater than 0 and up to 366d, in seconds or with a unit (ms, s, m, h, d), " \
                  "such as 3600 or 1h"


class ProbeError(SreHealthError):
    """An invalid ``probe``; the message names the probe's option, its value and what is accepted."""


def prepare_probe(probe, name, default_timeout):
    """Validate ``probe`` as an http or port check definition; return the prepared check or None."""
    if probe is None:
        return None
    if not isinstance(probe, dict):
        raise OptionError("probe", probe, "a dict: an http or port check definition, such as "
                                          "{kind: http, url: 'http://127.0.0.1/health'}")
    entry = dict(probe)
    entry.setdefault("name", "%s:probe" % name)
    try:
        return _checks.prepare_entry(entry, "option probe", default_timeout, PROBE_REGISTRY)
    except _checks.CheckDefinitionError as exc:
        # "option probe: option kind: 'ping' is invalid; accepted: http, port"
        raise ProbeError(str(exc))


def probe_kind(probe):
    """The check kind module of a probe definition, or None when its kind is not a probe kind."""
    kind = probe.get("kind") if isinstance(probe, dict) else None
    return PROBE_REGISTRY.get(kind) if kind in PROBE_KINDS else None


# More restarts than this within one window is no flap guard at all.
MAX_RESTARTS = 1000


def _number(params, option, default, kind, accepts, accepted):
    value = params.get(option, default)
    if isinstance(value, bool) or not isinstance(value, kind) or not accepts(value):
        raise OptionError(option, value, accepted)
    return value


def validate(params, name=_service.KIND):
    """Check the service kind's options and the remediation and probe ones, once; return a Config.

    Checked whether or not ``remediate`` is on: a typo in a limit should not wait for the day a
    unit dies to show up. ``service`` is the service kind's own Config.
    """
    service = _service.validate(params)
    if params.get("remediate") and service.expect != "active":
        raise OptionError("expect", service.expect, "active when remediate is true (remediation restarts units "
                                                    "that should run; it never stops one)")
    settle = _number(params, "settle", 5.0, (int, float), lambda v: 0 <= v <= SETTLE_MAX,
                     "a number of seconds from 0 to %d" % SETTLE_MAX)
    max_restarts = _number(params, "max_restarts", 3, int, lambda v: 1 <= v <= MAX_RESTARTS,
                           "an integer of 1 or more, at most %d (remediate: false never restarts)" % MAX_RESTARTS)
    window = parse_duration("restart_window", params.get("restart_window", "1h"), WINDOW_ACCEPTED, inclusive=False)
    restart_timeout = check_timeout("restart_timeout", params.get("restart_timeout", 90.0), allow_none=False)
    state_file = params.get("state_file") or DEFAULT_STATE_FILE
    if not os.path.isabs(state_file) or state_file.endswith(os.sep):
        raise OptionError("state_file", state_file, "an absolute path to a file")
    probe = prepare_probe(params.get("probe"), name, max(service.timeout, 10.0))
    return Config(service=service, names=params.get("name"), units=service.units, enabled=service.enabled,
                  timeout=service.timeout, settle=float(settle), max_restarts=max_restarts, window=window,
                  restart_timeout=float(restart_timeout), state_file=state_file, probe=probe)
