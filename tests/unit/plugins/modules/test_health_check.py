# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""health_check, the health_check role and the sre.health.check playbook, for real."""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils.servers import refused_port
from ansible_collections.sre.health.tests.unit.utils import CALM_THRESHOLDS, ansible_env, fill, run_module

# The machine is shared with every other test and CI job: its load average, and the mounts other tests
# make (a frozen FUSE mount), must not decide these tests. Whole-host checks use bounds the load cannot
# reach and only the root filesystem.
UNREACHABLE_LOAD = {"load5_per_cpu": {"warning": "50", "critical": "100"}}
# The role's default checks with thresholds no state of the shared machine can breach (its load, its disk).
CALM_DEFAULT_CHECKS = "    health_check_default_checks: %s\n" % json.dumps([
    {"name": "disk", "kind": "disk", "paths": ["/"], "thresholds": CALM_THRESHOLDS["disk"]},
    {"name": "memory", "kind": "memory", "thresholds": CALM_THRESHOLDS["memory"]},
    {"name": "load", "kind": "load", "thresholds": CALM_THRESHOLDS["load"]}])


def test_many_kinds_in_one_call(tmpfs):
    fill(tmpfs, int(7.6 * 1024 * 1024))
    run = run_module("health_check", {"checks": [
        {"name": "data", "kind": "disk", "paths": [tmpfs]},
        {"name": "memory", "kind": "memory"},
        # the machine's load (other tests, CI) is not what this test is about: bounds it cannot reach
        {"name": "load", "kind": "load", "interval": 0.1, "thresholds": UNREACHABLE_LOAD},
        {"name": "me", "kind": "process", "pattern": "ansible|python", "interval": 0},
    ]})
    result = run.result
    assert run.failed and result["status"] == "critical" and result["health"] == "unhealthy"
    names = [c["name"] for c in result["checks"]]
    assert names == ["data:" + tmpfs, "memory", "load", "me"]
    assert result["msg"].startswith("1 of 4 checks not ok: CRITICAL: %s 9" % tmpfs)
    assert result["counts"]["critical"] == 1
    assert result["changed"] is False


def test_a_mount_point_that_is_not_utf8_is_shown_escaped_and_costs_nothing_else(tmp_path):
    # Once: "invalid UTF8 string" failed the whole host's health_check.
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    odd = os.path.join(os.fsencode(str(tmp_path)), b"odd-\xff-name")
    os.mkdir(odd)
    subprocess.run([b"mount", b"-t", b"tmpfs", b"-o", b"size=1m", b"sre-health-odd", odd], check=True)
    try:
        run = run_module("health_check", {"checks": [
            {"name": "odd", "kind": "disk", "paths": ["%s/odd-*" % tmp_path], "include_fstypes": ["tmpfs"]},
            {"name": "memory", "kind": "memory", "thresholds": {"used_percent": {"warning": "", "critical": ""}}},
        ], "fail_on": "never"})
    finally:
        subprocess.run([b"umount", b"-l", odd], check=False)
    assert not run.failed, run.stdout + run.stderr
    by_kind = dict((c["kind"], c) for c in run.result["checks"])
    assert by_kind["disk"]["name"] == "odd:%s/odd-\\xff-name" % tmp_path
    assert by_kind["disk"]["status"] == "ok" and "odd-\\xff-name" in by_kind["disk"]["summary"]
    assert by_kind["memory"]["status"] == "ok"


def test_a_backtracking_process_pattern_ends_at_its_check_timeout():
    # Any local user's command line meets the pattern: 34 a's and a "!" against (a+)+$ is 2**34
    # steps. The runner's threads could not stop it (25 s+ with check_timeout 3); a child process can.
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "a" * 34 + "!"])
    try:
        run = run_module("health_check", {"checks": [
            {"name": "evil", "kind": "process", "pattern": "(a+)+$", "interval": 0, "check_timeout": 3},
            {"name": "memory", "kind": "memory", "thresholds": {"used_percent": {"warning": "", "critical": ""}}},
        ], "fail_on": "never"})
    finally:
        victim.kill()
        victim.wait()
    by_name = dict((c["name"], c) for c in run.result["checks"])
    assert by_name["evil"]["status"] == "unknown"
    assert by_name["evil"]["summary"] == "evil: check timed out after 3 s"
    assert by_name["memory"]["status"] == "ok"
    assert run.result["duration_ms"] < 20000  # hours without the deadline; a bound, not a timing test


