# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_alert: the alert rules with a controlled clock, the payloads, the delivery bounds, the state file."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _statefile
from ansible_collections.sre.health.plugins.module_utils._alert import cycle, delivery, machine, options, payloads, state
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration
from ansible_collections.sre.health.plugins.module_utils._status import worst
from ansible_collections.sre.health.tests.unit.plugins.module_utils import webhooks as W

URL = "https://hooks.example.com/services/T0/B0/s3cr3t-t0ken"
MIN = 60.0
HOUR = 3600.0


def host(name, *checks, **kwargs):
    """A host result; checks are (name, status) pairs."""
    entries = [dict(name=c, kind="disk", status=s, summary="%s is %s" % (c, s)) for c, s in checks]
    status = kwargs.get("status") or worst([s for _c, s in checks])
    return dict(host=name, status=status, health="x", summary="summary of %s" % name, checks=entries)


class Fleet(object):
    """Runs _alert.run against a fake transport with a clock the test moves."""

    def __init__(self, tmp_path, **params):
        self.now = 1_800_000_000.0
        self.posts = []
        self.fail = None
        self.params = dict(url=URL, state_file=str(tmp_path / "state" / "alerts.json"))
        self.params.update(params)

    def post(self, body, timeout):
        if self.fail:
            raise delivery.PostFailed(self.fail, True)
        self.posts.append(json.loads(body.decode("utf-8")))

    def run(self, results, advance=0.0, check_mode=False):
        self.now += advance
        del self.posts[:]
        return cycle.run(dict(self.params, results=results), check_mode=check_mode, post=self.post,
                         clock=lambda: self.now, sleep=lambda s: None)

    def events(self):
        return [(a["event"], a["key"]) for p in self.posts for a in p["alerts"]]


def keys(items):
    return [item["key"] for item in items]


# --- the rules -------------------------------------------------------------------------------

def test_new_dedup_reminder_resolved(tmp_path):
    fleet = Fleet(tmp_path, reminder="4h", cooldown="15m")
    bad = [host("web1", ("disk:/var", "critical"), ("memory", "ok")), host("web2", ("disk:/", "ok"))]
    first = fleet.run(bad)
    assert fleet.events() == [("firing", "web1/disk:/var")] and first["changed"]
    assert keys(first["sent"]) == ["web1/disk:/var"] and first["active"] == ["web1/disk:/var"]
    again = fleet.run(bad, advance=HOUR)
    assert fleet.posts == [] and not again["changed"] and again["active"] == ["web1/disk:/var"]
    reminded = fleet.run(bad, advance=3 * HOUR)
    assert fleet.events() == [("reminder", "web1/disk:/var")] and reminded["changed"]
    assert reminded["sent"][0]["since"] == payloads.iso(1_800_000_000.0)
    quiet = fleet.run(bad, advance=HOUR)
    assert fleet.posts == [] and not quiet["changed"]
    fine = [host("web1", ("disk:/var", "ok"), ("memory", "ok")), host("web2", ("disk:/", "ok"))]
    resolved = fleet.run(fine, advance=MIN)
    assert fleet.events() == [("resolved", "web1/disk:/var")] and resolved["changed"]
    assert keys(resolved["recovered"]) == ["web1/disk:/var"] and resolved["active"] == []
    settled = fleet.run(fine, advance=MIN)
    assert fleet.posts == [] and not settled["changed"]


def test_cooldown_suppresses_a_flapping_key_then_sends_it_once_the_cooldown_passed(tmp_path):
    fleet = Fleet(tmp_path, cooldown="15m", reminder=0)
    bad, fine = [host("web1", ("nginx", "critical"))], [host("web1", ("nginx", "ok"))]
    fleet.run(bad)
    fleet.run(fine, advance=MIN)
    assert fleet.events() == [("resolved", "web1/nginx")]
    flap = fleet.run(bad, advance=2 * MIN)
    assert fleet.posts == [] and not flap["changed"] and keys(flap["suppressed"]) == ["web1/nginx"]
    assert "alerting again 2m after its resolved notice, within the cooldown of 15m" in flap["suppressed"][0]["reason"]
    # back to ok while suppressed: the receiver never heard of this fire, so no resolved either
    calm = fleet.run(fine, advance=MIN)
    assert fleet.posts == [] and calm["recovered"] == [] and not calm["changed"]
    fleet.run(bad, advance=MIN)
    assert fleet.posts == []
    # still alerting once 15 min have passed since the resolved notice: sent
    late = fleet.run(bad, advance=12 * MIN)
    assert fleet.events() == [("firing", "web1/nginx")] and late["suppressed"] == []


