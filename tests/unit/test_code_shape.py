# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The shape docs/architecture.md promises, kept true: short functions, every kind registered
once and complete, one base error for what users can cause."""

from __future__ import annotations

import ast
import os

import pytest

from ansible_collections.sre.health.plugins.module_utils import _kinds_all
from ansible_collections.sre.health.plugins.module_utils._errors import SreHealthError
from ansible_collections.sre.health.plugins.module_utils._kind import PROTOCOL

PLUGINS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "plugins")
MAX_FUNCTION_LINES = 60


def _python_files():
    for root, _dirs, files in os.walk(PLUGINS):
        for name in files:
            if name.endswith(".py"):
                yield os.path.join(root, name)


def _long_functions(path):
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield "%s:%d %s (%d lines)" % (os.path.relpath(path, PLUGINS), node.lineno, node.name, length)


def test_no_function_in_plugins_is_longer_than_60_lines():
    found = [item for path in sorted(_python_files()) for item in _long_functions(path)]
    assert found == []


@pytest.mark.parametrize("kind_name", sorted(_kinds_all.KINDS))
def test_each_kind_has_the_whole_protocol_and_its_errors_share_one_base(kind_name):
    kind = _kinds_all.KINDS[kind_name]
    assert [attr for attr in PROTOCOL if not hasattr(kind, attr)] == []
    errors = [value for value in vars(kind).values()
              if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == kind.__name__]
    assert [e.__name__ for e in errors if not issubclass(e, SreHealthError)] == []