def test_check_mode_and_fail_on_never():
    run = run_module("health_check", {"checks": [{"name": "ghost", "kind": "process", "pattern": "no-such-[p]roc-xyz"}],
                                      "fail_on": "never"}, check=True)
    assert not run.failed
    assert run.result["status"] == "critical" and run.result["checks"][0]["summary"].endswith("(critical < 1)")


def test_invalid_definition_fails_before_running_without_traceback():
    run = run_module("health_check", {"checks": [{"name": "ok", "kind": "memory"},
                                                 {"name": "web", "kind": "disk", "paths": ["/"], "thresholds":
                                                  {"used_percent": {"warning": "eighty"}}}]})
    assert run.failed
    assert run.result["msg"].startswith("checks[1] (web): thresholds.used_percent.warning: 'eighty'")
    assert "checks" not in run.result
    assert "Traceback" not in run.stdout + run.stderr


def test_an_invalid_entry_never_shows_the_other_entries_secrets():
    # Secrets were registered only after every entry validated: one bad entry printed them all.
    secrets = ["hunter2-url-password", "key-in-a-header-123", "bearer-token-456", "query-token-789", "pw-in-url-000"]
    run = run_module("health_check", {"checks": [
        {"name": "api", "kind": "http", "url": "http://127.0.0.1:9/?token=query-token-789",
         "url_username": "svc", "url_password": "hunter2-url-password", "headers": {"X-Api-Key": "key-in-a-header-123"}},
        {"name": "metrics", "kind": "metrics", "url": "http://user-in-url:pw-in-url-000@127.0.0.1:9/metrics",
         "bearer_token": "bearer-token-456", "expect": [{"metric": "up"}]},
        {"name": "bad", "kind": "disk", "paths": ["relative/path"]},
    ]}, extra_args=["-vvv"])
    assert run.failed and "checks[2] (bad): option paths" in run.result["msg"]
    shown = json.dumps(run.result) + run.stdout + run.stderr
    assert "invocation" in run.result and "module_args" in run.stdout  # what -vvv prints
    assert [s for s in secrets if s in shown] == []


def test_bad_module_options():
    for args, fragment in [
        ({"checks": [], "max_workers": 0}, "option max_workers: 0 is invalid; accepted: 1 to 64"),
        ({"checks": [], "timeout": -1}, "option timeout: -1.0 is invalid"),
        ({"checks": [{"name": "x", "kind": "memory"}], "thresholds": {"a": 1}}, "option thresholds: not used"),
    ]:
        run = run_module("health_check", args)
        assert run.failed and fragment in run.result["msg"]


def test_missing_psutil_is_unknown_for_those_checks_and_the_others_still_report(python_without_psutil):
    run = run_module("health_check", {"checks": [{"name": "root", "kind": "disk", "paths": ["/"]},
                                                 {"name": "memory", "kind": "memory"},
                                                 {"name": "init", "kind": "process", "process_name": "init"}]},
                     python=python_without_psutil)
    by_name = dict((c["name"], c) for c in run.result["checks"])
    assert by_name["init"]["status"] == "unknown"
    assert "missing Python library on this host: psutil (Debian/Ubuntu package python3-psutil" in \
        by_name["init"]["summary"]
    assert by_name["root:/"]["status"] in ("ok", "warning", "critical")
    # on Linux the memory check reads /proc itself
    assert by_name["memory"]["status"] in ("ok", "warning", "critical"), by_name["memory"]
    assert run.failed and run.result["health"] == "unhealthy"
    # what the health_check role installs on such a host (and nothing on a host that has it all)
    assert run.result["missing_libraries"] == ["psutil"]
    assert run.result["missing_packages"] == ["python3-psutil"]
    assert run.result["uid"] == os.getuid()


