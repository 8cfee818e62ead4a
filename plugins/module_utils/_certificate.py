# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``certificate`` check kind: certificates on disk - their expiry, that the private key
matches, and that the server meant to use them really serves them.

One result per certificate file (``path`` takes files and globs, PEM or DER, single
certificates, bundles and chains). The leaf is the file's first certificate, as in
``fullchain.pem``.

- ``cert_days_left`` is the leaf's days until expiry; with ``chain: true`` every certificate of
  the file is judged and ``cert_days_left`` is the earliest expiry of them all (the one that
  breaks the chain first), while ``certificates`` in the result lists each one with its own
  ``days_left``. Defaults as the endpoint checks: warning ``14:``, critical ``7:``.
- A missing file, an empty one, a malformed one, or one holding no certificate is critical
  (the service using it will not start); a certificate not yet valid is critical; one that
  cannot be read (permission denied) is unknown.
- ``key_path``: the private key's public key must be the leaf's (critical when not). The key
  is loaded in this process only to compute its public key: nothing of it reaches the result.
  An encrypted key without ``key_passphrase`` (or with a wrong one) is unknown.
- ``served_by``: one TLS handshake with ``host:port`` (no verification: the point is to compare),
  whose leaf must be the one on disk, compared by SHA-256 fingerprint. A different one is
  critical, with both fingerprints and expiry dates; a connection that fails is critical.

Needs the cryptography library (``_tls``); runs in a child process killed at the check's
deadline (it parses files and talks to a peer).
"""

from __future__ import annotations

import datetime
import os
import stat
import time

from ansible_collections.sre.health.plugins.module_utils import _tls
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._file import Scan, expand, is_glob, os_reason
from ansible_collections.sre.health.plugins.module_utils._filetype import NONBLOCKING_READ, type_word
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._port import check_host, endpoint
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    UNKNOWN,
    check_timeout,
    describe_breaches,
    evaluate,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import DAYS

KIND = "certificate"

METRICS = {
    "cert_days_left": DAYS,
}

DEFAULT_THRESHOLDS = {
    "cert_days_left": dict(_tls.DEFAULT_CERT_THRESHOLDS),
}

DEFAULT_TIMEOUT = 5.0
# A certificate file, even a system CA bundle, is well below this; more is not a certificate file.
MAX_FILE_BYTES = 4 * 1024 * 1024
# Globs are expanded with the file kind's bounded scan.
MAX_ENTRIES = 10000

OPTIONS = dict(
    path=dict(type="list", elements="str", required=True),
    chain=dict(type="bool", default=False),
    key_path=dict(type="path"),
    key_passphrase=dict(type="str", no_log=True),
    served_by=dict(type="str"),
    server_name=dict(type="str"),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
)

CONSTRAINTS = dict(required_by=dict(key_passphrase=["key_path"], server_name=["served_by"]))

REQUIRES = {"cryptography": _tls.available}

# Parses files and talks to a peer: a child process killed at the deadline (see _kind).
ISOLATED = True

SERVED_BY_ACCEPTED = "host:port, such as 127.0.0.1:443, www.example.com:8443 or [::1]:443"
_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
_PEM_END = b"-----END CERTIFICATE-----"


def _crypto():
    """``(x509, hashes, serialization)`` from cryptography (imported when a check runs)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    return x509, hashes, serialization


def parse_served_by(value):
    """``(host, port)`` from ``host:port`` or ``[v6]:port``."""
    if not isinstance(value, str) or ":" not in value:
        raise OptionError("served_by", value, SERVED_BY_ACCEPTED)
    text = value.strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
        if ":" in host:
            raise OptionError("served_by", value, SERVED_BY_ACCEPTED + " (an IPv6 address goes in brackets)")
    if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise OptionError("served_by", value, SERVED_BY_ACCEPTED)
    try:
        return check_host(host), int(port)
    except OptionError:
        raise OptionError("served_by", value, SERVED_BY_ACCEPTED)


def _is_sni_name(value):
    """A DNS name to send as SNI: a non-empty string without whitespace."""
    return isinstance(value, str) and value != "" and not any(c.isspace() for c in value)