def test_refire_after_the_cooldown_is_new(tmp_path):
    fleet = Fleet(tmp_path, cooldown=600)
    fleet.run([host("h", ("c", "critical"))])
    fleet.run([host("h", ("c", "ok"))], advance=MIN)
    fleet.run([host("h", ("c", "critical"))], advance=601)
    assert fleet.events() == [("firing", "h/c")]


def test_cooldown_zero_never_suppresses(tmp_path):
    fleet = Fleet(tmp_path, cooldown="0")
    fleet.run([host("h", ("c", "critical"))])
    fleet.run([host("h", ("c", "ok"))], advance=1)
    fleet.run([host("h", ("c", "critical"))], advance=1)
    assert fleet.events() == [("firing", "h/c")]


def test_failed_delivery_is_sent_again_next_run(tmp_path):
    fleet = Fleet(tmp_path)
    bad = [host("web1", ("disk:/var", "critical"))]
    fleet.fail = "HTTP 500 Internal Server Error"
    down = fleet.run(bad)
    assert not down["changed"] and keys(down["undelivered"]) == ["web1/disk:/var"]
    assert down["undelivered"][0]["event"] == "firing" and down["undelivered"][0]["attempts"] == 3
    assert "sent again on the next run" in down["warnings"][0]
    fleet.fail = None
    up = fleet.run(bad, advance=MIN)
    assert fleet.events() == [("firing", "web1/disk:/var")] and up["changed"]
    assert fleet.run(bad, advance=MIN)["sent"] == []


def test_failed_resolved_notice_is_retried_and_a_refire_continues_the_episode(tmp_path):
    fleet = Fleet(tmp_path, reminder="4h")
    bad, fine = [host("h", ("c", "critical"))], [host("h", ("c", "ok"))]
    fleet.run(bad)
    fleet.fail = "connection refused"
    lost = fleet.run(fine, advance=MIN)
    assert [f["event"] for f in lost["undelivered"]] == ["resolved"]
    # fires again before the resolved notice got through: the receiver still sees it firing
    fleet.fail = None
    back = fleet.run(bad, advance=MIN)
    assert fleet.posts == [] and back["suppressed"] == [] and back["active"] == ["h/c"]
    fleet.fail = "connection refused"
    fleet.run(fine, advance=MIN)
    fleet.fail = None
    retried = fleet.run(fine, advance=MIN)
    assert fleet.events() == [("resolved", "h/c")] and retried["changed"]


def test_never_delivered_then_recovered_sends_nothing(tmp_path):
    fleet = Fleet(tmp_path)
    fleet.fail = "connection refused"
    fleet.run([host("h", ("c", "critical"))])
    fleet.fail = None
    quiet = fleet.run([host("h", ("c", "ok"))], advance=MIN)
    assert fleet.posts == [] and quiet["recovered"] == [] and not quiet["changed"]


def test_unreachable_host_alerts_on_its_host_key_and_leaves_its_checks_alone(tmp_path):
    fleet = Fleet(tmp_path, reminder=0)
    fleet.run([host("db1", ("disk:/", "critical"), ("memory", "ok"))])
    unreachable = dict(host="db1", status="unknown", summary="db1 is unreachable", checks=[])
    gone = fleet.run([unreachable], advance=MIN)
    assert fleet.events() == [("firing", "db1")]
    assert gone["sent"][0]["check"] is None and gone["active"] == ["db1", "db1/disk:/"]
    back = fleet.run([host("db1", ("disk:/", "ok"), ("memory", "ok"))], advance=MIN)
    assert sorted(fleet.events()) == [("resolved", "db1"), ("resolved", "db1/disk:/")]
    assert back["active"] == []


def test_hosts_outside_the_run_are_untouched(tmp_path):
    """Job slices and --limit see some hosts only: they never resolve the others' alerts."""
    fleet = Fleet(tmp_path, reminder=0)
    fleet.run([host("a", ("c", "critical")), host("b", ("c", "critical"))])
    other = fleet.run([host("b", ("c", "ok"))], advance=MIN)
    assert fleet.events() == [("resolved", "b/c")] and other["active"] == ["a/c"]


