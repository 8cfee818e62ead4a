# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A command check's secrets (``secrets`` referenced from argv/args, ``environment`` values) reach the plugin and
nothing else: not the result, its summary, the invocation Ansible prints at -vvv, the fleet reports or the alerts,
even when the plugin itself echoes them. Run for real through the ansible CLI, with a real plugin (a shell script)
that proves it received the right values."""

from __future__ import annotations

import hashlib
import json

import pytest

from ansible_collections.sre.health.tests.unit.utils import run_module

ARG_SECRET = "arg-s3cret-Qx7"
ENV_SECRET = "env-s3cret-Zk9"
PUBLIC_VALUE = "public-db-host-42"
# What the plugin prints when it got the right values: a digest of them, which shows the values arrived without
# showing them.
PROOF = hashlib.sha256(("%s %s" % (ARG_SECRET, ENV_SECRET)).encode()).hexdigest()[:16]

# A plugin that checks what it was given, then echoes every secret: in its summary line, in a perfdata label, in its
# long output and on stderr. It exits 3 (unknown) unless both values are right.
PLUGIN = r"""#!/bin/sh
expected_arg='%(arg)s'
expected_env='%(env)s'
[ "$1" = "--password=$expected_arg" ] && [ "$2" = "$expected_arg" ] && [ "$PGPASSWORD" = "$expected_env" ] \
  && [ "$PGHOST" = '%(public)s' ] || { echo "UNKNOWN - wrong credentials"; exit 3; }
proof=$(printf '%%s %%s' "$2" "$PGPASSWORD" | sha256sum | cut -c1-16)
mode=${3:-nagios}
if [ "$mode" = sleep ]; then
  echo "waiting for $2 and $PGPASSWORD, proof $proof"
  exec sleep 1000
