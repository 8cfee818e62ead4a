# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``systemd`` check kind: the host's systemd as a whole, not named units (that is ``service``).

Three parts, each read with one read-only ``systemctl`` call, and only when asked for:

- ``system_state``: ``systemctl is-system-running``. It exits non-zero for every state but
  running, so its standard output is judged, not its exit code: running is ok, degraded a
  warning (``degraded_status`` makes it critical), starting and initializing a warning,
  maintenance and stopping critical. offline (systemd is not PID 1) and unknown make the whole
  check ``unknown``: nothing else can be read then.
- ``failed_units``: ``systemctl list-units --state=failed``; the count is the metric
  ``failed_units`` (critical above 0 by default), the summary names the first few. ``ignore``
  globs leave units out of the count; a system degraded only by ignored units is not degraded.
- ``timers``: one ``systemctl show`` of the timers (names or globs; systemd expands globs over
  the units it has loaded) and of the services they start, guessed by name (``x.timer`` starts
  ``x.service`` unless it says ``Unit=``; a second call reads the services guessed wrong). Each
  timer is one result ``<check>:<timer>``: the age of its last trigger (metric
  ``last_trigger_age_seconds``), how its service's last run ended (Result, ExecMainCode,
  ExecMainStatus), its next elapse. A failed last run, a timer that does not run (inactive,
  masked, failed) and one not triggered within ``max_age`` are critical; a name or glob that
  matches no timer is critical.

systemctl runs through ``_service.call_systemctl`` (C locale, bounded output, its process group
killed at the deadline) with ``TZ=UTC``, so that every timestamp it prints is UTC and parses
without a time zone database. One deadline (``timeout``) covers every call. No systemctl, or
systemd not running, is ``unknown`` with systemctl's own reason.

