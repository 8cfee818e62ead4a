# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``command`` check kind: run a Nagios/Icinga plugin or any command, and judge what it says.

The command runs without a shell (``argv``), or is a plugin found by name in the usual plugin
directories (``plugin`` + ``args``). It starts in a session (and process group) of its own, with
stdin from /dev/null and the module's environment plus ``environment``.

- ``format: nagios``: the exit code is the status (0/1/2/3: ok/warning/critical/unknown, anything
  else, a signal included, unknown naming it); the first line before ``|`` is the summary; the
  performance data (``_perfdata``) become the metrics, one per label, in base units, with the
  plugin's warn/crit as their thresholds. ``thresholds`` given by the user for a label are judged
  by the collection's range engine; the status is the worse of the plugin's and the user's.
- ``format: plain``: ``expect_rc``, and patterns that the output must (``stdout``, ``stderr``) or
  must not (``stdout_absent``, ``stderr_absent``) match; each failed expectation is critical.

Bounds: at ``timeout`` the whole process group is killed (SIGKILL) and the check is ``unknown``
("timed out after N s"); when the command exits, whatever it left in its process group is killed
too, so a check leaves nothing running. Each output stream keeps its first ``MAX_KEPT`` bytes; the
rest is read and thrown away, so a plugin printing gigabytes neither blocks nor fills memory.
A small watchdog (``/bin/sh``, waiting on a pipe) kills the group if this process dies first: a
check thread abandoned at the check's deadline, or the module's exit, never leaves it running.

