# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_compile_once: this collection's files imported from a zip archive, as a module's AnsiballZ payload
holds them, with the finder and without it, each in a fresh Python (the import system is per process).
The end-to-end case, a real payload built by Ansible, is in tests/unit/plugins/modules/test_payloads.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from ansible_collections.sre.health.plugins.module_utils import _compile_once
from ansible_collections.sre.health.tests.unit.utils import COUNT_COMPILES

UTILS = os.path.dirname(os.path.abspath(_compile_once.__file__))
PREFIX = "ansible_collections/sre/health/plugins/module_utils/"
# Plain modules, one importing others, and a module of a subpackage (all without Ansible imports).
FILES = ["_compile_once.py", "_errors.py", "_units.py", "_ranges.py", "_web/__init__.py", "_web/redact.py"]
IMPORTS = ["ansible_collections.sre.health.plugins.module_utils._ranges",
           "ansible_collections.sre.health.plugins.module_utils._web.redact"]

# Runs in a fresh Python: counts compile() calls per file name, imports, reports what the modules look like.
DRIVER = COUNT_COMPILES + r"""
archive, install, names = sys.argv[1], sys.argv[2] == "yes", sys.argv[3:]
sys.path.insert(0, archive)
from ansible_collections.sre.health.plugins.module_utils import _compile_once
installed = _compile_once.install() if install else None
report = {"installed": installed, "modules": {}, "missing": None}
for name in names:
    __import__(name)
for name, module in sorted(sys.modules.items()):
    if name.startswith("ansible_collections."):
        spec = module.__spec__
        report["modules"][name] = {
            "file": getattr(module, "__file__", None), "path": list(getattr(module, "__path__", []) or []) or None,
            "origin": spec.origin, "has_location": spec.has_location, "loader": type(spec.loader).__name__,
            "parent": spec.parent}
try:
    __import__("ansible_collections.sre.health.plugins.module_utils._no_such_module")
except ModuleNotFoundError as exc:
    report["missing"] = exc.name
report["compiled"] = compiled
report["finder_first"] = sys.meta_path[0] is _compile_once.OneCompileFinder
print(json.dumps(report))
"""


def make_archive(tmp_path):
    archive = str(tmp_path / "payload.zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for package in ("ansible_collections/", "ansible_collections/sre/", "ansible_collections/sre/health/",
                        "ansible_collections/sre/health/plugins/", PREFIX):
            zf.writestr(package + "__init__.py", "")
        for name in FILES:
            with open(os.path.join(UTILS, name), "rb") as source:
                zf.writestr(PREFIX + name, source.read())
    return archive


def imported(tmp_path, where, install):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    # -I: a Python that sees neither the caller's PYTHONPATH nor the checkout, only ``where``.
    run = subprocess.run([sys.executable, "-I", str(driver), where, "yes" if install else "no"] + IMPORTS,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def compiled_in_archive(report, archive):
    return dict((name[len(archive) + 1:], count) for name, count in report["compiled"].items()
                if name.startswith(archive + os.sep))


def test_from_a_zip_each_file_is_compiled_once_and_imports_as_zipimport_would(tmp_path):
    archive = make_archive(tmp_path)
    plain = imported(tmp_path, archive, install=False)
    once = imported(tmp_path, archive, install=True)

    assert once["installed"] is True and once["finder_first"] is True
    shipped = [PREFIX + name for name in FILES]
    # Every file imported after install() (the packages above and _compile_once itself came before it).
    after = [name for name in shipped if name != PREFIX + "_compile_once.py"]
    with_finder = compiled_in_archive(once, archive)
    assert dict((name, with_finder.get(name)) for name in after) == dict((name, 1) for name in after)
    # Without the finder, zipimport compiled each file more than once (twice on CPython 3.11-3.15).
    without = compiled_in_archive(plain, archive)
    assert all(without[name] >= 1 for name in shipped), without
    assert sum(without.values()) > len(shipped)
    # The same modules, with the same files, package paths, origins and loaders as zipimport's own specs.
    assert once["modules"] == plain["modules"]
    redact = once["modules"]["ansible_collections.sre.health.plugins.module_utils._web.redact"]
    assert redact["file"] == os.path.join(archive, PREFIX + "_web/redact.py")
    assert redact["loader"] == "zipimporter" and redact["has_location"] is True
    assert once["modules"]["ansible_collections.sre.health.plugins.module_utils._web"]["path"] == \
        [os.path.join(archive, PREFIX + "_web")]
    # A module that is not in the archive is still not found, by name.
    assert once["missing"] == plain["missing"] == "ansible_collections.sre.health.plugins.module_utils._no_such_module"


def test_from_files_on_disk_it_does_nothing(tmp_path):
    tree = tmp_path / "tree"
    with zipfile.ZipFile(make_archive(tmp_path)) as zf:
        zf.extractall(str(tree))
    report = imported(tmp_path, str(tree), install=True)
    assert report["installed"] is False and report["finder_first"] is False
    assert report["modules"]["ansible_collections.sre.health.plugins.module_utils._ranges"]["loader"] == \
        "SourceFileLoader"


def test_the_finder_answers_only_for_this_collection_inside_a_zip(tmp_path):
    archive = make_archive(tmp_path)
    utils = os.path.join(archive, PREFIX.rstrip("/"))
    finder = _compile_once.OneCompileFinder
    assert finder.find_spec("json", None) is None
    assert finder.find_spec("ansible_collections.other.thing.plugins.module_utils._x", [utils]) is None
    assert finder.find_spec("ansible_collections.sre.health.plugins.module_utils._errors", [UTILS]) is None
    assert finder.find_spec("ansible_collections.sre.health.plugins.module_utils._nothing", [utils]) is None
    spec = finder.find_spec("ansible_collections.sre.health.plugins.module_utils._errors", [utils])
    assert spec.origin == os.path.join(utils, "_errors.py") and spec.submodule_search_locations is None
    package = finder.find_spec("ansible_collections.sre.health.plugins.module_utils._web", [utils])
    assert package.origin == os.path.join(utils, "_web", "__init__.py")
    assert package.submodule_search_locations == [os.path.join(utils, "_web")]
