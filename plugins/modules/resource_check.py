#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_check
short_description: Check the host's own resources (disks, memory, load, processes) in one module call
version_added: 1.1.0
description:
  - M(sre.health.health_check) for the kinds that measure the host's own resources - V(disk), V(memory),
    V(load) and V(process) - with the same options, the same validation, the same concurrent run and the same
    results.
  - It exists for its size. AnsiballZ sends a module with everything its code imports, and this one carries four
    kinds instead of fourteen - about 60% of M(sre.health.health_check)'s payload. A host pays for every byte on
    every run (Python reads a pipelined module from its standard input), and the controller builds the payload
    once per run before any host starts.
  - You rarely call it yourself - M(sre.health.health_check) runs it in its place when every one of its checks is
    of these kinds, as the sre.health.health_check role's default checks are. A check of another kind is an
    error here, naming the kinds accepted.
  - Only reads; never changes the host.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.check_run
options:
  checks:
    description:
      - The checks, as in M(sre.health.health_check) - each a dict with C(name), C(kind), optional C(thresholds),
        optional C(check_timeout), and the options of that kind's module at the same level.
      - 'Kinds and their modules: V(disk) (M(sre.health.disk_usage)), V(memory) (M(sre.health.memory_usage)),
        V(load) (M(sre.health.cpu_load)), V(process) (M(sre.health.process_check), its C(name) written
        C(process_name)).'
    type: list
    elements: dict
    required: true
  thresholds:
    description:
      - Not used at this level; give C(thresholds) inside each entry of O(checks).
notes:
  - The return values are those of M(sre.health.health_check).
seealso:
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: Disks, memory, load and the nginx workers in one round trip
  sre.health.resource_check:
    checks:
      - name: disk
        kind: disk
      - name: memory
        kind: memory
      - name: load
        kind: load
      - name: nginx-workers
        kind: process
        process_name: nginx
"""

RETURN = r"""
status:
  description: Worst status of all checks.
  returned: always
  type: str
  sample: ok
health:
  description: V(healthy), V(degraded) or V(unhealthy).
  returned: always
  type: str
  sample: healthy
summary:
  description: One line naming every check that is not ok.
  returned: always
  type: str
  sample: "all 3 checks ok"
counts:
  description: How many results have each status.
  returned: always
  type: dict
  sample: {"ok": 3, "warning": 0, "critical": 0, "unknown": 0}
duration_ms:
  description: Wall time of the whole concurrent run.
  returned: always
  type: float
  sample: 503.9
missing_libraries:
  description: The Python libraries the checks need and the host lacks (psutil).
  returned: success
  type: list
  elements: str
  sample: []
missing_packages:
  description: The OS packages that provide RV(missing_libraries).
  returned: success
  type: list
  elements: str
  sample: []
uid:
  description: The user id the module ran as.
  returned: success
  type: int
  sample: 0
textfile:
  description: The Prometheus textfile of O(textfile_dir), as M(sre.health.health_check) returns it.
  returned: when O(textfile_dir) is set
  type: dict
  sample: {"path": "/var/lib/prometheus/node-exporter/sre_health.prom", "written": true, "reason": null}
  contains:
    path:
      description: The file's path; null when O(textfile_dir=auto) found no directory.
      type: str
      returned: always
      sample: /var/lib/prometheus/node-exporter/sre_health.prom
    written:
      description: Whether this run wrote the file.
      type: bool
      returned: always
      sample: true
    reason:
      description: Why it was not written; null when it was.
      type: str
      returned: always
      sample: "check mode: nothing is written"
checks:
  description: One result per check; a disk check gives one per filesystem, named C(<name>:<mount>).
  returned: always
  type: list
  elements: dict
  sample:
    - name: memory
      kind: memory
      status: ok
      summary: "memory 27.2% used, 17.4 GiB available; no swap"
      metrics: {"used_percent": 27.2, "available_bytes": 18681630720, "swap_used_percent": 0.0,
                "swap_free_bytes": 0}
      thresholds: {"used_percent": {"warning": "80", "critical": "90"},
                   "swap_used_percent": {"warning": "50", "critical": "80"}}
      duration_ms: 0.31
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils._health import main as run
from ansible_collections.sre.health.plugins.module_utils._kinds_resource import KINDS


def main():
    run(KINDS)


if __name__ == "__main__":
    main()
