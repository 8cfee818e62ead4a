# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The file check on real files, directories and links made by the test (ages set with os.utime). No mocks."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time

import pytest

from ansible_collections.sre.health.plugins.module_utils import _file
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import check as run_check

HOUR = 3600


def check(thresholds=None, **params):
    results = run_check(_file, params, thresholds)
    assert len(results) == 1
    return results[0]


def make(path, age=0, size=1, mode=0o644):
    """A regular file of ``size`` bytes whose modification time is ``age`` seconds ago."""
    with open(path, "wb") as handle:
        handle.write(b"x" * size)
    os.chmod(path, mode)
    when = time.time() - age
    os.utime(path, (when, when))
    return str(path)


@pytest.fixture
def backups(tmp_path):
    """db-1 (74 h old, 100 B), db-2 (50 h, 200 B), db-3 (27 h, 300 B), and a notes.txt."""
    for index, age in ((1, 74), (2, 50), (3, 27)):
        make(tmp_path / ("db-%d.dump" % index), age * HOUR, index * 100)
    make(tmp_path / "notes.txt", 1)
    return tmp_path


def test_glob_metrics_newest_oldest_total(backups):
    result = check(path=str(backups / "db-*.dump"))
    assert result["status"] == "ok"
    metrics = result["metrics"]
    assert metrics["count"] == 3 and metrics["total_bytes"] == 600 and metrics["size_bytes"] == 300
    assert 27 * HOUR - 5 < metrics["age_seconds"] < 27 * HOUR + 60
    assert 74 * HOUR - 5 < metrics["oldest_age_seconds"] < 74 * HOUR + 60
    assert result["newest"].endswith("db-3.dump") and result["oldest"].endswith("db-1.dump")
    assert result["thresholds"] == {}
    assert "3 matches, newest 1d 3h old (%s, 300 B), oldest 3d 2h old, 600 B in total" % result["newest"] \
        in result["summary"]


def test_freshness_with_duration_units(backups):
    stale = check({"age_seconds": {"critical": "26h"}}, path=str(backups / "db-*.dump"))
    assert stale["status"] == "critical"
    assert "critical: age_seconds" in stale["summary"] and "> 1d 2h" in stale["summary"]
    assert stale["thresholds"] == {"age_seconds": {"critical": "26h"}}
    make(backups / "db-4.dump", 2 * HOUR, 400)
    fresh = check({"age_seconds": {"warning": "25h", "critical": "26h"}}, path=str(backups / "db-*.dump"))
    assert fresh["status"] == "ok" and fresh["newest"].endswith("db-4.dump")
    # the oldest, the sizes and the count take their units as well
    limits = check({"oldest_age_seconds": {"warning": "3d"}, "size_bytes": {"critical": "1KiB:"},
                    "count": {"warning": "7:"}}, path=str(backups / "db-*.dump"))
    assert limits["status"] == "critical"
    assert "critical: size_bytes 400 B < 1 KiB" in limits["summary"]
    assert "warning: count 4 < 7" in limits["summary"]
    assert "warning: oldest_age_seconds" in limits["summary"]


def test_glob_matching_nothing_is_critical_and_says_so(tmp_path):
    result = check(path=str(tmp_path / "db-*.dump"))
    assert result["status"] == "critical"
    assert result["summary"] == "%s/db-*.dump: no match (critical: no entry matches %s/db-*.dump)" % (tmp_path, tmp_path)
    assert result["metrics"] == {"count": 0, "age_seconds": None, "oldest_age_seconds": None, "size_bytes": None,
                                 "total_bytes": 0}
    # a glob below a directory that does not exist is the same: nothing matches
    assert check(path="/nonexistent-sre-health/*/x")["status"] == "critical"
    typed = check(path=str(tmp_path / "*"), type="directory")
    assert "no directory matches" in typed["summary"]


