# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A user's regular expression: compiled once, at validation, with an error that names the option.

Patterns meet text chosen by others (a command line, a log line, an HTTP body, a banner). Each
kind caps the text it feeds to a pattern, and the check's deadline (``_runner.run_forked``)
stops a pattern that backtracks, whatever the text.

Pure logic, no Ansible imports.
"""

from __future__ import annotations

import re

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError


def compile_regex(option, pattern, shown=None):
    """``pattern`` compiled; None stays None. OptionError names ``option`` and shows ``shown``
    (default: the pattern) for an empty or invalid one."""
    if pattern is None:
        return None
    shown = pattern if shown is None else shown
    if not isinstance(pattern, str) or not pattern:
        raise OptionError(option, shown, "a non-empty Python regular expression")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise OptionError(option, shown, "a valid Python regular expression (%s)" % exc)
