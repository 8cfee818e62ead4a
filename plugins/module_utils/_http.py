# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``http`` check kind: one HTTP(S) request, judged on its status, body, time and certificate.

Rules (documented in the http_check module):

- An answer whose status is not expected (default: any 2xx or 3xx after redirects), whose body
  does not match ``body_regex``, or whose JSON does not hold the ``json`` expectations is
  ``critical``; so is a refused connection, a timeout, a TLS or name resolution failure, and
  the summary says which ("connection refused", "timed out after 5 s").
- ``retries`` go through urllib3's Retry mounted on a requests HTTPAdapter (connection errors,
  timeouts, 429 and 5xx answers that are not expected), with exponential backoff.
- ``wait_timeout`` repeats the whole probe until it is ``ok`` or the time runs out.
- Credentials never appear in results: URL passwords and credential-like query values are
  replaced by ``********``, and every known secret (url_password, sensitive header values) is
  scrubbed from every text the check returns, exception messages included.

Thread-safe: every probe uses its own requests session; nothing global is written at run time.
"""

from __future__ import annotations

import base64
import codecs
import json
import re
import socket
import ssl
import time
import warnings

from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from ansible_collections.sre.health.plugins.module_utils import _tls
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    OK,
    OptionError,
    check_timeout,
    describe_breaches,
    evaluate,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import (
    BYTES,
    COUNT,
    DAYS,
    MILLISECONDS,
    SECONDS,
    format_quantity,
)

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry
except ImportError:
    requests = None
    HTTPAdapter = None
    Retry = object
else:
    try:
        from urllib3.exceptions import InsecureRequestWarning
    except ImportError:  # pragma: no cover - every urllib3 has it
        InsecureRequestWarning = None
    if InsecureRequestWarning is not None:
        # validate_certs: false is the user's explicit choice; the warning would only be noise on stderr.
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)

KIND = "http"

METRICS = {
    "status_code": COUNT,
    "response_time_ms": MILLISECONDS,
    "body_bytes": BYTES,
    "cert_days_left": DAYS,
}

# No response time bound fits every endpoint: set thresholds.response_time_ms yourself.
DEFAULT_THRESHOLDS = {
    "cert_days_left": dict(_tls.DEFAULT_CERT_THRESHOLDS),
}

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRY_DELAY = 1.0
MAX_REDIRECTS = 10
# The longest single backoff pause, whatever retry_delay and retries say.
MAX_BACKOFF = 60.0
# Pause between wait_timeout probes when retry_delay is 0.
MIN_PROBE_INTERVAL = 0.1
# At most this much of the body is kept for body_regex and json (body_bytes counts all of it).
MAX_BODY_KEPT = 16 * 1024 * 1024
MASK = "********"

OPTIONS = dict(
    url=dict(type="str", required=True),
    method=dict(type="str", default="GET", choices=list(METHODS)),
    headers=dict(type="dict"),
    body=dict(type="raw"),
    expected_status=dict(type="list", elements="int"),
    body_regex=dict(type="str"),
    json=dict(type="dict"),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    retries=dict(type="int", default=0),
    retry_delay=dict(type="float", default=DEFAULT_RETRY_DELAY),
    wait_timeout=dict(type="float"),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    client_cert=dict(type="path"),
    client_key=dict(type="path"),
    url_username=dict(type="str"),
    url_password=dict(type="str", no_log=True),
    follow_redirects=dict(type="bool", default=True),
)

REQUIRES = {
    "requests": lambda: requests is not None,
}

# Header names whose values are credentials: never shown, scrubbed from every output.
SENSITIVE_HEADER_RE = re.compile(r"authorization|cookie|token|secret|passw|api[-_]?key|auth|session|signature", re.I)
# Query parameters whose values are credentials, as in ?token=... or ?api_key=...
SENSITIVE_QUERY_RE = re.compile(r"token|secret|key|passw|auth|signature|^sig$|session|credential", re.I)

_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_CHARSET_RE = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._:-]+)", re.I)

URL_ACCEPTED = "an http:// or https:// URL with a host, such as https://127.0.0.1:8443/health or http://[::1]:8080/"
JSON_PATH_SYNTAX = (
    "dotted paths such as data.items.0.state: keys separated by '.', a number indexes a list "
    "(-1 is the last item), '\\.' is a literal dot in a key"
)


# --- options -----------------------------------------------------------------------------

def _get(params, key):
    value = params.get(key)
    if value is None:
        return OPTIONS[key].get("default")
    return value


def redact_url(url):
    """``url`` with its password and credential-like query values replaced by ``********``."""
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/@]*@", "//%s@" % MASK, url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            netloc = "%s:%s@%s" % (userinfo.split(":", 1)[0], MASK, host)
    query = parts.query
    if query:
        pieces = []
        for piece in query.split("&"):
            key = piece.split("=", 1)[0]
            if "=" in piece and SENSITIVE_QUERY_RE.search(unquote(key)):
                piece = "%s=%s" % (key, MASK)
            pieces.append(piece)
        query = "&".join(pieces)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def sensitive_values(params):
    """Every secret the options carry, to scrub from output (and for the module's no_log_values)."""
    secrets = set()
    password = params.get("url_password")
    if password:
        secrets.add(str(password))
    headers = params.get("headers")
    if isinstance(headers, dict):
        for key, value in headers.items():
            if value not in (None, "") and SENSITIVE_HEADER_RE.search(str(key)):
                text = _header_text(value) if not isinstance(value, (dict, list)) else str(value)
                secrets.add(text)
                # "Bearer abc...": the credential alone may show up too
                pieces = text.split(None, 1)
                if len(pieces) == 2:
                    secrets.add(pieces[1])
    username = params.get("url_username")
    if username and password:
        # the Authorization header requests builds; a server may echo it back
        secrets.add(_basic_token(username, password))
    url = params.get("url")
    if isinstance(url, str):
        try:
            parts = urlsplit(url)
            if parts.password:
                secrets.add(parts.password)
                secrets.add(unquote(parts.password))
                secrets.add(_basic_token(unquote(parts.username or ""), unquote(parts.password)))
            for key, value in parse_qsl(parts.query, keep_blank_values=True):
                if value and SENSITIVE_QUERY_RE.search(key):
                    secrets.add(value)
            for piece in parts.query.split("&"):
                key, _sep, value = piece.partition("=")
                if value and SENSITIVE_QUERY_RE.search(unquote(key)):
                    secrets.add(value)
        except ValueError:
            pass
    return set(s for s in secrets if s)


def _basic_token(username, password):
    return base64.b64encode(("%s:%s" % (username, password)).encode("latin-1", "replace")).decode("ascii")


class Scrubber(object):
    """Replaces every known secret in a text with ``********``.

    Secrets shorter than 4 characters are left alone (masking every "a" would garble the text);
    they never appear in what this check writes itself, and Ansible masks no_log values anyway.
    """

    def __init__(self, secrets):
        self.secrets = sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)

    def __call__(self, text):
        if not isinstance(text, str):
            return text
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def deep(self, value):
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return dict((k, self.deep(v)) for k, v in value.items())
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value


