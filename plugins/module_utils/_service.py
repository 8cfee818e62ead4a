# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``service`` check kind: state of systemd units, read with ONE ``systemctl show`` call.

Every requested unit is read in a single ``systemctl show --property=... -- UNIT...`` call
(not service_facts, which lists every unit on the host). systemctl prints one block of
``Key=value`` lines per unit, in argument order, blocks separated by a blank line; inside a
block the properties come in D-Bus order (the unit-type interface before the Unit interface),
not in the order asked, and a property the unit type lacks (NRestarts on a timer) is left out.

Status rules (documented in the service_state module):

- expect=active: active, reloading and refreshing are ok; activating is a warning while the
  unit starts and critical when it is waiting to restart after a failure (SubState
  auto-restart); anything else (inactive, failed, deactivating, maintenance) is critical. A
  unit that does not exist is critical. A masked unit, or one whose unit file no longer loads,
  that is still running is a warning: it will not start again.
- expect=inactive: inactive, failed and maintenance (no process running) are ok, anything
  running or starting or stopping is critical; a unit that does not exist is ok (nothing can
  run), and the summary says "unit not found".
- enabled: the unit-file state is compared the way ``systemctl is-enabled`` judges it (see
  ENABLED_STATES); a mismatch is a warning.
- thresholds on restarts, uptime_seconds and memory_bytes apply on top; none by default.
"""

from __future__ import annotations

import re
import time

from ansible.module_utils.common.process import get_bin_path

from ansible_collections.sre.health.plugins.module_utils import _command
from ansible_collections.sre.health.plugins.module_utils._duration import format_duration
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError, SreHealthError
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
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, SECONDS, format_quantity

KIND = "service"

METRICS = {
    "active": COUNT,
    "restarts": COUNT,
    "uptime_seconds": SECONDS,
    "memory_bytes": BYTES,
}

# NRestarts only grows until the unit is stopped by hand, and memory and uptime depend entirely
# on the service: no bound fits every unit, so the state (expect, enabled) decides by default.
DEFAULT_THRESHOLDS = {}

# The thresholds a user may set; ``active`` is decided by ``expect``.
THRESHOLD_METRICS = ("restarts", "uptime_seconds", "memory_bytes")

DEFAULT_TIMEOUT = 10.0

EXPECT_CHOICES = ("active", "inactive")

OPTIONS = dict(
    name=dict(type="list", elements="str", required=True, aliases=["units"]),
    expect=dict(type="str", default="active", choices=list(EXPECT_CHOICES)),
    enabled=dict(type="bool"),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
)

CONSTRAINTS = {}

REQUIRES = {}

# Pure measurement: runs in a thread (see _kind).
ISOLATED = False

# Asked for explicitly: ``systemctl show`` without --property dumps some 250 properties per unit.
PROPERTIES = (
    "Id",
    "Names",
    "Description",
    "LoadState",
    "LoadError",
    "ActiveState",
    "SubState",
    "UnitFileState",
    "Result",
    "NRestarts",
    "MainPID",
    "MemoryCurrent",
    "ActiveEnterTimestamp",
    "ActiveEnterTimestampMonotonic",
)

UNIT_TYPES = ("service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice",
              "scope")

# systemd's unit_name_is_valid(): letters, digits and ":-_.\" in the prefix, at most one "@"
# separating a template from its instance, a known type suffix, at most 255 characters.
_UNIT_RE = re.compile(
    r"^(?P<prefix>[A-Za-z0-9:_.\\-]+)(?:@(?P<instance>[A-Za-z0-9:_.\\-]*))?\.(?P<type>%s)$" % "|".join(UNIT_TYPES)
)
UNIT_NAME_MAX = 255

ACCEPTED_NAMES = (
    "unit names such as nginx (meaning nginx.service), nginx.service, getty@tty1.service or var-lib.mount: "
    "letters, digits and : - _ . \\ with at most one @ before the instance, at most %d characters, no globs"
    % UNIT_NAME_MAX
)

# ``systemctl is-enabled`` exits 0 for these unit-file states: the unit starts by its own
# rules (installed into a target, pulled in as a dependency, generated, or created at runtime).
# Every other state (disabled, linked, linked-runtime, masked, masked-runtime, bad, and the
# empty state of a unit without a unit file) counts as not enabled.
ENABLED_STATES = frozenset(("enabled", "enabled-runtime", "alias", "static", "indirect", "generated", "transient"))

# ActiveState values: a unit counts as active (metric active=1) in these.
ACTIVE_STATES = frozenset(("active", "reloading", "refreshing"))
# ... and as stopped (nothing running) in these; activating and deactivating are neither.
STOPPED_STATES = frozenset(("inactive", "failed", "maintenance"))
KNOWN_ACTIVE_STATES = ACTIVE_STATES | STOPPED_STATES | frozenset(("activating", "deactivating"))

# LoadState values whose unit file cannot (re)start the unit.
BROKEN_LOAD_STATES = frozenset(("bad-setting", "error"))

# MemoryCurrent (and any uint64 property) reads as this when unset on systemd before v235,
# and as "[not set]" since.
_UINT64_MAX = 2 ** 64 - 1


# The most one systemctl call may print: far more than any real answer (a show of a hundred units
# is some 100 KB), little enough that a runaway answer cannot fill the module's memory.
MAX_OUTPUT = 4 * 1024 * 1024

# Output meant for a parser: the C locale, no pager, no colors.
SYSTEMCTL_ENVIRONMENT = {"LC_ALL": "C", "SYSTEMD_PAGER": "", "SYSTEMD_COLORS": "0"}

# The clock of ActiveEnterTimestampMonotonic; a name of its own so tests can pin "now".
_clock = time.monotonic


class SystemctlError(SreHealthError):
    """``systemctl show`` could not be run or failed; the message says why."""


# --- names --------------------------------------------------------------------------------------

def normalize_unit(name):
    """The unit name systemctl would use for ``name``: a name without a unit-type suffix is a service.

    Raises OptionError for anything systemd would refuse or have to escape, so that the one
    systemctl call never sees a glob, a space or an option-like argument.
    """
    if not isinstance(name, str) or not name:
        raise OptionError("name", name, ACCEPTED_NAMES)
    unit = name
    if unit.rpartition(".")[2] not in UNIT_TYPES or "." not in unit:
        unit = unit + ".service"
    match = _UNIT_RE.match(unit)
    if not match or len(unit) > UNIT_NAME_MAX:
        raise OptionError("name", name, ACCEPTED_NAMES)
    if match.group("instance") == "":
        raise OptionError("name", name, "a unit instance, not a template: for example getty@tty1.service, "
                                        "not getty@.service (%s)" % ACCEPTED_NAMES)
    return unit


def validate(params):
    """Check the kind's options once; return a Config of ``units``, ``expect``, ``enabled``, ``timeout``."""
    names = params.get("name")
    if isinstance(names, str):
        names = [names]
    if not names or not isinstance(names, list):
        raise OptionError("name", names, "a list of one or more unit names")
    units = []
    for item in names:
        unit = normalize_unit(item)
        if unit not in units:
            units.append(unit)
    expect = params.get("expect") or "active"
    if expect not in EXPECT_CHOICES:
        raise OptionError("expect", expect, ", ".join(EXPECT_CHOICES))
    enabled = params.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise OptionError("enabled", enabled, "true, false, or unset (not checked)")
    timeout = check_timeout("timeout", params.get("timeout", DEFAULT_TIMEOUT), allow_none=False)
    return Config(units=units, expect=expect, enabled=enabled, timeout=timeout)


