# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module is in the kuma action group and uses the shared doc fragments."""

from __future__ import annotations

import ast
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Not against the API (no connection options, not in the action group): host modules run on a
# managed host - dataplane_proxies (files and units), install_probe, control_plane_probe and
# control_plane_status (read-only: what the install and control_plane roles compare, the leader
# gauge on the diagnostics port), install_binaries (the install role's staging and placing);
# controller planning - rollout_plan (deploy_mesh's roll-out settings), release_components (the
# release cut into one compressed file per binary).
HOST_MODULES = ["control_plane_probe", "control_plane_status", "dataplane_proxies", "install_binaries", "install_probe",
                "release_components", "rollout_plan"]
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if f.endswith(".py") and not f.startswith("_") and f[:-3] not in HOST_MODULES)


def documentation(module):
    with open(os.path.join(ROOT, "plugins", "modules", module + ".py")) as handle:
        tree = ast.parse(handle.read())
    docs = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in ("DOCUMENTATION", "RETURN"):
            docs[node.targets[0].id] = yaml.safe_load(node.value.value)
    return docs


def test_every_module_is_in_the_action_group():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        runtime = yaml.safe_load(handle)
    assert sorted(runtime["action_groups"]["kuma"]) == MODULES
    assert MODULES == ["dataplane", "dataplane_info", "dataplane_signing_key", "dataplane_token",
                       "dataplane_token_revocations", "dataplane_tokens", "dataplanes", "gateway_permissions", "kuma3_readiness", "mesh", "resource",
                       "zone_token", "zone_trusts"]


@pytest.mark.parametrize("module", MODULES)
def test_module_uses_the_shared_fragments(module):
    docs = documentation(module)
    fragments = docs["DOCUMENTATION"]["extends_documentation_fragment"]
    assert "kuma.universal.connection" in fragments
    assert any(f.startswith("kuma.universal.attributes") for f in fragments)
    assert docs["DOCUMENTATION"]["module"] == module
    assert docs["RETURN"]
