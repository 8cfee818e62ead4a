#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_report
short_description: Write fleet health reports (JSON, JUnit XML, Prometheus textfile, HTML) from every host's result
version_added: 1.0.0
description:
  - Runs on the controller, in the process that runs the task (an action plugin of the same name, since
    1.1.0, so no module is sent and no Python is started for it), whatever host the task is for; the
    C(sre.health.fleet_report) role calls it once per play. Takes every host's health result, as the C(sre.health.health_check) role records it in
    C(health_check_result), and writes one file per format into O(dir).
  - 'V(json): C(<basename>.json), the full results, one object per host (worst first), plus fleet totals
    (C(hosts), C(healthy), C(degraded), C(unhealthy), C(status), C(health), C(checks) by status,
    C(unhealthy_hosts), C(degraded_hosts)).'
  - 'V(junit): C(<basename>.junit.xml), one C(testsuite) per host (named after the host), one C(testcase) per check
    (classname C(<host>.<kind>)). C(critical) is a C(failure) and C(unknown) an C(error) (the check could not
    measure), each carrying the check summary; C(warning) and C(ok) pass, with the summary in C(system-out) (a
    warning does not fail a host by default). A host without check results is one testcase C(health_check) with
    an C(error).'
  - 'V(prometheus): C(<basename>.prom), for node_exporter''s textfile collector: C(sre_health_host_status{host}) and
    C(sre_health_check_status{host,check,kind}) (0 ok, 1 warning, 2 critical, 3 unknown),
    C(sre_health_check_value{host,check,kind,metric}) for every numeric metric (null ones are left out),
    C(sre_health_check_duration_seconds) and C(sre_health_report_timestamp_seconds); all gauges, each family once
    with HELP and TYPE, label values escaped. The same series as M(sre.health.health_check)''s host textfile
    (O(sre.health.health_check#module:textfile_dir)), by the same code.'
  - 'Every series of the textfile carries C(report) (O(basename)) and, with O(job_id), C(job_id), so that the files of
    several AWX jobs or slices in one node_exporter directory never hold the same series. After writing it, the
    older textfiles of the same O(basename) (also the merged C(<basename>.workflow-<id>.prom) of
    M(sre.health.fleet_merge)) whose every host has a newer report are removed (RV(superseded)) - the
    previous launch''s files, once this launch''s slices have written theirs; slices of one launch report on
    different hosts and never remove each other''s. A file that names a host no newer file names stays (the
    collection''s Prometheus rules use the newest report of each host, and flag the file as stale).'
  - 'V(html): C(<basename>.html), one self-contained page (no external resource): fleet totals at the top, a host x
    check matrix coloured by status with hosts sorted worst first and each check''s summary on hover, and a
    details list per host (open for the hosts that are not ok). Every text from the hosts is escaped.'
  - 'In every format, what no format can carry or a reader would not see (control characters, NUL, surrogates such
    as bytes that are not UTF-8) in host names, check names, summaries and metric names is shown as its escape
    (C(\x80), C(\x00), C(\ud800)); a host name longer than 253 characters is cut, ending with a digest of the
    whole name, so two long names stay two hosts. Each report is written in pieces as it is rendered, never held
    whole in memory, and none is put in place before every one is written.'
  - 'Hosts listed in O(hosts) without a result (unreachable, or failed before the check) are reported C(unknown),
    "no result: unreachable or failed before the check".'
  - Every format is rendered before any file is written, and each file is written atomically (a temporary file in
    the same directory, fsync, rename), so a failure never leaves a half-written or truncated report.
  - Always C(changed=false); reports are the output of a read-only check, and writing them on every run must not
    break idempotence.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.controller
  - sre.health.controller.result_var
options:
  results:
    description:
      - The hosts' results, one dict per host with C(host), C(status), C(summary) and C(checks) (each
        C({name, kind, status, summary, metrics, thresholds, duration_ms})). A missing or unknown status counts as
        C(unknown); a later entry for the same host replaces an earlier one.
      - Exactly one of O(results) and O(result_var).
    type: list
    elements: dict
  hosts:
    description:
      - Every host of the play (C(ansible_play_hosts_all)); those without an entry in O(results) are reported
        C(unknown).
    type: list
    elements: str
    default: []
  dir:
    description:
      - The report directory on the controller, an absolute path; created (mode 0755) when missing.
    type: path
    required: true
  formats:
    description:
      - The reports to write.
    type: list
    elements: str
    choices: [json, junit, prometheus, html]
    default: [json, junit, prometheus, html]
  basename:
    description:
      - The reports' file name without extension.
      - Letters, digits, C(.), C(_) and C(-), starting with a letter or digit.
    type: str
    default: fleet-health
  job_id:
    description:
      - An AWX job ID (C(awx_job_id)). When set, file names carry it (C(fleet-health.job-1234.json)), so the slices
        of a sliced job, which run as separate jobs, never overwrite each other's reports.
    type: str
  workflow_job_id:
    description:
      - The AWX workflow job this job is part of (C(awx_workflow_job_id)); for a slice of a sliced job template, the
        workflow job AWX made of the launch, shared by every slice.
      - When set, the report is one slice of a launch that M(sre.health.fleet_merge) merges. File names carry it
        too (C(fleet-health.workflow-1233.job-1234.json)), and the JSON's C(context) records
        C(workflow_job_id), C(job_id) and C(slice) (C({number, count}), null where not known).
    type: str
    version_added: 1.1.0
  slice_count:
    description:
      - How many slices the launch has (the job template's I(Job Slicing)), recorded with O(workflow_job_id) for
        M(sre.health.fleet_merge) to know how many reports to expect; V(0) when not known. AWX does not pass it to
        the playbook, hence an option.
    type: int
    default: 0
    version_added: 1.1.0
  slice_number:
    description:
      - Which slice this is, from 1, recorded with O(workflow_job_id); V(0) when not known. AWX does not pass it to
        the playbook (M(sre.health.fleet_merge) finds it from the hosts and the inventory); set it when another
        engine does.
    type: int
    default: 0
    version_added: 1.1.0
  check_only:
    description:
      - Only validate the options and prove that O(dir) can be created and written; write no report. The role runs
        this before any check, so that a bad report setting fails the play before it does any work; with
        O(webhook_url) and O(alert_settings), so that a bad alert setting does too, in the same task.
    type: bool
    default: false
  silences:
    description:
      - 'Silences, as C(sre.health.fleet_alert) takes them: a list of C({host, check, until, reason}), C(host) and
        C(check) shell-style patterns (at least one of them; the other defaults to C(*)), C(until) an ISO 8601
        time with its UTC offset, C(reason) a text. Expired ones are ignored.'
      - Every check that is not ok and that an active silence covers, and every host whose host-level alert one
        covers (check pattern C(*)), is marked in the reports, its status unchanged. JSON gets a C(silenced)
        dict with C(until) and C(reason); the HTML page shows C(CRITICAL (silenced)) with a dashed outline and
        C(silenced until <time> (<reason>)); JUnit adds C([silenced until <time> (<reason>)]) to the message.
    type: list
    elements: dict
    default: []
    version_added: 1.1.0
  webhook_url:
    description:
      - A webhook URL to check, by the collection's one URL rule (that of the C(sre.health.url_problem) filter),
        never to use (fleet_report sends nothing). The C(sre.health.fleet_report) role checks
        C(fleet_report_webhook_url) so, with O(check_only), in the task that checks the report settings.
      - A secret (webhook URLs carry tokens), never shown. Empty or unset, nothing is checked.
      - Checked before O(alert_settings), after the options and the directory; the error names it as
        O(webhook_url_name) says.
    type: raw
    version_added: 1.1.0
  webhook_url_name:
    description:
      - The name of O(webhook_url) in its error message, such as C(fleet_report_webhook_url).
    type: str
    default: webhook_url
    version_added: 1.1.0
  alert_settings:
    description:
      - 'Alert settings to check, never to use: a dict of M(sre.health.fleet_alert) options other than C(results)
        and C(state_file) (C(targets), C(silences), C(alert_after), C(recover_after), C(run_interval), C(cooldown),
        C(reminder), ...), by the module''s own validation (that of the C(sre.health.alert_problem) filter). No
        target is accepted; the other settings are still checked.'
      - The error names each option as O(alert_names) maps it; URLs, routing keys and header values never appear
        in it.
    type: dict
    version_added: 1.1.0
  alert_names:
    description:
      - The names to use in the error about O(alert_settings), a dict such as one mapping C(targets) to
        C(fleet_report_alert_targets).
    type: dict
    default: {}
    version_added: 1.1.0
  publish_stats:
    description:
      - 'Also return the fleet summary as C(ansible_stats), which Ansible publishes as C(ansible.builtin.set_stats)
        does (C(per_host: false), C(aggregate: false)), for AWX workflows, without a task of its own: C(sre_health),
        a dict of C(status), C(health), C(hosts), C(healthy), C(degraded), C(unhealthy), C(unhealthy_hosts) (as in
        RV(totals)) and C(report_dir) (O(dir)).'
      - 'In a job of an AWX workflow (O(workflow_job_id) and O(job_id) set) C(sre_health) also has C(slice):
        C({workflow_job_id, job_id, count, report}) (O(slice_count), the JSON report or an empty text), and the
        same summary is published under C(sre_health_job_<job_id>) (characters other than letters, digits and
        C(_) as C(_)): AWX merges the set_stats of a workflow''s jobs key by key, the last finished job''s winning.'
      - Not with O(check_only), which writes no report.
    type: bool
    default: false
    version_added: 1.1.0
  argument_spec_file:
    description:
      - 'A role''s argument spec file (its C(meta/argument_specs.yml)), such as
        C("{{ role_path }}/meta/argument_specs.yml") in a task of the role (C(role_path) is the role''s directory).
        The action plugin first checks the task''s variables against the options of its entry point
        O(argument_spec_entry), before any other option: it runs C(ansible.builtin.validate_argument_spec) over
        them, so a bad variable fails the task with that action''s message (C(Validation of arguments failed:)
        and every error, in order) and result keys (C(argument_errors), C(argument_spec_data),
        C(validate_args_context)), as the role''s own validation would.'
      - The C(sre.health.fleet_report) role's check task uses it, so that the role's preflight is one task.
      - Only on the controller, where the variables are (the action plugin); the module refuses it.
    type: path
    version_added: 1.1.0
  argument_spec_entry:
    description:
      - The entry point of O(argument_spec_file) whose options to check.
    type: str
    default: main
    version_added: 1.1.0
  enabled:
    description:
      - With V(false), nothing is checked (but the variables of O(argument_spec_file)) and nothing is written;
        RV(files) and RV(superseded) are empty, RV(totals) counts no host. The role passes
        C(fleet_report_enabled), whose value O(argument_spec_file) checks first.
    type: bool
    default: true
    version_added: 1.1.0
attributes:
  check_mode:
    details: Reports are written in check mode too, as the checks themselves run in check mode; they change nothing
      on the hosts.
seealso:
  - module: sre.health.health_check
  - module: sre.health.fleet_alert
"""

EXAMPLES = r"""
- name: Write the fleet reports on the controller, from every play host's health_check_result
  sre.health.fleet_report:
    result_var: health_check_result
    hosts: "{{ ansible_play_hosts_all }}"
    dir: /var/lib/sre-health/reports
  delegate_to: localhost
  run_once: true

- name: Only JUnit, for CI
  sre.health.fleet_report:
    results: "{{ ansible_play_hosts_all | map('extract', hostvars, 'health_check_result') | select('defined') | list }}"
    dir: "{{ playbook_dir }}/junit"
    formats: [junit]
    basename: health
  delegate_to: localhost
  run_once: true

- name: Check the report settings and the alert settings before any check runs
  sre.health.fleet_report:
    results: []
    dir: /var/lib/sre-health/reports
    webhook_url: "{{ my_webhook_url }}"
    webhook_url_name: my_webhook_url
    alert_settings:
      targets: "{{ my_alert_targets }}"
      alert_after: "{{ my_alert_after }}"
    alert_names:
      targets: my_alert_targets
      alert_after: my_alert_after
    check_only: true
  delegate_to: localhost
  run_once: true

- name: Write the reports and publish the fleet summary for an AWX workflow
  sre.health.fleet_report:
    results: "{{ ansible_play_hosts_all | map('extract', hostvars, 'health_check_result') | select('defined') | list }}"
    hosts: "{{ ansible_play_hosts_all }}"
    dir: /var/lib/sre-health/reports
    job_id: "{{ awx_job_id | default(omit) }}"
    publish_stats: true
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
files:
  description: The written reports by format (none with O(check_only)).
  returned: always
  type: dict
  sample: {"json": "/var/lib/sre-health/reports/fleet-health.json",
           "junit": "/var/lib/sre-health/reports/fleet-health.junit.xml",
           "prometheus": "/var/lib/sre-health/reports/fleet-health.prom",
           "html": "/var/lib/sre-health/reports/fleet-health.html"}
superseded:
  description: The older Prometheus textfiles of the same O(basename) removed because every host they named has a
    newer report.
  returned: always
  type: list
  elements: str
  sample: ["/var/lib/prometheus/node-exporter/fleet-health.job-1233.prom"]
  version_added: 1.1.0
totals:
  description: Fleet totals over O(results) and O(hosts).
  returned: always
  type: dict
  sample: {"hosts": 3, "healthy": 1, "degraded": 0, "unhealthy": 2, "status": "critical", "health": "unhealthy",
           "checks": {"ok": 13, "warning": 0, "critical": 2, "unknown": 0}, "unhealthy_hosts": ["db1", "web2"],
           "degraded_hosts": []}
ansible_stats:
  description:
    - The fleet summary, which Ansible publishes as C(ansible.builtin.set_stats) does (see O(publish_stats)).
  returned: with O(publish_stats)
  type: dict
  version_added: 1.1.0
  sample: {"aggregate": false, "per_host": false,
           "data": {"sre_health": {"status": "critical", "health": "unhealthy", "hosts": 3, "healthy": 1, "degraded": 0,
                                   "unhealthy": 2, "unhealthy_hosts": ["db1", "web2"],
                                   "report_dir": "/var/lib/sre-health/reports",
                                   "slice": {"workflow_job_id": "1233", "job_id": "1234", "count": 2,
                                             "report": "/var/lib/sre-health/reports/fleet-health.workflow-1233.job-1234.json"}},
                    "sre_health_job_1234": {"status": "critical", "health": "unhealthy", "hosts": 3, "healthy": 1,
                                            "degraded": 0, "unhealthy": 2, "unhealthy_hosts": ["db1", "web2"],
                                            "report_dir": "/var/lib/sre-health/reports",
                                            "slice": {"workflow_job_id": "1233", "job_id": "1234", "count": 2,
                                                      "report": "/var/lib/sre-health/reports/fleet-health.workflow-1233.job-1234.json"}}}}
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _report
from ansible_collections.sre.health.plugins.module_utils._in_process import run_as_module


def main():
    run_as_module(_report)


if __name__ == "__main__":
    main()
