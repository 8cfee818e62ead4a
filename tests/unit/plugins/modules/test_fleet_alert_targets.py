# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_alert's targets end to end, through the real ansible CLI, against the real programs on 127.0.0.1: Debian's
Alertmanager (one per test, two for an HA pair), a PagerDuty stand-in that checks the Events API v2 schema, a
webhook receiver, and hostile peers."""

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils import webhooks as W
from ansible_collections.sre.health.tests.unit.plugins.module_utils.alertmanager import Alertmanager, wait_for
from ansible_collections.sre.health.tests.unit.plugins.modules.test_fleet_alert import BAD, FINE, host
from ansible_collections.sre.health.tests.unit.plugins.modules.test_fleet_alert import assert_clean as _assert_clean
from ansible_collections.sre.health.tests.unit.utils import run_module

ROUTING_KEY = "R0UTk3yS3CR3Tabcdef0123456789ABC"
SECRETS = ("s3cr3t-t0ken-never-shown", "query-s3cr3t", "T0SREHEALTH", ROUTING_KEY, "hdr-s3cr3t")


def assert_clean(run, state_file=None):
    _assert_clean(run, state_file, SECRETS)


@pytest.fixture
def notified():
    """The webhook receiver Alertmanager itself notifies (to see its firing and resolved notifications)."""
    server = W.Receiver()
    yield server
    server.close()


@pytest.fixture
def alertmanager(tmp_path, notified):
    manager = Alertmanager(tmp_path / "am", notify_url="http://127.0.0.1:%d/am" % notified.port)
    yield manager
    manager.close()


@pytest.fixture
def pagerduty():
    server = W.PagerDuty()
    yield server
    server.close()


@pytest.fixture
def state(tmp_path):
    return str(tmp_path / "reports" / ".alert-state.json")


def alert(state_file, results, targets, check=False, **params):
    return run_module("fleet_alert", dict(params, results=results, targets=targets, state_file=state_file),
                      check=check)


def ours(manager):
    return [a for a in manager.alerts() if a["labels"].get("source") == "sre.health"]


def test_alertmanager_holds_the_alert_with_its_labels_then_resolves_it(alertmanager, notified, state):
    targets = [dict(type="alertmanager", url=alertmanager.url, generator_url="https://awx.example.com/#/jobs/1")]
    first = alert(state, BAD, targets, run_interval="10m")
    assert not first.failed, first.result
    assert [(s["target"], s["event"], s["key"]) for s in first.result["sent"]] == [
        ("alertmanager", "firing", "web1/disk:/var")]
    (held,) = ours(alertmanager)
    assert held["labels"] == {"alertname": "SreHealthCheck", "host": "web1", "check": "disk:/var", "kind": "disk",
                              "severity": "critical", "source": "sre.health"}
    assert held["annotations"]["summary"] == "web1 disk:/var: CRITICAL: disk:/var is critical"
    assert held["status"]["state"] == "active" and held["generatorURL"] == "https://awx.example.com/#/jobs/1"
    # it ends three intervals (30 minutes) from now unless sent again
    ends = time.mktime(time.strptime(held["endsAt"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert 29 * 60 < ends - time.time() <= 30 * 60 + 5
    # Alertmanager's own notification came through its route
    fired = wait_for(lambda: [p for p in notified.payloads() if p["status"] == "firing"])
    assert fired and fired[0]["alerts"][0]["labels"]["host"] == "web1"

    again = alert(state, BAD, targets, run_interval="10m")
    assert not again.result["changed"] and [r["event"] for r in again.result["refreshed"]] == ["refresh"]
    assert len(ours(alertmanager)) == 1

    recovered = alert(state, FINE, targets, run_interval="10m")
    assert recovered.result["changed"] and [r["event"] for r in recovered.result["recovered"]] == ["resolved"]
    # resolved: no longer among the alerts Alertmanager holds, and it told its receiver so
    assert wait_for(lambda: ours(alertmanager) == [], 5)
    resolved = wait_for(lambda: [p for p in notified.payloads() if p["status"] == "resolved"])
    assert resolved and resolved[0]["alerts"][0]["labels"]["check"] == "disk:/var"
    assert_clean(recovered, state)


def test_a_silence_created_in_alertmanager_suppresses_the_alert(alertmanager, state):
    silence = alertmanager.silence({"host": "web1", "alertname": "SreHealthCheck"})
    run = alert(state, BAD, [dict(type="alertmanager", url=alertmanager.url)])
    assert not run.failed, run.result
    (held,) = wait_for(lambda: [a for a in ours(alertmanager) if a["status"]["state"] == "suppressed"])
    assert held["status"]["silencedBy"] == [silence]


def test_an_alertmanager_ha_pair_both_get_every_alert(tmp_path, state):
    pair = [Alertmanager(tmp_path / "am1"), Alertmanager(tmp_path / "am2")]
    try:
        targets = [dict(type="alertmanager", name="am", urls=[m.url for m in pair])]
        unreachable = dict(host="db1", status="unknown", summary="unreachable: ssh refused", checks=[])
        run = alert(state, BAD + [unreachable], targets)
        assert not run.failed, run.result
        assert sorted((s["target"], s["key"]) for s in run.result["sent"]) == [
            ("am#1", "db1"), ("am#1", "web1/disk:/var"), ("am#2", "db1"), ("am#2", "web1/disk:/var")]
        for manager in pair:
            labels = sorted((a["labels"]["alertname"], a["labels"]["host"], a["labels"]["severity"])
                            for a in ours(manager))
            assert labels == [("SreHealthCheck", "web1", "critical"), ("SreHealthHost", "db1", "critical")]
        # one of the pair goes down: the other still gets the recovery, the missing one the next run
        pair[1].close()
        recovered = alert(state, FINE, targets, retries=0)
        assert [r["target"] for r in recovered.result["recovered"]] == ["am#1"]
        assert [u["target"] for u in recovered.result["undelivered"]] == ["am#2"]
        assert "connection refused" in recovered.result["undelivered"][0]["reason"]
        assert ours(pair[0]) == [a for a in ours(pair[0]) if a["labels"]["host"] == "db1"]
    finally:
        for manager in pair:
            manager.close()


def test_pagerduty_events_follow_the_schema_trigger_then_resolve(pagerduty, state):
    targets = [dict(type="pagerduty", url=pagerduty.url, routing_key=ROUTING_KEY)]
    first = alert(state, BAD, targets)
    assert not first.failed, first.result
    assert pagerduty.problems == [] and first.result["undelivered"] == []
    (trigger,) = pagerduty.events()
    assert trigger["event_action"] == "trigger" and trigger["dedup_key"] == "sre.health/web1/disk:/var"
    assert trigger["payload"]["source"] == "web1" and trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["component"] == "disk:/var" and trigger["payload"]["custom_details"]["status"] == \
        "critical"
    pagerduty.clear()
    second = alert(state, FINE, targets)
    assert pagerduty.problems == [] and second.result["changed"]
    assert pagerduty.events() == [{"routing_key": ROUTING_KEY, "dedup_key": "sre.health/web1/disk:/var",
                                   "event_action": "resolve"}]
    assert_clean(first, state)
    assert_clean(second, state)


def test_pagerduty_429_is_retried_and_severities_are_mapped(pagerduty, state):
    pagerduty.busy = 1
    results = [host("web1", ("disk:/var", "warning")), host("web2", ("probe", "unknown"))]
    run = alert(state, results, [dict(type="pagerduty", url=pagerduty.url, routing_key=ROUTING_KEY)],
                alert_on=["critical", "warning", "unknown"])
    assert not run.failed and run.result["undelivered"] == [], run.result
    assert pagerduty.problems == [] and len(pagerduty.requests) == 3
    severities = dict((e["payload"]["source"], e["payload"]["severity"]) for e in pagerduty.events()
                      if e["event_action"] == "trigger")
    assert severities == {"web1": "warning", "web2": "error"}


def test_every_target_at_once_one_hostile_none_blocked(alertmanager, pagerduty, state):
    receiver = W.Receiver()
    hostile = W.Hostile("trickle")
    try:
        targets = [dict(type="webhook", url=receiver.url, headers={"Authorization": "Bearer hdr-s3cr3t"}),
                   dict(type="alertmanager", url=alertmanager.url),
                   dict(type="pagerduty", url=pagerduty.url, routing_key=ROUTING_KEY),
                   dict(type="webhook", name="hostile", url=hostile.url)]
        started = time.monotonic()
        run = alert(state, BAD, targets, timeout=3, retries=0)
        assert time.monotonic() - started < 60
    finally:
        hostile.close()
    try:
        assert not run.failed, run.result
        assert sorted(s["target"] for s in run.result["sent"]) == ["alertmanager", "pagerduty", "webhook"]
        assert [u["target"] for u in run.result["undelivered"]] == ["hostile"]
        assert len(receiver.payloads()) == 1 and len(ours(alertmanager)) == 1 and len(pagerduty.events()) == 1
        assert "to target hostile not delivered" in run.stdout + run.stderr
        assert_clean(run, state)
    finally:
        receiver.close()


def test_silences_hold_the_alert_from_every_target(alertmanager, pagerduty, state):
    until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    targets = [dict(type="alertmanager", url=alertmanager.url),
               dict(type="pagerduty", url=pagerduty.url, routing_key=ROUTING_KEY)]
    run = alert(state, BAD, targets, silences=[dict(host="web*", check="disk:*", until=until, reason="CHG-42")])
    assert not run.failed, run.result
    assert run.result["sent"] == [] and not run.result["changed"]
    assert [(s["key"], s["until"], s["reason"]) for s in run.result["silenced"]] == [("web1/disk:/var", until,
                                                                                     "CHG-42")]
    assert ours(alertmanager) == [] and pagerduty.requests == []


def test_alert_after_two_runs(pagerduty, state):
    targets = [dict(type="pagerduty", url=pagerduty.url, routing_key=ROUTING_KEY)]
    first = alert(state, BAD, targets, alert_after=2)
    assert first.result["sent"] == [] and [p["runs"] for p in first.result["pending"]] == [1]
    second = alert(state, BAD, targets, alert_after=2)
    assert [s["key"] for s in second.result["sent"]] == ["web1/disk:/var"] and len(pagerduty.events()) == 1


@pytest.mark.parametrize("targets, fragment", [
    ([dict(type="teams", url="https://hooks.example.com/s3cr3t-t0ken-never-shown")],
     "value of type must be one of: webhook, slack, alertmanager, pagerduty, got: teams"),
    ([dict(type="pagerduty")], "option targets[0]: routing_key is missing"),
    ([dict(type="pagerduty", routing_key=ROUTING_KEY[:-1])], "routing_key is invalid (the value is not shown: it is a "
                                                             "secret): it has 31 characters"),
    ([dict(type="alertmanager", url="127.0.0.1:9093/s3cr3t-t0ken-never-shown")],
     "option targets[0]: url is not a valid http(s) URL (the value is not shown: it is a secret)"),
])
def test_bad_targets_fail_clearly_and_never_show_a_secret(state, targets, fragment):
    run = alert(state, BAD, targets)
    assert run.failed and fragment in run.result["msg"], run.result
    assert_clean(run)
    assert not os.path.exists(state)


def test_url_and_targets_are_mutually_exclusive(state):
    run = run_module("fleet_alert", dict(results=BAD, state_file=state, url="http://127.0.0.1:9/x",
                                         targets=[dict(type="webhook", url="http://127.0.0.1:9/y")]))
    assert run.failed and "parameters are mutually exclusive: url|targets" in run.result["msg"]
