# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""TLS helpers shared by the ``http`` and ``port`` check kinds: client contexts, handshakes, and
the expiry of the certificate a server presents.

``SSLSocket.getpeercert()`` returns the parsed certificate only when it was verified; the
binary (DER) form is there whatever the verification mode. So expiry is read from the DER
bytes with the small reader below, and ``cert_days_left`` works with ``validate_certs: false``
too, without the ``cryptography`` package on the target.

Standard library only (ssl, socket), no Ansible imports, no global state.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import socket
import ssl

from ansible_collections.sre.health.plugins.module_utils._units import DAYS, format_quantity

# Certificate metrics every TLS-capable kind shares: alert two weeks ahead, critical one week ahead.
DEFAULT_CERT_THRESHOLDS = {"warning": "14:", "critical": "7:"}

_UTC = datetime.timezone.utc

# Attribute OIDs (DER-encoded content) shown in subject and issuer strings.
_NAME_ATTRIBUTES = {
    bytes((0x55, 0x04, 0x03)): "CN",
    bytes((0x55, 0x04, 0x06)): "C",
    bytes((0x55, 0x04, 0x07)): "L",
    bytes((0x55, 0x04, 0x08)): "ST",
    bytes((0x55, 0x04, 0x0A)): "O",
    bytes((0x55, 0x04, 0x0B)): "OU",
}

# ASN.1 string types in names, and how to decode them.
_STRING_TAGS = {
    0x0C: "utf-8",       # UTF8String
    0x13: "latin-1",     # PrintableString
    0x14: "latin-1",     # TeletexString (T61), read as Latin-1 as OpenSSL does
    0x16: "latin-1",     # IA5String
    0x1C: "utf-32-be",   # UniversalString
    0x1E: "utf-16-be",   # BMPString
}

_SEQUENCE = 0x30
_SET = 0x31
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18


class CertificateError(ValueError):
    """DER bytes that are not an X.509 certificate this reader understands."""


def _read_tlv(data, pos, end=None):
    """One DER element at ``pos``: (tag, content start, content end)."""
    if end is None:
        end = len(data)
    if pos + 2 > end:
        raise CertificateError("truncated DER element at offset %d" % pos)
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise CertificateError("unsupported DER length at offset %d" % (pos - 1))
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise CertificateError("DER element at offset %d runs past its container" % pos)
    return tag, pos, pos + length


def _children(data, start, end):
    """The DER elements inside a constructed element's content."""
    items = []
    pos = start
    while pos < end:
        tag, cstart, cend = _read_tlv(data, pos, end)
        items.append((tag, cstart, cend))
        pos = cend
    return items


def _parse_time(tag, raw):
    text = raw.decode("ascii", "replace")
    if not text.endswith("Z"):
        raise CertificateError("certificate time %r is not in UTC" % text)
    try:
        if tag == _UTC_TIME:
            # RFC 5280: two-digit years 50-99 are 19xx, 00-49 are 20xx.
            value = datetime.datetime.strptime(text[:-1], "%y%m%d%H%M%S")
            century = 1900 if value.year % 100 >= 50 else 2000
            value = value.replace(year=century + value.year % 100)
        elif tag == _GENERALIZED_TIME:
            value = datetime.datetime.strptime(text[:-1].split(".", 1)[0], "%Y%m%d%H%M%S")
        else:
            raise CertificateError("unexpected ASN.1 tag 0x%02x for a certificate time" % tag)
    except ValueError as exc:
        raise CertificateError("certificate time %r: %s" % (text, exc))
    return value.replace(tzinfo=_UTC)


def _parse_name(data, start, end):
    """An X.509 Name as ``CN=example.org, O=Example`` (known attributes only, in DER order)."""
    parts = []
    for set_tag, set_start, set_end in _children(data, start, end):
        if set_tag != _SET:
            continue
        for seq_tag, seq_start, seq_end in _children(data, set_start, set_end):
            if seq_tag != _SEQUENCE:
                continue
            pair = _children(data, seq_start, seq_end)
            if len(pair) != 2:
                continue
            (oid_tag, oid_start, oid_end), (value_tag, value_start, value_end) = pair
            label = _NAME_ATTRIBUTES.get(bytes(data[oid_start:oid_end])) if oid_tag == 0x06 else None
            encoding = _STRING_TAGS.get(value_tag)
            if label and encoding:
                parts.append("%s=%s" % (label, bytes(data[value_start:value_end]).decode(encoding, "replace")))
    return ", ".join(parts)


def parse_certificate(der):
    """Read ``not_before``, ``not_after`` (aware UTC datetimes), ``subject`` and ``issuer`` from DER bytes."""
    if not der:
        raise CertificateError("no certificate")
    data = memoryview(bytes(der))
    tag, start, end = _read_tlv(data, 0)
    if tag != _SEQUENCE:
        raise CertificateError("not a DER certificate (outer tag 0x%02x)" % tag)
    tag, start, end = _read_tlv(data, start, end)
    if tag != _SEQUENCE:
        raise CertificateError("not a DER certificate (tbsCertificate tag 0x%02x)" % tag)
    fields = _children(data, start, end)
    if fields and fields[0][0] == 0xA0:  # explicit [0] version
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, ...
    if len(fields) < 5 or fields[2][0] != _SEQUENCE or fields[3][0] != _SEQUENCE:
        raise CertificateError("not an X.509 certificate (unexpected tbsCertificate layout)")
    validity = _children(data, fields[3][1], fields[3][2])
    if len(validity) != 2:
        raise CertificateError("certificate validity has %d fields, expected 2" % len(validity))
    times = [_parse_time(t, bytes(data[s:e])) for t, s, e in validity]
    return {
        "not_before": times[0],
        "not_after": times[1],
        "issuer": _parse_name(data, fields[2][1], fields[2][2]),
        "subject": _parse_name(data, fields[4][1], fields[4][2]),
    }


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
