# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The log check on real files written by the tests, with timestamps relative to now."""

from __future__ import annotations

import datetime
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _logscan
from ansible_collections.sre.health.plugins.module_utils._logscan import kind, timestamps
from ansible_collections.sre.health.plugins.module_utils._logscan import reader as log_reader
from ansible_collections.sre.health.plugins.module_utils._runner import run_all
from ansible_collections.sre.health.plugins.module_utils._status import (
    OptionError,
    ThresholdError,
    compile_thresholds,
)

from ansible_collections.sre.health.tests.unit.utils import collections_path

UTC = datetime.timezone.utc


def iso_utc(t):
    return datetime.datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_local(t):
    """Python logging's default: naive local time with a comma before the milliseconds."""
    return datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]


def syslog(t):
    dt = datetime.datetime.fromtimestamp(t)
    return "%s %2d %s" % (dt.strftime("%b"), dt.day, dt.strftime("%H:%M:%S"))


def clf(t):
    return datetime.datetime.fromtimestamp(t, UTC).strftime("[%d/%b/%Y:%H:%M:%S +0000]")


def write(path, lines, mtime=None):
    with open(str(path), "w") as handle:
        for line in lines:
            handle.write(line + "\n")
    if mtime is not None:
        os.utime(str(path), (mtime, mtime))
    return str(path)


def scan(path, since="5m", patterns=None, thresholds=None, **params):
    params = dict(params, path=path if isinstance(path, list) else [path], since=since, patterns=patterns)
    params.setdefault("return_last_match", False)
    compiled = compile_thresholds(thresholds, _logscan.METRICS, _logscan.DEFAULT_THRESHOLDS)
    return _logscan.run(_logscan.validate(params), compiled)


def by_name(results):
    return dict((r["pattern"] if "pattern" in r else r["name"], r) for r in results)


ERRORS = {"name": "errors", "regex": r"\bERROR\b"}


# --- timestamps ----------------------------------------------------------------------------

NOW_LOCAL = datetime.datetime(2024, 11, 22, 12, 0, 0)


def local(*args):
    return datetime.datetime(*args).timestamp()


def aware(*args, **offset):
    return datetime.datetime(*args, tzinfo=datetime.timezone(datetime.timedelta(**offset))).timestamp()


@pytest.mark.parametrize("line, expected", [
    ("2024-11-22T11:05:01Z INFO started", aware(2024, 11, 22, 11, 5, 1)),
    ("2024-11-22T11:05:01.250Z x", aware(2024, 11, 22, 11, 5, 1, 250000)),
    ("2024-11-22T11:05:01.123456789+01:00 x", aware(2024, 11, 22, 11, 5, 1, 123456, hours=1)),
    ("2024-11-22T11:05:01-0530 x", aware(2024, 11, 22, 11, 5, 1, hours=-5, minutes=-30)),
    ("2024-11-22T11:05:01+02 x", aware(2024, 11, 22, 11, 5, 1, hours=2)),
    ("2024-11-22 11:05:01 +0000 UTC go", aware(2024, 11, 22, 11, 5, 1)),
    ("2024-11-22 11:05:01,123 ERROR python logging", local(2024, 11, 22, 11, 5, 1, 123000)),
    ("2024/11/22 11:05:01 go log", local(2024, 11, 22, 11, 5, 1)),
    ("[2024-11-22 11:05:01] bracketed", local(2024, 11, 22, 11, 5, 1)),
    ("<34>1 2024-11-22T11:05:01.003Z host app - - msg", aware(2024, 11, 22, 11, 5, 1, 3000)),
    ("level=info ts=2024-11-22T11:05:01Z msg=x", aware(2024, 11, 22, 11, 5, 1)),
    ("Nov 22 11:05:01 host sshd[1]: Accepted", local(2024, 11, 22, 11, 5, 1)),
    ("Nov  2 03:04:05 host cron[1]: x", local(2024, 11, 2, 3, 4, 5)),
    ("<13>Nov 22 11:05:01 host app: x", local(2024, 11, 22, 11, 5, 1)),
    ('127.0.0.1 - - [22/Nov/2024:11:05:01 +0100] "GET /?d=2020-01-01T00:00:00Z HTTP/1.1" 200 5',
     aware(2024, 11, 22, 11, 5, 1, hours=1)),
    ('2001:db8::1 - frank [22/Nov/2024:11:05:01 -0700] "GET / HTTP/1.1" 500 5', aware(2024, 11, 22, 11, 5, 1, hours=-7)),
    ("2024-11-22T23:59:60Z leap second", aware(2024, 11, 22, 23, 59, 59)),
    ("no timestamp here", None),
    ("    at com.example.Foo(Foo.java:10)", None),
    ("2024-13-45T11:05:01Z not a date", None),
    ("Nov 31 11:05:01 not a date", None),
    ("x" * 70 + " 2024-11-22T11:05:01Z too far from the start", None),
    ("Traceback (most recent call last):", None),
    ("12345 2024-11-22", None),
])
def test_text_timestamps(line, expected):
    assert timestamps.text_time(line, NOW_LOCAL) == expected


