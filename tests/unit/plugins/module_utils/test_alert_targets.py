# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_alert with several targets, alert_after/recover_after, silences and remediation results, on a clock the
tests move and a transport that records each target's bodies (the real receivers are in the module tests)."""

from __future__ import annotations

import datetime
import json
import os

import pytest

from ansible_collections.sre.health.plugins.module_utils._alert import cycle, delivery, options, payloads, silences
from ansible_collections.sre.health.plugins.module_utils._status import worst

HOOK = "https://hooks.example.com/services/T0/B0/s3cr3t-t0ken"
AM = "http://127.0.0.1:9093"
PD = "http://127.0.0.1:8081/v2/enqueue"
ROUTING_KEY = "R0UT1NGk3y0123456789abcdefABCDEF"
MIN = 60.0
HOUR = 3600.0
T0 = 1_800_000_000.0


def host(name, *checks, **kwargs):
    entries = [dict(name=c, kind="disk", status=s, summary="%s is %s" % (c, s)) for c, s in checks]
    status = kwargs.get("status") or worst([s for _c, s in checks])
    return dict(host=name, status=status, summary="summary of %s" % name, checks=entries)


BAD = [host("web1", ("disk:/var", "critical"), ("memory", "ok"))]
FINE = [host("web1", ("disk:/var", "ok"), ("memory", "ok"))]

TARGETS = [
    dict(type="webhook", url=HOOK),
    dict(type="alertmanager", name="am", urls=[AM, "http://127.0.0.2:9093/prefix/"]),
    dict(type="pagerduty", url=PD, routing_key=ROUTING_KEY),
]


class Fleet(object):
    """Runs _alert with a clock the test moves; records what each endpoint was sent; ``down`` endpoints fail."""

    def __init__(self, tmp_path, **params):
        self.now = T0
        self.sent = {}
        self.down = {}
        self.params = dict(targets=TARGETS, state_file=str(tmp_path / "state" / "alerts.json"))
        self.params.update(params)

    def transport(self, endpoint):
        def post(body, timeout):
            if endpoint.name in self.down:
                raise delivery.PostFailed(self.down[endpoint.name], True)
            self.sent.setdefault(endpoint.name, []).append((endpoint.url, json.loads(body.decode("utf-8"))))
        return post

    def run(self, results, advance=0.0, check_mode=False, **params):
        self.now += advance
        self.sent = {}
        args = dict(self.params, results=results)
        args.update(params)
        return cycle.run(args, check_mode=check_mode, transport=self.transport, clock=lambda: self.now,
                         sleep=lambda s: None)

    def bodies(self, name):
        return [body for _url, body in self.sent.get(name, [])]


def events(result, target=None):
    return [(i["event"], i["key"]) for i in result["sent"] + result["recovered"] + result["refreshed"]
            if target is None or i["target"] == target]


# --- several targets ----------------------------------------------------------------------------

def test_every_target_gets_the_alert_in_its_own_format(tmp_path):
    fleet = Fleet(tmp_path)
    first = fleet.run(BAD)
    assert first["changed"] and first["warnings"] == []
    assert sorted(i["target"] for i in first["sent"]) == ["am#1", "am#2", "pagerduty", "webhook"]
    (generic,) = fleet.bodies("webhook")
    assert generic["alerts"][0]["key"] == "web1/disk:/var" and generic["origin"] == "health"
    (event,) = fleet.bodies("pagerduty")
    assert event["event_action"] == "trigger" and event["routing_key"] == ROUTING_KEY
    assert event["dedup_key"] == "sre.health/web1/disk:/var"
    assert event["payload"]["source"] == "web1" and event["payload"]["severity"] == "critical"
    assert event["payload"]["component"] == "disk:/var" and event["payload"]["summary"].startswith("web1 disk:/var")
    urls = [url for url, _body in fleet.sent["am#1"] + fleet.sent["am#2"]]
    assert urls == [AM + "/api/v2/alerts", "http://127.0.0.2:9093/prefix/api/v2/alerts"]
    (alerts,) = fleet.bodies("am#1")
    assert fleet.bodies("am#2") == [alerts]
    (alert,) = alerts
    assert alert["labels"] == {"alertname": "SreHealthCheck", "host": "web1", "check": "disk:/var", "kind": "disk",
                               "severity": "critical", "source": "sre.health"}
    assert alert["annotations"]["summary"] == "web1 disk:/var: CRITICAL: disk:/var is critical"
    assert alert["startsAt"] == payloads.am_time(T0)
    # ends three run intervals (default 1h) later unless sent again
    assert alert["endsAt"] == payloads.am_time(T0 + 3 * HOUR)