def test_a_check_no_longer_reported_by_its_host_resolves(tmp_path):
    fleet = Fleet(tmp_path)
    fleet.run([host("h", ("disk:/mnt/scratch", "critical"), ("memory", "ok"))])
    fleet.run([host("h", ("memory", "ok"))], advance=MIN)
    assert fleet.events() == [("resolved", "h/disk:/mnt/scratch")]
    assert "no longer reported" in fleet.posts[0]["alerts"][0]["summary"]


@pytest.mark.parametrize("alert_on, status, fires", [
    (None, "critical", True),
    (None, "unknown", True),
    (None, "warning", False),
    (["critical"], "unknown", False),
    (["warning"], "warning", True),
    (["critical", "warning"], "ok", False),
])
def test_alert_on(tmp_path, alert_on, status, fires):
    params = {} if alert_on is None else dict(alert_on=alert_on)
    fleet = Fleet(tmp_path, **params)
    result = fleet.run([host("h", ("c", status))])
    assert bool(result["sent"]) is fires


def test_escalation_to_critical_fires_again_once(tmp_path):
    fleet = Fleet(tmp_path, alert_on=["critical", "warning", "unknown"])
    fleet.run([host("h", ("c", "warning"))])
    assert fleet.events() == [("firing", "h/c")] and fleet.posts[0]["alerts"][0]["status"] == "warning"
    escalated = fleet.run([host("h", ("c", "critical"))], advance=MIN)
    assert fleet.events() == [("firing", "h/c")] and escalated["sent"][0]["status"] == "critical"
    assert fleet.run([host("h", ("c", "critical"))], advance=MIN)["sent"] == []
    # milder again, then critical again: critical was already delivered in this episode
    fleet.run([host("h", ("c", "warning"))], advance=MIN)
    assert fleet.posts == []
    assert fleet.run([host("h", ("c", "critical"))], advance=MIN)["sent"] == []


def test_critical_to_unknown_is_the_same_alert_and_leaving_alert_on_resolves(tmp_path):
    fleet = Fleet(tmp_path)
    fleet.run([host("h", ("c", "critical"))])
    assert fleet.run([host("h", ("c", "unknown"))], advance=MIN)["sent"] == []
    warned = fleet.run([host("h", ("c", "warning"))], advance=MIN)
    assert fleet.events() == [("resolved", "h/c")] and warned["recovered"][0]["status"] == "warning"


def test_check_mode_computes_but_sends_and_writes_nothing(tmp_path):
    fleet = Fleet(tmp_path)
    result = fleet.run([host("h", ("c", "critical"))], check_mode=True)
    assert keys(result["sent"]) == ["h/c"] and result["changed"]
    assert fleet.posts == [] and not os.path.exists(fleet.params["state_file"])
    assert keys(fleet.run([host("h", ("c", "critical"))])["sent"]) == ["h/c"]


def test_batches_and_fleet_totals(tmp_path):
    fleet = Fleet(tmp_path, batch_size=2)
    results = [host("h%d" % i, ("c", "critical")) for i in range(5)]
    results += [host("ok", ("c", "ok")), host("w", ("c", "warning"))]
    result = fleet.run(results)
    assert [len(p["alerts"]) for p in fleet.posts] == [2, 2, 1] and len(result["sent"]) == 5
    assert fleet.posts[0]["fleet"] == dict(hosts=7, healthy=1, degraded=1, unhealthy=5, status="critical",
                                           firing=5)
    item = fleet.posts[0]["alerts"][0]
    assert set(item) == {"event", "key", "host", "check", "kind", "status", "summary", "since"}


def test_duplicate_host_entries_take_the_worst(tmp_path):
    fleet = Fleet(tmp_path)
    result = fleet.run([host("h", ("c", "ok")), host("h", ("c", "critical"))])
    assert keys(result["sent"]) == ["h/c"] and result["fleet"]["hosts"] == 1


def test_slack_payload_shape_and_escaping(tmp_path):
    fleet = Fleet(tmp_path, payload_format="slack")
    evil = dict(host="web1", status="critical", summary="x", checks=[
        dict(name="<!channel>", status="critical", summary="<https://evil.example|click> & more")])
    fleet.run([evil])
    (payload,) = fleet.posts
    assert set(payload) == {"text", "blocks"}
    assert payload["text"].startswith("sre.health: 1 firing; fleet of 1 host:")
    texts = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert len(payload["blocks"]) == 3 and payload["blocks"][-1]["type"] == "context"
    assert "&lt;!channel&gt;" in texts[1] and "&lt;https://evil.example|click&gt; &amp; more" in texts[1]
    assert "<" not in "".join(texts)


