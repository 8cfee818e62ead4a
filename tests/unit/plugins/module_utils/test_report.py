# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fleet reports, read back by their real consumers: json, an XML schema check of the JUnit file,
prometheus_client's textfile parser, and headless Chromium for the HTML page."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import struct
import subprocess
import zlib

import pytest

from ansible_collections.sre.health.plugins.module_utils import _report

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
NOW = datetime.datetime(2026, 11, 22, 16, 5, 11, tzinfo=datetime.timezone.utc)
MARKUP = '<script>alert("x")</script>&<b>'


def check(name, status, summary, kind="disk", **metrics):
    return {"name": name, "kind": kind, "status": status, "summary": summary, "metrics": metrics,
            "thresholds": {}, "duration_ms": 12.5}


RESULTS = [
    {"host": "web1", "status": "ok", "health": "healthy", "summary": "3 checks ok",
     "checks": [check("disk:/", "ok", "/ 22% used", used_percent=22.0, free_bytes=1000),
                check("memory", "ok", "memory 2% used", kind="memory", used_percent=2.0, swap_used_percent=None),
                check("nginx", "ok", "nginx running", kind="process", count=3)]},
    {"host": "web2", "status": "critical", "health": "unhealthy", "summary": "1 of 2 checks not ok",
     "checks": [check("disk:/", "ok", "/ 30% used", used_percent=30.0),
                check("nginx", "critical", "nginx: no process running (critical < 1)", kind="process", count=0)]},
    {"host": "db1", "status": "warning", "health": "degraded", "summary": "1 of 1 checks not ok",
     "checks": [check("disk:/data", "warning", "/data 85% used (warning > 80%)", used_percent=85.0)]},
    {"host": "odd", "status": "unknown", "health": "unhealthy", "summary": "checks[0] (x): bad definition",
     "checks": []},
    {"host": 'evil"\\host', "status": "unknown", "health": "unhealthy", "summary": MARKUP,
     "checks": [check(MARKUP, "unknown", MARKUP, kind="log", matches=True)]},
]


def write(tmp_path, results=None, formats=None, **kwargs):
    results = RESULTS if results is None else results
    kwargs.setdefault("hosts", [r["host"] for r in results] + ["gone"])
    return _report.write_reports(results, str(tmp_path / "reports"), formats or list(_report.FORMATS), now=NOW,
                                 **kwargs)


def leftovers(directory):
    return sorted(n for n in os.listdir(str(directory)) if n.endswith(".tmp"))


def test_hosts_are_sorted_worst_first_and_missing_hosts_are_unknown():
    hosts = _report.normalize(RESULTS, ["web1", "gone"])
    # unknown (unreachable, unmeasured) is unhealthy: it sorts with critical, before degraded
    assert [h["host"] for h in hosts] == ["web2", 'evil"\\host', "gone", "odd", "db1", "web1"]
    gone = [h for h in hosts if h["host"] == "gone"][0]
    assert gone["status"] == "unknown" and gone["summary"] == _report.NO_RESULT and gone["checks"] == []
    fleet = _report.totals(hosts)
    assert (fleet["hosts"], fleet["healthy"], fleet["degraded"], fleet["unhealthy"]) == (6, 1, 1, 4)
    assert fleet["status"] == "critical" and fleet["health"] == "unhealthy"
    assert fleet["checks"] == {"ok": 4, "warning": 1, "critical": 1, "unknown": 1}
    assert fleet["unhealthy_hosts"] == ["web2", 'evil"\\host', "gone", "odd"] and fleet["degraded_hosts"] == ["db1"]


def test_an_unreachable_hosts_reason_is_shown_with_its_secrets_masked():
    reason = ("unreachable: winrm: https://admin:hunter2@127.0.0.2:5986/wsman?token=abc123 refused; "
              "sshpass password=letmein failed")
    hosts = _report.normalize([{"host": "win1", "status": "unknown", "summary": reason}], ["win1", "ok1"])
    summary = [h for h in hosts if h["host"] == "win1"][0]["summary"]
    assert summary == ("unreachable: winrm: https://admin:********@127.0.0.2:5986/wsman?token=******** refused; "
                       "sshpass password=******** failed")
    for secret in ("hunter2", "abc123", "letmein"):
        assert secret not in summary