Pure logic over systemctl's text: ``parse_*`` and ``judge_*`` take captured output and a pinned
"now", so the tests run them on real systemd output.
"""

from __future__ import annotations

import calendar
import fnmatch
import re
import signal
import time

from ansible_collections.sre.health.plugins.module_utils import _service
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration, parse_duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._file import is_glob, named
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    check_timeout,
    describe_breaches,
    evaluate,
    make_result,
    thresholds_as_text,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import COUNT, SECONDS

SystemctlError = _service.SystemctlError

KIND = "systemd"

METRICS = {
    "failed_units": COUNT,
    "last_trigger_age_seconds": SECONDS,
}

# A failed unit is a problem until someone looks at it (or ignores it); how old a timer's last
# run may be depends on the timer, so max_age (or a threshold) says it.
DEFAULT_THRESHOLDS = {"failed_units": {"critical": "0"}}

# The metrics of each result: the system's, and each timer's.
SYSTEM_METRICS = ("failed_units",)
TIMER_METRICS = ("last_trigger_age_seconds",)

DEGRADED_CHOICES = ("warning", "critical")
DEFAULT_TIMEOUT = 10.0

OPTIONS = dict(
    failed_units=dict(type="bool", default=True),
    ignore=dict(type="list", elements="str", default=[]),
    system_state=dict(type="bool", default=True),
    degraded_status=dict(type="str", default="warning", choices=list(DEGRADED_CHOICES)),
    timers=dict(type="list", elements="str", default=[]),
    max_age=dict(type="str"),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
)

CONSTRAINTS = {}

REQUIRES = {}

# Pure measurement (a few short answers from systemd, read with bounds): runs in a thread.
ISOLATED = False

# ``systemctl is-system-running`` states, and what each is worth. degraded: degraded_status.
STATE_STATUS = {
    "running": OK,
    "starting": WARNING,
    "initializing": WARNING,
    "maintenance": CRITICAL,
    "stopping": CRITICAL,
}
# systemd is not the service manager here (offline), or cannot tell: nothing else can be read.
NO_SYSTEMD_STATES = ("offline", "unknown")
STATE_MEANING = {
    "offline": "systemd is not running as the system manager (PID 1)",
    "unknown": "systemd cannot tell its own state",
    "starting": "still booting",
    "initializing": "early boot",
    "maintenance": "rescue or emergency mode",
    "stopping": "shutting down",
}

# Systemd's environment for these calls: UTC timestamps, parsed without a time zone database.
SYSTEMCTL_ENVIRONMENT = {"TZ": "UTC"}

# Asked of the timers and their services in one show; each unit prints the ones its type has.
TIMER_PROPERTIES = (
    "Id",
    "Names",
    "Description",
    "LoadState",
    "ActiveState",
    "SubState",
    "UnitFileState",
    "Result",
    "Unit",
    "LastTriggerUSec",
    "NextElapseUSecRealtime",
    "NextElapseUSecMonotonic",
    "ActiveEnterTimestamp",
    "ExecMainCode",
    "ExecMainStatus",
    "ExecMainStartTimestamp",
    "ExecMainExitTimestamp",
)

LIST_FAILED = ("list-units", "--state=failed", "--plain", "--no-legend", "--no-pager", "--full")

# How many failed or ignored units a result lists (the summary names NAMED_IN_SUMMARY of them).
LISTED = 50

# Unit name characters (systemd's unit_name_is_valid) plus the glob characters fnmatch knows.
_PATTERN_RE = re.compile(r"^[A-Za-z0-9:_.\\@*?\[\]!-]+$")
_TYPE_SUFFIX_RE = re.compile(r"\.(%s)$" % "|".join(_service.UNIT_TYPES))

TIMERS_ACCEPTED = ("timer names or globs such as logrotate, logrotate.timer or backup-* (the .timer suffix is "
                   "optional): letters, digits, : _ . \\ @ - and the glob characters * ? [ ], at most %d characters"
                   % _service.UNIT_NAME_MAX)
IGNORE_ACCEPTED = ("unit names or globs such as user@*.service or backup-* (a pattern without a type suffix "
                   "matches every type): letters, digits, : _ . \\ @ - and * ? [ ]")
MAX_AGE_ACCEPTED = "a duration greater than 0 such as 90m, 26h or 8d (units ms, s, m, h, d; a number is seconds)"

# systemd's timespans (format_timespan) in NextElapseUSecMonotonic: "1d 6h 8min 57.961556s".
_TIMESPAN_UNITS = {"y": 31557600.0, "month": 2629800.0, "w": 604800.0, "d": 86400.0, "h": 3600.0,
                   "min": 60.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, u"\u00b5s": 1e-6, u"\u03bcs": 1e-6}
_TIMESPAN_RE = re.compile(u"^(\\d+(?:\\.\\d+)?)(y|month|w|d|h|min|m|s|ms|us|\u00b5s|\u03bcs)$")
_TIMESTAMP_RE = re.compile(r"^[A-Za-z]{3} (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) UTC$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# ExecMainCode: how the main process ended (the CLD_* codes of waitid()).
EXIT_CODES = {1: "exited", 2: "killed", 3: "dumped"}

# Wall clock and monotonic clock; names of their own so tests can pin "now".
_now = time.time
_monotonic = time.monotonic


# --- options ------------------------------------------------------------------------------------

def _patterns(option, values, accepted):
    if not isinstance(values, list):
        raise OptionError(option, values, "a list of " + accepted)
    for value in values:
        if not isinstance(value, str) or not _PATTERN_RE.match(value) or len(value) > _service.UNIT_NAME_MAX:
            raise OptionError(option, value, accepted)
    return values


def normalize_timer(pattern):
    """``logrotate`` -> ``logrotate.timer``, ``backup-*`` -> ``backup-*.timer``; another unit type is an error."""
    if pattern == ".timer":
        raise OptionError("timers", pattern, TIMERS_ACCEPTED)
    if pattern.endswith(".timer"):
        return pattern
    if _TYPE_SUFFIX_RE.search(pattern):
        raise OptionError("timers", pattern, "timers only, not %s units (check services with the service kind); "
                          "accepted: %s" % (pattern.rpartition(".")[2], TIMERS_ACCEPTED))
    return pattern + ".timer"


def validate(params):
    """Check every option once; return a Config. Raises OptionError naming option, value and what is accepted."""
    failed_units = params.get("failed_units", True)
    system_state = params.get("system_state", True)
    for option, value in (("failed_units", failed_units), ("system_state", system_state)):
        if not isinstance(value, bool):
            raise OptionError(option, value, "true or false")
    ignore = _patterns("ignore", params.get("ignore") or [], IGNORE_ACCEPTED)
    if ignore and not failed_units:
        raise OptionError("ignore", ignore, "ignore only with failed_units true: it names failed units not to count")
    degraded = params.get("degraded_status") or "warning"
    if degraded not in DEGRADED_CHOICES:
        raise OptionError("degraded_status", degraded, ", ".join(DEGRADED_CHOICES))
    timers = []
    for pattern in _patterns("timers", params.get("timers") or [], TIMERS_ACCEPTED):
        timer = normalize_timer(pattern)
        if timer not in timers:
            timers.append(timer)
    max_age = params.get("max_age")
    max_age_text = None
    if max_age is not None:
        if not timers:
            raise OptionError("max_age", max_age, "max_age only with timers: the longest a timer may go without "
                              "triggering")
        max_age_text = str(max_age).strip()
        max_age = parse_duration("max_age", max_age, MAX_AGE_ACCEPTED, inclusive=False)
    if not (failed_units or system_state or timers):
        raise OptionError("failed_units/system_state/timers", "false/false/[]",
                          "at least one thing to check: failed_units true, system_state true, or timers")
    timeout = params.get("timeout")
    timeout = check_timeout("timeout", DEFAULT_TIMEOUT if timeout is None else timeout, allow_none=False)
    return Config(failed_units=failed_units, ignore=list(ignore), system_state=system_state,
                  degraded_status=degraded, timers=timers, max_age=max_age, max_age_text=max_age_text,
                  timeout=timeout)


# --- parsing ------------------------------------------------------------------------------------

def parse_system_state(stdout):
    """The state ``systemctl is-system-running`` printed (its first word), or None."""
    words = stdout.split()
    return words[0] if words else None


def parse_failed(stdout):
    """``[{unit, load_state, active_state, sub_state, description}]`` from ``list-units --plain --no-legend``."""
    units = []
    for line in stdout.splitlines():
        fields = line.split(None, 4)
        if len(fields) < 4:
            continue
        # a bullet marks a failed unit wherever --plain leaves it in (older systemctl, no --plain)
        if fields[0] in (u"\u25cf", "*"):
            fields = line.split(None, 5)[1:]
        units.append({"unit": fields[0], "load_state": fields[1], "active_state": fields[2], "sub_state": fields[3],
                      "description": fields[4].strip() if len(fields) > 4 else ""})
    return units


def parse_timestamp(text):
    """Seconds since the epoch from systemd's ``Thu 2026-11-26 05:26:10 UTC``; None when empty or unreadable."""
    match = _TIMESTAMP_RE.match((text or "").strip())
    if not match:
        return None
    return float(calendar.timegm(tuple(int(g) for g in match.groups()) + (0, 0, 0)))