# --- options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url, fragment", [
    ("ftp://hooks.example.com/x", "scheme is not http or https"),
    ("https:///services/x", "no host"),
    ("hooks.example.com/services/x", "scheme is not http or https"),
    ("https://hooks.example.com:99999/x", "port cannot be read"),
    ("https://hooks.example.com/a b", "spaces"),
    ("", "url is empty"),
])
def test_bad_url_is_named_but_never_shown(url, fragment):
    with pytest.raises(options.AlertError) as info:
        options.validate(dict(url=url))
    message = str(info.value)
    assert fragment in message and "accepted: an http:// or https:// URL" in message
    if url:
        assert url not in message and "services/x" not in message


@pytest.mark.parametrize("params, fragment", [
    (dict(cooldown="-5m"), "option cooldown: '-5m' is negative"),
    # past every bound: clean errors, not an inf that overflows when a date is computed from it
    (dict(cooldown="1e308d"), "option cooldown: '1e308d' is not a finite duration"),
    (dict(reminder=1e300), "option reminder: 1e+300 is longer than 366d"),
    (dict(reminder="soon"), "option reminder: 'soon' is invalid; accepted: a duration"),
    (dict(reminder="5GiB"), "option reminder"),
    (dict(payload_format="teams"), "option payload_format: 'teams' is invalid; accepted: generic, slack"),
    (dict(alert_on=["ok"]), "option alert_on: 'ok' is invalid"),
    (dict(alert_on=[]), "option alert_on: []"),
    (dict(timeout=0), "option timeout: 0 is invalid"),
    (dict(retries=-1), "option retries: -1 is invalid"),
    (dict(batch_size=0), "option batch_size: 0 is invalid"),
    (dict(headers={"X-Token": ["a"]}), "option headers: the value of 'X-Token' is not text"),
])
def test_bad_options(params, fragment):
    with pytest.raises(options.AlertError) as info:
        options.validate(dict(dict(url=URL), **params))
    assert fragment in str(info.value) and URL not in str(info.value)


@pytest.mark.parametrize("value, seconds", [("15m", 900), (900, 900), ("900", 900), ("4h", 14400), ("1d", 86400),
                                            ("90s", 90), (0, 0), (None, 0), ("1.5h", 5400)])
def test_durations(value, seconds):
    assert options.duration("cooldown", value) == seconds


@pytest.mark.parametrize("seconds, text", [(0.5, "0.5s"), (10, "10s"), (90, "1m30s"), (900, "15m"), (14400, "4h"),
                                           (90000, "1d1h")])
def test_human_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("results, fragment", [
    ("nope", "option results: accepted: a list"),
    ([{"status": "ok"}], "results[0].host is None"),
    ([{"host": "h", "checks": [{"status": "ok"}]}], "results[0].checks[0] has no name"),
    ([{"host": "h", "checks": [{"name": "c", "status": "bad"}]}], "results[0].checks[0].status is 'bad'"),
    ([{"host": "h", "checks": "c"}], "results[0].checks is not a list"),
])
def test_bad_results(results, fragment):
    with pytest.raises(options.AlertError) as info:
        machine.observe(results, {"critical"})
    assert fragment in str(info.value)


# --- delivery --------------------------------------------------------------------------------

class _Cfg(object):
    def __init__(self, timeout=10.0, retries=2):
        self.timeout = timeout
        self.retries = retries
        self.scrub = options.Scrubber({URL, "/services/T0/B0/s3cr3t-t0ken"})


class _Clock(object):
    def __init__(self):
        self.now = 0.0
        self.pauses = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds


def test_delivery_backs_off_and_stays_within_the_timeout():
    clock = _Clock()
    shares = []

    def hung(body, timeout):
        shares.append(timeout)
        clock.now += timeout
        raise delivery.PostFailed("no answer within %g s (%s)" % (timeout, URL), True)

    outcome = delivery.deliver([(["a", "b"], b"{}"), (["c"], b"{}")], hung, _Cfg(timeout=10, retries=2), clock=clock,
                               sleep=clock.sleep)
    assert clock.now <= 10.0 + 1e-9
    assert len(shares) == 3 and shares[0] == pytest.approx(10 / 3.0)
    assert clock.pauses == [0.5, 1.0]
    assert outcome["a"][1] == 3 and URL not in outcome["a"][0] and "********" in outcome["a"][0]
    assert "ran out" in outcome["c"][0] and outcome["c"][1] == 0


