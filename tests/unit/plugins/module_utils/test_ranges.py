# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sre.health.plugins.module_utils._ranges import NagiosRange, RangeError
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, PERCENT

# Every example of the monitoring-plugins developer guidelines, "Threshold and ranges":
#   10      < 0 or > 10, (outside the range of {0 .. 10})
#   10:     < 10, (outside {10 .. inf})
#   ~:10    > 10, (outside the range of {-inf .. 10})
#   10:20   < 10 or > 20, (outside the range of {10 .. 20})
#   @10:20  >= 10 and <= 20, (inside the range of {10 .. 20})
GUIDELINE_CASES = [
    ("10", [(-1, True), (-0.001, True), (0, False), (5, False), (10, False), (10.001, True), (11, True)]),
    ("10:", [(-1e9, True), (9.999, True), (10, False), (1e12, False)]),
    ("~:10", [(-1e12, False), (0, False), (10, False), (10.001, True)]),
    ("10:20", [(9.99, True), (10, False), (15, False), (20, False), (20.01, True)]),
    ("@10:20", [(9.99, False), (10, True), (15, True), (20, True), (20.01, False)]),
]


@pytest.mark.parametrize("text, cases", GUIDELINE_CASES)
def test_guideline_examples(text, cases):
    rng = NagiosRange.parse(text)
    for value, alerts in cases:
        assert rng.alerts(value) is alerts, (text, value)


@pytest.mark.parametrize("text, start, end, inside", [
    ("10", 0, 10, False),
    (10, 0, 10, False),
    (2.5, 0, 2.5, False),
    ("10:", 10, math.inf, False),
    ("~:10", -math.inf, 10, False),
    ("~:", -math.inf, math.inf, False),
    (":10", 0, 10, False),
    ("10:20", 10, 20, False),
    ("@10:20", 10, 20, True),
    ("@~:0", -math.inf, 0, True),
    ("-10:-5", -10, -5, False),
    ("5:5", 5, 5, False),
    (" 10 : 20 ", 10, 20, False),
    ("@ 1:", 1, math.inf, True),
])
def test_parse_bounds(text, start, end, inside):
    rng = NagiosRange.parse(text)
    assert (rng.start, rng.end, rng.inside) == (start, end, inside)


def test_units_are_converted_to_the_metric_base():
    rng = NagiosRange.parse("10GiB:", BYTES)
    assert rng.start == 10 * 1024 ** 3 and rng.end == math.inf
    assert rng.alerts(10 * 1024 ** 3 - 1)
    assert not rng.alerts(10 * 1024 ** 3)
    assert NagiosRange.parse("1GB:2GiB", BYTES).end == 2 * 1024 ** 3
    assert NagiosRange.parse("90%", PERCENT).end == 90


@pytest.mark.parametrize("text, kind, fragment", [
    ("20:10", COUNT, "start 20 is greater than end 10"),
    ("2GiB:1GiB", BYTES, "greater than end"),
    ("@20:10", COUNT, "greater than end"),
    ("", COUNT, "is empty"),
    ("   ", COUNT, "is empty"),
    ("@", COUNT, "is empty"),
    ("~", COUNT, "needs an end"),
    ("10:~", COUNT, "only valid as the start"),
    ("1:2:3", COUNT, "more than one ':'"),
    ("abc", COUNT, "'abc'"),
    ("10%", BYTES, "unit '%' does not fit a bytes metric"),
    ("10GiB", PERCENT, "does not fit a percent metric"),
    ("@@10", COUNT, "not a number"),
    (None, COUNT, "not a range"),
    (True, COUNT, "not a range"),
    ([10], COUNT, "not a range"),
    (float("nan"), COUNT, "not a finite number"),
])
def test_invalid_ranges(text, kind, fragment):
    with pytest.raises(RangeError) as err:
        NagiosRange.parse(text, kind)
    message = str(err.value)
    assert fragment in message
    # every error says what is accepted
    assert "[@]start:end" in message


@pytest.mark.parametrize("text, kind, expected", [
    ("90", PERCENT, "> 90%"),
    ("~:10", COUNT, "> 10"),
    ("1:", COUNT, "< 1"),
    ("10GiB:", BYTES, "< 10 GiB"),
    ("10:20", COUNT, "outside 10..20"),
    ("@10:20", COUNT, "within 10..20"),
    ("@1:", COUNT, ">= 1"),
    ("@~:5", COUNT, "<= 5"),
    ("@3:3", COUNT, "= 3"),
    ("3:3", COUNT, "!= 3"),
    ("~:", COUNT, "never"),
    ("@~:", COUNT, "always"),
])
def test_describe(text, kind, expected):
    assert NagiosRange.parse(text, kind).describe() == expected


RANGE_ALPHABET = "0123456789.:@~-+eE%KMGTiBmshd \t"


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.text(alphabet=RANGE_ALPHABET, max_size=14), st.text(max_size=14)),
       st.sampled_from([BYTES, PERCENT, COUNT, "milliseconds", "seconds", "days"]))
def test_no_range_string_raises_anything_but_range_error(text, kind):
    try:
        rng = NagiosRange.parse(text, kind)
    except RangeError as exc:
        assert "accepted" in str(exc)
        return
    assert rng.start <= rng.end
    assert isinstance(rng.alerts(0.0), bool)
    assert isinstance(rng.describe(), str)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
       st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
       st.floats(allow_nan=False, allow_infinity=True))
def test_at_prefix_inverts_the_alert(a, b, value):
    start, end = min(a, b), max(a, b)
    text = "%r:%r" % (start, end)
    assert NagiosRange.parse("@" + text).alerts(value) is not NagiosRange.parse(text).alerts(value)
