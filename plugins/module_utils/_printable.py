# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Text from hosts made safe to print on a terminal: control characters shown as visible escapes.

A file name, a DNS TXT record, a log line or a command's error can hold ESC (a colour, a cursor
move, a window title), CR (a line that overwrites the one before), LF (a line that looks like
another check's), NUL, C1 controls (U+009B is CSI on some terminals) and the Unicode bidi controls
(U+202E makes ``gpj.exe`` read ``exe.jpg``). Whoever reads a summary, a task's message or a report
must see what is there, not have their terminal rewritten: every such character is shown as its
Python escape, ``\\x1b``, ``\\x00``, ``\\r``, ``\\n``, ``\\t``, ``\\x9b``, ``\\u202e``.

Backslashes are left as they are (a Windows path or a regex in a summary stays readable), so a
literal ``\\x1b`` typed in a name looks the same as an escaped ESC: what is shown is inert either
way. Escaping twice changes nothing (the escaped text holds no control character).

Pure logic, no Ansible imports; used by the check results (``_status.make_result``), the module
edge (``_module``), and the lines the roles print (the ``result_lines`` filter).
"""

from __future__ import annotations

import re

# C0 controls (TAB, LF and CR included: a summary is one line), DEL, C1 controls, the Arabic letter
# mark, LRM/RLM, the line and paragraph separators, the bidi embeddings and overrides (U+202A-U+202E)
# and isolates (U+2066-U+2069): the characters that move, recolour or reorder what a reader sees.
CONTROL_RE = re.compile(u"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

_NAMED = {u"\t": u"\\t", u"\n": u"\\n", u"\r": u"\\r"}


# What a multi-line field (a command's output) keeps raw: its lines and their indentation.
LINES = u"\n\t"


def _escape(match, keep=u""):
    char = match.group(0)
    if char in keep:
        return char
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return u"\\x%02x" % code if code < 0x100 else u"\\u%04x" % code


def escape_controls(value, keep=u""):
    """``value`` with every control character of its strings shown as an escape, recursively (lists,
    tuples, dict keys and values); anything else is returned as is. ``keep``: characters left
    raw (``LINES`` for a field whose value is several lines, never for a summary)."""
    if isinstance(value, str):
        if CONTROL_RE.search(value) is None:
            return value
        return CONTROL_RE.sub(lambda match: _escape(match, keep), value)
    if isinstance(value, list):
        return [escape_controls(item, keep) for item in value]
    if isinstance(value, tuple):
        return tuple(escape_controls(item, keep) for item in value)
    if isinstance(value, dict):
        return dict((escape_controls(k, keep), escape_controls(v, keep)) for k, v in value.items())
    return value