def test_delivery_does_not_retry_a_client_error():
    calls = []

    def forbidden(body, timeout):
        calls.append(timeout)
        raise delivery.PostFailed("HTTP 403 Forbidden: invalid_token", False)

    outcome = delivery.deliver([(["a"], b"{}")], forbidden, _Cfg(), sleep=lambda s: None)
    assert len(calls) == 1 and outcome["a"] == ("HTTP 403 Forbidden: invalid_token", 1)


def test_delivery_recovers_on_a_retry():
    answers = [delivery.PostFailed("HTTP 503", True), None]

    def flaky(body, timeout):
        answer = answers.pop(0)
        if answer:
            raise answer

    assert delivery.deliver([(["a"], b"{}")], flaky, _Cfg(), sleep=lambda s: None) == {"a": (None, 2)}


@pytest.fixture
def receiver():
    server = W.Receiver()
    yield server
    server.close()


def test_http_post_against_real_receivers(receiver):
    post = delivery.http_post(receiver.url, {"Authorization": "Bearer hdr-secret"}, True, None)
    post(b'{"x": 1}', 5)
    (request,) = receiver.requests
    assert request["path"].startswith(W.TOKEN_PATH) and request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Authorization"] == "Bearer hdr-secret" and json.loads(request["body"]) == {"x": 1}
    receiver.status = 500
    with pytest.raises(delivery.PostFailed) as info:
        post(b"{}", 5)
    assert info.value.retry and "HTTP 500" in info.value.reason
    receiver.status = 404
    with pytest.raises(delivery.PostFailed) as info:
        post(b"{}", 5)
    assert not info.value.retry
    sock, url = W.closed_port()
    try:
        with pytest.raises(delivery.PostFailed) as info:
            delivery.http_post(url, {}, True, None)(b"{}", 5)
        assert info.value.retry and "refused" in info.value.reason
    finally:
        sock.close()


def test_http_post_to_a_webhook_that_never_answers_returns():
    hole = W.BlackHole()
    try:
        started = time.monotonic()
        with pytest.raises(delivery.PostFailed) as info:
            delivery.http_post(hole.url, {}, True, None)(b"{}", 1.0)
        assert time.monotonic() - started < 60
        assert info.value.retry and "no answer" in info.value.reason
    finally:
        hole.close()


@pytest.mark.parametrize("mode", ["trickle", "long-header", "many-headers", "garbage"])
def test_http_post_to_a_hostile_receiver_is_a_bounded_undelivered_notice(mode):
    # A receiver answering one byte a second held a delivery 91 s; a 2 MB header line or 5000
    # headers raised a traceback and lost the alert state.
    hostile = W.Hostile(mode)
    try:
        started = time.monotonic()
        with pytest.raises(delivery.PostFailed) as info:
            delivery.http_post(hostile.url, {}, True, None)(b"{}", 2.0)
        elapsed = time.monotonic() - started
    finally:
        hostile.close()
    assert info.value.retry and "Traceback" not in info.value.reason
    if mode == "trickle":
        assert info.value.reason == "no answer within 2s"
    assert elapsed < 15  # far below the trickle's hours; a bound, not a timing test


# --- state -----------------------------------------------------------------------------------

def test_state_is_atomic_owner_only_and_url_free(tmp_path):
    fleet = Fleet(tmp_path, headers={"Authorization": "Bearer hdr-secret"})
    path = fleet.params["state_file"]
    os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        json.dump({"version": 1, "alerts": {}}, handle)
    os.chmod(path, 0o644)
    fleet.run([host("h", ("c", "critical"))])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # the state and its lock file (see _statefile: a lock file is never removed), no temporary file
    assert sorted(os.listdir(os.path.dirname(path))) == ["alerts.json", "alerts.json.lock"]
    text = open(path).read()
    assert "s3cr3t" not in text and "hooks.example.com" not in text and "hdr-secret" not in text
    assert json.loads(text)["targets"]["webhook"]["alerts"]["h/c"]["firing"] is True


def test_state_directory_is_created_owner_only(tmp_path):
    fleet = Fleet(tmp_path)
    fleet.run([host("h", ("c", "critical"))])
    assert stat.S_IMODE(os.stat(os.path.dirname(fleet.params["state_file"])).st_mode) == 0o700


