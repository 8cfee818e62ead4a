# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Options every HTTP-speaking kind shares: headers and TLS client files, checked once in
``validate()`` so that a bad value is an option error before anything is sent.
"""

from __future__ import annotations

import re

from ansible_collections.sre.health.plugins.module_utils import _tls
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._web.redact import header_text, is_sensitive_header

TLS_FILE_OPTIONS = ("ca_path", "client_cert", "client_key")

_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_BAD_HEADER_VALUE_RE = re.compile(r"[\r\n\x00]|^\s")


def header_fault(key, value):
    """What is wrong with one header: ``"name"``, ``"value"`` or None. Values are strings,
    numbers or booleans on a single line, not starting with a space."""
    if not isinstance(key, str) or not _HEADER_NAME_RE.match(key):
        return "name"
    if value is None or isinstance(value, (dict, list)) or _BAD_HEADER_VALUE_RE.search(header_text(value)):
        return "value"
    return None


def check_tls_files(params, options=TLS_FILE_OPTIONS):
    """Check the TLS file options among ``options`` once: paths given as non-empty strings,
    client_key only with client_cert, and the files loadable (``_tls.check_files``).

    Raises OptionError naming the option at fault. Returns ``{option: path or None}``.
    """
    paths = dict((option, params.get(option)) for option in options)
    for option, path in paths.items():
        if path is not None and (not isinstance(path, str) or not path):
            raise OptionError(option, path, "a path to a readable PEM file")
    if paths.get("client_key") and not paths.get("client_cert"):
        raise OptionError("client_key", paths["client_key"], "client_key together with client_cert")
    _tls.check_files(paths.get("ca_path"), paths.get("client_cert"), paths.get("client_key"), OptionError)
    return paths


def check_headers(headers, hidden="(hidden)", option_per_name=False):
    """The ``headers`` option as ``{name: text}``; raises OptionError for a bad name or value.

    A credential header's value is never shown: ``hidden`` stands for it. A bad name is an error
    of ``headers`` (or of ``headers.<name>`` with ``option_per_name``): the two spellings each
    kind has always used, which its callers match.
    """
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise OptionError("headers", "(hidden)", "a dict of header name -> value")
    sent = {}
    for key, value in headers.items():
        fault = header_fault(key, value)
        if fault == "name":
            raise OptionError("headers.%s" % key if option_per_name else "headers", key,
                              "header names made of letters, digits and !#$%&'*+.^_`|~-")
        if fault == "value":
            shown = hidden if is_sensitive_header(key) else value
            raise OptionError("headers.%s" % key, shown, "a single-line string, number or boolean "
                                                         "(not starting with a space)")
        sent[key] = header_text(value)
    return sent