def test_missing_plain_path_and_wrong_type(backups):
    missing = check(path=str(backups / "gone.conf"))
    assert missing["status"] == "critical" and "%s does not exist" % (backups / "gone.conf") in missing["summary"]
    wrong = check(path=str(backups), type="file")
    assert wrong["status"] == "critical"
    assert "%s is a directory, expected a regular file" % backups in wrong["summary"]
    assert check(path=str(backups), type="directory")["status"] == "ok"


def test_several_paths_are_one_set(backups):
    result = check(path=[str(backups / "db-1.dump"), str(backups / "*.txt"), str(backups / "missing")])
    assert result["metrics"]["count"] == 2 and result["status"] == "critical"
    assert result["name"] == "file:%s/db-1.dump, %s/*.txt, %s/missing" % (backups, backups, backups)
    assert "does not exist" in result["summary"]


def test_mode_owner_group_mismatch_names_the_file(backups):
    conf = make(backups / "app.conf", mode=0o640)
    assert check(path=conf, mode="0640", owner=str(os.getuid()), group=str(os.getgid()))["status"] == "ok"
    assert check(path=conf, mode=0o640)["status"] == "ok"  # an unquoted YAML 0640 is this number
    result = check(path=conf, mode="0600", owner="sre-health-nobody-such-user", group="0" if os.getgid() else "1")
    assert result["status"] == "critical"
    assert "%s has mode 0640 (expected 0600)" % conf in result["summary"]
    assert "owner " in result["summary"] and "(expected sre-health-nobody-such-user)" in result["summary"]
    assert result["mismatches"][0]["path"] == conf and len(result["mismatches"][0]["problems"]) == 3


def test_state_absent(backups):
    assert check(path=str(backups / "*.core"), state="absent")["status"] == "ok"
    assert check(path=str(backups / "gone.lock"), state="absent")["status"] == "ok"
    found = check(path=str(backups / "db-*.dump"), state="absent")
    assert found["status"] == "critical"
    assert "expected absent, found %s/db-1.dump, %s/db-2.dump, %s/db-3.dump" % (backups, backups, backups) \
        in found["summary"]


def test_state_absent_names_only_the_first_matches(tmp_path):
    for index in range(30):
        make(tmp_path / ("core.%02d" % index))
    result = check(path=str(tmp_path / "core.*"), state="absent")
    assert result["status"] == "critical" and "and 25 more" in result["summary"]
    assert len(result["matches"]) == 20 and result["metrics"]["count"] == 30


def test_recurse_types_and_links(tmp_path):
    make(tmp_path / "a.txt", size=10)
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    make(tmp_path / "sub" / "deeper" / "b.txt", size=5)
    os.symlink(str(tmp_path / "a.txt"), str(tmp_path / "sub" / "link"))
    os.symlink(str(tmp_path), str(tmp_path / "sub" / "loop"))  # never followed: no loop
    os.symlink(str(tmp_path / "nowhere"), str(tmp_path / "dangling"))
    files = check(path=str(tmp_path), recurse=True, type="file")
    assert files["metrics"]["count"] == 2 and files["metrics"]["total_bytes"] == 15
    assert check(path=str(tmp_path), recurse=True, type="directory")["metrics"]["count"] == 2
    assert check(path=str(tmp_path), recurse=True, type="link")["metrics"]["count"] == 3
    assert check(path=str(tmp_path), recurse=True)["metrics"]["count"] == 7
    # follow: the links are what they point to; a dangling link stays a link
    followed = check(path=str(tmp_path), recurse=True, type="file", follow=True)
    assert followed["metrics"]["count"] == 3
    assert check(path=str(tmp_path / "sub" / "link"), type="link")["status"] == "ok"
    assert check(path=str(tmp_path / "sub" / "link"), type="file", follow=True)["status"] == "ok"
    not_a_file = check(path=str(tmp_path / "sub" / "link"), type="file")
    assert "is a symbolic link, expected a regular file" in not_a_file["summary"]
    # an empty directory recursed into has no match
    (tmp_path / "empty").mkdir()
    assert check(path=str(tmp_path / "empty"), recurse=True)["metrics"]["count"] == 0