def format_timestamp(seconds):
    """``Thu 2026-11-26 05:26:10 UTC``, as systemd prints it with TZ=UTC, whatever the locale."""
    tm = time.gmtime(seconds)
    return "%s %04d-%02d-%02d %02d:%02d:%02d UTC" % (_DAYS[tm.tm_wday], tm.tm_year, tm.tm_mon, tm.tm_mday,
                                                     tm.tm_hour, tm.tm_min, tm.tm_sec)


def parse_timespan(text):
    """Seconds from systemd's ``1d 6h 8min 57.961556s``; None for empty, ``0``, ``infinity`` or unreadable."""
    text = (text or "").strip()
    if not text or text in ("0", "infinity", "n/a"):
        return None
    total = 0.0
    for word in text.split():
        match = _TIMESPAN_RE.match(word)
        if not match:
            return None
        total += float(match.group(1)) * _TIMESPAN_UNITS[match.group(2)]
    return total


# --- judging ------------------------------------------------------------------------------------

def ignored(unit, patterns):
    """Whether ``unit`` matches one of ``patterns``, by its full name or by its name without the type."""
    bare = _TYPE_SUFFIX_RE.sub("", unit)
    return any(fnmatch.fnmatchcase(unit, p) or fnmatch.fnmatchcase(bare, p) for p in patterns)


