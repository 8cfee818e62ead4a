# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Why a request failed, in a few words: ``connection refused``, ``timed out after 5 s``,
``TLS error: certificate verify failed: certificate has expired``, ``cannot resolve the host name``.

requests wraps urllib3's errors, which wrap the socket's: :func:`causes` walks that chain and
:func:`describe_request_error` names the first cause a user can act on.
"""

from __future__ import annotations

import socket
import ssl

from ansible_collections.sre.health.plugins.module_utils import _tls

try:
    import requests
except ImportError:
    requests = None


class Failure(object):
    """A failed request: ``reason`` (``timed out after 5 s``), the ``phase`` it failed in
    (``connecting``, ``waiting for the answer``, ``reading the body``) when known, and whether
    it was a TLS failure (``tls``: the certificate may still be worth reading)."""

    __slots__ = ("reason", "phase", "tls")

    def __init__(self, reason, phase=None, tls=False):
        self.reason = reason
        self.phase = phase
        self.tls = tls

    def text(self, phase=True):
        """The reason, followed by the phase in parentheses when ``phase`` and it is known."""
        return "%s (%s)" % (self.reason, self.phase) if phase and self.phase else self.reason

    def __str__(self):
        return self.text()


def shorten(text, limit=200):
    """``text`` on one line, at most ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def causes(exc):
    """The exception and the chain of its causes (urllib3 ``reason``, wrapped args, __cause__)."""
    chain = []
    current = exc
    while current is not None and len(chain) < 16 and all(current is not seen for seen in chain):
        chain.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
        elif current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None:
            current = current.__context__
        else:
            current = None
    return chain


def _names(chain):
    names = set()
    for exc in chain:
        names.update(cls.__name__ for cls in type(exc).__mro__)
    return names


def _timeout(exc, chain, names, seconds):
    if isinstance(exc, requests.exceptions.ConnectTimeout) or (
            "ConnectTimeoutError" in names and "NewConnectionError" not in names):
        return Failure("timed out after %s s" % seconds, "connecting")
    if isinstance(exc, requests.exceptions.ReadTimeout) or "ReadTimeoutError" in names or \
            any(isinstance(e, (socket.timeout, TimeoutError)) for e in chain):
        return Failure("timed out after %s s" % seconds, "waiting for the answer")
    return None


def _tls_failure(exc, chain):
    for err in chain:
        if isinstance(err, ssl.SSLError):
            text = _tls.describe_ssl_error(err)
            return Failure(text if text.startswith("TLS error: ") else "TLS error: " + text, tls=True)
    if isinstance(exc, requests.exceptions.SSLError):
        return Failure("TLS error: %s" % shorten(str(chain[-1])), tls=True)
    return None


def _connection(exc, chain, names, max_redirects):
    if "NameResolutionError" in names or any(isinstance(e, socket.gaierror) for e in chain):
        return "cannot resolve the host name"
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return "connection reset by the server"
    if "RemoteDisconnected" in names or "IncompleteRead" in names:
        return "the server closed the connection without a complete answer"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects (more than %d)" % max_redirects
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema)):
        return "invalid redirect: %s" % shorten(str(exc))
    for err in reversed(chain):
        if isinstance(err, OSError) and err.strerror:
            return err.strerror[:1].lower() + err.strerror[1:]
    return None


def describe_request_error(exc, timeout, max_redirects=10):
    """A :class:`Failure` for an exception requests raised."""
    chain = causes(exc)
    names = _names(chain)
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return Failure("connection refused")
    failure = _timeout(exc, chain, names, "%g" % timeout) or _tls_failure(exc, chain)
    if failure is not None:
        return failure
    reason = _connection(exc, chain, names, max_redirects)
    if reason is None:
        last = chain[-1]
        reason = "request failed: %s: %s" % (type(last).__name__, shorten(str(last)))
    return Failure(reason)
