# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every check kind: the registry of ``health_check``. Adding a kind is one branch here and its name."""

from __future__ import annotations

from ansible_collections.sre.health.plugins.module_utils._registry import Registry

NAMES = ("disk", "memory", "load", "process", "service", "http", "port", "metrics", "log", "command", "file",
         "certificate", "dns", "systemd")


def _import(name):
    # The import statements are written out so that AnsiballZ finds and ships every kind.
    if name == "disk":
        from ansible_collections.sre.health.plugins.module_utils import _disk as kind
    elif name == "memory":
        from ansible_collections.sre.health.plugins.module_utils import _memory as kind
    elif name == "load":
        from ansible_collections.sre.health.plugins.module_utils import _load as kind
    elif name == "process":
        from ansible_collections.sre.health.plugins.module_utils import _process as kind
    elif name == "service":
        from ansible_collections.sre.health.plugins.module_utils import _service as kind
    elif name == "http":
        from ansible_collections.sre.health.plugins.module_utils import _http as kind
    elif name == "port":
        from ansible_collections.sre.health.plugins.module_utils import _port as kind
    elif name == "metrics":
        from ansible_collections.sre.health.plugins.module_utils import _metrics as kind
    elif name == "command":
        from ansible_collections.sre.health.plugins.module_utils import _command as kind
    elif name == "file":
        from ansible_collections.sre.health.plugins.module_utils import _file as kind
    elif name == "certificate":
        from ansible_collections.sre.health.plugins.module_utils import _certificate as kind
    elif name == "dns":
        from ansible_collections.sre.health.plugins.module_utils import _dns as kind
    elif name == "systemd":
        from ansible_collections.sre.health.plugins.module_utils import _systemd as kind
    else:
        from ansible_collections.sre.health.plugins.module_utils import _logscan as kind
    return kind


KINDS = Registry(NAMES, _import)
