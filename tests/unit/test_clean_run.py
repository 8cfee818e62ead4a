# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The README's commands, as a user runs them after `make run`: the clone's ansible.cfg, the virtual
environment's ansible-playbook first on a plain PATH, and no other setting (none of the ANSIBLE_* variables the
other tests set, nor ansible-test's own configuration). The run prints no warning the user did not cause, no
Python DeprecationWarning (CryptographyDeprecationWarning was one, three times a run), counts in good English,
and results as YAML, as the README's sample output shows them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.sre.health.tests.unit.utils import CALM_THRESHOLDS, collections_path

ROOT = os.path.join(collections_path(), "ansible_collections", "sre", "health")

# Debian's PATH for a login shell, which `source .venv/bin/activate` puts the environment's bin/ before
PLAIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _user_env():
    """The environment of a user's shell after `source .venv/bin/activate`: nothing of this test run's."""
    env = dict(PATH=os.path.join(sys.prefix, "bin") + os.pathsep + PLAIN_PATH, VIRTUAL_ENV=sys.prefix,
               LANG="C.UTF-8")
    for name in ("HOME", "USER", "LOGNAME", "TMPDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _clone_config(tmp_path):
    """The clone's ansible.cfg, its collections_path naming this checkout instead of .build/installed (which
    `make run` fills from this checkout); every other line as the user gets it."""
    with open(os.path.join(ROOT, "ansible.cfg")) as handle:
        text = handle.read()
    text, count = re.subn(r"(?m)^collections_path\s*=.*$", "collections_path = %s" % collections_path(), text)
    assert count == 1, "ansible.cfg sets no collections_path: the README's commands need it"
    (tmp_path / "ansible.cfg").write_text(text)


@pytest.mark.parametrize("inventory", [True, False], ids=["own-inventory", "no-inventory"])
def test_the_readme_command_prints_no_warning_and_yaml_results(tmp_path, inventory):
    _clone_config(tmp_path)
    # bounds the machine cannot reach: the test is about the output, not about this machine's load
    (tmp_path / "calm.json").write_text(json.dumps({"health_check_default_checks": [
        {"name": "disk", "kind": "disk", "paths": ["/"], "thresholds": CALM_THRESHOLDS["disk"]},
        {"name": "memory", "kind": "memory", "thresholds": CALM_THRESHOLDS["memory"]},
        {"name": "load", "kind": "load", "thresholds": CALM_THRESHOLDS["load"]}]}))
    args = []
    if inventory:
        # a user's inventory: localhost by name, its Python found by interpreter discovery
        (tmp_path / "inventory").write_text("[web]\nlocalhost ansible_connection=local\n")
        args = ["-i", "inventory"]
    playbook = os.path.join(sys.prefix, "bin", "ansible-playbook")
    proc = subprocess.run([playbook, "sre.health.check"] + args + ["-e", "@calm.json"], env=_user_env(),
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for unwanted in ("[WARNING]", "[DEPRECATION WARNING]", "Warning:", "DeprecationWarning"):
        assert unwanted not in out, out
    assert not re.search(r"\b1 hosts\b", out), out
    assert "'fleet healthy: 1 host, 1 healthy, 0 degraded, 0 unhealthy'" in out, out
    # YAML results, as the README shows them (JSON would print "msg": [)
    assert re.search(r"(?m)^ok: \[localhost\] => *\n    msg:\n", out) and '"msg":' not in out, out
    assert (tmp_path / "health-reports" / "fleet-health.json").is_file()