def test_json_holds_every_host_and_the_totals(tmp_path):
    paths, fleet = write(tmp_path)
    with open(paths["json"]) as handle:
        document = json.load(handle)
    assert document["generated"] == "2026-11-22T16:05:11+00:00"
    assert document["totals"] == fleet
    assert [h["host"] for h in document["hosts"]][0] == "web2"
    web1 = [h for h in document["hosts"] if h["host"] == "web1"][0]
    assert web1["checks"][0]["metrics"] == {"used_percent": 22.0, "free_bytes": 1000}
    assert leftovers(tmp_path / "reports") == []


def test_junit_validates_against_the_schema_and_maps_statuses(tmp_path):
    xmlschema = pytest.importorskip("xmlschema")
    paths, _fleet = write(tmp_path)
    schema = xmlschema.XMLSchema(os.path.join(FIXTURES, "junit.xsd"))
    schema.validate(paths["junit"])
    import xml.etree.ElementTree as ET
    root = ET.parse(paths["junit"]).getroot()
    suites = dict((s.get("name"), s) for s in root.findall("testsuite"))
    assert sorted(suites) == sorted(["web1", "web2", "db1", "odd", 'evil"\\host', "gone"])
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "1", "3")
    web2 = suites["web2"]
    assert (web2.get("tests"), web2.get("failures"), web2.get("errors")) == ("2", "1", "0")
    failure = web2.find("testcase[@name='nginx']/failure")
    assert failure.get("message") == "nginx: no process running (critical < 1)" and failure.get("type") == "critical"
    assert web2.find("testcase[@name='nginx']").get("classname") == "web2.process"
    # a warning passes, with its summary kept
    assert suites["db1"].find("testcase/system-out").text == "WARNING: /data 85% used (warning > 80%)"
    assert suites["db1"].get("failures") == "0"
    # a host without check results is one errored testcase
    gone = suites["gone"].findall("testcase")
    assert len(gone) == 1 and gone[0].get("name") == "health_check"
    assert gone[0].find("error").get("message") == _report.NO_RESULT
    # markup is data: it round-trips as text
    assert suites['evil"\\host'].find("testcase").get("name") == MARKUP


def test_hostile_text_is_well_formed_xml_and_cut_where_too_long(tmp_path):
    # A summary with control characters (an HTTP reason phrase, a log line) made the JUnit file
    # invalid XML; text from hosts was never cut.
    hostile = "HTTP 200 \x00\x07\x1b[31mred\x0b \ud83d end"
    results = [{"host": "h\x01", "status": "critical", "health": "unhealthy", "summary": "x" * 100000,
                "checks": [check("c\x02", "critical", hostile), check("long", "ok", "y" * 100000)]}]
    paths, _fleet = write(tmp_path, results=results, hosts=[])
    import xml.etree.ElementTree as ET
    root = ET.parse(paths["junit"]).getroot()  # parses: well-formed
    failure = root.find("testsuite/testcase/failure")
    # shown as their escapes, not as U+FFFD (which said that something was there, not what)
    assert failure.get("message") == u"HTTP 200 \\x00\\x07\\x1b[31mred\\x0b \\ud83d end"
    assert root.find("testsuite").get("name") == "h\\x01"
    with open(paths["json"]) as handle:
        document = json.load(handle)
    host = document["hosts"][0]
    assert host["summary"] == "x" * 2000 + "... (cut: 98000 more characters)"
    assert host["checks"][1]["summary"].endswith("... (cut: 98000 more characters)")
    assert os.path.getsize(paths["html"]) < 50000


