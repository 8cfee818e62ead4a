# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one duration parser and formatter (_duration), and its bounds in every option that uses it."""

from __future__ import annotations

import pytest

from ansible_collections.sre.health.plugins.module_utils import _duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError

ACCEPTED = "a duration"


@pytest.mark.parametrize("value, seconds", [
    ("15m", 900), (900, 900), ("900", 900), (" 4h ", 14400), ("1d", 86400), ("90s", 90), ("1.5h", 5400),
    ("250ms", 0.25), (0, 0), ("366d", 366 * 86400),
])
def test_parse(value, seconds):
    assert _duration.parse_duration("window", value, ACCEPTED) == seconds


@pytest.mark.parametrize("value, fragment", [
    ("1e308d", "option window: '1e308d' is not a finite duration; accepted: a duration"),
    ("1e308", "option window: '1e308' is longer than 366d; accepted: a duration"),
    (1e300, "option window: 1e+300 is longer than 366d"),
    (float("inf"), "option window: inf is invalid"),
    (float("nan"), "option window: nan is invalid"),
    ("nan", "option window: 'nan' is invalid"),
    ("367d", "option window: '367d' is longer than 366d"),
    ("-5m", "option window: '-5m' is negative"),
    ("soon", "option window: 'soon' is invalid"),
    ("5GiB", "option window: '5GiB' is invalid"),
    (True, "option window: True is invalid"),
    (None, "option window: None is invalid"),
    ([1], "option window: [1] is invalid"),
])
def test_bad_values_are_clean_option_errors(value, fragment):
    with pytest.raises(OptionError) as info:
        _duration.parse_duration("window", value, ACCEPTED)
    assert fragment in str(info.value) and info.value.option == "window"


def test_bounds_and_empty():
    assert _duration.parse_duration("w", None, ACCEPTED, empty=0) == 0.0
    assert _duration.parse_duration("w", "", ACCEPTED, empty=0) == 0.0
    with pytest.raises(OptionError, match="option w: 0 is invalid"):
        _duration.parse_duration("w", 0, ACCEPTED, inclusive=False)
    with pytest.raises(OptionError, match="option w: '2h' is longer than 1h"):
        _duration.parse_duration("w", "2h", ACCEPTED, maximum=3600)


@pytest.mark.parametrize("seconds, text", [(0.5, "0.5s"), (10, "10s"), (59.44, "59.4s"), (90, "1m30s"), (900, "15m"),
                                           (14400, "4h"), (90000, "1d1h"), (86401, "1d1s")])
def test_format_exact(seconds, text):
    assert _duration.format_duration(seconds) == text


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (0.5, "0.5s"), (12.7, "12s"), (60, "1m"), (250, "4m 10s"), (7500, "2h 5m"),
    (3 * 86400 + 4 * 3600 + 59, "3d 4h"), (86400 + 30, "1d"),
])
def test_format_approximate(seconds, text):
    assert _duration.format_duration(seconds, approximate=True) == text


def test_below_a_strict_minimum_is_invalid_not_negative():
    with pytest.raises(OptionError, match="option w: '-5m' is invalid"):
        _duration.parse_duration("w", "-5m", ACCEPTED, inclusive=False)
