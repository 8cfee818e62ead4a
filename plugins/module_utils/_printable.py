# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Text from hosts made printable for every report format: what no writer can encode or show is escaped.

A report or a slice of one holds names and texts from hosts: a lone surrogate (bytes that are not UTF-8,
decoded with surrogateescape, or a JSON ``"\\udc80"`` escape in a slice report), NUL, terminal escapes.
UTF-8 cannot encode a surrogate (the HTML writer raised), XML 1.0 forbids NUL and most C0 controls, and a
control character in a name shown on a terminal or a web page is never what its host meant. Each is shown
as its escape: ``\\xNN`` for a control character or an escaped byte, ``\\uNNNN`` for another surrogate or
non-character. Pure logic; no Ansible imports.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, every surrogate, and the non-characters XML 1.0 forbids.
_UNSHOWN_RE = re.compile(u"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What a free text (a summary) keeps: its tabs and line breaks.
TEXT_KEEPS = "\t\n"


def _escape(match):
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        # a byte that surrogateescape decoded: shown as that byte, as safe_text does
        return "\\x%02x" % (code - 0xDC00)
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def _escape_keeping(keep):
    def escape(match):
        return match.group() if match.group() in keep else _escape(match)
    return escape


def printable(text, keep=""):
    """``text`` (a str) with every control character, surrogate and XML non-character as its escape, except
    those of ``keep`` (``TEXT_KEEPS`` for a free text). Idempotent: an escape is printable ASCII."""
    if _UNSHOWN_RE.search(text) is None:
        return text
    return _UNSHOWN_RE.sub(_escape_keeping(keep) if keep else _escape, text)


def printable_data(value, keep=TEXT_KEEPS):
    """``value`` with every string in it (keys too, in lists and dicts) made ``printable``; ``value`` itself
    when nothing in it changes (a big report's metrics are not copied)."""
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
