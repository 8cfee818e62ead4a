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
    "long-header" (one 2 MB header line), "many-headers" (5000 headers), "garbage" (not HTTP),
    "huge-500" (a 500 whose body claims 1 GB and keeps coming until the client leaves).
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
            if self.answer_mode == "huge-500":
                conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                             b"Content-Length: 1073741824\r\n\r\n")
                chunk = b"x" * 65536
                while not self._stop.is_set():
                    conn.sendall(chunk)
                return
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


# --- PagerDuty Events API v2, checked strictly against the documented schema -----------------------

PD_ACTIONS = ("trigger", "acknowledge", "resolve")
PD_SEVERITIES = ("critical", "error", "warning", "info")
PD_TOP = {"routing_key", "event_action", "dedup_key", "payload", "images", "links", "client", "client_url"}
PD_PAYLOAD = {"summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"}


def pagerduty_problems(event):
    """What an event breaks of the Events API v2 schema (developer.pagerduty.com, Send an Alert Event)."""
    problems = []
    if not isinstance(event, dict):
        return ["the body is not a JSON object"]
    problems += ["unknown field %s" % k for k in sorted(set(event) - PD_TOP)]
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        problems.append("routing_key must be the 32-character integration key")
    if event.get("event_action") not in PD_ACTIONS:
        problems.append("event_action must be one of %s" % ", ".join(PD_ACTIONS))
    dedup = event.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not dedup or len(dedup) > 255):
        problems.append("dedup_key must be a text of at most 255 characters")
    if event.get("event_action") in ("acknowledge", "resolve") and not dedup:
        problems.append("dedup_key is required to %s" % event.get("event_action"))
    if event.get("event_action") == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return problems + ["payload is required for a trigger"]
        problems += ["unknown payload field %s" % k for k in sorted(set(payload) - PD_PAYLOAD)]
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary or len(summary) > 1024:
            problems.append("payload.summary must be a text of 1 to 1024 characters")
        if not isinstance(payload.get("source"), str) or not payload.get("source"):
            problems.append("payload.source is required")
        if payload.get("severity") not in PD_SEVERITIES:
            problems.append("payload.severity must be one of %s" % ", ".join(PD_SEVERITIES))
        for field in ("component", "group", "class", "timestamp"):
            if field in payload and not isinstance(payload[field], str):
                problems.append("payload.%s must be a text" % field)
        if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
            problems.append("payload.custom_details must be an object")
    return problems


class _PagerDutyHandler(_Recorder):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        try:
            event = json.loads(body.decode("utf-8"))
        except ValueError:
            event = None
        problems = pagerduty_problems(event) if self.path == "/v2/enqueue" else ["not the /v2/enqueue path"]
        with owner.lock:
            owner.requests.append(dict(path=self.path, headers=dict(self.headers.items()), body=body))
            busy = owner.busy > 0
            if busy:
                owner.busy -= 1
            if problems:
                owner.problems.append(problems)
        if busy:
            code, answer = 429, {"status": "throttle event",
                                 "message": "Requests for this service are arriving too quickly. Please retry later."}
        elif problems:
            code, answer = 400, {"status": "invalid event", "message": "Event object is invalid", "errors": problems}
        else:
            code, answer = 202, {"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key")}
        data = json.dumps(answer).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class PagerDuty(Receiver):
    """A loopback stand-in for events.pagerduty.com: POST /v2/enqueue, answered 202 when the event follows the
    documented schema, 400 with the problems otherwise (kept in ``problems``), 429 for the next ``busy`` events."""

    def __init__(self):
        self.problems = []
        self.busy = 0
        super(PagerDuty, self).__init__()
        self.server.RequestHandlerClass = _PagerDutyHandler

    @property
    def url(self):
        return "http://127.0.0.1:%d/v2/enqueue" % self.port

    def events(self):
        return self.payloads()