def test_libraries_are_named_for_the_checks_that_need_them_only(python_without_psutil):
    run = run_module("health_check", {"checks": [
        {"name": "root", "kind": "disk", "paths": ["/"]},
        {"name": "tls", "kind": "port", "host": "127.0.0.1", "port": 9, "tls": True},
        {"name": "api", "kind": "http", "url": "https://127.0.0.1:9/"},
    ], "fail_on": "never"}, python=python_without_psutil)
    assert run.result["missing_libraries"] == ["cryptography", "requests"], run.result
    assert run.result["missing_packages"] == ["python3-cryptography", "python3-requests"]
    run = run_module("health_check", {"checks": [{"name": "root", "kind": "disk", "paths": ["/"]}],
                                      "fail_on": "never"})
    assert run.result["missing_libraries"] == [] and run.result["missing_packages"] == []


def test_hung_mount_does_not_hold_back_the_other_checks(hung_mount):
    run = run_module("health_check", {"checks": [
        {"name": "hung", "kind": "disk", "paths": [hung_mount], "timeout": 30, "check_timeout": 1},
        {"name": "memory", "kind": "memory"},
    ], "fail_on": "never"}, timeout=60)
    by_name = dict((c["name"], c) for c in run.result["checks"])
    assert by_name["hung"]["status"] == "unknown"
    assert by_name["hung"]["summary"] == "hung: check timed out after 1 s"
    assert by_name["memory"]["status"] != "unknown"
    print("health_check with a hung mount returned in %.2f s (check_timeout 1 s)" % run.elapsed)


PLAYBOOK = """
- name: Check with the role
  hosts: all
  gather_facts: false
  roles:
    - role: sre.health.health_check
      vars:
        health_check_fail_on: never
        health_check_install_deps: false
  post_tasks:
    - name: Save the result
      ansible.builtin.copy:
        content: "{{ health_check_result | to_json }}"
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
      delegate_to: localhost
"""


def test_role_merges_defaults_group_vars_and_host_vars(tmp_path):
    inventory = tmp_path / "inventory"
    (inventory / "group_vars").mkdir(parents=True)
    (inventory / "host_vars").mkdir()
    (inventory / "hosts.yml").write_text(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: %s\n"
        "  children:\n    web:\n      hosts:\n        web1:\n        web2:\n    db:\n      hosts:\n        db1:\n"
        "        db2:\n"
        % sys.executable)
    (inventory / "group_vars" / "all.yml").write_text(
        "health_check_checks:\n  - {name: load, kind: load, interval: 0}\n")
    (inventory / "group_vars" / "web.yml").write_text(
        "health_check_checks_web:\n  - {name: python, kind: process, pattern: python, interval: 0}\n"
        # templated where it is merged, with the host's variables
        "health_check_checks_web_templated:\n  - {name: \"{{ 'py' ~ 'thon' }}3\", kind: process, pattern: python,"
        " interval: 0}\n")
    (inventory / "host_vars" / "web2.yml").write_text(
        "health_check_checks_web2:\n  - {name: nginx-xyz, kind: process, interval: 0}\n"
        "  - {name: memory, state: absent}\n")
    (inventory / "host_vars" / "db1.yml").write_text(
        "health_check_checks_db1:\n  - {name: bad, kind: disk, paths: relative}\n")
    (inventory / "host_vars" / "db2.yml").write_text("health_check_checks_db2:\n  - {kind: disk}\n")
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory), str(playbook),
                           "-e", "out_dir=%s" % out], env=ansible_env(), capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = dict((name[:-5], json.loads((out / name).read_text())) for name in os.listdir(str(out)))
    names = dict((host, [c["name"] for c in r["checks"]]) for host, r in results.items())
    # disk checks follow the machine's mounts (other tests mount filesystems meanwhile): the rest is exact
    assert [n for n in names["web1"] if not n.startswith("disk:")] == ["memory", "load", "python", "python3"]
    # sorted by variable name: health_check_checks_web, _web2, _web_templated
    assert names["web2"][-4:] == ["load", "python", "nginx-xyz", "python3"] and "memory" not in names["web2"]
    assert results["web2"]["status"] == "critical"
    assert "nginx-xyz: no process running" in results["web2"]["summary"]
    assert results["db1"]["status"] == "unknown" and results["db1"]["checks"] == []
    assert results["db1"]["summary"].startswith("checks[3] (bad): option paths: 'relative' is invalid")
    # a list that cannot be merged is the host's result too, and names the entry
    assert results["db2"]["status"] == "unknown" and results["db2"]["checks"] == []
    assert results["db2"]["summary"].startswith("option merge_vars: list 2, item 0 has no name"), results["db2"]
    # web1's own checks pass (its disk and load checks report the shared machine, whatever it is doing)
    assert [c["status"] for c in results["web1"]["checks"] if c["name"] in ("memory", "python")] == ["ok", "ok"]
    # The play went on for every host: nothing aborted midway.
    assert "PLAY RECAP" in proc.stdout and "failed=0" in proc.stdout