def check_url(url):
    """Validate ``url``: http(s), a host, a valid port, no spaces. Errors show it redacted."""
    if not isinstance(url, str) or not url.strip():
        raise OptionError("url", url, URL_ACCEPTED)
    url = url.strip()
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise OptionError("url", shown, "%s (%s)" % (URL_ACCEPTED, exc))
    if parts.scheme.lower() not in ("http", "https"):
        raise OptionError("url", shown, "%s (scheme %r is not http or https)" % (URL_ACCEPTED, parts.scheme))
    if not parts.hostname:
        raise OptionError("url", shown, "%s (no host)" % URL_ACCEPTED)
    if any(char.isspace() for char in url):
        raise OptionError("url", shown, "%s (no spaces; encode them as %%20)" % URL_ACCEPTED)
    if port == 0:
        raise OptionError("url", shown, "%s (port 1 to 65535)" % URL_ACCEPTED)
    return url


def _header_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_json_path(path):
    """Split ``data.items.0.state`` into ["data", "items", "0", "state"]; ``\\.`` is a literal dot."""
    if not isinstance(path, str) or not path:
        raise OptionError("json", path, JSON_PATH_SYNTAX)
    segments = []
    current = []
    i = 0
    while i < len(path):
        char = path[i]
        if char == "\\" and i + 1 < len(path) and path[i + 1] in ".\\":
            current.append(path[i + 1])
            i += 2
            continue
        if char == ".":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    segments.append("".join(current))
    if any(segment == "" for segment in segments):
        raise OptionError("json", path, "%s (empty segment)" % JSON_PATH_SYNTAX)
    return segments


