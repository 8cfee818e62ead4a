# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many checks of any kind in one module run: validate each with its kind's own option spec,
then run them all concurrently (bounded pool, per-check and overall timeouts)."""

from __future__ import annotations

import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.sre.health.plugins.module_utils import (
    _disk,
    _http,
    _load,
    _logscan,
    _memory,
    _metrics,
    _port,
    _process,
    _service,
)
from ansible_collections.sre.health.plugins.module_utils._module import PACKAGES
from ansible_collections.sre.health.plugins.module_utils._runner import TaskTimeout, run_all
from ansible_collections.sre.health.plugins.module_utils._status import (
    UNKNOWN,
    OptionError,
    ThresholdError,
    compile_thresholds,
    make_result,
    thresholds_as_text,
)

KINDS = {
    "disk": _disk,
    "memory": _memory,
    "load": _load,
    "process": _process,
    "service": _service,
    "http": _http,
    "port": _port,
    "metrics": _metrics,
    "log": _logscan,
}

# Keys of a check entry that belong to the check itself, not to its kind.
RESERVED = ("name", "kind", "thresholds", "check_timeout")

# A kind option called ``name`` collides with the check's name: write it under this key instead.
# When it is not given, the check's name is used (``{name: nginx, kind: process}`` looks for nginx).
NAME_KEYS = {"process": "process_name", "service": "units"}

MAX_WORKERS_LIMIT = 64

# Kinds already on the protocol of _kind: run() takes the Config that validate() returned.
# Transitional, until _checks replaces this module.
CONFIG_KINDS = ("load", "memory", "service", "log")


class CheckDefinitionError(ValueError):
    """An invalid entry of ``checks``; the message names the entry, the option and the reason."""


def _label(index, entry):
    name = entry.get("name") if isinstance(entry, dict) else None
    return "checks[%d]%s" % (index, " (%s)" % name if isinstance(name, str) and name else "")


def _kind_params(kind_name, kind, entry):
    """The kind's parameters from a check entry: everything but the reserved keys."""
    params = dict((k, v) for k, v in entry.items() if k not in RESERVED)
    name_key = NAME_KEYS.get(kind_name)
    if name_key and "name" in kind.OPTIONS:
        if name_key in params:
            params["name"] = params.pop(name_key)
        else:
            selectors = [group for group in getattr(kind, "REQUIRED_ONE_OF", []) if "name" in group]
            others_given = any(params.get(k) for group in selectors for k in group if k != "name")
            if not others_given:
                wanted = kind.OPTIONS["name"].get("type")
                params["name"] = [entry["name"]] if wanted == "list" else entry["name"]
    return params


def prepare(entries, default_timeout):
    """Validate every entry; return a list of prepared checks or raise CheckDefinitionError."""
    if not isinstance(entries, list):
        raise CheckDefinitionError("checks: %r is not a list of check definitions" % (entries,))
    prepared = []
    seen = {}
    for index, entry in enumerate(entries):
        label = _label(index, entry)
        check = prepare_entry(entry, label, default_timeout)
        if check["name"] in seen:
            raise CheckDefinitionError("%s: option name: %r is already used by checks[%d]; accepted: a unique name"
                                       % (label, check["name"], seen[check["name"]]))
        seen[check["name"]] = index
        check["index"] = index
        prepared.append(check)
    return prepared


