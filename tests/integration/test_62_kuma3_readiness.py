# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma3_readiness against a real Kuma 2.14 control plane seeded with each blocker of Kuma's
UPGRADE.md: every one is named with what to do, and nothing is changed."""

from __future__ import annotations

import requests

from conftest import Ansible

SEEDS = [
    ("/meshes/legacy.mesh", {"type": "Mesh", "name": "legacy.mesh", "mtls": {
        "enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin"}]}}),
    ("/meshes/legacy.mesh/dataplanes/old-shapes", {
        "type": "Dataplane", "mesh": "legacy.mesh", "name": "old-shapes",
        "networking": {"address": "10.0.0.9", "advertisedAddress": "192.0.2.9",
                       "inbound": [{"port": 9000, "servicePort": 80, "serviceAddress": "127.0.0.1",
                                    "tags": {"kuma.io/service": "web", "kuma.io/protocol": "http", "team": "a"}}],
                       "outbound": [{"port": 10000, "tags": {"kuma.io/service": "db"}}]}}),
    # One the collection manages: its old shapes are re-registered by deploy_mesh on 3.x (handled).
    ("/meshes/legacy.mesh/dataplanes/managed", {
        "type": "Dataplane", "mesh": "legacy.mesh", "name": "managed",
        "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "vm-1"},
        "networking": {"address": "10.0.0.11",
                       "inbound": [{"port": 9000, "servicePort": 80, "serviceAddress": "127.0.0.1",
                                    "tags": {"kuma.io/service": "api", "kuma.io/protocol": "http"}}],
                       "outbound": [{"port": 10000, "tags": {"kuma.io/service": "db"}}]}}),
    ("/meshes/legacy.mesh/dataplanes/edge", {
        "type": "Dataplane", "mesh": "legacy.mesh", "name": "edge",
        "networking": {"address": "10.0.0.10", "gateway": {"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}}}}),
    ("/meshes/legacy.mesh/traffic-permissions/allow-all-old", {
        "type": "TrafficPermission", "mesh": "legacy.mesh", "name": "allow-all-old",
        "sources": [{"match": {"kuma.io/service": "*"}}], "destinations": [{"match": {"kuma.io/service": "*"}}]}),
]


def test_every_blocker_named_and_nothing_changed(cp, tmp_path):
    for path, body in SEEDS:
        response = requests.put(cp.url + path, json=body, timeout=10)
        assert response.status_code in (200, 201), (path, response.text)
    before = {path: cp.get(path) for path, _body in SEEDS}
    ansible = Ansible(cp, tmp_path)
    report, refused, accepted = ansible.play(
        ("kuma3_readiness", {}),
        ("kuma3_readiness", {"fail_on_blockers": True}),
        ("kuma3_readiness", {"acknowledge": ["skipped_patch", "mesh_name"]}))
    assert report["changed"] is False and report["ready"] is False, report.get("msg")
    found = {(f["check"], f["subject"]) for f in report["blockers"]}
    for expected in [
        ("skipped_patch", "control plane"),  # 2.14.3 < 2.14.6
        ("mesh_name", "mesh legacy.mesh"),  # a dot: not an RFC 1035 label
        ("mesh_mtls", "mesh legacy.mesh"),
        ("inbound_tags", "dataplane legacy.mesh/old-shapes"),
        ("protocol_tag", "dataplane legacy.mesh/old-shapes"),
        ("outbound_tags", "dataplane legacy.mesh/old-shapes"),
        ("advertised_address", "dataplane legacy.mesh/old-shapes"),
        ("gateway", "dataplane legacy.mesh/edge"),
        ("legacy_policy", "mesh legacy.mesh"),
    ]:
        assert expected in found, (expected, sorted(found))
    assert all(f["action"] for f in report["blockers"])
    assert refused["failed"] and "outbound_tags" in refused["msg"] and "TrafficPermission" in refused["msg"]
    assert {f["check"] for f in accepted["acknowledged"]} == {"skipped_patch", "mesh_name"}
    assert not {f["check"] for f in accepted["blockers"]} & {"skipped_patch", "mesh_name"}
    # the Dataplane the collection wrote: its old shapes handled (re-registered on 3.x), not blockers
    # (other tests' Dataplanes on the shared CP may be handled too: only this mesh is compared)
    handled = [f for f in report["handled"] if f["subject"].startswith("dataplane legacy.mesh/")]
    assert sorted((f["check"], f["subject"]) for f in handled) == [
        ("outbound_tags", "dataplane legacy.mesh/managed"), ("protocol_tag", "dataplane legacy.mesh/managed")]
    assert not [f for f in report["blockers"] if f["subject"] == "dataplane legacy.mesh/managed"]
    # read only: every seeded entity as it was
    for path, _body in SEEDS:
        after = cp.get(path)
        assert after == before[path], path
    for path, _body in reversed(SEEDS):
        requests.delete(cp.url + path, timeout=10)
