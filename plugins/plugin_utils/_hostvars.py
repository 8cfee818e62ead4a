# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A host's variables read on the controller, as ``hostvars[host][name]`` gives them, at less cost.

``hostvars[host][name]`` templates the value, and templating a container copies all of it: for a recorded
health_check result, about 4 ms a host, in every controller task that reads every host's result. A value with
no string trusted as a template (a fact, a module's result: only strings from the playbook or the inventory are
trusted) templates to itself, so it is taken as it is, as is a trusted string without Jinja's delimiters; any
other value is templated as ``hostvars`` does."""

from __future__ import annotations

from ansible.module_utils.common.validation import check_type_list, check_type_str
from ansible.template import is_trusted_as_template

# What starts a Jinja expression, statement or comment: a string without any is no template.
JINJA_MARKS = ("{{", "{%", "{#")


def host_values(hostvars, host, names):
    """``{name: value}`` of the variables of ``names`` that ``host`` (which must be in ``hostvars``) has."""
    # raw_get and hostvars[host] each gather all the host's variables: once each at most
    raw = hostvars.raw_get(host) if hasattr(hostvars, "raw_get") else hostvars[host]
    values, templated = {}, None
    for name in names:
        if name not in raw:
            continue
        value = raw[name]
        if not is_plain(value):
            templated = hostvars[host] if templated is None else templated
            value = templated[name]
        values[name] = value
    return values


def is_plain(value):
    """Whether templating ``value`` gives it back unchanged: no string in it is trusted as a template."""
    if isinstance(value, str):
        # a trusted string templates to itself unless it holds Jinja's delimiters (an extra variable, say)
        return not is_trusted_as_template(value) or not any(mark in value for mark in JINJA_MARKS)
    if isinstance(value, dict):
        return all(is_plain(key) and is_plain(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return all(is_plain(item) for item in value)
    return value is None or isinstance(value, (bool, int, float))


def host_results(hostvars, hosts, name):
    """The value of variable ``name`` of every host of ``hosts`` that has it, in that order."""
    values = (host_values(hostvars, host, (name,)) for host in hosts if host in hostvars)
    return [value[name] for value in values if name in value]


def result_var_problem(name):
    """The error message for a bad ``result_var`` option (None when unset or good)."""
    if name is None or (isinstance(name, str) and name.isidentifier()):
        return None
    return ("option result_var: %r is invalid; accepted: the name of a variable of the hosts, such as "
            "health_check_result" % (name,))


def with_host_results(args, task_vars):
    """A copy of a task's arguments where ``result_var`` (a variable name) and ``hosts`` are replaced by
    ``results``: the value of that variable of every host of ``hosts`` that has it, as ``ansible_play_hosts_all |
    map('extract', hostvars) | selectattr(var, 'defined')`` gives them, without templating every host's result
    (fleet_report and fleet_alert, on the controller). Left as they are when they cannot be read so: the options'
    validation then names what is wrong (both results and result_var, hosts not a list of names)."""
    args = dict(args)
    name = args.get("result_var")
    try:
        # as the validation reads hosts (a list, or names separated by commas)
        hosts = [check_type_str(host) for host in check_type_list(args.get("hosts") or [])]
    except TypeError:
        hosts = None
    if isinstance(name, str) and args.get("results") is None and hosts is not None:
        del args["result_var"]
        # (hostvars is empty, so false, when the inventory is: localhost is implicit)
        hostvars = task_vars.get("hostvars")
        args["results"] = host_results({} if hostvars is None else hostvars, hosts, name)
    return args