def test_alertmanager_gets_firing_alerts_on_every_run_the_others_once(tmp_path):
    fleet = Fleet(tmp_path, run_interval="10m")
    fleet.run(BAD)
    again = fleet.run(BAD, advance=10 * MIN)
    # Alertmanager expects repetition: a refresh, which is no change; the others deduplicate
    assert not again["changed"] and again["sent"] == []
    assert sorted(i["target"] for i in again["refreshed"]) == ["am#1", "am#2"]
    assert set(fleet.sent) == {"am#1", "am#2"}
    (alert,) = fleet.bodies("am#1")[0]
    assert alert["startsAt"] == payloads.am_time(T0) and alert["endsAt"] == payloads.am_time(fleet.now + 30 * MIN)
    resolved = fleet.run(FINE, advance=10 * MIN)
    assert resolved["changed"] and sorted((i["target"], i["event"]) for i in resolved["recovered"]) == [
        ("am#1", "resolved"), ("am#2", "resolved"), ("pagerduty", "resolved"), ("webhook", "resolved")]
    (ended,) = fleet.bodies("am#1")[0]
    assert ended["endsAt"] == payloads.am_time(fleet.now)
    assert fleet.bodies("pagerduty") == [{"routing_key": ROUTING_KEY, "dedup_key": "sre.health/web1/disk:/var",
                                          "event_action": "resolve"}]
    quiet = fleet.run(FINE, advance=10 * MIN)
    assert fleet.sent == {} and not quiet["changed"]


def test_a_failing_target_never_blocks_another_and_gets_its_notice_next_run(tmp_path):
    fleet = Fleet(tmp_path)
    fleet.down["pagerduty"] = "HTTP 503 Service Unavailable"
    first = fleet.run(BAD)
    assert sorted(i["target"] for i in first["sent"]) == ["am#1", "am#2", "webhook"]
    (missed,) = first["undelivered"]
    assert missed["target"] == "pagerduty" and missed["attempts"] == 3
    assert first["warnings"] == ["1 alert notice(s) to target pagerduty not delivered (HTTP 503 Service "
                                 "Unavailable); they will be sent again on the next run"]
    del fleet.down["pagerduty"]
    second = fleet.run(BAD, advance=MIN)
    assert events(second, "pagerduty") == [("firing", "web1/disk:/var")]
    assert events(second, "webhook") == []  # told already
    # a resolved notice one target missed goes to that target alone
    fleet.down["webhook"] = "connection refused"
    third = fleet.run(FINE, advance=MIN)
    assert sorted(i["target"] for i in third["recovered"]) == ["am#1", "am#2", "pagerduty"]
    del fleet.down["webhook"]
    fourth = fleet.run(FINE, advance=MIN)
    assert events(fourth) == [("resolved", "web1/disk:/var")] and fourth["recovered"][0]["target"] == "webhook"


def test_a_hung_target_costs_its_timeout_and_the_others_are_delivered(tmp_path):
    import threading
    import time

    release = threading.Event()
    fleet = Fleet(tmp_path, timeout=1, retries=0)
    plain = fleet.transport

    def transport(endpoint):
        if endpoint.name == "webhook":
            def hung(body, timeout):
                release.wait(timeout)
                raise delivery.PostFailed("no answer within %gs" % timeout, True)
            return hung
        return plain(endpoint)

    started = time.monotonic()
    result = cycle.run(dict(fleet.params, results=BAD), transport=transport)
    release.set()
    assert time.monotonic() - started < 1 + cycle.JOIN_GRACE + 30  # a hang guard, not a timing
    assert [i["target"] for i in result["undelivered"]] == ["webhook"]
    assert sorted(i["target"] for i in result["sent"]) == ["am#1", "am#2", "pagerduty"]


def test_alertmanager_severity_change_ends_the_old_label_set(tmp_path):
    fleet = Fleet(tmp_path, targets=[dict(type="alertmanager", url=AM)], alert_on=["critical", "warning"])
    fleet.run([host("web1", ("disk:/var", "warning"))])
    escalated = fleet.run([host("web1", ("disk:/var", "critical"))], advance=MIN)
    assert events(escalated) == [("firing", "web1/disk:/var")]
    (alerts,) = fleet.bodies("alertmanager")
    assert [(a["labels"]["severity"], a["endsAt"] == payloads.am_time(fleet.now)) for a in alerts] == [
        ("critical", False), ("warning", True)]


