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
