# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.sre.health.tests.unit.utils import ext4_loop_fixture, tmpfs_fixture

tmpfs = pytest.fixture(name="tmpfs")(tmpfs_fixture)
ext4_loop = pytest.fixture(name="ext4_loop")(ext4_loop_fixture)
