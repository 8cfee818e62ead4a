# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.sre.health.plugins.module_utils._units import (
    BYTES,
    COUNT,
    DAYS,
    MILLISECONDS,
    PERCENT,
    SECONDS,
    UnitError,
    format_quantity,
    parse_quantity,
)


@pytest.mark.parametrize("text, kind, expected", [
    ("10", BYTES, 10.0),
    (10, BYTES, 10.0),
    (2.5, PERCENT, 2.5),
    ("10GiB", BYTES, 10 * 1024 ** 3),
    ("10 GiB", BYTES, 10 * 1024 ** 3),
    ("1.5KiB", BYTES, 1536.0),
    ("1KB", BYTES, 1000.0),
    ("3MB", BYTES, 3e6),
    ("2GB", BYTES, 2e9),
    ("1TB", BYTES, 1e12),
    ("1TiB", BYTES, 1024.0 ** 4),
    ("512B", BYTES, 512.0),
    ("1gib", BYTES, 1024.0 ** 3),
    ("90%", PERCENT, 90.0),
    ("-5", COUNT, -5.0),
    ("+5", COUNT, 5.0),
    ("1e3", COUNT, 1000.0),
    (".5", COUNT, 0.5),
    ("250ms", MILLISECONDS, 250.0),
    ("2s", MILLISECONDS, 2000.0),
    ("1m", MILLISECONDS, 60000.0),
    ("1h", SECONDS, 3600.0),
    ("1d", SECONDS, 86400.0),
    ("500ms", SECONDS, 0.5),
    ("14d", DAYS, 14.0),
    ("12h", DAYS, 0.5),
])
def test_parse_quantity(text, kind, expected):
    assert parse_quantity(text, kind) == pytest.approx(expected)


@pytest.mark.parametrize("text, kind, fragment", [
    ("10%", BYTES, "unit '%' does not fit a bytes metric"),
    ("10GiB", PERCENT, "accepted units: %"),
    ("10s", BYTES, "does not fit"),
    ("10KiB", MILLISECONDS, "does not fit"),
    ("5", "furlongs", "unknown unit kind"),
    ("10 apples", COUNT, "does not fit a count metric"),
    ("", COUNT, "not a number"),
    ("ten", COUNT, "not a number"),
    ("1.2.3", COUNT, "not a number"),
    ("nan", COUNT, "not a number"),
    ("inf", COUNT, "not a number"),
    (float("inf"), COUNT, "not a finite number"),
    (float("nan"), COUNT, "not a finite number"),
    (True, COUNT, "not a number"),
    (None, COUNT, "not a number"),
    ([1], COUNT, "not a number"),
    # A finite number whose unit makes it infinite once was accepted as +inf without a word.
    ("1e300TiB", BYTES, "'1e300TiB' is too large: it is not a finite number in bytes"),
    ("1e308d", SECONDS, "is too large"),
])
def test_parse_quantity_errors(text, kind, fragment):
    with pytest.raises(UnitError) as err:
        parse_quantity(text, kind)
    assert fragment in str(err.value)


@pytest.mark.parametrize("value, kind, expected", [
    (91.234, PERCENT, "91.2%"),
    (90.0, PERCENT, "90%"),
    (10 * 1024 ** 3, BYTES, "10 GiB"),
    (1536, BYTES, "1.5 KiB"),
    (512, BYTES, "512 B"),
    (1234.56, MILLISECONDS, "1234.6 ms"),
    (3, COUNT, "3"),
    (0.256, COUNT, "0.26"),
    (None, COUNT, "n/a"),
    (float("inf"), COUNT, "inf"),
    (float("-inf"), COUNT, "-inf"),
])
def test_format_quantity(value, kind, expected):
    assert format_quantity(value, kind) == expected
