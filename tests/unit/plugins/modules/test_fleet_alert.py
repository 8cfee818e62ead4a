# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_alert end to end, through the real ansible CLI, against real webhook receivers on 127.0.0.1:
one that records, one that answers 500, one that never answers, and a closed port."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils import webhooks as W
from ansible_collections.sre.health.tests.unit.utils import run_module

SECRETS = ("s3cr3t-t0ken-never-shown", "query-s3cr3t", "T0SREHEALTH", "hdr-s3cr3t")


def host(name, *checks, **extra):
    entries = [dict(name=c, kind="disk", status=s, summary="%s is %s" % (c, s), metrics={}, thresholds={},
                    duration_ms=1.0) for c, s in checks]
    order = ["ok", "unknown", "warning", "critical"]
    status = max((s for _c, s in checks), key=order.index) if checks else "unknown"
    result = dict(host=name, status=status, health="unhealthy" if status != "ok" else "healthy",
                  summary="%s summary" % name, checks=entries, counts={})
    result.update(extra)
    return result


BAD = [host("web1", ("disk:/var", "critical"), ("memory", "ok")), host("web2", ("disk:/", "ok"))]
FINE = [host("web1", ("disk:/var", "ok"), ("memory", "ok")), host("web2", ("disk:/", "ok"))]


def assert_clean(run, state_file=None, secrets=None):
    """No traceback, and no secret (``secrets``, default this file's) in anything ansible printed or the module
    returned or wrote."""
    texts = [run.stdout, run.stderr, json.dumps(run.result)]
    if state_file and os.path.exists(state_file):
        with open(state_file) as handle:
            texts.append(handle.read())
    for text in texts:
        assert "Traceback" not in text
        for secret in secrets or SECRETS:
            assert secret not in text, secret


@pytest.fixture
def receiver():
    server = W.Receiver()
    yield server
    server.close()


@pytest.fixture
def state(tmp_path):
    return str(tmp_path / "reports" / ".alert-state.json")


def alert(url, state_file, results, check=False, **params):
    args = dict(results=results, url=url, state_file=state_file)
    args.update(params)
    return run_module("fleet_alert", args, check=check)


def events(receiver):
    return [(a["event"], a["key"]) for p in receiver.payloads() for a in p["alerts"]]


def test_fire_dedup_recover_idempotent(receiver, state):
    first = alert(receiver.url, state, BAD)
    assert not first.failed, first.result
    assert first.result["changed"] is True and [s["key"] for s in first.result["sent"]] == ["web1/disk:/var"]
    assert events(receiver) == [("firing", "web1/disk:/var")]
    payload = receiver.payloads()[0]
    assert payload["fleet"] == dict(hosts=2, healthy=1, degraded=0, unhealthy=1, status="critical", firing=1)
    assert payload["alerts"][0]["since"].endswith("Z") and payload["source"] == "sre.health"
    assert receiver.requests[0]["path"].startswith(W.TOKEN_PATH)
    assert_clean(first, state)
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    assert sorted(os.listdir(os.path.dirname(state))) == [".alert-state.json", ".alert-state.json.lock"]

    receiver.clear()
    second = alert(receiver.url, state, BAD)
    assert second.result["changed"] is False and second.result["sent"] == [] and receiver.requests == []
    assert second.result["active"] == ["web1/disk:/var"]

    resolved = alert(receiver.url, state, FINE)
    assert resolved.result["changed"] is True and events(receiver) == [("resolved", "web1/disk:/var")]
    receiver.clear()
    again = alert(receiver.url, state, FINE)
    assert again.result["changed"] is False and receiver.requests == []
    assert_clean(again, state)


def test_reminder_and_cooldown_with_real_runs(receiver, state):
    # reminder 0.5 s: every later run of a still-alerting key is past it
    alert(receiver.url, state, BAD, reminder="500ms")
    reminded = alert(receiver.url, state, BAD, reminder="500ms")
    assert [s["event"] for s in reminded.result["sent"]] == ["reminder"]
    alert(receiver.url, state, FINE, cooldown="1h")
    receiver.clear()
    flap = alert(receiver.url, state, BAD, cooldown="1h")
    assert flap.result["changed"] is False and receiver.requests == []
    assert [s["key"] for s in flap.result["suppressed"]] == ["web1/disk:/var"]
    # with no cooldown left, the next run sends it
    late = alert(receiver.url, state, BAD, cooldown=0)
    assert events(receiver) == [("firing", "web1/disk:/var")] and late.result["changed"] is True


def test_slack_payload(receiver, state):
    run = alert(receiver.url, state, BAD, payload_format="slack")
    assert not run.failed, run.result
    (payload,) = receiver.payloads()
    assert sorted(payload) == ["blocks", "text"]
    assert payload["text"].startswith("sre.health: 1 firing; fleet of 2 hosts")
    assert payload["blocks"][1]["type"] == "section" and payload["blocks"][1]["text"]["type"] == "mrkdwn"
    assert "*FIRING*" in payload["blocks"][1]["text"]["text"] and "web1 disk:/var" in payload["blocks"][1]["text"]["text"]


