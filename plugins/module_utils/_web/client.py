# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The HTTP client: one request through a requests session of its own, with urllib3 retries
and backoff, one deadline, a bounded streamed body read and the peer's certificate.

:func:`send` never raises for network trouble: an :class:`Answer` holds the status, headers,
body and timings, or a :class:`~._web.errors.Failure`.

Deadline: every attempt has ``timeout`` seconds for its whole exchange (connecting, the answer's
headers and its body together); retries and redirects each start a new attempt. A server that
drips its body slowly is cut off at the deadline.

Thread-safe: every request uses its own session; nothing global is written at run time.
"""

from __future__ import annotations

import ssl
import threading
import time
import warnings

from urllib.parse import urlsplit

from ansible_collections.sre.health.plugins.module_utils import _tls
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._web.errors import Failure, describe_request_error, shorten
from ansible_collections.sre.health.plugins.module_utils._web.redact import is_sensitive_header, redact_url
from ansible_collections.sre.health.plugins.module_utils._web.urls import accepted

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry
    from urllib3.util.timeout import Timeout
except ImportError:
    requests = None
    Retry = object
else:
    try:
        from urllib3.exceptions import InsecureRequestWarning
    except ImportError:  # pragma: no cover - every urllib3 has it
        InsecureRequestWarning = None
    if InsecureRequestWarning is not None:
        # validate_certs: false is the user's explicit choice; the warning would only be noise on stderr.
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)

MAX_REDIRECTS = 10
# The longest single backoff pause, whatever retry_delay and retries say.
MAX_BACKOFF = 60.0
# At most this many retries of one request (each costs a timeout and a pause).
MAX_RETRIES = 10
# The exchange is abandoned this long after its limit, so that an ordinary timeout (a socket
# timeout, with its retries) is reported by requests itself, with its phase and retry count;
# only a peer that keeps trickling reaches the abandonment.
GRACE = 1.0
CHUNK = 65536


def available():
    return requests is not None


class BackoffRetry(Retry):
    """urllib3's Retry with a backoff that starts at the first retry.

    urllib3 retries the first time without a pause, then waits factor * 2^(n-1); here retry n
    waits ``retry_delay * 2^(n-1)``: 1 s, 2 s, 4 s... for retry_delay 1, each at most MAX_BACKOFF.
    The retry that was slept on is the one the next attempt (and its answer) carries: it records
    when that attempt started, for the deadline of its body.
    """

    attempt_started = None

    def get_backoff_time(self):
        consecutive = 0
        for entry in reversed(self.history):
            if entry.redirect_location is not None:
                break
            consecutive += 1
        if consecutive < 1 or not self.backoff_factor:
            return 0.0
        return float(min(MAX_BACKOFF, self.backoff_factor * (2 ** (consecutive - 1))))

    def sleep(self, response=None):
        super(BackoffRetry, self).sleep(response)
        self.attempt_started = time.monotonic()


def make_retry(retries, retry_delay, expected=None):
    """The Retry policy: connection errors, timeouts, and 429/5xx answers not in ``expected``."""
    retryable = set(range(500, 600)) | {429}
    retryable -= set(expected or ())
    kwargs = dict(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        redirect=False,  # requests follows redirects itself
        status_forcelist=sorted(retryable),
        backoff_factor=retry_delay,
        raise_on_status=False,  # after the last retry, judge the last answer
        raise_on_redirect=False,
        # Retry-After could ask for hours; a check must return in bounded time.
        respect_retry_after_header=False,
    )
    try:
        return BackoffRetry(allowed_methods=None, **kwargs)
    except TypeError:  # urllib3 < 1.26
        return BackoffRetry(method_whitelist=False, **kwargs)


class Request(object):
    """What to send and how: see :func:`send`. ``keep_bytes`` bounds the body kept (the rest is
    counted); with ``max_bytes``, reading stops there and the answer is ``too_large``."""

    def __init__(self, url, method="GET", headers=None, data=None, auth=None, timeout=10.0, validate_certs=True,
                 ca_path=None, client_cert=None, client_key=None, retries=0, retry_delay=0.0, expected=None,
                 follow_redirects=True, keep_bytes=16 * 1024 * 1024, max_bytes=None, want_certificate=False):
        self.__dict__.update(locals())
        del self.__dict__["self"]


class Answer(object):
    """What one request produced: an answer (code, body...) or a ``failure``."""

    def __init__(self, url):
        self.failure = None
        self.code = None
        self.reason = ""
        self.headers = {}
        self.encoding = None
        self.body = b""
        self.body_bytes = None
        self.too_large = False
        self.elapsed_ms = None
        self.redirects = 0
        self.retries = 0
        self.url = url
        self.cert_der = None
        self.cert_error = None

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "")


def check_prepared(method, url, headers, scrub=str):
    """requests' own URL and header checks, so that a bad option is an option error, not a failed request."""
    if requests is None:
        return
    try:
        requests.Request(method, url, headers=headers).prepare()
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader, ValueError) as exc:
        raise OptionError("url", redact_url(url), "%s (%s)" % (accepted(), scrub(str(exc))))


