# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma3_readiness: the rules one by one, on the fake control plane (read only)."""

from __future__ import annotations

import pytest

from ansible_collections.kuma.universal.plugins.module_utils import _readiness
from ansible_collections.kuma.universal.plugins.modules import kuma3_readiness
from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run


@pytest.mark.parametrize("version, check", [("2.13.10", "cp_version"), ("2.14.3", "skipped_patch"),
                                            ("2.14.6", None), ("2.14.7", None), ("3.0.1", None)])
def test_version_rule(version, check):
    assert [f["check"] for f in _readiness.check_version(version)] == ([check] if check else [])


def test_dataplane_rules():
    inbound = {"port": 1, "tags": {"kuma.io/service": "a", "kuma.io/zone": "z", "kuma.io/protocol": "http"},
               "protocol": "http"}
    outbound = {"port": 2, "backendRef": {"kind": "MeshService", "name": "b", "port": 1}}
    dp = {"name": "a", "networking": {"address": "10.0.0.1", "inbound": [inbound], "outbound": [outbound]}}
    assert _readiness.check_dataplane("default", dp) == []  # 3.x-ready already
    dp["networking"]["inbound"][0].pop("protocol")
    dp["probes"] = {"port": 9000}
    assert [f["check"] for f in _readiness.check_dataplane("default", dp)] == ["protocol_tag", "probes"]


def test_config_rules():
    assert [f["check"] for f in _readiness.check_config({"experimental": {"deltaXds": True}})] == []
    got = _readiness.check_config({"mode": "zone", "multizone": {"zone": {"name": "Zone_1"}}})
    assert [f["check"] for f in got] == ["zone_name"]  # delta xDS: the proxies' choice, not the CP's


def test_module_reads_only(cp, capsys):
    cp.store[("meshes", "default")]["mtls"] = {"enabledBackend": "ca-1", "backends": [{"name": "ca-1"}]}
    cp.store[("config",)] = {"experimental": {"deltaXds": True}}
    result = run(kuma3_readiness, {"acknowledge": ["skipped_patch"]}, capsys)
    assert result["changed"] is False and result["ready"] is False
    assert [(f["check"], f["subject"]) for f in result["blockers"]] == [("mesh_mtls", "mesh default")]
    assert [f["check"] for f in result["acknowledged"]] == ["skipped_patch"]
    assert cp.writes() == []
    result = run(kuma3_readiness, {"fail_on_blockers": True, "acknowledge": ["skipped_patch"]}, capsys)
    assert result["failed"] and result["msg"].startswith("Invalid input: mesh default: mTLS from Mesh.mtls")


def test_kuma3_cp_is_ready(cp, capsys):
    cp.version = "3.0.1"
    result = run(kuma3_readiness, {}, capsys)
    assert result["ready"] is True and result["blockers"] == [] and result["kuma_version"] == "3.0.1"


def test_the_collections_own_delegated_gateway_is_handled_a_builtin_one_blocks(cp, capsys):
    def gateway(name, kind, managed):
        labels = {"kuma.universal/managed-by": "ansible"} if managed else {}
        cp.store[("meshes", "default", "dataplanes", name)] = {
            "type": "Dataplane", "mesh": "default", "name": name, "labels": labels,
            "networking": {"address": "10.0.0.1", "gateway": {"type": kind, "tags": {"kuma.io/service": name}}}}

    gateway("edge", "DELEGATED", True)  # the sidecar role's: re-registered as an ordinary Dataplane on 3.x
    gateway("theirs", "DELEGATED", False)
    gateway("builtin", "BUILTIN", True)
    result = run(kuma3_readiness, {"acknowledge": ["skipped_patch"]}, capsys)
    assert [f["subject"] for f in result["handled"] if f["check"] == "gateway"] == ["dataplane default/edge"]
    assert sorted(f["subject"] for f in result["blockers"] if f["check"] == "gateway") == [
        "dataplane default/builtin", "dataplane default/theirs"]
