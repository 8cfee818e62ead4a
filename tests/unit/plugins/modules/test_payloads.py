# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What each module's AnsiballZ payload carries, as Ansible itself builds it (the files kept, then exploded):
health_check every kind, resource_check the four resource kinds, a standalone module its own kind.
(Which module health_check's action runs for a list of checks: tests/unit/plugins/action.)"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.sre.health.plugins.module_utils import _health, _kinds_all, _kinds_resource, _textfile
from ansible_collections.sre.health.tests.unit.utils import CALM_THRESHOLDS, COUNT_COMPILES, ansible_env

UTILS = "ansible_collections/sre/health/plugins/module_utils/"
# The file that makes each kind (a package's __init__ for the log kind).
KIND_FILES = {"disk": "_disk.py", "memory": "_memory.py", "load": "_load.py", "process": "_process.py",
              "service": "_service.py", "http": "_http.py", "port": "_port.py", "metrics": "_metrics.py",
              "log": "_logscan/__init__.py", "command": "_command.py", "file": "_file.py",
              "certificate": "_certificate.py", "dns": "_dns.py", "systemd": "_systemd.py"}


def kept_payload(tmp_path, task):
    """The AnsiballZ payload of the one module ``task`` runs on localhost, as Ansible built it and kept it."""
    remote = tmp_path / "remote"
    play = tmp_path / "play.yml"
    play.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [task]}]))
    env = ansible_env()
    env.update(ANSIBLE_PIPELINING="False", ANSIBLE_KEEP_REMOTE_FILES="True", ANSIBLE_REMOTE_TMP=str(remote))
    run = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", "localhost,", "-c", "local",
                          "-e", "ansible_python_interpreter=" + sys.executable, str(play)],
                         env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    (payload,) = glob.glob(str(remote / "*" / "AnsiballZ_*.py"))
    return payload


def shipped(tmp_path, task):
    """``(module file name, {kind: shipped?})`` of the one module ``task`` runs on localhost."""
    payload = kept_payload(tmp_path, task)
    subprocess.run([sys.executable, payload, "explode"], cwd=os.path.dirname(payload), capture_output=True,
                   check=True)
    base = os.path.join(os.path.dirname(payload), "debug_dir", UTILS)
    return (os.path.basename(payload)[len("AnsiballZ_"):],
            dict((kind, os.path.exists(os.path.join(base, path))) for kind, path in KIND_FILES.items()))


def only(*kinds):
    return dict((kind, kind in kinds) for kind in KIND_FILES)


@pytest.mark.parametrize("task, module, kinds", [
    # the health_check role's default checks: resource_check runs in health_check's place
    ({"sre.health.health_check": {"checks": [{"name": "disk", "kind": "disk"}, {"name": "memory", "kind": "memory"},
                                             {"name": "load", "kind": "load", "interval": 0.1}],
                                  "fail_on": "never"}},
     "resource_check.py", only("disk", "memory", "load", "process")),
    # one check of another kind: health_check itself, with every kind
    ({"sre.health.health_check": {"checks": [{"name": "disk", "kind": "disk"},
                                             {"name": "closed", "kind": "port", "port": 1, "state": "closed"}],
                                  "fail_on": "never"}},
     "health_check.py", only(*KIND_FILES)),
    ({"sre.health.disk_usage": {"fail_on": "never"}}, "disk_usage.py", only("disk")),
    ({"sre.health.cpu_load": {"interval": 0.1, "fail_on": "never"}}, "cpu_load.py", only("load")),
])
def test_a_module_ships_the_kinds_it_can_run_and_no_other(tmp_path, task, module, kinds):
    assert shipped(tmp_path, task) == (module, kinds)


def test_the_resource_kinds_are_kinds_of_health_check_and_the_textfile_default_is_one():
    assert set(_kinds_resource.NAMES) < set(_kinds_all.NAMES)
    assert [_kinds_resource.KINDS[name] for name in _kinds_resource.NAMES] == \
        [_kinds_all.KINDS[name] for name in _kinds_resource.NAMES]
    assert _health.DEFAULT_TEXTFILE_NAME == _textfile.DEFAULT_NAME


# Runs a payload as Ansible does (its own Python, the zip it unpacks), counting compile() calls per file name.
COUNTING_DRIVER = COUNT_COMPILES + r"""
sys.argv = sys.argv[1:]  # the payload alone, as Ansible runs it (a second argument is a debug command)
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    sys.stderr.write(json.dumps({"compiled": compiled, "psutil imported": "psutil" in sys.modules}))
"""


def test_the_default_checks_compile_each_file_once_and_import_no_psutil(tmp_path):
    payload = kept_payload(tmp_path, {"sre.health.health_check": {
        "checks": [{"name": "disk", "kind": "disk", "paths": ["/"], "thresholds": CALM_THRESHOLDS["disk"]},
                   {"name": "memory", "kind": "memory", "thresholds": CALM_THRESHOLDS["memory"]},
                   {"name": "load", "kind": "load", "interval": 0, "thresholds": CALM_THRESHOLDS["load"]}],
        "fail_on": "never"}})
    driver = tmp_path / "driver.py"
    driver.write_text(COUNTING_DRIVER)
    run = subprocess.run([sys.executable, str(driver), payload], cwd=os.path.dirname(payload), capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["status"] == "ok" and [check["kind"] for check in result["checks"]] == ["disk", "memory", "load"]
    report = json.loads(run.stderr)
    # On Linux the default checks (disk, memory, load) read /proc and statvfs() themselves.
    assert report["psutil imported"] is False
    compiled = report["compiled"]
    ours = dict((name.split(".zip" + os.sep, 1)[1], count) for name, count in compiled.items()
                if ".zip" + os.sep + UTILS in name)
    # The package and _compile_once itself come before its finder; every file after it is compiled once.
    assert ours.pop(UTILS + "__init__.py") >= 1 and ours.pop(UTILS + "_compile_once.py") >= 1
    assert sorted(ours) == sorted(UTILS + name for name in (
        "_errors.py", "_units.py", "_ranges.py", "_status.py", "_kind.py", "_runner.py", "_checks.py", "_module.py",
        "_health.py", "_registry.py", "_kinds_resource.py", "_disk.py", "_memory.py", "_load.py", "_procfs.py",
        "_printable.py"))
    assert set(ours.values()) == {1}, ours
