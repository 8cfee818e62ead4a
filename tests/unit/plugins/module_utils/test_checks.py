# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""health_check's validation and concurrent run."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid

import pytest

from ansible_collections.sre.health.plugins.module_utils import _checks, _kinds_all
from ansible_collections.sre.health.plugins.module_utils._kind import Config, isolated
from ansible_collections.sre.health.plugins.module_utils._status import make_result
from ansible_collections.sre.health.plugins.module_utils._units import COUNT


class GateKind(object):
    """A check kind whose run blocks until its gate opens: the stand-in for a check that hangs.

    (A real hung mount is exercised end to end in tests/unit/plugins/modules.)
    """

    KIND = "gate"
    METRICS = {"value": COUNT}
    DEFAULT_THRESHOLDS = {}
    OPTIONS = dict(gate=dict(type="str", required=True))
    CONSTRAINTS = {}
    REQUIRES = {}
    ISOLATED = True
    gates = {}

    @staticmethod
    def validate(params):
        return Config(gate=params["gate"])

    @classmethod
    def run(cls, config, compiled, name="gate"):
        cls.gates[config.gate].wait()
        return [make_result(name, "gate", "ok", "%s passed" % name, {"value": 1})]


@pytest.fixture
def gate_kind(monkeypatch):
    monkeypatch.setitem(_kinds_all.KINDS, "gate", GateKind)
    GateKind.gates = {"open": threading.Event(), "shut": threading.Event()}
    GateKind.gates["open"].set()
    yield GateKind
    GateKind.gates["shut"].set()


@pytest.mark.parametrize("entries, fragment", [
    ("disk", "checks: 'disk' is not a list"),
    (["disk"], "checks[0]: 'disk' is not a dict"),
    ([{"kind": "disk"}], "checks[0]: option name: None is invalid"),
    ([{"name": "d", "kind": ["disk"]}], "checks[0] (d): option kind: ['disk'] is invalid; accepted: "),
    ([{"name": "d", "kind": "dsik"}],
     "checks[0] (d): option kind: 'dsik' is invalid; accepted: certificate, command, disk, dns, file, http, load, log, memory, "
     "metrics, port, process, service, systemd"),
    ([{"name": "d", "kind": "disk"}, {"name": "d", "kind": "memory"}],
     "checks[1] (d): option name: 'd' is already used by checks[0]"),
    ([{"name": "d", "kind": "disk", "mountpoints": ["/"]}],
     "checks[0] (d): unknown option mountpoints for kind disk; accepted: check_timeout, exclude_fstypes"),
    ([{"name": "d", "kind": "disk", "timeout": "soon"}], "checks[0] (d): argument 'timeout' is of type str"),
    ([{"name": "d", "kind": "disk", "timeout": -3}], "checks[0] (d): option timeout: -3.0 is invalid"),
    ([{"name": "d", "kind": "disk", "check_timeout": 0}], "checks[0] (d): option check_timeout: 0 is invalid"),
    ([{"name": "d", "kind": "disk", "thresholds": {"used_percent": {"critical": "90:10"}}}],
     "checks[0] (d): thresholds.used_percent.critical: '90:10': start 90% is greater than end 10%"),
    ([{"name": "p", "kind": "process", "pattern": "("}], "checks[0] (p): option pattern: '('"),
    ([{"name": "m", "kind": "memory", "no_swap_status": "bad"}], "checks[0] (m): value of no_swap_status must be one of"),
])
def test_invalid_definitions_name_the_check_option_and_reason(entries, fragment):
    with pytest.raises(_checks.CheckDefinitionError) as err:
        _checks.prepare(entries, 30, _kinds_all.KINDS)
    assert fragment in str(err.value)


