# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Options every check module shares.
    DOCUMENTATION = r"""
options:
  fail_on:
    description:
      - When the task fails, judged on the worst status of all the module's checks.
      - V(critical) fails on C(critical) or C(unknown); V(warning) also fails on C(warning);
        V(never) never fails on a status (bad options still fail).
      - C(unknown) (the check could not measure) always counts as failing unless O(fail_on=never),
        so that a check that cannot run is never a silent pass.
    type: str
    choices: [critical, warning, never]
    default: critical
  thresholds:
    description:
      - 'Warning and critical bounds per metric, as a dict C({metric: {warning: RANGE, critical: RANGE}}),
        merged over the module''s defaults metric by metric and level by level.'
      - Each RANGE is a Nagios range C([@]start:end). C(N) means C(0:N); C(N:) means N to infinity;
        C(~:N) means minus infinity to N. The check alerts when the value is B(outside) start..end
        (endpoints inside), or B(inside) it with a leading C(@). A start greater than the end is an error.
      - Numbers may carry a unit fitting the metric, converted to the metric's base unit. Bytes
        C(B KB MB GB TB) (powers of 1000) and C(KiB MiB GiB TiB) (powers of 1024); durations
        C(ms s m h d); percentages C(%).
      - Critical is evaluated before warning. Set a level to V(null) or an empty string to remove
        its default.
    type: dict
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The check only reads; it runs the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode) when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
"""
