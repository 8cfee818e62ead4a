#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cpu_load
short_description: Check load averages and CPU utilisation against thresholds
version_added: 1.0.0
description:
  - Reads the 1, 5 and 15 minute load averages, divides them by the number of CPUs, and samples
    CPU utilisation over O(interval) seconds.
  - Only reads; never changes the host.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
requirements:
  - On Linux nothing beyond Python (load from C(getloadavg), utilisation from two readings of C(/proc/stat));
    on other systems psutil (Debian/Ubuntu package C(python3-psutil)) on the target.
options:
  interval:
    description:
      - Seconds over which V(cpu_percent) is sampled, from 0 to 60. V(0) skips the sampling
        (V(cpu_percent) is then C(null)).
    type: float
    default: 0.5
  thresholds:
    description:
      - 'Metrics: V(load1), V(load5), V(load15), V(load1_per_cpu), V(load5_per_cpu), V(load15_per_cpu),
        V(cpu_percent).'
      - 'Default: V(load5_per_cpu) warning C(2) critical C(4). The per-CPU averages compare across
        machine sizes, and the 5-minute one ignores short spikes.'
seealso:
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: Check load with the default thresholds
  sre.health.cpu_load:

- name: Alert when the CPUs are more than 90% busy over 2 seconds
  sre.health.cpu_load:
    interval: 2
    thresholds:
      cpu_percent:
        warning: 80
        critical: 90
"""

RETURN = r"""
status:
  description: Worst status (critical > warning > unknown > ok).
  returned: always
  type: str
  sample: ok
health:
  description: V(healthy), V(degraded) or V(unhealthy).
  returned: always
  type: str
  sample: healthy
summary:
  description: One line for the host.
  returned: always
  type: str
  sample: "1 check ok"
checks:
  description: One result, named C(load).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Check name.
      type: str
      sample: load
    kind:
      description: Always C(load).
      type: str
      sample: load
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: ok
    summary:
      description: One human line.
      type: str
      sample: "load 0.52 0.41 0.38 on 2 CPUs (0.21 per CPU over 5 min), CPU 12.4% busy"
    metrics:
      description: Measured metrics.
      type: dict
      sample: {"load1": 0.52, "load5": 0.41, "load15": 0.38, "load1_per_cpu": 0.26,
               "load5_per_cpu": 0.205, "load15_per_cpu": 0.19, "cpu_percent": 12.4}
    thresholds:
      description: The effective thresholds.
      type: dict
      sample: {"load5_per_cpu": {"warning": "2", "critical": "4"}}
    duration_ms:
      description: How long the measurement took (mostly O(interval)).
      type: float
      sample: 501.2
    cpus:
      description: Number of CPUs the load was divided by.
      type: int
      sample: 2
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _load
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_load)


if __name__ == "__main__":
    main()
