# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sre.health.plugins.filter.result_lines import result_lines


@pytest.mark.parametrize("result, host, lines", [
    ({"host": "web1", "status": "ok", "health": "healthy", "summary": "2 checks ok",
      "checks": [{"status": "ok", "summary": "/ 24% used"}, {"status": "critical", "summary": "nginx: no process"}]},
     None, ["web1 is healthy (ok)", "OK  / 24% used", "CRITICAL  nginx: no process"]),
    # the host given wins over the result's own; a result without checks says why
    ({"host": "x", "status": "unknown", "health": "unhealthy", "summary": "unreachable: refused", "checks": []},
     "gone", ["gone is unhealthy (unknown)", "unreachable: refused"]),
    # malformed parts of a result from a host are shown as unknown, never a traceback
    ({"checks": [None, {"status": 3}]}, "odd", ["odd is unhealthy (unknown)", "UNKNOWN  ", "UNKNOWN  "]),
])
def test_lines(result, host, lines):
    assert result_lines(result, host) == lines


def test_not_a_result():
    with pytest.raises(AnsibleFilterError, match="expected a health result"):
        result_lines(["web1"])


def test_control_characters_are_shown_escaped_never_raw():
    # a result as a host could send it (or as an older module returned it): ESC, CR and LF forge lines
    result = {"status": "critical", "health": "unhealthy\x1b[32m", "summary": "x",
              "checks": [{"status": "critical", "summary": "/srv/\x1b[31mred\rOK  all fine\nOK  \u202egpj.exe\x9b2J"}]}
    lines = result_lines(result, "web\x1b]0;owned\x07")
    assert lines == ["web\\x1b]0;owned\\x07 is unhealthy\\x1b[32m (critical)",
                     "CRITICAL  /srv/\\x1b[31mred\\rOK  all fine\\nOK  \\u202egpj.exe\\x9b2J"]
    for line in lines:
        assert not any(c in line for c in "\x1b\r\n\x07\x9b\u202e")
    # a host that was not reached: its summary is the connection's error
    assert result_lines({"summary": "unreachable: banner\r\x1b[2J", "checks": []}, "h")[1] == \
        "unreachable: banner\\r\\x1b[2J"
