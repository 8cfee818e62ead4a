#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: process_check
short_description: Check that processes run, and how much memory and CPU they use
version_added: 1.0.0
description:
  - Counts the live processes that match every given criterion (O(name), O(pattern), O(user)),
    sums their resident memory, and samples their CPU use over O(interval) seconds.
  - Zombie processes and the module's own process are not counted.
  - Only reads; never changes the host.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
requirements:
  - psutil (Debian/Ubuntu package C(python3-psutil)) on the target
options:
  name:
    description:
      - Process name, matched exactly against the kernel's name (C(comm), at most 15 characters)
        or the base name of the program in the command line.
    type: str
  pattern:
    description:
      - Python regular expression searched in the full command line (arguments joined by spaces),
        like C(pgrep -f). Only the first 64 KiB of a command line are searched, since any local user
        chooses its command line. In M(sre.health.health_check) the check's C(check_timeout) also
        bounds a pattern that backtracks.
    type: str
  user:
    description:
      - Only processes owned by this user name.
    type: str
  interval:
    description:
      - Seconds over which V(cpu_percent) is sampled, from 0 to 60; V(0) skips it.
    type: float
    default: 0.2
  thresholds:
    description:
      - 'Metrics: V(count), V(rss_bytes) (sum over the processes), V(cpu_percent) (sum; 100 is one
        full CPU).'
      - 'Default: V(count) critical C(1:) (at least one process must run). Use C(@1:) on V(count) for a
        process that must B(not) run.'
seealso:
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: At least one nginx process must run
  sre.health.process_check:
    name: nginx

- name: Exactly one scheduler, under 2 GiB of memory
  sre.health.process_check:
    pattern: 'celery .*beat'
    user: app
    thresholds:
      count:
        critical: "1:1"
      rss_bytes:
        warning: 1GiB
        critical: 2GiB

- name: No leftover backup job may be running
  sre.health.process_check:
    pattern: '^/usr/bin/pg_dump'
    thresholds:
      count:
        critical: "@1:"
"""

RETURN = r"""
status:
  description: Worst status (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: critical
health:
  description: V(healthy), V(degraded) or V(unhealthy).
  returned: always
  type: str
  sample: unhealthy
summary:
  description: One line for the host.
  returned: always
  type: str
  sample: "1 of 1 checks not ok: CRITICAL: nginx: no process running (critical < 1)"
checks:
  description: One result, named C(process:) and what was matched.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Check name.
      type: str
      sample: "process:nginx"
    kind:
      description: Always C(process).
      type: str
      sample: process
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: critical
    summary:
      description: One human line.
      type: str
      sample: "nginx: no process running (critical < 1)"
    metrics:
      description: Measured metrics.
      type: dict
      sample: {"count": 0, "rss_bytes": 0, "cpu_percent": 0.0}
    thresholds:
      description: The effective thresholds.
      type: dict
      sample: {"count": {"critical": "1:"}}
    duration_ms:
      description: How long the measurement took (mostly O(interval)).
      type: float
      sample: 215.3
    pids:
      description: The matching process IDs (at most 20).
      type: list
      elements: int
      sample: [812, 813]
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _process
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_process)


if __name__ == "__main__":
    main()