def test_headers_are_sent_and_never_shown(receiver, state):
    run = alert(receiver.url, state, BAD, headers={"Authorization": "Bearer hdr-s3cr3t"})
    assert receiver.requests[0]["headers"]["Authorization"] == "Bearer hdr-s3cr3t"
    assert_clean(run, state)


def test_check_mode_sends_and_writes_nothing(receiver, state):
    run = alert(receiver.url, state, BAD, check=True)
    assert not run.failed, run.result
    assert run.result["changed"] is True and [s["key"] for s in run.result["sent"]] == ["web1/disk:/var"]
    assert receiver.requests == [] and not os.path.exists(os.path.dirname(state))


def test_webhook_answering_500_is_retried_and_sent_next_run(receiver, state):
    receiver.status = 500
    down = alert(receiver.url, state, BAD, retries=1)
    assert not down.failed, down.result
    assert down.result["changed"] is False and len(receiver.requests) == 2
    (failed,) = down.result["undelivered"]
    assert failed["key"] == "web1/disk:/var" and failed["attempts"] == 2 and "HTTP 500" in failed["reason"]
    assert "not delivered (HTTP 500" in down.stdout + down.stderr
    assert_clean(down, state)
    receiver.status = 200
    receiver.clear()
    up = alert(receiver.url, state, BAD)
    assert events(receiver) == [("firing", "web1/disk:/var")] and up.result["changed"] is True


def test_webhook_refusing_connections_does_not_fail_the_task(state):
    sock, url = W.closed_port()
    try:
        run = alert(url, state, BAD, retries=2)
    finally:
        sock.close()
    assert not run.failed, run.result
    (failed,) = run.result["undelivered"]
    assert "connection refused" in failed["reason"] and failed["attempts"] == 3
    assert_clean(run, state)


@pytest.mark.parametrize("mode", ["trickle", "long-header", "many-headers"])
def test_a_hostile_webhook_is_an_undelivered_notice_and_the_state_is_saved(state, mode):
    hostile = W.Hostile(mode)
    try:
        run = alert(hostile.url, state, BAD, timeout=3, retries=0)
    finally:
        hostile.close()
    assert not run.failed, run.result
    (failed,) = run.result["undelivered"]
    assert failed["key"] == "web1/disk:/var"
    with open(state) as handle:
        saved = json.load(handle)
    assert "web1/disk:/var" in json.dumps(saved)  # kept, to be sent again next run
    assert_clean(run, state)


def test_webhook_that_never_answers_does_not_hang_the_task(state):
    hole = W.BlackHole()
    try:
        run = alert(hole.url, state, BAD, timeout=3, retries=1)
    finally:
        hole.close()
    assert not run.failed, run.result
    # a hang is the bug: the bound is generous, the module's own bound is 3 s
    assert run.elapsed < 60
    (failed,) = run.result["undelivered"]
    assert "no answer" in failed["reason"]
    assert_clean(run, state)


def test_unreachable_host_gets_a_host_alert(receiver, state):
    unreachable = dict(host="db1", status="unknown", health="unhealthy", summary="db1 is unreachable", checks=[])
    run = alert(receiver.url, state, [unreachable])
    assert [(s["key"], s["check"]) for s in run.result["sent"]] == [("db1", None)]


def test_corrupt_state_is_rebuilt_with_a_warning(receiver, state):
    os.makedirs(os.path.dirname(state))
    with open(state, "w") as handle:
        handle.write("{half a json")
    run = alert(receiver.url, state, BAD)
    assert not run.failed, run.result
    assert "is not valid JSON" in run.stdout + run.stderr and "rebuilt from this run" in run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    with open(state) as handle:
        assert json.load(handle)["version"] == 2
    assert sorted(os.listdir(os.path.dirname(state))) == [".alert-state.json", ".alert-state.json.lock"]


@pytest.mark.parametrize("url, fragment", [
    ("ftp://hooks.example.com" + W.TOKEN_PATH, "url is not a valid http(s) URL"),
    ("hooks.example.com" + W.TOKEN_PATH, "url is not a valid http(s) URL"),
    ("https://" + W.TOKEN_PATH, "url is not a valid http(s) URL"),
])
def test_bad_url_fails_without_showing_it(state, url, fragment):
    run = alert(url, state, BAD)
    assert run.failed and fragment in run.result["msg"]
    assert_clean(run)


@pytest.mark.parametrize("params, fragment", [
    (dict(payload_format="teams"), "payload_format"),
    (dict(cooldown="-1m"), "option cooldown: '-1m' is negative"),
    # a duration past every bound: a clean option error, never an OverflowError traceback
    (dict(cooldown="1e308d"), "option cooldown: '1e308d' is not a finite duration"),
    (dict(reminder="often"), "option reminder: 'often' is invalid"),
    (dict(alert_on=["ok"]), "alert_on"),
])
def test_bad_options_fail_clearly(receiver, state, params, fragment):
    run = alert(receiver.url, state, BAD, **params)
    assert run.failed and fragment in run.result["msg"], run.result
    assert receiver.requests == []
    assert_clean(run)


