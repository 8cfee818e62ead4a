# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures of the module tests."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.sre.health.tests.unit.plugins.module_utils.test_service import fake_systemctl


def python_with_path(directory, path, replace=False):
    """An interpreter wrapper that runs the module with ``path`` first on (or as the whole) PATH."""
    wrapper = os.path.join(directory, "python-with-path")
    new_path = "'%s'" % path if replace else "'%s'${PATH:+:$PATH}" % path
    with open(wrapper, "w") as handle:
        handle.write("#!/bin/sh\nPATH=%s\nexport PATH\nexec '%s' \"$@\"\n" % (new_path, sys.executable))
    os.chmod(wrapper, 0o755)
    return wrapper


@pytest.fixture
def standin(tmp_path):
    """(python wrapper, call record) for a module run that finds the stand-in systemctl first."""
    bindir = str(tmp_path / "bin")
    record = fake_systemctl(bindir)
    return python_with_path(str(tmp_path), bindir), record
