#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: health_check
short_description: Run many health checks of any kind concurrently in one module call
version_added: 1.0.0
description:
  - Runs every check of O(checks) in ONE module invocation, concurrently in a bounded pool, so that a
    host costs one Ansible round-trip whatever the number of checks.
  - Checks that feed text chosen by hosts or peers to patterns or parsers (a process C(pattern), an http
    C(body_regex) or C(json), a port C(expect), every metrics page and log scan) run each in its own child
    process, killed at its O(check_timeout), so a pattern that backtracks, a huge page or any busy check
    ends on time. The other checks run in threads, which cost less; one stuck in the kernel (a hung
    mount) is left behind at its deadline, like a child that cannot be killed until it wakes, and the
    module returns anyway.
  - Each check is validated with the option spec of its kind, the same one its standalone module
    uses; an invalid entry fails the task before anything runs, naming the entry, the option and
    the reason.
  - A check that passes its O(check_timeout), or raises, or needs a Python library the host lacks,
    gives an C(unknown) result saying why; the other checks still report.
  - Only reads; never changes the host.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.check_run
options:
  checks:
    description:
      - The checks, each a dict with C(name) (unique, used in results), C(kind), optional
        C(thresholds) (as in the kind's module), optional C(check_timeout), and the options of that
        kind's standalone module at the same level.
      - 'Kinds and their modules: V(disk) (M(sre.health.disk_usage)), V(memory) (M(sre.health.memory_usage)),
        V(load) (M(sre.health.cpu_load)), V(process) (M(sre.health.process_check)),
        V(service) (M(sre.health.service_state), checking only: remediation options are not accepted here),
        V(http) (M(sre.health.http_check)), V(port) (M(sre.health.port_check)),
        V(metrics) (M(sre.health.metrics_check)), V(log) (M(sre.health.log_scan), log files or the systemd journal),
        V(command) (M(sre.health.command_check)), V(file) (M(sre.health.file_check)),
        V(certificate) (M(sre.health.certificate_check)), V(dns) (M(sre.health.dns_check)),
        V(systemd) (M(sre.health.systemd_check)).'
      - The process kind's own C(name) option is written C(process_name) here, since C(name) names the
        check; likewise the service kind's unit list is written C(units) and the dns kind's name to resolve
        C(query). When no process selector (C(process_name), C(pattern), C(user)) is given, the check's name
        is the process name, when no C(units) are given, the check's name is the unit, and when no C(query)
        is given, the check's name is the name resolved, so C(name=nginx) with C(kind=process) checks the
        nginx process and with C(kind=service) the nginx.service unit.
      - Secrets are masked in the result, as in the kind's module, and before any entry is validated (an invalid
        entry shows no other entry's secret) - the C(no_log) options of every kind (C(url_password),
        C(bearer_token), C(key_passphrase), the command kind's C(secrets)), the credentials of URLs and headers,
        and the command kind's C(environment) values but those named in its C(public_environment).
    type: list
    elements: dict
    required: true
  thresholds:
    description:
      - Not used at this level; give C(thresholds) inside each entry of O(checks).
notes:
  - A check stuck in a system call (a hung NFS mount) cannot be interrupted; its thread is
    abandoned at the deadline and the module returns anyway.
seealso:
  - module: sre.health.disk_usage
  - module: sre.health.memory_usage
  - module: sre.health.cpu_load
  - module: sre.health.process_check
  - module: sre.health.service_state
"""

EXAMPLES = r"""
- name: Check a web server in one round-trip
  sre.health.health_check:
    checks:
      - name: disk
        kind: disk
      - name: memory
        kind: memory
      - name: load
        kind: load
        interval: 1
      - name: nginx
        kind: service
      - name: nginx-workers
        kind: process
        process_name: nginx
        thresholds:
          count:
            critical: "1:"
          rss_bytes:
            warning: 2GiB
      - name: data
        kind: disk
        paths: [/srv/data]
        timeout: 2
        thresholds:
          free_bytes:
            critical: "10GiB:"
      - name: mail-queue
        kind: command
        plugin: check_mailq
        args: [-w, "50", -c, "200"]
        timeout: 10
      - name: database
        kind: command
        plugin: check_pgsql
        args: [-H, db1, -l, monitor, -p, "${secrets.pg}"]
        secrets:
          pg: "{{ vault_pg_monitor_password }}"
  register: health

- name: Show what is wrong
  ansible.builtin.debug:
    msg: "{{ health.summary }}"

- name: Backups are fresh and the web certificate on disk is the one nginx serves, in the same round trip
  sre.health.health_check:
    checks:
      - name: db-backup
        kind: file
        path: /backups/db-*.dump
        type: file
        thresholds:
          age_seconds:
            critical: 26h
      - name: www-cert
        kind: certificate
        path: /etc/letsencrypt/live/www.example.com/fullchain.pem
        key_path: /etc/letsencrypt/live/www.example.com/privkey.pem
        served_by: 127.0.0.1:443
        server_name: www.example.com

- name: Check, and leave the results for node_exporter's textfile collector on the host, in the same round trip
  sre.health.health_check:
    checks:
      - name: disk
        kind: disk
      - name: nginx
        kind: service
    textfile_dir: auto   # /var/lib/prometheus/node-exporter on Debian, /var/lib/node_exporter/textfile_collector on RHEL
    fail_on: never
  # The file, /var/lib/prometheus/node-exporter/sre_health.prom, holds lines such as
  #   sre_health_check_status{host="web1",check="nginx",kind="service",report="sre_health"} 2
  #   sre_health_check_value{host="web1",check="disk:/",kind="disk",metric="used_percent",report="sre_health"} 24.51
"""

RETURN = r"""
status:
  description: Worst status of all checks (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: critical
health:
  description: V(healthy) for ok, V(degraded) for warning, V(unhealthy) for critical or unknown.
  returned: always
  type: str
  sample: unhealthy
summary:
  description: One line naming every check that is not ok.
  returned: always
  type: str
  sample: "1 of 4 checks not ok: CRITICAL: nginx: no process running (critical < 1)"
counts:
  description: How many results have each status.
  returned: always
  type: dict
  sample: {"ok": 3, "warning": 0, "critical": 1, "unknown": 0}
duration_ms:
  description: Wall time of the whole concurrent run.
  returned: always
  type: float
  sample: 512.7
missing_libraries:
  description:
    - The Python libraries (import names) that the checks of this run need and the host's Python lacks.
      Those checks are C(unknown) ("cannot run"); the others ran. The health_check role installs
      RV(missing_packages) on such a host and runs the checks again there.
  returned: success
  type: list
  elements: str
  sample: ["psutil"]
  version_added: 1.1.0
missing_packages:
  description: The OS packages that provide RV(missing_libraries) (C(python3-psutil)...), in the same order; dnspython
    is C(python3-dnspython) where dpkg manages the packages, C(python3-dns) where rpm does, and prometheus_client
    C(python3-prometheus-client) or C(python3-prometheus_client).
  returned: success
  type: list
  elements: str
  sample: ["python3-psutil"]
  version_added: 1.1.0
uid:
  description: The user id the module ran as (the health_check role installs packages with become when it is not 0).
  returned: success
  type: int
  sample: 0
  version_added: 1.1.0
textfile:
  description: The Prometheus textfile of O(textfile_dir).
  returned: when O(textfile_dir) is set
  type: dict
  sample: {"path": "/var/lib/prometheus/node-exporter/sre_health.prom", "written": true, "reason": null}
  version_added: 1.1.0
  contains:
    path:
      description: The file's path; null when O(textfile_dir=auto) found no directory.
      type: str
      returned: always
      sample: /var/lib/prometheus/node-exporter/sre_health.prom
    written:
      description: Whether the file was written by this run.
      type: bool
      returned: always
      sample: true
    reason:
      description: Why it was not written (check mode, no directory, cannot write); null when it was.
      type: str
      returned: always
      sample: "the directory /var/lib/node_exporter/textfile_collector does not exist (node_exporter's
        --collector.textfile.directory)"
checks:
  description:
    - One result per check; a disk check gives one per filesystem, named C(<name>:<mount>).
    - The same shape as the standalone modules' results.
  returned: always
  type: list
  elements: dict
  sample:
    - name: "disk:/"
      kind: disk
      status: ok
      summary: "/ 21.4% used, 79.8 GiB free of 252 GiB, inodes 2.5% used"
      metrics: {"used_percent": 21.38, "free_bytes": 85651292160, "total_bytes": 270553174016,
                "inodes_used_percent": 2.45, "inodes_free": 16366281}
      thresholds: {"used_percent": {"warning": "80", "critical": "90"},
                   "inodes_used_percent": {"warning": "80", "critical": "90"}}
      duration_ms: 0.14
      path: /
      mount: /
      fstype: ext4
      device: /dev/vda
    - name: nginx
      kind: process
      status: critical
      summary: "nginx: no process running (critical < 1)"
      metrics: {"count": 0, "rss_bytes": 0, "cpu_percent": 0.0}
      thresholds: {"count": {"critical": "1:"}}
      duration_ms: 212.5
      pids: []
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils._health import main as run
from ansible_collections.sre.health.plugins.module_utils._kinds_all import KINDS


def main():
    run(KINDS)


if __name__ == "__main__":
    main()
