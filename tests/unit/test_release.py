# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a release publishes, read from the files: galaxy.yml's version is the one every doc names (a stale
tarball or image tag in a doc fails here), the project's home is set there, and the ansible-navigator settings
keep navigator's artifacts out of the installed collection. `make publish-check` runs the real tools."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from ansible.module_utils.compat.version import LooseVersion

from ansible_collections.sre.health.tests.unit.utils import collections_path

ROOT = os.path.join(collections_path(), "ansible_collections", "sre", "health")
# Where the versions of earlier releases belong: the changelog, and what is not the collection's own text.
SKIP_DIRS = {".git", ".venv", ".build", "tests/output", "changelogs", ".pytest_cache", ".hypothesis", ".ansible",
             "health-reports"}
# test_docs_examples holds stale versions on purpose: the cases its own checker must catch.
SKIP_FILES = {"CHANGELOG.rst", "tests/unit/test_docs_examples.py"}
TEXT = (".md", ".rst", ".yml", ".yaml", ".txt", ".cfg", ".j2", ".sh", ".py", ".json", ".ini", ".toml")
VERSION = r"([0-9]+\.[0-9]+\.[0-9]+)"
# Each names the version of this collection: its tarball, an execution environment image built from it, an
# installed copy as ansible-galaxy prints it.
NAMED = [re.compile(pattern % VERSION) for pattern in (r"sre-health-%s\.tar\.gz", r"sre/health-ee:%s",
                                                       r"sre\.health:%s")]


def _load(*path):
    with open(os.path.join(ROOT, *path)) as handle:
        return yaml.safe_load(handle)


GALAXY = _load("galaxy.yml")


def _texts():
    for top, dirs, files in os.walk(ROOT):
        rel = os.path.relpath(top, ROOT)
        dirs[:] = sorted(d for d in dirs if os.path.normpath(os.path.join(rel, d)) not in SKIP_DIRS)
        for name in sorted(files):
            path = os.path.normpath(os.path.join(rel, name))
            if name.endswith(TEXT) and path not in SKIP_FILES:
                yield path


def test_every_doc_names_the_version_galaxy_yml_builds():
    version = GALAXY["version"]
    stale = []
    for path in _texts():
        with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                stale.extend("%s:%d: %s (galaxy.yml: %s)" % (path, number, match.group(0), version)
                             for pattern in NAMED for match in pattern.finditer(line)
                             if match.group(1) != version)
    assert not stale, "\n".join(stale)


def test_the_patterns_find_what_they_are_for():
    line = "ansible-builder build -t registry.example.com/sre/health-ee:%s, then add sre-health-%s.tar.gz"
    assert [m.group(1) for p in NAMED for m in p.finditer(line % ("0.9.1", "0.9.2"))] == ["0.9.2", "0.9.1"]


def test_the_version_is_new_and_no_doc_asks_for_a_later_one():
    version = LooseVersion(GALAXY["version"])
    released = sorted(LooseVersion(v) for v in (_load("changelogs", "changelog.yaml").get("releases") or {}))
    # Not yet released (antsibull-changelog release adds it), or the release just made.
    assert not released or released[-1] < version or released[-1] == version
    floors = []
    for path in _texts():
        if path.endswith((".yml", ".yaml")) and "requirements" in os.path.basename(path):
            for entry in (_load(path) or {}).get("collections") or []:
                if isinstance(entry, dict) and entry.get("name") == "sre.health" and "version" in entry:
                    floors.append((path, entry["version"]))
    for path, spec in floors:
        for bound in re.findall(r">=?\s*" + VERSION, str(spec)):
            assert LooseVersion(bound) <= version, "%s asks for sre.health %s; galaxy.yml builds %s" % (
                path, spec, version)


def test_no_plugin_is_added_in_a_later_version():
    version = LooseVersion(GALAXY["version"])
    later = []
    for kind in ("modules", "filter", "action", "module_utils", "doc_fragments"):
        directory = os.path.join(ROOT, "plugins", kind)
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else ():
            if not name.endswith((".py", ".yml", ".yaml")):
                continue
            with open(os.path.join(directory, name)) as handle:
                for added in re.findall(r"version_added:\s*['\"]?" + VERSION, handle.read()):
                    if LooseVersion(added) > version:
                        later.append("plugins/%s/%s: version_added %s" % (kind, name, added))
    assert not later, "galaxy.yml builds %s:\n%s" % (GALAXY["version"], "\n".join(later))


@pytest.mark.parametrize("key", ["repository", "documentation", "homepage", "issues"])
def test_the_project_home_is_set_in_galaxy_yml(key):
    # galaxy-importer refuses a collection without repository; Galaxy links the others.
    assert re.match(r"https://[^\s/]+/\S+$", GALAXY.get(key) or ""), "galaxy.yml: %s is %r" % (key, GALAXY.get(key))


def test_navigator_writes_its_artifacts_where_it_runs():
    settings = _load("ansible-navigator.yml")["ansible-navigator"]
    artifact = settings["playbook-artifact"]
    save_as = artifact["save-as"]
    # navigator's default, {playbook_dir}/..., is the installed collection's playbooks/ for sre.health.check
    assert artifact.get("enable", True) is False or (
        not os.path.isabs(save_as) and "{playbook_dir}" not in save_as and not save_as.startswith(("~", "$")))
    assert set(artifact) <= {"enable", "save-as", "replay"}