def _state_judgment(state, degraded_status, failed, ignored_units):
    """``(status, problem or None)`` of the system state; ``failed``/``ignored_units`` None when not read."""
    if state == "degraded":
        if ignored_units and failed == []:
            return OK, None
        return degraded_status, "system degraded (a unit failed)"
    if state in STATE_STATUS:
        status = STATE_STATUS[state]
        return status, None if status == OK else "system %s (%s)" % (state, STATE_MEANING[state])
    return UNKNOWN, "unrecognized system state %r" % state


def judge_system(config, state, listed, compiled, name=KIND, duration_ms=0.0):
    """The system's result from the state (None: not asked) and the failed units (None: not asked)."""
    failed = ignored_units = None
    if listed is not None:
        failed = [u for u in listed if not ignored(u["unit"], config.ignore)]
        ignored_units = [u["unit"] for u in listed if ignored(u["unit"], config.ignore)]
    metrics = {"failed_units": None if failed is None else len(failed)}
    own = dict((m, compiled[m]) for m in SYSTEM_METRICS if m in compiled) if failed is not None else {}
    threshold_status, breaches = evaluate(metrics, own, METRICS)
    problems = []
    state_status = OK
    parts = []
    if state is not None:
        state_status, problem = _state_judgment(state, config.degraded_status, failed, ignored_units)
        if problem:
            problems.append((state_status, problem))
        parts.append("systemd %s" % state)
    if failed is not None:
        if failed:
            parts.append("%d failed unit%s: %s" % (len(failed), "" if len(failed) == 1 else "s",
                                                   named([u["unit"] for u in failed], len(failed))))
        else:
            parts.append("no failed units")
    texts = ["%s: %s" % (level, text) for level, text in sorted(problems, key=lambda p: p[0] != CRITICAL)]
    if breaches:
        texts.insert(0, describe_breaches(breaches, primary="failed_units"))
    if ignored_units:
        texts.append("%d ignored: %s" % (len(ignored_units), named(ignored_units, len(ignored_units))))
        if state == "degraded" and failed == []:
            texts.append("degraded only by ignored units")
    summary = ", ".join(parts) + (" (%s)" % "; ".join(texts) if texts else "")
    fields = dict(system_state=state, degraded_status=config.degraded_status if state is not None else None,
                  failed=None if failed is None else failed[:LISTED],
                  ignored=None if ignored_units is None else ignored_units[:LISTED], ignore=list(config.ignore))
    return make_result(name, KIND, worst([state_status, threshold_status]), summary, metrics,
                       thresholds_as_text(own), duration_ms, **fields)


def _exit_text(service):
    """``exit status 3``, ``killed by signal 15 (SIGTERM)``...: how the service's main process ended."""
    word = EXIT_CODES.get(_service.uint_property(service.get("ExecMainCode")))
    status = _service.uint_property(service.get("ExecMainStatus"))
    if word is None or status is None:
        return None
    if word == "exited":
        return "exit status %d" % status
    return "%s %s" % ("killed by" if word == "killed" else "dumped core on", _signal_name(status))


def _signal_name(number):
    try:
        return "signal %d (%s)" % (number, signal.Signals(number).name)
    except ValueError:
        return "signal %d" % number


