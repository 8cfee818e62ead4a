# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Benchmark-only callback: the wall time of every task of a play (from its start to the next
task's start, all hosts together), written as JSON to $SRE_HEALTH_TASK_TIMES. Not shipped in the
collection; bench/bench.py enables it for the profile of the main job."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: task_times
type: aggregate
short_description: wall time per task, for the benchmark
description:
  - Writes the wall time of every task to the file named by E(SRE_HEALTH_TASK_TIMES).
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self._rows = []
        self._current = None
        self._started = time.monotonic()

    def _close(self):
        if self._current is not None:
            name, started = self._current
            self._rows.append({"task": name, "seconds": time.monotonic() - started})
            self._current = None

    def _open(self, task):
        self._close()
        # get_name() already carries the role's name ("role : task")
        self._current = (task.get_name(), time.monotonic())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._open(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._open(task)

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get("SRE_HEALTH_TASK_TIMES")
        if path:
            with open(path, "w") as handle:
                json.dump({"total": time.monotonic() - self._started, "tasks": self._rows}, handle)
