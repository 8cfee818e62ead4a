# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test helpers: real filesystems, and running the real modules through the ansible CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest


# The start of a script run in a fresh Python: every compile() call counted per file name, in ``compiled``
# (how many times Python compiled each file it imported).
COUNT_COMPILES = r"""
import builtins, json, runpy, sys
compiled = {}
real_compile = builtins.compile
def counting_compile(source, filename, *args, **kwargs):
    compiled[filename] = compiled.get(filename, 0) + 1
    return real_compile(source, filename, *args, **kwargs)
builtins.compile = counting_compile
"""


# Thresholds no machine state can breach, for tests that run the resource kinds (disk, memory, load) on the
# machine itself and are not about its state: a shared CI machine may be loaded (its load average is
# anything) or nearly full, and such a test must pass all the same. A percentage cannot pass 100.
CALM_THRESHOLDS = {
    "disk": {"used_percent": {"warning": "100", "critical": "100"},
             "inodes_used_percent": {"warning": "100", "critical": "100"}},
    "memory": {"used_percent": {"warning": "100", "critical": "100"},
               "swap_used_percent": {"warning": "100", "critical": "100"}},
    "load": {"load5_per_cpu": {"warning": "1e9", "critical": "1e9"}},
}


def collections_path():
    """The directory holding the ansible_collections/sre/health these tests import."""
    import ansible_collections.sre.health as collection

    for path in collection.__path__:
        return os.path.dirname(os.path.dirname(os.path.dirname(path)))
    raise RuntimeError("tests must run from a checkout at .../ansible_collections/sre/health")


def ansible_env():
    env = dict(os.environ)
    # ansible-test units puts a restricted ansible package (module_utils only) first on PYTHONPATH;
    # the CLI needs the real one, and finds this collection through ANSIBLE_COLLECTIONS_PATH.
    env.pop("PYTHONPATH", None)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_NOCOLOR="True",
        # one per user: another user's (root's, from make test) is not writable
        ANSIBLE_HOME="%s/sre-health-tests-ansible-home-%d" % (tempfile.gettempdir(), os.getuid()),
    )
    return env


class ModuleRun(object):
    def __init__(self, result, stdout, stderr, elapsed, rc):
        self.rc = rc
        self.result = result
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed

    @property
    def failed(self):
        # --tree drops the "failed" key; with one host, ansible's exit code tells
        return self.rc != 0


def run_module(module, args=None, python=None, timeout=120, check=False, extra_args=(), env=None):
    """Run ``sre.health.<module>`` on localhost through the real ansible CLI; return its result.
    ``env``: more environment variables for ansible (and the module, which inherits them locally)."""
    import time

    tree = tempfile.mkdtemp(prefix="sre-health-tree-")
    # --tree writes each host's result as JSON: no collection callback needed
    cmd = [sys.executable, "-m", "ansible.cli.adhoc", "localhost", "-m", "sre.health." + module, "--tree", tree]
    if args:
        cmd += ["-a", json.dumps(args)]
    if python:
        cmd += ["-e", "ansible_python_interpreter=" + python]
    else:
        cmd += ["-e", "ansible_python_interpreter=" + sys.executable]
    if check:
        cmd.append("--check")
    cmd.extend(extra_args)
    started = time.monotonic()
    proc = subprocess.run(cmd, env=dict(ansible_env(), **(env or {})), capture_output=True, text=True, timeout=timeout,
                          check=False)
    elapsed = time.monotonic() - started
    try:
        with open(os.path.join(tree, "localhost")) as handle:
            result = json.load(handle)
    except (OSError, ValueError):
        raise AssertionError("no JSON result from ansible (rc %s)\nstdout:\n%s\nstderr:\n%s"
                             % (proc.returncode, proc.stdout, proc.stderr))
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    return ModuleRun(result, proc.stdout, proc.stderr, elapsed, proc.returncode)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting filesystems needs root")


def _run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)


def tmpfs_fixture(tmp_path):
    """A real 8 MiB tmpfs with at most 1000 inodes, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    _run("mount", "-t", "tmpfs", "-o", "size=8m,nr_inodes=1000", "sre-health-test", str(mnt))
    try:
        yield str(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def ext4_loop_fixture(tmp_path):
    """A real 16 MiB ext4 filesystem on a loop device, 5% reserved for root, 256 inodes."""
    if os.geteuid() != 0:
        pytest.skip("mounting a loop device needs root")
    if not shutil.which("mkfs.ext4"):
        pytest.skip("mkfs.ext4 (e2fsprogs) is not installed")
    image = tmp_path / "fs.img"
    with open(image, "wb") as handle:
        handle.truncate(16 * 1024 * 1024)
    _run("mkfs.ext4", "-q", "-F", "-N", "256", "-m", "5", str(image))
    mnt = tmp_path / "ext4"
    mnt.mkdir()
    _run("mount", "-o", "loop", str(image), str(mnt))
    try:
        yield str(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path, nbytes, name="fill.bin"):
    """Write ``nbytes`` of real data (not a sparse file) into ``path``."""
    chunk = b"\xa5" * (1024 * 1024)
    with open(os.path.join(path, name), "wb") as handle:
        left = nbytes
        while left > 0:
            handle.write(chunk[:min(left, len(chunk))])
            left -= len(chunk)
        handle.flush()
        os.fsync(handle.fileno())


def df(path, inodes=False):
    """``df`` itself, as an independent oracle: (used, avail, percent) or inode numbers."""
    cmd = ["df", "-P", "-B1"] + (["-i"] if inodes else []) + [path]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=dict(os.environ, LC_ALL="C")).stdout
    fields = out.splitlines()[1].split()
    return {"total": int(fields[1]), "used": int(fields[2]), "avail": int(fields[3]),
            "percent": int(fields[4].rstrip("%")), "mount": fields[5]}


def stop(process, grace=10):
    """End a test's own server process: SIGTERM, then SIGKILL after ``grace`` seconds; reaped either way."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)
