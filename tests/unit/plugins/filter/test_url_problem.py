# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The url_problem filter: the modules' one URL rule, for the roles' pre-flight checks."""

from __future__ import annotations

import pytest

from ansible_collections.sre.health.plugins.filter.url_problem import url_problem

SECRET = "T000/B000/s3cr3t-in-url"


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/services/" + SECRET,
    "http://127.0.0.1:8080/hook?token=" + SECRET,
    "http://[::1]:9/",
])
def test_usable_urls_have_no_problem(url):
    assert url_problem(url, "fleet_report_webhook_url", secret=True) == ""


@pytest.mark.parametrize("url, problem", [
    ("hooks.example.com/" + SECRET, "scheme '' is not http or https"),
    ("ftp://hooks.example.com/" + SECRET, "scheme 'ftp' is not http or https"),
    ("https:///" + SECRET, "no host"),
    ("https://hooks.example.com/a b/" + SECRET, "no spaces or control characters"),
    ("https://hooks.example.com:99999/" + SECRET, "Port out of range"),
    ("https://hooks.example.com:x%s/" % SECRET, "the port is not a number"),
    ("", "it is empty"),
    (None, "it is empty"),
])
def test_a_secret_url_is_never_quoted(url, problem):
    message = url_problem(url, "fleet_report_webhook_url", secret=True)
    assert message.startswith("option fleet_report_webhook_url is not a valid http(s) URL "
                              "(the value is not shown: it is a secret): ")
    assert problem in message
    assert "s3cr3t" not in message


def test_a_plain_url_is_shown_redacted():
    message = url_problem("ftp://user:pw-s3cr3t@host/x?token=s3cr3t-token", "url")
    assert message.startswith("option url: 'ftp://user:********@host/x?token=********' is invalid; accepted: ")
    assert "s3cr3t" not in message
