# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``process`` check kind: how many processes match, their memory and CPU use."""

from __future__ import annotations

import os
import time

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._load import check_interval
from ansible_collections.sre.health.plugins.module_utils._pattern import compile_regex
from ansible_collections.sre.health.plugins.module_utils._runner import forked_from
from ansible_collections.sre.health.plugins.module_utils._status import judge
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, PERCENT, format_quantity

try:
    import psutil
except ImportError:
    psutil = None

KIND = "process"

METRICS = {
    "count": COUNT,
    "rss_bytes": BYTES,
    "cpu_percent": PERCENT,
}

DEFAULT_THRESHOLDS = {
    "count": {"critical": "1:"},
}

DEFAULT_INTERVAL = 0.2

# Any local user chooses its command line: a pattern sees at most this much of it (Linux allows
# megabytes), so that even a linear pattern's cost is bounded; the check's deadline bounds the rest.
MAX_PATTERN_TEXT = 64 * 1024

OPTIONS = dict(
    name=dict(type="str"),
    pattern=dict(type="str"),
    user=dict(type="str"),
    interval=dict(type="float", default=DEFAULT_INTERVAL),
)

CONSTRAINTS = dict(required_one_of=[["name", "pattern", "user"]])

REQUIRES = {"psutil": lambda: psutil is not None}

# Feeds host- or peer-chosen text to user patterns or parsers: a child process (see _kind).
ISOLATED = True


def validate(params):
    if not any(params.get(k) for k in ("name", "pattern", "user")):
        raise OptionError("name/pattern/user", None, "at least one of name, pattern or user")
    regex = compile_regex("pattern", params.get("pattern") or None)
    # Only a pattern (matched against command lines any user chooses) needs a child process.
    return Config(isolated=regex is not None, name=params.get("name"), pattern=params.get("pattern"), regex=regex,
                  user=params.get("user"),
                  interval=check_interval(params.get("interval", DEFAULT_INTERVAL)))


def _name_matches(proc, name):
    try:
        if proc.name() == name:
            return True
        cmdline = proc.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    # comm is cut at 15 characters; also accept the program named by argv[0] or exe
    return bool(cmdline) and os.path.basename(cmdline[0]) == name


def _pattern_text(cmdline):
    """The command line a ``pattern`` is matched against, at most MAX_PATTERN_TEXT characters."""
    return " ".join(cmdline or [])[:MAX_PATTERN_TEXT]


def find(name=None, regex=None, user=None):
    """Live (non-zombie) processes matching every given criterion, excluding the module itself
    (this process, and the module process that forked it when the check runs in a child)."""
    me = (os.getpid(), forked_from())
    found = []
    for proc in psutil.process_iter(["pid", "name", "username", "status", "cmdline"]):
        info = proc.info
        if info["pid"] in me or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if user is not None and info["username"] != user:
            continue
        if name is not None and not _name_matches(proc, name):
            continue
        if regex is not None and not regex.search(_pattern_text(info["cmdline"])):
            continue
        found.append(proc)
    return found


def measure(procs, interval):
    rss = 0
    alive = []
    for proc in procs:
        try:
            rss += proc.memory_info().rss
            if interval > 0:
                proc.cpu_percent(None)
            alive.append(proc)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        except psutil.AccessDenied:
            alive.append(proc)
    cpu = None
    if interval > 0:
        time.sleep(interval)
        cpu = 0.0
        for proc in alive:
            try:
                cpu += proc.cpu_percent(None)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        cpu = round(cpu, 2)
    return {"count": len(alive), "rss_bytes": rss, "cpu_percent": cpu}


def label(config):
    parts = []
    if config.name:
        parts.append(config.name)
    if config.pattern:
        parts.append("/%s/" % config.pattern)
    if config.user:
        parts.append("user %s" % config.user)
    return " ".join(parts)


def run(config, compiled, name=KIND):
    started = time.monotonic()
    procs = find(config.name, config.regex, config.user)
    metrics = measure(procs, config.interval)
    duration_ms = (time.monotonic() - started) * 1000.0
    what = label(config)
    count = metrics["count"]
    if count == 0:
        headline = "no process running"
    else:
        headline = "%d process%s, %s RSS" % (count, "" if count == 1 else "es", format_quantity(metrics["rss_bytes"], BYTES))
        if metrics["cpu_percent"] is not None:
            headline += ", CPU %s" % format_quantity(metrics["cpu_percent"], PERCENT)
    pids = sorted(p.pid for p in procs)[:20]
    return [judge("%s:%s" % (name, what) if name == KIND else name, KIND, "%s:" % what, headline, metrics, compiled,
                  METRICS, primary="count", duration_ms=duration_ms, pids=pids)]
