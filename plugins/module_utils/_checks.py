# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many checks of any kind in one module run (``health_check``, ``resource_check``).

The kinds a run accepts are a registry (``_registry.Registry``) the caller passes in; this file imports none of
them, so that a module ships only the kinds of its registry (AnsiballZ ships what a module imports).

The path of a run: :func:`prepare` validates every entry once with its kind's option spec and
constraints and its ``validate()`` (an invalid entry fails the task before anything runs), and
keeps each kind's config; :func:`run_checks` runs them all concurrently (bounded pool,
per-check and overall timeouts) with that config. The caller summarizes once.
"""

from __future__ import annotations

import time

from ansible_collections.sre.health.plugins.module_utils._errors import (
    CheckDefinitionError,
    MissingLibraryError,
    SreHealthError,
)
from ansible_collections.sre.health.plugins.module_utils._kind import isolated, missing_libraries, raw_secrets, spec_validator
from ansible_collections.sre.health.plugins.module_utils._runner import TaskTimeout, run_forked
from ansible_collections.sre.health.plugins.module_utils._status import (
    UNKNOWN,
    check_timeout,
    compile_thresholds,
    make_result,
    thresholds_as_text,
)


# Keys of a check entry that belong to the check itself, not to its kind.
RESERVED = ("name", "kind", "thresholds", "check_timeout")

# A kind option called ``name`` collides with the check's name: write it under this key instead.
# When it is not given, the check's name is used (``{name: nginx, kind: process}`` looks for nginx,
# ``{name: www.example.com, kind: dns}`` resolves www.example.com).
NAME_KEYS = {"process": "process_name", "service": "units", "dns": "query"}

MAX_WORKERS_LIMIT = 64


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
            selectors = [group for group in kind.CONSTRAINTS.get("required_one_of", []) if "name" in group]
            others_given = any(params.get(k) for group in selectors for k in group if k != "name")
            if not others_given:
                wanted = kind.OPTIONS["name"].get("type")
                params["name"] = [entry["name"]] if wanted == "list" else entry["name"]
    return params


def secrets_of_entries(entries, kinds):
    """The secrets of every entry of a kind of ``kinds`` (``_kind.raw_secrets``), before anything is validated.

    ``health_check`` registers them first, so that an invalid entry (which fails the task and
    prints its invocation at -vvv) never shows another entry's password.
    """
    found = set()
    for entry in entries if isinstance(entries, list) else []:
        kind = kinds.get(entry.get("kind")) if isinstance(entry, dict) and isinstance(entry.get("kind"), str) else None
        if kind is not None:
            found |= raw_secrets(kind, entry)
    return found


def prepare(entries, default_timeout, kinds, check_mode=False):
    """Validate every entry, of the kinds of ``kinds`` (a ``_registry.Registry``); return a list of prepared
    checks or raise CheckDefinitionError. ``check_mode`` (Ansible's) is passed on to every check's config."""
    if not isinstance(entries, list):
        raise CheckDefinitionError("checks: %r is not a list of check definitions" % (entries,))
    prepared = []
    seen = {}
    for index, entry in enumerate(entries):
        label = _label(index, entry)
        check = prepare_entry(entry, label, default_timeout, kinds)
        if check["name"] in seen:
            raise CheckDefinitionError("%s: option name: %r is already used by checks[%d]; accepted: a unique name"
                                       % (label, check["name"], seen[check["name"]]))
        seen[check["name"]] = index
        check["index"] = index
        check["config"].check_mode = check_mode
        prepared.append(check)
    return prepared


def _entry_kind(entry, label, kinds):
    """The entry's name and kind module, or CheckDefinitionError."""
    if not isinstance(entry, dict):
        raise CheckDefinitionError("%s: %r is not a dict with name and kind" % (label, entry))
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CheckDefinitionError("%s: option name: %r is invalid; accepted: a non-empty string" % (label, name))
    kind_name = entry.get("kind")
    if not isinstance(kind_name, str) or kind_name not in kinds:
        raise CheckDefinitionError("%s: option kind: %r is invalid; accepted: %s"
                                   % (label, kind_name, ", ".join(sorted(kinds))))
    return name, kinds[kind_name]


def _check_timeout(entry, label, default_timeout):
    try:
        return check_timeout("check_timeout", entry.get("check_timeout", default_timeout), allow_none=False)
    except SreHealthError as exc:
        raise CheckDefinitionError("%s: %s" % (label, exc))


def _reject_unknown_options(kind, kind_params, label):
    known = set(kind.OPTIONS)
    for spec in kind.OPTIONS.values():
        known.update(spec.get("aliases", []))
    unknown = sorted(k for k in kind_params if k not in known)
    if unknown:
        accepted = sorted(set(RESERVED) | set(kind.OPTIONS) | set([NAME_KEYS.get(kind.KIND, "name")]))
        raise CheckDefinitionError("%s: unknown option%s %s for kind %s; accepted: %s" % (
            label, "" if len(unknown) == 1 else "s", ", ".join(unknown), kind.KIND, ", ".join(accepted)))


def prepare_entry(entry, label, default_timeout, kinds):
    """Validate one check definition (``label`` prefixes every error); return the prepared check.

    The prepared check is a dict: ``name``, ``label``, ``kind_name``, ``kind``, ``params`` (as the
    spec accepted them), ``config`` (the kind's ``validate()`` result, what ``run`` gets),
    ``compiled`` thresholds and ``timeout``. ``kinds`` are the accepted kinds, a ``_registry.Registry``
    (service_state's probe takes http and port only).
    """
    name, kind = _entry_kind(entry, label, kinds)
    timeout = _check_timeout(entry, label, default_timeout)
    kind_params = _kind_params(kind.KIND, kind, entry)
    _reject_unknown_options(kind, kind_params, label)
    validation = spec_validator(kind).validate(kind_params)
    if validation.error_messages:
        raise CheckDefinitionError("%s: %s" % (label, "; ".join(validation.error_messages)))
    params = validation.validated_parameters
    try:
        compiled = compile_thresholds(entry.get("thresholds"), kind.METRICS, kind.DEFAULT_THRESHOLDS)
        config = kind.validate(params)
    except SreHealthError as exc:
        raise CheckDefinitionError("%s: %s" % (label, exc))
    return {"index": 0, "label": label, "name": name, "kind_name": kind.KIND, "kind": kind, "params": params,
            "config": config, "compiled": compiled, "timeout": timeout}


def _task(check):
    def task():
        missing = missing_libraries(check["kind"])
        if missing:
            raise MissingLibraryError(missing)
        return check["kind"].run(check["config"], check["compiled"], check["name"])
    return task


def _failure_summary(name, exc):
    if isinstance(exc, MissingLibraryError):
        return "%s: cannot run: %s" % (name, exc)
    if isinstance(exc, TaskTimeout):
        return "%s: check %s" % (name, exc)
    if isinstance(exc, SreHealthError):
        return "%s: check failed: %s" % (name, exc)
    return "%s: check failed: %s: %s" % (name, getattr(exc, "type_name", type(exc).__name__), exc)


def run_checks(prepared, max_workers, overall_timeout):
    """Run the prepared checks concurrently, the isolated kinds each in a forked child process killed
    at its deadline, the others in threads (``_runner.run_forked``); every check yields results, even
    when it fails or never returns.

    Returns ``(results, abandoned, elapsed)``: the results in check order, how many threads were
    left stuck past their deadline, and the seconds the run took.
    """
    tasks = [(_task(check), check["timeout"], isolated(check["kind"], check["config"])) for check in prepared]
    started = time.monotonic()
    outcome = run_forked(tasks, max_workers=max_workers, overall_timeout=overall_timeout)
    results = []
    for check, (value, exc, duration) in zip(prepared, outcome.results):
        if exc is None:
            results.extend(value)
            continue
        results.append(make_result(
            check["name"], check["kind_name"], UNKNOWN, _failure_summary(check["name"], exc),
            thresholds=thresholds_as_text(check["compiled"]), duration_ms=duration * 1000.0))
    return results, outcome.abandoned, time.monotonic() - started
