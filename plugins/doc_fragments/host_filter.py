# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # The input of the filters that read several hosts' variables at once (host_settings, fleet_verdict).
    DOCUMENTATION = r"""
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts, for example C(ansible_play_hosts).
    type: list
    elements: str
    required: true
"""