@pytest.mark.parametrize("extra_args, extra_env", [
    ([], {}),
    (["--check"], {}),
    ([], {"ANSIBLE_STRATEGY": "free"}),
], ids=["linear", "check-mode", "strategy-free"])
def test_playbook_fails_the_unhealthy_hosts_at_the_end(tmp_path, extra_args, extra_env):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: %s\n"
        "    health_check_install_deps: false\n%s  hosts:\n    good:\n    bad:\n"
        "      health_check_checks:\n        - {name: ghost, kind: process, pattern: no-such-process-xyz}\n"
        # each host's own settings decide: a warning fails a host that fails on warnings; a host that is not
        # judged is only shown
        "    strict:\n      health_check_fail_on: warning\n"
        "      health_check_checks:\n        - {name: root, kind: disk, paths: [/], thresholds: {used_percent: {warning: '0'}}}\n"
        "    lenient:\n      health_check_judge: false\n"
        "      health_check_checks:\n        - {name: ghost, kind: process, pattern: no-such-process-xyz}\n"
        % (sys.executable, CALM_DEFAULT_CHECKS))
    env = ansible_env()
    env.update(extra_env)
    # from tmp_path: the playbook writes its fleet reports under the working directory
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory), "sre.health.check"]
                          + extra_args, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "changed=0" in proc.stdout and "changed=1" not in proc.stdout
    assert "bad is unhealthy: 1 of 4 checks not ok: CRITICAL: /no-such-process-xyz/: no process running" in proc.stdout
    assert "strict is degraded: 1 of 4 checks not ok: WARNING: / " in proc.stdout
    recap = proc.stdout[proc.stdout.index("PLAY RECAP"):]
    assert sorted(line.split()[0] for line in recap.splitlines()[1:] if "failed=1" in line) == ["bad", "strict"]
    # Under the free strategy too, the fleet report is written once, after every host was checked.
    assert proc.stdout.count("TASK [sre.health.fleet_report : Write the fleet reports]") == 1
    document = json.loads((tmp_path / "health-reports" / "fleet-health.json").read_text())
    assert sorted(h["host"] for h in document["hosts"]) == ["bad", "good", "lenient", "strict"]
    # Every host's lines in one task, after the reports; then only the hosts to fail run a task of their own.
    lines = _task_output(proc.stdout, VERDICT_TASK)
    for headline in ("good is healthy (ok)", "bad is unhealthy (critical)", "strict is degraded (warning)",
                     "lenient is unhealthy (critical)"):
        assert headline in lines
    assert proc.stdout.index("Write the fleet reports") < proc.stdout.index("Show one line per check of every host")
    judged = proc.stdout[proc.stdout.index("PLAY [Fail the hosts whose status reaches health_check_fail_on]"):]
    assert sorted(re.findall(r"^(?:ok|fatal|skipping): \[(\w+)\]", judged, re.M)) == ["bad", "strict"]


