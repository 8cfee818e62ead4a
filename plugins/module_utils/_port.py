# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``port`` check kind: a TCP connection, optionally a TLS handshake and a send/expect dialogue.

The host name is resolved with getaddrinfo and every address is tried in turn, as a real
client does, so ``localhost`` reaches a service bound only to ``::1`` as well as one bound
only to ``127.0.0.1``. ``timeout`` bounds the whole check: every connection attempt, the
handshake and the wait for the expected answer share it.

Statuses (documented in the port_check module):

- ``state: open``: no address accepts -> critical (connection refused, timed out...); a failed
  handshake or an answer that does not match ``expect`` -> critical; else thresholds decide.
- ``state: closed``: an address accepts -> critical; none does -> ok.

Needs no third-party library; with ``tls: true`` the certificate's expiry is read with the
cryptography library when it is there (see ``_tls`` for a host without it).
Thread-safe: no global state, no signals.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import time

from ansible_collections.sre.health.plugins.module_utils import _tls
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._kind import Config, param
from ansible_collections.sre.health.plugins.module_utils._pattern import compile_regex
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    OK,
    UNKNOWN,
    check_timeout,
    describe_breaches,
    evaluate,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import DAYS, MILLISECONDS, format_quantity
from ansible_collections.sre.health.plugins.module_utils._web.options import check_tls_files

KIND = "port"

METRICS = {
    "connect_time_ms": MILLISECONDS,
    "cert_days_left": DAYS,
}

# No connect time bound fits every network: set thresholds.connect_time_ms yourself.
DEFAULT_THRESHOLDS = {
    "cert_days_left": dict(_tls.DEFAULT_CERT_THRESHOLDS),
}

STATES = ("open", "closed")
DEFAULT_TIMEOUT = 5.0
# Stop reading the answer after this much without a match.
MAX_ANSWER_BYTES = 64 * 1024
# How much of the answer a result shows.
ANSWER_SHOWN = 200

OPTIONS = dict(
    host=dict(type="str", default="localhost"),
    port=dict(type="int", required=True),
    state=dict(type="str", default="open", choices=list(STATES)),
    send=dict(type="str"),
    expect=dict(type="str"),
    tls=dict(type="bool", default=False),
    validate_certs=dict(type="bool", default=False),
    ca_path=dict(type="path"),
    server_name=dict(type="str"),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
)

CONSTRAINTS = {}

# cryptography is optional: only a tls check reads a certificate (see _tls).
REQUIRES = {}

# Feeds host- or peer-chosen text to user patterns or parsers: a child process (see _kind).
ISOLATED = True

HOST_ACCEPTED = "a host name, an IPv4 address or an IPv6 address (brackets optional), without a port"
_HOST_RE = re.compile(r"^[A-Za-z0-9._-]+$")


def check_host(host):
    """Validate ``host``; return it without IPv6 brackets."""
    if not isinstance(host, str) or not host.strip():
        raise OptionError("host", host, HOST_ACCEPTED)
    text = host.strip()
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    if ":" in bare:
        try:
            ipaddress.ip_address(bare.split("%", 1)[0])
        except ValueError:
            raise OptionError("host", host, HOST_ACCEPTED + " (put the port in the port option)")
        return bare
    if not _HOST_RE.match(bare) or bare.startswith(".") or ".." in bare:
        raise OptionError("host", host, HOST_ACCEPTED)
    return bare


def _tls_options(params, tls):
    """validate_certs, ca_path (loaded once here) and server_name; the last two only with tls."""
    for option in ("ca_path", "server_name"):
        if params.get(option) is not None and not tls:
            raise OptionError(option, params[option], "%s only with tls=true" % option)
    ca_path = check_tls_files(params, ("ca_path",))["ca_path"]
    server_name = params.get("server_name")
    if server_name is not None and (not isinstance(server_name, str) or not _HOST_RE.match(server_name)):
        raise OptionError("server_name", server_name, "a DNS name, as in the certificate")
    return dict(validate_certs=bool(param(OPTIONS, params, "validate_certs")), ca_path=ca_path, server_name=server_name)