def test_prometheus_textfile_parses_and_is_unique(tmp_path):
    parser = pytest.importorskip("prometheus_client.parser")
    paths, _fleet = write(tmp_path)
    with open(paths["prometheus"]) as handle:
        text = handle.read()
    families = dict((f.name, f) for f in parser.text_string_to_metric_families(text))
    assert sorted(families) == ["sre_health_check_duration_seconds", "sre_health_check_status",
                                "sre_health_check_value", "sre_health_host_status",
                                "sre_health_report_timestamp_seconds"]
    for family in families.values():
        assert family.type == "gauge" and family.documentation
    for name in families:
        assert text.count("# TYPE %s " % name) == 1 and text.count("# HELP %s " % name) == 1
    series = [(s.name, tuple(sorted(s.labels.items()))) for f in families.values() for s in f.samples]
    assert len(series) == len(set(series))
    host_status = dict((s.labels["host"], s.value) for s in families["sre_health_host_status"].samples)
    assert host_status == {"web2": 2, "db1": 1, 'evil"\\host': 3, "gone": 3, "odd": 3, "web1": 0}
    values = dict(((s.labels["host"], s.labels["check"], s.labels["metric"]), s.value)
                  for s in families["sre_health_check_value"].samples)
    assert values[("web1", "disk:/", "used_percent")] == 22.0
    assert values[("web2", "nginx", "count")] == 0
    # null metrics are left out, booleans are 0/1, and label values survive escaping
    assert ("web1", "memory", "swap_used_percent") not in values
    assert values[('evil"\\host', MARKUP, "matches")] == 1
    assert families["sre_health_report_timestamp_seconds"].samples[0].value == NOW.timestamp()
    durations = [s.value for s in families["sre_health_check_duration_seconds"].samples]
    assert durations and all(d == 0.0125 for d in durations)


def test_html_escapes_everything_from_hosts(tmp_path):
    paths, _fleet = write(tmp_path)
    with open(paths["html"], encoding="utf-8") as handle:
        page = handle.read()
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;" in page
    assert 'evil&quot;\\host' in page
    assert "http://" not in page and "https://" not in page and "src=" not in page  # self-contained


