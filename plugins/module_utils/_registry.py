# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A set of check kinds, by the name check entries use, each kind's module imported on first use.

A module that runs checks ships the kinds of its own registry and no other: AnsiballZ ships what the
module's code imports, so each registry is a file of its own that writes its imports out
(``_kinds_all``: every kind, for ``health_check``; ``_kinds_resource``: the host's resources, for
``resource_check``; a standalone module imports its one kind directly). A run pays at import time only
for the kinds its checks use (requests, prometheus_client...).

Pure logic, no Ansible imports.
"""

from __future__ import annotations


class Registry(dict):
    """``{kind name: kind module}`` for ``names``; ``importer(name)`` imports a kind's module, once."""

    def __init__(self, names, importer):
        super(Registry, self).__init__((name, None) for name in names)
        self._importer = importer

    def __getitem__(self, name):
        kind = dict.__getitem__(self, name)
        if kind is None:
            kind = self._importer(name)
            dict.__setitem__(self, name, kind)
        return kind

    def get(self, name, default=None):
        return self[name] if name in self else default