class Config(object):
    """The validated options of one http check."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def validate(params):
    """Check every option; return a Config. Raises OptionError naming option, value and what is accepted."""
    scrub = Scrubber(sensitive_values(params))
    url = check_url(params.get("url"))
    method = _get(params, "method")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise OptionError("method", method, ", ".join(METHODS))
    method = method.upper()
    timeout = check_timeout("timeout", _get(params, "timeout"), allow_none=False)
    retries = _get(params, "retries")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise OptionError("retries", retries, "a whole number from 0")
    retry_delay = _get(params, "retry_delay")
    if isinstance(retry_delay, bool) or not isinstance(retry_delay, (int, float)) or not 0 <= retry_delay < float("inf"):
        raise OptionError("retry_delay", retry_delay, "a number of seconds from 0")
    wait_timeout = params.get("wait_timeout")
    if wait_timeout is not None and (isinstance(wait_timeout, bool) or not isinstance(wait_timeout, (int, float))
                                     or not 0 <= wait_timeout < float("inf")):
        raise OptionError("wait_timeout", wait_timeout, "a number of seconds from 0 (0 or unset: probe once)")

    headers = params.get("headers") or {}
    if not isinstance(headers, dict):
        raise OptionError("headers", "(hidden)", "a dict of header name -> value")
    send_headers = {}
    for key, value in headers.items():
        sensitive = SENSITIVE_HEADER_RE.search(str(key))
        if not isinstance(key, str) or not _HEADER_NAME_RE.match(key):
            raise OptionError("headers", key, "header names made of letters, digits and !#$%&'*+.^_`|~-")
        if value is None or isinstance(value, (dict, list)):
            raise OptionError("headers.%s" % key, MASK if sensitive else value, "a string, number or boolean")
        text = _header_text(value)
        if re.search(r"[\r\n\x00]", text):
            raise OptionError("headers.%s" % key, MASK if sensitive else text, "a single-line value")
        send_headers[key] = text

    body = params.get("body")
    data = None
    if body is not None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode("utf-8")
            if not any(k.lower() == "content-type" for k in send_headers):
                send_headers["Content-Type"] = "application/json"
        elif isinstance(body, bytes):
            data = body
        else:
            data = _header_text(body).encode("utf-8")

    expected = params.get("expected_status")
    if expected is not None:
        if not isinstance(expected, list) or not expected:
            raise OptionError("expected_status", expected, "a non-empty list of HTTP status codes (100 to 599)")
        for code in expected:
            if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
                raise OptionError("expected_status", code, "HTTP status codes from 100 to 599")
        expected = sorted(set(expected))

    regex = None
    if params.get("body_regex") is not None:
        pattern = params["body_regex"]
        if not isinstance(pattern, str) or not pattern:
            raise OptionError("body_regex", pattern, "a non-empty Python regular expression")
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise OptionError("body_regex", pattern, "a valid Python regular expression (%s)" % exc)

    expectations = []
    json_opt = params.get("json")
    if json_opt is not None:
        if not isinstance(json_opt, dict) or not json_opt:
            raise OptionError("json", json_opt, "a dict of path -> expected value, with %s" % JSON_PATH_SYNTAX)
        for path in sorted(json_opt):
            expectations.append((path, parse_json_path(path), json_opt[path]))
        if method == "HEAD":
            raise OptionError("json", "(with method HEAD)", "json and body_regex need a body: use GET")
    if regex is not None and method == "HEAD":
        raise OptionError("body_regex", "(with method HEAD)", "json and body_regex need a body: use GET")

    for option in ("ca_path", "client_cert", "client_key"):
        path = params.get(option)
        if path is not None and (not isinstance(path, str) or not path):
            raise OptionError(option, path, "a path to a readable PEM file")
    if params.get("client_key") and not params.get("client_cert"):
        raise OptionError("client_key", params["client_key"], "client_key together with client_cert")
    _tls.check_files(params.get("ca_path"), params.get("client_cert"), params.get("client_key"), OptionError)
    if params.get("url_password") is not None and not params.get("url_username"):
        raise OptionError("url_username", params.get("url_username"), "url_username together with url_password")
    username = params.get("url_username")
    if username is not None and (not isinstance(username, str) or ":" in username):
        raise OptionError("url_username", username, "a user name without ':'")

    if requests is not None:
        # requests' own URL and header checks, so a bad option is an option error, not a failed probe
        try:
            requests.Request(method, url, headers=send_headers).prepare()
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader, ValueError) as exc:
            raise OptionError("url", redact_url(url), "%s (%s)" % (URL_ACCEPTED, scrub(str(exc))))

    return Config(
        url=url, shown_url=redact_url(url), method=method, timeout=timeout, retries=retries,
        retry_delay=float(retry_delay), wait_timeout=float(wait_timeout) if wait_timeout else None,
        headers=send_headers, data=data, expected=expected, regex=regex, json=expectations,
        validate_certs=bool(_get(params, "validate_certs")), ca_path=params.get("ca_path"),
        client_cert=params.get("client_cert"), client_key=params.get("client_key"),
        username=username, password=params.get("url_password"),
        follow_redirects=bool(_get(params, "follow_redirects")), scrub=scrub,
    )


# --- retries -----------------------------------------------------------------------------

class BackoffRetry(Retry):
    """urllib3's Retry with a backoff that starts at the first retry.

    urllib3 retries the first time without a pause, then waits factor * 2^(n-1); here retry n
    waits ``retry_delay * 2^(n-1)``: 1 s, 2 s, 4 s... for retry_delay 1, each at most MAX_BACKOFF.
    """

    def get_backoff_time(self):
        consecutive = 0
        for entry in reversed(self.history):
            if entry.redirect_location is not None:
                break
            consecutive += 1
        if consecutive < 1 or not self.backoff_factor:
            return 0.0
        return float(min(MAX_BACKOFF, self.backoff_factor * (2 ** (consecutive - 1))))


def make_retry(cfg):
    """The Retry policy of one probe: connection errors, timeouts, and 429/5xx answers that are not expected."""
    retryable = set(range(500, 600)) | {429}
    if cfg.expected:
        retryable -= set(cfg.expected)
    kwargs = dict(
        total=cfg.retries,
        connect=cfg.retries,
        read=cfg.retries,
        status=cfg.retries,
        redirect=False,  # requests follows redirects itself
        status_forcelist=sorted(retryable),
        backoff_factor=cfg.retry_delay,
        raise_on_status=False,  # after the last retry, judge the last answer
        raise_on_redirect=False,
        # Retry-After could ask for hours; the check must return in bounded time.
        respect_retry_after_header=False,
    )
    try:
        return BackoffRetry(allowed_methods=None, **kwargs)
    except TypeError:  # urllib3 < 1.26
        return BackoffRetry(method_whitelist=False, **kwargs)


# --- errors ------------------------------------------------------------------------------

def _causes(exc):
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


def describe_request_error(exc, timeout):
    """A short reason for a failed request, and whether it was a TLS failure."""
    chain = _causes(exc)
    names = _names(chain)
    text = " ".join(str(e) for e in chain)
    seconds = "%g" % timeout
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "Connection refused" in text:
        return "connection refused", False
    if isinstance(exc, requests.exceptions.ConnectTimeout) or (
            "ConnectTimeoutError" in names and "NewConnectionError" not in names):
        return "timed out after %s s (connecting)" % seconds, False
    if isinstance(exc, requests.exceptions.ReadTimeout) or "ReadTimeoutError" in names or \
            any(isinstance(e, (socket.timeout, TimeoutError)) for e in chain):
        return "timed out after %s s (waiting for the answer)" % seconds, False
    for err in chain:
        if isinstance(err, ssl.SSLError):
            return _tls.describe_ssl_error(err), True
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error: %s" % _shorten(str(chain[-1])), True
    if "NameResolutionError" in names or any(isinstance(e, socket.gaierror) for e in chain):
        return "cannot resolve the host name", False
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return "connection reset by the server", False
    if "RemoteDisconnected" in names or "IncompleteRead" in names:
        return "the server closed the connection without a complete answer", False
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects (more than %d)" % MAX_REDIRECTS, False
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema)):
        return "invalid redirect: %s" % _shorten(str(exc)), False
    for err in reversed(chain):
        if isinstance(err, OSError) and err.strerror:
            return err.strerror[:1].lower() + err.strerror[1:], False
    last = chain[-1]
    return "request failed: %s: %s" % (type(last).__name__, _shorten(str(last))), False


def _shorten(text, limit=200):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- one probe ---------------------------------------------------------------------------

class Probe(object):
    """What one request produced: an answer (code, body...) or an error."""

    def __init__(self):
        self.error = None
        self.tls_error = False
        self.code = None
        self.reason = ""
        self.body = b""
        self.body_bytes = None
        self.content_type = ""
        self.elapsed_ms = None
        self.redirects = 0
        self.retries = 0
        self.final_url = None
        self.cert_der = None
        self.cert_error = None


def _peer_certificate(response):
    """The DER certificate of the connection that carried the final response, if still attached."""
    raw = getattr(response, "raw", None)
    conn = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(conn, "sock", None)
    if sock is None or not hasattr(sock, "getpeercert"):
        return None
    try:
        return sock.getpeercert(binary_form=True)
    except (OSError, ValueError, AttributeError):
        return None


def _separate_certificate(url, cfg):
    """Fall back to a handshake of our own (no verification) to read the certificate of ``url``."""
    parts = urlsplit(url)
    port = parts.port or 443
    try:
        return _tls.fetch_peer_certificate(parts.hostname, port, cfg.timeout, _tls.sni_name(parts.hostname),
                                           cfg.client_cert, cfg.client_key), None
    except (OSError, ValueError, ssl.SSLError) as exc:
        return None, _tls.describe_ssl_error(exc)


def probe(cfg):
    """Send the request once (with its retries); never raises for network trouble."""
    result = Probe()
    started = time.monotonic()
    session = requests.Session()
    session.max_redirects = MAX_REDIRECTS
    adapter = HTTPAdapter(max_retries=make_retry(cfg))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if cfg.validate_certs:
        verify = cfg.ca_path or True
    else:
        verify = False
    cert = None
    if cfg.client_cert:
        cert = (cfg.client_cert, cfg.client_key) if cfg.client_key else cfg.client_cert
    auth = (cfg.username, cfg.password or "") if cfg.username else None
    try:
        try:
            response = session.request(
                cfg.method, cfg.url, headers=cfg.headers, data=cfg.data, auth=auth, timeout=(cfg.timeout, cfg.timeout),
                verify=verify, cert=cert, allow_redirects=cfg.follow_redirects, stream=True)
        except requests.exceptions.RequestException as exc:
            result.error, result.tls_error = describe_request_error(exc, cfg.timeout)
            # requests raises only once urllib3's Retry has given up: every retry was used
            result.retries = 0 if isinstance(exc, requests.exceptions.TooManyRedirects) else cfg.retries
            failed_url = getattr(getattr(exc, "request", None), "url", None) or cfg.url
            result.final_url = failed_url
            if result.tls_error and failed_url.lower().startswith("https://"):
                result.cert_der, result.cert_error = _separate_certificate(failed_url, cfg)
            return result
        except (OSError, ValueError) as exc:
            # TLS files that changed since validate() loaded them, reported from deep inside requests
            result.error = "cannot use the TLS files: %s" % _shorten(str(exc))
            return result
        try:
            result.code = response.status_code
            result.reason = response.reason or ""
            result.redirects = len(response.history)
            result.final_url = response.url
            result.content_type = response.headers.get("Content-Type", "")
            retries = getattr(response.raw, "retries", None)
            result.retries = len(getattr(retries, "history", ()) or ()) if retries is not None else 0
            if response.url.lower().startswith("https://"):
                result.cert_der = _peer_certificate(response)
                if result.cert_der is None:
                    result.cert_der, result.cert_error = _separate_certificate(response.url, cfg)
            deadline = time.monotonic() + cfg.timeout
            kept = []
            kept_size = 0
            size = 0
            try:
                for chunk in response.iter_content(chunk_size=65536):
                    size += len(chunk)
                    if kept_size < MAX_BODY_KEPT:
                        kept.append(chunk[:MAX_BODY_KEPT - kept_size])
                        kept_size += len(kept[-1])
                    if time.monotonic() > deadline:
                        result.error = "timed out after %s s (reading the body)" % ("%g" % cfg.timeout)
                        break
            except requests.exceptions.RequestException as exc:
                reason, _tls_error = describe_request_error(exc, cfg.timeout)
                result.error = "%s (reading the body)" % reason
            result.body = b"".join(kept)
            result.body_bytes = size
            result.elapsed_ms = (time.monotonic() - started) * 1000.0
            return result
        finally:
            response.close()
    finally:
        session.close()


# --- judging -----------------------------------------------------------------------------

def _charset(content_type):
    match = _CHARSET_RE.search(content_type or "")
    if match:
        try:
            return codecs.lookup(match.group(1)).name
        except LookupError:
            pass
    return "utf-8"


def _same(actual, expected):
    """JSON equality where true is not 1 and "5" is not 5, but 5 is 5.0."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and actual == expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return actual == expected
    if isinstance(expected, dict) and isinstance(actual, dict):
        return set(expected) == set(actual) and all(_same(actual[k], expected[k]) for k in expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_same(a, e) for a, e in zip(actual, expected))
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, str) and isinstance(actual, str):
        return expected == actual
    return False


