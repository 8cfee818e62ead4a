# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWX job slicing, simulated with AWX's own engine: ansible-runner runs the S slices of sre.health.check in
parallel processes over N local hosts, each slice with the hosts and the variables AWX would give it, then
AWX's artifact merge, then the sre.health.fleet_merge playbook, as the next workflow node would run it.

What AWX does, from its source (awx/main/models/, awx/main/tasks/jobs.py; see docs/awx.md):
- slice k of S gets every S-th host of the inventory sorted by name, from the k-th (Inventory.get_sliced_hosts);
- every slice gets awx_job_id (its own), awx_workflow_job_id (the workflow job AWX made of the launch, the same
  for every slice), awx_workflow_job_name, awx_job_template_name, awx_job_launch_type "workflow" and the
  inventory's name (UnifiedJob.awx_meta_vars, Job.awx_meta_vars); no slice number, no slice count;
- the next workflow node gets the slices' set_stats artifacts as extra variables, merged key by key with
  dict.update over the slices that ended successful or failed, in the order they finished
  (WorkflowJob.get_effective_artifacts); a canceled slice gives none.

The merged report must equal an unsliced run's (same hosts, statuses, totals) for S = 1, 3 and 4 over N = 40,
and name the slice that was killed before it reported; node_exporter reads the merged and slice textfiles
from one directory without a scrape error; the merge alerts once, the slices never.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils.promstack import NodeExporter
from ansible_collections.sre.health.tests.unit.plugins.module_utils.webhooks import Receiver
from ansible_collections.sre.health.tests.unit.utils import CALM_THRESHOLDS, ansible_env, collections_path

N = 40
HOSTS = ["node%02d" % number for number in range(1, N + 1)]
CRITICAL = ("node03", "node17", "node22", "node40")     # a file check that finds no file
WARNING = ("node05", "node30")                           # a memory check whose warning range holds any value
OUTER_WORKFLOW = 7000   # the workflow job template's job: check (sliced) -> merge


def host_vars(name):
    checks = []
    if name in CRITICAL:
        checks.append({"name": "marker", "kind": "file", "path": "/nonexistent-sre-health-test/" + name})
    if name in WARNING:
        checks.append({"name": "memory-watch", "kind": "memory",
                       "thresholds": {"used_percent": {"warning": "@0:100"}}})
    return {"health_check_checks": checks} if checks else {}


def inventory(private, hosts):
    """An inventory as AWX's inventory script gives it: the hosts (of the slice), the inventory's variables."""
    document = {"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "health_check_install_deps": False, "health_check_show_summary": False,
                 "health_check_default_checks": [{"name": "memory", "kind": "memory", "thresholds": CALM_THRESHOLDS["memory"]}]},
        "hosts": dict((name, host_vars(name)) for name in hosts)}}
    os.makedirs(os.path.join(private, "inventory"))
    with open(os.path.join(private, "inventory", "hosts.yml"), "w") as handle:
        json.dump(document, handle)  # JSON is YAML


def awx_slice(number, count):
    return sorted(HOSTS)[number - 1::count]


class Job(object):
    """One ansible-runner run, as AWX runs a job: its status, its set_stats artifacts, when it finished."""

    def __init__(self, runner_module, private, playbook, extravars, env, cancel_on_task=None):
        self.job_id = extravars.get("awx_job_id")
        self.finished = None
        self.started_task = threading.Event()
        self.cancel_on_task = cancel_on_task

        def on_event(event):
            task = (event.get("event_data") or {}).get("task") or ""
            if cancel_on_task and event.get("event") == "playbook_on_task_start" and cancel_on_task in task:
                self.started_task.set()
            return True

        def on_finish(_runner):
            self.finished = time.monotonic()

        self.thread, self.runner = runner_module.run_async(
            private_data_dir=private, playbook=playbook, extravars=extravars, envvars=env, quiet=True,
            event_handler=on_event, finished_callback=on_finish,
            cancel_callback=self.started_task.is_set if cancel_on_task else None,
            settings={"pexpect_timeout": 0.2})

    def wait(self, timeout=600):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "ansible-runner did not finish within %d s" % timeout
        return self

    @property
    def status(self):
        return self.runner.status

    def artifacts(self):
        stats = [e for e in self.runner.events if e.get("event") == "playbook_on_stats"]
        return (stats[-1]["event_data"].get("artifact_data") or {}) if stats else {}

    def output(self):
        return self.runner.stdout.read()