def test_concurrent_runs_sharing_a_state_file_send_once(receiver, state):
    """Two slices alerting at the same moment with one state file: the second sees the first's notice."""
    import threading

    runs = []
    threads = [threading.Thread(target=lambda: runs.append(alert(receiver.url, state, BAD))) for _i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(runs) == 2 and not any(run.failed for run in runs)
    assert events(receiver) == [("firing", "web1/disk:/var")]
    assert sorted(run.result["changed"] for run in runs) == [False, True]


# --- in-process (issue 14): the action plugin runs the module's code in the worker, the module still works ---------

def test_runs_in_process_with_no_module_sent_and_no_secret_even_at_vvv(receiver, state):
    url = receiver.url + "/s3cr3t-t0ken-never-shown"
    run = run_module("fleet_alert", dict(results=BAD, url=url, state_file=state,
                                         headers={"Authorization": "Bearer hdr-s3cr3t"}), extra_args=("-vvv",))
    assert not run.failed, run.result
    assert [s["key"] for s in run.result["sent"]] == ["web1/disk:/var"] and run.result["changed"] is True
    # no AnsiballZ payload built, sent and run: the action ran the code in its worker
    assert "AnsiballZ_fleet_alert" not in run.stdout + run.stderr and "EXEC" not in run.stdout
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    assert sorted(os.listdir(os.path.dirname(state))) == [".alert-state.json", ".alert-state.json.lock"]
    assert_clean(run, state)


def test_the_module_itself_runs_the_same_code_and_returns_the_same(tmp_path, receiver):
    """The module, as a play that sends it to a host runs it: same results, state and check mode."""
    import subprocess
    import sys

    from ansible_collections.sre.health.tests.unit.utils import ansible_env, collections_path

    module = os.path.join(collections_path(), "ansible_collections", "sre", "health", "plugins", "modules",
                          "fleet_alert.py")
    env = ansible_env()
    env["PYTHONPATH"] = collections_path()

    def as_module(state_file, check=False):
        args = tmp_path / "args.json"
        args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(results=BAD, url=receiver.url, state_file=state_file,
                                                                _ansible_check_mode=check)}))
        proc = subprocess.run([sys.executable, module, str(args)], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        return json.loads(proc.stdout)

    checked = as_module(str(tmp_path / "m" / "state.json"), check=True)
    assert [s["key"] for s in checked["sent"]] == ["web1/disk:/var"] and not (tmp_path / "m").exists()
    assert receiver.requests == []
    module_state = str(tmp_path / "m" / "state.json")
    by_module = as_module(module_state)
    action_state = str(tmp_path / "a" / "state.json")
    by_action = alert(receiver.url, action_state, BAD).result
    assert sorted(k for k in by_module if k != "invocation") == sorted(by_action)
    assert [s["key"] for s in by_module["sent"]] == [s["key"] for s in by_action["sent"]] == ["web1/disk:/var"]
    assert by_module["changed"] is by_action["changed"] is True
    assert stat.S_IMODE(os.stat(module_state).st_mode) == stat.S_IMODE(os.stat(action_state).st_mode) == 0o600
    assert events(receiver) == [("firing", "web1/disk:/var")] * 2


def test_result_var_reads_each_hosts_result_from_its_variables(receiver, state):
    # localhost's own variable (here from -e: a trusted template, so read through hostvars), and a host of hosts
    # that is not in the inventory: left out, as selectattr('defined') leaves it out
    extra = {"mine": BAD[0], "templated": "{{ mine }}"}
    for name in ("mine", "templated"):
        receiver.clear()
        run = run_module("fleet_alert", dict(result_var=name, hosts=["localhost", "absent"], url=receiver.url,
                                             state_file=state + name), extra_args=("-e", json.dumps(extra)))
        assert not run.failed, run.result
        assert [s["key"] for s in run.result["sent"]] == ["web1/disk:/var"] and run.result["changed"] is True
        assert events(receiver) == [("firing", "web1/disk:/var")]
        assert_clean(run, state + name)


@pytest.mark.parametrize("params, fragment", [
    (dict(results=BAD, result_var="mine"), "parameters are mutually exclusive: results|result_var"),
    (dict(), "one of the following is required: results, result_var"),
    (dict(result_var="not a name"), "option result_var: 'not a name' is invalid; accepted: the name of a variable"),
])
def test_bad_result_var_is_a_clear_error(receiver, state, params, fragment):
    run = run_module("fleet_alert", dict(params, url=receiver.url, state_file=state))
    assert run.failed and fragment in run.result["msg"], run.result
    assert receiver.requests == [] and not os.path.exists(state)
    assert_clean(run)


def test_the_module_refuses_result_var(state):
    # sent to a host, the module has no hosts' variables to read
    from ansible_collections.sre.health.plugins.module_utils._alert import module as alert_module
    from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError

    with pytest.raises(SreHealthError, match="option result_var: 'mine' is not accepted by the module"):
        alert_module.run(dict(result_var="mine", results=None, url="http://127.0.0.1:9/", state_file=state))
