# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""health_check's controller options (option_vars, fail_on_missing_libraries), table-driven, then through
ansible-playbook: the role's settings read by name give what the templates gave, and each bad use names itself."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.sre.health.plugins.action.health_check import (
    OptionProblem,
    controller_options,
    judge_failure,
    module_for,
    options_from_vars,
    record,
)
from ansible_collections.sre.health.plugins.module_utils import _kinds_resource
from ansible_collections.sre.health.tests.unit.utils import ansible_env

VARIABLES = {"w": 4, "t": "{{ 2 * 5 }}", "deps": "yes", "odd": "sometimes"}


def render(value):
    return 10 if value == "{{ 2 * 5 }}" else value


@pytest.mark.parametrize("option_vars, args, expected_args, expected_controller", [
    ({"max_workers": "w", "timeout": "t"}, {}, {"max_workers": 4, "timeout": 10}, {}),
    ({"fail_on_missing_libraries": "deps"}, {"fail_on": "never"}, {"fail_on": "never"},
     {"fail_on_missing_libraries": True}),
    (None, {"max_workers": 2}, {"max_workers": 2}, {}),
])
def test_options_are_read_from_the_named_variables(option_vars, args, expected_args, expected_controller):
    controller = options_from_vars(args, option_vars, VARIABLES, render)
    assert (args, controller) == (expected_args, expected_controller)


@pytest.mark.parametrize("option_vars, args, message", [
    ({"max_workers": "w"}, {"max_workers": 2}, "option option_vars: max_workers is also given in the task; "
                                               "accepted: one or the other"),
    ({"timeout": "nope"}, {}, "option option_vars: the variable nope (for timeout) is undefined"),
    ({"fail_on_missing_libraries": "odd"}, {}, "option fail_on_missing_libraries: 'sometimes' (from odd) is invalid; "
                                               "accepted: true or false"),
])
def test_a_bad_option_var_names_the_option_and_the_variable(option_vars, args, message):
    with pytest.raises(OptionProblem) as caught:
        options_from_vars(args, option_vars, VARIABLES, render)
    assert str(caught.value) == message


@pytest.mark.parametrize("args, message", [
    ({"option_vars": ["max_workers"]}, "option option_vars: ['max_workers'] is invalid; accepted: a dict of option "
                                       "names to a variable name"),
    ({"option_vars": {"max_workers": "not a name"}}, "option option_vars: {'max_workers': 'not a name'} is invalid"),
    ({"fail_on_missing_libraries": "maybe"}, "option fail_on_missing_libraries: 'maybe' is invalid; accepted: true "
                                             "or false"),
    ({"result_fact": "a-b"}, "option result_fact: 'a-b' is invalid; accepted: a variable name"),
    ({"merge_vars": 3}, "option merge_vars: 3 is invalid; accepted: a string"),
])
def test_bad_controller_options_are_clear_errors(args, message):
    with pytest.raises(OptionProblem) as caught:
        controller_options(dict(args))
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("value, expected", [(True, True), ("yes", True), ("false", False), (0, False)])
def test_fail_on_missing_libraries_takes_what_ansible_takes_for_a_boolean(value, expected):
    assert controller_options({"fail_on_missing_libraries": value})["fail_on_missing_libraries"] is expected


MISSING = {"missing_libraries": ["psutil"], "missing_packages": ["python3-psutil"], "status": "unknown"}


@pytest.mark.parametrize("result, fail, failed", [
    (dict(MISSING), True, True),
    (dict(MISSING), False, False),
    (dict(MISSING), None, None),                     # unset: the module's own outcome stands
    (dict(MISSING, missing_packages=[]), True, False),  # nothing a package manager could give: nothing to install
    ({"failed": True, "msg": "checks[0]: bad", "missing_libraries": []}, True, False),  # a bad definition: recorded
    ({"failed": True, "msg": "checks[0]: bad"}, None, True),
])
def test_with_fail_on_missing_libraries_only_missing_packages_fail_the_task(result, fail, failed):
    judge_failure(result, fail)
    assert result.get("failed") == failed
    if result.get("missing_libraries"):
        assert result["msg"] == "the checks lack Python libraries on this host: psutil (OS packages: %s)" % (
            ", ".join(result["missing_packages"]))


