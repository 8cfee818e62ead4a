# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Ansible side of every check module: common options, one module run of a kind, exiting.

A standalone check module is its documentation plus ``main = lambda: run_module(_kind)``: the
``AnsibleModule`` is built from the kind's own option spec and constraints (``_kind``), the
kind validates once, runs, and the results are summarized once on the way out.
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import missing_libraries, raw_secrets
from ansible_collections.sre.health.plugins.module_utils._checks import run_checks
from ansible_collections.sre.health.plugins.module_utils._printable import escape_controls
from ansible_collections.sre.health.plugins.module_utils._status import (
    FAIL_ON_CHOICES,
    check_timeout,
    compile_thresholds,
    printable,
    safe_text,
    should_fail,
    summarize,
)

COMMON_OPTIONS = dict(
    fail_on=dict(type="str", default="critical", choices=list(FAIL_ON_CHOICES)),
    thresholds=dict(type="dict"),
)

# A standalone check module's deadline (health_check has its own, per entry and overall).
DEADLINE_OPTIONS = dict(
    check_timeout=dict(type="float", default=30),
)


def argument_spec(kind):
    """The full argument spec of the standalone module of ``kind``."""
    spec = dict(kind.OPTIONS)
    spec.update(COMMON_OPTIONS)
    return spec


def module_for(kind, supports_check_mode=True, extra_options=None):
    """The AnsibleModule of ``kind``'s standalone module: its options, constraints and the common ones."""
    spec = argument_spec(kind)
    spec.update(DEADLINE_OPTIONS)
    spec.update(extra_options or {})
    return AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kind.CONSTRAINTS)


def require_libraries(module, kind):
    """Fail with missing_required_lib when a library the kind needs is not importable."""
    for hint in missing_libraries(kind):
        module.fail_json(msg=missing_required_lib(hint))


def fail(module, exc):
    """The module's edge for the collection's errors: the message only, never a traceback, its control
    characters escaped (a message may quote a value from the host)."""
    module.fail_json(msg=escape_controls(safe_text(str(exc))))


def prepare(module, kind):
    """Libraries, then the kind's validation and thresholds, once: ``(config, compiled)``."""
    require_libraries(module, kind)
    params = module.params
    module.no_log_values.update(raw_secrets(kind, params))
    try:
        config = kind.validate(params)
        compiled = compile_thresholds(params.get("thresholds"), kind.METRICS, kind.DEFAULT_THRESHOLDS)
    except SreHealthError as exc:
        fail(module, exc)
    module.no_log_values.update(s for s in config.secrets if s)
    config.check_mode = module.check_mode
    return config, compiled


def run_module(kind, name=None):
    """The whole run of ``kind``'s standalone module: build, validate once, run, exit.

    The check runs as health_check runs it: in a child process stopped at ``check_timeout``.
    """
    module = module_for(kind)
    try:
        deadline = check_timeout("check_timeout", module.params["check_timeout"], allow_none=False)
    except SreHealthError as exc:
        fail(module, exc)
    config, compiled = prepare(module, kind)
    check = dict(name=name or kind.KIND, kind_name=kind.KIND, kind=kind, config=config, compiled=compiled,
                 timeout=deadline)
    results, _abandoned, _elapsed = run_checks([check], 1, deadline + 5.0)
    exit_results(module, results, module.params["fail_on"])


def exit_results(module, checks, fail_on, info=None, **extra):
    """Exit with the common return shape; fail when the worst status reaches ``fail_on``.

    ``info`` is ``summarize(checks)`` when the caller already has it (it is computed once).
    A check thread stuck in a system call (a hung mount) does not delay the exit: the runner's
    threads are daemon threads, which interpreter shutdown does not wait for, so the normal exit
    path (including AnsiballZ's clean-up of its payload directory) runs. os._exit() would skip that
    clean-up and leave payload directories behind in the remote temp dir.

    Every check's text is made printable once more here (``_status.printable``, a no-op on what
    ``make_result`` made): a kind that adds to a result after making it (the log kind's "incomplete",
    a remediation's outcome) cannot let a control character from the host through.
    """
    checks = [printable(check) if isinstance(check, dict) else check for check in checks]
    info = info or summarize(checks)
    summary = escape_controls(safe_text(info["summary"]))
    payload = dict(
        changed=False,
        status=info["status"],
        health=info["health"],
        summary=summary,
        checks=checks,
    )
    payload.update(extra)
    if should_fail(info["status"], fail_on):
        module.fail_json(msg=summary, **payload)
    module.exit_json(**payload)
