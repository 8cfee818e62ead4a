# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Ansible side of every check module: common options, running a kind, exiting.

Each check kind (``_disk``, ``_memory``, ...) exposes ``KIND``, ``METRICS``,
``DEFAULT_THRESHOLDS``, ``OPTIONS`` (its argument spec), ``REQUIRES`` (Python libraries) and
``run(params, thresholds, name)``; standalone modules and ``health_check`` both call it here.
"""

from __future__ import annotations

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.sre.health.plugins.module_utils._status import (
    FAIL_ON_CHOICES,
    OptionError,
    ThresholdError,
    compile_thresholds,
    should_fail,
    summarize,
)

COMMON_OPTIONS = dict(
    fail_on=dict(type="str", default="critical", choices=list(FAIL_ON_CHOICES)),
    thresholds=dict(type="dict"),
)

# Python library import name -> what to install on the target, for missing_required_lib.
PACKAGES = {
    "psutil": "psutil (Debian/Ubuntu package python3-psutil, RHEL python3-psutil, or pip install psutil)",
    "requests": "requests (Debian/Ubuntu package python3-requests, or pip install requests)",
    "prometheus_client": "prometheus_client (Debian/Ubuntu package python3-prometheus-client, or pip install "
                         "prometheus-client)",
    "cryptography": "cryptography (Debian/Ubuntu package python3-cryptography, or pip install cryptography)",
}


def argument_spec(kind):
    """The full argument spec of the standalone module of ``kind``."""
    spec = dict(kind.OPTIONS)
    spec.update(COMMON_OPTIONS)
    return spec


def require_libraries(module, kind):
    """Fail with missing_required_lib when a library the kind needs is not importable."""
    for name, available in getattr(kind, "REQUIRES", {}).items():
        if not available():
            module.fail_json(msg=missing_required_lib(PACKAGES.get(name, name)))


def run_kind(module, kind, name=None):
    """Validate, run the check kind with the module's params, and exit the module."""
    require_libraries(module, kind)
    params = module.params
    try:
        compiled = compile_thresholds(params.get("thresholds"), kind.METRICS, kind.DEFAULT_THRESHOLDS)
        results = kind.run(params, compiled, name or kind.KIND)
    except (OptionError, ThresholdError) as exc:
        module.fail_json(msg=str(exc))
    exit_results(module, results, params["fail_on"])


def exit_results(module, checks, fail_on, **extra):
    """Exit with the common return shape; fail when the worst status reaches ``fail_on``.

    A check thread stuck in a system call (a hung mount) does not delay the exit: the runner's
    threads are daemon threads, which interpreter shutdown does not wait for, so the normal exit
    path (including AnsiballZ's clean-up of its payload directory) runs. os._exit() would skip that
    clean-up and leave payload directories behind in the remote temp dir.
    """
    info = summarize(checks)
    payload = dict(
        changed=False,
        status=info["status"],
        health=info["health"],
        summary=info["summary"],
        checks=checks,
    )
    payload.update(extra)
    if should_fail(info["status"], fail_on):
        module.fail_json(msg=info["summary"], **payload)
    module.exit_json(**payload)
