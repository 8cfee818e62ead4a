# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``file`` check kind: files and directories that must (or must not) exist, their type, mode,
owner and group, and how fresh they are (the newest backup is younger than 26 h).

What is matched: every ``path`` (an absolute path, or a glob with ``*``, ``?`` and ``[...]``
in any component; as with the shell, a wildcard does not match a leading dot). With ``recurse``
a matched directory is replaced by everything below it (as ``find DIR -mindepth 1``, symbolic
links not followed). ``type`` then keeps the entries of that type; a plain path (no wildcard,
not recursed into) of another type is critical. Entries are examined without following
symbolic links unless ``follow`` is set.

Statuses (documented in the file_check module):

- ``state: present``: nothing matches -> critical ("no file matches /backups/db-*.dump");
  a mode, owner or group other than the expected one -> critical, naming the file, what it
  has and what is expected; else the thresholds decide (none by default).
- ``state: absent``: any match -> critical, naming the first matches; none -> ok.
- A path or directory that cannot be read (permission denied, I/O error) -> unknown with the
  reason: what could not be looked at cannot count as fine.
- A symbolic link that loops (``a -> b -> a``, a link to itself; with ``follow``, or on the way to a
  path) is skipped, named in ``skipped_loops`` and in the summary, and the scan goes on: it points
  at nothing, so it is neither a match nor a reason to doubt the others. A plain path that loops is
  critical, as a missing one. Recursion never follows the links it finds, so a link to a directory
  above (``up -> ..``) found there is one entry, as ``find -L`` lists it; matched by a glob with
  ``follow`` and ``recurse``, it is a loop (walking it would scan the glob's own directory again).

The scan is bounded: it stops after ``max_entries`` directory entries (said in the summary,
``truncated`` in the result), and the kind runs in a child process killed at the check's
deadline, so neither a directory of a million files nor a hung mount holds the module.
Memory stays bounded too: matches are aggregated as they are found, never listed whole.

Standard library only; read-only.
"""

from __future__ import annotations

import errno
import fnmatch
import grp
import os
import pwd
import stat
import time

from ansible_collections.sre.health.plugins.module_utils import _filetype
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    UNKNOWN,
    describe_breaches,
    evaluate,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, SECONDS, format_quantity

KIND = "file"

METRICS = {
    "count": COUNT,
    "age_seconds": SECONDS,
    "oldest_age_seconds": SECONDS,
    "size_bytes": BYTES,
    "total_bytes": BYTES,
}

# Presence is the job of ``state`` (present: at least one match, absent: none), so ``count``
# needs no default; freshness and sizes have no bound that fits every file.
DEFAULT_THRESHOLDS = {}

STATES = ("present", "absent")
TYPES = ("file", "directory", "link", "any")
DEFAULT_MAX_ENTRIES = 10000
MAX_MAX_ENTRIES = 10000000
# How many offending files a summary names (the result lists up to SHOWN_IN_RESULT).
NAMED_IN_SUMMARY = 5
SHOWN_IN_RESULT = 20

OPTIONS = dict(
    path=dict(type="list", elements="str", required=True),
    state=dict(type="str", default="present", choices=list(STATES)),
    type=dict(type="str", default="any", choices=list(TYPES)),
    recurse=dict(type="bool", default=False),
    follow=dict(type="bool", default=False),
    mode=dict(type="raw"),
    owner=dict(type="str"),
    group=dict(type="str"),
    max_entries=dict(type="int", default=DEFAULT_MAX_ENTRIES),
)

CONSTRAINTS = {}

REQUIRES = {}

# Not for patterns: a scan of a huge directory or a hung mount is stopped at the deadline by
# killing the child (a thread would go on scanning after it was abandoned).
ISOLATED = True

_MAGIC = set("*?[")
_TYPE_WORDS = {"file": "a regular file", "directory": "a directory", "link": "a symbolic link"}


def is_glob(pattern):
    """Whether ``pattern`` has a wildcard (``*``, ``?`` or ``[``)."""
    return bool(_MAGIC & set(pattern))


def _check_paths(paths):
    if not paths:
        raise OptionError("path", paths, "one or more absolute paths or globs")
    for item in paths:
        if not isinstance(item, str) or not item.startswith("/") or "\0" in item:
            raise OptionError("path", item, "absolute paths or globs starting with /")
    return list(paths)


def parse_mode(value):
    """The expected permission bits from ``mode``: an octal string (``"0640"``, ``"640"``,
    ``"u=rw,g=r"`` is not taken) or a number as YAML reads an unquoted ``0640``."""
    if value is None:
        return None
    accepted = "an octal mode as a quoted string such as '0640' or '2775' (0 to 07777)"
    if isinstance(value, bool):
        raise OptionError("mode", value, accepted)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip() and all(c in "01234567" for c in value.strip()):
        number = int(value.strip(), 8)
    else:
        raise OptionError("mode", value, accepted)
    if not 0 <= number <= 0o7777:
        raise OptionError("mode", value, accepted)
    return number


def _check_principal(option, value):
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or any(c.isspace() or c == ":" for c in value):
        raise OptionError(option, value, "a %s name or a numeric id" % ("user" if option == "owner" else "group"))
    return value.strip()


def validate(params):
    max_entries = params.get("max_entries", DEFAULT_MAX_ENTRIES)
    if isinstance(max_entries, bool) or not isinstance(max_entries, int) or not 1 <= max_entries <= MAX_MAX_ENTRIES:
        raise OptionError("max_entries", max_entries, "a whole number from 1 to %d" % MAX_MAX_ENTRIES)
    state = params.get("state") or "present"
    kind = params.get("type") or "any"
    if state not in STATES:
        raise OptionError("state", state, ", ".join(STATES))
    if kind not in TYPES:
        raise OptionError("type", kind, ", ".join(TYPES))
    mode = parse_mode(params.get("mode"))
    owner = _check_principal("owner", params.get("owner"))
    group = _check_principal("group", params.get("group"))
    if state == "absent":
        for option, value in (("mode", params.get("mode")), ("owner", owner), ("group", group)):
            if value is not None:
                raise OptionError(option, value, "%s only with state=present (absent files have none)" % option)
    return Config(paths=_check_paths(params.get("path")), state=state, type=kind, recurse=bool(params.get("recurse")),
                  follow=bool(params.get("follow")), mode=mode, owner=owner, group=group, max_entries=max_entries)


# --- finding the matches ----------------------------------------------------------------------

class Scan(object):
    """What a scan found: the entries are handed to ``sink`` as ``(path, stat)``; errors and the
    entry budget are kept here."""

    def __init__(self, max_entries, follow, sink):
        self.left = max_entries
        self.max_entries = max_entries
        self.follow = follow
        self.sink = sink
        self.truncated = False
        self.errors = []  # (path, reason)
        self.loops = []  # the symbolic links skipped because they loop (up to SHOWN_IN_RESULT)
        self.loop_count = 0

    def take(self):
        """Count one more directory entry examined; False once the budget is spent."""
        if self.left <= 0:
            self.truncated = True
            return False
        self.left -= 1
        return True

    def error(self, path, exc):
        self.errors.append((path, os_reason(exc)))

    def failed(self, path, exc):
        """What could not be looked at: a loop is skipped and named, a missing path ignored (it went away
        or never was), anything else is an error of ``path``."""
        if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
            self.loop(path)
        elif not _missing(exc):
            self.error(path, exc)

    def loop(self, path):
        self.loop_count += 1
        if len(self.loops) < SHOWN_IN_RESULT:
            self.loops.append(path)

    def stat(self, path):
        """stat (or lstat) of ``path``; a dangling link followed is its own lstat."""
        if self.follow:
            try:
                return os.stat(path)
            except FileNotFoundError:
                pass
        return os.lstat(path)


def os_reason(exc):
    """``permission denied``: an OSError's reason, as summaries show it."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return "%s: %s" % (type(exc).__name__, exc)


def _missing(exc):
    return isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.ENOTDIR)


def _list_dir(scan, directory, component):
    """The names in ``directory`` matching the glob ``component`` (a wildcard skips dot names)."""
    found = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if not scan.take():
                    break
                name = entry.name
                if name.startswith(".") and not component.startswith("."):
                    continue
                if fnmatch.fnmatchcase(name, component):
                    found.append(os.path.join(directory, name))
    except OSError as exc:
        scan.failed(directory, exc)
    return found


def expand(scan, pattern):
    """The existing paths a glob ``pattern`` names, in order; a plain path is returned as is."""
    if not is_glob(pattern):
        return [pattern]
    parts = [p for p in pattern.split("/") if p]
    candidates = ["/"]
    for index, component in enumerate(parts):
        last = index == len(parts) - 1
        if is_glob(component):
            candidates = [path for directory in candidates for path in sorted(_list_dir(scan, directory, component))]
        else:
            candidates = [os.path.join(c, component) for c in candidates]
            if last:
                candidates = [c for c in candidates if _exists(scan, c)]
        if scan.truncated:
            # stopped midway: directories on the way are not matches
            return candidates if last else []
    return candidates


def _exists(scan, path):
    try:
        os.lstat(path)
        return True
    except OSError as exc:
        scan.failed(path, exc)
        return False


def walk(scan, top, wanted):
    """Hand every entry below the directory ``top`` of type ``wanted`` to the sink, depth first,
    without following symbolic links to directories.

    An entry that cannot be examined (a link that loops, followed) is that entry's problem, never the
    directory's: it is skipped and the listing goes on."""
    stack = [top]
    while stack and not scan.truncated:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if not scan.take():
                        break
                    try:
                        st = _entry_stat(entry) if scan.follow else entry.stat(follow_symlinks=False)
                        below = entry.is_dir(follow_symlinks=False)
                    except OSError as exc:
                        scan.failed(entry.path, exc)
                        continue
                    if below:
                        stack.append(entry.path)
                    if _is_type(st, wanted):
                        scan.sink(entry.path, st)
        except OSError as exc:
            scan.failed(directory, exc)


def _entry_stat(entry):
    try:
        return entry.stat(follow_symlinks=True)
    except FileNotFoundError:
        return entry.stat(follow_symlinks=False)


def _is_type(st, wanted):
    if wanted == "file":
        return stat.S_ISREG(st.st_mode)
    if wanted == "directory":
        return stat.S_ISDIR(st.st_mode)
    if wanted == "link":
        return stat.S_ISLNK(st.st_mode)
    return True


def type_word(st):
    return _filetype.type_word(st.st_mode)


# --- judging ------------------------------------------------------------------------------------

def _uid_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _gid_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


class _Matches(object):
    """The matches, aggregated as they come (bounded memory): metrics, names, mismatches."""

    def __init__(self, config, now):
        self.config = config
        self.now = now
        self.count = 0
        self.total = 0
        self.newest = None  # (mtime, path, size)
        self.oldest = None
        self.shown = []
        self.mismatches = []
        self.mismatch_count = 0
        self.problems = []  # (level, text)

    def add(self, path, st):
        self.count += 1
        self.total += st.st_size
        if self.newest is None or st.st_mtime > self.newest[0]:
            self.newest = (st.st_mtime, path, st.st_size)
        if self.oldest is None or st.st_mtime < self.oldest[0]:
            self.oldest = (st.st_mtime, path, st.st_size)
        if len(self.shown) < SHOWN_IN_RESULT:
            self.shown.append(path)
        wrong = self._expectations(st)
        if wrong:
            self.mismatch_count += 1
            if len(self.mismatches) < SHOWN_IN_RESULT:
                self.mismatches.append({"path": path, "problems": wrong})

    def _expectations(self, st):
        """What ``st`` has that differs from mode, owner and group: ``["mode 0644 (expected 0640)"]``."""
        cfg = self.config
        wrong = []
        if cfg.mode is not None and stat.S_IMODE(st.st_mode) != cfg.mode:
            wrong.append("mode %04o (expected %04o)" % (stat.S_IMODE(st.st_mode), cfg.mode))
        for option, expected, number, namer in (("owner", cfg.owner, st.st_uid, _uid_name),
                                                ("group", cfg.group, st.st_gid, _gid_name)):
            if expected is None:
                continue
            actual = namer(number)
            if expected != (str(number) if expected.isdigit() else actual):
                wrong.append("%s %s (expected %s)" % (option, actual, expected))
        return wrong

    def metrics(self):
        if not self.count:
            return {"count": 0, "age_seconds": None, "oldest_age_seconds": None, "size_bytes": None,
                    "total_bytes": 0}
        return {"count": self.count, "age_seconds": round(self.now - self.newest[0], 3),
                "oldest_age_seconds": round(self.now - self.oldest[0], 3), "size_bytes": self.newest[2],
                "total_bytes": self.total}


def _literal(scan, matches, path, cfg):
    """A plain path: it must exist, and be of ``type`` (else critical); a directory is recursed into."""
    try:
        st = scan.stat(path)
    except OSError as exc:
        scan.failed(path, exc)
        if exc.errno == errno.ELOOP:
            matches.problems.append((CRITICAL, "%s is a symbolic link loop%s" % (
                path, ", expected absent" if cfg.state == "absent" else "")))
        elif _missing(exc) and cfg.state == "present":
            matches.problems.append((CRITICAL, "%s does not exist" % path))
        return
    if cfg.recurse and (stat.S_ISDIR(st.st_mode) or (stat.S_ISLNK(st.st_mode) and os.path.isdir(path))):
        walk(scan, path, cfg.type)  # the directory named, even through a link, as ``find -H``
    elif _is_type(st, cfg.type):
        matches.add(path, st)
    elif cfg.state == "present":
        matches.problems.append((CRITICAL, "%s is %s, expected %s" % (path, type_word(st), _TYPE_WORDS[cfg.type])))


def _link_above(path):
    """Whether ``path`` is a symbolic link to a directory that holds it (``up -> ..``, ``here -> .``)."""
    if not os.path.islink(path):
        return False
    target = os.path.realpath(path)
    home = os.path.realpath(os.path.dirname(path))
    return home == target or home.startswith(target.rstrip("/") + "/")


def _globbed(scan, matches, pattern, cfg):
    before = (matches.count, len(scan.errors))
    for path in expand(scan, pattern):
        try:
            st = scan.stat(path)
        except OSError as exc:
            scan.failed(path, exc)
            continue
        if cfg.recurse and stat.S_ISDIR(st.st_mode):
            if _link_above(path):
                scan.loop(path)  # walking it would scan the directory it was found in once more
                continue
            walk(scan, path, cfg.type)
        elif _is_type(st, cfg.type):
            matches.add(path, st)
    # Nothing seen because something could not be read is unknown (the error says so), not critical.
    if (matches.count, len(scan.errors)) == before and cfg.state == "present" and not scan.truncated:
        what = "no %s" % ("entry" if cfg.type == "any" else _TYPE_WORDS[cfg.type].split(" ", 1)[1])
        matches.problems.append((CRITICAL, "%s matches %s" % (what, pattern)))


def scan_paths(cfg, now=None):
    """Scan every path of ``cfg``: ``(matches, scan)``."""
    matches = _Matches(cfg, time.time() if now is None else now)
    scan = Scan(cfg.max_entries, cfg.follow, matches.add)
    for pattern in cfg.paths:
        if scan.truncated:
            break
        if is_glob(pattern):
            _globbed(scan, matches, pattern, cfg)
        else:
            _literal(scan, matches, pattern, cfg)
    return matches, scan


def named(items, total, separator=", "):
    """The first NAMED_IN_SUMMARY of ``items``, then "and N more" up to ``total``."""
    shown = separator.join(items[:NAMED_IN_SUMMARY])
    return shown + (" and %d more" % (total - NAMED_IN_SUMMARY) if total > NAMED_IN_SUMMARY else "")


def _problems(cfg, matches, scan):
    """Every (level, text) the scan gives, beyond the thresholds."""
    problems = list(matches.problems)
    if cfg.state == "absent" and matches.count:
        problems.append((CRITICAL, "expected absent, found %s" % named(matches.shown, matches.count)))
    if matches.mismatch_count:
        texts = ["%s has %s" % (m["path"], ", ".join(m["problems"])) for m in matches.mismatches]
        problems.append((CRITICAL, named(texts, matches.mismatch_count, "; ")))
    if scan.truncated and not matches.count:
        problems.append((UNKNOWN, "nothing matched in the first %d entries: raise max_entries" % cfg.max_entries))
    for path, reason in scan.errors[:NAMED_IN_SUMMARY]:
        problems.append((UNKNOWN, "cannot read %s: %s" % (path, reason)))
    if len(scan.errors) > NAMED_IN_SUMMARY:
        problems.append((UNKNOWN, "%d more unreadable paths" % (len(scan.errors) - NAMED_IN_SUMMARY)))
    return problems


def _headline(cfg, matches, scan):
    metrics = matches.metrics()
    if not matches.count:
        headline = "no match"
    else:
        headline = "%d match%s, newest %s old (%s, %s)" % (
            matches.count, "" if matches.count == 1 else "es", format_duration(metrics["age_seconds"], True),
            matches.newest[1], format_quantity(matches.newest[2], BYTES))
        if matches.count > 1:
            headline += ", oldest %s old, %s in total" % (format_duration(metrics["oldest_age_seconds"], True),
                                                          format_quantity(matches.total, BYTES))
    if scan.loop_count:
        headline += "; skipped %d symbolic link loop%s: %s" % (
            scan.loop_count, "" if scan.loop_count == 1 else "s", named(scan.loops, scan.loop_count))
    if scan.truncated:
        headline += "; scan stopped at max_entries=%d, the metrics cover what was seen" % cfg.max_entries
    return headline


def run(config, compiled, name=KIND):
    started = time.monotonic()
    matches, scan = scan_paths(config)
    metrics = matches.metrics()
    problems = _problems(config, matches, scan)
    status, breaches = evaluate(metrics, compiled, METRICS)
    texts = ["%s: %s" % (level, text) for level, text in problems]
    if breaches:
        texts.append(describe_breaches(breaches))
    where = ", ".join(config.paths)
    summary = "%s: %s" % (where, _headline(config, matches, scan))
    if texts:
        summary += " (%s)" % "; ".join(texts)
    extra = dict(paths=config.paths, state=config.state, type=config.type, matches=matches.shown,
                 newest=matches.newest[1] if matches.newest else None,
                 oldest=matches.oldest[1] if matches.oldest else None, truncated=scan.truncated,
                 mismatches=matches.mismatches, errors=[{"path": p, "error": r} for p, r in scan.errors[:SHOWN_IN_RESULT]],
                 skipped_loops=scan.loops)
    return [make_result("%s:%s" % (name, where) if name == KIND else name, KIND,
                        worst([status] + [level for level, _text in problems]), summary, metrics,
                        thresholds_as_text(compiled), (time.monotonic() - started) * 1000.0, **extra)]
