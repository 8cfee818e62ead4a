# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Health results as a Prometheus textfile (node_exporter's textfile collector): the one renderer of
both textfiles, the one ``health_check`` writes on each host and the one ``fleet_report`` writes on the
controller, so their series have the same names, labels and help texts.

Every series carries ``report`` (the file's name without ``.prom`` and without the AWX job suffix) and,
for a report of an AWX job, ``job_id``: two files that node_exporter reads from one directory never hold
the same series, whatever hosts they report on.

Text from hosts is untrusted: label values are made printable (``_printable``: control characters but tab and
newline, and surrogates, as their escapes), cut at ``MAX_LABEL`` characters and escaped (backslash, double quote,
newline), and only finite numbers become samples. Pure logic plus
an atomic write; no Ansible imports.
"""

from __future__ import annotations

import math
import os
import re

from ansible_collections.sre.health.plugins.module_utils._atomic import write_atomically
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._printable import LINES, printable
from ansible_collections.sre.health.plugins.module_utils._status import CRITICAL, OK, UNKNOWN, WARNING

STATUS_VALUE = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}

# Where node_exporter's packages read textfiles by default: Debian's prometheus-node-exporter, then the
# RHEL/Fedora (EPEL golang-github-prometheus-node-exporter) and the prometheus.prometheus role's directory.
DEFAULT_DIRS = ("/var/lib/prometheus/node-exporter", "/var/lib/node_exporter/textfile_collector")
AUTO = "auto"
DEFAULT_NAME = "sre_health.prom"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,94}\.prom$")

# A label value longer than this is cut (saying so); hosts choose check names and metric names.
MAX_LABEL = 200
# The host label's: a fleet report's host names are cut by _report (at 253 characters, with a digest of the whole
# name) and never again here, or two long names alike in their first characters would be one series.
MAX_HOST_LABEL = 400

FAMILIES = (
    ("sre_health_host_status", "Worst check status of the host: 0 ok, 1 warning, 2 critical, 3 unknown."),
    ("sre_health_check_status", "Status of one check: 0 ok, 1 warning, 2 critical, 3 unknown."),
    ("sre_health_check_value", "A metric measured by a check, in the metric's base unit (bytes, seconds, "
                               "milliseconds, percent, days or count, as its name says)."),
    ("sre_health_check_duration_seconds", "How long the check took."),
    ("sre_health_report_timestamp_seconds", "When the checks of this report were run (Unix time)."),
)


class TextfileError(SreHealthError):
    """A bad textfile option; the message names the option, the value and what is accepted."""


def label_value(value, redact=None, limit=MAX_LABEL):
    """``value`` as an escaped label value: printable, ``redact``-ed, at most ``limit`` characters (a cut says
    so)."""
    text = printable(value if isinstance(value, str) else str(value), LINES)
    if redact is not None:
        text = redact(text)
    if len(text) > limit:
        text = "%s... (cut: %d more characters)" % (text[:limit], len(text) - limit)
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def labels(pairs, redact=None):
    """``{a="x",b="y"}`` from (name, value) pairs; pairs whose value is None are left out."""
    return "{%s}" % ",".join('%s="%s"' % (name, label_value(value, redact,
                                                            MAX_HOST_LABEL if name == "host" else MAX_LABEL))
                             for name, value in pairs if value is not None)


def sample_value(value):
    """The sample text of a metric value, or None for what is not a finite number (null, text, NaN)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        # exact up to 2**53; beyond, the float Prometheus would keep anyway (or +Inf past the float range)
        if abs(value) <= 2 ** 53:
            return str(value)
        try:
            return repr(float(value))
        except OverflowError:
            return "+Inf" if value > 0 else "-Inf"
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def _seconds(duration_ms):
    """A duration in milliseconds as the sample text of seconds, or None."""
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, (int, float)):
        return None
    try:
        seconds = duration_ms / 1000.0
    except OverflowError:
        return None
    # microseconds: what the checks measure, without float noise (0.00032700000000000003)
    return repr(round(seconds, 6)) if math.isfinite(seconds) else None


def _status_value(status):
    return STATUS_VALUE.get(status, STATUS_VALUE[UNKNOWN])


def _text(value, default):
    return value if isinstance(value, str) and value else default


def render(hosts, timestamp, report, job_id=None, redact=None):
    """The textfile of ``hosts`` (each ``{host, status, checks: [{name, kind, status, metrics,
    duration_ms}]}``), written at ``timestamp`` (Unix time) as ``report`` (and AWX ``job_id``).

    Every family once with HELP and TYPE (all gauges), every series once: a later duplicate (two checks
    whose names are the same once cut) is left out. ``redact`` (text -> text) masks secrets in label values.
    """
    return b"".join(iter_render(hosts, timestamp, report, job_id, redact))


HOST_STATUS, CHECK_STATUS, CHECK_VALUE, CHECK_DURATION, TIMESTAMP = (
    "sre_health_host_status", "sre_health_check_status", "sre_health_check_value",
    "sre_health_check_duration_seconds", "sre_health_report_timestamp_seconds")


