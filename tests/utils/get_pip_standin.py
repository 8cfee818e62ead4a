# -*- coding: utf-8 -*-
# Copyright (c) sre.health contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py script that ansible-test downloads to bootstrap pip.

ansible-test builds a virtual environment per sanity test and runs its cached get-pip script
in it; the site it downloads that script from is not reachable here. This does the same job
with what Python ships: ensurepip, then pip installs what ansible-test asked for.

ensurepip runs in a SUBPROCESS: called in-process it sets PIP_CONFIG_FILE=/dev/null, which hides
the machine's pip configuration (index and CA certificate) from every later pip call.
"""

from __future__ import annotations

import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
