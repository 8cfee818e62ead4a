# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``disk`` check kind: space and inode usage per mounted filesystem, as ``df`` computes it.

Needs no third-party library: mounts come from /proc/self/mountinfo, numbers from statvfs().
Each filesystem is measured in its own thread with a timeout, so a hung mount (stale NFS)
reports ``unknown`` instead of hanging the module.
"""

from __future__ import annotations

import fnmatch
import os

from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._runner import TaskTimeout, run_all
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    UNKNOWN,
    OptionError,
    check_timeout,
    judge,
    make_result,
    thresholds_as_text,
)
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, PERCENT, format_quantity

KIND = "disk"

METRICS = {
    "used_percent": PERCENT,
    "free_bytes": BYTES,
    "total_bytes": BYTES,
    "inodes_used_percent": PERCENT,
    "inodes_free": COUNT,
}

DEFAULT_THRESHOLDS = {
    "used_percent": {"warning": "80", "critical": "90"},
    "inodes_used_percent": {"warning": "80", "critical": "90"},
}

# Pseudo and virtual filesystems, and read-only images that are always 100% full.
DEFAULT_EXCLUDE_FSTYPES = [
    "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts",
    "devtmpfs", "efivarfs", "fuse.gvfsd-fuse", "fuse.lxcfs", "fuse.portal", "fusectl",
    "hugetlbfs", "iso9660", "mqueue", "nsfs", "overlay", "proc", "pstore", "ramfs",
    "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs", "tmpfs", "tracefs",
]

DEFAULT_TIMEOUT = 5.0
MAX_WORKERS = 8

OPTIONS = dict(
    paths=dict(type="list", elements="str"),
    include_fstypes=dict(type="list", elements="str"),
    exclude_fstypes=dict(type="list", elements="str", default=DEFAULT_EXCLUDE_FSTYPES),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
)

CONSTRAINTS = {}

REQUIRES = {}

# Pure measurement: runs in a thread (see _kind).
ISOLATED = False

_GLOB_CHARS = set("*?[")


class Mount(object):
    __slots__ = ("mount_point", "fstype", "source", "device")

    def __init__(self, mount_point, fstype, source, device):
        self.mount_point = mount_point
        self.fstype = fstype
        self.source = source
        self.device = device


def _unescape(field):
    # mountinfo escapes space, tab, newline and backslash as \ooo octal
    out = []
    i = 0
    while i < len(field):
        code = field[i + 1:i + 4]
        if field[i] == "\\" and len(code) == 3 and code.isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text):
    """Parse /proc/self/mountinfo; a later mount on the same point hides the earlier one."""
    mounts = {}
    for line in text.splitlines():
        fields = line.split(" ")
        if " - " not in line or len(fields) < 10:
            continue
        sep = fields.index("-", 6)
        mount_point = _unescape(fields[4])
        fstype = fields[sep + 1]
        source = _unescape(fields[sep + 2]) if len(fields) > sep + 2 else ""
        mounts.pop(mount_point, None)
        mounts[mount_point] = Mount(mount_point, fstype, source, fields[2])
    return list(mounts.values())


def read_mounts(path="/proc/self/mountinfo"):
    with open(path, "r", encoding="utf-8", errors="surrogateescape") as handle:
        return parse_mountinfo(handle.read())


def _matches(fstype, patterns):
    return any(fnmatch.fnmatchcase(fstype, p) for p in patterns)


def select_fstype(fstype, include, exclude):
    """An explicitly included type wins over the (default) exclusion list."""
    if include:
        return _matches(fstype, include)
    return not _matches(fstype, exclude or [])


def mount_of(path, mounts):
    """The mount holding ``path`` (already resolved), as ``df PATH`` finds it: longest prefix."""
    best = None
    for mount in mounts:
        mp = mount.mount_point
        if path == mp or mp == "/" or path.startswith(mp.rstrip("/") + "/"):
            if best is None or len(mp) > len(best.mount_point):
                best = mount
    return best


def measure(path):
    """Space and inode metrics of the filesystem holding ``path``, as df computes them."""
    st = os.statvfs(path)
    frsize = st.f_frsize or st.f_bsize
    total = st.f_blocks * frsize
    used = (st.f_blocks - st.f_bfree) * frsize
    avail = st.f_bavail * frsize
    metrics = {
        "used_percent": round(100.0 * used / (used + avail), 2) if used + avail > 0 else 0.0,
        "free_bytes": avail,
        "total_bytes": total,
        "inodes_used_percent": None,
        "inodes_free": None,
    }
    if st.f_files > 0:
        metrics["inodes_used_percent"] = round(100.0 * (st.f_files - st.f_ffree) / st.f_files, 2)
        metrics["inodes_free"] = st.f_ffree
    return metrics


def validate(params):
    timeout = check_timeout("timeout", params.get("timeout"))
    for option in ("paths", "include_fstypes", "exclude_fstypes"):
        for item in params.get(option) or []:
            if not isinstance(item, str) or not item.strip():
                raise OptionError(option, item, "non-empty strings")
    for item in params.get("paths") or []:
        if not item.startswith("/"):
            raise OptionError("paths", item, "absolute paths or globs starting with /")
    exclude = params.get("exclude_fstypes")
    return Config(timeout=timeout, paths=list(params.get("paths") or []),
                  include_fstypes=list(params.get("include_fstypes") or []),
                  exclude_fstypes=DEFAULT_EXCLUDE_FSTYPES if exclude is None else list(exclude))


def _targets(config, mounts):
    """Expand ``paths`` into (label, path, mount or None, error) tuples, one per filesystem."""
    selected = [m for m in mounts if select_fstype(m.fstype, config.include_fstypes, config.exclude_fstypes)]
    targets = []
    if not config.paths:
        # All real filesystems, once per device (bind mounts of one device are one filesystem).
        by_device = {}
        for mount in selected:
            known = by_device.get(mount.device)
            if known is None or len(mount.mount_point) < len(known.mount_point):
                by_device[mount.device] = mount
        for mount in sorted(by_device.values(), key=lambda m: m.mount_point):
            targets.append((mount.mount_point, mount.mount_point, mount, None))
        return targets
    for item in config.paths:
        if _GLOB_CHARS & set(item):
            matched = [m for m in selected if fnmatch.fnmatchcase(m.mount_point, item)]
            if not matched:
                targets.append((item, item, None, "no mounted filesystem matches %s" % item))
            for mount in sorted(matched, key=lambda m: m.mount_point):
                targets.append((mount.mount_point, mount.mount_point, mount, None))
        else:
            # Lexical guess only (resolving symlinks could block on a hung mount); the worker
            # resolves the path for real.
            targets.append((item, item, mount_of(os.path.normpath(item), mounts), None))
    return targets


def _probe(path, mounts):
    """Resolve ``path`` and measure it; runs in a worker thread (may block on a hung mount)."""
    if not os.path.lexists(path):
        return None, None
    resolved = os.path.realpath(path)
    mount = mount_of(resolved, mounts)
    return mount, measure(resolved)


def run(config, compiled, name=KIND):
    mounts = read_mounts()
    targets = _targets(config, mounts)
    thresholds = thresholds_as_text(compiled)
    tasks = [(lambda p=path: _probe(p, mounts), config.timeout)
             for _label, path, _m, error in targets if error is None]
    outcome = run_all(tasks, max_workers=MAX_WORKERS, timeout=config.timeout)
    results = []
    seen = set()
    pending = iter(outcome.results)
    for label, path, mount, error in targets:
        if error is not None:
            results.append(make_result("%s:%s" % (name, label), KIND, CRITICAL, error, thresholds=thresholds, path=path))
            continue
        result = _judge_target(name, path, mount, next(pending), compiled, thresholds)
        if "mount" in result:
            if result["mount"] in seen:
                continue
            seen.add(result["mount"])
        results.append(result)
    return results


def _judge_target(name, path, mount, outcome, compiled, thresholds):
    """The result of one measured path."""
    value, exc, duration = outcome
    duration_ms = duration * 1000.0
    if isinstance(exc, TaskTimeout):
        where = mount.mount_point if mount is not None else path
        summary = "%s did not answer: statvfs %s (hung mount?)" % (where, exc)
        return make_result("%s:%s" % (name, where), KIND, UNKNOWN, summary, thresholds=thresholds,
                           duration_ms=duration_ms, path=path)
    if exc is not None:
        summary = "%s could not be measured: %s" % (path, _describe_error(exc))
        return make_result("%s:%s" % (name, path), KIND, UNKNOWN, summary, thresholds=thresholds,
                           duration_ms=duration_ms, path=path)
    found_mount, metrics = value
    if metrics is None:
        return make_result("%s:%s" % (name, path), KIND, CRITICAL, "%s does not exist" % path,
                           thresholds=thresholds, duration_ms=duration_ms, path=path)
    mount = found_mount or mount
    mount_point = mount.mount_point if mount is not None else path
    subject = mount_point if path == mount_point else "%s (for %s)" % (mount_point, path)
    headline = "%s used, %s free of %s" % (
        format_quantity(metrics["used_percent"], PERCENT),
        format_quantity(metrics["free_bytes"], BYTES),
        format_quantity(metrics["total_bytes"], BYTES),
    )
    if metrics["inodes_used_percent"] is not None:
        headline += ", inodes %s used" % format_quantity(metrics["inodes_used_percent"], PERCENT)
    return judge(
        "%s:%s" % (name, mount_point), KIND, subject, headline, metrics, compiled, METRICS,
        primary="used_percent", duration_ms=duration_ms, path=path, mount=mount_point,
        fstype=mount.fstype if mount is not None else None,
        device=mount.source if mount is not None else None,
    )


def _describe_error(exc):
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return "%s: %s" % (type(exc).__name__, exc)