fi
echo "OK - proof $proof, got $2 and $PGPASSWORD from $PGHOST | '$2'=1;; time=0.1s;;"
echo "long output with $PGPASSWORD and $1"
echo "stderr has $2 and $PGPASSWORD" >&2
exit 0
"""


@pytest.fixture
def plugin(tmp_path):
    path = tmp_path / "check_secretive"
    path.write_text(PLUGIN % {"arg": ARG_SECRET, "env": ENV_SECRET, "public": PUBLIC_VALUE})
    path.chmod(0o755)
    return str(path)


def options(plugin, *extra):
    return {
        "argv": [plugin, "--password=${secrets.db}", "${secrets.db}"] + list(extra),
        "secrets": {"db": ARG_SECRET},
        "environment": {"PGPASSWORD": ENV_SECRET, "PGHOST": PUBLIC_VALUE},
        "public_environment": ["PGHOST"],
    }


def everything(run):
    """What the module returned and ansible printed of it (an ad-hoc command's failure also echoes the task's
    arguments as typed, its "Origin" line: Ansible's display of the command line, not the module's)."""
    printed = [line for line in (run.stdout + run.stderr).splitlines() if not line.startswith("{'action': ")]
    return "\n".join(printed) + json.dumps(run.result)


def assert_hidden(run):
    shown = everything(run)
    assert "Traceback" not in shown
    assert ARG_SECRET not in shown
    assert ENV_SECRET not in shown


@pytest.mark.parametrize("fmt", ["nagios", "plain"])
def test_command_check_hands_the_plugin_its_secrets_and_shows_none(plugin, fmt):
    args = dict(options(plugin), format=fmt, fail_on="never")
    if fmt == "plain":
        args["stdout"] = "^OK - proof "
    run = run_module("command_check", args, extra_args=["-vvv"])
    assert_hidden(run)
    assert "module_args" in run.stdout  # what -vvv prints: the invocation
    check = run.result["checks"][0]
    assert check["status"] == "ok", check
    assert PROOF in check["summary"] if fmt == "nagios" else PROOF in check["stdout"]
    # what is not secret stays readable
    assert PUBLIC_VALUE in json.dumps(run.result)
    assert check["command"] == "%s --password=******** ********" % plugin


def test_command_check_timeout_shows_no_secret(plugin):
    run = run_module("command_check", dict(options(plugin, "sleep"), timeout=1, fail_on="never"),
                     extra_args=["-vvv"])
    assert_hidden(run)
    check = run.result["checks"][0]
    assert check["status"] == "unknown" and check["timed_out"] is True
    assert "timed out after 1 s" in check["summary"] and PROOF in check["summary"]


def entry(name, plugin, *extra, **more):
    return dict(options(plugin, *extra), name=name, kind="command", **more)


def test_health_check_entries_show_no_secret_in_results_reports_or_alerts(plugin, tmp_path):
    from ansible_collections.sre.health.plugins.action.health_check import record
    from ansible_collections.sre.health.plugins.module_utils import _report
    from ansible_collections.sre.health.plugins.module_utils._alert import cycle

    run = run_module("health_check", {"checks": [
        entry("nagios", plugin),
        # exit 0, but an expectation fails: critical, so the alerts below have something to say
        entry("plain", plugin, format="plain", stdout="^never printed"),
        entry("slow", plugin, "sleep", timeout=1),
    ], "fail_on": "never"}, extra_args=["-vvv"])
    assert_hidden(run)
    assert "module_args" in run.stdout
    checks = dict((c["name"], c) for c in run.result["checks"])
    assert checks["nagios"]["status"] == "ok" and PROOF in checks["nagios"]["summary"], checks["nagios"]
    assert checks["plain"]["status"] == "critical" and PROOF in checks["plain"]["stdout"]
    assert checks["slow"]["status"] == "unknown" and PROOF in checks["slow"]["summary"]

    # The fleet's reports and alerts are made of what the module returned (the role records it as a fact).
    results = [record("db1", run.result)]
    paths, _totals = _report.write_reports(results, str(tmp_path / "reports"), list(_report.FORMATS))
    assert sorted(paths) == sorted(_report.FORMATS)
    for path in paths.values():
        with open(path) as handle:
            text = handle.read()
        assert "plain" in text and ARG_SECRET not in text and ENV_SECRET not in text, path
    posts = []
    cycle.run({"url": "http://127.0.0.1:9/hook", "state_file": str(tmp_path / "alerts.json"), "results": results,
               "alert_after": 1}, post=lambda body, timeout: posts.append(body.decode("utf-8")))
    assert posts and "plain" in posts[0]
    for body in posts:
        assert ARG_SECRET not in body and ENV_SECRET not in body


def test_an_invalid_command_entry_shows_no_secret_at_vvv(plugin):
    bad = entry("bad", plugin)
    bad["argv"] = bad["argv"] + ["${secrets.nope}"]
    run = run_module("health_check", {"checks": [entry("good", plugin), bad]}, extra_args=["-vvv"])
    assert run.failed
    assert "checks[1] (bad): option argv[3]: '${secrets.nope}' is invalid; accepted: ${secrets.NAME} with NAME a " \
           "key of secrets (db)" in run.result["msg"]
    assert "module_args" in run.stdout
    assert_hidden(run)


@pytest.mark.parametrize("args, fragments", [
    ({"secrets": {"db": [ARG_SECRET]}},
     ["option secrets.db: <a value of type list, not shown: a secret> is invalid; accepted: a string or a number"]),
    ({"secrets": {"2db": ARG_SECRET}}, ["option secrets: '2db' is invalid", "names of letters, digits and _"]),
    ({"environment": {"PGPASSWORD": ENV_SECRET}, "public_environment": ["PGHOTS"]},
     ["option public_environment: 'PGHOTS' is invalid; accepted: a list of names of variables given in environment "
      "(PGPASSWORD)"]),
    # a value that is not a secret, not said so: a clear error, not a result with every "C" masked
    ({"environment": {"LC_ALL": "C"}},
     ["option environment.LC_ALL: <a value of 1 character(s), not shown: a secret> is invalid; accepted: LC_ALL named "
      "in public_environment"]),
    ({"argv": ["/bin/true", "--password=${secrets.pw}"], "secrets": {"db": ARG_SECRET}},
     ["option argv[1]: '${secrets.pw}' is invalid; accepted: ${secrets.NAME} with NAME a key of secrets (db)"]),
])
def test_bad_secret_options_are_clear_errors_that_show_no_secret(args, fragments):
    run = run_module("command_check", dict({"argv": ["/bin/true"]}, **args), extra_args=["-vvv"])
    assert run.failed
    for fragment in fragments:
        assert fragment in run.result["msg"]
    assert_hidden(run)