def _png_pixels(path):
    """RGB(A) rows of a PNG as Chromium writes it (8-bit, non-interlaced), decoded with zlib alone."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    width = height = color_type = None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color_type, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and color_type in (2, 6)
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    bpp = 3 if color_type == 2 else 4
    stride = width * bpp
    rows, prev, offset = [], bytearray(stride), 0
    for _y in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            upleft = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else upleft)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on this machine (make system-deps installs Debian's chromium as root)")


def test_html_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    paths, _fleet = write(tmp_path)
    url = "file://" + paths["html"]
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--user-data-dir=%s" % (tmp_path / "profile")]
    dom = subprocess.run(common + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
    # the rendered DOM lists the hosts worst first, each with its status
    matrix = dom.split('id="matrix"')[1]
    order = [line.split('data-host="')[1].split('"')[0] for line in matrix.split("<tr ") if 'data-host="' in line]
    assert order == ["web2", "evil&quot;\\host", "gone", "odd", "db1", "web1"]
    assert 'data-host="web2" data-status="critical"' in dom and 'data-host="web1" data-status="ok"' in dom
    assert "6 hosts, fleet critical" in dom and "<script>alert" not in dom
    shot = tmp_path / "page.png"
    subprocess.run(common + ["--screenshot=%s" % shot, "--window-size=1000,700", "--hide-scrollbars", url],
                   capture_output=True, timeout=120, check=True)
    width, height, bpp, rows = _png_pixels(str(shot))
    assert (width, height) == (1000, 700)
    seen = set()
    for row in rows:
        for x in range(0, width * bpp, bpp):
            seen.add(row[x:x + 3])
    for status, color in _report.STATUS_COLORS.items():
        rgb = bytes(int(color[i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in seen, "the %s colour %s is not on the screenshot" % (status, color)


def test_file_names_carry_the_awx_job(tmp_path):
    paths, _fleet = write(tmp_path, formats=["json", "prometheus"], job_id="1234")
    names = sorted(os.path.basename(p) for p in paths.values())
    assert names == ["fleet-health.job-1234.json", "fleet-health.job-1234.prom"]
    assert _report.file_name("health", "junit", "../x") == "health.job-___x.junit.xml"


@pytest.mark.parametrize("formats, directory, basename, message", [
    (["json", "pdf"], "/tmp/r", "fleet-health",
     "option formats: 'pdf' is unknown; accepted: json, junit, prometheus, html"),
    ([], "/tmp/r", "fleet-health", "option formats: [] is invalid"),
    (["json"], "reports", "fleet-health", "option dir: 'reports' is invalid; accepted: an absolute directory path"),
    (["json"], "/tmp/r", "../etc/passwd", "option basename: '../etc/passwd' is invalid"),
])
def test_bad_options(formats, directory, basename, message):
    with pytest.raises(_report.ReportError) as info:
        _report.write_reports(RESULTS, directory, formats, basename)
    assert message in str(info.value)


def test_bad_results_name_the_item():
    with pytest.raises(_report.ReportError, match=r"option results: item 1 is invalid; accepted: a dict with a host"):
        _report.normalize([{"host": "a"}, {"status": "ok"}])


def test_an_unwritable_directory_is_a_clear_error_and_nothing_is_written(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a regular file")
    with pytest.raises(_report.ReportError) as info:
        _report.write_reports(RESULTS, str(blocker / "reports"), ["json"])
    assert str(info.value).startswith("option dir: %r is not a writable directory (" % str(blocker / "reports"))
    assert "accepted: a directory this user can create and write" in str(info.value)


def test_a_failed_write_keeps_the_previous_report_whole(tmp_path, monkeypatch):
    paths, _fleet = write(tmp_path, formats=["json"])
    with open(paths["json"]) as handle:
        before = handle.read()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    # A full disk cannot be arranged for one write on a shared machine: fail the fsync instead.
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(_report.ReportError, match="cannot write .*fleet-health.json .No space left on device"):
        write(tmp_path, results=RESULTS[:1], formats=["json"])
    monkeypatch.undo()
    with open(paths["json"]) as handle:
        assert handle.read() == before
    assert leftovers(tmp_path / "reports") == []


def _luminance(hex_color):
    def channel(value):
        value /= 255.0
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("status", sorted(_report.STATUS_COLORS))
def test_status_text_has_aa_contrast_on_its_colour(status):
    # White on amber was 1.97:1; WCAG AA asks 4.5:1 for text.
    lighter, darker = sorted((_luminance(_report.STATUS_COLORS[status]), _luminance(_report.STATUS_TEXT[status])),
                             reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5


@pytest.mark.parametrize("width", [1280, 600, 375])
def test_the_page_never_scrolls_sideways_in_chromium(tmp_path, width):
    # At 600 px the matrix pushed the page sideways; the page had no viewport.
    browser = _chromium()
    row = [check("check-number-%02d" % c, "ok", "fine") for c in range(20)]
    many = [dict(RESULTS[1], host="host-%02d" % i, checks=row) for i in range(3)]
    paths, _fleet = write(tmp_path, results=many, hosts=[])
    probe = tmp_path / "reports" / "probe.html"
    probe.write_text(
        '<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="%s" style="width:%dpx;height:900px;border:0">'
        '</iframe><script>document.getElementById("f").onload = function () {'
        'var d = this.contentDocument.documentElement, t = this.contentDocument.getElementById("matrix");'
        'document.body.setAttribute("data-page", d.scrollWidth + "/" + d.clientWidth);'
        'document.body.setAttribute("data-table", t.scrollWidth);};</script></body></html>'
        % (os.path.basename(paths["html"]), width))
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--allow-file-access-from-files", "--virtual-time-budget=5000",
                          "--user-data-dir=%s" % (tmp_path / "profile"), "--dump-dom", "file://%s" % probe],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    page = dom.split('data-page="')[1].split('"')[0]
    scroll, client = (int(v) for v in page.split("/"))
    assert scroll <= client, "the page is %d px wide in a %d px window" % (scroll, client)
    assert int(dom.split('data-table="')[1].split('"')[0]) > width or width == 1280  # the matrix scrolls in its box
    with open(paths["html"]) as handle:
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in handle.read()


SILENCES = [
    {"host": "web*", "check": "nginx", "until": "2026-11-23T08:00:00Z", "reason": "nginx upgrade <CHG-7>"},
    {"host": "odd", "check": "*", "until": "2026-11-22T18:00:00+01:00", "reason": "rebuilding odd"},
    # ended before NOW: ignored
    {"host": "db1", "until": "2026-11-22T16:00:00Z", "reason": "over"},
]


def test_silenced_problems_are_marked_in_every_report_with_until_and_reason(tmp_path):
    from ansible_collections.sre.health.plugins.module_utils._alert import silences

    paths, _fleet = write(tmp_path, silences=silences.parse_silences(SILENCES))
    document = json.load(open(paths["json"]))
    hosts = dict((h["host"], h) for h in document["hosts"])
    web2 = dict((c["name"], c) for c in hosts["web2"]["checks"])
    assert web2["nginx"]["silenced"] == {"until": "2026-11-23T08:00:00Z", "reason": "nginx upgrade <CHG-7>"}
    assert web2["nginx"]["status"] == "critical"  # still what it is
    assert "silenced" not in web2["disk:/"] and all("silenced" not in c for c in hosts["web1"]["checks"])
    assert hosts["odd"]["silenced"] == {"until": "2026-11-22T17:00:00Z", "reason": "rebuilding odd"}
    assert "silenced" not in hosts["db1"]["checks"][0]
    page = open(paths["html"]).read()
    # the matrix cell's tooltip, the problems list, the details
    assert page.count("silenced until 2026-11-23T08:00:00Z (nginx upgrade &lt;CHG-7&gt;)") == 3
    assert "CRITICAL (silenced)" in page and "silenced until 2026-11-22T17:00:00Z (rebuilding odd)" in page
    import xml.etree.ElementTree as ET
    root = ET.parse(paths["junit"]).getroot()
    failure = root.find("testsuite[@name='web2']/testcase[@name='nginx']/failure")
    assert failure.get("message") == ("nginx: no process running (critical < 1) [silenced until 2026-11-23T08:00:00Z "
                                      "(nginx upgrade <CHG-7>)]")
    assert "silenced until 2026-11-22T17:00:00Z" in root.find("testsuite[@name='odd']/testcase/error").get("message")
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(os.path.join(FIXTURES, "junit.xsd")).validate(paths["junit"])


def test_a_bad_silence_is_a_clear_error_before_anything_is_written(tmp_path):
    params = dict(results=RESULTS, hosts=[], dir=str(tmp_path / "out"), formats=["json"], basename="b", job_id=None,
                  check_only=True, silences=[{"host": "a", "until": "soon", "reason": "r"}])
    with pytest.raises(_report.SreHealthError, match=r"option silences\[0\]\.until: 'soon' is not a time"):
        _report.run(params)


class _DevTools:
    """Chromium's DevTools protocol over --remote-debugging-pipe (fd 3 in, fd 4 out): no websocket library, no
    port. Every wait is for a condition, under a generous deadline, never a sleep sized to this machine."""

    def __init__(self, browser, profile, deadline=120):
        # Chromium reads fd 3 and writes fd 4. The pipe's ends are moved above 10 here, so that putting them
        # on 3 and 4 in the child never overwrites one with the other; the child keeps only inheritable fds
        # (Python's own are not: PEP 446), so close_fds can stay off, which would close 3 and 4 after the move.
        to_chrome_r, self._to_chrome = (self._above(fd) for fd in os.pipe())
        self._from_chrome, from_chrome_w = (self._above(fd) for fd in os.pipe())

        def wire():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             "--remote-debugging-pipe", "--user-data-dir=%s" % profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=wire,
            close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer, self._next, self._deadline = b"", 0, deadline
        self.session = None

    @staticmethod
    def _above(fd):
        import fcntl
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)

    def _read(self, until):
        import select
        import time
        while b"\0" not in self._buffer:
            left = until - time.monotonic()
            assert left > 0, "Chromium did not answer over DevTools in %d s" % self._deadline
            ready, _w, _x = select.select([self._from_chrome], [], [], left)
            if ready:
                data = os.read(self._from_chrome, 1 << 20)
                assert data, "Chromium closed its DevTools pipe"
                self._buffer += data
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=True, **params):
        import time
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        until = time.monotonic() + self._deadline
        while True:
            answer = self._read(until)
            if answer.get("id") == self._next:
                assert "error" not in answer, "%s: %s" % (method, answer["error"])
                return answer["result"]

    def open(self, url, width, height):
        """The page at ``url`` in a ``width`` x ``height`` viewport (a phone's, touch and all, under 600 px)."""
        import time
        until = time.monotonic() + self._deadline
        while True:
            pages = [t for t in self.call("Target.getTargets", session=False)["targetInfos"] if t["type"] == "page"]
            if pages:
                break
            assert time.monotonic() < until, "Chromium opened no page"
        self.session = self.call("Target.attachToTarget", session=False, targetId=pages[0]["targetId"],
                                 flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=width < 600)
        self.call("Page.navigate", url=url)
        while self.evaluate("document.readyState + ' ' + location.href") != "complete %s" % url:
            assert time.monotonic() < until, "the page did not load in %d s" % self._deadline

    def evaluate(self, expression):
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in answer, answer["exceptionDetails"]
        return answer["result"].get("value")

    def screenshot(self, path):
        import base64
        with open(str(path), "wb") as handle:
            handle.write(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))


