# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The disk check on real filesystems (tmpfs and a loop-mounted ext4), with df as the oracle."""

from __future__ import annotations

import math
import os

import pytest

from ansible_collections.sre.health.plugins.module_utils import _disk
from ansible_collections.sre.health.plugins.module_utils._status import OptionError, compile_thresholds

from ansible_collections.sre.health.tests.unit.utils import df, fill


def run(thresholds=None, **params):
    params.setdefault("timeout", 5.0)
    params.setdefault("exclude_fstypes", _disk.DEFAULT_EXCLUDE_FSTYPES)
    compiled = compile_thresholds(thresholds, _disk.METRICS, _disk.DEFAULT_THRESHOLDS)
    return _disk.run(_disk.validate(params), compiled)


def by_mount(results, mount):
    found = [r for r in results if r.get("mount") == mount]
    assert len(found) == 1, results
    return found[0]


MOUNTINFO = (
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "40 27 0:40 / /mnt/with\\040space rw shared:1 - ext4 /dev/sdb1 rw\n"
    "41 27 0:41 / /srv rw - xfs /dev/sdc rw\n"
    "42 41 0:42 / /srv rw - nfs4 server:/export rw\n"
    "43 27 254:0 /etc/hostname /etc/hostname rw - ext4 /dev/vda rw\n"
    "garbage line\n"
)


def test_parse_mountinfo_unescapes_and_lets_later_mounts_hide_earlier_ones():
    mounts = dict((m.mount_point, m) for m in _disk.parse_mountinfo(MOUNTINFO))
    assert sorted(mounts) == ["/", "/etc/hostname", "/mnt/with space", "/proc", "/srv"]
    assert mounts["/srv"].fstype == "nfs4" and mounts["/srv"].source == "server:/export"
    assert mounts["/mnt/with space"].device == "0:40"


def test_mount_of_is_the_longest_prefix_like_df():
    mounts = _disk.parse_mountinfo(MOUNTINFO)
    assert _disk.mount_of("/srv/data/x", mounts).mount_point == "/srv"
    assert _disk.mount_of("/srvx", mounts).mount_point == "/"
    assert _disk.mount_of("/", mounts).mount_point == "/"
    assert _disk.mount_of("/mnt/with space/a", mounts).mount_point == "/mnt/with space"


@pytest.mark.parametrize("fstype, include, exclude, selected", [
    ("ext4", [], _disk.DEFAULT_EXCLUDE_FSTYPES, True),
    ("tmpfs", [], _disk.DEFAULT_EXCLUDE_FSTYPES, False),
    ("cgroup2", [], ["cgroup*"], False),
    ("tmpfs", ["tmpfs"], _disk.DEFAULT_EXCLUDE_FSTYPES, True),
    ("ext4", ["xfs", "nfs*"], [], False),
    ("nfs4", ["xfs", "nfs*"], [], True),
])
def test_select_fstype(fstype, include, exclude, selected):
    assert _disk.select_fstype(fstype, include, exclude) is selected


def test_filled_tmpfs_is_critical_and_agrees_with_df(tmpfs):
    fill(tmpfs, int(7.6 * 1024 * 1024))
    result = run(paths=[tmpfs])[0]
    oracle = df(tmpfs)
    used = result["metrics"]["used_percent"]
    assert math.ceil(used - 0.005) == oracle["percent"] or abs(used - oracle["percent"]) < 1
    assert result["metrics"]["free_bytes"] == oracle["avail"]
    assert result["metrics"]["total_bytes"] == oracle["total"]
    assert result["status"] == "critical"
    assert result["mount"] == tmpfs and result["fstype"] == "tmpfs"
    assert result["name"] == "disk:" + tmpfs
    assert result["summary"].startswith(tmpfs + " 9")
    assert result["summary"].endswith("(critical > 90%)")


def test_levels_warning_and_ok(tmpfs):
    fill(tmpfs, int(6.8 * 1024 * 1024))  # 85%
    assert run(paths=[tmpfs])[0]["status"] == "warning"
    os.unlink(os.path.join(tmpfs, "fill.bin"))
    fill(tmpfs, 1024 * 1024)
    result = run(paths=[tmpfs])[0]
    assert result["status"] == "ok"
    assert result["summary"] == "%s 12.5%% used, 7 MiB free of 8 MiB, inodes %s used" % (
        tmpfs, "%g%%" % result["metrics"]["inodes_used_percent"])