RECORDING_PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - sre.health.health_check:
        checks:
          - {name: memory, kind: memory, thresholds: {used_percent: {warning: '', critical: ''}}}
          - {name: ghost, kind: process, pattern: no-such-process-xyz, interval: 0}
        fail_on: never
        result_fact: my_result
        result_note: "{{ note }}"
      register: run
    - ansible.builtin.copy:
        content: "{{ {'fact': my_result, 'registered_status': run.status | default(none)} | to_json }}"
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        mode: "0600"
      delegate_to: localhost
"""


@pytest.mark.skipif(not shutil.which("ssh"), reason="needs the OpenSSH client")
def test_result_fact_records_every_host_in_the_same_task_even_unreachable_ones(tmp_path):
    sock, port = refused_port()
    try:
        inventory = tmp_path / "hosts.yml"
        inventory.write_text(
            "all:\n  hosts:\n    here:\n      ansible_connection: local\n      ansible_python_interpreter: %s\n"
            "    gone:\n      ansible_host: 127.0.0.1\n      ansible_port: %d\n      ansible_user: nobody\n"
            "      ansible_ssh_common_args: -o BatchMode=yes -o ConnectTimeout=5\n" % (sys.executable, port))
        playbook = tmp_path / "play.yml"
        playbook.write_text(RECORDING_PLAYBOOK)
        out = tmp_path / "out"
        out.mkdir()
        proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory), str(playbook),
                               "-e", "out_dir=%s" % out, "-e", "note=noted"], env=ansible_env(), capture_output=True,
                              text=True, timeout=300, check=False)
    finally:
        sock.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    here = json.loads((out / "here.json").read_text())
    fact = here["fact"]
    assert fact["host"] == "here" and fact["status"] == "critical" and fact["health"] == "unhealthy"
    assert here["registered_status"] == "critical"
    assert [c["name"] for c in fact["checks"]] == ["memory", "ghost"] and fact["counts"]["critical"] == 1
    assert fact["summary"].startswith("1 of 2 checks not ok: CRITICAL: /no-such-process-xyz/: no process running")
    assert fact["summary"].endswith("; noted")
    # The unreachable host stayed in the play (its next task ran) with its connection error as its result.
    gone = json.loads((out / "gone.json").read_text())["fact"]
    assert gone["host"] == "gone" and gone["status"] == "unknown" and gone["health"] == "unhealthy"
    assert gone["summary"].startswith("unreachable: Failed to connect to the host via ssh"), gone
    assert "Connection refused" in gone["summary"] and gone["summary"].endswith("; noted")
    assert gone["checks"] == [] and gone["counts"] == {}


@pytest.mark.parametrize("value, message", [
    ("1x", "option result_fact: '1x' is invalid; accepted: a variable name"),
    ("my-result", "option result_fact: 'my-result' is invalid; accepted: a variable name"),
    (["a"], "option result_fact: ['a'] is invalid; accepted: a string"),
])
def test_a_bad_result_fact_is_a_clear_error(value, message):
    run = run_module("health_check", {"checks": [{"name": "memory", "kind": "memory"}], "result_fact": value})
    assert run.failed and message in run.result["msg"], run.result
    assert "Traceback" not in run.stdout + run.stderr


def test_without_result_fact_an_unreachable_host_is_unreachable(tmp_path):
    sock, port = refused_port()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ansible.cli.adhoc", "gone", "-i", "gone,", "-m", "sre.health.health_check",
             "-a", json.dumps({"checks": [{"name": "memory", "kind": "memory"}]}),
             "-e", "ansible_host=127.0.0.1 ansible_port=%d ansible_user=nobody" % port,
             "-e", "ansible_ssh_common_args='-o BatchMode=yes -o ConnectTimeout=5'"],
            env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    finally:
        sock.close()
    assert proc.returncode == 4 and "UNREACHABLE!" in proc.stdout, proc.stdout + proc.stderr


def _check_playbook(tmp_path, hosts, *extra_args):
    """sre.health.check from tmp_path over ``hosts`` (inventory YAML under ``hosts:``), local connections."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: %s\n%s  hosts:\n%s"
        % (sys.executable, CALM_DEFAULT_CHECKS, hosts))
    return subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory), "sre.health.check"]
                          + list(extra_args), env=ansible_env(), cwd=str(tmp_path), capture_output=True, text=True,
                          timeout=300, check=False)


