# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Real servers for the http and port checks: HTTP(S) on 127.0.0.1 and ::1 (http.server in
threads), a test CA and certificates made with the cryptography package, and raw TCP listeners.

Only loopback addresses are ever used.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import os
import socket
import ssl
import threading
import urllib.parse
import time

USER = "probe"
PASSWORD = "pa55-w0rd-never-shown"
API_KEY = "api-key-0123456789-secret"

JSON_DOC = {
    "status": "up",
    "version": "1.4.2",
    "data": {
        "items": [{"name": "db", "state": "running"}, {"name": "cache", "state": "stopped"}],
        "count": 2,
        "ok": True,
        "ratio": 0.5,
        "nothing": None,
    },
    "app.kubernetes.io/name": "web",
}


def has_ipv6():
    if not socket.has_ipv6:
        return False
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            sock.bind(("::1", 0))
        finally:
            sock.close()
        return True
    except OSError:
        return False


# --- certificates ------------------------------------------------------------------------

class Pki(object):
    """A test CA and the certificates it signs, written as PEM files into ``directory``."""

    def __init__(self, directory):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._x509, self._hashes, self._ec, self._oid = x509, hashes, ec, NameOID
        self.directory = str(directory)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sre-health test CA"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sre.health tests")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.ca_name = name
        self.ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                        .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
                        .not_valid_before(now - datetime.timedelta(days=1))
                        .not_valid_after(now + datetime.timedelta(days=3650))
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                        .sign(self.ca_key, hashes.SHA256()))
        self.ca_path = self._write("ca.pem", self._cert_pem(self.ca_cert))

    @staticmethod
    def _cert_pem(cert):
        from cryptography.hazmat.primitives import serialization

        return cert.public_bytes(serialization.Encoding.PEM)

    @staticmethod
    def _key_pem(key):
        from cryptography.hazmat.primitives import serialization

        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def _write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path, "wb") as handle:
            handle.write(data)
        return path

    def issue(self, name, common_name, not_after, client=False, not_before=None):
        """Sign a certificate (valid for localhost, 127.0.0.1 and ::1); return (cert path, key path, cert)."""
        x509, oid = self._x509, self._oid
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(oid.COMMON_NAME, common_name)]))
                   .issuer_name(self.ca_name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(not_before or now - datetime.timedelta(days=1))
                   .not_valid_after(not_after))
        usage = x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH if client else x509.oid.ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if not client:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.IPAddress(ipaddress.ip_address("::1")),
            ]), critical=False)
        cert = builder.sign(self.ca_key, self._hashes.SHA256())
        cert_path = self._write(name + ".pem", self._cert_pem(cert))
        key_path = self._write(name + ".key", self._key_pem(key))
        return cert_path, key_path, cert


def in_days(days):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)


# --- HTTP --------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    """Routes: /json, /text, /error, /slow, /redirect, /redirect-loop, /redirect-to?url=, /auth,
    /flaky/<id>/<n>, /echo, /notjson, /empty, /status/<code>, /deep/<n> (arrays nested n deep),
    /deep-object/<n> (objects nested n deep, {"status": "up"} innermost)."""

    protocol_version = "HTTP/1.1"
    flaky = {}
    flaky_lock = threading.Lock()

    def log_message(self, *args):
        pass

    def _send(self, code, body=b"", content_type="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self):
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        if path == "/json":
            return self._send(200, json.dumps(JSON_DOC).encode())
        if path == "/text":
            return self._send(200, b"all systems operational\n", "text/plain; charset=utf-8")
        if path == "/notjson":
            return self._send(200, b"<html>not json</html>", "text/html")
        if path == "/empty":
            return self._send(204)
        if path == "/error":
            return self._send(500, b'{"error": "boom"}')
        if path == "/slow":
            time.sleep(2)
            return self._send(200, b"{}")
        if path == "/redirect":
            return self._send(302, extra={"Location": "/json"})
        if path == "/redirect-loop":
            return self._send(302, extra={"Location": "/redirect-loop"})
        if path == "/redirect-to":
            # /redirect-to?url=<where>: a redirect anywhere, as a compromised or careless server sends
            target = urllib.parse.parse_qs(self.path.split("?", 1)[1])["url"][0]
            return self._send(302, extra={"Location": target})
        if path == "/auth":
            expected = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
            if self.headers.get("Authorization") == expected:
                return self._send(200, b'{"user": "%s"}' % USER.encode())
            return self._send(401, b'{"error": "unauthorized"}', extra={"WWW-Authenticate": 'Basic realm="test"'})
        if path == "/apikey":
            if self.headers.get("X-Api-Key") == API_KEY:
                return self._send(200, b"{}")
            return self._send(403, b"{}")
        if len(parts) == 3 and parts[0] == "flaky":
            # fails the first N requests of each id with 503, then answers 200
            with self.flaky_lock:
                count = self.flaky.get(parts[1], 0) + 1
                self.flaky[parts[1]] = count
            if count <= int(parts[2]):
                return self._send(503, b'{"status": "starting"}')
            return self._send(200, json.dumps({"status": "up", "attempt": count}).encode())
        if len(parts) == 2 and parts[0] == "deep":
            return self._send(200, b"[" * int(parts[1]) + b"]" * int(parts[1]))
        if len(parts) == 2 and parts[0] == "deep-object":
            return self._send(200, b'{"a":' * (int(parts[1]) - 1) + b'{"status": "up"}' + b"}" * (int(parts[1]) - 1))
        if len(parts) == 2 and parts[0] == "status":
            return self._send(int(parts[1]), b"{}")
        if path == "/echo":
            doc = {"method": self.command, "body": payload.decode("utf-8", "replace"),
                   "headers": dict(self.headers.items())}
            return self._send(200, json.dumps(doc).encode())
        return self._send(404, b'{"error": "not found"}')

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _route


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def handle_error(self, request, client_address):
        # clients that give up (timeouts, failed handshakes) are part of the tests, not errors
        pass


class _Server6(_Server):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super(_Server6, self).server_bind()


class HttpServer(object):
    """One real HTTP(S) server in a thread; ``url(path)`` gives a URL to it."""

    def __init__(self, host="127.0.0.1", tls_context=None, delay=0.0, port=0):
        cls = _Server6 if ":" in host else _Server
        self.host = host
        self.server = cls((host, port), Handler, bind_and_activate=False)
        # Bound but not listening yet: connections are refused until activate() (no port race).
        self.server.server_bind()
        self.port = self.server.server_address[1]
        if tls_context is not None:
            # handshake in the handler thread, so a client that fails it never blocks accept()
            self.server.socket = tls_context.wrap_socket(self.server.socket, server_side=True,
                                                         do_handshake_on_connect=False)
        self.scheme = "https" if tls_context is not None else "http"
        self.thread = None
        if delay:
            self.activate_after(delay)
        else:
            self.activate()

    def activate(self):
        self.server.server_activate()
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def activate_after(self, delay):
        timer = threading.Timer(delay, self.activate)
        timer.daemon = True
        timer.start()

    @property
    def base(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % (self.scheme, host, self.port)

    def url(self, path="/"):
        return self.base + path

    def close(self):
        if self.thread is not None:
            self.server.shutdown()
        self.server.server_close()


def server_context(cert_path, key_path, client_ca=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


# --- TCP ---------------------------------------------------------------------------------

def refused_port(host="127.0.0.1", port=0):
    """A socket bound but not listening: connecting to its port is refused, and no one else can take it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock, sock.getsockname()[1]


