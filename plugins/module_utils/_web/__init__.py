# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one HTTP client of sre.health (laid out like community.docker's ``_api``).

Shared by the ``http`` kind, the ``metrics`` kind and the alert webhook sender; each part once:

``redact``
    what of a request is a secret (URL passwords, credential-like query values and headers),
    ``redact_url`` (one rule set, one mask ``********``), ``request_secrets`` and ``Scrubber``;
``urls``
    ``check_url``: the one rule for an http(s) URL option (also behind the ``url_problem`` filter);
``options``
    header options and TLS client files (``ca_path``, ``client_cert``, ``client_key``), checked
    once in a kind's ``validate()``;
``errors``
    why a request failed, in a few words (``describe_request_error``, ``causes``, ``shorten``);
``client``
    ``send(Request)``: a session of its own, urllib3 retries with backoff, one deadline per
    attempt, a bounded streamed body read and the peer's certificate.

Only ``client`` and ``errors`` use requests, and import it optionally: a kind declares it in its
``REQUIRES`` so that a host without it gets ``missing_required_lib``, never a traceback.
"""
