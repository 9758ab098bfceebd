# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip.py that ansible-test downloads from a CI file host.

These machines reach PyPI but not that host. ansible-test runs this file inside an empty
virtual environment with pip's own arguments (e.g. ``pip==24.2 --no-setuptools``): bootstrap
pip from the interpreter's bundled ensurepip, then let that pip install what was asked
from PyPI, as get-pip.py would.
"""

import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
