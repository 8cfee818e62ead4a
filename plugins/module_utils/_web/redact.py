# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What of a request is a secret, and hiding it: one rule set for URLs, headers and texts.

- A header whose name looks like a credential (``Authorization``, ``Cookie``, ``X-Api-Key``,
  ``X-Auth-Token``...) has a secret value; so has its part after a scheme (``Bearer abc``: ``abc``).
- A query parameter whose name looks like a credential (``token``, ``api_key``, ``sig``,
  ``credential``...) has a secret value, and so has a URL's password.
- A shown URL has those values replaced by :data:`MASK` in place (the rest of the URL, its
  encoding included, is left as written); :class:`Scrubber` replaces every known secret in any
  text a check returns, exception messages and echoed bodies included.

Pure logic, standard library only.
"""

from __future__ import annotations

import base64
import re

from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "********"

# Header names whose values are credentials.
SENSITIVE_HEADER_RE = re.compile(
    r"authorization|cookie|token|secret|passw|api[-_]?key|auth|session|signature|credential", re.I)
# Query parameter names whose values are credentials, as in ?token=... or ?api_key=...
SENSITIVE_QUERY_RE = re.compile(r"token|secret|key|passw|auth|signature|sig$|session|credential", re.I)


def is_sensitive_header(name):
    return bool(SENSITIVE_HEADER_RE.search(str(name)))


def header_text(value):
    """A header (or label) value as sent: booleans as true/false, numbers as digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _query_pieces(query):
    """``(key, value or None)`` for each ``&``-separated piece, as written (not decoded)."""
    for piece in query.split("&"):
        key, sep, value = piece.partition("=")
        yield key, value if sep else None


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
        query = "&".join(
            key if value is None else "%s=%s" % (key, MASK if SENSITIVE_QUERY_RE.search(unquote(key)) else value)
            for key, value in _query_pieces(query))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# URLs inside free text (a connection error, a log line): scheme://... up to a blank or a quote.
_URL_IN_TEXT_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
# key=value and key: value pairs whose key looks like a credential, in free text.
_SECRET_PAIR_RE = re.compile(r"((?:%s)[A-Za-z0-9_-]{0,40}\s?[=:]\s?)([^\s,;'\"]+)" % SENSITIVE_QUERY_RE.pattern, re.I)


def redact_text(text):
    """``text`` (an error message from a connection plugin, say) with the passwords and credential
    values of the URLs it holds, and of ``password=...``-like pairs, replaced by ``********``."""
    if not isinstance(text, str):
        return text
    text = _URL_IN_TEXT_RE.sub(lambda m: redact_url(m.group(0)), text)
    return _SECRET_PAIR_RE.sub(lambda m: m.group(1) + MASK, text)


def basic_token(username, password):
    """The base64 credentials of a basic Authorization header (a server may echo them back)."""
    return base64.b64encode(("%s:%s" % (username, password)).encode("latin-1", "replace")).decode("ascii")


def _url_secrets(url):
    found = set()
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return found
    if password:
        found.update((password, unquote(password), basic_token(unquote(parts.username or ""), unquote(password))))
    for key, value in _query_pieces(parts.query):
        if value and SENSITIVE_QUERY_RE.search(unquote(key)):
            found.update((value, unquote(value)))
    return found


def _header_secrets(headers):
    found = set()
    for key, value in (headers or {}).items() if isinstance(headers, dict) else ():
        if value in (None, "") or not is_sensitive_header(key):
            continue
        text = header_text(value) if not isinstance(value, (dict, list)) else str(value)
        found.add(text)
        # "Bearer abc...": the credential alone may show up too
        pieces = text.split(None, 1)
        if len(pieces) == 2:
            found.add(pieces[1])
    return found


def request_secrets(url=None, headers=None, username=None, passwords=()):
    """Every secret a request carries: URL password and credential query values, credential
    header values, the given passwords/tokens, and the basic credentials built from them.

    Works on raw, unvalidated options too (it never raises), so callers can register the
    secrets before anything else can fail.
    """
    found = _header_secrets(headers)
    if isinstance(url, str):
        found |= _url_secrets(url)
    passwords = [str(p) for p in passwords if p not in (None, "")]
    found.update(passwords)
    if username and passwords:
        found.add(basic_token(username, passwords[0]))
    return set(s for s in found if s)


class Scrubber(object):
    """Replaces every known secret in a text with ``********``.

    Secrets shorter than 4 characters are left alone (masking every "a" would garble the text);
    they never appear in what a check writes itself, and Ansible masks no_log values anyway.
    :meth:`deep` masks dict keys too (a perfdata label), which Ansible's masking leaves as they are.
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
            return dict((self(k), self.deep(v)) for k, v in value.items())
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value
