# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""TLS helpers shared by the ``http`` and ``port`` check kinds and the HTTP client: client
contexts, handshakes, client files, and the expiry of the certificate a server presents.

``SSLSocket.getpeercert()`` returns the parsed certificate only when it was verified; the
binary (DER) form is there whatever the verification mode. The DER bytes are read with the
``cryptography`` library (``x509.load_der_x509_certificate``), so ``cert_days_left`` works with
``validate_certs: false`` too.

Without cryptography on the target (decided for issue 13): ``cryptography`` is NOT a requirement
of the http and port kinds. A plain ``http://`` URL or a port check without ``tls`` never reads
a certificate and runs as before. A check that does read one (an ``https://`` URL, or ``tls:
true``) still runs and judges everything else; its ``cert_days_left`` is ``null`` and, when
``cert_days_left`` has thresholds (it has by default), the result is ``unknown`` with the
missing-library wording of ``_kind.PACKAGES["cryptography"]``: a certificate nobody can measure
must not pass silently, and a host without the library must not lose every other HTTP check.
Setting ``cert_days_left: {warning: "", critical: ""}`` opts out of the expiry check there.
(Why not a hard requirement: most targets run plain-HTTP health endpoints, and the http kind
needed only requests until now; why not a fallback reader: keeping a hand-written DER parser
is what the issue asked to remove.)

Standard library plus the optional cryptography library; no global state.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import socket
import ssl

from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import PACKAGES
from ansible_collections.sre.health.plugins.module_utils._units import DAYS, format_quantity

# cryptography is imported on first use, not with this module: its import costs 0.1 to 0.4 s of
# CPU, which every health_check run would pay, https or not. Kinds that will read a certificate
# call preload() while validating, in the module process, so forked checks find it imported.
_CRYPTO = []


def _x509():
    """``(x509, NameOID)`` from cryptography, or ``(None, None)`` when it is not installed."""
    if not _CRYPTO:
        try:
            from cryptography import x509
            from cryptography.x509.oid import NameOID
            _CRYPTO.append((x509, NameOID))
        except ImportError:
            _CRYPTO.append((None, None))
    return _CRYPTO[0]


def preload():
    """Import cryptography now (a check will read a certificate); harmless when it is missing."""
    _x509()


# Certificate metrics every TLS-capable kind shares: alert two weeks ahead, critical one week ahead.
DEFAULT_CERT_THRESHOLDS = {"warning": "14:", "critical": "7:"}

_UTC = datetime.timezone.utc

# Attributes shown in subject and issuer strings, in the certificate's order.
_NAME_ATTRIBUTES = (
    ("COMMON_NAME", "CN"),
    ("COUNTRY_NAME", "C"),
    ("LOCALITY_NAME", "L"),
    ("STATE_OR_PROVINCE_NAME", "ST"),
    ("ORGANIZATION_NAME", "O"),
    ("ORGANIZATIONAL_UNIT_NAME", "OU"),
)


class CertificateError(SreHealthError):
    """DER bytes that are not an X.509 certificate (or no library to read them)."""


def available():
    """Whether certificates can be read here (the cryptography library is importable)."""
    return _x509()[0] is not None


def missing_library():
    """The missing-library text for results, or None when cryptography is there."""
    if available():
        return None
    return "cannot read the certificate: missing Python library %s" % PACKAGES["cryptography"]


def _name_text(name):
    """An X.509 Name as ``CN=example.org, O=Example`` (known attributes only, in DER order)."""
    name_oid = _x509()[1]
    labels = dict((getattr(name_oid, oid), label) for oid, label in _NAME_ATTRIBUTES)
    return ", ".join("%s=%s" % (labels[attr.oid], attr.value) for attr in name if attr.oid in labels)


def _utc(cert, field):
    value = getattr(cert, field + "_utc", None)  # cryptography 42 and later
    if value is None:
        value = getattr(cert, field).replace(tzinfo=_UTC)
    return value


def parse_certificate(der):
    """Read ``not_before``, ``not_after`` (aware UTC datetimes), ``subject`` and ``issuer`` from DER bytes."""
    x509 = _x509()[0]
    if x509 is None:
        raise CertificateError(missing_library())
    if not der:
        raise CertificateError("no certificate")
    try:
        cert = x509.load_der_x509_certificate(bytes(der))
        return {
            "not_before": _utc(cert, "not_valid_before"),
            "not_after": _utc(cert, "not_valid_after"),
            "issuer": _name_text(cert.issuer),
            "subject": _name_text(cert.subject),
        }
    except (ValueError, TypeError) as exc:
        raise CertificateError("not an X.509 certificate: %s" % exc)


def cert_problems(cert_der, compiled):
    """The result problems of a certificate that was received but cannot be read for want of the
    library: ``["unknown: ..."]`` when ``cert_days_left`` is judged, else none."""
    if not cert_der or available() or not compiled.get("cert_days_left"):
        return []
    return ["unknown: cert_days_left: %s" % missing_library()]