def test_a_run_imports_only_the_kinds_it_uses():
    code = ("import sys; sys.path[:0] = %r\n"
            "from ansible_collections.sre.health.plugins.module_utils import _checks, _kinds_all\n"
            "_checks.prepare([{'name': 'd', 'kind': 'disk'}, {'name': 'm', 'kind': 'memory'}], 30, _kinds_all.KINDS)\n"
            "print(' '.join(sorted(m for m in sys.modules if m in ('requests', 'prometheus_client') or "
            "m.startswith('ansible_collections.sre.health.plugins.module_utils._http'))))" % (sys.path,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""  # no requests, no prometheus_client, no http kind for disk and memory


def test_every_kind_is_validated_before_anything_runs():
    # The load kind once had no validate(): its bad interval surfaced only when the checks ran.
    with pytest.raises(_checks.CheckDefinitionError) as err:
        _checks.prepare([{"name": "m", "kind": "memory"}, {"name": "l", "kind": "load", "interval": 999}], 30, _kinds_all.KINDS)
    assert "checks[1] (l): option interval: 999.0 is invalid; accepted: a number of seconds from 0" in str(err.value)


def test_process_name_defaults_to_the_check_name_and_has_its_own_key():
    prepared = _checks.prepare([
        {"name": "nginx", "kind": "process"},
        {"name": "db", "kind": "process", "process_name": "postgres"},
        {"name": "app", "kind": "process", "pattern": "gunicorn"},
    ], 30, _kinds_all.KINDS)
    assert prepared[0]["params"]["name"] == "nginx"
    assert prepared[1]["params"]["name"] == "postgres"
    assert prepared[2]["params"]["name"] is None and prepared[2]["params"]["pattern"] == "gunicorn"


def test_real_checks_run_and_keep_their_shape():
    marker = "sre-health-agg-%s" % uuid.uuid4().hex[:8]
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", marker])
    try:
        prepared = _checks.prepare([
            {"name": "root", "kind": "disk", "paths": ["/"]},
            {"name": "memory", "kind": "memory"},
            {"name": "load", "kind": "load", "interval": 0},
            {"name": "worker", "kind": "process", "pattern": marker, "interval": 0},
            {"name": "ghost", "kind": "process", "pattern": marker + "-ghost", "interval": 0},
        ], 30, _kinds_all.KINDS)
        results, abandoned, _elapsed = _checks.run_checks(prepared, 4, 60)
    finally:
        proc.kill()
        proc.wait()
    assert abandoned == 0
    by_name = dict((r["name"], r) for r in results)
    assert sorted(by_name) == ["ghost", "load", "memory", "root:/", "worker"]
    assert by_name["worker"]["metrics"]["count"] == 1 and by_name["worker"]["status"] == "ok"
    assert by_name["ghost"]["status"] == "critical"
    assert by_name["root:/"]["kind"] == "disk"


def test_a_stuck_check_is_unknown_and_does_not_hold_back_the_others(gate_kind):
    prepared = _checks.prepare([
        {"name": "stuck", "kind": "gate", "gate": "shut", "check_timeout": 0.5},
        {"name": "fine", "kind": "gate", "gate": "open"},
        {"name": "memory", "kind": "memory"},
    ], 30, _kinds_all.KINDS)
    results, abandoned, _elapsed = _checks.run_checks(prepared, 8, 60)
    by_name = dict((r["name"], r) for r in results)
    assert by_name["stuck"]["status"] == "unknown"
    assert by_name["stuck"]["summary"] == "stuck: check timed out after 0.5 s"
    assert by_name["fine"]["status"] == "ok" and by_name["memory"]["status"] in ("ok", "warning", "critical")
    assert abandoned == 1


def test_the_overall_timeout_holds(gate_kind):
    prepared = _checks.prepare([
        {"name": "first", "kind": "gate", "gate": "shut"},
        {"name": "second", "kind": "gate", "gate": "open"},
    ], 30, _kinds_all.KINDS)
    # 2 s: long enough for the first check to start on any machine; the shut gate never opens
    results, _abandoned, _elapsed = _checks.run_checks(prepared, 1, 2)
    by_name = dict((r["name"], r) for r in results)
    assert by_name["first"]["summary"] == "first: check timed out after 2 s (the overall timeout ran out)"
    assert by_name["second"]["summary"] == "second: check not started: the overall timeout of 2 s ran out"
    assert all(r["status"] == "unknown" for r in results)


def test_a_check_that_raises_is_unknown_with_the_reason(gate_kind, monkeypatch):
    def broken(params, compiled, name="gate"):
        raise RuntimeError("sensor on fire")

    monkeypatch.setattr(GateKind, "run", staticmethod(broken))
    prepared = _checks.prepare([{"name": "b", "kind": "gate", "gate": "open"}], 30, _kinds_all.KINDS)
    results, _abandoned, _elapsed = _checks.run_checks(prepared, 2, 10)
    assert results[0]["status"] == "unknown"
    assert results[0]["summary"] == "b: check failed: RuntimeError: sensor on fire"
    assert "Traceback" not in str(results)


def test_a_missing_library_is_unknown_for_that_check_only(gate_kind, monkeypatch):
    monkeypatch.setattr(GateKind, "REQUIRES", {"psutil": lambda: False})
    prepared = _checks.prepare([{"name": "g", "kind": "gate", "gate": "open"},
                                {"name": "root", "kind": "disk", "paths": ["/"]}], 30, _kinds_all.KINDS)
    results, _abandoned, _elapsed = _checks.run_checks(prepared, 2, 10)
    assert results[0]["status"] == "unknown"
    assert "missing Python library on this host: psutil (Debian/Ubuntu package python3-psutil" in results[0]["summary"]
    assert results[1]["name"] == "root:/" and results[1]["status"] != "unknown"


@pytest.mark.parametrize("entry, forked", [
    ({"name": "p", "kind": "process", "pattern": "x"}, True),
    ({"name": "p", "kind": "process", "process_name": "x"}, False),
    ({"name": "h", "kind": "http", "url": "http://127.0.0.1:9/", "body_regex": "ok"}, True),
    ({"name": "h", "kind": "http", "url": "http://127.0.0.1:9/"}, False),
    ({"name": "o", "kind": "port", "port": 22, "expect": "SSH"}, True),
    ({"name": "o", "kind": "port", "port": 22}, False),
    ({"name": "m", "kind": "metrics", "url": "http://127.0.0.1:9/", "expect": [{"metric": "up"}]}, True),
    ({"name": "d", "kind": "disk"}, False),
])
def test_only_checks_that_meet_hostile_text_with_a_pattern_or_parser_are_forked(entry, forked):
    (check,) = _checks.prepare([entry], 30, _kinds_all.KINDS)
    assert isolated(check["kind"], check["config"]) is forked