@pytest.mark.parametrize("obj, expected", [
    ({"time": "2024-11-22T11:05:01Z"}, aware(2024, 11, 22, 11, 5, 1)),
    ({"timestamp": "2024-11-22T11:05:01.5+00:00"}, aware(2024, 11, 22, 11, 5, 1, 500000)),
    ({"ts": 1732273501}, 1732273501.0),
    ({"ts": 1732273501.25}, 1732273501.25),
    ({"ts": 1732273501250}, 1732273501.25),
    ({"ts": "1732273501250"}, 1732273501.25),
    ({"@timestamp": "2024-11-22T11:05:01Z"}, aware(2024, 11, 22, 11, 5, 1)),
    ({"__REALTIME_TIMESTAMP": "1732273501250000"}, 1732273501.25),
    ({"time": 1732273501250000000}, 1732273501.25),
    ({"time": "soon", "ts": 1732273501}, 1732273501.0),
    ({"time": True, "msg": "x"}, None),
    ({"msg": "no time field"}, None),
])
def test_json_timestamps(obj, expected):
    got = timestamps.line_time(json.dumps(obj), obj, NOW_LOCAL)
    assert got == (expected if expected is None else pytest.approx(expected, abs=1e-6))


def test_json_without_a_time_field_falls_back_to_a_timestamp_in_the_text():
    obj = {"asctime": "2024-11-22 11:05:01,000", "msg": "x"}
    assert timestamps.line_time(json.dumps(obj), obj, NOW_LOCAL) == local(2024, 11, 22, 11, 5, 1)


@pytest.mark.parametrize("now, line, year", [
    # read on January 1st: the December line is from last year
    (datetime.datetime(2025, 1, 1, 0, 0, 30), "Dec 31 23:59:50 host app: x", 2024),
    (datetime.datetime(2025, 1, 1, 0, 0, 30), "Jan  1 00:00:10 host app: x", 2025),
    # a few hours ahead of the clock (another writer's skew) is still this year
    (datetime.datetime(2025, 6, 1, 10, 0, 0), "Jun  1 14:00:00 host app: x", 2025),
    (datetime.datetime(2025, 6, 1, 10, 0, 0), "Jun  3 14:00:00 host app: x", 2024),
    # 29 February: the latest leap year not in the future
    (datetime.datetime(2025, 3, 1, 0, 0, 0), "Feb 29 12:00:00 host app: x", 2024),
])
def test_syslog_year_is_inferred(now, line, year):
    when = timestamps.text_time(line, now)
    assert datetime.datetime.fromtimestamp(when).year == year


def test_naive_timestamps_are_local_time_of_the_host(tmp_path):
    """In a process whose TZ is Asia/Kolkata (+05:30), naive syslog and ISO times are +05:30."""
    if not os.path.exists("/usr/share/zoneinfo/Asia/Kolkata"):
        pytest.skip("no tz database")
    code = (
        "import datetime\n"
        "from ansible_collections.sre.health.plugins.module_utils._logscan import timestamps\n"
        "now = datetime.datetime(2024, 11, 22, 12, 0, 0)\n"
        "print(timestamps.text_time('Nov 22 11:05:01 h a: x', now))\n"
        "print(timestamps.text_time('2024-11-22 11:05:01 x', now))\n"
        "print(timestamps.text_time('2024-11-22T11:05:01Z x', now))\n"
    )
    env = dict(os.environ, TZ="Asia/Kolkata", PYTHONPATH=collections_path())
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    syslog_time, iso_naive, iso_zulu = [float(x) for x in out.split()]
    assert syslog_time == iso_naive == aware(2024, 11, 22, 11, 5, 1, hours=5, minutes=30)
    assert iso_zulu == aware(2024, 11, 22, 11, 5, 1)
    assert iso_zulu - iso_naive == 5.5 * 3600


# --- reading backwards ---------------------------------------------------------------------

@pytest.mark.parametrize("data, lines", [
    (b"", []),
    (b"a\n", [b"", b"a"]),
    (b"a\nbb\nccc", [b"ccc", b"bb", b"a"]),
    (b"one\r\ntwo\r\n", [b"", b"two\r", b"one\r"]),
    # an empty first line is not yielded: blank lines are skipped anyway
    (b"\n\nx\n", [b"", b"x", b""]),
    (b"first line is long\nshort\n", [b"", b"short", b"first line is long"]),
])
@pytest.mark.parametrize("block", [1, 2, 3, 7, 64])
def test_reverse_lines_in_any_block_size(data, lines, block):
    counter = log_reader._Counter()
    got = list(log_reader.reverse_lines(io.BytesIO(data), len(data), counter, block_size=block))
    assert got == lines
    assert counter.bytes == len(data)