def service_outcome(unit, service):
    """``(status, text)``: how the last run of the timer's service ``unit`` went (``service``: its block)."""
    if service is None or service.get("LoadState") == "not-found":
        return CRITICAL, "%s not found" % unit
    state = service.get("ActiveState", "")
    result = service.get("Result", "")
    if state in ("activating", "deactivating", "reloading"):
        return OK, "%s running now (%s)" % (unit, service.get("SubState") or state)
    if state == "failed" or result not in ("", "success"):
        return CRITICAL, "%s failed (%s)" % (unit, ", ".join(t for t in (result or state, _exit_text(service)) if t))
    if not (service.get("ExecMainStartTimestamp") or "").strip():
        return OK, "%s has not run" % unit
    return OK, "%s %s" % (unit, "active" if state == "active" else "succeeded")


def _next_elapse(timer, now, now_monotonic):
    """The timer's next elapse in seconds since the epoch: its calendar one (NextElapseUSecRealtime)
    or its monotonic one (OnBootSec, OnUnitActiveSec...) brought to the wall clock, the sooner."""
    candidates = []
    realtime = parse_timestamp(timer.get("NextElapseUSecRealtime"))
    if realtime is not None:
        candidates.append(realtime)
    monotonic = parse_timespan(timer.get("NextElapseUSecMonotonic"))
    if monotonic is not None:
        candidates.append(now + (monotonic - now_monotonic))
    return min(candidates) if candidates else None


def timer_problems(timer, age, active_for, max_age, max_age_text=None):
    """``[(level, text)]`` of the timer itself (not its service, not the thresholds); ``age`` and
    ``active_for`` in seconds (None: never triggered, not active), ``max_age`` seconds or None."""
    problems = []
    load_state = timer.get("LoadState", "")
    state = timer.get("ActiveState", "")
    sub = timer.get("SubState", "")
    if load_state != "loaded":
        problems.append((CRITICAL, "timer %s: it will not trigger" % (load_state or "not loaded")))
    elif state not in ("active", "reloading"):
        shown = "%s (%s)" % (state, sub) if sub and sub != state else state
        problems.append((CRITICAL, "timer %s: it will not trigger" % shown))
    if timer.get("Result", "") not in ("", "success"):
        problems.append((CRITICAL, "timer result %s" % timer["Result"]))
    if max_age is None:
        return problems
    shown = max_age_text or format_duration(max_age)
    if age is not None and age > max_age:
        problems.append((CRITICAL, "not triggered within max_age %s" % shown))
    elif age is None and active_for is not None and active_for > max_age:
        # a timer that is not active is critical already; one that just started has time left
        problems.append((CRITICAL, "never triggered in the %s it has been active (max_age %s)"
                         % (format_duration(active_for, approximate=True), shown)))
    return problems


def _timer_fields(timer, service, pattern, config, last, nxt):
    service = service or {}
    code = EXIT_CODES.get(_service.uint_property(service.get("ExecMainCode")))
    return dict(
        timer=timer.get("Id"),
        pattern=pattern,
        description=timer.get("Description") or None,
        load_state=timer.get("LoadState") or None,
        active_state=timer.get("ActiveState") or None,
        sub_state=timer.get("SubState") or None,
        unit_file_state=timer.get("UnitFileState") or None,
        last_trigger=None if last is None else format_timestamp(last),
        next_elapse=None if nxt is None else format_timestamp(nxt),
        max_age=config.max_age_text,
        service=timer.get("Unit") or None,
        service_active_state=service.get("ActiveState") or None,
        service_result=service.get("Result") or None,
        service_exit_code=code,
        service_exit_status=_service.uint_property(service.get("ExecMainStatus")) if code else None,
        service_started=(service.get("ExecMainStartTimestamp") or "").strip() or None,
        service_exited=(service.get("ExecMainExitTimestamp") or "").strip() or None,
    )


