# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""health_check runs its module on the host as any module runs (resource_check's, when every check is of its
kinds); with ``result_fact`` it also records the host's result as that fact, in the same task.

The health_check role used to follow the module with a ``set_fact`` task to record the result: one
more task, so one more worker fork and result round on the controller for every host of every run
(about 60 ms of controller time per host, the biggest of the role's per-host costs after the run
itself). Recording here costs nothing on the host and little on the controller.

With ``result_fact``, a host that cannot be reached is recorded too (status ``unknown``, the
summary ``unreachable: <the connection's error>``) and the task does not end the host's play, so that
the fleet reports say why; the role judges it at the end like any other host.
"""

from __future__ import annotations

from ansible.errors import AnsibleConnectionFailure, AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.sre.health.plugins.filter.merge_checks import merge_checks
from ansible_collections.sre.health.plugins.module_utils._kinds_resource import NAMES as RESOURCE_KINDS
from ansible_collections.sre.health.plugins.module_utils._printable import escape_controls

# The options handled here, on the controller; the module accepts and ignores them.
CONTROLLER_OPTIONS = ("result_fact", "result_note", "merge_vars", "option_vars", "fail_on_missing_libraries")
_VARIABLE_NAME = "a variable name (letters, digits and underscores, not starting with a digit)"
# Ansible's prefix on a connection error's message, which says nothing to a reader of a report.
_TASK_FAILED = "Task failed: "


def _text(value):
    return value if isinstance(value, str) else ""


def _strip_prefix(message):
    message = _text(message)
    return message[len(_TASK_FAILED):] if message.startswith(_TASK_FAILED) else message


def record(host, result, note=""):
    """The ``health_check_result`` fact of ``host`` from a module result (or an unreachable one).

    ``{host, status, health, summary, checks, counts}``: a run that failed before checking (a bad
    definition) or a host that was not reached is ``unknown``/``unhealthy`` with the reason as
    its summary. ``note`` is appended to the summary (the role says there why a missing library
    was not installed). The summary's control characters are escaped: a connection's error can quote
    what the host sent, and the role prints the summary in its failure message.
    """
    if result.get("unreachable"):
        summary = "unreachable: " + _strip_prefix(result.get("msg"))
    else:
        summary = _text(result.get("summary")) or _text(result.get("msg")) or "health_check did not run"
    return {
        "host": host,
        "status": _text(result.get("status")) or "unknown",
        "health": _text(result.get("health")) or "unhealthy",
        "summary": escape_controls(summary + (_text(note) and "; " + note)),
        "checks": result.get("checks") if isinstance(result.get("checks"), list) else [],
        "counts": result.get("counts") if isinstance(result.get("counts"), dict) else {},
    }


class OptionProblem(Exception):
    """A controller option that cannot be used; ``record`` when the host's result must say so (a bad check list)."""

    def __init__(self, message, record=False):
        super(OptionProblem, self).__init__(message)
        self.record = record


def controller_options(args):
    """Pop the controller's options from ``args``: ``{option: value}``, or OptionProblem naming the bad one."""
    found = dict((option, args.pop(option, None)) for option in CONTROLLER_OPTIONS)
    for option in ("result_fact", "result_note", "merge_vars"):
        if found[option] is not None and not isinstance(found[option], str):
            raise OptionProblem("option %s: %r is invalid; accepted: a string" % (option, found[option]))
    for option in ("result_fact", "merge_vars"):
        if found[option] is not None and not found[option].isidentifier():
            raise OptionProblem("option %s: %r is invalid; accepted: %s" % (option, found[option], _VARIABLE_NAME))
    option_vars = found["option_vars"]
    if option_vars is not None and not (isinstance(option_vars, dict) and all(
            isinstance(k, str) and isinstance(v, str) and v.isidentifier() for k, v in option_vars.items())):
        raise OptionProblem("option option_vars: %r is invalid; accepted: a dict of option names to %ss"
                            % (option_vars, _VARIABLE_NAME))
    if found["fail_on_missing_libraries"] is not None:
        try:
            found["fail_on_missing_libraries"] = boolean(found["fail_on_missing_libraries"], strict=True)
        except TypeError:
            raise OptionProblem("option fail_on_missing_libraries: %r is invalid; accepted: true or false"
                                % (found["fail_on_missing_libraries"],))
    return found


def options_from_vars(args, option_vars, variables, template):
    """Set each option of ``option_vars`` (``{option: variable name}``) to that variable's value, templated by
    ``template``; returns the controller options among them (``fail_on_missing_libraries``).

    The health_check role passes its settings this way: a task argument ``"{{ health_check_max_workers }}"``
    compiles a Jinja template in every host's worker process (about 3 ms of controller CPU each, eight of them
    per host), while reading a variable by its name compiles nothing."""
    controller = {}
    for option, name in sorted((option_vars or {}).items()):
        if option in args:
            raise OptionProblem("option option_vars: %s is also given in the task; accepted: one or the other"
                                % option)
        if name not in variables:
            raise OptionProblem("option option_vars: the variable %s (for %s) is undefined" % (name, option))
        value = template(variables[name])
        if option == "fail_on_missing_libraries":
            try:
                controller[option] = boolean(value, strict=True)
            except TypeError:
                raise OptionProblem("option fail_on_missing_libraries: %r (from %s) is invalid; accepted: true or "
                                    "false" % (value, name))
        else:
            args[option] = value
    return controller


def judge_failure(result, fail_on_missing):
    """Say which libraries the host lacks, if any. With ``fail_on_missing`` set (not None), the task's failure is
    exactly this: true fails it when, and only when, OS packages would give the host what it lacks (the health_check
    role's rescue installs them and checks again); false never fails it. Anything else the result says (a bad
    definition, any status) is then the recorded fact's business, judged at the end."""
    missing = result.get("missing_libraries")
    if missing and isinstance(missing, list) and not result.get("msg"):
        result["msg"] = "the checks lack Python libraries on this host: %s (OS packages: %s)" % (
            ", ".join(map(str, missing)), ", ".join(map(str, result.get("missing_packages") or [])))
    if fail_on_missing is not None:
        result["failed"] = bool(fail_on_missing and missing and result.get("missing_packages"))


def merged_checks(checks, variables, name, template):
    """``checks``, then the checks of the variable ``name`` and of every variable ``<name>_<suffix>`` (sorted by
    name), merged by check name as the ``merge_checks`` filter does. ``template`` renders a variable's value.

    Done here rather than in the role's Jinja (``query('varnames')``, ``merge_checks``): templating that in the
    task's worker process costs every host about 25 ms of controller time (loading the lookup and every filter
    file of the collection), this a fraction of a millisecond."""
    prefix = name + "_"
    names = [name] if name in variables else []
    names += sorted(var for var in variables if var.startswith(prefix) and len(var) > len(prefix))
    return merge_checks(checks, *[template(variables[var]) for var in names])


def module_for(checks, module, light_module, light_kinds):
    """The module to run for ``checks``: ``light_module`` when every entry is of one of ``light_kinds``, else ``module``.

    health_check runs resource_check in its place when its checks only measure the host's own resources (the
    health_check role's defaults do): the same code and results from a payload without the ten other kinds, which
    every host pays for byte by byte. Anything else, an entry that is not a dict or names no such kind included,
    goes to health_check itself, which accepts or refuses it with the message naming every kind."""
    if light_module and isinstance(checks, list) and checks and all(
            isinstance(entry, dict) and isinstance(entry.get("kind"), str) and entry["kind"] in light_kinds
            for entry in checks):
        return light_module
    return module


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    # The module this action runs, and the lighter one it runs instead when every check is of its kinds.
    MODULE = "sre.health.health_check"
    LIGHT_MODULE = "sre.health.resource_check"

    def _module_args(self, args, options, task_vars):
        """The module's arguments: the merged checks and the textfile's host label; or OptionProblem."""
        if options["merge_vars"]:
            try:
                args["checks"] = merged_checks(args.get("checks") or [], task_vars, options["merge_vars"],
                                               self._templar.template)
            except AnsibleFilterError as exc:
                # A bad definition is the host's result (unknown, with the reason), as the module's own refusal is.
                raise OptionProblem("option merge_vars: " + str(exc).replace("merge_checks: ", "", 1), record=True)
        if args.get("textfile_dir") and not args.get("textfile_host"):
            # the host label of the host's textfile is its inventory name, as in the fleet reports
            args["textfile_host"] = task_vars.get("inventory_hostname")
        return args

    def run(self, tmp=None, task_vars=None):
        self._supports_async = True
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        host = task_vars.get("inventory_hostname")
        args = dict(self._task.args)
        options = {}
        try:
            options = controller_options(args)
            options.update(options_from_vars(args, options["option_vars"], task_vars, self._templar.template))
            args = self._module_args(args, options, task_vars)
        except OptionProblem as exc:
            result.update(failed=True, msg=str(exc), changed=False)
            if exc.record:
                judge_failure(result, options.get("fail_on_missing_libraries"))
                if options.get("result_fact"):
                    result["ansible_facts"] = {options["result_fact"]: record(host, result, options["result_note"])}
            return result
        fact, note = options["result_fact"], options["result_note"]
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        try:
            module = module_for(args.get("checks"), self.MODULE, self.LIGHT_MODULE, RESOURCE_KINDS)
            result.update(self._execute_module(module_name=module, module_args=args, task_vars=task_vars,
                                               wrap_async=wrap_async))
        except AnsibleConnectionFailure as exc:
            if not fact:
                raise
            # Recorded, not raised: the host stays in the play, and the reports say why it is unknown.
            unreachable = {"unreachable": True, "msg": str(exc)}
            result.update(changed=False, msg="unreachable: " + _strip_prefix(str(exc)),
                          ansible_facts={fact: record(host, unreachable, note)})
            return result
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
            judge_failure(result, options["fail_on_missing_libraries"])
            if fact:
                result["ansible_facts"] = {fact: record(host, result, note)}
        return result
