# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A zone proxy as a Dataplane listener (the form Kuma 3 requires, which Kuma 2.14 takes too) against a
real kuma-cp: the CP accepts the Dataplane with its ZoneIngress listener and the MeshZoneAddress the
dataplanes module writes with it; check mode (proved by an independent GET), repeat, the public
address moved, then the Dataplane pruned and its MeshZoneAddress with it. test_60_kuma3 runs
check_zone_ingress against the Kuma 3 build."""

from __future__ import annotations

HOST = {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "edge-1"}
DP = "/meshes/default/dataplanes/zone-ingress-edge-1"
MZA = "/meshes/default/meshzoneaddresses/zone-ingress-edge-1"


def ingress(public="203.0.113.7"):
    return {"name": "zone-ingress-edge-1", "address": "127.0.0.1",
            "labels": dict(HOST, **{"kuma.universal/zone-proxy": "ingress", "kuma.universal/service": "zone-ingress"}),
            "listeners": [{"type": "ZoneIngress", "port": 10001, "name": "ingress"}],
            "zone_address": {"address": public, "port": 30001}}


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def check_zone_ingress(cp, ansible):
    owned = {"exclusive": True, "selectors": [{"labels": HOST, "meshes": ["default"]}]}
    check = ok(ansible.run("dataplanes", dict(owned, dataplanes=[ingress()]), check=True))
    assert check["changed"] and check["zone_addresses"] == ["default/zone-ingress-edge-1"]
    assert cp.get(DP) is None and cp.get(MZA) is None
    created, repeated = ansible.play(("dataplanes", dict(owned, dataplanes=[ingress()])),
                                     ("dataplanes", dict(owned, dataplanes=[ingress()])))
    assert ok(created)["created"] == ["default/zone-ingress-edge-1"], created
    assert ok(repeated)["changed"] is False, repeated
    listener = cp.get(DP)["networking"]["listeners"][0]
    assert (listener["type"], listener["address"], listener["port"]) == ("ZoneIngress", "127.0.0.1", 10001)
    address = cp.get(MZA)
    assert address["spec"] == {"address": "203.0.113.7", "port": 30001}
    assert address["labels"]["kuma.universal/managed-by"] == "ansible"
    assert address["labels"]["kuma.io/origin"] == "zone"
    moved = ok(ansible.run("dataplanes", dict(owned, dataplanes=[ingress("203.0.113.8")])))
    assert moved["changed"] and moved["unchanged"] == ["default/zone-ingress-edge-1"]
    assert cp.get(MZA)["spec"]["address"] == "203.0.113.8"
    pruned = ok(ansible.run("dataplanes", dict(owned, dataplanes=[])))
    assert pruned["deleted"] == ["default/zone-ingress-edge-1"]
    assert pruned["zone_addresses"] == ["default/zone-ingress-edge-1"]
    assert cp.get(DP) is None and cp.get(MZA) is None


def test_zone_ingress_listener_on_kuma_2_14(cp, ansible, default_mesh):
    check_zone_ingress(cp, ansible)