def judge_timer(timer, service, pattern, config, compiled, now, now_monotonic, name=KIND, duration_ms=0.0):
    """One timer's result from its ``systemctl show`` block and its service's (None: not printed).

    ``now`` is the wall clock (seconds since the epoch), ``now_monotonic`` CLOCK_MONOTONIC.
    """
    unit = timer.get("Unit") or None
    last = parse_timestamp(timer.get("LastTriggerUSec"))
    age = None if last is None else round(max(0.0, now - last), 1)
    entered = parse_timestamp(timer.get("ActiveEnterTimestamp"))
    active_for = None if entered is None or timer.get("ActiveState") != "active" else max(0.0, now - entered)
    nxt = _next_elapse(timer, now, now_monotonic)
    metrics = {"last_trigger_age_seconds": age}
    own = dict((m, compiled[m]) for m in TIMER_METRICS if m in compiled)
    threshold_status, breaches = evaluate(metrics, own, METRICS)
    problems = timer_problems(timer, age, active_for, config.max_age, config.max_age_text)
    if last is None:
        headline = "never triggered"
    else:
        headline = "last triggered %s ago (%s)" % (format_duration(age, approximate=True), format_timestamp(last))
    if unit:
        status, outcome = service_outcome(unit, service)
        headline += ", %s" % outcome
        if status != OK:
            found = service is not None and service.get("LoadState") != "not-found"
            problems.insert(0, (status, "last run failed" if found else "the unit it starts is not found"))
    headline += "; next %s" % format_timestamp(nxt) if nxt is not None else "; no next trigger"
    texts = ["%s: %s" % (level, text) for level, text in sorted(problems, key=lambda p: p[0] != CRITICAL)]
    if breaches:
        texts.append(describe_breaches(breaches))
    summary = "%s: %s%s" % (timer.get("Id"), headline, " (%s)" % "; ".join(texts) if texts else "")
    status = worst([threshold_status] + [level for level, _text in problems])
    return make_result("%s:%s" % (name, timer.get("Id")), KIND, status, summary, metrics, thresholds_as_text(own),
                       duration_ms, **_timer_fields(timer, service, pattern, config, last, nxt))


def no_timer(pattern, compiled, name=KIND, duration_ms=0.0):
    """The result of a timer name or glob that matches no timer systemd knows (critical)."""
    where = "globs match the timers systemd has loaded: enabled or started ones" if is_glob(pattern) else "not found"
    own = dict((m, compiled[m]) for m in TIMER_METRICS if m in compiled)
    return make_result("%s:%s" % (name, pattern), KIND, CRITICAL, "no timer matches %s (%s)" % (pattern, where),
                       {"last_trigger_age_seconds": None}, thresholds_as_text(own), duration_ms, timer=None,
                       pattern=pattern)


# --- systemctl ----------------------------------------------------------------------------------

def _remaining(command, deadline):
    remaining = deadline - _monotonic()
    if remaining <= 0:
        raise SystemctlError("no time left for systemctl %s within the check's timeout" % command)
    return remaining


def _checked(args, deadline):
    """The standard output of ``systemctl ARGS`` (exit code 0) within what is left until ``deadline``."""
    return _service.run_systemctl(list(args), _remaining(args[0], deadline), SYSTEMCTL_ENVIRONMENT)


def read_system_state(deadline):
    """The state from ``systemctl is-system-running`` (judged by its output: it exits 1 unless running).
    Raises SystemctlError when systemd is not there to ask."""
    rc, stdout, stderr = _service.call_systemctl(["is-system-running"], _remaining("is-system-running", deadline),
                                                 SYSTEMCTL_ENVIRONMENT)
    state = parse_system_state(stdout)
    if state is None:
        raise SystemctlError("systemctl is-system-running printed no state (rc %s): %s"
                             % (rc, _service.error_text(stderr)))
    if state in NO_SYSTEMD_STATES:
        raise SystemctlError("systemctl is-system-running: %s: %s" % (state, STATE_MEANING[state]))
    return state


def show_command(units):
    """The arguments of one ``systemctl show`` of ``units`` (names or globs); ``--`` ends options."""
    return ["show", "--no-pager"] + ["--property=%s" % prop for prop in TIMER_PROPERTIES] + ["--"] + list(units)


