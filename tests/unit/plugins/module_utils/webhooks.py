# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Real webhook receivers on 127.0.0.1 for fleet_alert: one that records every POST and answers
a settable status, one that accepts connections and never answers, and a closed port."""

from __future__ import annotations

import http.server
import json
import socket
import threading

from ansible_collections.sre.health.tests.unit.plugins.module_utils.servers import TcpServer, trickle

# The path carries a token, as Slack's do: it must never show anywhere.
TOKEN_PATH = "/services/T0SREHEALTH/B0WEBHOOK/s3cr3t-t0ken-never-shown"


class _Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(dict(path=self.path, headers=dict(self.headers.items()), body=body))
            code = owner.status
        answer = b"ok" if code < 400 else b"boom"
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


class Receiver(object):
    """Records every POST; answers ``status`` (settable between runs)."""

    def __init__(self, status=200):
        self.lock = threading.Lock()
        self.requests = []
        self.status = status
        self.server = _Server(("127.0.0.1", 0), _Recorder)
        self.server.owner = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d%s?token=query-s3cr3t" % (self.port, TOKEN_PATH)

    def payloads(self):
        with self.lock:
            return [json.loads(r["body"].decode("utf-8")) for r in self.requests]

    def clear(self):
        with self.lock:
            del self.requests[:]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class BlackHole(TcpServer):
    """Accepts connections and never answers nor reads (until closed): a webhook that hangs."""

    def __init__(self):
        self.held = []
        super(BlackHole, self).__init__("127.0.0.1", "silent")

    def _handle(self, conn):
        self.held.append(conn)

    @property
    def url(self):
        return "http://127.0.0.1:%d%s" % (self.port, TOKEN_PATH)

    def close(self):
        super(BlackHole, self).close()
        for conn in self.held:
            conn.close()


def closed_port():
    """A port bound but not listening: connections are refused, and nobody else takes it meanwhile."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, "http://127.0.0.1:%d%s" % (sock.getsockname()[1], TOKEN_PATH)


class Hostile(TcpServer):
    """A receiver that reads the POST, then answers in a way built to hurt its client.

    ``mode``: "trickle" (a status line and headers at one byte every half second, never ending),
    "long-header" (one 2 MB header line), "many-headers" (5000 headers), "garbage" (not HTTP).
    """

    def __init__(self, mode):
        self.answer_mode = mode
        super(Hostile, self).__init__("127.0.0.1", "silent")

    def _answer(self):
        if self.answer_mode == "long-header":
            return b"HTTP/1.1 200 OK\r\nX-Huge: " + b"a" * (2 * 1024 * 1024) + b"\r\nContent-Length: 0\r\n\r\n"
        if self.answer_mode == "many-headers":
            return b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"Content-Length: 0\r\n\r\n"
        return b"\x00\xffnot http at all\r\n\r\n"

    def _handle(self, conn):
        try:
            conn.settimeout(5)
            conn.recv(65536)
            if self.answer_mode != "trickle":
                conn.sendall(self._answer())
                return
            trickle(conn, b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100000, 0.5, self._stop)
        except OSError:
            pass
        finally:
            conn.close()

    @property
    def url(self):
        return "http://127.0.0.1:%d%s" % (self.port, TOKEN_PATH)
