# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Why alert settings would not work, before any work: fleet_alert's own validation of targets, silences and
counts (``options``), in the caller's names for the options, never with a secret. Behind the ``alert_problem``
filter (the roles' checks before any check or remediation) and fleet_report's ``alert_settings`` option (the
fleet_report role's one check task)."""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sre.health.plugins.module_utils._alert import options
from ansible_collections.sre.health.plugins.module_utils._alert.options import Scrubber
from ansible_collections.sre.health.plugins.module_utils._alert.targets import url_secrets
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError


def _raw_secrets(settings):
    """What may be a secret in the settings as given, before anything is validated."""
    found = set()
    entries = settings.get("targets") if isinstance(settings.get("targets"), list) else []
    for entry in [settings] + [e for e in entries if isinstance(e, dict)]:
        urls = [entry.get("url")] + (entry.get("urls") if isinstance(entry.get("urls"), list) else [])
        for url in urls:
            if isinstance(url, str) and url:
                found.update(url_secrets(url))
        if isinstance(entry.get("routing_key"), str):
            found.add(entry["routing_key"])
        if isinstance(entry.get("headers"), dict):
            found.update(str(v) for v in entry["headers"].values() if v not in (None, ""))
    return found


def alert_problem(settings, names=None):
    """An empty string when ``settings`` (fleet_alert options other than ``results`` and ``state_file``) are
    usable, else the problem in one line, naming each option as ``names`` maps it."""
    if not isinstance(settings, dict):
        return "alert settings: %r is invalid; accepted: a dict of sre.health.fleet_alert options" % (
            type(settings).__name__,)
    names = dict(names or {})
    scrub = Scrubber(_raw_secrets(settings))
    params = dict(settings, results=[], state_file="/")
    if params.get("targets") in (None, []) and params.get("url") in (None, ""):
        params.pop("targets", None)
        params.pop("url", None)
    spec = dict(options.OPTIONS)
    validation = ArgumentSpecValidator(spec, mutually_exclusive=options.MUTUALLY_EXCLUSIVE).validate(params)
    if validation.error_messages:
        text = "; ".join(validation.error_messages)
        for option, name in names.items():
            text = text.replace("'%s'" % option, "'%s'" % name).replace(" in %s" % option, " in %s" % name)
        return scrub(text)
    try:
        options.validate(validation.validated_parameters, names, targets_required=False)
    except SreHealthError as exc:
        return scrub(str(exc))
    return ""
