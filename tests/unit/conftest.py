# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fake control plane every module test talks to (fakecp.run_module runs a module).

ansible_collections.kuma.universal is importable as is under ansible-test units; under
plain pytest, tests/unit/pytest.ini puts build/collections (make collection) on the path.
"""

from __future__ import annotations

import pytest
import requests

from ansible_collections.kuma.universal.plugins.module_utils import _api
from ansible_collections.kuma.universal.tests.unit.fakecp import FakeCP


@pytest.fixture
def cp(monkeypatch):
    fake = FakeCP()
    real_session = requests.Session

    def session():
        s = real_session()
        s.mount("http://", fake)
        return s

    monkeypatch.setattr(_api.requests, "Session", session)
    fake.store[("meshes", "default")] = {"type": "Mesh", "name": "default"}
    return fake
