# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""file_check and certificate_check end to end, through the real ansible CLI, on real files and
(for served_by) a real TLS server on 127.0.0.1; and each kind inside health_check."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils import servers as S
from ansible_collections.sre.health.tests.unit.plugins.module_utils.test_file import make
from ansible_collections.sre.health.tests.unit.utils import run_module

RESULT_KEYS = {"name", "kind", "status", "summary", "metrics", "thresholds", "duration_ms"}


def assert_no_traceback(run):
    for text in (run.stdout, run.stderr, str(run.result)):
        assert "Traceback" not in text


# --- file_check ------------------------------------------------------------------------------

def test_file_check_fresh_backup_ok_in_check_mode(tmp_path):
    make(tmp_path / "db-1.dump", 30 * 3600, 100)
    make(tmp_path / "db-2.dump", 3600, 200, mode=0o600)
    run = run_module("file_check", {"path": str(tmp_path / "db-*.dump"), "type": "file",
                                    "thresholds": {"age_seconds": {"critical": "26h"}}}, check=True)
    assert not run.failed, run.result
    assert run.result["changed"] is False and run.result["status"] == "ok"
    result = run.result["checks"][0]
    assert RESULT_KEYS <= set(result) and result["kind"] == "file"
    assert result["metrics"]["count"] == 2 and result["metrics"]["size_bytes"] == 200
    assert result["thresholds"] == {"age_seconds": {"critical": "26h"}}


def test_file_check_stale_backup_and_mode_fail_the_task(tmp_path):
    make(tmp_path / "db-1.dump", 30 * 3600, 100)
    run = run_module("file_check", {"path": str(tmp_path / "db-*.dump"), "mode": "0600",
                                    "thresholds": {"age_seconds": {"critical": "26h"}}})
    assert run.failed and run.result["status"] == "critical"
    summary = run.result["checks"][0]["summary"]
    assert "db-1.dump has mode 0644 (expected 0600)" in summary and "critical: age_seconds" in summary
    assert_no_traceback(run)


def test_file_check_non_utf8_name_through_ansible(tmp_path):
    with open(os.path.join(os.fsencode(str(tmp_path)), b"r\xe9sum\xe9.core"), "wb"):
        pass
    run = run_module("file_check", {"path": str(tmp_path / "*.core"), "state": "absent"})
    assert run.failed and run.result["status"] == "critical"
    assert "expected absent, found %s/r\\xe9sum\\xe9.core" % tmp_path in run.result["checks"][0]["summary"]
    assert_no_traceback(run)


def test_file_check_bad_option_is_a_clear_failure():
    run = run_module("file_check", {"path": "backups/*.dump"})
    assert run.failed
    assert run.result["msg"] == ("option path: 'backups/*.dump' is invalid; accepted: absolute paths or globs "
                                 "starting with /")
    mode = run_module("file_check", {"path": "/etc/hostname", "mode": "u=rw"})
    assert mode.failed and mode.result["msg"].startswith("option mode: 'u=rw' is invalid; accepted: an octal mode")
    assert_no_traceback(mode)


def test_file_check_hung_mount_returns_at_the_deadline(hung_mount):
    # The subprocess timeout is the real assertion; the elapsed time is reported, not asserted.
    run = run_module("file_check", {"path": hung_mount + "/db-*.dump", "check_timeout": 2, "fail_on": "never"},
                     timeout=60)
    result = run.result["checks"][0]
    assert result["status"] == "unknown" and result["summary"] == "file: check timed out after 2 s"
    recursed = run_module("health_check", {"checks": [
        {"name": "spool", "kind": "file", "path": hung_mount, "recurse": True, "check_timeout": 1},
        {"name": "memory", "kind": "memory"}], "fail_on": "never"}, timeout=60)
    by_name = dict((c["name"], c) for c in recursed.result["checks"])
    assert by_name["spool"]["status"] == "unknown" and by_name["memory"]["status"] != "unknown"
    print("file_check on a hung mount returned in %.2f s (check_timeout 2 s); health_check in %.2f s "
          "(check_timeout 1 s)" % (run.elapsed, recursed.elapsed))


