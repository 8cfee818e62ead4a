# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Text from hosts made safe to show: what would rewrite a terminal or break a writer is a visible escape.

A file name, a DNS TXT record, a log line, a command's error or a host name in a slice report can hold
ESC (a colour, a cursor move, a window title), CR (a line that overwrites the one before), LF (a line
that looks like another check's), NUL, C1 controls (U+009B is CSI on some terminals), the Unicode bidi
controls (U+202E makes ``gpj.exe`` read ``exe.jpg``), and lone surrogates (bytes that are not UTF-8,
decoded with surrogateescape, or a JSON ``"\\udc80"`` escape), which UTF-8 cannot encode and XML 1.0
forbids, as it forbids U+FFFE and U+FFFF. Whoever reads a summary, a task's message or a report must see
what is there, and every writer must be able to write it: each such character is shown as its Python
escape, ``\\t``, ``\\n``, ``\\r``, ``\\xNN`` (a control character, or the byte a surrogateescape stands
for), ``\\uNNNN`` (a bidi control, another surrogate, a non-character).

Backslashes are left as they are (a Windows path or a regex in a summary stays readable), so a literal
``\\x1b`` typed in a name looks the same as an escaped ESC: what is shown is inert either way. Escaping
twice changes nothing (an escape is printable ASCII).

Written once, used by the check results (``_status.make_result``), the module edge (``_module``), the
lines the roles print (the ``result_lines`` filter) and every report writer (``_report``, ``_textfile``).
Pure logic, no Ansible imports.
"""

from __future__ import annotations

import re

# C0 controls (TAB, LF and CR included: a summary is one line), DEL, C1 controls, the Arabic letter
# mark, LRM/RLM, the line and paragraph separators, the bidi embeddings and overrides (U+202A-U+202E)
# and isolates (U+2066-U+2069), every surrogate, and the non-characters XML 1.0 forbids.
CONTROL_RE = re.compile(u"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                        u"\ud800-\udfff\ufffe\uffff]")

_NAMED = {u"\t": u"\\t", u"\n": u"\\n", u"\r": u"\\r"}

# What a multi-line field (a command's output, a report's summary) keeps raw: its lines and indentation.
LINES = u"\n\t"


def _escape(match, keep=u""):
    char = match.group(0)
    if char in keep:
        return char
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        # a byte that surrogateescape decoded: shown as that byte, as _status.safe_text does
        return u"\\x%02x" % (code - 0xDC00)
    return u"\\x%02x" % code if code < 0x100 else u"\\u%04x" % code


def printable(text, keep=u""):
    """``text`` (a str) with every character of ``CONTROL_RE`` as its escape, except those of ``keep``
    (``LINES`` for a field whose value is several lines, never for a one-line summary)."""
    if CONTROL_RE.search(text) is None:
        return text
    return CONTROL_RE.sub(lambda match: _escape(match, keep), text)


def escape_controls(value, keep=u""):
    """``value`` with its strings made ``printable``, recursively (lists, tuples, dict keys and values);
    anything else is returned as is."""
    if isinstance(value, str):
        return printable(value, keep)
    if isinstance(value, list):
        return [escape_controls(item, keep) for item in value]
    if isinstance(value, tuple):
        return tuple(escape_controls(item, keep) for item in value)
    if isinstance(value, dict):
        return dict((escape_controls(k, keep), escape_controls(v, keep)) for k, v in value.items())
    return value


def printable_data(value, keep=LINES):
    """As ``escape_controls``, but ``value`` itself when nothing in it changes: a big report's metrics are
    not copied (the merge holds whole fleets)."""
    if isinstance(value, str):
        return printable(value, keep)
    if isinstance(value, list):
        items = [printable_data(item, keep) for item in value]
        return value if all(new is old for new, old in zip(items, value)) else items
    if isinstance(value, dict):
        pairs = [(printable(k, keep) if isinstance(k, str) else k, printable_data(v, keep)) for k, v in value.items()]
        if all(new_k is old_k and new_v is old_v for (new_k, new_v), (old_k, old_v) in zip(pairs, value.items())):
            return value
        return dict(pairs)
    return value
