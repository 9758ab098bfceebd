# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ansible_collections.kuma.universal importable from build/collections (make collection)."""

from __future__ import annotations

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build", "collections")
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0] or BUILD
if not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "kuma", "universal")):
    COLLECTIONS = BUILD
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
sys.path.insert(0, os.path.dirname(__file__))


# The fake control plane every module test talks to (fakecp.run_module runs a module).
import pytest  # noqa: E402
import requests  # noqa: E402

from ansible_collections.kuma.universal.plugins.module_utils import _api  # noqa: E402
from fakecp import FakeCP  # noqa: E402


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