def test_unknown_is_critical_for_alertmanager_and_error_for_pagerduty(tmp_path):
    fleet = Fleet(tmp_path)
    fleet.run([dict(host="db1", status="unknown", summary="unreachable: ssh refused", checks=[])])
    (alert,) = fleet.bodies("am#1")[0]
    assert alert["labels"] == {"alertname": "SreHealthHost", "host": "db1", "severity": "critical",
                               "source": "sre.health"}
    assert alert["annotations"]["status"] == "unknown"
    (event,) = fleet.bodies("pagerduty")
    assert event["payload"]["severity"] == "error" and "component" not in event["payload"]


def test_check_mode_sends_nothing_to_any_target(tmp_path):
    fleet = Fleet(tmp_path)
    result = fleet.run(BAD, check_mode=True)
    assert result["changed"] and len(result["sent"]) == 4 and fleet.sent == {}
    assert not os.path.exists(os.path.dirname(fleet.params["state_file"]))


def test_a_target_added_later_gets_what_is_firing_and_a_removed_one_is_forgotten(tmp_path):
    fleet = Fleet(tmp_path, targets=[TARGETS[0]])
    fleet.run(BAD)
    added = fleet.run(BAD, advance=MIN, targets=TARGETS)
    assert sorted(i["target"] for i in added["sent"]) == ["am#1", "am#2", "pagerduty"]
    fleet.run(BAD, advance=MIN, targets=TARGETS[1:])
    saved = json.load(open(fleet.params["state_file"]))
    assert sorted(saved["targets"]) == ["am#1", "am#2", "pagerduty"]


def test_state_file_holds_no_secret(tmp_path):
    fleet = Fleet(tmp_path, targets=TARGETS + [dict(type="slack", url=HOOK + "/slack",
                                                    headers={"X-Token": "hdr-s3cr3t"})])
    fleet.run(BAD)
    text = open(fleet.params["state_file"]).read()
    for secret in ("s3cr3t", ROUTING_KEY, "127.0.0.1", "hooks.example.com", "hdr-"):
        assert secret not in text


def test_version_1_state_is_taken_as_the_webhook_target(tmp_path):
    path = tmp_path / "state" / "alerts.json"
    path.parent.mkdir()
    record = dict(host="web1", check="disk:/var", kind="disk", status="critical", summary="old", firing=True,
                  since=T0 - HOUR, notified_at=T0 - HOUR, resolved_notified_at=None, resolve_pending=False,
                  failures=0, last_error=None, notified_status="critical")
    path.write_text(json.dumps({"version": 1, "updated": "x", "alerts": {"web1/disk:/var": record}}))
    fleet = Fleet(tmp_path, targets=None, url=HOOK, alert_after=3)
    upgraded = fleet.run(BAD)
    # nothing sent twice, still active without counting again
    assert upgraded["sent"] == [] and upgraded["active"] == ["web1/disk:/var"] and upgraded["warnings"] == []
    resolved = fleet.run(FINE, advance=MIN)
    assert events(resolved) == [("resolved", "web1/disk:/var")]
    assert resolved["recovered"][0]["since"] == payloads.iso(T0 - HOUR)


# --- alert_after, recover_after ---------------------------------------------------------------------

def test_alert_after_and_recover_after_count_consecutive_runs(tmp_path):
    fleet = Fleet(tmp_path, alert_after=3, recover_after=2)
    first = fleet.run(BAD)
    assert first["sent"] == [] and first["refreshed"] == [] and first["active"] == []
    assert [(p["key"], p["runs"], p["needed"]) for p in first["pending"]] == [("web1/disk:/var", 1, 3)]
    fleet.run(FINE, advance=MIN)  # a clean run starts the count again
    for run in range(3):
        result = fleet.run(BAD, advance=MIN)
        assert bool(result["sent"]) == (run == 2), (run, result)
    assert result["active"] == ["web1/disk:/var"]
    # since is the first run of the streak, not the run that confirmed it
    assert result["sent"][0]["since"] == payloads.iso(T0 + 2 * MIN)
    one_clean = fleet.run(FINE, advance=MIN)
    assert one_clean["recovered"] == [] and one_clean["active"] == ["web1/disk:/var"]
    # Alertmanager keeps it alive meanwhile, with the problem it had
    assert one_clean["refreshed"] and one_clean["refreshed"][0]["status"] == "critical"
    assert "clean for 1 of the 2 runs needed to recover" in one_clean["refreshed"][0]["summary"]
    relapse = fleet.run(BAD, advance=MIN)
    assert relapse["sent"] == [] and relapse["recovered"] == []  # the same episode, deduplicated
    fleet.run(FINE, advance=MIN)
    recovered = fleet.run(FINE, advance=MIN)
    assert len(recovered["recovered"]) == 4 and recovered["active"] == []


