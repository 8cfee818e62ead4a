# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: result_lines
short_description: One line per check of a host's health result, as the health_check role prints them
version_added: 1.1.0
description:
  - 'From a host''s result (the C(health_check_result) fact the health_check role records, or the return
    of C(sre.health.health_check)): a headline C(<host> is <health> (<status>)), then one line per check,
    C(<STATUS>  <summary>); a result without checks (a host that was not reached, a definition that was
    refused) gives its summary instead.'
  - 'Control characters in the text (ESC, CR, LF, NUL, C1 controls, Unicode bidi controls, from file names,
    log lines, DNS records) are shown as escapes such as C(\x1b), C(\r), C(\n), C(\u202e): one line per check,
    and nothing a host sends can rewrite the reader''s terminal.'
  - The health_check role prints these when it judges each host; a play can send them on (a chat message,
    a ticket).
author:
  - sre.health developers (!UNKNOWN)
options:
  _input:
    description: The result, a dict with C(status), C(health), C(summary) and C(checks).
    type: dict
    required: true
  host:
    description: The host named in the headline; default the result's own C(host).
    type: str
"""

EXAMPLES = r"""
- name: Print a host's lines
  ansible.builtin.debug:
    msg: "{{ health_check_result | sre.health.result_lines }}"
"""

RETURN = r"""
_value:
  description: The lines.
  type: list
  elements: str
  sample: ["web1 is healthy (ok)", "OK  / 24.5% used, 76.6 GiB free of 252 GiB, inodes 3.1% used"]
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.sre.health.plugins.module_utils._printable import escape_controls
from ansible_collections.sre.health.plugins.module_utils._status import safe_text


def _text(value, default=""):
    return escape_controls(safe_text(value)) if isinstance(value, str) else default


def result_lines(result, host=None):
    if not isinstance(result, dict):
        raise AnsibleFilterError("result_lines: expected a health result (a dict with status, health, summary and "
                                 "checks), got %r" % (result,))
    name = _text(host) if isinstance(host, str) and host else _text(result.get("host"), "host")
    lines = ["%s is %s (%s)" % (name, _text(result.get("health"), "unhealthy"), _text(result.get("status"), "unknown"))]
    checks = result.get("checks") if isinstance(result.get("checks"), list) else []
    for check in checks:
        check = check if isinstance(check, dict) else {}
        lines.append("%s  %s" % (_text(check.get("status"), "unknown").upper(), _text(check.get("summary"))))
    if not checks:
        lines.append(_text(result.get("summary")))
    return lines


class FilterModule(object):
    def filters(self):
        return {"result_lines": result_lines}