@pytest.fixture
def loops(tmp_path):
    """Three real files (one in a subdirectory) among the loops: a -> b -> a, a self link, a link to its own
    parent directory (and one to the grandparent, from below)."""
    top = tmp_path / "top"
    (top / "sub").mkdir(parents=True)
    make(top / "one.dump", size=1)
    make(top / "two.dump", size=2)
    make(top / "sub" / "three.dump", size=4)
    os.symlink("b", str(top / "a"))
    os.symlink("a", str(top / "b"))
    os.symlink("self", str(top / "self"))
    os.symlink("..", str(top / "up"))  # the parent of top
    os.symlink("..", str(top / "sub" / "parent"))  # top itself, from below
    return top


@pytest.mark.parametrize("wanted, count, total", [
    ("file", 3, 7),
    # the real files, sub, and the two links to directories above, each once: never recursed into
    ("directory", 3, None),
    ("any", 6, None),
    # followed, no entry is a link any more (a looping link points at nothing: it is skipped)
    ("link", 0, 0),
])
def test_recurse_follow_skips_looping_links_and_names_them(loops, wanted, count, total):
    result = check(path=str(loops), recurse=True, follow=True, type=wanted)
    assert result["metrics"]["count"] == count
    if total is not None:
        assert result["metrics"]["total_bytes"] == total
    assert sorted(result["skipped_loops"]) == [str(loops / name) for name in ("a", "b", "self")]
    assert result["errors"] == []
    assert "skipped 3 symbolic link loops: " in result["summary"]
    for name in ("a", "b", "self"):
        assert str(loops / name) in result["summary"]
    assert "cannot read" not in result["summary"] and "too many levels" not in result["summary"]
    # a loop is not a problem of the files checked: the status is theirs
    assert result["status"] == "ok"
    if wanted == "file":
        assert sorted(result["matches"]) == sorted(str(p) for p in (loops / "one.dump", loops / "two.dump",
                                                                    loops / "sub" / "three.dump"))


def test_recurse_without_follow_counts_the_loops_as_links(loops):
    assert check(path=str(loops), recurse=True, type="link")["metrics"]["count"] == 5
    result = check(path=str(loops), recurse=True, type="file")
    assert result["metrics"]["count"] == 3 and result["skipped_loops"] == []
    assert "skipped" not in result["summary"]


def test_glob_follow_skips_looping_links(loops):
    result = check(path=str(loops / "*"), follow=True)
    # one.dump, two.dump, sub, up (a directory); a, b and self skipped
    assert result["metrics"]["count"] == 4 and result["status"] == "ok"
    assert sorted(result["skipped_loops"]) == [str(loops / name) for name in ("a", "b", "self")]
    # recursed into, up would scan top's parent, so top again: a loop too, skipped
    recursed = check(path=str(loops / "*"), follow=True, recurse=True, type="file")
    assert recursed["metrics"]["count"] == 3 and recursed["metrics"]["total_bytes"] == 7
    assert sorted(recursed["skipped_loops"]) == [str(loops / name) for name in ("a", "b", "self", "up")]
    assert "skipped 4 symbolic link loops" in recursed["summary"] and recursed["status"] == "ok"
    os.symlink(".", str(loops / "here"))
    assert check(path=str(loops / "*"), follow=True, recurse=True, type="file")["metrics"]["count"] == 3
    # through a looping link on the way: skipped, named, never an error
    below = check(path=[str(loops / "a" / "*"), str(loops / "self" / "x"), str(loops / "*.dump")])
    assert below["metrics"]["count"] == 2 and below["errors"] == []
    assert sorted(below["skipped_loops"]) == [str(loops / "a"), str(loops / "self" / "x")]
    assert "no entry matches %s" % (loops / "a" / "*") in below["summary"]


