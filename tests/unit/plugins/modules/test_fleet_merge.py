# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""fleet_merge as Ansible runs it: the module (its action plugin) through the ansible CLI, and the
sre.health.fleet_merge playbook's errors before it merges anything. The slicing itself, end to end, is in
test_fleet_slices.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils.test_merge import HOSTS, write_launch
from ansible_collections.sre.health.tests.unit.utils import ansible_env, run_module


def test_the_module_merges_a_launch_and_names_the_missing_slice(tmp_path):
    write_launch(tmp_path, 3, skip=(2,))
    run = run_module("fleet_merge", {"dir": str(tmp_path), "workflow_job_id": "100", "hosts": HOSTS, "job_id": "7"})
    assert not run.failed and run.result["changed"] is False, run.result
    assert run.result["files"]["json"] == str(tmp_path / "fleet-health.workflow-100.json")
    slices = run.result["totals"]["slices"]
    assert slices["expected"] == 3 and slices["reported"] == 2 and slices["complete"] is False
    assert slices["missing"] == ["slice 2 of 3: no report in %s (4 hosts: h02, h05, h08, h11)" % tmp_path]
    assert run.result["summary"].startswith("2 of 3 slices of workflow job 100 reported; slice 2 of 3: no report")
    assert len(run.result["results"]) == 8


@pytest.mark.parametrize("args, message", [
    ({"workflow_job_id": "1 OR 1"}, "option workflow_job_id: '1 OR 1' is invalid; accepted: the AWX workflow job ID"),
    ({"workflow_job_id": "100", "formats": ["pdf"]}, "value of formats must be one or more of: json, junit, "
                                                     "prometheus, html. Got no match for: pdf"),
    ({"workflow_job_id": "100", "max_bytes": 1}, "option max_bytes: 1 is invalid; accepted: a number of bytes"),
    ({"workflow_job_id": "100", "slice_count": 20000}, "option slice_count: 20000 is invalid"),
    ({}, "missing required arguments: workflow_job_id"),
])
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    params = {"dir": str(tmp_path)}
    params.update(args)
    run = run_module("fleet_merge", params)
    assert run.failed and message in run.result["msg"], run.result
    assert "Traceback" not in run.stdout + run.stderr


def merge_playbook(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "ansible.cli.playbook", "sre.health.fleet_merge"] + list(args),
                          env=ansible_env(), cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.parametrize("extra, message", [
    ({}, "fleet_report_merge_workflow_job_id is not set and no slice published its summary"),
    ({"sre_health_job_11": {"slice": {"workflow_job_id": "10", "job_id": "11"}},
      "sre_health_job_21": {"slice": {"workflow_job_id": "20", "job_id": "21"}}},
     "the published summaries name several workflow jobs (10, 20): set fleet_report_merge_workflow_job_id"),
    ({"fleet_report_slice_count": -2}, "option slice_count: -2 is invalid"),
    ({"fleet_report_merge_workflow_job_id": "10", "fleet_report_formats": ["json", "pdf"]}, "fleet_report_formats"),
])
def test_the_playbook_says_what_it_lacks_before_it_merges(tmp_path, extra, message):
    proc = merge_playbook(tmp_path, "-e", json.dumps(dict({"fleet_report_dir": str(tmp_path / "reports")}, **extra)))
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    reports = tmp_path / "reports"
    assert not reports.exists() or not [p for p in reports.iterdir() if p.name.startswith("fleet-health")]


def test_the_playbook_merges_what_the_published_summaries_name(tmp_path):
    write_launch(tmp_path / "reports", 2, workflow="31", first_job=32)
    published = {"sre_health_job_%d" % job: {"hosts": 6, "slice": {"workflow_job_id": "31", "job_id": str(job),
                                                                   "count": 2}} for job in (32, 33)}
    proc = merge_playbook(tmp_path, "-e", json.dumps(dict(published, fleet_report_dir=str(tmp_path / "reports"))))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 of 2 slices of workflow job 31 reported" in proc.stdout
    document = json.loads((tmp_path / "reports" / "fleet-health.workflow-31.json").read_text())
    # no inventory: nothing to compare the hosts with, the recorded count is
    assert document["totals"]["slices"]["complete"] is True and document["totals"]["hosts"] == 12
