# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one rule for an http(s) URL option: used by the http and metrics kinds, the alert
sender and (through the ``url_problem`` filter) the roles' pre-flight checks.

A usable URL has the scheme http or https, a host, a port from 1 to 65535 if it has one, and no
whitespace or control characters. Errors show the URL redacted, or not at all when the whole
URL is a secret (webhook URLs carry tokens in their path).
"""

from __future__ import annotations

import re

from urllib.parse import urlsplit

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
from ansible_collections.sre.health.plugins.module_utils._web.redact import redact_url

EXAMPLE = "https://127.0.0.1:8443/health or http://[::1]:8080/"
_UNPRINTABLE_RE = re.compile(r"[\s\x00-\x1f\x7f]")


def accepted(example=EXAMPLE):
    return "an http:// or https:// URL with a host, such as %s" % example


class SecretUrlError(SreHealthError):
    """A URL that is a secret as a whole is unusable; the message names the option, not the value."""

    def __init__(self, option, problem, example=EXAMPLE):
        super(SecretUrlError, self).__init__(
            "option %s is not a valid http(s) URL (the value is not shown: it is a secret): %s; accepted: %s"
            % (option, problem, accepted(example)))
        self.option = option


def url_problem(url):
    """Why ``url`` is not a usable http(s) URL, without quoting it; None when it is."""
    if not isinstance(url, str) or not url.strip():
        return "it is empty"
    if _UNPRINTABLE_RE.search(url.strip()):
        return "no spaces or control characters; encode spaces as %20"
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError as exc:
        # ValueError's text may quote part of the URL: name the fault in words of our own
        text = str(exc)
        return "Port out of range 0-65535" if "range" in text else "Invalid IPv6 URL" if "IPv6" in text \
            else "the port is not a number"
    if parts.scheme.lower() not in ("http", "https"):
        return "scheme %r is not http or https" % parts.scheme
    if not parts.hostname:
        return "no host"
    if port == 0:
        return "port 1 to 65535"
    return None


def check_url(url, option="url", example=EXAMPLE, secret=False):
    """Return ``url`` stripped if usable; else raise OptionError showing it redacted, or
    SecretUrlError without it when ``secret``."""
    problem = url_problem(url)
    if problem is None:
        return url.strip()
    if secret:
        raise SecretUrlError(option, problem, example)
    if problem == "it is empty":
        raise OptionError(option, url, accepted(example))
    raise OptionError(option, redact_url(url.strip()), "%s (%s)" % (accepted(example), problem))
