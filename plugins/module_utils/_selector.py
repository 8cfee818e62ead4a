# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which samples an expectation of the metrics kind selects: a sample name and PromQL label
matchers (``http_requests_total{code=~"5..",method!="GET"}``), plus an exact ``labels`` dict;
and the unit of the value, from Prometheus naming conventions.

Pure logic, standard library only.
"""

from __future__ import annotations

import re

from ansible_collections.sre.health.plugins.module_utils._errors import OptionError
from ansible_collections.sre.health.plugins.module_utils._units import BYTES, COUNT, SECONDS
from ansible_collections.sre.health.plugins.module_utils._web.redact import header_text as label_text

_LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_SELECTOR_RE = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(.*)\})?\s*$", re.S)
_MATCHER_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)', re.S)
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}

SELECTOR_SYNTAX = (
    'a sample name such as http_requests_total, optionally with PromQL label matchers: '
    'http_requests_total{code=~"5..",method!="GET"} (operators = != =~ !~, values in double quotes, '
    'regexes fully anchored), or {__name__=~"regex"} alone'
)


class Matcher(object):
    """One label matcher; an absent label has the value "" (as in PromQL)."""

    __slots__ = ("label", "op", "value", "regex")

    def __init__(self, label, op, value, regex=None):
        self.label = label
        self.op = op
        self.value = value
        self.regex = regex

    def matches(self, labels):
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = self.regex.fullmatch(actual) is not None
        return found if self.op == "=~" else not found

    def text(self):
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return '%s%s"%s"' % (self.label, self.op, escaped)


def _unescape(text):
    out = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _matcher(found, name, text, option):
    label, op, raw = found.group(1), found.group(2), _unescape(found.group(3))
    if label == "__name__" and name:
        raise OptionError(option, text, "%s (a name and a __name__ matcher together)" % SELECTOR_SYNTAX)
    regex = None
    if op in ("=~", "!~"):
        try:
            regex = re.compile(raw)
        except re.error as exc:
            raise OptionError(option, text, "valid regular expressions in =~ and !~ matchers (%s: %s)" % (raw, exc))
    return Matcher(label, op, raw, regex)


def _braced_matchers(body, name, text, option):
    """The matchers between the braces of a selector."""
    matchers = []
    pos = 0
    while pos < len(body):
        found = _MATCHER_RE.match(body, pos)
        if not found or found.end() == pos:
            raise OptionError(option, text, "%s (cannot read matcher at %r)" % (SELECTOR_SYNTAX, body[pos:pos + 30]))
        matchers.append(_matcher(found, name, text, option))
        pos = found.end()
        if found.group(4) == "" and pos < len(body):
            raise OptionError(option, text, "%s (matchers are separated by commas)" % SELECTOR_SYNTAX)
    return matchers


def _label_matchers(labels, option):
    """Exact matchers from the ``labels`` dict beside ``metric``."""
    parent = option.rsplit(".", 1)[0]
    if not isinstance(labels, dict):
        raise OptionError(parent + ".labels", labels, "a dict of label name -> exact value")
    matchers = []
    for key in sorted(labels):
        if not isinstance(key, str) or not _LABEL_NAME_RE.match(key) or key == "__name__":
            raise OptionError("%s.labels" % parent, key,
                              "label names of letters, digits and underscores, not starting with a digit")
        value = labels[key]
        if isinstance(value, (dict, list)):
            raise OptionError("%s.labels.%s" % (parent, key), value, "a string, number or boolean")
        matchers.append(Matcher(key, "=", label_text(value)))
    return matchers


def _display(matchers):
    """The selector written back in PromQL form."""
    name_matcher = [m for m in matchers if m.label == "__name__"]
    others = [m for m in matchers if m.label != "__name__"]
    if name_matcher and name_matcher[0].op == "=":
        display = name_matcher[0].value
    else:
        display = ""
        others = matchers
    if others:
        display += "{%s}" % ",".join(m.text() for m in others)
    return display


def parse_selector(text, labels=None, option="metric"):
    """Parse ``text`` (a name and/or PromQL matchers) plus an exact ``labels`` dict into matchers.

    Returns ``(matchers, display)``; ``display`` is the selector written back in PromQL form.
    """
    if not isinstance(text, str) or not text.strip():
        raise OptionError(option, text, SELECTOR_SYNTAX)
    match = _SELECTOR_RE.match(text)
    if not match:
        raise OptionError(option, text, SELECTOR_SYNTAX)
    name, body = match.group(1), match.group(2)
    matchers = [Matcher("__name__", "=", name)] if name else []
    if body is not None and body.strip():
        matchers += _braced_matchers(body, name, text, option)
    if not any(m.label == "__name__" and m.op in ("=", "=~") for m in matchers):
        raise OptionError(option, text, "%s (a sample name is required)" % SELECTOR_SYNTAX)
    if labels:
        matchers += _label_matchers(labels, option)
    return matchers, _display(matchers)


def unit_kind(metric_name, aggregate):
    """The unit kind of an expectation's value, from Prometheus naming conventions.

    ``*_seconds`` (and its ``_total``/``_sum``) is a duration, ``*_bytes`` a size; buckets,
    ``_count`` samples and the ``count`` aggregate are counts.
    """
    if aggregate == "count" or not metric_name:
        return COUNT
    base = metric_name
    if base.endswith("_bucket") or base.endswith("_count"):
        return COUNT
    for suffix in ("_total", "_sum"):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
            break
    if base.endswith("_seconds"):
        return SECONDS
    if base.endswith("_bytes"):
        return BYTES
    return COUNT