def guessed_service(pattern):
    """``x.timer`` starts ``x.service`` unless it says Unit=; None for a glob of wildcards only
    (``*.timer``), whose guess would read every service."""
    base = pattern[:-len(".timer")]
    if not base.strip("*?"):
        return None
    return base + ".service"


def match_timers(patterns, blocks):
    """``[(pattern, [timer blocks])]``: each pattern's timers, in Id order for a glob; each timer once."""
    index = _service.index_blocks(blocks)
    loaded = sorted((b for b in blocks if b.get("Id", "").endswith(".timer") and b.get("LoadState") != "not-found"),
                    key=lambda b: b["Id"])
    seen = set()
    matched = []
    for pattern in patterns:
        if is_glob(pattern):
            found = [b for b in loaded if fnmatch.fnmatchcase(b["Id"], pattern)]
        else:
            block = index.get(pattern)
            found = [block] if block is not None and block.get("LoadState") != "not-found" else []
        fresh = [b for b in found if b["Id"] not in seen]
        seen.update(b["Id"] for b in found)
        if found and not fresh:
            continue
        matched.append((pattern, fresh))
    return matched


def read_timers(patterns, deadline):
    """``(matched, services)``: match_timers' answer and ``{unit: block}`` of the services they start.

    One ``systemctl show`` of the timers and their guessed services; a second one only for the
    services guessed wrong (a timer with its own Unit=, or one matched by a wildcard-only glob)."""
    guesses = [g for g in (guessed_service(p) for p in patterns) if g]
    blocks = _service.parse_show(_checked(show_command(list(patterns) + guesses), deadline))
    matched = match_timers(patterns, blocks)
    services = _service.index_blocks(blocks)
    missing = []
    for _pattern, timers in matched:
        for timer in timers:
            unit = timer.get("Unit")
            if unit and unit not in services and unit not in missing:
                missing.append(unit)
    if missing:
        services.update(_service.index_blocks(_service.parse_show(_checked(show_command(missing), deadline))))
    return matched, services


# --- the check ----------------------------------------------------------------------------------

def _unknown(config, compiled, name, error, duration_ms):
    """Every result of the check, unknown for ``error``."""
    results = []
    if config.failed_units or config.system_state:
        own = dict((m, compiled[m]) for m in SYSTEM_METRICS if m in compiled) if config.failed_units else {}
        results.append(make_result(name, KIND, UNKNOWN, error, {"failed_units": None}, thresholds_as_text(own),
                                   duration_ms, system_state=None))
    own = dict((m, compiled[m]) for m in TIMER_METRICS if m in compiled)
    for pattern in config.timers:
        results.append(make_result("%s:%s" % (name, pattern), KIND, UNKNOWN, "%s: %s" % (pattern, error),
                                   {"last_trigger_age_seconds": None}, thresholds_as_text(own), duration_ms,
                                   timer=None, pattern=pattern))
    return results


def run(config, compiled, name=KIND):
    """The system's result (``<name>``: state and failed units) and one per timer (``<name>:<timer>``)."""
    started = _monotonic()
    deadline = started + config.timeout
    try:
        state = read_system_state(deadline) if config.system_state else None
        listed = parse_failed(_checked(LIST_FAILED, deadline)) if config.failed_units else None
        matched, services = read_timers(config.timers, deadline) if config.timers else ([], {})
    except SystemctlError as exc:
        return _unknown(config, compiled, name, str(exc), (_monotonic() - started) * 1000.0)
    now, now_monotonic = _now(), _monotonic()
    duration_ms = (now_monotonic - started) * 1000.0
    results = []
    if config.failed_units or config.system_state:
        results.append(judge_system(config, state, listed, compiled, name, duration_ms))
    for pattern, timers in matched:
        if not timers:
            results.append(no_timer(pattern, compiled, name, duration_ms))
        for timer in timers:
            results.append(judge_timer(timer, services.get(timer.get("Unit")), pattern, config, compiled, now,
                                       now_monotonic, name, duration_ms))
    return results
