# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The run of ``health_check`` and ``resource_check``: many checks, of the kinds of the module's registry, in one
module run. The two modules differ in their registry only (``_kinds_all``, ``_kinds_resource``), so in what their
AnsiballZ payload carries."""

from __future__ import annotations

import os
import platform
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.sre.health.plugins.module_utils._checks import (
    MAX_WORKERS_LIMIT,
    prepare,
    secrets_of_entries,
    run_checks,
)
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import missing_imports, os_packages
from ansible_collections.sre.health.plugins.module_utils._module import COMMON_OPTIONS, exit_results, fail
from ansible_collections.sre.health.plugins.module_utils._status import check_timeout, summarize


def _check_options(module):
    params = module.params
    if not 1 <= params["max_workers"] <= MAX_WORKERS_LIMIT:
        module.fail_json(msg="option max_workers: %r is invalid; accepted: 1 to %d"
                         % (params["max_workers"], MAX_WORKERS_LIMIT))
    try:
        for option in ("check_timeout", "timeout"):
            check_timeout(option, params[option], allow_none=False)
    except SreHealthError as exc:
        fail(module, exc)
    if params["textfile_dir"] is not None:
        # only a run that writes the host textfile pays for importing its writer
        from ansible_collections.sre.health.plugins.module_utils import _textfile
        try:
            _textfile.check_dir(params["textfile_dir"])
            _textfile.check_name(params["textfile_name"])
        except SreHealthError as exc:
            fail(module, exc)
    if params.get("thresholds"):
        module.fail_json(msg="option thresholds: not used by health_check; accepted: thresholds inside each "
                             "entry of checks")


def _write_textfile(module, results, info):
    """The host textfile, when asked for: ``{path, written, reason}``; a file that cannot be written is a
    warning, never a failure, and the checks' results are returned all the same."""
    from ansible_collections.sre.health.plugins.module_utils import _textfile

    params = module.params
    host = params["textfile_host"] or platform.node() or "localhost"
    outcome = _textfile.write_host_textfile(
        params["textfile_dir"], params["textfile_name"],
        [{"host": host, "status": info["status"], "checks": results}], time.time(), check_mode=module.check_mode,
        # what Ansible masks in the module's output is masked in the file too
        redact=lambda text: remove_values(text, module.no_log_values))
    if not outcome["written"] and not module.check_mode:
        module.warn("textfile_dir: the Prometheus textfile was not written: %s; the checks ran and are reported"
                    % outcome["reason"])
    return outcome


# _textfile.DEFAULT_NAME (a test holds them equal), written here so that a run without textfile_dir does not import
# the textfile writer.
DEFAULT_TEXTFILE_NAME = "sre_health.prom"


def main(kinds):
    """The module's whole run, accepting the check kinds of ``kinds`` (a ``_registry.Registry``)."""
    argument_spec = dict(
        checks=dict(type="list", elements="dict", required=True),
        max_workers=dict(type="int", default=8),
        check_timeout=dict(type="float", default=30),
        timeout=dict(type="float", default=60),
        # Handled by the action plugin on the controller (plugins/action/health_check.py).
        result_fact=dict(type="str"),
        result_note=dict(type="str"),
        merge_vars=dict(type="str"),
        option_vars=dict(type="dict"),
        fail_on_missing_libraries=dict(type="bool"),
        textfile_dir=dict(type="str"),
        textfile_name=dict(type="str", default=DEFAULT_TEXTFILE_NAME),
        # Set by the action plugin to the inventory name.
        textfile_host=dict(type="str"),
    )
    argument_spec.update(COMMON_OPTIONS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    _check_options(module)
    # Credentials are masked in everything Ansible prints: the raw no_log options of every entry
    # before validating (an invalid entry must not show the others'), then each config's secrets.
    module.no_log_values.update(secrets_of_entries(params["checks"], kinds))
    try:
        prepared = prepare(params["checks"], params["check_timeout"], kinds, check_mode=module.check_mode)
    except SreHealthError as exc:
        fail(module, exc)
    for check in prepared:
        module.no_log_values.update(s for s in check["config"].secrets if s)
    results, _abandoned, elapsed = run_checks(prepared, params["max_workers"], params["timeout"])
    info = summarize(results)
    missing = missing_imports((check["kind"], check["config"]) for check in prepared)
    extra = {}
    if params["textfile_dir"]:
        extra["textfile"] = _write_textfile(module, results, info)
    exit_results(module, results, params["fail_on"], info=info, counts=info["counts"],
                 duration_ms=round(elapsed * 1000.0, 3), missing_libraries=missing,
                 missing_packages=os_packages(missing), uid=os.getuid(), **extra)
