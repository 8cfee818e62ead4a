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
