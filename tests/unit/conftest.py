# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.sre.health.tests.unit.utils import ext4_loop_fixture, tmpfs_fixture

tmpfs = pytest.fixture(name="tmpfs")(tmpfs_fixture)
ext4_loop = pytest.fixture(name="ext4_loop")(ext4_loop_fixture)


@pytest.fixture(scope="session")
def python_without_psutil(tmp_path_factory):
    """A real interpreter that cannot import psutil: a venv without site packages."""
    path = tmp_path_factory.mktemp("nopsutil") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = str(path / "bin" / "python")
    assert subprocess.run([python, "-c", "import psutil"], capture_output=True, check=False).returncode != 0
    return python


@pytest.fixture
def hung_mount(tmp_path):
    """A real FUSE mount whose server is frozen: statvfs() on it blocks, like a dead NFS server."""
    if os.geteuid() != 0:
        pytest.skip("FUSE mounts need root here")
    if not shutil.which("bindfs") or not os.path.exists("/dev/fuse"):
        pytest.skip("bindfs and /dev/fuse are needed (make test installs bindfs)")
    source = tmp_path / "src"
    mnt = tmp_path / "hung"
    source.mkdir()
    mnt.mkdir()
    server = subprocess.Popen(["bindfs", "-f", str(source), str(mnt)])
    deadline = time.monotonic() + 60  # a loaded machine may take seconds to start bindfs
    while not os.path.ismount(str(mnt)) and server.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.path.ismount(str(mnt))
    server.send_signal(signal.SIGSTOP)
    try:
        yield str(mnt)
    finally:
        server.send_signal(signal.SIGCONT)
        subprocess.run(["umount", "-l", str(mnt)], check=False)
        server.terminate()
        server.wait(10)