class Awx(object):
    """Job IDs, the variables AWX passes, slicing, the artifact merge, and the shared report directory."""

    def __init__(self, tmp_path, runner_module, receiver):
        self.tmp = str(tmp_path)
        self.runner_module = runner_module
        self.reports = os.path.join(self.tmp, "reports")
        self.next_id = 1000
        env = dict((k, v) for k, v in ansible_env().items() if k.startswith("ANSIBLE_"))
        env["ANSIBLE_COLLECTIONS_PATH"] = collections_path()
        self.env = env
        # the job templates' own variables (check and merge share the report directory and the alert target)
        self.template_vars = {"fleet_report_dir": self.reports, "health_check_fail_on": "critical",
                              "fleet_report_alert_targets": [{"type": "webhook", "url": receiver.url}]}

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def meta(self, job_id, workflow_job_id, template):
        meta = {"job_id": job_id, "job_launch_type": "workflow", "workflow_job_id": workflow_job_id,
                "workflow_job_name": template, "workflow_job_launch_type": "manual", "job_template_name": template,
                "inventory_name": "fleet", "inventory_id": 3}
        return dict(("%s_%s" % (prefix, key), value) for prefix in ("awx", "tower") for key, value in meta.items())

    def private(self, name, hosts):
        private = os.path.join(self.tmp, name)
        inventory(private, hosts)
        return private

    def unsliced(self):
        extravars = dict(self.template_vars, fleet_report_alert_targets=[], awx_job_id=self.new_id())
        return Job(self.runner_module, self.private("unsliced", HOSTS), "sre.health.check", extravars,
                   self.env).wait()

    def sliced_launch(self, count, cancel=None):
        """Launch the check with Job Slicing ``count``: every slice at once; slice ``cancel`` is canceled (killed)
        once its checks start. Returns the workflow job ID and the jobs, slice by slice."""
        workflow = self.new_id()
        jobs = []
        for number in range(1, count + 1):
            job_id = self.new_id()
            extravars = dict(self.template_vars, fleet_report_slice_count=count)
            extravars.update(self.meta(job_id, workflow, "Fleet health check"))
            jobs.append(Job(self.runner_module, self.private("w%d-slice%d" % (workflow, number), awx_slice(number, count)),
                            "sre.health.check", extravars, self.env,
                            cancel_on_task="Run every check" if number == cancel else None))
        return workflow, [job.wait() for job in jobs]

    @staticmethod
    def merged_artifacts(jobs):
        """WorkflowJob.get_effective_artifacts: successful and failed jobs, in the order they finished."""
        artifacts = {}
        for job in sorted((j for j in jobs if j.status in ("successful", "failed")), key=lambda j: j.finished):
            artifacts.update(job.artifacts())
        return artifacts

    def merge(self, jobs):
        """The next node of the outer workflow: sre.health.fleet_merge on the same inventory, with the artifacts."""
        job_id = self.new_id()
        extravars = dict(self.template_vars)
        extravars.update(self.merged_artifacts(jobs))
        extravars.update(self.meta(job_id, OUTER_WORKFLOW, "Fleet health merge"))
        return Job(self.runner_module, self.private("merge-%d" % job_id, HOSTS), "sre.health.fleet_merge", extravars,
                   self.env).wait()


def load(path):
    with open(path) as handle:
        return json.load(handle)


def picture(document):
    """What must not depend on slicing: each host's status and its checks' statuses, and the totals."""
    hosts = dict((h["host"], (h["status"], sorted((c["name"], c["status"]) for c in h["checks"])))
                 for h in document["hosts"])
    totals = dict((k, v) for k, v in document["totals"].items() if k != "slices")
    return hosts, totals


def scrape(exporter):
    exporter.metrics()
    text = exporter.metrics()
    assert "node_textfile_scrape_error 0" in text
    log = exporter.log()
    assert "collected before" not in log and "level=error" not in log, log
    return text


@pytest.fixture
def awx(tmp_path, monkeypatch):
    runner_module = pytest.importorskip("ansible_runner")
    # ansible-runner starts ansible-playbook with this process's environment: the real CLI, not
    # ansible-test's module_utils-only ansible on PYTHONPATH and its stubs on PATH.
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    receiver = Receiver()
    try:
        yield Awx(tmp_path, runner_module, receiver), receiver
    finally:
        receiver.close()


