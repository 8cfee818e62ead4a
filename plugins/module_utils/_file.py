# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``file`` check kind: existence, type, mode, owner and age of files.

Work in progress (issue 15).
"""

from __future__ import annotations