if requests is not None:
    class _Session(requests.Session):
        """A session that drops every credential header when a redirect leaves the origin.

        requests drops only ``Authorization``; ``X-Api-Key``, ``Private-Token``, ``X-Auth-Token``
        and the like went along to whatever host or port a redirect named. Same origin: kept.
        """

        def rebuild_auth(self, prepared_request, response):
            if self.should_strip_auth(response.request.url, prepared_request.url):
                for name in [n for n in prepared_request.headers if is_sensitive_header(n)]:
                    del prepared_request.headers[name]
            super(_Session, self).rebuild_auth(prepared_request, response)


def _session(req):
    session = _Session()
    session.max_redirects = MAX_REDIRECTS
    adapter = HTTPAdapter(max_retries=make_retry(req.retries, req.retry_delay, req.expected))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _request_kwargs(req):
    verify = (req.ca_path or True) if req.validate_certs else False
    cert = None
    if req.client_cert:
        cert = (req.client_cert, req.client_key) if req.client_key else req.client_cert
    return dict(headers=req.headers, data=req.data, auth=req.auth, verify=verify, cert=cert,
                timeout=Timeout(connect=req.timeout, read=req.timeout, total=req.timeout),
                allow_redirects=req.follow_redirects, stream=True)


def peer_certificate(response):
    """The DER certificate of the connection that carried ``response``, if still attached."""
    raw = getattr(response, "raw", None)
    conn = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(conn, "sock", None)
    if sock is None or not hasattr(sock, "getpeercert"):
        return None
    try:
        return sock.getpeercert(binary_form=True)
    except (OSError, ValueError, AttributeError):
        return None


def separate_certificate(url, req):
    """``(der, error)``: the certificate of ``url`` through a handshake of our own (no verification)."""
    parts = urlsplit(url)
    try:
        return _tls.fetch_peer_certificate(parts.hostname, parts.port or 443, req.timeout,
                                           _tls.sni_name(parts.hostname), req.client_cert, req.client_key), None
    except (OSError, ValueError, ssl.SSLError) as exc:
        return None, _tls.describe_ssl_error(exc)


def _deadline(response, req):
    """When the attempt that answered must be over: ``timeout`` after it started."""
    headers_at = time.monotonic()
    started = headers_at - response.elapsed.total_seconds()
    retry_started = getattr(getattr(response.raw, "retries", None), "attempt_started", None)
    if retry_started is not None:
        started = max(started, retry_started)
    return started + req.timeout


def _read_body(response, req, answer, deadline):
    kept = []
    kept_size = size = 0
    try:
        for chunk in response.iter_content(chunk_size=CHUNK):
            size += len(chunk)
            if req.max_bytes is not None and size > req.max_bytes:
                answer.too_large = True
                break
            if kept_size < req.keep_bytes:
                kept.append(chunk[:req.keep_bytes - kept_size])
                kept_size += len(kept[-1])
            if time.monotonic() > deadline:
                answer.failure = Failure("timed out after %g s" % req.timeout, "reading the body")
                break
    except requests.exceptions.RequestException as exc:
        failure = describe_request_error(exc, req.timeout, MAX_REDIRECTS)
        answer.failure = Failure(failure.reason, "reading the body", failure.tls)
    answer.body = b"".join(kept)
    answer.body_bytes = size


