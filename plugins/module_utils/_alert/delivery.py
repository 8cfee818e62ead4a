# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Delivering alert payloads: every POST within one time bound, retried with backoff.

``http_post`` sends through the collection's one HTTP client (``_web.client``): one deadline
for the whole exchange however slowly the receiver answers, a bounded read of the answer, and
any malformed answer (a 2 MB header line, thousands of headers) an undelivered notice, never a
traceback.
"""

from __future__ import annotations

import time

from ansible_collections.sre.health.plugins.module_utils._alert.payloads import shorten
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration
from ansible_collections.sre.health.plugins.module_utils._web import client

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


# What is read of a receiver's answer: enough for an error text, never its whole body.
ANSWER_KEPT = 4096
ANSWER_MAX = 1024 * 1024


def _answer_failure(answer, timeout):
    """PostFailed for an answer that is not a 2xx, or None."""
    failure = answer.failure
    if failure is not None:
        if failure.reason.startswith("timed out"):
            return PostFailed("no answer within %s" % format_duration(timeout), True)
        if failure.tls:
            return PostFailed("TLS verification failed: %s" % shorten(failure.reason, 300), False)
        return PostFailed(shorten(failure.text(), 300), True)
    if 200 <= answer.code < 300:
        return None
    reason = "HTTP %d %s" % (answer.code, shorten(answer.reason or "", 100))
    detail = answer.body.decode("utf-8", "replace").strip() if answer.body else ""
    if detail:
        reason = "%s: %s" % (reason.strip(), shorten(detail, 200))
    return PostFailed(reason.strip(), answer.code >= 500 or answer.code in (408, 429))


def http_post(url, headers, validate_certs, ca_path):
    """A ``post(body, timeout)`` for deliver(), through the shared HTTP client."""
    send_headers = {"Content-Type": "application/json", "User-Agent": "sre.health-fleet_alert"}
    send_headers.update(headers)

    def post(body, timeout):
        request = client.Request(url, method="POST", headers=send_headers, data=body, timeout=timeout,
                                 validate_certs=validate_certs, ca_path=ca_path, follow_redirects=False,
                                 keep_bytes=ANSWER_KEPT, max_bytes=ANSWER_MAX)
        failed = _answer_failure(client.send(request), timeout)
        if failed is not None:
            raise failed

    return post