def _json_text(value, limit=60):
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _Missing(Exception):
    pass


def lookup(document, segments):
    """Follow ``segments`` into ``document``; raise _Missing with a reason naming where it stopped."""
    current = document
    walked = []
    for segment in segments:
        here = ".".join(s.replace(".", "\\.") for s in walked) or "the document"
        if isinstance(current, dict):
            if segment not in current:
                keys = sorted(str(k) for k in current)
                shown = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
                raise _Missing("%s has no key %r (keys: %s)" % (here, segment, shown or "none"))
            current = current[segment]
        elif isinstance(current, list):
            try:
                index = int(segment)
            except ValueError:
                raise _Missing("%s is a list of %d items: %r is not an index" % (here, len(current), segment))
            if not -len(current) <= index < len(current):
                plural = "" if len(current) == 1 else "s"
                raise _Missing("%s has %d item%s: no index %d" % (here, len(current), plural, index))
            current = current[index]
        else:
            raise _Missing("%s is %s, not an object or a list" % (here, _json_text(current)))
        walked.append(segment)
    return current


def _expected_text(expected):
    if expected is None:
        return "any 2xx or 3xx"
    return ", ".join(str(c) for c in expected)


def judge_probe(cfg, result, compiled):
    """(status, metrics, summary, problems) for one probe."""
    metrics = {"status_code": None, "response_time_ms": None, "body_bytes": None, "cert_days_left": None}
    cert_details = None
    if result.cert_der:
        left, cert_details = _tls.certificate_info(result.cert_der)
        metrics["cert_days_left"] = left
    if result.code is None:
        status, breaches = evaluate(metrics, compiled, METRICS)
        problems = [describe_breaches(breaches)] if breaches else []
        return worst([CRITICAL, status]), metrics, result.error, problems, cert_details
    metrics["status_code"] = result.code
    metrics["response_time_ms"] = round(result.elapsed_ms, 3) if result.elapsed_ms is not None else None
    metrics["body_bytes"] = result.body_bytes
    problems = []
    if result.error:
        problems.append("critical: %s" % result.error)
    if cfg.expected is None:
        status_ok = 200 <= result.code <= 399
    else:
        status_ok = result.code in cfg.expected
    if not status_ok:
        problems.append("critical: status %d, expected %s" % (result.code, _expected_text(cfg.expected)))
    if cfg.regex is not None and not result.error:
        text = result.body.decode(_charset(result.content_type), "replace")
        if not cfg.regex.search(text):
            problems.append("critical: body does not match '%s'" % cfg.regex.pattern)
    if cfg.json and not result.error:
        try:
            document = json.loads(result.body.decode(_charset(result.content_type), "replace"))
        except ValueError as exc:
            problems.append("critical: body is not JSON (%s)" % _shorten(str(exc), 80))
        else:
            for path, segments, expected in cfg.json:
                try:
                    actual = lookup(document, segments)
                except _Missing as exc:
                    problems.append("critical: json path %s not found: %s" % (path, exc))
                    continue
                if not _same(actual, expected):
                    problems.append("critical: json %s is %s, expected %s"
                                    % (path, _json_text(actual), _json_text(expected)))
    status, breaches = evaluate(metrics, compiled, METRICS)
    if breaches:
        problems.append(describe_breaches(breaches))
    overall = worst([status] + [CRITICAL for p in problems if p.startswith("critical:")])
    headline = "HTTP %d%s in %s, %s" % (
        result.code, (" " + result.reason) if result.reason else "",
        format_quantity(result.elapsed_ms, MILLISECONDS), format_quantity(result.body_bytes, BYTES))
    if metrics["cert_days_left"] is not None:
        headline += ", " + _tls.expiry_phrase(metrics["cert_days_left"])
    if result.redirects:
        headline += ", after %d redirect%s" % (result.redirects, "" if result.redirects == 1 else "s")
    return overall, metrics, headline, problems, cert_details


