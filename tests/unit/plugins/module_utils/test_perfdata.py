# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Performance data whose numbers do not fit a float once in base units (``1e306TB``), or are
spelled out as infinities and NaNs: the parser skips the item (a bad value) or leaves the field
out (a bad warn, crit, min or max) and lists it, never raises. The rest of the parser is tested
in test_command.py, with the plugins that print it."""

from __future__ import annotations

import json
import math

import pytest

from ansible_collections.sre.health.plugins.module_utils import _command, _perfdata
from ansible_collections.sre.health.plugins.module_utils._kind import check

# Every UOM the parser reads, with its factor to the base unit.
FACTORS = dict((uom, factor) for uom, (_kind, factor) in _perfdata.UNITS.items())
FACTORS.update(KiB=1024.0, MiB=1024.0 ** 2, GiB=1024.0 ** 3, TiB=1024.0 ** 4, kb=1024.0, tb=1024.0 ** 4)
# Units whose factor is above 1: 1e306 of them is past the largest float (1.8e308) in bytes.
GROWING = ("KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "kb", "tb")


def parse(text):
    """``(items by label, problems)``; whatever the text, the parser returns."""
    items, problems = _perfdata.parse_perfdata(text)
    json.dumps([i.as_dict() for i in items], allow_nan=False)  # what a result carries must be JSON
    return dict((i.label, i) for i in items), problems


@pytest.mark.parametrize("uom", sorted(FACTORS))
@pytest.mark.parametrize("number", ["1e306", "-1e306", "1.7e308", "-1.7e308", "1e999", "-1e999", "9" * 400])
def test_a_value_too_large_for_its_unit_is_skipped_and_listed(uom, number):
    raw = "v=%s%s" % (number, uom)
    items, problems = parse(raw + " kept=1")
    assert items["kept"].value == 1
    finite = math.isfinite(float(number)) and (uom not in GROWING)
    if finite:
        assert items["v"].value == pytest.approx(float(number) * FACTORS[uom]) and problems == []
    else:
        assert "v" not in items
        assert len(problems) == 1 and problems[0].startswith(repr(_perfdata._shown(raw)) + ": value ")
        assert problems[0].endswith(": skipped") and "not a finite number" in problems[0]


@pytest.mark.parametrize("spelled", ["inf", "-inf", "+inf", "Inf", "INF", "infinity", "Infinity", "nan", "NaN",
                                     "-nan", "NAN", "1e999", "-1e999"])
@pytest.mark.parametrize("field", range(5))
def test_infinities_and_nans_spelled_out_in_each_field(spelled, field):
    """As the value: the item is skipped; as warn, crit, min or max: that field is left out, the
    value kept."""
    fields = ["5", "", "", "", ""]
    fields[field] = spelled
    raw = "x=" + ";".join(fields)
    items, problems = parse(raw + " y=2")
    assert items["y"].value == 2 and len(problems) == 1
    if field == 0:
        assert "x" not in items and problems[0].endswith(": skipped")
        return
    x = items["x"]
    assert x.value == 5
    name = ("warning", "critical", "min", "max")[field - 1]
    assert (x.warning, x.critical, x.minimum, x.maximum) == (None, None, None, None)
    assert problems[0].startswith("x: %s %r " % (name, spelled)) and problems[0].endswith(": left out")


@pytest.mark.parametrize("text, label, field", [
    ("q=1;;;0;1e999", "q", "max"),
    ("q=1;;;1e999", "q", "min"),
    ("q=1;;;-1e999;1", "q", "min"),
    ("q=1;1e999", "q", "warning"),
    ("q=1;;1e999", "q", "critical"),
    ("q=1;~:1e999", "q", "warning"),
    ("q=1;@1e999:", "q", "warning"),
    ("q=1;;-1e999:1", "q", "critical"),
    # finite as printed, past the largest float in bytes
    ("w=1TB;;;0;1e306", "w", "max"),
    ("w=1TB;;;-1e306", "w", "min"),
    ("w=1TB;1e306", "w", "warning"),
    ("w=1TB;;1e306:", "w", "critical"),
    ("w=1TB;@1e306:2e306", "w", "warning"),
    ("w=1TB;~:-1e306", "w", "warning"),
    ("w=1KB;;0:1.7e308", "w", "critical"),
])
def test_a_bound_too_large_is_left_out_and_listed_the_value_kept(text, label, field):
    items, problems = parse(text)
    item = items[label]
    assert item.value == (1024 ** 4 if label == "w" and "TB" in text else 1024 if "KB" in text else 1)
    got = {"warning": item.warning, "critical": item.critical, "min": item.minimum, "max": item.maximum}
    assert got[field] is None
    assert len(problems) == 1 and problems[0].startswith("%s: %s " % (label, field))
    assert problems[0].endswith(": left out")


@pytest.mark.parametrize("text, value, warning, maximum", [
    # the largest numbers that still fit are kept, as they are
    ("m=1.7e308;1.7e308;;-1.7e308;1.7e308", 1.7e308, "1.7e308", 1.7e308),
    ("m=1.5e308B;1e308;;;1.7e308", 1.5e308, "1e308", 1.7e308),
    ("m=1e296TB;1e296;;;1e296", 1e296 * 1024 ** 4, "1.099511627776e+308", 1e296 * 1024 ** 4),
    ("m=1e-400us;1e-400", 0, "0", None),
    ("m=-1e300;~:-1e300", -1e300, "~:-1e300", None),
])
def test_huge_finite_numbers_are_kept(text, value, warning, maximum):
    items, problems = parse(text)
    assert problems == []
    item = items["m"]
    assert item.value == pytest.approx(value) and item.warning.text == warning
    assert item.maximum == (pytest.approx(maximum) if maximum is not None else None)


def run(params, thresholds=None):
    results = check(_command, params, thresholds)
    assert len(results) == 1
    json.dumps(results, allow_nan=False)  # crosses a pipe and Ansible's JSON: must serialize, strictly
    return results[0]


def plugin(tmp_path, output, code=0):
    """A real plugin: a shell script that prints ``output`` (one line) and exits with ``code``."""
    path = tmp_path / "check_overflow"
    path.write_text("#!/bin/sh\nprintf '%%s\\n' '%s'\nexit %d\n" % (output, code))
    path.chmod(0o755)
    return str(path)


def test_a_plugin_printing_overflowing_perfdata_is_judged_on_the_rest(tmp_path):
    """The issue's output: no OverflowError, no unknown; the plugin's OK stands, what cannot be held is listed."""
    output = "OK | r=1e306TB q=1;;;0;1e999 n=-1e306TB s=2s;1e306 up=3;;;0;1e308"
    result = run({"argv": [plugin(tmp_path, output)]})
    assert result["status"] == "ok", result["summary"]
    assert result["metrics"] == {"q": 1, "s": 2, "up": 3}
    assert result["summary"] == "OK (3 performance data items skipped or cut)"
    problems = result["perfdata_problems"]
    assert len(problems) == 3
    assert problems[0].startswith("'r=1e306TB': value ") and problems[0].endswith(": skipped")
    assert problems[1].startswith("q: max '1e999' ") and problems[1].endswith(": left out")
    assert problems[2].startswith("'n=-1e306TB': value ") and problems[2].endswith(": skipped")
    assert [p["label"] for p in result["perfdata"]] == ["q", "s", "up"]
    assert result["perfdata"][0]["max"] is None and result["perfdata"][2]["max"] == 1e308
    # seconds hold 1e306: kept
    assert result["perfdata"][1]["warning"] == "1e306"


def test_user_thresholds_on_huge_values_and_on_a_skipped_label(tmp_path):
    output = "OK | big=1.7e308B;;;0;1.7e308 r=1e306TB"
    result = run({"argv": [plugin(tmp_path, output)]}, {"big": {"critical": 1e12}})
    assert result["status"] == "critical", result["summary"]
    assert result["metrics"]["big"] == 1.7e308
    assert "critical: big" in result["summary"]
    # a threshold on the skipped item: no performance data for it, unknown as documented
    result = run({"argv": [plugin(tmp_path, output)]}, {"r": {"critical": 5}})
    assert result["status"] == "unknown" and "no performance data for 'r'" in result["summary"]
    assert "1 performance data item skipped or cut" in result["summary"]
