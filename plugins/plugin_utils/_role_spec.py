# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A role's variables against the role's own argument spec, inside another action's task: Ansible's own
ansible.builtin.validate_argument_spec action is run on a copy of the task, over the options of one entry
point of the spec file, so that the variables are read from the task variables, templated, validated, and a
bad one reported exactly as that action (and a role's own validation) reports it."""

from __future__ import annotations

import copy
import os

import yaml

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError


class RoleSpecError(SreHealthError):
    """The spec file or entry point cannot be used."""


def _load(path):
    """The YAML document of ``path``, parsed once per process (both references of a task to a spec file cost
    one parse). A role's argument spec is plain YAML: a C loader parses it in a few ms, where Ansible's own loader
    (tagging every value with its origin, then copying the cached document on every read) takes about 70 ms."""
    stat = os.stat(path)
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        with open(path, "rb") as handle:
            _PARSED[key] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return copy.deepcopy(_PARSED[key])


_PARSED = {}


def entry_options(path, entry):
    """The ``options`` of entry point ``entry`` of the argument spec file ``path`` (a role's
    meta/argument_specs.yml); raise RoleSpecError naming the option at fault."""
    try:
        data = _load(path)
    except (OSError, yaml.YAMLError) as exc:
        raise RoleSpecError("option argument_spec_file: cannot read %r (%s); accepted: a role's "
                            "meta/argument_specs.yml, such as '{{ role_path }}/meta/argument_specs.yml'"
                            % (path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
    specs = data.get("argument_specs") if isinstance(data, dict) else None
    if not isinstance(specs, dict):
        raise RoleSpecError("option argument_spec_file: %r has no argument_specs dict; accepted: a role's "
                            "meta/argument_specs.yml" % (path,))
    if not isinstance(specs.get(entry), dict):
        raise RoleSpecError("option argument_spec_entry: %r is not an entry point of %s; accepted: %s"
                            % (entry, path, ", ".join(sorted(str(name) for name in specs)) or "none there"))
    spec = specs[entry].get("options") or {}
    if not isinstance(spec, dict):
        raise RoleSpecError("option argument_spec_file: the options of entry point %r in %s are not a dict; "
                            "accepted: a role's meta/argument_specs.yml" % (entry, path))
    return spec


def check(action, spec, task_vars):
    """Run ansible.builtin.validate_argument_spec with ``spec`` in ``action``'s task; its result (``failed``,
    ``msg``, ``argument_errors``, ``argument_spec_data``, ``validate_args_context``) when a variable is bad,
    else None."""
    task = action._task.copy()
    task.args.clear()
    task.args.update(argument_spec=spec)
    validate = action._shared_loader_obj.action_loader.get(
        "ansible.builtin.validate_argument_spec", task=task, connection=action._connection,
        play_context=action._play_context, loader=action._loader, templar=action._templar,
        shared_loader_obj=action._shared_loader_obj)
    result = validate.run(task_vars=task_vars)
    return result if result.get("failed") else None