def test_reserved_blocks_count_as_df_does(ext4_loop):
    # ext4 reserves 5% for root: used / (used + avail) is not used / total, and df uses the former.
    fill(ext4_loop, 8 * 1024 * 1024)
    result = run(paths=[ext4_loop], thresholds={"used_percent": {"warning": "", "critical": ""}})[0]
    oracle = df(ext4_loop)
    expected = 100.0 * oracle["used"] / (oracle["used"] + oracle["avail"])
    assert result["metrics"]["used_percent"] == pytest.approx(expected, abs=0.01)
    assert math.ceil(expected) == oracle["percent"]
    assert result["metrics"]["free_bytes"] == oracle["avail"]
    assert result["metrics"]["used_percent"] > 100.0 * oracle["used"] / oracle["total"] + 1
    assert result["status"] == "ok"


def test_inode_usage_agrees_with_df_i(ext4_loop):
    for i in range(200):
        open(os.path.join(ext4_loop, "f%03d" % i), "w").close()
    result = run(paths=[ext4_loop])[0]
    oracle = df(ext4_loop, inodes=True)
    metrics = result["metrics"]
    assert metrics["inodes_free"] == oracle["avail"]
    assert metrics["inodes_used_percent"] == pytest.approx(100.0 * oracle["used"] / oracle["total"], abs=0.01)
    assert metrics["inodes_used_percent"] > 80
    assert result["status"] in ("warning", "critical")
    assert "inodes_used_percent" in result["summary"]


def test_path_inside_a_mount_checks_the_filesystem_holding_it(tmpfs):
    sub = os.path.join(tmpfs, "a", "b")
    os.makedirs(sub)
    result = run(paths=[sub])[0]
    assert result["mount"] == tmpfs
    assert result["path"] == sub
    assert result["name"] == "disk:" + tmpfs
    assert result["summary"].startswith("%s (for %s)" % (tmpfs, sub))
    assert df(sub)["mount"] == tmpfs


def test_two_paths_on_one_filesystem_report_once(tmpfs):
    os.makedirs(os.path.join(tmpfs, "x"))
    results = run(paths=[tmpfs, os.path.join(tmpfs, "x")])
    assert [r["mount"] for r in results] == [tmpfs]


def test_missing_path_is_critical_and_others_still_report(tmpfs):
    missing = os.path.join(tmpfs, "does", "not", "exist")
    results = run(paths=[missing, tmpfs])
    assert results[0]["status"] == "critical"
    assert results[0]["summary"] == "%s does not exist" % missing
    assert results[1]["mount"] == tmpfs and results[1]["status"] == "ok"


def test_glob_matches_mount_points_of_selected_types(tmpfs):
    pattern = os.path.dirname(tmpfs) + "/tmp*"
    results = run(paths=[pattern], include_fstypes=["tmpfs"])
    assert [r["mount"] for r in results] == [tmpfs]
    # the default exclusion list skips tmpfs for globs
    results = run(paths=[pattern])
    assert results[0]["status"] == "critical"
    assert results[0]["summary"] == "no mounted filesystem matches %s" % pattern


def test_default_listing_skips_pseudo_filesystems_and_finds_real_ones(tmpfs, ext4_loop):
    results = run()
    mounts = [r.get("mount") for r in results]
    assert ext4_loop in mounts
    assert tmpfs not in mounts
    assert "/proc" not in mounts and "/sys" not in mounts
    assert all(r["fstype"] not in _disk.DEFAULT_EXCLUDE_FSTYPES for r in results)
    assert len(set(r["device"] for r in results if r["fstype"] == "ext4")) == len(
        [r for r in results if r["fstype"] == "ext4"])
    included = [r["mount"] for r in run(include_fstypes=["tmpfs"])]
    assert tmpfs in included and ext4_loop not in included


def test_byte_thresholds_accept_units(tmpfs):
    result = run(paths=[tmpfs], thresholds={"free_bytes": {"warning": "20MiB:", "critical": "10MiB:"}})[0]
    assert result["status"] == "critical"
    assert "critical: free_bytes 8 MiB < 10 MiB" in result["summary"]
    assert result["thresholds"]["free_bytes"] == {"warning": "20MiB:", "critical": "10MiB:"}


@pytest.mark.parametrize("params, option", [
    ({"timeout": -1}, "timeout"),
    ({"timeout": 0}, "timeout"),
    ({"paths": ["relative/path"]}, "paths"),
    ({"paths": [""]}, "paths"),
    ({"include_fstypes": [" "]}, "include_fstypes"),
])
def test_bad_options(params, option):
    with pytest.raises(OptionError) as err:
        run(**params)
    assert err.value.option == option
    assert "accepted:" in str(err.value)
