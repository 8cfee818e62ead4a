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