# --- systemctl ----------------------------------------------------------------------------------

def show_command(systemctl, units):
    """The argv of the one ``systemctl show`` call; ``--`` ends options (``-.mount`` is a valid unit)."""
    argv = [systemctl, "show", "--no-pager"]
    # One --property per name rather than a comma-separated list: every systemd version takes it.
    argv += ["--property=%s" % prop for prop in PROPERTIES]
    return argv + ["--"] + list(units)


def run_systemctl_show(units, timeout):
    """Run ``systemctl show`` once for ``units`` and return its standard output."""
    return run_systemctl(show_command("systemctl", units)[1:], timeout)


def run_systemctl(args, timeout, environment=None):
    """Run ``systemctl ARGS`` and return its standard output; raise SystemctlError on failure."""
    rc, stdout, stderr = call_systemctl(args, timeout, environment)
    if rc != 0:
        raise SystemctlError("systemctl %s failed (rc %s): %s" % (args[0], rc, error_text(stderr)))
    return stdout


def call_systemctl(args, timeout, environment=None):
    """Run ``systemctl ARGS`` within ``timeout`` seconds; return ``(rc, stdout, stderr)``.

    Raises SystemctlError when systemctl is missing or cannot start, does not answer in time, or
    prints more than MAX_OUTPUT. It runs as the command kind runs a program (``_command.execute``):
    without a shell, in a session of its own whose whole process group (a pager, a polkit agent)
    is killed at the deadline, each output stream read up to a bound. That is thread-safe, so it
    runs inside pure module_utils code that health_check calls from worker threads without a
    module object. ``environment`` adds variables to the C locale and the disabled pager.
    """
    try:
        systemctl = get_bin_path("systemctl")
    except ValueError:
        raise SystemctlError("systemctl not found in PATH or /sbin, /usr/sbin, /usr/local/sbin (not a systemd host?)")
    env = dict(SYSTEMCTL_ENVIRONMENT)
    env.update(environment or {})
    outcome = _command.execute(Config(argv=[systemctl] + list(args), plugin=None, chdir=None, timeout=timeout,
                                      environment=env, max_output=MAX_OUTPUT))
    if outcome.error is not None:
        raise SystemctlError(outcome.error)
    if outcome.timed_out:
        raise SystemctlError("systemctl %s did not answer within %s s (systemd or D-Bus hung?)"
                             % (args[0], format_quantity(timeout, COUNT)))
    if outcome.sizes["stdout"] > MAX_OUTPUT:
        raise SystemctlError("systemctl %s printed more than %s (%s read): not a plausible answer"
                             % (args[0], format_quantity(MAX_OUTPUT, BYTES), format_quantity(outcome.sizes["stdout"], BYTES)))
    return outcome.rc, outcome.stdout, outcome.stderr