@pytest.mark.parametrize("state", ["present", "absent"])
def test_a_plain_path_that_loops_is_critical(loops, state):
    result = check(path=[str(loops / "self"), str(loops / "one.dump")], follow=True, state=state)
    assert result["status"] == "critical" and result["skipped_loops"] == [str(loops / "self")]
    assert "%s is a symbolic link loop" % (loops / "self") in result["summary"]
    assert result["errors"] == []
    if state == "present":
        assert result["metrics"]["count"] == 1


def test_many_loops_are_counted_and_the_first_named(tmp_path):
    for index in range(30):
        os.symlink("loop-%d" % index, str(tmp_path / ("loop-%d" % index)))
    make(tmp_path / "real")
    result = check(path=str(tmp_path), recurse=True, follow=True)
    assert result["metrics"]["count"] == 1 and result["status"] == "ok"
    assert len(result["skipped_loops"]) == 20
    assert "skipped 30 symbolic link loops: " in result["summary"] and "and 25 more" in result["summary"]


def test_wildcards_skip_dot_files_as_the_shell_does(tmp_path):
    make(tmp_path / ".hidden")
    make(tmp_path / "shown")
    assert check(path=str(tmp_path / "*"))["matches"] == [str(tmp_path / "shown")]
    assert check(path=str(tmp_path / ".*"))["matches"] == [str(tmp_path / ".hidden")]
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    make(tmp_path / "d2" / "current")
    assert check(path=str(tmp_path / "d*" / "current"))["matches"] == [str(tmp_path / "d2" / "current")]
    # a scan stopped on the way (at d*) has no match (the directories on the way are not matches), and
    # cannot tell whether there is one: unknown
    cut = check(path=str(tmp_path / "d*" / "current"), max_entries=2)
    assert cut["truncated"] is True and cut["matches"] == [] and cut["status"] == "unknown"
    assert "unknown: nothing matched in the first 2 entries: raise max_entries" in cut["summary"]
    assert check(path=str(tmp_path / "d*" / "current"), max_entries=2, state="absent")["status"] == "unknown"


def test_twenty_thousand_files_and_max_entries(tmp_path):
    big = tmp_path / "spool"
    big.mkdir()
    for index in range(20000):
        open(str(big / ("m%05d" % index)), "wb").close()
    started = time.monotonic()
    whole = check(path=str(big), recurse=True, max_entries=100000)
    elapsed = time.monotonic() - started
    assert whole["metrics"]["count"] == 20000 and whole["truncated"] is False
    assert len(whole["matches"]) == 20
    cut = check(path=str(big / "*"), max_entries=5000)
    assert cut["truncated"] is True and cut["metrics"]["count"] <= 5000
    assert "scan stopped at max_entries=5000, the metrics cover what was seen" in cut["summary"]
    assert cut["status"] == "ok"  # reported, not judged: the matches seen are fine
    recursed = check(path=str(big), recurse=True)  # the default bound, 10000
    assert recursed["truncated"] is True and recursed["metrics"]["count"] == 10000
    print("20000 files scanned in %.3f s" % elapsed)


def test_non_utf8_names_are_escaped(tmp_path):
    raw = os.path.join(os.fsencode(str(tmp_path)), b"caf\xe9.dump")
    with open(raw, "wb") as handle:
        handle.write(b"data")
    result = check(path=str(tmp_path / "*.dump"), mode="0600")
    assert result["metrics"]["count"] == 1
    assert result["matches"] == ["%s/caf\\xe9.dump" % tmp_path]
    assert "%s/caf\\xe9.dump has mode 0644 (expected 0600)" % tmp_path in result["summary"]
    json.dumps(result).encode("utf-8")  # what Ansible must be able to return


