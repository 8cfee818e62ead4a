# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Control characters from hosts, end to end through the real ansible CLI: a real file whose name holds
ESC[31m, CR and LF (file_check), real log lines holding them (log_scan), a real TXT record served by
dnsmasq on 127.0.0.1 (dns_check). Neither the module's output (summary, msg, each check's text, what
ansible prints) nor the lines the health_check role prints (the result_lines filter) hold them raw; the
escaped form is there instead."""

from __future__ import annotations

import datetime
import json
import time

import pytest

from ansible_collections.sre.health.plugins.filter.result_lines import result_lines
from ansible_collections.sre.health.plugins.module_utils._printable import CONTROL_RE
from ansible_collections.sre.health.tests.unit.plugins.module_utils import dnsmasq as D
from ansible_collections.sre.health.tests.unit.utils import run_module

# red, then a carriage return that would overwrite the line with a forged OK, a line feed that would
# forge a line of its own, a bidi override, CSI as one C1 character, NUL is impossible in a name
HOSTILE = u"x\x1b[31mred\rOK  all fine\nOK  forged\u202egpj\x9b2J.dump"
SHOWN = u"x\\x1b[31mred\\rOK  all fine\\nOK  forged\\u202egpj\\x9b2J.dump"


def raw(text):
    return CONTROL_RE.findall(text)


def printed(value):
    """Every string of ``value``, recursively."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from printed(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from printed(key)
            yield from printed(item)


def assert_shown_escaped(run, shown):
    result = run.result
    assert "Traceback" not in run.stdout + run.stderr
    # the module's own text: its summary, its msg, every field of every check
    for text in [result["summary"], result.get("msg", "")] + list(printed(result["checks"])):
        assert not raw(text), text
    assert shown in result["summary"]
    assert any(shown in check["summary"] for check in result["checks"])
    # what ansible printed, line by line (the CLI shows the result as JSON)
    for line in run.stdout.split("\n"):
        assert not raw(line), line
    # what the health_check role prints for the host
    lines = result_lines(result, "web1")
    assert any(shown in line for line in lines), lines
    for line in lines:
        assert not raw(line), line
    return lines


def test_file_name_with_escape_sequences_cr_and_lf(tmp_path):
    path = tmp_path / HOSTILE
    path.write_bytes(b"x")
    (tmp_path / "plain.dump").write_bytes(b"y")
    run = run_module("file_check", {"path": str(tmp_path / "*.dump"), "state": "absent"})
    assert run.failed and run.result["status"] == "critical"
    check = run.result["checks"][0]
    assert check["metrics"]["count"] == 2
    assert str(tmp_path / SHOWN) in check["matches"]
    assert "expected absent, found" in check["summary"]
    lines = assert_shown_escaped(run, str(tmp_path / SHOWN))
    assert len(lines) == 2 and lines[1].startswith("CRITICAL  ")
    assert run.result["msg"] == run.result["summary"]


def test_file_name_as_the_newest_match(tmp_path):
    (tmp_path / HOSTILE).write_bytes(b"x" * 10)
    run = run_module("file_check", {"path": str(tmp_path / "*.dump"), "thresholds": {"size_bytes": {"critical": 5}}})
    assert run.failed and run.result["checks"][0]["newest"] == str(tmp_path / SHOWN)
    assert_shown_escaped(run, str(tmp_path / SHOWN))


def _iso(t):
    return datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]


def test_log_lines_with_escape_sequences_cr_and_lf(tmp_path):
    now = time.time()
    log = tmp_path / "app.log"
    lines = [
        # a text line can hold ESC and CR (LF ends it)
        "%s ERROR user=\x1b[31mmallory\r\x1b[2KOK\u202e failed" % _iso(now - 60),
        # a JSON line's field can hold all of them, LF and NUL included
        json.dumps({"time": datetime.datetime.fromtimestamp(now - 30, datetime.timezone.utc).isoformat(),
                    "level": "error", "user": "eve\x1b]0;owned\x07\r\nOK\x00", "msg": "failed"}),
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = run_module("log_scan", {"path": str(log), "since": "5m", "return_last_match": True, "patterns": [
        {"name": "errors", "regex": r"ERROR user=(?P<user>.*) failed", "group_by": "user", "critical": 0},
        {"name": "json", "field": "level", "equals": "error", "group_by": "user", "critical": 0},
    ]})
    assert run.failed and run.result["status"] == "critical"
    errors, from_json = run.result["checks"]
    assert errors["metrics"]["matches"] == 1 and from_json["metrics"]["matches"] == 1
    assert errors["groups"] == {"\\x1b[31mmallory\\r\\x1b[2KOK\\u202e": 1}
    assert from_json["groups"] == {"eve\\x1b]0;owned\\x07\\r\\nOK\\x00": 1}
    assert "\\x1b[31mmallory\\r\\x1b[2KOK\\u202e failed" in errors["last_match"]
    assert_shown_escaped(run, "\\x1b[31mmallory\\r\\x1b[2KOK\\u202e")
    assert_shown_escaped(run, "eve\\x1b]0;owned\\x07\\r\\nOK\\x00")


@pytest.fixture
def evil_zone(tmp_path_factory):
    if D.DNSMASQ is None:
        pytest.skip(D.SKIP_REASON)
    pytest.importorskip("dns.message")
    server = D.Dnsmasq(tmp_path_factory.mktemp("zone"), D.ZONE + [
        "--txt-record=evil.test,v=\x1b[31mred\rOK\nforged\u202egpj\x9b.exe"], ipv6=False)
    yield server
    server.close()


def test_txt_record_with_escape_sequences_cr_and_lf(evil_zone):
    run = run_module("dns_check", {"name": "evil.test", "type": "TXT", "server": evil_zone.server(),
                                   "expect": ["v=spf1 -all"]})
    assert run.failed and run.result["status"] == "critical"
    check = run.result["checks"][0]
    assert check["records"] == ["v=\\x1b[31mred\\rOK\\nforged\\u202egpj\\x9b.exe"]
    assert_shown_escaped(run, "v=\\x1b[31mred\\rOK\\nforged\\u202egpj\\x9b.exe")