def error_text(stderr):
    """systemctl's error output as one line of at most 500 characters."""
    message = "; ".join(line.strip() for line in stderr.splitlines() if line.strip()) or "no error message"
    if len(message) > 500:
        message = message[:500] + "..."
    return _command.clean(message)


# --- parsing ------------------------------------------------------------------------------------

def parse_show(text):
    """Split ``systemctl show`` output into one dict of properties per unit, in output order."""
    blocks = []
    current = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
                current = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key] = value
    if current:
        blocks.append(current)
    return blocks


def _names(block):
    return set(block.get("Names", "").split()) | {block.get("Id", "")}


def index_blocks(blocks):
    """``{name: block}`` for every Id and alias (Names) of the blocks; the first block wins."""
    by_name = {}
    for block in blocks:
        for alias in _names(block):
            if alias:
                by_name.setdefault(alias, block)
    return by_name


def match_blocks(units, blocks):
    """Map each requested unit to its block: by position (systemctl keeps argument order) when
    the block names the unit, else by Id/Names; None when systemctl printed nothing for it."""
    by_name = index_blocks(blocks)
    matched = {}
    for index, unit in enumerate(units):
        if index < len(blocks) and unit in _names(blocks[index]):
            matched[unit] = blocks[index]
        else:
            matched[unit] = by_name.get(unit)
    return matched


def uint_property(text, unset_is_none=True):
    """A systemd integer property, or None for missing, empty, "[not set]", "infinity" or UINT64_MAX."""
    if text is None:
        return None
    text = text.strip()
    if not text.isdigit():
        return None
    value = int(text)
    if unset_is_none and value == _UINT64_MAX:
        return None
    return value


def _timestamp(text):
    if text is None:
        return None
    text = text.strip()
    return None if text in ("", "n/a", "0") else text


def unit_metrics(props, now_monotonic):
    """The four metrics of one unit from its properties; ``now_monotonic`` in seconds (CLOCK_MONOTONIC)."""
    active_state = props.get("ActiveState", "")
    active = 1 if active_state in ACTIVE_STATES else 0
    if props.get("LoadState") == "not-found":
        return {"active": 0, "restarts": None, "uptime_seconds": None, "memory_bytes": None}
    uptime = None
    if active:
        # ActiveEnterTimestampMonotonic is CLOCK_MONOTONIC in microseconds, the clock of
        # time.monotonic(): immune to wall-clock jumps, unlike the formatted timestamp.
        entered = uint_property(props.get("ActiveEnterTimestampMonotonic"))
        if entered:
            seconds = now_monotonic - entered / 1e6
            # a future timestamp means another clock (a time namespace): better none than nonsense
            uptime = round(seconds, 1) if seconds >= 0 else None
    return {
        "active": active,
        "restarts": uint_property(props.get("NRestarts")),
        "uptime_seconds": uptime,
        "memory_bytes": uint_property(props.get("MemoryCurrent")),
    }