def validate(params):
    paths = params.get("path") or []
    if not paths:
        raise OptionError("path", paths, "one or more absolute paths or globs of certificate files")
    for item in paths:
        if not isinstance(item, str) or not item.startswith("/"):
            raise OptionError("path", item, "absolute paths or globs starting with /")
    key_path = params.get("key_path")
    if key_path is not None and (not isinstance(key_path, str) or not key_path.startswith("/")):
        raise OptionError("key_path", key_path, "the absolute path of a PEM or DER private key")
    served = parse_served_by(params["served_by"]) if params.get("served_by") is not None else None
    server_name = params.get("server_name")
    if server_name is not None and not _is_sni_name(server_name):
        raise OptionError("server_name", server_name, "a DNS name to send as SNI")
    timeout = check_timeout("timeout", params.get("timeout", DEFAULT_TIMEOUT), allow_none=False)
    passphrase = params.get("key_passphrase")
    _tls.preload()  # import cryptography before any fork
    return Config(paths=list(paths), chain=bool(params.get("chain")), key_path=key_path, passphrase=passphrase,
                  served=served, server_name=server_name, timeout=timeout,
                  secrets=(passphrase,) if passphrase else ())


# --- reading ----------------------------------------------------------------------------------

class Problem(SreHealthError):
    """Why a file cannot be judged: ``level`` (critical or unknown) and the text for the summary.

    Caught within the run and turned into that file's result."""

    def __init__(self, level, text):
        super(Problem, self).__init__(text)
        self.level = level
        self.text = text


def _regular(path, mode, what):
    """Problem (critical) when ``mode`` is not a regular file's: the service could not use it either."""
    if stat.S_ISREG(mode):
        return
    raise Problem(CRITICAL, "%s is %s, not a %s file" % (path, type_word(mode), what))


