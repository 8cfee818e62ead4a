# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The execution environment, with the real ansible-builder: the collection's requirements reach an
image through ansible-builder's introspection of the installed collection, and the example EE
definition (docs/ee/) makes a build context. Nothing is built or pulled: no registry is reachable."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

from ansible_collections.sre.health.tests.unit.utils import ansible_env, collections_path

PYTHON_REQS = ("psutil", "requests", "prometheus-client", "cryptography", "dnspython")
COLLECTION = os.path.join(collections_path(), "ansible_collections", "sre", "health")


def _run(*args, **env):
    environ = ansible_env()
    environ.update(env)
    proc = subprocess.run(list(args), env=environ, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, "%s failed (rc %d)\nstdout:\n%s\nstderr:\n%s" % (
        " ".join(args), proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def builder():
    pytest.importorskip("ansible_builder")
    return [sys.executable, "-m", "ansible_builder"]


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """The collection artifact as ansible-galaxy builds it (build_ignore applied)."""
    out = tmp_path_factory.mktemp("artifact")
    _run(sys.executable, "-m", "ansible.cli.galaxy", "collection", "build", "--output-path", str(out), COLLECTION)
    (path,) = glob.glob(str(out / "sre-health-*.tar.gz"))
    return path


def test_meta_definition_is_a_valid_v3_definition():
    from_builder = pytest.importorskip("ansible_builder.ee_schema")
    with open(os.path.join(COLLECTION, "meta", "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)
    assert definition["version"] == 3
    from_builder.validate_schema(definition)
    for entry in ("python", "system"):
        # introspection reads these relative to the collection root
        assert os.path.isfile(os.path.join(COLLECTION, definition["dependencies"][entry]))


def test_the_artifact_carries_the_requirements(tarball):
    """Files in build_ignore never reach Galaxy, nor an execution environment."""
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    assert {"meta/execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt"} <= names


def test_introspection_of_the_installed_collection(builder, tarball, tmp_path):
    """What the image build runs on the installed collections, run here on this one."""
    collections = tmp_path / "collections"
    # its own collections path only: the tests' path already holds sre.health, and the install would skip it
    _run(sys.executable, "-m", "ansible.cli.galaxy", "collection", "install", "--offline", "-p", str(collections),
         tarball, ANSIBLE_COLLECTIONS_PATH=str(collections))
    pip_out, bindep_out = tmp_path / "pip.txt", tmp_path / "bindep.txt"
    shown = _run(*(builder + ["introspect", str(collections), "--write-pip", str(pip_out), "--write-bindep",
                              str(bindep_out)]))
    assert pip_out.exists(), (shown.stdout, shown.stderr, sorted(os.listdir(str(collections))))
    python = pip_out.read_text()
    for requirement in PYTHON_REQS:
        assert "%s>=" % requirement in python and "# from collection sre.health" in python
    system = bindep_out.read_text()
    assert "ca-certificates [platform:rpm platform:dpkg]" in system and "gcc [compile" in system


def test_ansible_builder_create_makes_a_context_with_the_collection(builder, tarball, tmp_path):
    """The example definition, pointed at this checkout's artifact instead of Galaxy."""
    work = tmp_path / "ee"
    shutil.copytree(os.path.join(COLLECTION, "docs", "ee"), str(work))
    shutil.copy(tarball, str(work))
    name = os.path.basename(tarball)
    with open(str(work / "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)
    definition["additional_build_files"] = [dict(src=name, dest="collections")]
    with open(str(work / "execution-environment.yml"), "w") as handle:
        yaml.safe_dump(definition, handle)
    with open(str(work / "requirements.yml"), "w") as handle:
        yaml.safe_dump(dict(collections=[dict(name="collections/" + name, type="file")]), handle)
    context = tmp_path / "context"
    _run(*(builder + ["create", "-f", str(work / "execution-environment.yml"), "-c", str(context),
                      "--output-filename", "Containerfile"]))
    containerfile = (context / "Containerfile").read_text()
    assert 'EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert "ansible-galaxy collection install" in containerfile and "introspect" in containerfile
    assert "ansible-core>=2.19,<2.20" in containerfile
    copied = context / "_build" / "collections" / name
    assert copied.is_file()
    with tarfile.open(str(copied)) as archive:
        requirements = archive.extractfile("meta/ee-requirements.txt").read().decode()
    for requirement in PYTHON_REQS:
        assert requirement in requirements
    assert name in (context / "_build" / "requirements.yml").read_text()