def run(params, compiled, name=KIND):
    cfg = validate(params)
    scrub = cfg.scrub
    started = time.monotonic()
    deadline = started + cfg.wait_timeout if cfg.wait_timeout else None
    probes = 0
    while True:
        probes += 1
        result = probe(cfg)
        status, metrics, headline, problems, cert_details = judge_probe(cfg, result, compiled)
        now = time.monotonic()
        if status == OK or deadline is None or now >= deadline:
            break
        time.sleep(max(MIN_PROBE_INTERVAL, min(cfg.retry_delay or MIN_PROBE_INTERVAL, deadline - now)))
    elapsed = time.monotonic() - started
    subject = cfg.shown_url if cfg.method == "GET" else "%s %s" % (cfg.method, cfg.shown_url)
    notes = []
    if result.retries:
        notes.append("after %d retr%s" % (result.retries, "y" if result.retries == 1 else "ies"))
    if probes > 1:
        verb = "healthy after" if status == OK else "still failing after"
        notes.append("%s %d probes in %s" % (verb, probes, format_quantity(elapsed, SECONDS)))
    if result.code is None and metrics["cert_days_left"] is not None:
        notes.append(_tls.expiry_phrase(metrics["cert_days_left"]))
    summary = "%s: %s" % (subject, headline)
    if notes:
        summary += ", " + ", ".join(notes)
    if problems:
        summary += " (%s)" % "; ".join(problems)
    extra = dict(
        url=cfg.shown_url,
        method=cfg.method,
        final_url=redact_url(result.final_url) if result.final_url else None,
        redirects=result.redirects,
        retries=result.retries,
        probes=probes,
    )
    if cert_details is not None:
        cert_details["verified"] = cfg.validate_certs
        extra["certificate"] = cert_details
    elif result.cert_error:
        extra["certificate"] = {"error": result.cert_error}
    result_name = "%s:%s" % (name, cfg.shown_url) if name == KIND else name
    return [make_result(scrub(result_name), KIND, status, scrub(summary), metrics, thresholds_as_text(compiled),
                        elapsed * 1000.0, **scrub.deep(extra))]
