# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The deadline of a standalone check module.
    DOCUMENTATION = r"""
options:
  check_timeout:
    description:
      - Seconds the whole check may take; the result is then C(unknown), "timed out after N s". The
        check's own, shorter timeouts apply inside this bound.
      - A check that feeds text chosen by hosts or peers to patterns or parsers (a process C(pattern), an
        http C(body_regex) or C(json), a port C(expect), a metrics page, a log scan) runs in a child
        process that is stopped there, whatever it meets (a pattern that backtracks, a huge answer). Other
        checks run in a thread, left behind at the deadline.
      - From more than 0 to 86400 (one day), as in M(sre.health.health_check).
    type: float
    default: 30
"""