@pytest.mark.parametrize("content, fragment", [
    (b"{not json", "is not valid JSON"),
    (b'{"version": 7, "alerts": {}}', "not a version 2 alert state"),
    (b'{"version": 2, "keys": {}, "targets": {"webhook": {"type": "webhook", "alerts": {"h/c": {"host": 1}}}}}',
     "target 'webhook': entry 'h/c' has no valid host"),
    (b'{"version": 2, "keys": {"h/c": {"host": "h", "confirmed": true, "bad": "2", "good": 0}}, "targets": {}}',
     "entry 'h/c' has no valid bad"),
    (b'{"version": 1, "alerts": {"h/c": {"host": "h", "firing": "yes", "resolve_pending": false}}}',
     "has no valid firing"),
    (b'{"version": 1, "alerts": []}', "no alerts dict"),
    (b"\xff\xfe", "is not valid JSON"),
])
def test_corrupt_state_is_reported_and_rebuilt(tmp_path, content, fragment):
    fleet = Fleet(tmp_path)
    path = fleet.params["state_file"]
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as handle:
        handle.write(content)
    result = fleet.run([host("h", ("c", "critical"))])
    assert fragment in result["warnings"][0] and "rebuilt" in result["warnings"][0]
    assert keys(result["sent"]) == ["h/c"]
    assert json.load(open(path))["version"] == 2
    assert fleet.run([host("h", ("c", "critical"))], advance=MIN)["warnings"] == []


def test_unwritable_state_is_a_warning(tmp_path):
    fleet = Fleet(tmp_path)
    os.makedirs(fleet.params["state_file"])  # a directory where the file should be
    result = fleet.run([host("h", ("c", "critical"))])
    assert keys(result["sent"]) == ["h/c"]
    assert any("cannot write the alert state" in w for w in result["warnings"])


def test_save_failure_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = str(tmp_path / "s.json")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(_statefile.StateFileError, match="No space left on device"):
        state.save_state(path, state.State(), 0.0)
    assert os.listdir(str(tmp_path)) == []


# --- the lock against concurrent runs (job slices on one node) -------------------------------

def _hold_lock(state_file):
    os.makedirs(os.path.dirname(state_file), exist_ok=True)
    fd = os.open(state_file + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_run_waits_for_another_runs_lock(tmp_path):
    fleet = Fleet(tmp_path)
    holder = [_hold_lock(fleet.params["state_file"])]
    pauses = []

    def other_run_finishes(seconds):
        pauses.append(seconds)
        if holder:
            os.close(holder.pop())

    result = cycle.run(dict(fleet.params, results=[host("h", ("c", "critical"))]), post=fleet.post,
                       sleep=other_run_finishes)
    assert pauses == [_statefile.StateLock.POLL] and result["warnings"] == [] and keys(result["sent"]) == ["h/c"]
    assert sorted(os.listdir(os.path.dirname(fleet.params["state_file"]))) == ["alerts.json", "alerts.json.lock"]


def test_a_lock_never_released_costs_a_bounded_wait_and_a_warning(tmp_path):
    fleet = Fleet(tmp_path)
    fd = _hold_lock(fleet.params["state_file"])
    ticks = iter(range(1000))
    try:
        result = cycle.run(dict(fleet.params, results=[host("h", ("c", "critical"))]), post=fleet.post,
                           monotonic=lambda: float(next(ticks)), sleep=lambda s: None, lock_wait=5)
    finally:
        os.close(fd)
    assert "held the alert state lock" in result["warnings"][0] and "for 5s: going on without it" in result["warnings"][0]
    assert keys(result["sent"]) == ["h/c"] and os.path.exists(fleet.params["state_file"])


def test_a_unit_remediation_could_not_read_alerts_as_unknown():
    # issue 29: systemctl missing or systemd not running made every unit no_action, and nothing alerted
    summary = ("nginx.service: unknown: cannot read the unit's state, so remediation cannot act on it: systemctl "
               "show failed (rc 1): System has not been booted with systemd as init system (PID 1). Can't operate.")
    (host,) = machine.remediation_results([{"host": "web1", "units": [
        {"unit": "nginx.service", "outcome": "unknown", "summary": summary},
        {"unit": "cron.service", "outcome": "healthy", "summary": "cron.service: active (running)"}]}])
    assert [(c["name"], c["status"], c["summary"]) for c in host["checks"]] == [
        ("nginx.service", "unknown", summary), ("cron.service", "ok", "cron.service: healthy")]
    assert host["status"] == "unknown" and host["summary"] == "1 of 2 service unit(s) not recovered"