def test_the_role_reads_its_settings_by_name_with_extra_vars_winning(tmp_path):
    """The role's check task, as sre.health.check runs it: defaults, host vars and extra vars (strings from -e)
    reach the module; the one check with its own check_timeout keeps it."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: %s\n"
        "    health_check_install_deps: false\n  hosts:\n    one:\n      health_check_max_workers: 3\n"
        "      health_check_default_checks:\n        - {name: memory, kind: memory}\n"
        "        - {name: load, kind: load, interval: 0.1, check_timeout: 7}\n" % sys.executable)
    play = tmp_path / "play.yml"
    play.write_text(json.dumps([{"hosts": "all", "gather_facts": False, "tasks": [
        {"ansible.builtin.import_role": {"name": "sre.health.health_check", "tasks_from": "check"}}]}]))
    env = ansible_env()
    env.update(ANSIBLE_PIPELINING="False", ANSIBLE_KEEP_REMOTE_FILES="True", ANSIBLE_REMOTE_TMP=str(tmp_path / "remote"))
    run = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory), str(play),
                          "-e", "health_check_timeout=45", "-e", "health_check_install_deps=false"],
                         env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    # the arguments the module got, from the payload Ansible kept
    (payload,) = glob.glob(str(tmp_path / "remote" / "*" / "AnsiballZ_*.py"))
    subprocess.run([sys.executable, payload, "explode"], cwd=os.path.dirname(payload), capture_output=True, check=True)
    with open(os.path.join(os.path.dirname(payload), "debug_dir", "args")) as handle:
        args = json.load(handle)["ANSIBLE_MODULE_ARGS"]
    assert (args["max_workers"], args["timeout"], args["check_timeout"], args["textfile_name"]) == \
        (3, "45", 30, "sre_health.prom")
    assert [(c["name"], c.get("check_timeout")) for c in args["checks"]] == [("memory", None), ("load", 7)]
    assert not set(args) & {"option_vars", "fail_on_missing_libraries", "merge_vars", "result_fact"}


@pytest.mark.parametrize("checks, expected", [
    ([{"name": "d", "kind": "disk"}, {"name": "p", "kind": "process", "pattern": "x"}], "sre.health.resource_check"),
    ([{"name": "d", "kind": "disk"}, {"name": "h", "kind": "http", "url": "http://127.0.0.1/"}],
     "sre.health.health_check"),
    # what resource_check would refuse goes to health_check, whose message names every kind
    ([{"name": "d", "kind": "disk "}], "sre.health.health_check"),
    ([{"name": "d", "kind": ["disk"]}], "sre.health.health_check"),
    ([{"name": "d"}], "sre.health.health_check"),
    (["disk"], "sre.health.health_check"),
    ([], "sre.health.health_check"),
    ("disk", "sre.health.health_check"),
    (None, "sre.health.health_check"),
])
def test_health_check_runs_resource_check_only_when_every_check_is_a_resource_kind(checks, expected):
    assert module_for(checks, "sre.health.health_check", "sre.health.resource_check",
                      _kinds_resource.NAMES) == expected
    # resource_check's own action has no lighter module
    assert module_for(checks, "sre.health.resource_check", None, _kinds_resource.NAMES) == "sre.health.resource_check"


def test_record_escapes_what_an_unreachable_host_sent():
    # the role's failure message prints this summary as it is
    fact = record("web1", {"unreachable": True, "msg": "Task failed: banner\x1b[2J\rOK\n\u202e"})
    assert fact["summary"] == "unreachable: banner\\x1b[2J\\rOK\\n\\u202e"
    assert fact["status"] == "unknown" and fact["health"] == "unhealthy"