# What the page measures of itself: its width, each failing check's box in the problems list, and the WCAG
# contrast of every text node's element against the background it is drawn on (backgrounds of the element and
# its ancestors composited over the white canvas).
_MEASURE = r"""(() => {
  const rgba = (text) => {
    const p = text.match(/rgba?\(([^)]*)\)/)[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => below.map((v, k) => top[k] * top[3] + v * (1 - top[3]));
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    return layers.reverse().reduce((below, top) => over(top, below), [255, 255, 255]);
  };
  const luminance = (rgb) => rgb.map((v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }).reduce((sum, v, k) => sum + v * [0.2126, 0.7152, 0.0722][k], 0);
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim()) continue;
    const el = node.parentElement, bg = background(el), fg = over(rgba(getComputedStyle(el).color), bg);
    const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
    texts.push({text: node.data.slice(0, 60), tag: el.tagName, cls: el.className,
                ratio: (a + 0.05) / (b + 0.05), fg: fg.map(Math.round), bg: bg.map(Math.round)});
  }
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width, height: r.height, visible: el.checkVisibility(),
            clipped: el.scrollWidth > el.clientWidth};
  };
  return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    texts: texts,
    hosts: [...document.querySelectorAll('#problems .problem')].map((e) => Object.assign(box(e),
      {host: e.dataset.host, status: e.dataset.status})),
    failing: [...document.querySelectorAll('#problems [data-check]')].map((e) => Object.assign(box(e),
      {host: e.closest('[data-host]').dataset.host, check: e.dataset.check, status: e.dataset.status})),
    zero: [...document.querySelectorAll('#totals span')].filter((e) => /^0 /.test(e.textContent)).map((e) =>
      ({text: e.textContent, bg: getComputedStyle(e).backgroundColor, color: getComputedStyle(e).color})),
    matrixWidth: document.getElementById('matrix').scrollWidth,
  };
})()"""


