# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Compile each of this collection's Python files once when a module runs from its AnsiballZ zip.

A module runs from a zip archive that holds Python sources only, so every file it imports is
compiled on every host, every run. CPython's zipimport compiles each one twice (measured on 3.11;
python/cpython issue 141276 is open for 3.13 to 3.15): ``find_spec`` asks the importer's
``get_filename`` for the module's path, which compiles the source to learn it, and ``exec_module``
compiles it again. For ``resource_check`` with the default checks that was about 25 ms of a host's
CPU on every run (our imports 41 + 13 ms against 23 + 7 ms compiled once), a fifth of what the
module cost above Ansible's ``ping``.

``install()`` puts a finder in front of the import system for this collection's modules only:
it answers with the spec zipimport would give (same loader, origin and package path), built
from the archive's table of contents, so the source is compiled once, by ``exec_module``. It does
nothing when the collection is not imported from a zip (the files on disk, as in tests).

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import os
import sys
import zipimport
from importlib.util import spec_from_file_location

PACKAGE = "ansible_collections.sre.health."


class OneCompileFinder(object):
    """A meta path finder for the modules of this collection that sit in a zip archive."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        if not path or not fullname.startswith(PACKAGE):
            return None
        tail = fullname.rpartition(".")[2]
        for entry in path:
            importer = sys.path_importer_cache.get(entry)
            if importer is None:
                try:
                    importer = zipimport.zipimporter(entry)
                except (zipimport.ZipImportError, OSError, TypeError):
                    return None
            if not isinstance(importer, zipimport.zipimporter):
                return None  # not in a zip: the usual finders
            try:
                package = importer.is_package(fullname)
            except zipimport.ZipImportError:
                continue  # not in this entry (or a namespace portion: zipimport's own way)
            if package:
                return spec_from_file_location(fullname, os.path.join(entry, tail, "__init__.py"), loader=importer,
                                               submodule_search_locations=[])
            return spec_from_file_location(fullname, os.path.join(entry, tail + ".py"), loader=importer)
        return None


def install():
    """Put the finder in place if this collection is imported from a zip archive (once); True if it is."""
    if not isinstance(getattr(__spec__, "loader", None), zipimport.zipimporter):
        return False
    if OneCompileFinder not in sys.meta_path:
        sys.meta_path.insert(0, OneCompileFinder)
    return True
