# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``command`` check kind: run a command or a Nagios/Icinga plugin and judge its result.

Work in progress: skeleton only.
"""

from __future__ import annotations
