# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Real DNS servers for the dns check: Debian's dnsmasq (package dnsmasq-base, the binary without
the service) on 127.0.0.1 and ::1 with a port of its own, serving a zone given on its command line,
and small UDP peers that misbehave (silent, garbage, truncated answers without TCP).

Nothing here reads or changes the machine's resolver configuration: every dnsmasq runs with
``--conf-file=/dev/null --no-resolv --no-hosts`` and forwards only to other servers of these tests
on the loopback. Only loopback addresses are ever used.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils.servers import has_ipv6
from ansible_collections.sre.health.tests.unit.utils import stop

DNSMASQ = shutil.which("dnsmasq") or (os.path.exists("/usr/sbin/dnsmasq") and "/usr/sbin/dnsmasq") or None
SKIP_REASON = "dnsmasq is not installed (Debian package dnsmasq-base; make system-deps installs it)"

# 255 characters: the longest string of a TXT record.
LONG = "b" * 255
OTHER = "c" * 255

# The zone ``test``, authoritative (AA): every name of it that is not below is NXDOMAIN, and a name
# outside it is REFUSED. ``pool.test`` has three addresses, ``big.test`` answers 1.5 KiB (truncated
# over UDP, whole over TCP), ``dangling.test`` is a CNAME to nothing. dnsmasq's authoritative mode
# does not follow a CNAME to another CNAME: chains are served by a UdpPeer.
ZONE = [
    "--auth-server=ns.test,127.0.0.1,::1",
    "--auth-zone=test,127.0.0.0/8,::/64",
    "--auth-soa=2024010101,hostmaster.test,1200,180,1209600",
    "--host-record=www.test,127.0.0.10",
    "--host-record=v6.test,::10",
    "--host-record=dual.test,127.0.0.11,::11",
    "--host-record=pool.test,127.0.0.21",
    "--host-record=pool.test,127.0.0.22",
    "--host-record=pool.test,127.0.0.23",
    "--cname=alias.test,www.test",
    "--cname=dangling.test,gone.test",
    "--mx-host=test,mail.test,10",
    "--mx-host=test,mail2.test,20",
    "--txt-record=txt.test,v=spf1 -all",
    "--txt-record=multi.test,part one,part two",
    "--txt-record=big.test,%s,%s,%s" % (LONG, LONG, LONG),
    "--txt-record=big.test,%s,%s,%s" % (OTHER, OTHER, OTHER),
    "--srv-host=_http._tcp.test,www.test,80,1,5",
    "--host-record=rev.test,127.0.0.127",
]

# The root zone's key-signing key (KSK-2017) as a DS record, the usual DNSSEC trust anchor: a
# validating dnsmasq that forwards to the unsigned zone above finds its answers BOGUS (SERVFAIL).
ROOT_ANCHOR = ".,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"


def free_port(families):
    """A port free for UDP and TCP on the loopback of every family, as far as can be told."""
    for _attempt in range(50):
        socks = []
        try:
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(probe)
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            for family, host in families:
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    if family == socket.AF_INET and kind == socket.SOCK_DGRAM:
                        continue
                    sock = socket.socket(family, kind)
                    socks.append(sock)
                    sock.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError("no free port on the loopback")