def validate(params):
    """Check every option once; return a Config. Raises OptionError naming option, value and what is accepted."""
    host = check_host(param(OPTIONS, params, "host"))
    port = params.get("port")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise OptionError("port", port, "a TCP port number from 1 to 65535")
    state = param(OPTIONS, params, "state")
    if state not in STATES:
        raise OptionError("state", state, ", ".join(STATES))
    timeout = check_timeout("timeout", param(OPTIONS, params, "timeout"), allow_none=False)
    tls = bool(param(OPTIONS, params, "tls"))
    send = params.get("send")
    if send is not None and (not isinstance(send, str) or send == ""):
        raise OptionError("send", send, "a non-empty string")
    regex = compile_regex("expect", params.get("expect"))
    if state == "closed":
        for option, value in (("send", send), ("expect", params.get("expect")), ("tls", tls or None)):
            if value is not None:
                raise OptionError(option, value, "%s only with state=open (a closed port has nothing to answer)"
                                  % option)
    if tls:
        _tls.preload()  # the check reads the certificate: import cryptography before any fork
    # Only an answer judged by the user's pattern (expect) needs a child process.
    return Config(isolated=regex is not None, host=host, port=port, state=state, timeout=timeout, tls=tls, send=send, regex=regex,
                  libraries=("cryptography",) if tls else (), **_tls_options(params, tls))