def test_a_key_of_a_host_outside_the_run_keeps_its_count(tmp_path):
    fleet = Fleet(tmp_path, alert_after=2)
    fleet.run(BAD)
    fleet.run([host("other", ("x", "ok"))], advance=MIN)
    assert len(fleet.run(BAD, advance=MIN)["sent"]) == 4


# --- silences ---------------------------------------------------------------------------------------

def iso_in(seconds):
    return payloads.iso(T0 + seconds)


def test_a_silence_holds_firing_and_reminders_and_ends_on_time(tmp_path):
    silence = dict(host="web*", check="disk:*", until=iso_in(2 * HOUR), reason="disk swap, CHG-42")
    fleet = Fleet(tmp_path, silences=[silence], reminder="30m")
    silenced = fleet.run(BAD)
    assert silenced["sent"] == [] and silenced["refreshed"] == [] and fleet.sent == {}
    assert silenced["silenced"] == [dict(key="web1/disk:/var", host="web1", check="disk:/var", status="critical",
                                         summary="disk:/var is critical", until=iso_in(2 * HOUR),
                                         reason="disk swap, CHG-42")]
    assert silenced["active"] == ["web1/disk:/var"]
    assert fleet.run(BAD, advance=HOUR)["sent"] == []
    over = fleet.run(BAD, advance=HOUR + MIN)
    assert len(over["sent"]) == 4 and over["silenced"] == []
    assert all(i["event"] == "firing" for i in over["sent"])


def test_a_silence_after_the_notice_holds_reminders_and_lets_the_recovery_through(tmp_path):
    fleet = Fleet(tmp_path, reminder="30m")
    fleet.run(BAD)
    silence = dict(host="web1", check="*", until=iso_in(5 * HOUR), reason="maintenance")
    held = fleet.run(BAD, advance=HOUR, silences=[silence])
    assert held["sent"] == [] and fleet.sent.get("webhook") is None
    # Alertmanager: ended now, so it does not page on a silenced problem
    assert [i["target"] for i in held["recovered"]] == ["am#1", "am#2"]
    recovered = fleet.run(FINE, advance=HOUR, silences=[silence])
    assert sorted(i["target"] for i in recovered["recovered"]) == ["pagerduty", "webhook"]


def test_expired_and_unmatched_silences_change_nothing(tmp_path):
    gone = [dict(host="web1", until=iso_in(-1), reason="over"), dict(host="db*", until=iso_in(HOUR), reason="db")]
    fleet = Fleet(tmp_path, silences=gone)
    assert len(fleet.run(BAD)["sent"]) == 4


def test_a_whole_host_silence_covers_its_host_alert():
    found = silences.parse_silences([dict(host="db1", check="*", until="2026-12-01T18:00:00Z", reason="r")])
    assert silences.find(found, "db1", None, T0 - 10 ** 9) is found[0]
    only_checks = silences.parse_silences([dict(host="db1", check="disk*", until="2026-12-01T18:00:00Z",
                                                reason="r")])
    assert silences.find(only_checks, "db1", None, T0 - 10 ** 9) is None


@pytest.mark.parametrize("value, epoch", [
    ("2026-12-01T18:00:00Z", 1796148000.0),
    ("2026-12-01T19:00:00+01:00", 1796148000.0),
    ("2026-12-01T18:00:00.500Z", 1796148000.5),
    (datetime.datetime(2026, 12, 1, 18, tzinfo=datetime.timezone.utc), 1796148000.0),
])
def test_silence_times(value, epoch):
    assert silences.parse_time("until", value) == epoch


