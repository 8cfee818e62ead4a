#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_merge
short_description: Merge the fleet reports of the slices of an AWX sliced job into one fleet report
version_added: 1.1.0
description:
  - Runs on the controller, in the process that runs the task (an action plugin of the same name), like
    M(sre.health.fleet_report). The C(merge) entry point of the C(sre.health.fleet_report) role and the
    C(sre.health.fleet_merge) playbook call it once, in the workflow node after a sliced C(sre.health.check).
  - 'AWX runs a job template with I(Job Slicing) S as a workflow job of S jobs, slice k on every S-th host of the
    inventory sorted by name, from the k-th. Each slice''s M(sre.health.fleet_report) (with O(sre.health.fleet_report#module:workflow_job_id))
    writes C(<basename>.workflow-<W>.job-<J>.json) into the report directory, its identity in C(context). This
    module reads those of O(workflow_job_id) (no other file: earlier launches'' files are never opened), and writes
    one report of the whole fleet in every format of O(formats), named C(<basename>.workflow-<W>.<ext>): the same
    JSON, JUnit XML, Prometheus textfile and HTML page as M(sre.health.fleet_report) writes for an unsliced run,
    plus what the merge knows of the slices.'
  - 'B(Missing slices.) The slices to expect are O(slice_count), or else the count the slices recorded (the
    C(fleet_report_slice_count) they ran with), at most the number of O(hosts). A slice that did not report
    (failed before its report, killed, canceled, never started) is named: with O(hosts) (the inventory the
    slices were cut from) by its number, found with AWX''s rule, and its hosts, each reported C(unknown) with
    C(no report: slice 3 of 4 of workflow job W did not report); a job of O(jobs) (the slices that published their
    summary) without a report is named by its job ID. The totals then count those hosts, the fleet''s status is
    at least C(unknown), and C(totals.slices.complete) is false. It is never a smaller fleet reported healthy.'
  - 'B(Untrusted input.) Slice reports are read with a bound (O(max_bytes)), no symbolic link followed; a
    report that is too big, not JSON, of another workflow or job than its name says, or whose hosts are malformed
    is listed in RV(totals.slices.unreadable) with the reason (and counts as a slice that did not report), never a
    traceback. A host in several slice reports (an inventory changed during the launch) is taken from the newest
    report and listed in RV(totals.slices.duplicates). Host names and texts are shown as M(sre.health.fleet_report)
    shows them (control characters, NUL and surrogates as their escapes, such as C(\x80)), and each host of
    O(hosts) is matched with its report by that name.'
  - 'B(Prometheus.) The merged textfile''s series carry C(report) (O(basename)) and C(job_id="workflow-<W>"), so
    they never repeat a series of a slice''s textfile (C(job_id) the slice''s job ID) in one node_exporter
    directory; its C(sre_health_report_timestamp_seconds) is when the newest merged checks ran. The slices''
    textfiles stay; older textfiles of O(basename) whose every host has a newer report are removed
    (RV(superseded)), as M(sre.health.fleet_report) does.'
  - Always C(changed=false), like M(sre.health.fleet_report); every file is rendered before any is written, and each
    is written atomically.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.controller
options:
  dir:
    description:
      - The report directory the slices wrote into (their C(fleet_report_dir)), an absolute path on the controller;
        the merged reports are written there too.
    type: path
    required: true
  workflow_job_id:
    description:
      - The AWX workflow job of the sliced launch, the C(awx_workflow_job_id) every slice had (the workflow job AWX
        creates for a sliced job template, not the one of a workflow around it).
    type: str
    required: true
  basename:
    description:
      - The reports' file name without extension, as the slices had it (C(fleet_report_basename)).
    type: str
    default: fleet-health
  formats:
    description:
      - The merged reports to write.
    type: list
    elements: str
    choices: [json, junit, prometheus, html]
    default: [json, junit, prometheus, html]
  slice_count:
    description:
      - How many slices to expect. V(0) takes the count the slices recorded (their C(fleet_report_slice_count)); when
        neither is known and O(hosts) is empty, the merge cannot tell a missing slice
        (RV(totals.slices.complete) is null).
    type: int
    default: 0
  hosts:
    description:
      - Every host of the inventory the slices were cut from (C(groups['all']) of the same inventory). Hosts in no
        slice report are reported C(unknown), and the missing slices are named by number.
    type: list
    elements: str
    default: []
  jobs:
    description:
      - AWX job IDs of slices known to have finished (their C(set_stats) summaries, C(sre_health_job_<id>)); one
        without a report is named as missing (its report did not reach O(dir)).
    type: list
    elements: str
    default: []
  job_id:
    description:
      - This merge's own AWX job ID, recorded in the JSON report.
    type: str
  silences:
    description:
      - Silences, as M(sre.health.fleet_report) takes them; the merged reports mark what they cover.
    type: list
    elements: dict
    default: []
  max_bytes:
    description:
      - A slice report larger than this many bytes is not read (it is named unreadable, with its size).
      - The merge holds about 4.5 times the size of the slice reports it reads in memory at its peak (a 255 MB
        slice took 1.1 GB), so the default costs a controller about 1.2 GB for a slice of that size.
    type: int
    default: 268435456
  check_only:
    description:
      - Only validate the options and prove that O(dir) can be created and written; read and write nothing.
    type: bool
    default: false
  publish_stats:
    description:
      - 'Also return the merged fleet''s summary as C(ansible_stats), which Ansible publishes as
        C(ansible.builtin.set_stats) does (C(per_host: false), C(aggregate: false)), for the workflow nodes after
        the merge, without a task of its own: C(sre_health), a dict of C(status), C(health), C(hosts), C(healthy),
        C(degraded), C(unhealthy), C(unhealthy_hosts) (as in RV(totals)), C(report_dir) (O(dir)) and C(slices) (as
        in RV(totals.slices)).'
      - Not with O(check_only), which merges nothing.
    type: bool
    default: false
    version_added: 1.1.0
attributes:
  check_mode:
    details: The merged reports are written in check mode too, as M(sre.health.fleet_report) writes its reports.
seealso:
  - module: sre.health.fleet_report
  - module: sre.health.fleet_alert
"""

EXAMPLES = r"""
- name: Merge the slices of the sliced check that ran before this workflow node
  sre.health.fleet_merge:
    dir: /var/lib/sre-health/reports
    workflow_job_id: "{{ sre_health.workflow_job_id }}"
    hosts: "{{ groups['all'] }}"
  delegate_to: localhost
  run_once: true
  register: merged

- name: Fail when a slice did not report
  ansible.builtin.assert:
    that: merged.totals.slices.complete is not false
    fail_msg: "{{ merged.summary }}"
"""

RETURN = r"""
files:
  description: The merged reports by format (none with O(check_only)).
  returned: always
  type: dict
  sample: {"html": "/var/lib/sre-health/reports/fleet-health.workflow-100.html", "json":
          "/var/lib/sre-health/reports/fleet-health.workflow-100.json", "junit":
          "/var/lib/sre-health/reports/fleet-health.workflow-100.junit.xml", "prometheus":
          "/var/lib/sre-health/reports/fleet-health.workflow-100.prom"}
totals:
  description:
    - Fleet totals, as M(sre.health.fleet_report) returns them, over every merged host, plus C(slices).
    - When a slice is missing, C(status) is at least C(unknown) (C(health) unhealthy).
  returned: always
  type: dict
  contains:
    slices:
      description: What the merge found.
      type: dict
      contains:
        workflow_job_id:
          description: O(workflow_job_id).
          type: str
        expected:
          description: How many slices were expected, or null when not known.
          type: int
        reported:
          description: How many slice reports were merged.
          type: int
        complete:
          description: True when every expected slice and every host of O(hosts) reported; false when one did not
            (or a report is unreadable); null when neither a count nor O(hosts) was known.
          type: bool
        missing:
          description: One text per missing slice, naming it (number, or job ID) and its hosts.
          type: list
          elements: str
        unreadable:
          description: One text per slice report that could not be used, naming the file and why.
          type: list
          elements: str
        duplicates:
          description: Hosts found in several slice reports (the newest one's result is kept).
          type: list
          elements: str
  sample: {"checks": {"critical": 1, "ok": 8, "unknown": 0, "warning": 0}, "degraded": 0, "degraded_hosts": [], "health":
          "unhealthy", "healthy": 7, "hosts": 12, "slices": {"complete": false, "duplicates": [], "expected": 3,
          "missing": ["slice 2 of 3: no report in /var/lib/sre-health/reports (4 hosts: h02, h05, h08, h11)", "job 102:
          published its summary (set_stats) but wrote no report into /var/lib/sre-health/reports: the slices and the merge
          must share fleet_report_dir"], "reported": 2, "unreadable": [], "workflow_job_id": "100"}, "status": "critical",
          "unhealthy": 5, "unhealthy_hosts": ["h03", "h02", "h05", "h08", "h11"]}
slices:
  description: Everything of RV(totals.slices), plus C(reports) (each merged slice report, C(file), C(job_id),
    C(slice) C({number, count, inferred}), C(generated), C(hosts)), C(missing_count) and C(hosts_without_report).
  returned: always
  type: dict
  sample: {"complete": false, "duplicates": [], "expected": 3, "hosts_without_report": ["h02", "h05", "h08", "h11"],
          "missing": ["slice 2 of 3: no report in /var/lib/sre-health/reports (4 hosts: h02, h05, h08, h11)", "job 102:
          published its summary (set_stats) but wrote no report into /var/lib/sre-health/reports: the slices and the merge
          must share fleet_report_dir"], "missing_count": 1, "reported": 2, "reports": [{"file":
          "fleet-health.workflow-100.job-101.json", "generated": "2026-11-26T10:39:46+00:00", "hosts": 4, "job_id": "101",
          "slice": {"count": 3, "inferred": true, "number": 1}}, {"file": "fleet-health.workflow-100.job-103.json",
          "generated": "2026-11-26T10:39:47+00:00", "hosts": 4, "job_id": "103", "slice": {"count": 3, "inferred": true,
          "number": 3}}], "unreadable": [], "workflow_job_id": "100"}
results:
  description: The merged hosts that some slice reported, in the shape M(sre.health.fleet_alert) takes (hosts
    without a report are left out, so that their alerts stay as they are).
  returned: always
  type: list
  elements: dict
  sample: [{"checks": [{"duration_ms": 10.501, "kind": "memory", "metrics": {"available_bytes": 24305197056,
           "swap_free_bytes": null, "swap_used_percent": null, "used_percent": 3.84}, "name": "memory", "status": "ok",
           "summary": "memory 3.8% used, 22.6 GiB available of 23.5 GiB; no swap", "thresholds": {"swap_used_percent":
           {"critical": "95", "warning": "80"}, "used_percent": {"critical": "95", "warning": "90"}}}, {"duration_ms":
           0.374, "kind": "file", "metrics": {"age_seconds": null, "count": 0, "oldest_age_seconds": null, "size_bytes":
           null, "total_bytes": 0}, "name": "marker", "status": "critical", "summary": "/nonexistent/h03: no match
           (critical: /nonexistent/h03 does not exist)", "thresholds": {}}], "health": "unhealthy", "host": "h03",
           "job_id": "103", "status": "critical", "summary": "1 of 2 checks not ok: CRITICAL: /nonexistent/h03: no match
           (critical: /nonexistent/h03 does not exist)"}]
summary:
  description: One line about the slices, naming what is missing.
  returned: always
  type: str
  sample: "2 of 3 slices of workflow job 100 reported; slice 2 of 3: no report in /var/lib/sre-health/reports (4 hosts:
          h02, h05, h08, h11); job 102: published its summary (set_stats) but wrote no report into
          /var/lib/sre-health/reports: the slices and the merge must share fleet_report_dir"
superseded:
  description: Older textfiles of O(basename) removed because every host they named has a newer report.
  returned: always
  type: list
  elements: str
  sample: ["/var/lib/sre-health/reports/fleet-health.workflow-99.prom"]
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _merge
from ansible_collections.sre.health.plugins.module_utils._in_process import run_as_module


def main():
    run_as_module(_merge)


if __name__ == "__main__":
    main()