def iter_render(hosts, timestamp, report, job_id=None, redact=None):
    """What ``render`` returns, in pieces (UTF-8), for a writer that never holds the whole file: a fleet's
    textfile is about twice its JSON report. One pass over the hosts per family; a series is unique among the
    hosts of its host label (hosts of one name are taken together, and no two host labels make one series)."""
    def part(name, value, limit=MAX_LABEL):
        return '%s="%s"' % (name, label_value(value, redact, limit))

    tail = [part(name, value) for name, value in (
        ("report", report), ("job_id", None if job_id in (None, "") else str(job_id))) if value is not None]
    # host label -> its hosts, in the order of their first
    groups = {}
    for host in hosts:
        groups.setdefault(part("host", _text(host.get("host"), "unknown"), MAX_HOST_LABEL), []).append(host)
    for family, text in FAMILIES:
        if family == TIMESTAMP:
            lines = ["%s{%s} %s" % (family, ",".join(tail), repr(float(timestamp)))]
            yield ("# HELP %s %s\n# TYPE %s gauge\n%s\n" % (family, text, family, lines[0])).encode("utf-8")
            continue
        started = False
        for head, group in groups.items():
            lines = _group_lines(family, head, group, tail, part)
            if not lines:
                continue
            if not started:
                yield ("# HELP %s %s\n# TYPE %s gauge\n" % (family, text, family)).encode("utf-8")
                started = True
            yield ("\n".join(lines) + "\n").encode("utf-8")


def _group_lines(family, head, group, tail, part):
    """The lines of ``family`` of the hosts of one host label (``head``), each series once."""
    seen = set()
    lines = []

    def add(pairs, value):
        text = "{%s}" % ",".join(pairs)
        if text not in seen:
            seen.add(text)
            lines.append("%s%s %s" % (family, text, value))

    for host in group:
        if family == HOST_STATUS:
            add([head] + tail, _status_value(host.get("status")))
            continue
        checks = host.get("checks") if isinstance(host.get("checks"), list) else []
        for number, check in enumerate(checks):
            if not isinstance(check, dict):
                continue
            if family == CHECK_DURATION:
                duration = _seconds(check.get("duration_ms"))
                if duration is None:
                    continue
            elif family == CHECK_VALUE:
                metrics = check.get("metrics") if isinstance(check.get("metrics"), dict) else {}
                values = [(metric, sample_value(metrics[metric])) for metric in sorted(metrics, key=str)]
                values = [(metric, value) for metric, value in values if value is not None]
                if not values:
                    continue
            base = [head, part("check", _text(check.get("name"), "check %d" % (number + 1))),
                    part("kind", _text(check.get("kind"), "unknown"))]
            if family == CHECK_STATUS:
                add(base + tail, _status_value(check.get("status")))
            elif family == CHECK_DURATION:
                add(base + tail, duration)
            else:
                for metric, value in values:
                    add(base + [part("metric", metric)] + tail, value)
    return lines


# --- the host's textfile (health_check) -----------------------------------------------------------

def check_name(name):
    """Raise TextfileError unless ``name`` is a textfile name node_exporter reads (``*.prom``)."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise TextfileError("option textfile_name: %r is invalid; accepted: a file name ending in .prom (letters, "
                            "digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters)"
                            % (name,))


def check_dir(directory):
    """Raise TextfileError unless ``directory`` is ``auto`` or an absolute path."""
    if directory is None:
        return
    if not isinstance(directory, str) or not (directory == AUTO or os.path.isabs(directory)):
        raise TextfileError("option textfile_dir: %r is invalid; accepted: an absolute directory path, or auto (the "
                            "first existing of %s)" % (directory, ", ".join(DEFAULT_DIRS)))


def report_name(name):
    """The ``report`` label of a textfile: its name without ``.prom``."""
    return name[:-len(".prom")] if name.endswith(".prom") else name


def write_host_textfile(directory, name, hosts, timestamp, check_mode=False, redact=None):
    """Write the host textfile; never raises for what the host's file system does.

    Returns ``{path, written, reason}``: ``reason`` says why nothing was written (check mode, no
    directory, not writable), and is None when it was.
    """
    if directory == AUTO:
        found = [d for d in DEFAULT_DIRS if os.path.isdir(d)]
        if not found:
            return {"path": None, "written": False,
                    "reason": "no node_exporter textfile directory exists (looked for %s)" % ", ".join(DEFAULT_DIRS)}
        directory = found[0]
    path = os.path.join(directory, name)
    if check_mode:
        return {"path": path, "written": False, "reason": "check mode: nothing is written"}
    if not os.path.isdir(directory):
        # not created: node_exporter is not reading a directory that does not exist (a typo, or not installed)
        return {"path": path, "written": False,
                "reason": "the directory %s does not exist (node_exporter's --collector.textfile.directory)"
                          % directory}
    data = render(hosts, timestamp, report_name(name), redact=redact)
    try:
        # node_exporter runs as its own user: the file is readable by all, like the directory's others
        write_atomically(path, data, 0o644)
    except OSError as exc:
        return {"path": path, "written": False, "reason": "cannot write %s (%s)" % (path, exc.strerror or exc)}
    return {"path": path, "written": True, "reason": None}