def _wide_fleet():
    """The hostile hosts of RESULTS plus a fleet whose failing checks are the last of 24 columns, one host name
    and one check name long and unbroken."""
    columns = [check("check-number-%02d" % c, "ok", "fine") for c in range(22)]
    fleet = [dict(r) for r in RESULTS]
    for i in range(6):
        failing = [check("zz-late-disk-%d" % i, "critical", "/srv %d 97%% used (critical > 90%%)" % i),
                   check("zz-late-http", "warning" if i % 2 else "unknown", "GET https://example.test/health: 503 " * 3)]
        fleet.append({"host": "app-%02d.example.test" % i, "status": "critical", "health": "unhealthy",
                      "summary": "2 of 24 checks not ok", "checks": columns + failing})
    fleet.append({"host": "h" * 300, "status": "warning", "health": "degraded", "summary": "1 of 1 checks not ok",
                  "checks": [check("c" * 200, "warning", "s" * 400)]})
    fleet.append({"host": "fine-01", "status": "ok", "health": "healthy", "summary": "22 checks ok",
                  "checks": columns})
    return fleet


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)])
def test_every_problem_is_readable_without_scrolling_sideways_at_aa_contrast(tmp_path, width, height):
    # At 390 px the failing columns were beyond the matrix's right edge, placeholders were #999 on #eee (2.46:1)
    # and "0 degraded" was orange.
    browser = _chromium()
    results = _wide_fleet()
    paths, fleet = write(tmp_path, results=results)
    tools = _DevTools(browser, tmp_path / "profile")
    try:
        tools.open("file://" + paths["html"], width, height)
        page = tools.evaluate(_MEASURE)
        tools.screenshot(tmp_path / ("report-%d.png" % width))
    finally:
        tools.close()
    print("width %d: scrollWidth %d, innerWidth %d, matrix %d, min contrast %.2f over %d text nodes" % (
        width, page["scrollWidth"], page["innerWidth"], page["matrixWidth"], min(t["ratio"] for t in page["texts"]),
        len(page["texts"])))
    assert page["innerWidth"] == width
    assert page["scrollWidth"] <= page["innerWidth"], "the page is %d px wide in a %d px window" % (
        page["scrollWidth"], page["innerWidth"])
    assert page["matrixWidth"] > width  # the matrix is wider than the window: it alone scrolls, in its box
    # every host that is not ok, and every check that is not ok, is in the problems list, inside the window
    hosts = dict((_report.host_name(r["host"]), r) for r in results)
    expected = set((h, c["name"]) for h, r in hosts.items() for c in r["checks"] if c["status"] != "ok")
    assert set((f["host"], f["check"]) for f in page["failing"]) == expected
    assert set(h["host"] for h in page["hosts"]) == set(h for h, r in hosts.items() if r["status"] != "ok") | {"gone"}
    for item in page["hosts"] + page["failing"]:
        assert item["visible"] and item["width"] > 0 and item["height"] > 0, item
        assert 0 <= item["left"] and item["right"] <= width and not item["clipped"], item
    # every text on the page, placeholders and badges included, at 4.5:1 or more
    low = [t for t in page["texts"] if t["ratio"] < 4.5]
    assert not low, low[:5]
    assert any(t["cls"] == "none" for t in page["texts"])  # the placeholders were measured
    # zero counts are neutral: no status colour
    assert fleet["degraded"] and fleet["unhealthy"]
    many = write(tmp_path / "healthy", results=[results[-1]], hosts=[])[0]
    tools = _DevTools(browser, tmp_path / "profile2")
    try:
        tools.open("file://" + many["html"], width, height)
        zero = tools.evaluate(_MEASURE)["zero"]
    finally:
        tools.close()
    assert [z["text"] for z in zero] == ["0 degraded", "0 unhealthy"]
    for z in zero:
        assert z["bg"] == "rgb(255, 255, 255)" and z["color"] == "rgb(33, 33, 33)", z
    with open(paths["html"], encoding="utf-8") as handle:
        text = handle.read()
    assert "<script>" not in text and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;" in text