# The verdict's task, which shows every host's lines
VERDICT_TASK = ("sre.health.health_check : Show one line per check of every host, and the hosts whose status reaches "
                "health_check_fail_on")


def _task_output(stdout, task):
    """The lines Ansible printed under ``TASK [<task>]``, up to the next task or the recap."""
    start = stdout.index("TASK [%s]" % task)
    ends = [i for i in (stdout.find("\nTASK [", start + 1), stdout.find("\nPLAY RECAP", start + 1)) if i > 0]
    return stdout[start:min(ends)]


def test_every_hosts_settings_are_validated_once_before_any_check_runs(tmp_path):
    proc = _check_playbook(tmp_path, "    good:\n    typo:\n      health_check_fail_on: critcal\n"
                                     "    words:\n      health_check_max_workers: many\n")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    # one task for the whole play, and each error names its host and the value
    assert out.count("TASK [sre.health.health_check : Check every host's health_check settings") == 1
    assert "value of health_check_fail_on must be one of: critical, warning, never, got: critcal found in typo" in out
    assert "health_check_max_workers' is of type str found in 'words'" in out
    # no host was checked, nothing was reported
    assert "Run every check in one round-trip" not in out
    assert not (tmp_path / "health-reports" / "fleet-health.json").exists()
    assert "Traceback" not in out


def test_only_the_host_that_lacks_a_library_runs_the_install_step(tmp_path, python_without_psutil):
    # Check mode: the package step runs as it would (a host without psutil, the other with it) but
    # installs nothing on this machine.
    # The default checks need no psutil on Linux: nolib also checks its user's processes (psutil's).
    proc = _check_playbook(tmp_path, "    good:\n    nolib:\n      ansible_python_interpreter: %s\n"
                           "      health_check_checks_mine: [{name: mine, kind: process, user: %s}]\n"
                           % (python_without_psutil, getpass.getuser()), "--check", "-e", "health_check_fail_on=never")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    recap = proc.stdout[proc.stdout.index("PLAY RECAP"):]
    rescued = dict((line.split()[0], "rescued=1" in line) for line in recap.splitlines()[1:] if line.strip())
    assert rescued == {"good": False, "nolib": True}
    install = _task_output(proc.stdout, "sre.health.health_check : Install the missing libraries")
    assert "[nolib]" in install and "[good]" not in install
    # why the first run failed on purpose, in the message Ansible shows for it
    assert "the checks lack Python libraries on this host: psutil (OS packages: python3-psutil)" in out
    hosts = dict((h["host"], h) for h in json.loads((tmp_path / "health-reports" / "fleet-health.json").read_text())["hosts"])
    assert hosts["nolib"]["summary"].endswith("; not installed: python3-psutil (check mode)"), hosts["nolib"]
    assert hosts["good"]["status"] == "ok", hosts["good"]
    # each host's lines are printed once, after the reports
    shown = _task_output(proc.stdout, VERDICT_TASK)
    assert "good is healthy (ok)" in shown and "nolib is unhealthy (unknown)" in shown
    assert proc.stdout.count("good is healthy (ok)") == 1