@pytest.mark.parametrize("entry, fragment", [
    (dict(until="2026-12-01T18:00:00Z", reason="r"), "silences[0]: no host or check pattern"),
    (dict(host="a", until="2026-12-01T18:00:00", reason="r"),
     "silences[0].until: '2026-12-01T18:00:00' has no UTC offset"),
    (dict(host="a", until="tomorrow", reason="r"), "silences[0].until: 'tomorrow' is not a time; accepted: an ISO "
                                                   "8601 time with its UTC offset"),
    (dict(host="a", reason="r"), "silences[0]: until is missing"),
    (dict(host="a", until="2026-12-01T18:00:00Z"), "silences[0].reason: None is invalid"),
    (dict(host="", until="2026-12-01T18:00:00Z", reason="r"), "silences[0].host: '' is invalid"),
    (dict(host="a", until="2026-12-01T18:00:00Z", reason="r", hosts="b"), "silences[0]: unknown field(s) hosts"),
])
def test_bad_silences(entry, fragment):
    with pytest.raises(options.AlertError) as info:
        options.validate(dict(url=HOOK, silences=[entry]))
    assert fragment in str(info.value)


# --- options ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params, fragment", [
    (dict(targets=[dict(type="teams", url=HOOK)]), "option targets[0].type: 'teams' is invalid; accepted: webhook, "
                                                   "slack, alertmanager, pagerduty"),
    (dict(targets=[dict(type="pagerduty")]), "option targets[0]: routing_key is missing; accepted: the 32-character "
                                             "integration key"),
    (dict(targets=[dict(type="pagerduty", routing_key="short-s3cr3t")]), "routing_key is invalid (the value is not "
                                                                         "shown: it is a secret): it has 12 characters"),
    (dict(targets=[dict(type="webhook", url="hooks.example.com/s3cr3t")]), "option targets[0]: url is not a valid "
                                                                           "http(s) URL (the value is not shown"),
    (dict(targets=[dict(type="alertmanager", name="am", urls=[AM, "ftp://s3cr3t"])]),
     "option targets[0] (am): urls[1] is not a valid http(s) URL"),
    (dict(targets=[dict(type="webhook")]), "option targets[0]: url is missing"),
    (dict(targets=[dict(type="webhook", url=HOOK, routing_key=ROUTING_KEY)]), "routing_key is only for type "
                                                                              "pagerduty"),
    (dict(targets=[dict(type="webhook", url=HOOK), dict(type="slack", name="webhook", url=HOOK)]),
     "option targets[1]: the name 'webhook' is used twice"),
    (dict(targets=[dict(type="webhook", url=HOOK, name="a b")]), "option targets[0].name: 'a b' is invalid"),
    (dict(targets=[dict(type="webhook", url=HOOK, headers={"X-Token": "a\nb-s3cr3t"})]),
     "headers: the value of 'X-Token' is invalid (the value is not shown"),
    (dict(targets=[]), "option targets: [] is invalid"),
    (dict(targets=[dict(type="webhook", url=HOOK)], url=HOOK), "options url and targets are mutually exclusive"),
    (dict(targets=[dict(type="webhook", url=HOOK)], payload_format="slack"), "option payload_format is for url only"),
    (dict(), "one of the options url or targets is required"),
    (dict(url=HOOK, alert_after=0), "option alert_after: 0 is invalid; accepted: a whole number of consecutive runs "
                                    "from 1 to 100"),
    (dict(url=HOOK, recover_after="2"), "option recover_after: '2' is invalid"),
    (dict(url=HOOK, run_interval=0), "option run_interval: 0 is invalid"),
    (dict(url=HOOK, origin="cron"), "option origin: 'cron' is invalid"),
])
def test_bad_options_name_the_option_and_never_a_secret(params, fragment):
    with pytest.raises(options.AlertError) as info:
        options.validate(params)
    assert fragment in str(info.value)
    for secret in ("s3cr3t", ROUTING_KEY, "T0/B0"):
        assert secret not in str(info.value)


def test_option_names_of_the_role():
    with pytest.raises(options.AlertError) as info:
        options.validate(dict(targets=[dict(type="pagerduty")]), names={"targets": "fleet_report_alert_targets"})
    assert str(info.value).startswith("option fleet_report_alert_targets[0]: routing_key is missing")