def split_stack(listen_host, refuse_host, mode="banner"):
    """A TcpServer on ``listen_host`` and a refusing socket on the same port of ``refuse_host``."""
    for _attempt in range(20):
        server = TcpServer(listen_host, mode)
        try:
            sock, _port = refused_port(refuse_host, server.port)
        except OSError:
            server.close()
            continue
        return server, sock
    raise RuntimeError("no port free on both %s and %s" % (listen_host, refuse_host))


class TcpServer(object):
    """A real TCP listener in a thread. ``mode``: "silent" (accepts and waits), "banner" (greets),
    "pong" (answers +PONG to PING), "tls" (TLS handshake with ``context``, then banner)."""

    BANNER = b"SSH-2.0-OpenSSH_9.2p1 sre-health-test\r\n"

    def __init__(self, host="127.0.0.1", mode="silent", context=None, port=0):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6:
            self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.mode = mode
        self.context = context
        self.connections = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        conn.settimeout(5)
        try:
            if self.mode == "tls":
                conn = self.context.wrap_socket(conn, server_side=True)
                conn.sendall(b"220 sre-health-test ESMTP ready\r\n")
            elif self.mode == "banner":
                conn.sendall(self.BANNER)
            elif self.mode == "pong":
                data = b""
                while b"\n" not in data:
                    chunk = conn.recv(1024)
                    if not chunk:
                        return
                    data += chunk
                conn.sendall(b"+PONG\r\n" if data.strip() == b"PING" else b"-ERR unknown command\r\n")
            # keep the connection open until the client goes away
            while conn.recv(1024):
                pass
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self._stop.set()
        self.sock.close()
        self.thread.join(2)


def trickle(conn, data, pause, stop):
    """Send ``data`` one byte every ``pause`` seconds until done or ``stop`` is set."""
    for byte in data:
        if stop.wait(pause):
            return
        conn.sendall(bytes([byte]))


class TrickleServer(TcpServer):
    """A real HTTP peer on 127.0.0.1 that answers one byte every ``pause`` seconds, for ever.

    ``part``: "headers" trickles the status line and headers (they never end); "body" sends the
    headers at once, announcing a large body, then trickles it. A socket timeout never fires
    against it: only a deadline for the whole exchange ends the request.
    """

    def __init__(self, part="headers", pause=0.5):
        self.part = part
        self.pause = pause
        super(TrickleServer, self).__init__("127.0.0.1", "silent")

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _handle(self, conn):
        try:
            conn.recv(65536)
            if self.part == "headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                trickle(conn, b"X-Slow: " + b"a" * 100000, self.pause, self._stop)
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
                trickle(conn, b"# a very slow page\n" * 10000, self.pause, self._stop)
        except OSError:
            pass
        finally:
            conn.close()
