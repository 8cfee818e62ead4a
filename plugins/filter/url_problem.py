# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: url_problem
short_description: Tell why a value is not a usable http(s) URL
version_added: 1.0.0
description:
  - Checks a URL with the same rule as the modules' C(url) options (the collection's one URL rule). A usable
    URL has the scheme C(http) or C(https), a host, a port from 1 to 65535 if one is given, and no spaces or
    control characters.
  - Returns an empty string for a usable URL, else one line naming the option and the problem, for
    C(ansible.builtin.assert)'s C(fail_msg). With O(secret=true) the value is never quoted (webhook
    URLs carry tokens); otherwise it is shown with its password and credential-like query values masked.
author:
  - sre.health developers (!UNKNOWN)
options:
  _input:
    description: The URL to check.
    type: raw
    required: true
  option:
    description: The name of the variable or option the URL comes from, for the message.
    type: str
    default: url
  secret:
    description: Whether the whole URL is a secret and must not appear in the message.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Check the webhook URL's form before any work
  ansible.builtin.assert:
    that: problem | length == 0
    fail_msg: "{{ problem }}"
    quiet: true
  vars:
    problem: "{{ fleet_report_webhook_url | sre.health.url_problem('fleet_report_webhook_url', secret=true) }}"
"""

RETURN = r"""
_value:
  description: An empty string when the URL is usable, else the problem in one line.
  type: str
"""


def url_problem(url, option="url", secret=False):
    # imported here: Ansible imports every filter file of a collection in every worker that uses one of them
    from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
    from ansible_collections.sre.health.plugins.module_utils._web.urls import check_url

    try:
        check_url(url, option=option, secret=bool(secret))
    except SreHealthError as exc:
        return str(exc)
    return ""


class FilterModule(object):
    def filters(self):
        return {"url_problem": url_problem}