def test_default_names_and_endpoints():
    cfg = options.validate(dict(targets=[dict(type="webhook", url=HOOK), dict(type="webhook", url=HOOK + "2"),
                                         dict(type="pagerduty", routing_key=ROUTING_KEY),
                                         dict(type="alertmanager", urls=[AM + "/api/v2/alerts"])]))
    assert [(e.name, e.type) for e in cfg.endpoints] == [("webhook", "webhook"), ("webhook-2", "webhook"),
                                                         ("pagerduty", "pagerduty"), ("alertmanager", "alertmanager")]
    assert cfg.endpoints[2].url == "https://events.pagerduty.com/v2/enqueue"
    assert cfg.endpoints[3].url == AM + "/api/v2/alerts"
    assert ROUTING_KEY in cfg.secrets and HOOK in cfg.secrets


# --- payload limits ---------------------------------------------------------------------------------

def test_pagerduty_limits():
    long_key = "h/" + "c" * 400
    assert len(payloads.dedup_key(long_key)) == 255
    assert payloads.dedup_key(long_key) != payloads.dedup_key(long_key + "x")
    record = dict(host="h", check="c" * 400, kind="disk", status="warning", summary="s" * 5000, since=T0)
    event = payloads.pagerduty_event(long_key, "firing", record, ROUTING_KEY, T0)
    assert len(event["payload"]["summary"]) == 1024 and event["payload"]["severity"] == "warning"
    assert event["payload"]["timestamp"] == payloads.iso(T0)


# --- remediation outcomes -----------------------------------------------------------------------

def guard(host_name, *units):
    return dict(host=host_name, units=[dict(unit=u, name="service:" + u, outcome=o, summary="%s: %s, tried a restart"
                                            % (u, o)) for u, o in units])


def test_remediation_outcomes_alert_and_resolve(tmp_path):
    fleet = Fleet(tmp_path, origin="remediation")
    failing = [guard("web1", ("nginx.service", "still_failing"), ("cron.service", "healthy")),
               guard("web2", ("app.service", "skipped_flap_guard"))]
    first = fleet.run(failing)
    assert sorted(set(i["key"] for i in first["sent"])) == ["web1/nginx.service", "web2/app.service"]
    (event,) = [e for e in fleet.bodies("pagerduty") if e["payload"]["source"] == "web1"]
    assert event["dedup_key"] == "sre.health/remediation/web1/nginx.service"
    assert event["payload"]["summary"] == ("web1 nginx.service: remediation failed: nginx.service: still_failing, "
                                           "tried a restart")
    alerts = fleet.bodies("am#1")[0]
    assert {a["labels"]["alertname"] for a in alerts} == {"SreHealthRemediation"}
    assert fleet.bodies("webhook")[0]["origin"] == "remediation"
    # a unit that recovers, and one no longer declared, resolve
    fixed = fleet.run([guard("web1", ("nginx.service", "recovered")), guard("web2")], advance=MIN)
    assert sorted(set(i["key"] for i in fixed["recovered"])) == ["web1/nginx.service", "web2/app.service"]


# --- hostile peers, through the real HTTP client ----------------------------------------------------

@pytest.mark.parametrize("mode", ["huge-500", "garbage", "long-header"])
def test_a_hostile_alertmanager_or_pager_is_undelivered_within_the_timeout(tmp_path, mode):
    import time

    from ansible_collections.sre.health.tests.unit.plugins.module_utils import webhooks as W

    hostile = W.Hostile(mode)
    try:
        params = dict(targets=[dict(type="alertmanager", url="http://127.0.0.1:%d" % hostile.port),
                               dict(type="pagerduty", url=hostile.url, routing_key=ROUTING_KEY)],
                      state_file=str(tmp_path / "s.json"), results=BAD, timeout=4, retries=1)
        started = time.monotonic()
        result = cycle.run(params)
        elapsed = time.monotonic() - started
    finally:
        hostile.close()
    assert elapsed < 4 + cycle.JOIN_GRACE + 30  # a hang guard: the hostile peers would hold a reader for hours
    assert sorted(u["target"] for u in result["undelivered"]) == ["alertmanager", "pagerduty"]
    if mode == "huge-500":
        # read no further than the client's bound, and retried (a 5xx)
        assert all(u["reason"].startswith("HTTP 500") and u["attempts"] == 2 for u in result["undelivered"])
        assert all(len(u["reason"]) < 400 for u in result["undelivered"])
    saved = json.load(open(params["state_file"]))
    assert sorted(saved["targets"]) == ["alertmanager", "pagerduty"]
