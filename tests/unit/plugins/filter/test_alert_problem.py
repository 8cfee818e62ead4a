# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The alert_problem filter: fleet_alert's own validation of targets, silences and counts, for the roles'
checks before any work; messages in the role's variable names, never with a secret."""

from __future__ import annotations

import pytest

from ansible_collections.sre.health.plugins.filter.alert_problem import alert_problem

ROUTING_KEY = "R0UT1NGk3y0123456789abcdefABCDEF"
NAMES = {"targets": "fleet_report_alert_targets", "silences": "fleet_report_silences",
         "alert_after": "fleet_report_alert_after", "recover_after": "fleet_report_recover_after",
         "run_interval": "fleet_report_run_interval", "cooldown": "fleet_report_alert_cooldown"}
SECRETS = ("s3cr3t", ROUTING_KEY[:20], "hdr-value")


@pytest.mark.parametrize("settings", [
    {},
    {"targets": [], "silences": [], "alert_after": 1},
    {"targets": [{"type": "alertmanager", "urls": ["http://127.0.0.1:9093", "http://[::1]:9093"]},
                 {"type": "pagerduty", "routing_key": ROUTING_KEY},
                 {"type": "slack", "name": "chat", "url": "https://hooks.example.com/s3cr3t"}],
     "silences": [{"host": "web*", "until": "2026-12-01T18:00:00Z", "reason": "upgrade"}],
     # extra vars come as text: converted as the module converts them
     "alert_after": "3", "recover_after": 2, "run_interval": "15m", "cooldown": "15m"},
])
def test_usable_settings_have_no_problem(settings):
    assert alert_problem(settings, NAMES) == ""


@pytest.mark.parametrize("settings, problem", [
    ({"targets": [{"type": "teams", "url": "https://hooks.example.com/s3cr3t"}]},
     "value of type must be one of: webhook, slack, alertmanager, pagerduty, got: teams found in "
     "fleet_report_alert_targets"),
    ({"targets": [{"type": "pagerduty"}]},
     "option fleet_report_alert_targets[0]: routing_key is missing; accepted: the 32-character integration key"),
    ({"targets": [{"type": "pagerduty", "name": "pager", "routing_key": ROUTING_KEY + "x"}]},
     "option fleet_report_alert_targets[0] (pager): routing_key is invalid (the value is not shown: it is a "
     "secret): it has 33 characters"),
    ({"targets": [{"type": "webhook", "url": "hooks.example.com/s3cr3t"}]},
     "option fleet_report_alert_targets[0]: url is not a valid http(s) URL (the value is not shown: it is a secret): "
     "scheme '' is not http or https"),
    ({"targets": [{"type": "webhook", "url": "https://h.example.com/", "headers": {"X-Key": "hdr-value\n"}}]},
     "the value of 'X-Key' is invalid (the value is not shown"),
    ({"alert_after": 0}, "option fleet_report_alert_after: 0 is invalid; accepted: a whole number of consecutive runs"),
    ({"alert_after": "often"}, "fleet_report_alert_after"),
    ({"recover_after": 101}, "option fleet_report_recover_after: 101 is invalid"),
    ({"silences": [{"host": "web1", "until": "next week", "reason": "x"}]},
     "option fleet_report_silences[0].until: 'next week' is not a time; accepted: an ISO 8601 time with its UTC "
     "offset, such as 2026-12-01T18:00:00Z"),
    ({"silences": [{"until": "2026-12-01T18:00:00Z", "reason": "x"}]},
     "option fleet_report_silences[0]: no host or check pattern"),
    ({"run_interval": "0"}, "option fleet_report_run_interval: '0' is invalid"),
    ({"cooldown": "-5m"}, "option fleet_report_alert_cooldown: '-5m' is negative"),
])
def test_bad_settings_name_the_variable_and_hide_secrets(settings, problem):
    text = alert_problem(settings, NAMES)
    assert problem in text, text
    for secret in SECRETS:
        assert secret not in text


def test_not_a_dict():
    assert "accepted: a dict" in alert_problem(["x"])
