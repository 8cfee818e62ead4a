# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""service_state with remediate, end to end through the real ansible CLI, on the stand-in systemctl
(the ``standin`` fixture, in conftest.py).

The stand-in (see test_service.py) answers ``systemctl show`` from real captures and refuses anything
else, and records every call: these tests prove what the module does NOT do (restart on bad input, in
check mode, past the flap guard) and how it reports a restart that systemctl refuses. Real restarts on
real systemd are the molecule scenario ``remediation``.
"""

from __future__ import annotations

import json
import os
import re
import time

from ansible_collections.sre.health.tests.unit.plugins.module_utils.test_service import calls
from ansible_collections.sre.health.tests.unit.plugins.modules.test_service_module import assert_no_traceback
from ansible_collections.sre.health.tests.unit.utils import run_module


def restarts(record):
    return [call for call in calls(record) if call and call[0] != "show"]


def remediate(python, state_file, check=False, **args):
    args.setdefault("fail_on", "never")
    return run_module("service_state", dict(args, remediate=True, state_file=state_file), python=python, check=check)


def test_an_unknown_unit_fails_before_anything_is_restarted(standin, tmp_path):
    python, record = standin
    state = str(tmp_path / "state" / "restarts.json")
    run = remediate(python, state, name=["app", "nosuch", "nginx"])
    assert run.failed
    assert run.result["msg"] == ("option name: ['app', 'nosuch', 'nginx'] is invalid; accepted: units that exist on "
                                 "this host; not found: nosuch.service (nothing was restarted)")
    assert restarts(record) == [] and not os.path.exists(state)
    assert_no_traceback(run)


def test_bad_limits_and_probes_fail_before_systemctl_runs(standin, tmp_path):
    python, record = standin
    state = str(tmp_path / "restarts.json")
    for args, message in [
        ({"max_restarts": -1}, "option max_restarts: -1 is invalid; accepted: an integer of 1 or more"),
        ({"restart_window": "1 fortnight"}, "option restart_window: '1 fortnight' is invalid"),
        ({"restart_window": "1e308d"}, "option restart_window: '1e308d' is not a finite duration"),
        ({"probe": {"kind": "ping", "host": "127.0.0.1"}},
         "option probe: option kind: 'ping' is invalid; accepted: http, port"),
        ({"expect": "inactive"}, "option expect: 'inactive' is invalid; accepted: active when remediate is true"),
    ]:
        run = remediate(python, state, name=["app"], **args)
        assert run.failed and message in run.result["msg"], (args, run.result)
        assert_no_traceback(run)
    assert calls(record) == [] and not os.path.exists(state)


def test_probe_credentials_never_show(standin, tmp_path):
    python, _record = standin
    run = remediate(python, str(tmp_path / "r.json"), name=["app"],
                    probe={"kind": "http", "url": "http://127.0.0.1:9/", "url_password": "s3cret-pw", "bogus": 1})
    assert run.failed and "unknown option bogus for kind http" in run.result["msg"]
    assert "s3cret-pw" not in run.stdout + run.stderr


def test_check_mode_predicts_restarts_and_changes_nothing(standin, tmp_path):
    python, record = standin
    state = str(tmp_path / "restarts.json")
    run = remediate(python, state, check=True, name=["app", "nginx", "flappy", "slow"])
    assert not run.failed, run.result
    assert run.result["changed"] is True
    outcomes = dict((c["unit"], (c["outcome"], c["status"], c["action"])) for c in run.result["checks"])
    assert outcomes == {
        "app.service": ("would_restart", "critical", "would restart"),       # failed
        "nginx.service": ("healthy", "ok", "none"),
        "flappy.service": ("would_restart", "critical", "would restart"),    # waiting to auto-restart
        "slow.service": ("no_action", "warning", "none"),                    # still starting: leave it
    }
    app = run.result["checks"][0]
    assert app["found"].startswith("app.service: failed")
    assert app["summary"].startswith("app.service: would restart: was failed; check mode, 0 of 3 restarts used in "
                                     "the last 1h; now failed, result exit-code")
    assert restarts(record) == [] and not os.path.exists(state) and not os.path.exists(state + ".lock")


def test_the_flap_guard_stops_restarts_past_the_limit(standin, tmp_path):
    python, record = standin
    state = str(tmp_path / "restarts.json")
    now = time.time()
    with open(state, "w") as handle:
        json.dump({"version": 1, "units": {"app.service": [now - 600, now - 60], "old.service": [now - 90000]}},
                  handle)
    run = remediate(python, state, name=["app"], max_restarts=2, restart_window="1h", fail_on="critical")
    assert run.failed and run.result["changed"] is False
    check = run.result["checks"][0]
    assert (check["outcome"], check["status"], check["action"]) == ("skipped_flap_guard", "critical", "none")
    assert re.match(r"app\.service: not restarted \(flap guard\): was failed; 2 of 2 restarts used in the last 1h, "
                    r"next restart allowed in (49m 5\ds|50m); now failed", check["summary"]), check["summary"]
    assert restarts(record) == []
    # a bigger window counts the old restart too; the file is only read
    with open(state) as handle:
        assert len(json.load(handle)["units"]["app.service"]) == 2


def test_a_restart_systemctl_refuses_is_still_failing_and_counted(standin, tmp_path):
    python, record = standin
    state = str(tmp_path / "restarts.json")
    run = remediate(python, state, name=["app", "nginx"], settle=0)
    assert not run.failed, run.result
    assert run.result["changed"] is True
    app, nginx = run.result["checks"]
    assert (app["outcome"], app["status"], app["action"]) == ("still_failing", "critical", "restart")
    assert "systemctl restart failed (rc 2)" in app["summary"]
    assert nginx["outcome"] == "healthy"
    assert restarts(record) == [["restart", "--no-ask-password", "--", "app.service"]]
    with open(state) as handle:
        saved = json.load(handle)
    assert list(saved["units"]) == ["app.service"] and len(saved["units"]["app.service"]) == 1
    assert oct(os.stat(state).st_mode & 0o777) == "0o600"


def test_a_damaged_or_deleted_restart_log_fails_closed(standin, tmp_path):
    # A damaged or deleted log let a third and fourth restart through inside the window.
    python, record = standin
    state = str(tmp_path / "restarts.json")
    with open(state, "w") as handle:
        handle.write('{"version": 1, "units": ')
    for damage in ("corrupt", "deleted"):
        if damage == "deleted":
            os.unlink(state)  # the lock file of the first run stays, and tells
        run = remediate(python, state, name=["app", "nginx"], settle=0)
        assert not run.failed, run.result
        app, nginx = run.result["checks"]
        assert (app["outcome"], app["status"], app["action"]) == ("skipped_flap_guard", "critical", "none")
        reason = "is not a valid restart log" if damage == "corrupt" else "the restart history was deleted"
        assert "the flap guard cannot count its restarts" in app["summary"] and reason in app["summary"]
        assert nginx["outcome"] == "healthy" and run.result["changed"] is False
        assert restarts(record) == []
        with open(state) as handle:
            assert json.load(handle) == {"version": 1, "units": {}}  # rebuilt: the next run counts again
    again = remediate(python, state, name=["app"], settle=0)
    assert again.result["checks"][0]["action"] == "restart" and len(restarts(record)) == 1
    assert_no_traceback(run)


def test_a_corrupt_state_file_is_a_warning_and_rebuilt(standin, tmp_path):
    python, _record = standin
    state = str(tmp_path / "restarts.json")
    with open(state, "w") as handle:
        handle.write("{not json")
    run = remediate(python, state, name=["nginx"])
    assert not run.failed and run.result["changed"] is False
    # the CLI prints warnings rather than keeping them in the result it saves
    assert re.search(r"WARNING\]: flap guard: \S+ is not a valid restart log .*; rebuilt it with no restart history",
                     run.stdout + run.stderr), run.stdout + run.stderr
    with open(state) as handle:
        assert json.load(handle) == {"version": 1, "units": {}}
    assert_no_traceback(run)