def prepare_entry(entry, label, default_timeout, kinds=None):
    """Validate one check definition (``label`` prefixes every error); return the prepared check.

    ``kinds`` restricts the accepted kinds (service_state's probe takes http and port only).
    """
    kinds = KINDS if kinds is None else dict((k, KINDS[k]) for k in kinds)
    if not isinstance(entry, dict):
        raise CheckDefinitionError("%s: %r is not a dict with name and kind" % (label, entry))
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CheckDefinitionError("%s: option name: %r is invalid; accepted: a non-empty string" % (label, name))
    kind_name = entry.get("kind")
    if kind_name not in kinds:
        raise CheckDefinitionError("%s: option kind: %r is invalid; accepted: %s"
                                   % (label, kind_name, ", ".join(sorted(kinds))))
    kind = kinds[kind_name]
    timeout = entry.get("check_timeout", default_timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < float("inf"):
        raise CheckDefinitionError("%s: option check_timeout: %r is invalid; accepted: a number of seconds "
                                   "greater than 0" % (label, timeout))
    validator = ArgumentSpecValidator(
        kind.OPTIONS,
        mutually_exclusive=getattr(kind, "MUTUALLY_EXCLUSIVE", None),
        required_one_of=getattr(kind, "REQUIRED_ONE_OF", None),
        required_together=getattr(kind, "REQUIRED_TOGETHER", None),
        required_if=getattr(kind, "REQUIRED_IF", None),
    )
    kind_params = _kind_params(kind_name, kind, entry)
    known = set(kind.OPTIONS)
    for spec in kind.OPTIONS.values():
        known.update(spec.get("aliases", []))
    unknown = sorted(k for k in kind_params if k not in known)
    if unknown:
        accepted = sorted(set(RESERVED) | set(kind.OPTIONS) | set([NAME_KEYS.get(kind_name, "name")]))
        raise CheckDefinitionError("%s: unknown option%s %s for kind %s; accepted: %s" % (
            label, "" if len(unknown) == 1 else "s", ", ".join(unknown), kind_name, ", ".join(accepted)))
    validation = validator.validate(kind_params)
    if validation.error_messages:
        raise CheckDefinitionError("%s: %s" % (label, "; ".join(validation.error_messages)))
    params = validation.validated_parameters
    try:
        compiled = compile_thresholds(entry.get("thresholds"), kind.METRICS, kind.DEFAULT_THRESHOLDS)
        validate = getattr(kind, "validate", None)
        config = validate(params) if validate is not None else None
    except (OptionError, ThresholdError) as exc:
        raise CheckDefinitionError("%s: %s" % (label, exc))
    if kind_name in CONFIG_KINDS:
        params = config
    return {"index": 0, "label": label, "name": name, "kind_name": kind_name, "kind": kind, "params": params,
            "compiled": compiled, "timeout": float(timeout)}


def _missing_libraries(kind):
    return [lib for lib, available in getattr(kind, "REQUIRES", {}).items() if not available()]


def run_checks(prepared, max_workers, overall_timeout):
    """Run the prepared checks concurrently; every check yields results, even when it fails."""
    tasks = []
    for check in prepared:
        def task(check=check):
            missing = _missing_libraries(check["kind"])
            if missing:
                return "missing", missing
            return "ok", check["kind"].run(check["params"], check["compiled"], check["name"])
        tasks.append((task, check["timeout"]))
    started = time.monotonic()
    outcome = run_all(tasks, max_workers=max_workers, overall_timeout=overall_timeout)
    results = []
    definition_errors = []
    for check, (value, exc, duration) in zip(prepared, outcome.results):
        thresholds = thresholds_as_text(check["compiled"])
        base = dict(name=check["name"], kind=check["kind_name"], thresholds=thresholds, duration_ms=duration * 1000.0)
        if exc is None and value[0] == "ok":
            results.extend(value[1])
            continue
        if exc is None:
            libs = ", ".join(PACKAGES.get(lib, lib) for lib in value[1])
            summary = "%s: cannot run: missing Python library on this host: %s" % (check["name"], libs)
        elif isinstance(exc, TaskTimeout):
            summary = "%s: check %s" % (check["name"], exc)
        elif isinstance(exc, (OptionError, ThresholdError)):
            definition_errors.append("%s: %s" % (check.get("label") or _label(check["index"], check), exc))
            summary = "%s: invalid definition: %s" % (check["name"], exc)
        else:
            summary = "%s: check failed: %s: %s" % (check["name"], type(exc).__name__, exc)
        results.append(make_result(summary=summary, status=UNKNOWN, **base))
    elapsed = time.monotonic() - started
    return results, definition_errors, outcome.abandoned, elapsed
