# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""JSON from text that anyone may have written (a log line, a journal message, an HTTP body),
with its nesting bounded.

``json.loads`` recurses once per nested array or object: ``[`` * 5000 (or ``{"a":`` * 5000)
raises RecursionError, which is no ValueError, so a parser that only expects ValueError lets it
through, and one log line could make a whole check unknown and hide every line after it. In a
thread with a small stack the same recursion can overflow the C stack before Python notices.

So the nesting is measured first, without recursion and in linear time, and a document nested
deeper than MAX_DEPTH levels is refused (TooDeep, a ValueError: callers that treat "not JSON" as
text do so for it too) before ``json.loads`` sees it. MAX_DEPTH is far beyond any real log
format or API answer (they nest a handful of levels) and well inside Python's recursion limit
(1000), also for the code that walks or prints the parsed document afterwards.

Pure logic, standard library only; no state.
"""

from __future__ import annotations

import itertools
import json

MAX_DEPTH = 512

# After escapes and strings are gone, only brackets are kept, as signed bytes: an opening one
# counts +1, a closing one -1 (which kind closes which is json.loads' business, not the depth's).
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


class TooDeep(ValueError):
    """The text nests arrays and objects deeper than ``limit`` levels."""

    def __init__(self, limit):
        super(TooDeep, self).__init__("nested deeper than %d levels" % limit)
        self.limit = limit


def too_deep(text, limit=MAX_DEPTH):
    """True when the JSON ``text`` nests arrays or objects deeper than ``limit`` levels.

    Brackets inside strings do not count. Linear in the length of ``text``: a few passes of C code
    (counting, replacing, splitting, a translation, a running sum that stops past the limit), no
    regular expression and no Python loop over characters. Text that is not JSON may be judged too
    deep where json.loads would have failed earlier; text that json.loads would parse is judged
    exactly.
    """
    if text.count("[") + text.count("{") <= limit:
        return False  # every real log line and answer: at most ``limit`` levels can be opened
    # Outside strings valid JSON has no backslash, and inside them every backslash begins an escape:
    # taking out the pairs of backslashes first (left to right, as json reads them), then the
    # escaped quotes, leaves each quote a string's start or end, so the text outside strings is
    # every other piece between quotes.
    bare = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(bare.split('"')[::2]).encode("utf-8", "replace")
    steps = memoryview(outside.translate(_STEPS, _NOT_BRACKETS)).cast("b")
    return next(filter(limit.__lt__, itertools.accumulate(steps)), None) is not None


def loads(text, limit=MAX_DEPTH):
    """``json.loads(text)``, or TooDeep (a ValueError) when ``text`` nests deeper than ``limit`` levels."""
    if too_deep(text, limit):
        raise TooDeep(limit)
    return json.loads(text)
