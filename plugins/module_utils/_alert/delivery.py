# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Delivering alert payloads: every POST within one time bound, retried with backoff.

``http_post`` uses Ansible's open_url (no third-party library); the lead moves it onto the
collection's shared HTTP client.
"""

from __future__ import annotations

import socket
import time

from ansible_collections.sre.health.plugins.module_utils._alert.payloads import shorten
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration

# First pause between two attempts of one POST; doubled after each attempt.
BACKOFF = 0.5


class PostFailed(Exception):
    """One POST did not reach a 2xx answer; ``retry`` says whether trying again may help."""

    def __init__(self, reason, retry):
        super(PostFailed, self).__init__(reason)
        self.reason = reason
        self.retry = retry


def deliver(batches, post, cfg, clock=time.monotonic, sleep=time.sleep):
    """POST every batch within cfg.timeout in total; {key: (error or None, attempts)}.

    Each attempt gets an equal share of the time left for the attempts it may still make, so a
    webhook that never answers still leaves time for a retry, and the whole delivery ends within
    the bound whatever the number of batches.
    """
    deadline = clock() + cfg.timeout
    outcome = {}
    for keys, body in batches:
        attempts = 0
        error = None
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                error = error or "not sent: the delivery time (timeout %s) ran out" % format_duration(cfg.timeout)
                break
            attempts += 1
            share = remaining / (cfg.retries + 2 - attempts)
            try:
                post(body, max(share, min(remaining, 1.0)))
            except PostFailed as exc:
                error = cfg.scrub(exc.reason)
                if not exc.retry or attempts > cfg.retries:
                    break
                pause = min(BACKOFF * 2 ** (attempts - 1), deadline - clock())
                if pause <= 0:
                    break
                sleep(pause)
                continue
            error = None
            break
        for key in keys:
            outcome[key] = (error, attempts)
    return outcome


def http_post(url, headers, validate_certs, ca_path):
    """A ``post(body, timeout)`` for deliver(), with Ansible's open_url (no third-party library)."""
    from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
    from ansible.module_utils.urls import SSLValidationError, open_url
    from urllib.error import HTTPError, URLError

    send_headers = {"Content-Type": "application/json", "User-Agent": "sre.health-fleet_alert"}
    send_headers.update(headers)

    def post(body, timeout):
        try:
            response = open_url(url, data=body, headers=send_headers, method="POST", timeout=timeout,
                                validate_certs=validate_certs, ca_path=ca_path, follow_redirects="none",
                                http_agent=send_headers["User-Agent"])
            try:
                code = response.getcode()
                response.read(65536)
            finally:
                response.close()
        except HTTPError as exc:
            detail = ""
            try:
                detail = exc.read(200).decode("utf-8", "replace").strip()
            except (OSError, ValueError, AttributeError):
                pass
            reason = "HTTP %d %s" % (exc.code, exc.reason or "")
            if detail:
                reason += ": %s" % shorten(detail, 200)
            raise PostFailed(reason.strip(), exc.code >= 500 or exc.code in (408, 429))
        except SSLValidationError as exc:
            raise PostFailed("TLS verification failed: %s" % shorten(exc, 300), False)
        except (socket.timeout, TimeoutError):
            raise PostFailed("no answer within %s" % format_duration(timeout), True)
        except URLError as exc:
            reason = exc.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise PostFailed("no answer within %s" % format_duration(timeout), True)
            if isinstance(reason, ConnectionRefusedError):
                raise PostFailed("connection refused", True)
            raise PostFailed("cannot connect: %s" % shorten(reason, 300), True)
        except (UrlsConnectionError, OSError) as exc:
            raise PostFailed("cannot connect: %s" % shorten(exc, 300), True)
        except ValueError as exc:
            raise PostFailed("cannot send: %s" % shorten(exc, 300), False)
        if not 200 <= code < 300:
            raise PostFailed("HTTP %d (a 2xx answer was expected)" % code, code >= 500)

    return post