``METRICS`` accepts any label (the labels are the plugin's); a user's range for a label is written
without a unit, in the label's base unit (bytes, seconds, percent or the plain number), because the
unit is only known once the plugin has answered.

Read-only by contract: the command must not change the host (it is a check). In check mode it runs
only when ``check_mode_safe`` (default true); otherwise the result is ``ok``, says it did not run,
and carries ``skipped: true``.

Runs in a thread (``ISOLATED`` False: the work is waiting on a process; the perfdata parser is
linear), except with output patterns (a user's regular expression on the command's text), which
run in a child process killed at the check's deadline.
"""

from __future__ import annotations

import errno
import os
import re
import select
import signal
import subprocess
import time

from ansible_collections.sre.health.plugins.module_utils import _perfdata
from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._kind import Config
from ansible_collections.sre.health.plugins.module_utils._pattern import compile_regex
from ansible_collections.sre.health.plugins.module_utils._ranges import NagiosRange
from ansible_collections.sre.health.plugins.module_utils._status import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    check_timeout,
    evaluate,
    make_result,
    worst,
)
from ansible_collections.sre.health.plugins.module_utils._units import COUNT, MILLISECONDS, format_quantity
from ansible_collections.sre.health.plugins.module_utils._web.redact import MASK, Scrubber

KIND = "command"


class _Labels(dict):
    """``METRICS`` of this kind: every performance data label is a metric (a plain number when a
    user's threshold is compiled; its real unit kind is applied once the plugin has answered)."""

    def __contains__(self, label):
        return isinstance(label, str) and label != ""

    def __missing__(self, label):
        return COUNT


METRICS = _Labels()

# The plugin's own warn/crit are its thresholds: nothing to add by default.
DEFAULT_THRESHOLDS = {}

FORMATS = ("nagios", "plain")
PLUGIN_DIRS = ("/usr/lib/nagios/plugins", "/usr/lib64/nagios/plugins", "/usr/local/nagios/libexec")
DEFAULT_TIMEOUT = 30.0
# Bytes kept of each output stream (the rest is read and discarded).
MAX_KEPT = 64 * 1024
# Characters of each stream a result shows.
SHOWN = 4096
# Characters of the summary line a result shows.
SUMMARY_CHARS = 300
# After the command exits (or is killed), how long its pipes may take to reach their end.
DRAIN_GRACE = 1.0
NAGIOS_STATUS = {0: OK, 1: WARNING, 2: CRITICAL, 3: UNKNOWN}
# The shortest secret accepted: a secret is masked wherever it appears in the output (as Ansible masks its no_log
# values), and masking every "C" or "1" of a result would garble it; a shorter value is not much of a secret anyway.
MIN_SECRET = 4
PLAIN_ONLY = ("expect_rc", "stdout", "stderr", "stdout_absent", "stderr_absent")

OPTIONS = dict(
    argv=dict(type="list", elements="str"),
    plugin=dict(type="str"),
    args=dict(type="list", elements="str"),
    format=dict(type="str", default="nagios", choices=list(FORMATS)),
    timeout=dict(type="float", default=DEFAULT_TIMEOUT),
    environment=dict(type="dict"),
    public_environment=dict(type="list", elements="str"),
    secrets=dict(type="dict", no_log=True),
    chdir=dict(type="path"),
    expect_rc=dict(type="list", elements="int"),
    stdout=dict(type="str"),
    stderr=dict(type="str"),
    stdout_absent=dict(type="str"),
    stderr_absent=dict(type="str"),
    check_mode_safe=dict(type="bool", default=True),
)

CONSTRAINTS = dict(
    mutually_exclusive=[["argv", "plugin"]],
    required_one_of=[["argv", "plugin"]],
    required_by={"args": "plugin"},
)

REQUIRES = {}

# Waiting on a process needs no child; validate() asks for one when output patterns are given.
ISOLATED = False

_PLUGIN_RE = re.compile(r"^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL_RE = re.compile(u"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WATCHDOG = 'read _ignored; kill -s KILL -- "-$1" 2>/dev/null'
# A reference to a secret in an argument: ${secrets.NAME}; $${secrets.NAME} is that text itself.
_REFERENCE_RE = re.compile(r"\$?\$\{secrets\.([^}]*)\}")


def _strings(option, value, empty_ok):
    """A list of strings without NUL characters (what exec accepts)."""
    accepted = ("a" if empty_ok else "a non-empty") + " list of strings (no shell: one argument per item)"
    if not isinstance(value, list) or (not value and not empty_ok):
        raise OptionError(option, value, accepted)
    for item in value:
        if not isinstance(item, str) or "\0" in item:
            raise OptionError(option, value, accepted + ", without NUL characters")
    if not empty_ok and not value[0]:
        raise OptionError(option, value, "a list whose first item names the program")
    return list(value)


class _NotShown(object):
    """Stands for a secret's value in an error message: says what it is (a type, an empty text), never what it holds."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return "<%s, not shown: a secret>" % self.what


def _what(value):
    if isinstance(value, str):
        return "a string with a NUL character" if "\0" in value else "a string"
    return "a value of type %s" % type(value).__name__


def _secrets(value):
    """``{name: text}`` of the ``secrets`` option. An error names the key, never shows a value."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise OptionError("secrets", _NotShown(_what(value)), "a dict of names (letters, digits, _) to strings or "
                          "numbers, which argv or args use as ${secrets.NAME}")
    found = {}
    for name, item in value.items():
        if not isinstance(name, str) or not _ENV_NAME_RE.match(name):
            raise OptionError("secrets", name, "names of letters, digits and _, not starting with a digit (an item "
                              "of argv or args uses the secret as ${secrets.NAME})")
        if isinstance(item, bool) or not isinstance(item, (str, int, float)) or "\0" in str(item):
            raise OptionError("secrets.%s" % name, _NotShown(_what(item)), "a string or a number, without NUL "
                              "characters")
        if 0 < len(str(item)) < MIN_SECRET:
            raise OptionError("secrets.%s" % name, _NotShown("a value of %d character(s)" % len(str(item))),
                              "a secret of at least %d characters (a shorter one would be masked everywhere it "
                              "appears in the output, garbling it), or empty" % MIN_SECRET)
        found[name] = str(item)
    return found


def _expand(labelled, secrets):
    """``(as run, as shown)`` of the items of ``labelled`` (``(option name, text)`` pairs): each ``${secrets.NAME}``
    replaced by that secret, and by MASK. ``$${secrets.NAME}`` stands for the text ``${secrets.NAME}`` itself.
    An unknown NAME is an error showing that reference only (the rest of the text may be a secret)."""
    run, shown = [], []
    for label, item in labelled:
        def replace(match, masked, label=label):
            if match.group(0).startswith("$$"):
                return match.group(0)[1:]
            name = match.group(1)
            if name not in secrets:
                raise OptionError(label, "${secrets.%s}" % name, "${secrets.NAME} with NAME a key of secrets (%s)"
                                  % (", ".join(sorted(secrets)) or "none given"))
            return MASK if masked else secrets[name]
        run.append(_REFERENCE_RE.sub(lambda m: replace(m, False), item))
        shown.append(_REFERENCE_RE.sub(lambda m: replace(m, True), item))
    return run, shown


def _program(params):
    """``(argv or None, plugin name or None)`` from argv, or plugin and args."""
    argv, plugin, args = params.get("argv"), params.get("plugin"), params.get("args")
    if (argv is None) == (plugin is None):
        raise OptionError("argv/plugin", argv if plugin is None else plugin, "exactly one of argv or plugin")
    if argv is not None:
        if args is not None:
            raise OptionError("args", args, "args only with plugin (with argv, put the arguments in argv)")
        return _strings("argv", argv, False), None
    if not isinstance(plugin, str) or not _PLUGIN_RE.match(plugin):
        raise OptionError("plugin", plugin, "a plugin file name such as check_disk, found in %s (give any "
                          "other program as a path in argv)" % ", ".join(PLUGIN_DIRS))
    return _strings("args", args if args is not None else [], True), plugin


def _environment(value):
    if value is None:
        return {}
    accepted = "a dict of variable names (letters, digits, _) to strings or numbers"
    if not isinstance(value, dict):
        raise OptionError("environment", _NotShown(_what(value)), accepted)
    env = {}
    for name, item in value.items():
        if not isinstance(name, str) or not _ENV_NAME_RE.match(name):
            raise OptionError("environment", name, accepted)
        if isinstance(item, bool) or not isinstance(item, (str, int, float)) or "\0" in str(item):
            raise OptionError("environment.%s" % name, _NotShown(_what(item)), "a string or a number, without NUL "
                              "characters")
        env[name] = str(item)
    return env


def _public_environment(value, env):
    """The names of ``environment`` whose values are not secrets."""
    if value is None:
        return frozenset()
    accepted = "a list of names of variables given in environment (%s)" % (", ".join(sorted(env)) or "none given")
    if not isinstance(value, list) or any(not isinstance(name, str) for name in value):
        raise OptionError("public_environment", value, accepted)
    unknown = [name for name in value if name not in env]
    if unknown:
        raise OptionError("public_environment", unknown[0], accepted)
    return frozenset(value)


def raw_secrets(params):
    """The values of ``environment`` not named in ``public_environment``, from raw (unvalidated) options, without ever
    raising: ``_kind.raw_secrets`` registers them (and the ``no_log`` option ``secrets``) before anything is
    validated, so that an invalid entry printed back at -vvv shows none of them."""
    found = set()
    if not isinstance(params, dict):
        return found
    env, public = params.get("environment"), params.get("public_environment")
    public = set(n for n in public if isinstance(n, str)) if isinstance(public, list) else set()
    for name, value in env.items() if isinstance(env, dict) else ():
        if name not in public and not isinstance(value, bool) and isinstance(value, (str, int, float)):
            found.add(str(value))
    # validation rejects a shorter secret; masking it meanwhile would garble the error saying so
    return set(s for s in found if len(s) >= MIN_SECRET)


def _plain_options(params, fmt):
    """expect_rc and the output patterns (plain format only)."""
    given = [o for o in PLAIN_ONLY if params.get(o) is not None]
    if fmt != "plain":
        if given:
            raise OptionError(given[0], params[given[0]], "%s only with format=plain (a Nagios plugin's exit "
                              "code and output are judged as the guidelines say)" % given[0])
        return dict(expect_rc=None, patterns=[])
    expect_rc = params.get("expect_rc")
    expect_rc = [0] if expect_rc is None else expect_rc
    if not isinstance(expect_rc, list) or not expect_rc or any(
            isinstance(rc, bool) or not isinstance(rc, int) or not 0 <= rc <= 255 for rc in expect_rc):
        raise OptionError("expect_rc", expect_rc, "a non-empty list of exit codes from 0 to 255")
    patterns = []
    for option in ("stdout", "stderr", "stdout_absent", "stderr_absent"):
        regex = compile_regex(option, params.get(option))
        if regex is not None:
            patterns.append((option, "stdout" if option.startswith("stdout") else "stderr", not option.endswith("_absent"), regex))
    return dict(expect_rc=sorted(set(expect_rc)), patterns=patterns)


def _chdir(value):
    if value is None:
        return None
    if not isinstance(value, str) or not os.path.isabs(value) or "\0" in value:
        raise OptionError("chdir", value, "an absolute path of a directory")
    return value


def validate(params):
    """Check every option once; return a Config. Raises OptionError naming option, value and what is accepted
    (never a secret's value)."""
    argv, plugin = _program(params)
    secrets = _secrets(params.get("secrets"))
    option = "argv" if plugin is None else "args"
    argv, shown = _expand([("%s[%d]" % (option, i), item) for i, item in enumerate(argv)], secrets)
    environment = _environment(params.get("environment"))
    public = _public_environment(params.get("public_environment"), environment)
    names = sorted(environment)
    values, _shown = _expand([("environment.%s" % n, environment[n]) for n in names], secrets)
    environment = dict(zip(names, values))
    fmt = params.get("format") or "nagios"
    if fmt not in FORMATS:
        raise OptionError("format", fmt, ", ".join(FORMATS))
    timeout = params.get("timeout")
    timeout = check_timeout("timeout", DEFAULT_TIMEOUT if timeout is None else timeout, allow_none=False)
    safe = params.get("check_mode_safe")
    if safe is not None and not isinstance(safe, bool):
        raise OptionError("check_mode_safe", safe, "true or false")
    plain = _plain_options(params, fmt)
    for name in names:
        if name not in public and 0 < len(environment[name]) < MIN_SECRET:
            raise OptionError("environment.%s" % name, _NotShown("a value of %d character(s)" % len(environment[name])),
                              "%s named in public_environment (its value is then shown: it is not a secret), or a "
                              "secret of at least %d characters (every value not named there is a secret, masked "
                              "everywhere it appears in the output: a shorter one would garble it)" % (name, MIN_SECRET))
    hidden = set(secrets.values()) | set(v for n, v in environment.items() if n not in public)
    hidden = tuple(sorted(s for s in hidden if s))
    return Config(isolated=bool(plain["patterns"]), argv=argv, shown_argv=shown, plugin=plugin, format=fmt,
                  timeout=timeout, environment=environment, chdir=_chdir(params.get("chdir")),
                  check_mode_safe=safe is not False, secrets=hidden, scrub=Scrubber(hidden), **plain)


class Outcome(object):
    """What running the command gave: ``rc`` (negative: killed by that signal; None: not run, timed
    out or stopped), ``stdout``/``stderr`` (text, at most MAX_KEPT bytes each), ``sizes`` (bytes read of
    each), ``timed_out``, ``stopped`` (the stdout sink asked to stop), ``error`` (why it could not run),
    ``argv`` (as run)."""

    def __init__(self, argv):
        self.argv = argv
        self.rc = None
        self.stdout = self.stderr = ""
        self.sizes = {"stdout": 0, "stderr": 0}
        self.timed_out = False
        self.stopped = False
        self.error = None


def find_plugin(name, directories=PLUGIN_DIRS):
    """The path of plugin ``name`` in ``directories`` (the first executable file), or None."""
    for directory in directories:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _resolve(config, env):
    """``(argv, error)``: the program found (plugin directories, or PATH for a bare argv[0])."""
    if config.plugin is not None:
        path = find_plugin(config.plugin)
        if path is None:
            return None, "plugin %s not found (looked in %s)" % (config.plugin, ", ".join(PLUGIN_DIRS))
        return [path] + config.argv, None
    program = config.argv[0]
    if "/" in program:
        return list(config.argv), None
    for directory in env.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(directory or ".", program)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return [path] + config.argv[1:], None
    return None, "command %s not found in PATH (%s)" % (program, env.get("PATH", os.defpath))


def _environ(config):
    env = dict(os.environ)
    # Plugins print numbers for a parser: C-locale output unless the user says otherwise.
    if "LC_ALL" not in config.environment:
        env["LC_ALL"] = "C"
    env.update(config.environment)
    return env


def _start_watchdog(pgid):
    """A /bin/sh that kills process group ``pgid`` once the returned pipe end is closed (by us when
    done, or by the kernel when this process dies); ``(write fd, process)`` or ``(None, None)``."""
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(["/bin/sh", "-c", _WATCHDOG, "sre-health-watchdog", str(pgid)], stdin=read_fd,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
                                start_new_session=True)
    except OSError:
        os.close(write_fd)
        return None, None
    finally:
        os.close(read_fd)
    return write_fd, proc


def _exited(pid):
    """True once ``pid`` has ended; it stays a zombie (not reaped), so its pid is not reused while
    its process group is killed."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None and info.si_pid == pid


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError as exc:
        if exc.errno not in (errno.ESRCH, errno.EPERM):
            raise


class _Reader(object):
    """Both output pipes, read without blocking: the first ``limit`` bytes of each kept, or stdout
    handed to ``sink`` chunk by chunk (kept nowhere) until it returns False (``stopped``). A pidfd
    (Linux 5.3+) wakes the wait when the process ends; without it the end is polled."""

    def __init__(self, proc, limit=MAX_KEPT, sink=None):
        self.limit = limit
        self.streams = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
        self.kept = {"stdout": [], "stderr": []}
        self.sizes = {"stdout": 0, "stderr": 0}
        self.open = set(self.streams)
        self.sink = sink
        self.stopped = False
        try:
            self.pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            self.pidfd = None

    def pump(self, wait, until_exit=True):
        """Read what is there, waiting at most ``wait`` seconds for output (or the process's end)."""
        fds = list(self.open)
        if until_exit:
            fds += [self.pidfd] if self.pidfd is not None else []
            wait = wait if self.pidfd is not None else min(wait, 0.01)
        if not fds:
            time.sleep(max(0.0, wait))
            return
        ready, _w, _x = select.select(fds, [], [], max(0.0, wait))
        for fd in ready:
            if fd in self.open:
                self._read(fd)

    def _read(self, fd):
        chunk = os.read(fd, 65536)
        if not chunk:
            self.open.discard(fd)
            return
        name = self.streams[fd]
        if name == "stdout" and self.sink is not None:
            if not self.stopped and self.sink(chunk) is False:
                self.stopped = True
        else:
            room = self.limit - self.sizes[name]
            if room > 0:
                self.kept[name].append(chunk[:room])
        self.sizes[name] += len(chunk)

    def drain(self):
        """After the group is killed: read to the pipes' end, for at most DRAIN_GRACE (a process
        outside the group may still hold them)."""
        grace = time.monotonic() + DRAIN_GRACE
        while self.open and time.monotonic() < grace:
            self.pump(grace - time.monotonic(), until_exit=False)

    def close(self):
        if self.pidfd is not None:
            os.close(self.pidfd)

    def text(self, name):
        return b"".join(self.kept[name]).decode("utf-8", "replace")


def _pump_until_exit(proc, reader, deadline):
    """Read output until the process ends, ``deadline`` or the sink stops; True when it ended."""
    while True:
        if reader.stopped:
            return False
        if _exited(proc.pid):
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        reader.pump(min(remaining, 0.5))


def _stop_watchdog(watch_fd, watchdog):
    if watch_fd is None:
        return
    os.close(watch_fd)
    try:
        watchdog.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _popen(argv, config, env):
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=config.chdir, close_fds=True, start_new_session=True)


def _watch(proc, deadline, outcome, limit=MAX_KEPT, sink=None):
    """Read the output of the started ``proc`` until it ends, ``deadline`` or ``sink`` stops, kill its
    whole group (its leader unreaped until then, so the group's id cannot be reused meanwhile), reap it."""
    watch_fd, watchdog = _start_watchdog(proc.pid)
    reader = _Reader(proc, limit, sink)
    ended = False
    try:
        ended = _pump_until_exit(proc, reader, deadline)
        _kill_group(proc.pid)
        reader.drain()
    finally:
        _kill_group(proc.pid)
        _stop_watchdog(watch_fd, watchdog)
        rc = proc.wait()
        reader.close()
        proc.stdout.close()
        proc.stderr.close()
    outcome.rc = rc if ended else None
    outcome.stopped = reader.stopped
    outcome.timed_out = not ended and not reader.stopped
    outcome.stdout, outcome.stderr = reader.text("stdout"), reader.text("stderr")
    outcome.sizes = dict(reader.sizes)


def execute(config, sink=None):
    """Run the command of ``config`` with its bounds; return an Outcome (never raises for the command's
    own failures: a missing program or directory is ``outcome.error``). ``config.max_output``, when
    set, replaces MAX_KEPT as the bytes kept of each stream (systemctl's answers are larger).

    With ``sink``, the standard output is handed to ``sink(chunk)`` as it comes (a reader of a
    stream larger than memory: journalctl) instead of being kept; when ``sink`` returns False the
    process group is killed and ``outcome.stopped`` is set.
    """
    env = _environ(config)
    argv, error = _resolve(config, env)
    outcome = Outcome(argv or ([config.plugin] + config.argv if config.plugin else config.argv))
    if error is None and config.chdir is not None and not os.path.isdir(config.chdir):
        error = "chdir %s is not a directory" % config.chdir
    if error is not None:
        outcome.error = error
        return outcome
    deadline = time.monotonic() + config.timeout
    try:
        proc = _popen(argv, config, env)
    except OSError as exc:
        outcome.error = "cannot run %s: %s" % (argv[0], exc.strerror or exc)
        return outcome
    _watch(proc, deadline, outcome, getattr(config, "max_output", MAX_KEPT), sink)
    return outcome


def clean(text, limit=None):
    """The command's text made safe to show: control characters (escape sequences...) replaced."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return _CONTROL_RE.sub(u"\ufffd", text)


def _fmt_seconds(seconds):
    return "%g" % round(seconds, 3)


def _shown_command(outcome, config):
    """The command as run (the program found), each reference to a secret masked."""
    shown = getattr(config, "shown_argv", None)
    if shown is None or not outcome.argv:  # systemctl and journalctl run through execute() too, with no secrets
        return " ".join(outcome.argv) if outcome.argv else (config.plugin or "")
    return " ".join([outcome.argv[0]] + list(shown if config.plugin else shown[1:]))


def _exit_phrase(rc):
    if rc < 0:
        try:
            return "killed by signal %d (%s)" % (-rc, signal.Signals(-rc).name)
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit code %d" % rc


def _streams(outcome):
    """The result's view of the output: shown text, sizes and whether it was cut."""
    shown = {}
    for name in ("stdout", "stderr"):
        text = getattr(outcome, name)
        shown[name] = clean(text, SHOWN)
        shown[name + "_bytes"] = outcome.sizes[name]
        shown[name + "_truncated"] = outcome.sizes[name] > SHOWN or len(text) > SHOWN
    return shown


def _first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _unrun(config, outcome, name, started):
    """The result of a command that could not run or timed out (unknown)."""
    shown = _shown_command(outcome, config)
    if outcome.timed_out:
        summary = "%s: timed out after %s s (process group killed)" % (shown, _fmt_seconds(config.timeout))
        partial = _first_line(outcome.stdout)
        if partial:
            summary += "; it printed: %s" % clean(partial.split("|", 1)[0].strip(), SUMMARY_CHARS)
    else:
        summary = outcome.error
    extra = dict(command=shown, exit_code=None, timed_out=outcome.timed_out, **_streams(outcome))
    return make_result(name, KIND, UNKNOWN, summary, {}, {}, _elapsed_ms(started), **extra)


def _elapsed_ms(started):
    return (time.monotonic() - started) * 1000.0


def _user_ranges(item, compiled):
    """The user's ranges for ``item``, in its own unit kind (they were compiled as plain numbers)."""
    levels = compiled.get(item.label, {})
    return dict((level, NagiosRange.parse(rng.text, item.kind)) for level, rng in levels.items())


def _judge_items(items, compiled):
    """``(metrics, thresholds text, status, breach texts)`` over the plugin's items and the user's ranges."""
    metrics, thresholds, units, effective = {}, {}, {}, {}
    for item in items:
        metrics[item.label] = item.value
        units[item.label] = item.kind
        shown = dict((level, rng.text) for level, rng in (("warning", item.warning), ("critical", item.critical))
                     if rng is not None)
        user = _user_ranges(item, compiled)
        if user:
            effective[item.label] = user
            shown.update((level, rng.text) for level, rng in user.items())
        if shown:
            thresholds[item.label] = shown
    status, breaches = evaluate(metrics, effective, units)
    texts = ["%s: %s %s %s" % (b["level"], b["metric"], b["text"], b["condition"]) for b in breaches]
    missing = sorted(label for label in compiled if label not in metrics)
    if missing:
        texts.append("unknown: no performance data for %s" % ", ".join(repr(m) for m in missing))
        status = worst([status, UNKNOWN])
    return metrics, thresholds, status, texts


def _nagios(config, outcome, compiled, name, started):
    parsed = _perfdata.parse_output(outcome.stdout)
    rc = outcome.rc
    plugin_status = NAGIOS_STATUS.get(rc, UNKNOWN)
    metrics, thresholds, user_status, texts = _judge_items(parsed.items, compiled)
    line = clean(parsed.summary, SUMMARY_CHARS) or "(no output)"
    if not parsed.summary and outcome.stderr.strip():
        line += "; stderr: %s" % clean(_first_line(outcome.stderr), SUMMARY_CHARS)
    if rc not in NAGIOS_STATUS:
        line = "%s (not a plugin status): %s" % (_exit_phrase(rc), line)
    if parsed.problems:
        texts.append("%d performance data item%s skipped or cut" % (
            len(parsed.problems), "" if len(parsed.problems) == 1 else "s"))
    summary = line + (" (%s)" % "; ".join(texts) if texts else "")
    extra = dict(command=_shown_command(outcome, config), exit_code=rc, timed_out=False,
                 plugin_status=plugin_status, output=clean(parsed.long_text, SHOWN),
                 perfdata=[i.as_dict() for i in parsed.items], perfdata_problems=[clean(p) for p in parsed.problems])
    extra.update((k, v) for k, v in _streams(outcome).items() if not k.startswith("stdout_t") and k != "stdout")
    return make_result(name, KIND, worst([plugin_status, user_status]), summary, metrics, thresholds,
                       _elapsed_ms(started), **extra)


def _plain(config, outcome, name, started):
    rc = outcome.rc
    problems = []
    if rc not in config.expect_rc:
        problems.append("%s, expected %s" % (_exit_phrase(rc), " or ".join(str(c) for c in config.expect_rc)))
    for option, stream, wanted, regex in config.patterns:
        found = regex.search(getattr(outcome, stream)) is not None
        if found != wanted:
            problems.append("%s %s '%s'" % (stream, "does not match" if wanted else "matches", regex.pattern))
    shown = _shown_command(outcome, config)
    summary = "%s: %s in %s" % (shown, _exit_phrase(rc), format_quantity(_elapsed_ms(started), MILLISECONDS))
    if problems:
        summary += " (critical: %s)" % "; ".join(problems)
    extra = dict(command=shown, exit_code=rc, timed_out=False, **_streams(outcome))
    return make_result(name, KIND, CRITICAL if problems else OK, clean(summary), {}, {}, _elapsed_ms(started),
                       **extra)


def run(config, compiled, name=KIND):
    started = time.monotonic()
    if config.check_mode and not config.check_mode_safe:
        shown = " ".join([config.plugin] + config.shown_argv if config.plugin else config.shown_argv)
        results = [make_result(name, KIND, OK, "%s: not run in check mode (check_mode_safe is false)" % shown,
                               {}, {}, _elapsed_ms(started), command=shown, skipped=True)]
    else:
        outcome = execute(config)
        if outcome.error is not None or outcome.timed_out:
            results = [_unrun(config, outcome, name, started)]
        elif config.format == "plain":
            results = [_plain(config, outcome, name, started)]
        else:
            results = [_nagios(config, outcome, compiled, name, started)]
    # A plugin may echo what it was given (its summary, a perfdata label, stderr): no secret leaves the check.
    return config.scrub.deep(results) if config.secrets else results