def is_enabled(unit_file_state):
    """True when ``systemctl is-enabled`` would succeed for this UnitFileState."""
    return unit_file_state in ENABLED_STATES


def format_uptime(seconds):
    """``3d 4h``, ``2h 5m``, ``4m 10s``, ``12s``: the largest unit and the next one, enough at a glance."""
    return format_duration(seconds, approximate=True)


def _load_error(props):
    error = props.get("LoadError", "").strip()
    # printed as: org.freedesktop.systemd1.BadUnitSetting "Unit x.service has a bad unit file setting."
    match = re.match(r'^\S+\s+"(.*)"$', error)
    return (match.group(1) if match else error).rstrip(".")


def _fields(unit, props, expect, enabled, metrics):
    """The unit's return fields beside its metrics."""
    load_state = props.get("LoadState", "")
    file_state = props.get("UnitFileState", "").strip()
    fields = {
        "unit": props.get("Id") or unit,
        "description": props.get("Description") or None,
        "load_state": load_state or None,
        "active_state": props.get("ActiveState", "") or None,
        "sub_state": props.get("SubState", "") or None,
        "unit_file_state": file_state or None,
        "enabled": None if load_state == "not-found" else is_enabled(file_state),
        "unit_result": props.get("Result", "") or None,
        "main_pid": (uint_property(props.get("MainPID")) or None) if metrics["active"] else None,
        "active_since": _timestamp(props.get("ActiveEnterTimestamp")) if metrics["active"] else None,
        "expected": {"state": expect, "enabled": enabled},
    }
    if load_state == "not-found":
        fields.update(enabled=None, unit_file_state=None, unit_result=None, description=None)
    return fields


def _state_problems(props, expect, enabled, active):
    """``[(level, text)]``: how the unit's state differs from ``expect`` and ``enabled``."""
    load_state = props.get("LoadState", "")
    active_state = props.get("ActiveState", "")
    sub_state = props.get("SubState", "")
    file_state = props.get("UnitFileState", "").strip()
    problems = []
    if expect == "active":
        if active:
            if load_state == "masked" or file_state.startswith("masked"):
                problems.append((WARNING, "masked: will not start again once stopped"))
            elif load_state in BROKEN_LOAD_STATES:
                problems.append((WARNING, "unit file does not load (%s): will not start again once stopped"
                                 % load_state))
        elif active_state == "activating" and sub_state == "auto-restart":
            problems.append((CRITICAL, "restarting after a failure, expected active"))
        elif active_state == "activating":
            problems.append((WARNING, "still starting, expected active"))
        else:
            problems.append((CRITICAL, "expected active"))
    elif active_state not in STOPPED_STATES:
        problems.append((CRITICAL, "expected inactive"))
    if enabled is not None:
        if enabled and not is_enabled(file_state):
            problems.append((WARNING, "expected enabled"))
        elif not enabled and is_enabled(file_state):
            problems.append((WARNING, "expected disabled"))
    return problems


def _headline(props, metrics):
    """``active (running), enabled, up 2h 5m, 0 restarts, memory 5.1 MiB``."""
    load_state = props.get("LoadState", "")
    active_state = props.get("ActiveState", "")
    sub_state = props.get("SubState", "")
    file_state = props.get("UnitFileState", "").strip()
    unit_result = props.get("Result", "")
    headline = active_state
    if sub_state and sub_state != active_state:
        headline += " (%s)" % sub_state
    if unit_result and unit_result != "success":
        headline += ", result %s" % unit_result
    if load_state == "masked" and not file_state.startswith("masked"):
        headline += ", masked"
    headline += ", %s" % (file_state or "no unit file")
    if load_state in BROKEN_LOAD_STATES:
        error = _load_error(props)
        headline += ", unit file %s%s" % (load_state, (": %s" % error) if error else "")
    if metrics["uptime_seconds"] is not None:
        headline += ", up %s" % format_uptime(metrics["uptime_seconds"])
    restarts = metrics["restarts"]
    if restarts is not None and (active_state not in STOPPED_STATES or restarts):
        headline += ", %d restart%s" % (restarts, "" if restarts == 1 else "s")
    if metrics["memory_bytes"] is not None:
        headline += ", memory %s" % format_quantity(metrics["memory_bytes"], BYTES)
    return headline


