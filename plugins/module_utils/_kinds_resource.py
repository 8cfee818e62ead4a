# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The host's own resources (psutil's kinds): the registry of ``resource_check``, which ``health_check``'s
action runs in its place when every check is of these kinds (the health_check role's default checks are).

Its AnsiballZ payload carries these kinds and not the other ten: each byte of a payload is paid on every host
of every run (Python reads a pipelined module from its standard input), and building it once per run is paid
before any host starts."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._registry import Registry

NAMES = ("disk", "memory", "load", "process")


def _import(name):
    if name == "disk":
        from ansible_collections.sre.health.plugins.module_utils import _disk as kind
    elif name == "memory":
        from ansible_collections.sre.health.plugins.module_utils import _memory as kind
    elif name == "load":
        from ansible_collections.sre.health.plugins.module_utils import _load as kind
    else:
        from ansible_collections.sre.health.plugins.module_utils import _process as kind
    return kind


KINDS = Registry(NAMES, _import)