def closed_udp_port(host="127.0.0.1"):
    """A UDP port nothing listens on (bound, then closed): a query there gets ICMP port unreachable."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class Dnsmasq(object):
    """One dnsmasq in the foreground (``-k``), its own port, pid file and log in ``directory``."""

    def __init__(self, directory, args, ipv6=True, port=None, addresses=None):
        if DNSMASQ is None:
            pytest.skip(SKIP_REASON)
        self.directory = str(directory)
        self.ipv6 = ipv6 and has_ipv6()
        self.addresses = list(addresses or (["127.0.0.1"] + (["::1"] if self.ipv6 else [])))
        families = [(socket.AF_INET6 if ":" in a else socket.AF_INET, a) for a in self.addresses]
        self.port = port or free_port(families)
        self.log = os.path.join(self.directory, "dnsmasq.log")
        cmd = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
               "--bind-interfaces", "--port=%d" % self.port,
               "--pid-file=" + os.path.join(self.directory, "dnsmasq.pid"), "--log-facility=" + self.log,
               "--log-queries"]
        cmd += ["--listen-address=%s" % a for a in self.addresses]
        if os.geteuid() == 0:
            # root drops to this user once the ports are bound (the log file is opened before)
            cmd.append("--user=nobody")
        cmd += list(args)
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self):
        """Until dnsmasq answers on UDP: any answer to any query will do."""
        query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"  # id, RD, one question
                 b"\x05ready\x04test\x00\x00\x01\x00\x01")  # ready.test IN A
        deadline = time.monotonic() + 60  # a loaded machine may take long to start it
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode("utf-8", "replace")
                raise RuntimeError("dnsmasq exited with %s: %s %s" % (self.process.returncode, output,
                                                                      self.read_log()))
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.settimeout(0.2)
                sock.sendto(query, (self.addresses[0], self.port))
                if sock.recv(512)[:2] == b"\x12\x34":
                    return
            except OSError:
                time.sleep(0.05)
            finally:
                sock.close()
        self.close()
        raise RuntimeError("dnsmasq did not answer within 10 s: %s" % self.read_log())

    def server(self, host="127.0.0.1"):
        """The dns check's ``server`` option for this dnsmasq."""
        return "[%s]:%d" % (host, self.port) if ":" in host else "%s:%d" % (host, self.port)

    def read_log(self):
        try:
            with open(self.log) as handle:
                return handle.read()
        except OSError:
            return ""

    def queries(self, name):
        """The log lines of the queries dnsmasq received for ``name`` (``auth[A] name from`` for the
        zone it serves, ``query[A] name from`` for the others)."""
        return [line for line in self.read_log().splitlines()
                if ("query[" in line or "auth[" in line) and "] %s from " % name in line]

    def close(self):
        stop(self.process)
        self.process.stdout.close()


def zone_server(directory, **kwargs):
    """The authoritative server of the zone ``test`` (see ZONE)."""
    return Dnsmasq(directory, ZONE, **kwargs)


def validating_resolver(directory, upstream_port, dead_port):
    """A validating, forwarding dnsmasq on 127.0.0.1: everything to the zone server (unsigned, so
    every answer is BOGUS: SERVFAIL), ``dead.test`` to a port where nothing listens (no answer)."""
    return Dnsmasq(directory, ["--dnssec", "--trust-anchor=" + ROOT_ANCHOR, "--dnssec-check-unsigned",
                               "--server=127.0.0.1#%d" % upstream_port,
                               "--server=/dead.test/127.0.0.1#%d" % dead_port], ipv6=False)


class UdpPeer(object):
    """A UDP socket on the loopback that reads queries and answers with ``reply(query bytes)``
    (None: stays silent). Counts what it received (``received``: when and what; ``senders``: from
    which address, to answer an earlier query later through ``sock``)."""

    def __init__(self, reply=None, host="127.0.0.1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.host = host
        self.reply = reply
        self.received = []
        self.senders = []
        self._stop = False
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def server(self):
        return "[%s]:%d" % (self.host, self.port) if ":" in self.host else "%s:%d" % (self.host, self.port)

    def _serve(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.senders.append(peer)
            self.received.append((time.monotonic(), data))
            answer = self.reply(data) if self.reply else None
            if answer is not None:
                # bytes, a list of datagrams, or a generator of them (a flood without end)
                for datagram in [answer] if isinstance(answer, bytes) else answer:
                    try:
                        self.sock.sendto(datagram, peer)
                    except OSError:  # the check is gone (port unreachable): stop answering it
                        break

    def close(self):
        self._stop = True
        self.thread.join(5)
        self.sock.close()