def endpoint(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def resolve(host, port):
    """Every (family, socktype, proto, sockaddr) getaddrinfo returns for ``host``, in its order."""
    infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    seen = []
    for family, socktype, proto, _canon, sockaddr in infos:
        entry = (family, socktype, proto, sockaddr)
        if entry not in seen:
            seen.append(entry)
    return seen


def _reason(exc):
    if isinstance(exc, socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return "%s: %s" % (type(exc).__name__, exc)


def connect_any(addresses, deadline):
    """Try each address until one accepts or ``deadline`` passes.

    Returns ``(sock or None, address text or None, attempts)`` where attempts lists the
    failures as ``{"address": ..., "error": ...}``.
    """
    attempts = []
    for family, socktype, proto, sockaddr in addresses:
        address = sockaddr[0]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            attempts.append({"address": address, "error": "not tried: the timeout ran out"})
            continue
        sock = socket.socket(family, socktype, proto)
        sock.settimeout(remaining)
        try:
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            attempts.append({"address": address, "error": _reason(exc)})
            continue
        return sock, address, attempts
    return None, None, attempts


def _read_answer(sock, regex, deadline):
    """Read until ``regex`` matches, the peer closes, MAX_ANSWER_BYTES, or the deadline: (text, matched, why)."""
    data = b""
    while True:
        text = data.decode("utf-8", "replace")
        if regex.search(text):
            return text, True, None
        if len(data) >= MAX_ANSWER_BYTES:
            return text, False, "read %d bytes without a match" % len(data)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return text, False, "timed out"
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            return text, False, "timed out"
        except OSError as exc:
            return text, False, _tls.describe_ssl_error(exc) if isinstance(exc, ssl.SSLError) else _reason(exc)
        if not chunk:
            return text, False, "connection closed by the server"
        data += chunk


def _excerpt(text, limit=60):
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown)


def _failed_attempts(attempts):
    return "; ".join("%s: %s" % (a["address"], a["error"]) for a in attempts)


def _unreachable(cfg, where, attempts):
    """(status, summary) when no address accepted the connection."""
    if not attempts:
        return CRITICAL if cfg.state == "open" else UNKNOWN, "%s: no address to connect to" % where
    reasons = set(a["error"] for a in attempts)
    if len(attempts) == 1 or len(reasons) == 1:
        why = "%s (%s)" % (attempts[0]["error"], ", ".join(a["address"] for a in attempts))
        if attempts[0]["error"] == "timed out":
            why = "timed out after %s s (%s)" % ("%g" % cfg.timeout, ", ".join(a["address"] for a in attempts))
    else:
        why = _failed_attempts(attempts)
    if cfg.state == "closed":
        return OK, "%s closed as expected: %s" % (where, why)
    return CRITICAL, "%s: %s" % (where, why)


def _measure_certificate(der, verified, metrics, extra):
    left, details = _tls.certificate_info(der)
    metrics["cert_days_left"] = left
    details["verified"] = verified
    extra["certificate"] = details


def _handshake(cfg, sock, address, deadline, metrics, extra, problems):
    """The TLS handshake on ``sock``; returns the socket to go on with and the headline's addition."""
    server_hostname = cfg.server_name or _tls.sni_name(cfg.host)
    try:
        context = _tls.client_context(cfg.validate_certs, cfg.ca_path,
                                      check_hostname=cfg.validate_certs and server_hostname is not None)
        sock = _tls.handshake(sock, context, server_hostname, max(0.001, deadline - time.monotonic()))
    except (OSError, ValueError) as exc:
        reason = "timed out after %s s" % ("%g" % cfg.timeout) if isinstance(exc, socket.timeout) \
            else _tls.describe_ssl_error(exc)
        problems.append("critical: TLS handshake failed: %s" % reason)
        if isinstance(exc, ssl.SSLError):
            _cert_from_second_handshake(cfg, address, deadline, metrics, extra)
        return sock, ""
    extra["tls_version"] = sock.version()
    cipher = sock.cipher()
    extra["tls_cipher"] = cipher[0] if cipher else None
    der = sock.getpeercert(binary_form=True)
    extra["cert_der"] = der
    _measure_certificate(der, cfg.validate_certs, metrics, extra)
    return sock, ", %s" % extra["tls_version"]


def _dialogue(cfg, sock, deadline, extra, problems):
    """send, then read until expect matches; returns the headline's addition."""
    if cfg.send is not None:
        try:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            sock.sendall(cfg.send.encode("utf-8"))
        except OSError as exc:
            problems.append("critical: cannot send: %s" % _reason(exc))
            return ""
    if cfg.regex is None:
        return ""
    text, matched, why = _read_answer(sock, cfg.regex, deadline)
    extra["answer"] = text[:ANSWER_SHOWN]
    if matched:
        return ", answer matches '%s'" % cfg.regex.pattern
    if why == "timed out":
        why = "timed out after %s s" % ("%g" % cfg.timeout)
    problems.append("critical: answer does not match '%s' (%s; got %s)" % (cfg.regex.pattern, why, _excerpt(text)))
    return ""


def _open(cfg, sock, address, where, via, deadline, compiled, metrics, extra):
    """(status, summary) once connected."""
    if cfg.state == "closed":
        return CRITICAL, "%s is open%s, expected closed" % (where, via)
    headline = "%s open%s in %s" % (where, via, format_quantity(metrics["connect_time_ms"], MILLISECONDS))
    problems = []
    if cfg.tls:
        sock, added = _handshake(cfg, sock, address, deadline, metrics, extra, problems)
        headline += added
    try:
        if not problems:
            headline += _dialogue(cfg, sock, deadline, extra, problems)
    finally:
        sock.close()
    if metrics["cert_days_left"] is not None:
        headline += ", " + _tls.expiry_phrase(metrics["cert_days_left"])
    problems += _tls.cert_problems(extra.pop("cert_der", None), compiled)
    status, breaches = evaluate(metrics, compiled, METRICS)
    if breaches:
        problems.append(describe_breaches(breaches))
    levels = [CRITICAL for p in problems if p.startswith("critical:")] + \
        [UNKNOWN for p in problems if p.startswith("unknown:")]
    return worst([status] + levels), headline + (" (%s)" % "; ".join(problems) if problems else "")


def _connected(cfg, started, deadline, where, compiled, metrics, extra):
    """(status, summary): resolve, connect, then judge what the open connection gives."""
    try:
        addresses = resolve(cfg.host, cfg.port)
    except (socket.gaierror, UnicodeError) as exc:
        reason = "cannot resolve %s: %s" % (cfg.host, getattr(exc, "strerror", None) or exc)
        # Closed is "nothing answers": without an address that cannot be told.
        return CRITICAL if cfg.state == "open" else UNKNOWN, "%s: %s" % (where, reason)
    sock, address, attempts = connect_any(addresses, deadline)
    extra["attempts"] = attempts
    if sock is None:
        return _unreachable(cfg, where, attempts)
    try:
        metrics["connect_time_ms"] = round((time.monotonic() - started) * 1000.0, 3)
        extra["address"] = address
        via = " (%s%s)" % (address, ", after %s" % _failed_attempts(attempts) if attempts else "")
        return _open(cfg, sock, address, where, via, deadline, compiled, metrics, extra)
    finally:
        try:
            sock.close()
        except OSError:
            pass


def run(cfg, compiled, name=KIND):
    started = time.monotonic()
    where = endpoint(cfg.host, cfg.port)
    metrics = {"connect_time_ms": None, "cert_days_left": None}
    extra = dict(host=cfg.host, port=cfg.port, state=cfg.state, address=None, attempts=[])
    status, summary = _connected(cfg, started, started + cfg.timeout, where, compiled, metrics, extra)
    result_name = "%s:%s" % (name, where) if name == KIND else name
    return [make_result(result_name, KIND, status, summary, metrics, thresholds_as_text(compiled),
                        (time.monotonic() - started) * 1000.0, **extra)]


def _cert_from_second_handshake(cfg, address, deadline, metrics, extra):
    """After a failed verification, read the certificate without verifying, to still report its expiry."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return
    try:
        der = _tls.fetch_peer_certificate(address, cfg.port, remaining, cfg.server_name or _tls.sni_name(cfg.host))
    except (OSError, ValueError):
        return
    extra["cert_der"] = der
    _measure_certificate(der, False, metrics, extra)