def _take(response, req, answer):
    answer.code = response.status_code
    answer.reason = response.reason or ""
    answer.redirects = len(response.history)
    answer.url = response.url
    answer.headers = response.headers
    answer.encoding = response.encoding if "charset" in response.headers.get("Content-Type", "") else None
    retries = getattr(response.raw, "retries", None)
    answer.retries = len(getattr(retries, "history", ()) or ()) if retries is not None else 0
    if req.want_certificate and response.url.lower().startswith("https://"):
        answer.cert_der = peer_certificate(response)
        if answer.cert_der is None:
            answer.cert_der, answer.cert_error = separate_certificate(response.url, req)


def _failed(exc, req, answer):
    answer.failure = describe_request_error(exc, req.timeout, MAX_REDIRECTS)
    # requests raises only once urllib3's Retry has given up: every retry was used
    answer.retries = 0 if isinstance(exc, requests.exceptions.TooManyRedirects) else req.retries
    answer.url = getattr(getattr(exc, "request", None), "url", None) or req.url
    if req.want_certificate and answer.failure.tls and answer.url.lower().startswith("https://"):
        answer.cert_der, answer.cert_error = separate_certificate(answer.url, req)


def exchange_limit(req):
    """The seconds a whole exchange may take: each attempt its ``timeout``, plus the pauses
    between attempts (BackoffRetry's: ``retry_delay * 2**(n-1)``, each at most MAX_BACKOFF)."""
    pauses = sum(min(MAX_BACKOFF, req.retry_delay * 2 ** n) for n in range(req.retries)) if req.retry_delay else 0.0
    return req.timeout * (req.retries + 1) + pauses


def _late(req, answer, limit):
    """The answer of an exchange that passed its limit: what was known then, and the timeout."""
    late = Answer(req.url)
    late.code, late.reason, late.headers, late.url = answer.code, answer.reason, answer.headers, answer.url
    phase = "reading the body" if answer.code is not None else "waiting for the answer"
    late.failure = Failure("timed out after %g s" % round(limit, 3), phase)
    late.elapsed_ms = limit * 1000.0
    return late


def send(req):
    """Send ``req`` (with its retries and redirects); return an :class:`Answer`. Never raises for
    network trouble.

    One deadline covers the whole exchange (connect, headers, body, retries): socket timeouts
    alone do not, since a peer that sends one byte a second never lets a read time out. The
    exchange runs in a daemon thread; at :func:`exchange_limit` (and GRACE) it is abandoned (its
    socket closes with the process) and the answer is a timeout, with what had arrived by then.
    """
    answer = Answer(req.url)
    done = threading.Event()

    def exchange():
        try:
            _exchange(req, answer)
        except Exception as exc:  # noqa: B902 - a malformed answer is a failed request, never a traceback
            answer.failure = Failure("unreadable answer: %s: %s" % (type(exc).__name__, shorten(str(exc))))
        finally:
            done.set()

    worker = threading.Thread(target=exchange, name="sre-health-http")
    worker.daemon = True
    worker.start()
    limit = exchange_limit(req)
    if not done.wait(limit + GRACE):
        return _late(req, answer, limit)
    return answer


def _exchange(req, answer):
    """The exchange itself, filling ``answer``."""
    started = time.monotonic()
    session = _session(req)
    try:
        try:
            response = session.request(req.method, req.url, **_request_kwargs(req))
        except requests.exceptions.RequestException as exc:
            _failed(exc, req, answer)
            return
        except (OSError, ValueError) as exc:
            # TLS files that changed since they were checked, reported from deep inside requests
            answer.failure = Failure("cannot use the TLS files: %s" % shorten(str(exc)))
            return
        try:
            _take(response, req, answer)
            _read_body(response, req, answer, _deadline(response, req))
            answer.elapsed_ms = (time.monotonic() - started) * 1000.0
        finally:
            response.close()
    finally:
        session.close()