def test_file_kind_in_health_check(tmp_path):
    make(tmp_path / "app.conf", mode=0o640)
    run = run_module("health_check", {"checks": [
        {"name": "config", "kind": "file", "path": str(tmp_path / "app.conf"), "type": "file", "mode": "0640",
         "owner": "root" if os.geteuid() == 0 else str(os.geteuid())},
        {"name": "no-cores", "kind": "file", "path": str(tmp_path / "core.*"), "state": "absent"},
    ]})
    assert not run.failed, run.result
    assert [(c["name"], c["status"]) for c in run.result["checks"]] == [("config", "ok"), ("no-cores", "ok")]


# --- certificate_check -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    pytest.importorskip("cryptography")
    authority = S.Pki(tmp_path_factory.mktemp("pki"))
    files = {}
    for name, days in (("three", 3), ("old", 10), ("renewed", 90)):
        files[name], files[name + "_key"], _cert = authority.issue(name, "www.example.test", S.in_days(days))
    return files


@pytest.fixture(scope="module")
def old_server(pki):
    server = S.TcpServer("127.0.0.1", "tls", S.server_context(pki["old"], pki["old_key"]))
    yield server
    server.close()


def test_certificate_check_renewed_but_not_served(pki, old_server):
    where = "127.0.0.1:%d" % old_server.port
    run = run_module("certificate_check", {"path": pki["renewed"], "key_path": pki["renewed_key"],
                                           "served_by": where, "server_name": "www.example.test"})
    assert run.failed and run.result["status"] == "critical"
    result = run.result["checks"][0]
    assert RESULT_KEYS <= set(result) and result["kind"] == "certificate" and result["key_matches"] is True
    assert "the certificate on disk was renewed but %s still serves the old one" % where in result["summary"]
    assert result["served"]["not_after"] < result["not_after"]
    with open(pki["renewed_key"]) as handle:
        body = handle.read().splitlines()[1]
    assert body not in run.stdout + run.stderr + json.dumps(run.result)
    assert_no_traceback(run)


def test_certificate_check_same_certificate_served_in_check_mode(pki, old_server):
    run = run_module("certificate_check", {"path": pki["old"], "served_by": "127.0.0.1:%d" % old_server.port,
                                           "thresholds": {"cert_days_left": {"warning": "5:", "critical": "2:"}}},
                     check=True)
    assert not run.failed, run.result
    assert run.result["status"] == "ok" and run.result["changed"] is False


def test_certificate_check_expiring_in_three_days_and_passphrase_hidden(pki, tmp_path):
    run = run_module("certificate_check", {"path": pki["three"], "key_path": pki["three_key"],
                                           "key_passphrase": "hunter2-not-needed"})
    assert run.failed and run.result["status"] != "ok"
    assert "certificate expires in 3 d" in run.result["checks"][0]["summary"]
    assert "hunter2-not-needed" not in run.stdout + run.stderr + json.dumps(run.result)


def test_certificate_check_bad_option_and_missing_library(pki, python_without_psutil):
    bad = run_module("certificate_check", {"path": pki["old"], "served_by": "localhost"})
    assert bad.failed and bad.result["msg"].startswith("option served_by: 'localhost' is invalid; accepted: host:port")
    missing = run_module("certificate_check", {"path": pki["old"]}, python=python_without_psutil)
    assert missing.failed and "cryptography" in missing.result["msg"]
    assert_no_traceback(missing)


def test_certificate_kind_in_health_check(pki, python_without_psutil):
    run = run_module("health_check", {"checks": [
        {"name": "www-cert", "kind": "certificate", "path": pki["renewed"], "key_path": pki["renewed_key"]},
        {"name": "soon", "kind": "certificate", "path": pki["three"]},
    ], "fail_on": "never"})
    by_name = dict((c["name"], c) for c in run.result["checks"])
    assert by_name["www-cert"]["status"] == "ok" and by_name["www-cert"]["key_matches"] is True
    assert by_name["soon"]["status"] == "critical"
    # without cryptography the check is unknown, naming the package; the other kinds still run
    without = run_module("health_check", {"checks": [
        {"name": "www-cert", "kind": "certificate", "path": pki["renewed"]},
        {"name": "hosts", "kind": "file", "path": "/etc/hosts"}], "fail_on": "never"}, python=python_without_psutil)
    by_name = dict((c["name"], c) for c in without.result["checks"])
    assert by_name["www-cert"]["status"] == "unknown" and "cryptography" in by_name["www-cert"]["summary"]
    assert by_name["hosts"]["status"] == "ok"