def test_reverse_lines_keeps_the_beginning_of_an_overlong_line():
    data = b"old\n" + b"HEAD" + b"x" * 100 + b"\nnew\n"
    counter = log_reader._Counter()
    got = list(log_reader.reverse_lines(io.BytesIO(data), len(data), counter, block_size=8, max_line=10))
    assert got == [b"", b"new", b"HEADxxxxxx", b"old"]


def test_reverse_lines_stops_when_the_reader_stops():
    data = b"".join(b"line %d\n" % i for i in range(1000))
    counter = log_reader._Counter()
    reader = log_reader.reverse_lines(io.BytesIO(data), len(data), counter, block_size=64)
    assert [next(reader) for _i in range(3)] == [b"", b"line 999", b"line 998"]
    assert counter.bytes == 64


# --- scans of real files -------------------------------------------------------------------

def test_json_lines_field_matches_and_groups(tmp_path):
    now = time.time()
    path = write(tmp_path / "app.json", [
        json.dumps({"time": iso_utc(now - 900), "level": "error", "logger": "db", "msg": "too old"}),
        json.dumps({"time": iso_utc(now - 200), "level": "error", "logger": "db", "msg": "a"}),
        json.dumps({"ts": now - 150, "level": "info", "logger": "api", "status": 500}),
        json.dumps({"@timestamp": iso_utc(now - 100), "level": "error", "logger": "api", "http": {"status": 503}}),
        json.dumps({"timestamp": int((now - 50) * 1000), "level": "fatal", "logger": "db"}),
        json.dumps({"ts": now - 10, "level": "warn", "msg": "disk ERROR retry", "status": "500"}),
    ])
    results = by_name(scan(path, "5m", [
        {"name": "errors", "field": "level", "equals": ["error", "fatal"], "group_by": "logger", "critical": 2},
        {"name": "http500", "field": "status", "equals": 500},
        {"name": "nested", "field": "http.status", "field_regex": "^5"},
        {"name": "has logger", "field": "logger"},
        {"name": "raw", "regex": "ERROR"},
    ], return_last_match=True))
    errors = results["errors"]
    assert errors["metrics"] == {"matches": 3, "lines_scanned": 5, "bytes_read": os.path.getsize(path)}
    assert errors["groups"] == {"db": 2, "api": 1}
    assert errors["status"] == "critical"
    assert errors["summary"] == ("errors: 3 matches in the last 5m of %s (5 lines) [by logger: db 2, api 1] "
                                 "(critical > 2)" % path)
    assert json.loads(errors["last_match"])["level"] == "fatal"
    assert results["http500"]["metrics"]["matches"] == 2  # 500 and "500"
    assert results["nested"]["metrics"]["matches"] == 1
    assert results["has logger"]["metrics"]["matches"] == 4
    assert results["raw"]["metrics"]["matches"] == 1  # a regex sees the raw JSON text
    assert errors["files"] == [{"path": path, "bytes_read": os.path.getsize(path), "lines_read": 6,
                                "rotated": False}]
    assert errors["window_start"].endswith("Z") and errors["since"] == "5m"


def test_syslog_lines(tmp_path):
    now = time.time()
    path = write(tmp_path / "syslog", [
        "%s host sshd[10]: Failed password for root from 192.0.2.1" % syslog(now - 7200),
        "%s host sshd[11]: Failed password for admin from 192.0.2.2" % syslog(now - 1200),
        "%s host sshd[12]: Failed password for root from 192.0.2.3" % syslog(now - 500),
        "%s host sshd[13]: Accepted publickey for deploy" % syslog(now - 400),
        "%s host sshd[14]: Failed password for root from 192.0.2.4" % syslog(now - 30),
    ])
    result = scan(path, "15m", [{"name": "failed", "regex": r"Failed password for (?P<user>\S+)",
                                 "group_by": "user", "warning": 1}])[0]
    assert result["metrics"]["matches"] == 2 and result["metrics"]["lines_scanned"] == 3
    assert result["groups"] == {"root": 2}
    assert result["status"] == "warning"


def test_iso_and_common_log_format_lines(tmp_path):
    now = time.time()
    iso_path = write(tmp_path / "app.log", [
        "%s ERROR old" % iso_local(now - 3600),
        "%s ERROR recent" % iso_local(now - 60),
        "%s INFO fine" % iso_local(now - 30),
    ])
    assert scan(iso_path, "10m", [ERRORS])[0]["metrics"]["matches"] == 1
    access = write(tmp_path / "access.log", [
        '127.0.0.1 - - %s "GET / HTTP/1.1" 500 12 "-" "curl"' % clf(now - 4000),
        '127.0.0.1 - - %s "GET /a HTTP/1.1" 502 12 "-" "curl"' % clf(now - 100),
        '::1 - - %s "GET /b HTTP/1.1" 200 12 "-" "curl"' % clf(now - 90),
        '::1 - - %s "GET /c HTTP/1.1" 503 12 "-" "curl"' % clf(now - 80),
    ])
    result = scan(access, "1h", [{"name": "5xx", "regex": r'" (?P<status>5\d\d) ', "group_by": "status"}])[0]
    assert result["metrics"]["matches"] == 2
    assert result["groups"] == {"502": 1, "503": 1}