def test_sliced_launches_merge_to_the_unsliced_picture_and_name_a_killed_slice(awx, tmp_path):
    awx, receiver = awx
    timings = {}
    started = time.monotonic()
    reference = awx.unsliced()
    timings["unsliced"] = time.monotonic() - started
    # the unhealthy hosts fail the job, as AWX would show it
    assert reference.status == "failed", reference.output()[-4000:]
    expected = picture(load(os.path.join(awx.reports, "fleet-health.job-%d.json" % awx.next_id)))
    assert expected[1]["hosts"] == N and sorted(expected[1]["unhealthy_hosts"]) == sorted(CRITICAL)
    assert sorted(expected[1]["degraded_hosts"]) == sorted(WARNING)
    problems = sorted("%s/marker" % name for name in CRITICAL)

    exporter = NodeExporter(tmp_path / "node_exporter", awx.reports).start()
    try:
        for count in (1, 3, 4):
            started = time.monotonic()
            workflow, jobs = awx.sliced_launch(count)
            timings["S=%d slices" % count] = time.monotonic() - started
            # each slice: its own hosts, unhealthy ones fail it; each publishes under its own key
            for number, job in enumerate(jobs, 1):
                expected_status = "failed" if set(awx_slice(number, count)) & set(CRITICAL) else "successful"
                assert job.status == expected_status, job.output()[-4000:]
                own = job.artifacts()["sre_health_job_%s" % job.job_id]
                assert own["hosts"] == len(awx_slice(number, count))
                assert own["slice"]["workflow_job_id"] == str(workflow) and own["slice"]["count"] == count
            artifacts = Awx.merged_artifacts(jobs)
            assert len([k for k in artifacts if k.startswith("sre_health_job_")]) == count
            # the slices sent nothing: the merge alerts
            assert len(receiver.payloads()) == (0 if count == 1 else 1)
            started = time.monotonic()
            merged = awx.merge(jobs)
            timings["S=%d merge" % count] = time.monotonic() - started
            assert merged.status == "successful", merged.output()[-4000:]
            document = load(os.path.join(awx.reports, "fleet-health.workflow-%d.json" % workflow))
            assert picture(document) == expected, count
            slices = document["totals"]["slices"]
            assert slices == {"workflow_job_id": str(workflow), "expected": count, "reported": count, "complete": True,
                              "missing": [], "unreadable": [], "duplicates": []}
            assert [r["slice"]["number"] for r in document["slices"]["reports"]] == list(range(1, count + 1))
            summary = merged.artifacts()["sre_health"]
            assert summary["hosts"] == N and summary["slices"]["complete"] is True
            assert sorted(summary["unhealthy_hosts"]) == sorted(CRITICAL)
            payloads = receiver.payloads()
            if count == 1:
                # the first merge: one notice for the fleet, each problem once
                (payload,) = payloads
                assert sorted(a["key"] for a in payload["alerts"]) == problems
            else:
                # the same problems later: deduplicated, nothing new
                assert len(payloads) == 1
            scrape(exporter)

        # a launch of 4 slices whose third is killed while it checks, before it reports
        started = time.monotonic()
        workflow, jobs = awx.sliced_launch(4, cancel=3)
        timings["S=4 slices, one killed"] = time.monotonic() - started
        assert jobs[2].status == "canceled", jobs[2].output()[-4000:]
        killed = jobs[2].job_id
        assert not [n for n in os.listdir(awx.reports) if ".job-%s." % killed in n]
        started = time.monotonic()
        merged = awx.merge(jobs)
        timings["S=4 merge, one missing"] = time.monotonic() - started
        # the merge names it, counts its hosts unknown, and fails
        assert merged.status == "failed"
        lost = awx_slice(3, 4)
        line = "slice 3 of 4: no report in %s (10 hosts: %s)" % (awx.reports, ", ".join(lost))
        assert line in merged.output()
        document = load(os.path.join(awx.reports, "fleet-health.workflow-%d.json" % workflow))
        assert document["totals"]["slices"]["missing"] == [line]
        assert document["totals"]["slices"]["complete"] is False and document["totals"]["hosts"] == N
        hosts = dict((h["host"], h) for h in document["hosts"])
        for name in lost:
            assert hosts[name]["status"] == "unknown"
            assert hosts[name]["summary"] == "no report: slice 3 of 4 of workflow job %d did not report" % workflow
        assert sorted(document["totals"]["unhealthy_hosts"]) == sorted(set(CRITICAL) | set(lost))
        summary = merged.artifacts()["sre_health"]
        assert summary["slices"]["missing"] == [line] and summary["hosts"] == N
        # the lost hosts' alerts stay as they were (node03 and node22 alerting, nothing resolved)
        assert len(receiver.payloads()) == 1
        text = scrape(exporter)
    finally:
        exporter.stop()
    # the directory now: the last launch's slice textfiles, its merged one; the earlier launches' superseded
    proms = sorted(n for n in os.listdir(awx.reports) if n.endswith(".prom"))
    last = ["fleet-health.workflow-%d.job-%s.prom" % (workflow, j.job_id)
            for j in jobs if j is not jobs[2]] + ["fleet-health.workflow-%d.prom" % workflow]
    assert proms == sorted(last)
    assert 'sre_health_host_status{host="node07",job_id="workflow-%d",report="fleet-health"} 3' % workflow in text
    print("timings (s): " + ", ".join("%s %.1f" % item for item in timings.items()))