def assess(unit, props, expect, enabled, now_monotonic):
    """Judge one unit's state (not its thresholds).

    Returns ``(status, problems, metrics, headline, fields)``; ``problems`` is a list of
    ``(level, text)`` that the summary shows in parentheses.
    """
    active_state = props.get("ActiveState", "")
    metrics = unit_metrics(props, now_monotonic)
    fields = _fields(unit, props, expect, enabled, metrics)
    if props.get("LoadState", "") == "not-found":
        if expect == "active":
            return CRITICAL, [], metrics, "unit not found", fields
        return OK, [], metrics, "unit not found, so not running", fields
    if active_state not in KNOWN_ACTIVE_STATES:
        problems = [(UNKNOWN, "unrecognized ActiveState %r" % active_state)]
        return UNKNOWN, problems, metrics, "state %s" % (active_state or "not reported"), fields
    problems = _state_problems(props, expect, enabled, metrics["active"])
    return worst(level for level, _text in problems), problems, metrics, _headline(props, metrics), fields


# --- the check ----------------------------------------------------------------------------------

def _check_thresholds(compiled):
    for metric, levels in compiled.items():
        if metric not in THRESHOLD_METRICS:
            raise OptionError("thresholds.%s" % metric, dict((lvl, rng.text) for lvl, rng in levels.items()),
                              "thresholds on %s only; whether the unit runs is judged by expect"
                              % ", ".join(THRESHOLD_METRICS))


def _empty_metrics():
    return dict((metric, None) for metric in METRICS)


def _unit_result(name, unit, props, config, compiled, now, thresholds, duration_ms):
    """The result of one unit from its properties (None: systemctl printed none for it)."""
    expected = {"state": config.expect, "enabled": config.enabled}
    if props is None:
        summary = "%s: systemctl show printed no properties for this unit" % unit
        return make_result("%s:%s" % (name, unit), KIND, UNKNOWN, summary, _empty_metrics(), thresholds,
                           duration_ms, unit=unit, expected=expected)
    state_status, problems, metrics, headline, fields = assess(unit, props, config.expect, config.enabled, now)
    subject = unit if fields["unit"] == unit else "%s (%s)" % (unit, fields["unit"])
    threshold_status, breaches = evaluate(metrics, compiled, METRICS)
    parts = ["%s: %s" % (level, text) for level, text in sorted(problems, key=lambda p: p[0] != CRITICAL)]
    if breaches:
        parts.append(describe_breaches(breaches))
    summary = "%s: %s" % (subject, headline)
    if parts:
        summary += " (%s)" % "; ".join(parts)
    status = worst([state_status, threshold_status])
    return make_result("%s:%s" % (name, unit), KIND, status, summary, metrics, thresholds, duration_ms, **fields)


def run(config, compiled, name=KIND):
    """One result per requested unit, named ``<name>:<unit>``, from one ``systemctl show`` call."""
    # thresholds on ``active`` would contradict ``expect``: refused before systemctl runs
    _check_thresholds(compiled)
    thresholds = thresholds_as_text(compiled)
    started = _clock()
    try:
        output = run_systemctl_show(config.units, config.timeout)
        error = None
    except SystemctlError as exc:
        output, error = "", str(exc)
    now = _clock()
    duration_ms = (now - started) * 1000.0
    if error is not None:
        expected = {"state": config.expect, "enabled": config.enabled}
        return [make_result("%s:%s" % (name, unit), KIND, UNKNOWN, "%s: %s" % (unit, error), _empty_metrics(),
                            thresholds, duration_ms, unit=unit, expected=expected) for unit in config.units]
    matched = match_blocks(config.units, parse_show(output))
    return [_unit_result(name, unit, matched[unit], config, compiled, now, thresholds, duration_ms)
            for unit in config.units]