def _read(path, what):
    """The bytes of ``path``; Problem when it is missing, unreadable, empty, too large or not a regular file.

    A FIFO without a writer blocks open() for ever (and the check with it, until its deadline, with
    every other certificate unreported), and opening a device can act (a watchdog arms, a tape
    rewinds): what stat() says is not a regular file is refused without being opened. Opening with
    O_NONBLOCK and checking again with fstat() closes the race with a file replaced in between.
    """
    try:
        _regular(path, os.stat(path).st_mode, what)
        fd = os.open(path, NONBLOCKING_READ)
    except FileNotFoundError:
        raise Problem(CRITICAL, "%s does not exist" % path)
    except OSError as exc:
        raise Problem(UNKNOWN, "cannot read %s: %s" % (path, os_reason(exc)))
    try:
        with os.fdopen(fd, "rb") as handle:
            fd = None
            _regular(path, os.fstat(handle.fileno()).st_mode, what)
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise Problem(UNKNOWN, "cannot read %s: %s" % (path, os_reason(exc)))
    finally:
        if fd is not None:
            os.close(fd)
    if not data.strip():
        raise Problem(CRITICAL, "%s is empty" % path)
    if len(data) > MAX_FILE_BYTES:
        raise Problem(CRITICAL, "%s is larger than %d MiB: not a %s file" % (path, MAX_FILE_BYTES // 1048576, what))
    return data


def pem_blocks(data):
    """Each ``CERTIFICATE`` block of PEM ``data``, in order (what cryptography 39 and later's
    ``load_pem_x509_certificates`` does; Debian 12 and RHEL 9 ship older ones). Linear: a block
    without its end line ends the search."""
    blocks = []
    start = data.find(_PEM_BEGIN)
    while start != -1:
        end = data.find(_PEM_END, start)
        if end == -1:
            raise ValueError("a certificate block has no %s line" % _PEM_END.decode("ascii"))
        blocks.append(data[start:end + len(_PEM_END)] + b"\n")
        start = data.find(_PEM_BEGIN, end)
    return blocks


def load_certificates(path):
    """``(format, [x509.Certificate, ...])`` of a PEM (one or more certificates) or DER file."""
    x509 = _crypto()[0]
    data = _read(path, "certificate")
    if b"-----BEGIN" in data:
        if b"-----BEGIN CERTIFICATE-----" not in data:
            labels = sorted(set(part.split(b"-----", 1)[0].decode("ascii", "replace")
                                for part in data.split(b"-----BEGIN ")[1:]))
            raise Problem(CRITICAL, "%s holds no certificate (found PEM %s)" % (path, ", ".join(labels)))
        try:
            return "PEM", [x509.load_pem_x509_certificate(block) for block in pem_blocks(data)]
        except ValueError as exc:
            raise Problem(CRITICAL, "%s is not a valid PEM certificate file: %s" % (path, exc))
    try:
        return "DER", [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise Problem(CRITICAL, "%s is neither a PEM nor a DER certificate: %s" % (path, exc))


def fingerprint(cert):
    """The SHA-256 fingerprint as OpenSSL shows it: ``AB:CD:...``."""
    digest = cert.fingerprint(_crypto()[1].SHA256()).hex().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def _sans(cert):
    x509 = _crypto()[0]
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    except ValueError as exc:  # a malformed extension: show it rather than fail the file
        return ["(unreadable: %s)" % exc]
    return [str(n) for n in names.get_values_for_type(x509.DNSName) + names.get_values_for_type(x509.IPAddress)]


def describe(cert, now):
    """What a result shows of ``cert``: days_left, subject, issuer, SANs, serial, dates, fingerprint."""
    der = cert.public_bytes(_crypto()[2].Encoding.DER)
    left, details = _tls.certificate_info(der, now)
    details.update(days_left=left, sans=_sans(cert), serial="%X" % cert.serial_number,
                   fingerprint_sha256=fingerprint(cert))
    return details


def load_public_key(path, passphrase):
    """The DER SubjectPublicKeyInfo of the private key in ``path`` (nothing else of it is kept)."""
    from cryptography.exceptions import UnsupportedAlgorithm

    serialization = _crypto()[2]
    try:
        data = _read(path, "private key")
    except Problem as exc:
        raise Problem(exc.level, "key_path: %s" % exc.text)
    loader = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        key = loader(data, password=password)
    except TypeError:
        if password is None:
            raise Problem(UNKNOWN, "key_path %s is encrypted: give key_passphrase to compare it" % path)
        raise Problem(UNKNOWN, "key_path %s is not encrypted: remove key_passphrase" % path)
    except ValueError:
        # cryptography's messages do not show the key, but a wrong passphrase and a malformed key
        # read the same: say both.
        raise Problem(CRITICAL if password is None else UNKNOWN,
                      "key_path %s is not a private key%s" % (
                          path, "" if password is None else ", or key_passphrase does not decrypt it"))
    except UnsupportedAlgorithm as exc:
        raise Problem(UNKNOWN, "key_path %s cannot be loaded: %s" % (path, exc))
    return _spki(key.public_key())


def _spki(public_key):
    serialization = _crypto()[2]
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def fetch_served(cfg):
    """The leaf ``served_by`` presents, as an x509.Certificate; Problem (critical) when it cannot be had."""
    host, port = cfg.served
    where = endpoint(host, port)
    try:
        der = _tls.fetch_peer_certificate(host, port, cfg.timeout, cfg.server_name)
    except (OSError, ValueError) as exc:
        reason = "timed out after %g s" % cfg.timeout if "timed out" in str(exc) else _tls.describe_ssl_error(exc)
        raise Problem(CRITICAL, "cannot get the certificate %s serves: %s" % (where, reason))
    if not der:
        raise Problem(CRITICAL, "%s presented no certificate" % where)
    try:
        return _crypto()[0].load_der_x509_certificate(der)
    except ValueError as exc:
        raise Problem(CRITICAL, "%s presented a certificate that cannot be read: %s" % (where, exc))


# --- judging ------------------------------------------------------------------------------------

def _served_problem(cfg, served, disk, now):
    """The problem when ``served`` (a certificate, or a Problem) is not the ``leaf`` on disk; else None."""
    if isinstance(served, Problem):
        return served.level, served.text
    if fingerprint(served) == disk["fingerprint_sha256"]:
        return None
    other = describe(served, now)
    where = endpoint(*cfg.served)
    if other["not_after"] < disk["not_after"]:
        text = "the certificate on disk was renewed but %s still serves the old one" % where
    else:
        text = "%s serves another certificate than the one on disk" % where
    return CRITICAL, "%s (on disk %s, expires %s; served %s, expires %s)" % (
        text, disk["fingerprint_sha256"], disk["not_after"], other["fingerprint_sha256"], other["not_after"])


def _judged(cfg, certs, now):
    """``(cert_days_left, details of each judged certificate, problems)`` for the certificates of a file."""
    judged = certs if cfg.chain else certs[:1]
    details = [describe(cert, now) for cert in judged]
    problems = []
    now_text = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for index, cert in enumerate(details):
        if cert["not_before"] > now_text:
            which = "the certificate" if index == 0 else "chain certificate %d (%s)" % (index + 1, cert["subject"])
            problems.append((CRITICAL, "%s is not valid yet: not before %s" % (which, cert["not_before"])))
    return min(d["days_left"] for d in details), details, problems


def _headline(cfg, path, certs, details):
    leaf = details[0]
    what = leaf["subject"] or "(no subject)"
    headline = "%s: %s, %s (%s)" % (path, what, _tls.expiry_phrase(leaf["days_left"]), leaf["not_after"])
    if cfg.chain and len(details) > 1:
        first = min(details, key=lambda d: d["days_left"])
        headline += "; chain of %d, earliest %s" % (len(details), "the leaf" if first is leaf else "%s, %s" % (
            first["subject"], _tls.expiry_phrase(first["days_left"]).replace("certificate ", "")))
    elif len(certs) > 1:
        headline += " (+%d more in the file)" % (len(certs) - 1)
    return headline


def judge_file(cfg, path, key, served, compiled, now):
    """``(status, summary, metrics, extra)`` of one certificate file."""
    fmt, certs = load_certificates(path)
    left, details, problems = _judged(cfg, certs, now)
    leaf = details[0]
    extra = dict(path=path, format=fmt, chain_length=len(certs))
    extra.update((k, leaf[k]) for k in ("subject", "issuer", "sans", "serial", "not_before", "not_after",
                                        "fingerprint_sha256"))
    if cfg.chain:
        extra["certificates"] = details
    headline = _headline(cfg, path, certs, details)
    if cfg.key_path is not None:
        extra.update(key_path=cfg.key_path, key_matches=None)
        if isinstance(key, Problem):
            problems.append((key.level, key.text))
        else:
            extra["key_matches"] = key == _spki(certs[0].public_key())
            headline += "; key matches" if extra["key_matches"] else ""
            if not extra["key_matches"]:
                problems.append((CRITICAL, "the private key %s does not match the certificate" % cfg.key_path))
    if cfg.served is not None:
        extra.update(served_by=endpoint(*cfg.served), served=_served_details(served, now))
        problem = _served_problem(cfg, served, leaf, now)
        headline += "" if problem else "; %s serves it" % endpoint(*cfg.served)
        problems += [problem] if problem else []
    metrics = {"cert_days_left": left}
    status, breaches = evaluate(metrics, compiled, METRICS)
    texts = ["%s: %s" % p for p in problems] + ([describe_breaches(breaches, "cert_days_left")] if breaches else [])
    summary = headline + (" (%s)" % "; ".join(texts) if texts else "")
    return worst([status] + [level for level, _t in problems]), summary, metrics, extra


def _served_details(served, now):
    if isinstance(served, Problem) or served is None:
        return None
    details = describe(served, now)
    return dict((k, details[k]) for k in ("subject", "issuer", "serial", "not_after", "days_left",
                                          "fingerprint_sha256"))


def _files(cfg):
    """``[(path, None)]`` for every certificate file, ``(pattern, Problem)`` for what matched nothing."""
    found = []
    for pattern in cfg.paths:
        if not is_glob(pattern):
            found.append((pattern, None))
            continue
        scan = Scan(MAX_ENTRIES, True, None)
        paths = [p for p in expand(scan, pattern) if not os.path.isdir(p)]
        found.extend((p, None) for p in paths)
        for where, reason in scan.errors:
            found.append((pattern, Problem(UNKNOWN, "cannot read %s: %s" % (where, reason))))
        if not paths and not scan.errors:
            found.append((pattern, Problem(CRITICAL, "no certificate file matches %s" % pattern)))
    return found


def _prerequisites(cfg):
    """The key's public key and the served certificate, each fetched once (or their Problem)."""
    key = served = None
    if cfg.key_path is not None:
        try:
            key = load_public_key(cfg.key_path, cfg.passphrase)
        except Problem as exc:
            key = exc
    if cfg.served is not None:
        try:
            served = fetch_served(cfg)
        except Problem as exc:
            served = exc
    return key, served


def run(config, compiled, name=KIND):
    started = time.monotonic()
    now = datetime.datetime.now(datetime.timezone.utc)
    key, served = _prerequisites(config)
    files = _files(config)
    thresholds = thresholds_as_text(compiled)
    several = len(files) > 1 or any(is_glob(p) for p in config.paths)
    results = []
    for path, problem in files:
        extra = dict(path=path)
        metrics = {"cert_days_left": None}
        try:
            if problem is not None:
                raise problem
            status, summary, metrics, extra = judge_file(config, path, key, served, compiled, now)
        except Problem as exc:
            status, summary = exc.level, exc.text
        result_name = "%s:%s" % (name, path) if several or name == KIND else name
        results.append(make_result(result_name, KIND, status, summary, metrics, thresholds,
                                   (time.monotonic() - started) * 1000.0, **extra))
    return results