def days_left(not_after, now=None):
    """Days (fractional) from ``now`` until ``not_after``; negative once expired."""
    if now is None:
        now = datetime.datetime.now(_UTC)
    return (not_after - now).total_seconds() / 86400.0


def certificate_info(der, now=None):
    """``(cert_days_left, details)`` for the result, or ``(None, {"error": ...})`` if unreadable."""
    try:
        cert = parse_certificate(der)
    except CertificateError as exc:
        return None, {"error": str(exc)}
    left = round(days_left(cert["not_after"], now), 2)
    details = {
        "subject": cert["subject"],
        "issuer": cert["issuer"],
        "not_before": cert["not_before"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": cert["not_after"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return left, details


def expiry_phrase(days):
    """``certificate expires in 3 d`` or ``certificate expired 2 d ago``, for summaries."""
    if days < 0:
        return "certificate expired %s ago" % format_quantity(-days, DAYS)
    return "certificate expires in %s" % format_quantity(days, DAYS)


def client_context(validate_certs=True, ca_path=None, client_cert=None, client_key=None, check_hostname=True):
    """An SSLContext for a client: verifying (system CAs or ``ca_path``) or not, with an optional client certificate.

    ``ca_path`` is a PEM bundle file or an OpenSSL hashed directory (c_rehash).
    """
    if validate_certs:
        if ca_path and _is_dir(ca_path):
            context = ssl.create_default_context(capath=ca_path)
        elif ca_path:
            context = ssl.create_default_context(cafile=ca_path)
        else:
            context = ssl.create_default_context()
        context.check_hostname = bool(check_hostname)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_cert:
        context.load_cert_chain(client_cert, client_key or None)
    return context


def _is_dir(path):
    return os.path.isdir(path)


def check_files(ca_path=None, client_cert=None, client_key=None, error=ValueError):
    """Load the CA bundle and client certificate once, so that a missing or unreadable file is an option error.

    Raises ``error(option, value, accepted)`` (the kind's OptionError) naming the file option at fault.
    """
    if ca_path is not None:
        if not os.path.exists(ca_path):
            raise error("ca_path", ca_path, "an existing PEM file of CA certificates or a hashed directory "
                                            "(no such file or directory)")
        try:
            client_context(True, ca_path)
        except (OSError, ValueError) as exc:
            raise error("ca_path", ca_path, "a readable PEM file of CA certificates or a hashed directory (%s)"
                        % describe_ssl_error(exc, prefix=""))
    for option, path in (("client_cert", client_cert), ("client_key", client_key)):
        if path is not None and not os.path.isfile(path):
            raise error(option, path, "an existing PEM file (no such file)")
    if client_cert is not None:
        try:
            client_context(False, client_cert=client_cert, client_key=client_key)
        except (OSError, ValueError) as exc:
            option = "client_key" if client_key else "client_cert"
            raise error(option, client_key or client_cert,
                        "a PEM certificate and its unencrypted private key, matching each other (%s)"
                        % describe_ssl_error(exc, prefix=""))


def handshake(sock, context, server_hostname, timeout):
    """Wrap a connected socket and complete the TLS handshake within ``timeout`` seconds."""
    sock.settimeout(timeout)
    tls = context.wrap_socket(sock, server_hostname=server_hostname or None, do_handshake_on_connect=False)
    try:
        tls.do_handshake()
    except BaseException:
        tls.close()
        raise
    return tls


def sni_name(host):
    """The name to send as SNI and to verify: None for IP literals (they are not sent as SNI)."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        return None
    except ValueError:
        return host


def fetch_peer_certificate(host, port, timeout, server_hostname=None, client_cert=None, client_key=None):
    """DER certificate of ``host:port`` through a non-verifying handshake (to measure it even when invalid)."""
    context = client_context(validate_certs=False, client_cert=client_cert, client_key=client_key)
    sock = socket.create_connection((host.strip("[]"), port), timeout=timeout)
    try:
        tls = handshake(sock, context, server_hostname if server_hostname is not None else sni_name(host), timeout)
    except BaseException:
        sock.close()
        raise
    try:
        return tls.getpeercert(binary_form=True)
    finally:
        tls.close()


def _ssl_text(exc):
    """The message of an SSLError without OpenSSL's ``[SSL: CODE]`` prefix and ``(_ssl.c:123)`` suffix."""
    text = exc.strerror or str(exc)
    text = re.sub(r"^\[[A-Z0-9_: ]+\]\s*", "", text)
    return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", text)


def describe_ssl_error(exc, prefix="TLS error: "):
    """A short reason for a TLS failure: ``certificate verify failed: certificate has expired``."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or exc.reason or _ssl_text(exc)
        return "certificate verify failed: %s" % detail
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or ""
        if reason:
            return prefix + reason.replace("_", " ").lower()
        return prefix + _ssl_text(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return "%s: %s" % (type(exc).__name__, exc)
