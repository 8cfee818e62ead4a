#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: memory_usage
short_description: Check memory and swap usage against thresholds
version_added: 1.0.0
description:
  - Measures RAM use from the kernel's C(MemAvailable) estimate, as C(free) shows it
    (used = total - available, so reclaimable page cache does not count as used), and swap use.
  - Only reads; never changes the host.
author:
  - sre.health developers (!UNKNOWN)
extends_documentation_fragment:
  - sre.health.checks
  - sre.health.deadline
requirements:
  - On Linux nothing beyond Python (the numbers come from C(/proc/meminfo)); on other systems, and on Linux
    kernels before 3.14 (no C(MemAvailable)), psutil (Debian/Ubuntu package C(python3-psutil)) on the target.
options:
  no_swap_status:
    description:
      - Status to report when the host has no swap at all. Swap metrics are then C(null) and their
        thresholds are skipped.
    type: str
    choices: [ok, warning, critical, unknown]
    default: ok
  thresholds:
    description:
      - 'Metrics: V(used_percent), V(available_bytes), V(swap_used_percent), V(swap_free_bytes).'
      - 'Defaults: V(used_percent) warning C(90) critical C(95); V(swap_used_percent) warning C(80)
        critical C(95). For a floor on free memory use a lower bound such as C(512MiB:) on
        V(available_bytes).'
seealso:
  - module: sre.health.health_check
"""

EXAMPLES = r"""
- name: Check memory with the default thresholds
  sre.health.memory_usage:

- name: Alert when less than 1 GiB is available, and when a host has no swap
  sre.health.memory_usage:
    no_swap_status: warning
    thresholds:
      available_bytes:
        warning: "2GiB:"
        critical: "1GiB:"
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
  description: One result, named C(memory).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Check name.
      type: str
      sample: memory
    kind:
      description: Always C(memory).
      type: str
      sample: memory
    status:
      description: C(ok), C(warning), C(critical) or C(unknown).
      type: str
      sample: ok
    summary:
      description: One human line.
      type: str
      sample: "memory 6.4% used, 22.0 GiB available of 23.5 GiB; no swap"
    metrics:
      description: Measured metrics; swap metrics are null without swap.
      type: dict
      sample: {"used_percent": 6.43, "available_bytes": 23650938880, "swap_used_percent": null,
               "swap_free_bytes": null}
    thresholds:
      description: The effective thresholds.
      type: dict
      sample: {"used_percent": {"warning": "90", "critical": "95"},
               "swap_used_percent": {"warning": "80", "critical": "95"}}
    duration_ms:
      description: How long the measurement took.
      type: float
      sample: 0.35
"""

from ansible_collections.sre.health.plugins.module_utils._compile_once import install

install()  # before the imports below: each is then compiled once from the AnsiballZ zip

from ansible_collections.sre.health.plugins.module_utils import _memory
from ansible_collections.sre.health.plugins.module_utils._module import run_module


def main():
    run_module(_memory)


if __name__ == "__main__":
    main()