def test_mixed_log_json_first_then_regex_fallback_and_stack_traces_inherit(tmp_path):
    now = time.time()
    path = write(tmp_path / "mixed.log", [
        json.dumps({"time": iso_utc(now - 1000), "level": "error", "msg": "old json"}),
        "%s ERROR old plain line" % iso_local(now - 900),
        "Traceback (most recent call last):",
        "  ERROR in an old stack trace",
        json.dumps({"time": iso_utc(now - 200), "level": "error", "msg": "json error"}),
        "%s ERROR plain error" % iso_local(now - 100),
        "Traceback (most recent call last):",
        '  File "app.py", line 1, in <module>',
        "ValueError: ERROR inside the trace",
        json.dumps({"time": iso_utc(now - 50), "level": "info", "msg": "ERROR mentioned in an info message"}),
    ])
    results = by_name(scan(path, "5m", [
        {"name": "errors", "field": "level", "equals": "error", "regex": r"\bERROR\b"},
        {"name": "json only", "field": "level", "equals": "error"},
        {"name": "tracebacks", "regex": "^Traceback"},
    ]))
    # json error + plain error + the trace's ERROR line; the info JSON line is judged on its field
    assert results["errors"]["metrics"]["matches"] == 3
    assert results["json only"]["metrics"]["matches"] == 1
    # the old stack trace belongs to the old plain line before it: outside the window
    assert results["tracebacks"]["metrics"]["matches"] == 1
    assert results["errors"]["metrics"]["lines_scanned"] == 6


def test_lines_before_the_first_timestamp_count_with_it(tmp_path):
    now = time.time()
    path = write(tmp_path / "app.log", [
        "starting app, ERROR banner without a timestamp",
        "%s ERROR first" % iso_local(now - 60),
    ])
    result = scan(path, "5m", [ERRORS])[0]
    assert result["metrics"]["matches"] == 2 and result["status"] == "ok"


def test_scan_stops_at_the_first_line_older_than_the_window(tmp_path):
    """Lines are assumed in time order: an older line ends the scan even if newer ones precede it."""
    now = time.time()
    path = write(tmp_path / "app.log", [
        "%s ERROR recent but before an old one" % iso_local(now - 30),
        "%s ERROR delayed write of an old line" % iso_local(now - 3600),
        "%s ERROR newest" % iso_local(now - 10),
    ])
    result = scan(path, "5m", [ERRORS])[0]
    assert result["metrics"]["matches"] == 1
    assert result["files"][0]["lines_read"] == 2


