# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Control characters from hosts are shown as visible escapes, never printed raw."""

from __future__ import annotations

import pytest

from ansible_collections.sre.health.plugins.module_utils._printable import CONTROL_RE, LINES, escape_controls
from ansible_collections.sre.health.plugins.module_utils._status import make_result, summarize

# ESC[31m (red), CR (overwrite the line), LF (a forged line), NUL, BEL, DEL, CSI as one C1 byte, RLO, an isolate
HOSTILE = u"a\x1b[31mRED\rOK  forged\nCRITICAL  x\x00\x07\x7f\x9b2J\u202egpj.exe\u2066z\u2069"
ESCAPED = u"a\\x1b[31mRED\\rOK  forged\\nCRITICAL  x\\x00\\x07\\x7f\\x9b2J\\u202egpj.exe\\u2066z\\u2069"


def raw_controls(text):
    return CONTROL_RE.findall(text)


@pytest.mark.parametrize("text, shown", [
    (HOSTILE, ESCAPED),
    (u"tab\there", u"tab\\there"),
    (u"\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u2067\u2068",
     u"\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a\\u202b\\u202c\\u202d\\u2067\\u2068"),
    # printable text, accents, emoji, backslashes and the surrogate escapes of safe_text are left alone
    (u"/var 91% used \u00e9\u00e8 \U0001f600 C:\\dir \\xff", u"/var 91% used \u00e9\u00e8 \U0001f600 C:\\dir \\xff"),
    (u"", u""),
])
def test_escape_controls(text, shown):
    assert escape_controls(text) == shown
    assert escape_controls(shown) == shown  # twice is once
    assert not raw_controls(escape_controls(text))


def test_every_c0_del_and_c1_is_escaped():
    every = u"".join(chr(code) for code in list(range(0x20)) + list(range(0x7f, 0xa0)))
    shown = escape_controls(every)
    assert not raw_controls(shown)
    assert shown.count(u"\\") == len(every)


def test_nested_values():
    value = {u"k\x1b": [u"\r", (u"\n", 3)], "n": None, "f": 1.5}
    assert escape_controls(value) == {u"k\\x1b": [u"\\r", (u"\\n", 3)], "n": None, "f": 1.5}


def test_keep_lines():
    assert escape_controls(u"a\n\tb\r\x1b[2J", keep=LINES) == u"a\n\tb\\r\\x1b[2J"


def test_results_and_host_summary_hold_no_raw_control():
    result = make_result(u"file:/x\x1b", "file", "critical", u"/x" + HOSTILE, {"count": 1}, {},
                         matches=[u"/x" + HOSTILE], errors=[{"path": u"/x\r", "error": u"e\n"}],
                         by_name={u"\x1b[2J": 1}, stdout=u"one\n\ttwo\r\x1b[31m")
    assert result["summary"] == u"/x" + ESCAPED
    assert result["name"] == u"file:/x\\x1b"
    assert result["matches"] == [u"/x" + ESCAPED]
    assert result["errors"] == [{"path": u"/x\\r", "error": u"e\\n"}]
    assert result["by_name"] == {u"\\x1b[2J": 1}
    # a command's output keeps its lines, nothing else
    assert result["stdout"] == u"one\n\ttwo\\r\\x1b[31m"
    info = summarize([result])
    assert ESCAPED in info["summary"] and not raw_controls(info["summary"])


def test_summary_changed_after_make_result_is_escaped_in_the_host_summary():
    result = make_result("log", "log", "warning", "log: 3 matches")
    result["summary"] += u"; incomplete: /var/log/x\x1b[2J: permission denied"
    info = summarize([result])
    assert u"/var/log/x\\x1b[2J" in info["summary"] and not raw_controls(info["summary"])


def test_invalid_utf8_and_controls_together():
    name = b"bad\xff\x1b[31m".decode("utf-8", "surrogateescape")
    result = make_result("n", "file", "ok", name)
    assert result["summary"] == u"bad\\xff\\x1b[31m"
