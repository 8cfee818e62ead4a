# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An SSH server of the benchmark's own, for the arms over SSH: Debian's sshd (openssh-server)
started here on 127.0.0.1 with its own port, host key, client key and configuration; never the
machine's sshd or its configuration. Each inventory alias gets its own ControlPersist master
(its own ControlPath), as separate hosts would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

SSHD = "/usr/sbin/sshd"

CONFIG = """Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/host_ed25519
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 200
MaxSessions 200
LogLevel ERROR
Subsystem sftp internal-sftp
"""


def available():
    return os.path.exists(SSHD) and shutil.which("ssh") is not None and shutil.which("ssh-keygen") is not None


def _free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class Sshd(object):
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "sshd")
        os.makedirs(self.dir, mode=0o700)
        self.port = _free_port()
        self.proc = None
        self.key = os.path.join(self.dir, "client_ed25519")

    def start(self):
        for name in ("host_ed25519", "client_ed25519"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(self.dir, name)],
                           check=True)
        shutil.copy(self.key + ".pub", os.path.join(self.dir, "authorized_keys"))
        config = os.path.join(self.dir, "sshd_config")
        with open(config, "w") as handle:
            handle.write(CONFIG.format(port=self.port, dir=self.dir))
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", config], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "sshd.log"), "w"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        with open(os.path.join(self.dir, "sshd.log")) as handle:
            raise SystemExit("bench: sshd did not start on 127.0.0.1:%d: %s" % (self.port, handle.read()[-2000:]))

    def host_vars(self, alias, python):
        control = os.path.join(self.dir, "cp-%s" % alias)
        return {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": self.port,
                "ansible_user": "root", "ansible_ssh_private_key_file": self.key,
                "ansible_python_interpreter": python,
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                           "-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=%s" % control}

    def close_masters(self):
        """End every ControlPersist master, so that each run starts from cold connections."""
        for name in os.listdir(self.dir):
            if name.startswith("cp-"):
                subprocess.run(["ssh", "-o", "ControlPath=%s" % os.path.join(self.dir, name), "-O", "exit", "x"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    def stop(self):
        self.close_masters()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