def test_large_file_reads_only_the_tail(tmp_path):
    """200 MB of old lines and 50 recent ones: a count of bytes read, not a timing."""
    now = time.time()
    old_line = ("%s host app[1]: ERROR an old problem that must not be counted\n" % syslog(now - 86400)).encode()
    block = old_line * (1024 * 1024 // len(old_line) + 1)
    path = str(tmp_path / "huge.log")
    try:
        with open(path, "wb") as handle:
            while handle.tell() < 200 * 1024 * 1024:
                handle.write(block)
            for i in range(50):
                handle.write(("%s host app[1]: %s request %d\n" % (
                    syslog(now - 120 + i), "ERROR" if i % 5 == 0 else "INFO", i)).encode())
        size = os.path.getsize(path)
        assert size > 200 * 1024 * 1024
        result = scan(path, "10m", [ERRORS])[0]
        assert result["metrics"]["matches"] == 10
        assert result["metrics"]["lines_scanned"] == 50
        assert result["metrics"]["bytes_read"] <= 2 * log_reader.BLOCK_SIZE
        assert result["files"][0]["lines_read"] == 51
        print("huge log: %d bytes, read %d" % (size, result["metrics"]["bytes_read"]))
    finally:
        os.unlink(path)


def test_file_last_modified_before_the_window_is_not_read(tmp_path):
    now = time.time()
    path = write(tmp_path / "quiet.log", ["%s ERROR x" % iso_local(now - 7200)], mtime=now - 7000)
    result = scan(path, "5m", [ERRORS])[0]
    assert result["metrics"] == {"matches": 0, "lines_scanned": 0, "bytes_read": 0}
    assert result["files"][0]["skipped"] == "last modified before the window"
    assert result["status"] == "ok"


# --- rotation ------------------------------------------------------------------------------

def test_rotated_file_holding_part_of_the_window_is_read(tmp_path):
    now = time.time()
    path = write(tmp_path / "app.log", ["%s ERROR after rotation %d" % (iso_local(now - 100 + i), i) for i in range(3)])
    rotated = write(tmp_path / "app.log.1", [
        "%s ERROR before the window" % iso_local(now - 1000),
        "%s ERROR inside the window, before rotation" % iso_local(now - 250),
        "%s INFO rotated soon" % iso_local(now - 200),
        "continuation ERROR line of the INFO entry",
    ], mtime=now - 200)
    result = scan(path, "5m", [ERRORS])[0]
    assert result["metrics"]["matches"] == 5
    assert result["metrics"]["lines_scanned"] == 6
    assert [(f["path"], f["rotated"], f["lines_read"]) for f in result["files"]] == [
        (path, False, 3), (rotated, True, 4)]
    assert result["summary"].startswith("errors: 5 matches in the last 5m of %s (and %s) (6 lines)" % (path, rotated))
    assert result["metrics"]["bytes_read"] == os.path.getsize(path) + os.path.getsize(rotated)


def test_rotated_file_is_not_read_when_the_window_ends_in_the_current_file(tmp_path):
    now = time.time()
    path = write(tmp_path / "app.log", ["%s ERROR old" % iso_local(now - 1000), "%s ERROR new" % iso_local(now - 10)])
    write(tmp_path / "app.log.1", ["%s ERROR recent-looking but rotated" % iso_local(now - 20)])
    result = scan(path, "5m", [ERRORS])[0]
    assert result["metrics"]["matches"] == 1
    assert [f["path"] for f in result["files"]] == [path]


def test_head_continuation_inherits_the_rotated_files_last_entry(tmp_path):
    """A stack trace split by rotation belongs to the rotated file's last entry, which is old."""
    now = time.time()
    path = write(tmp_path / "app.log", ["  ERROR at the top of the new file", "%s INFO new" % iso_local(now - 10)])
    write(tmp_path / "app.log.1", ["%s ERROR long ago" % iso_local(now - 3600)])
    assert scan(path, "5m", [ERRORS])[0]["metrics"]["matches"] == 0
    # the same when the rotated file's modification time already says it is older than the window
    os.utime(str(tmp_path / "app.log.1"), (now - 3600, now - 3600))
    result = scan(path, "5m", [ERRORS])[0]
    assert result["metrics"]["matches"] == 0
    assert result["files"][1]["skipped"] == "last modified before the window"


def test_glob_reads_rotations_once_and_skips_compressed_files(tmp_path):
    now = time.time()
    write(tmp_path / "app.log", ["%s ERROR a" % iso_local(now - 10)])
    write(tmp_path / "app.log.1", ["%s ERROR b" % iso_local(now - 20)])
    with open(str(tmp_path / "app.log.2.gz"), "wb") as handle:
        handle.write(b"\x1f\x8b not really")
    write(tmp_path / "other.log", ["%s ERROR c" % iso_local(now - 30)])
    with open(str(tmp_path / "lonely.log.gz"), "wb") as handle:
        handle.write(b"\x1f\x8b")
    result = scan(str(tmp_path / "*.log*"), "5m", [ERRORS])[0]
    assert result["metrics"]["matches"] == 3
    files = dict((os.path.basename(f["path"]), f) for f in result["files"])
    assert sorted(files) == ["app.log", "app.log.1", "lonely.log.gz", "other.log"]
    assert files["app.log.1"]["rotated"] is True
    assert files["lonely.log.gz"]["skipped"].startswith("compressed")
    assert "of 2 files (and 1 rotated)" in result["summary"]
    assert result["status"] == "ok"


# --- what cannot be scanned ----------------------------------------------------------------

def test_only_compressed_files_is_unknown(tmp_path):
    with open(str(tmp_path / "app.log.gz"), "wb") as handle:
        handle.write(b"\x1f\x8b")
    result = scan(str(tmp_path / "*.gz"), "5m", [ERRORS])[0]
    assert result["status"] == "unknown"
    assert result["summary"] == ("errors: cannot scan: only compressed files match (%s/app.log.gz), and only "
                                 "plain-text logs are read" % tmp_path)


def test_plain_number_since_is_seconds(tmp_path):
    now = time.time()
    path = write(tmp_path / "app.log", ["%s ERROR x" % iso_local(now - 100), "%s ERROR y" % iso_local(now - 10)])
    result = scan(path, 60, [ERRORS])[0]
    assert result["metrics"]["matches"] == 1
    assert result["summary"].startswith("errors: 1 match in the last 60s of ")


def test_nonexistent_path_is_unknown(tmp_path):
    missing = str(tmp_path / "nope.log")
    results = scan(missing, "5m", [ERRORS, {"name": "warnings", "regex": "WARN"}])
    assert [r["status"] for r in results] == ["unknown", "unknown"]
    assert results[0]["summary"] == "errors: cannot scan: %s does not exist" % missing
    assert results[0]["metrics"] == {"matches": None, "lines_scanned": 0, "bytes_read": 0}
    glob_result = scan(str(tmp_path / "*.log"), "5m", [ERRORS])[0]
    assert glob_result["summary"] == "errors: cannot scan: no file matches %s/*.log" % tmp_path


def test_directory_and_broken_symlink_are_unknown(tmp_path):
    result = scan(str(tmp_path), "5m", [ERRORS])[0]
    assert result["status"] == "unknown"
    assert "%s is a directory; give a file or a glob such as %s/*.log" % (tmp_path, tmp_path) in result["summary"]
    link = tmp_path / "dangling.log"
    os.symlink(str(tmp_path / "gone"), str(link))
    assert "is a broken symbolic link" in scan(str(link), "5m", [ERRORS])[0]["summary"]


def test_one_missing_file_among_several_adds_unknown_to_the_counts(tmp_path):
    now = time.time()
    path = write(tmp_path / "a.log", ["%s ERROR x" % iso_local(now - 10)])
    missing = str(tmp_path / "b.log")
    results = scan([path, missing], "5m", [ERRORS, {"name": "critical one", "regex": "ERROR", "critical": 0}])
    assert results[0]["status"] == "unknown"
    assert results[0]["metrics"]["matches"] == 1
    assert results[0]["summary"].endswith("; incomplete: %s does not exist" % missing)
    # critical outranks unknown
    assert results[1]["status"] == "critical"


def as_unprivileged_user(func):
    """Call ``func`` in a forked child running as nobody (when root) and return its JSON-able value."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        status = 0
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            with os.fdopen(write_end, "w") as handle:
                handle.write(json.dumps(func()))
        except BaseException as exc:  # noqa: B902 - any failure must reach the parent
            status = 1
            sys.stderr.write("child failed: %r\n" % (exc,))
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end) as handle:
        data = handle.read()
    _pid, status = os.waitpid(pid, 0)
    assert status == 0, "the unprivileged child failed"
    return json.loads(data)


def test_unreadable_files_are_unknown():
    """As an unprivileged user (nobody, when the tests run as root): a file and a directory it cannot read."""
    base = tempfile.mkdtemp(prefix="sre-health-perm-")
    try:
        os.chmod(base, 0o755)
        now = time.time()
        readable = write(os.path.join(base, "ok.log"), ["%s ERROR x" % iso_local(now - 10)])
        secret = write(os.path.join(base, "secret.log"), ["%s ERROR y" % iso_local(now - 10)])
        os.chmod(secret, 0o600)
        closed = os.path.join(base, "closed")
        os.mkdir(closed, 0o700)
        inside = write(os.path.join(closed, "app.log"), ["x"])
        os.chmod(readable, 0o644)
        out = as_unprivileged_user(lambda: [scan(p.split(","), "5m", [ERRORS])[0]
                                            for p in (secret, inside, readable + "," + secret)])
        (s1, summary1, m1), (s2, summary2, _m2), (s3, summary3, m3) = [
            (r["status"], r["summary"], r["metrics"]) for r in out]
        assert s1 == "unknown" and summary1 == "errors: cannot scan: cannot read %s: Permission denied" % secret
        assert m1["matches"] is None
        assert s2 == "unknown" and summary2 == "errors: cannot scan: cannot read %s: Permission denied" % inside
        assert s3 == "unknown" and summary3.endswith("; incomplete: cannot read %s: Permission denied" % secret)
        assert m3["matches"] == 1
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = str(tmp_path / "pipe.log")
    os.mkfifo(fifo)
    result = scan(fifo, "5m", [ERRORS])[0]
    assert result["status"] == "unknown"
    assert result["summary"] == "errors: cannot scan: %s is not a regular file" % fifo


def test_file_without_timestamps_is_unknown(tmp_path):
    path = write(tmp_path / "plain.log", ["ERROR one", "ERROR two"])
    result = scan(path, "5m", [ERRORS])[0]
    assert result["status"] == "unknown"
    assert "no line of %s has a timestamp this check can read" % path in result["summary"]


def test_long_undated_tail_stops_after_a_bounded_read(tmp_path):
    now = time.time()
    path = str(tmp_path / "undated.log")
    with open(path, "w") as handle:
        handle.write("%s ERROR dated, far up\n" % iso_local(now - 10))
        line = "ERROR " + "y" * 94 + "\n"
        handle.write(line * (3 * 1024 * 1024 // len(line)))
    result = scan(path, "5m", [ERRORS])[0]
    assert result["status"] == "unknown"
    assert "no timestamp in the last 1" in result["summary"]
    assert result["metrics"]["bytes_read"] <= log_reader.UNDATED_LIMIT + log_reader.BLOCK_SIZE


def test_empty_file_is_ok(tmp_path):
    path = write(tmp_path / "empty.log", [])
    result = scan(path, "5m", [ERRORS])[0]
    assert result["status"] == "ok" and result["metrics"] == {"matches": 0, "lines_scanned": 0, "bytes_read": 0}


# --- thresholds ----------------------------------------------------------------------------

def test_no_default_thresholds_and_level_by_level_merge(tmp_path):
    now = time.time()
    path = write(tmp_path / "app.log", ["%s ERROR %d" % (iso_local(now - 60 + i), i) for i in range(5)])
    results = scan(path, "5m", [
        {"name": "plain", "regex": "ERROR"},
        {"name": "own critical", "regex": "ERROR", "critical": 10},
        {"name": "warning removed", "regex": "ERROR", "warning": ""},
        {"name": "any match", "regex": "ERROR", "critical": "@1:"},
    ], thresholds={"matches": {"warning": 3}})
    assert [r["status"] for r in results] == ["warning", "warning", "ok", "critical"]
    assert results[1]["thresholds"] == {"matches": {"warning": 3, "critical": 10}}
    assert results[2]["thresholds"] == {}
    assert results[3]["summary"].endswith("(critical >= 1)")
    bare = scan(path, "5m", [{"name": "plain", "regex": "ERROR"}])[0]
    assert bare["status"] == "ok" and bare["thresholds"] == {}


def test_without_patterns_reports_the_window_and_can_alert_on_a_silent_log(tmp_path):
    now = time.time()
    path = write(tmp_path / "app.log", ["%s INFO tick" % iso_local(now - 3000)])
    result = scan(path, "5m", thresholds={"lines_scanned": {"critical": "1:"}})
    assert len(result) == 1
    result = result[0]
    assert result["name"] == "log:" + path
    assert result["metrics"] == {"lines_scanned": 0, "bytes_read": os.path.getsize(path)}
    assert result["status"] == "critical"
    assert result["summary"] == "0 lines in the last 5m of %s (critical < 1)" % path


def test_group_values_are_bounded(tmp_path):
    now = time.time()
    path = write(tmp_path / "app.log", [json.dumps({"ts": now - 60, "level": "error", "user": "u%03d" % i})
                                        for i in range(150)])
    result = scan(path, "5m", [{"name": "errors", "field": "level", "equals": "error"}], group_by="user")[0]
    groups = result["groups"]
    assert len(groups) == log_reader.MAX_GROUPS + 1
    assert groups[log_reader.OTHER_GROUP] == 150 - log_reader.MAX_GROUPS
    assert sum(groups.values()) == 150


def test_last_match_is_the_newest_across_files(tmp_path):
    now = time.time()
    first = write(tmp_path / "a.log", ["%s ERROR from a" % iso_local(now - 100)])
    second = write(tmp_path / "b.log", ["%s ERROR from b" % iso_local(now - 50), "%s INFO" % iso_local(now - 5)])
    result = scan([first, second], "5m", [ERRORS, {"name": "none", "regex": "NOPE"}], return_last_match=True)
    assert result[0]["last_match"].endswith("ERROR from b")
    assert result[1]["last_match"] is None
    assert "last_match" not in scan(first, "5m", [ERRORS])[0]


def test_concurrent_scans_are_independent(tmp_path):
    now = time.time()
    paths = []
    for n in range(6):
        paths.append(write(tmp_path / ("app%d.log" % n), ["%s ERROR %d" % (iso_local(now - 60), i) for i in range(n)]))

    def task(path):
        return lambda: scan(path, "5m", [ERRORS])[0]["metrics"]["matches"]

    outcome = run_all([(task(p), 30) for p in paths * 3], max_workers=6)
    assert [value for value, _exc, _d in outcome.results] == list(range(6)) * 3


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("since", ["5 minutes", "0", "-5m", "5x", "", "5%", None, True, "1e308d", "1e300", 1e300, "400d"])
def test_bad_since(tmp_path, since):
    with pytest.raises(OptionError) as err:
        scan(str(tmp_path / "a.log"), since, [ERRORS])
    assert err.value.option == "since"
    assert "a duration such as 30s, 5m" in str(err.value)


@pytest.mark.parametrize("since, seconds", [("5m", 300), ("90s", 90), ("1h", 3600), ("1d", 86400), ("300", 300),
                                            (" 2h ", 7200), ("500ms", 0.5), (120, 120)])
def test_since(since, seconds):
    assert kind.parse_since(since) == seconds


@pytest.mark.parametrize("params, option, fragment", [
    ({"path": ["relative.log"]}, "path", "absolute file paths"),
    ({"path": []}, "path", "one or more"),
    ({"patterns": [ERRORS, {"name": "bad", "regex": "(unclosed"}]}, "patterns[1].regex",
     "a valid Python regular expression (missing ), unterminated subpattern"),
    ({"patterns": [{"name": "x", "field": "msg", "field_regex": "*"}]}, "patterns[0].field_regex", "nothing to repeat"),
    ({"patterns": [{"name": "x"}]}, "patterns[0]", "regex, or field"),
    ({"patterns": [{"name": "", "regex": "x"}]}, "patterns[0].name", "non-empty"),
    ({"patterns": [ERRORS, ERRORS]}, "patterns[1].name", "not used by patterns[0]"),
    ({"patterns": [{"name": "x", "regex": "x", "equals": "a"}]}, "patterns[0].equals", "only together with field"),
    ({"patterns": [{"name": "x", "regex": "x", "regexp": "a"}]}, "patterns[0].regexp", "keys critical, equals"),
    ({"patterns": ["ERROR"]}, "patterns[0]", "a dict"),
    ({"patterns": [{"name": "x", "regex": ""}]}, "patterns[0].regex", "non-empty"),
    ({"group_by": " "}, "group_by", "named group"),
])
def test_bad_options_name_the_option(tmp_path, params, option, fragment):
    params = dict(params)
    path = params.pop("path", [str(tmp_path / "a.log")])
    patterns = params.pop("patterns", [ERRORS])
    with pytest.raises(OptionError) as err:
        scan(path, "5m", patterns, **params)
    assert err.value.option == option
    assert fragment in str(err.value)


def test_bad_pattern_range_names_the_pattern(tmp_path):
    with pytest.raises(ThresholdError) as err:
        scan(str(tmp_path / "a.log"), "5m", [ERRORS, {"name": "x", "regex": "x", "critical": "10:1"}])
    assert err.value.option == "patterns[1].critical"
    assert "greater than end" in str(err.value)


def test_the_log_kind_keeps_the_protocol(tmp_path):
    """validate() once returns one Config; run(config) never validates again; _kind.check runs it whole."""
    from ansible_collections.sre.health.plugins.module_utils import _kind

    assert all(hasattr(_logscan, name) for name in _kind.PROTOCOL)
    path = write(tmp_path / "a.log", ["%s ERROR boom" % iso_utc(time.time() - 5)])
    config = _logscan.validate({"path": [path], "since": "5m", "patterns": [ERRORS]})
    assert isinstance(config, _kind.Config) and config.seconds == 300.0 and config.since_text == "5m"
    results = _kind.check(_logscan, {"path": [path], "since": 300, "patterns": [ERRORS]}, name="app")
    assert [(r["name"], r["metrics"]["matches"]) for r in results] == [("app:errors", 1)]
    assert results[0]["since"] == "300s"
    with pytest.raises(OptionError, match="option since: '1e308d' is not a finite duration"):
        _kind.check(_logscan, {"path": [path], "since": "1e308d"})


# --- hostile input: JSON nested deeper than any log format ----------------------------------------

def deep_object(depth, inner="1"):
    """``{"a":{"a":...}}`` with ``depth`` objects, as one line."""
    return '{"a":' * (depth - 1) + '{"a":%s' % inner + "}" * depth


def test_a_deeply_nested_json_line_is_text_and_every_other_line_still_counts(tmp_path):
    """One line nested thousands of levels deep blinded the check (RecursionError, unknown): it is a
    text line now (a regex still sees it) and the lines before and after it are counted."""
    now = time.time()
    path = write(tmp_path / "app.log", [
        "%s ERROR before, as text" % iso_utc(now - 200),
        json.dumps({"time": iso_utc(now - 150), "level": "error", "msg": "before, as JSON"}),
        '{"time": "%s", "level": "error", "msg": "ERROR hidden", "x": %s}' % (iso_utc(now - 100), deep_object(5000)),
        "[" * 5000 + "]" * 5000,
        "{" * 100000,
        json.dumps({"time": iso_utc(now - 50), "level": "error", "msg": "after ERROR, as JSON"}),
        "%s ERROR after, as text" % iso_utc(now - 10),
    ])
    results = by_name(scan(path, "5m", [
        ERRORS,
        {"name": "level", "field": "level", "equals": "error"},
        {"name": "level or text", "field": "level", "equals": "error", "regex": r"\bERROR\b"},
    ]))
    assert [r["status"] for r in results.values()] == ["ok", "ok", "ok"], [r["summary"] for r in results.values()]
    assert results["errors"]["metrics"]["matches"] == 4  # both text lines, the deep line's text, the JSON "after ERROR"
    assert results["level"]["metrics"]["matches"] == 2  # the two JSON lines: the deep line has no fields
    assert results["level or text"]["metrics"]["matches"] == 5
    assert results["errors"]["metrics"]["lines_scanned"] == 7


def test_a_log_replaced_by_a_fifo_after_expand_does_not_block(tmp_path, monkeypatch):
    """expand() refuses a FIFO; one put in a log's place after it looked is refused when opened (the
    race is made by letting expand() pass it; the O_NONBLOCK open and fstat() are real)."""
    now = time.time()
    log = write(tmp_path / "app.log", ["%s ERROR real" % iso_utc(now - 10)])
    fifo = str(tmp_path / "swapped.log")
    os.mkfifo(fifo)
    monkeypatch.setattr(log_reader, "_not_a_log", lambda path: None)
    outcome = run_all([(lambda: scan([log, fifo], "5m", [ERRORS]), 30)])
    value, exc, _duration = outcome.results[0]
    assert exc is None, exc
    result = value[0]
    assert result["status"] == "unknown" and "%s is not a regular file" % fifo in result["summary"]
    assert result["metrics"]["matches"] == 1  # the real log is still counted
