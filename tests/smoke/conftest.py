# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.kuma_cp import Toolchain  # noqa: E402


@pytest.fixture(scope="session")
def toolchain():
    tc = Toolchain()
    yield tc
    tc.cleanup()