def _as_nobody(func):
    """Run ``func`` in a forked child that dropped root to nobody; return its JSON result."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_fd, json.dumps(func()).encode("utf-8"))
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as handle:
        data = handle.read()
    os.waitpid(pid, 0)
    return json.loads(data.decode("utf-8"))


@pytest.fixture
def private_tree():
    """A world-readable base with a directory only root can read (drop root to see EACCES)."""
    base = tempfile.mkdtemp(prefix="sre-health-file-")
    os.chmod(base, 0o755)
    make(os.path.join(base, "db-1.dump"))
    private = os.path.join(base, "private")
    os.mkdir(private, 0o700)
    make(os.path.join(private, "db-2.dump"))
    yield base
    shutil.rmtree(base)


def test_unreadable_paths_are_unknown_with_the_reason(private_tree):
    if os.geteuid() != 0:
        pytest.skip("dropping to nobody needs root (as a user, chmod 000 gives EACCES: see below)")
    private = os.path.join(private_tree, "private")
    globbed = _as_nobody(lambda: check(path=[os.path.join(private_tree, "db-*.dump"),
                                             os.path.join(private, "*.dump")]))
    assert globbed["status"] == "unknown"
    assert "cannot read %s: permission denied" % private in globbed["summary"]
    assert globbed["errors"] == [{"path": private, "error": "permission denied"}]
    assert globbed["metrics"]["count"] == 1  # what could be read is still measured
    plain = _as_nobody(lambda: check(path=os.path.join(private, "db-2.dump")))
    assert plain["status"] == "unknown" and "permission denied" in plain["summary"]
    recursed = _as_nobody(lambda: check(path=private_tree, recurse=True))
    assert recursed["status"] == "unknown" and recursed["metrics"]["count"] == 2  # db-1.dump and private/
    # an entry that cannot be followed is named itself, never its directory, and the listing goes on
    os.symlink(os.path.join(private, "db-2.dump"), os.path.join(private_tree, "latest.dump"))
    make(os.path.join(private_tree, "db-3.dump"))
    followed = _as_nobody(lambda: check(path=private_tree, recurse=True, follow=True, type="file"))
    assert followed["status"] == "unknown" and followed["metrics"]["count"] == 2  # db-1.dump and db-3.dump
    assert sorted(e["path"] for e in followed["errors"]) == [os.path.join(private_tree, "latest.dump"), private]


def test_unreadable_as_a_user(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads everything; the test above drops to nobody")
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(str(locked), 0)
    try:
        assert check(path=str(locked / "*"))["status"] == "unknown"
    finally:
        os.chmod(str(locked), 0o700)


@pytest.mark.parametrize("params, option, accepted", [
    ({"path": "relative/*.dump"}, "path", "absolute paths or globs starting with /"),
    ({"path": []}, "path", "one or more absolute paths or globs"),
    ({"path": "/x", "mode": "rw-r--r--"}, "mode", "an octal mode"),
    ({"path": "/x", "mode": "99999"}, "mode", "an octal mode"),
    ({"path": "/x", "mode": 0o17777}, "mode", "an octal mode"),
    ({"path": "/x", "max_entries": 0}, "max_entries", "a whole number from 1 to 10000000"),
    ({"path": "/x", "owner": "a b"}, "owner", "a user name or a numeric id"),
    ({"path": "/x", "state": "absent", "mode": "0600"}, "mode", "mode only with state=present"),
])
def test_bad_options_name_the_option_the_value_and_what_is_accepted(params, option, accepted):
    with pytest.raises(SreHealthError) as info:
        check(**params)
    message = str(info.value)
    assert message.startswith("option %s: " % option) and accepted in message
    shown = params[option]
    assert repr(shown) in message


def test_spec_rejects_bad_choices():
    with pytest.raises(SreHealthError) as info:
        check(path="/x", type="socket")
    assert "type" in str(info.value) and "socket" in str(info.value)
