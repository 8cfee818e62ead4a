# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where the main job's time goes: every task's wall time (bench/callback_plugins/task_times.py)
and the controller process under cProfile (the workers it forks are not in that profile; their
time shows in the tasks' wall time)."""

from __future__ import annotations

import json
import os
import pstats
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _run(argv, env, cwd):
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit("bench: profiling %s failed (rc %d):\n%s" % (argv[-3], proc.returncode, proc.stdout[-3000:]))


def tasks(argv, env, cwd, out):
    """``{total, tasks: [{task, seconds}]}`` of one run of ``argv`` (an ansible-playbook command line)."""
    env = dict(env, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="task_times", SRE_HEALTH_TASK_TIMES=out)
    _run(argv, env, cwd)
    with open(out) as handle:
        return json.load(handle)


def controller(argv, env, cwd, out, top=12):
    """The controller's top functions by own time, under cProfile: ``[(function, seconds, calls)]``."""
    _run([sys.executable, "-m", "cProfile", "-o", out] + argv, env, cwd)
    stats = pstats.Stats(out)
    rows = []
    for (path, line, func), (_cc, calls, tottime, _cum, _callers) in stats.stats.items():
        rows.append(("%s:%d(%s)" % (_short(path), line, func), tottime, calls))
    rows.sort(key=lambda r: -r[1])
    total = sum(r[1] for r in rows)
    return total, rows[:top]


def _short(path):
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return os.path.basename(path)


def section(label, timing, cprofile):
    total = timing["total"]
    doc = ["### %s" % label, "",
           "Wall time per task (all hosts together), one run; %.2f s in all." % total, "",
           "| task | wall | share |", "|---|---:|---:|"]
    for row in timing["tasks"]:
        share = 100.0 * row["seconds"] / total if total else 0
        doc.append("| %s | %.2f s | %.0f%% |" % (row["task"].replace("|", "/"), row["seconds"], share))
    ctotal, rows = cprofile
    doc += ["", "The controller process under cProfile: %.2f s of own time in all; the top functions:" % ctotal, "",
            "| function | own time | calls |", "|---|---:|---:|"]
    for name, seconds, calls in rows:
        doc.append("| `%s` | %.2f s | %d |" % (name, seconds, calls))
    return doc
