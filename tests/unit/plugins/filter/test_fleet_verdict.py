# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.sre.health.plugins.filter.fleet_verdict import fleet_verdict

DEFAULTS = {"health_check_fail_on": "critical", "health_check_judge": True, "health_check_show_summary": True}


def _result(status, health, *checks):
    return {"status": status, "health": health, "summary": "%d checks" % len(checks),
            "checks": [{"status": s, "summary": text} for s, text in checks]}


OK = _result("ok", "healthy", ("ok", "/ 20% used"))
WARNING = _result("warning", "degraded", ("warning", "/ 85% used"))
CRITICAL = _result("critical", "unhealthy", ("critical", "nginx: no process"))
UNKNOWN = _result("unknown", "unhealthy", ("unknown", "psutil missing"))


@pytest.mark.parametrize("own, failing", [
    ({}, ["crit", "unk"]),
    # each host's own settings, as Ansible gives them (inventory strings too)
    ({"warn": {"health_check_fail_on": "warning"}}, ["warn", "crit", "unk"]),
    ({"crit": {"health_check_fail_on": "never"}}, ["unk"]),
    ({"crit": {"health_check_judge": "false"}, "unk": {"health_check_judge": False}}, []),
])
def test_the_hosts_to_fail_follow_each_hosts_own_settings(own, failing):
    hostvars = {}
    for host, result in (("good", OK), ("warn", WARNING), ("crit", CRITICAL), ("unk", UNKNOWN)):
        hostvars[host] = dict(own.get(host, {}), health_check_result=result)
    assert fleet_verdict(hostvars, ["good", "warn", "crit", "unk"], DEFAULTS)["failing"] == failing


def test_lines_of_every_shown_host_in_order():
    hostvars = {"b": {"health_check_result": CRITICAL}, "a": {"health_check_result": OK},
                "quiet": {"health_check_result": OK, "health_check_show_summary": "no"}}
    verdict = fleet_verdict(hostvars, ["b", "a", "quiet"], DEFAULTS)
    assert verdict["lines"] == ["b is unhealthy (critical)", "CRITICAL  nginx: no process",
                                "a is healthy (ok)", "OK  / 20% used"]
    assert verdict["failing"] == ["b"]


def test_a_host_never_checked_is_failed_and_says_so():
    verdict = fleet_verdict({"lost": {}, "odd": {"health_check_result": "garbage"}}, ["lost", "odd"], DEFAULTS)
    assert verdict["failing"] == ["lost", "odd"]
    assert verdict["lines"][:2] == ["lost is unhealthy (unknown)", "not checked: no health_check_result recorded"]


@pytest.mark.parametrize("hostvars, hosts, defaults, message", [
    ({"a": {"health_check_result": OK, "health_check_fail_on": "critcal"}}, ["a"], DEFAULTS,
     "health_check_fail_on of a is 'critcal'; accepted: critical, warning, never"),
    ({"a": {"health_check_result": OK, "health_check_judge": "maybe"}}, ["a"], DEFAULTS,
     "health_check_judge of a is 'maybe'; accepted: a boolean"),
    ({"a": {"health_check_result": OK}}, ["a"], {}, "health_check_show_summary of a has no value and no default"),
    ({}, ["ghost"], DEFAULTS, "'ghost' is not a host of the inventory"),
    ({}, "a,b", DEFAULTS, "hosts must be a list of host names"),
    ({}, [], ["x"], "defaults must be a dict"),
])
def test_bad_input_is_a_clear_error(hostvars, hosts, defaults, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fleet_verdict(hostvars, hosts, defaults)
