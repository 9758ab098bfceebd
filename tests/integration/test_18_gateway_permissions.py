# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gateway_permissions and a gateway Dataplane against a real kuma-cp: the CP accepts the
DELEGATED gateway (no inbound, outbounds) and the permission the module writes; check mode
(proved by an independent GET), repeat, the prune kept while the gateway runs on a host outside
the run, then removed."""

from __future__ import annotations

MTP = "/meshes/default/meshtrafficpermissions/kuma-universal-gateway-edge-to-web"
GATEWAY = {"name": "edge-h2-0", "address": "127.0.0.1",
           "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "h2",
                      "kuma.universal/gateway": "edge"},
           "gateway": {"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}},
           "outbound": [{"port": 10010, "service": "web"}]}
WANTED = {"gateways": [{"gateway": "edge", "services": ["web"]}], "planned_hosts": ["h1", "h2"]}


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def test_gateway_dataplane_and_its_permission(cp, ansible, default_mesh):
    registered = ok(ansible.run("dataplane", GATEWAY))
    assert registered["changed"] is True
    entity = cp.get("/meshes/default/dataplanes/edge-h2-0")
    assert entity["networking"]["gateway"]["tags"]["kuma.io/service"] == "edge"
    assert "inbound" not in entity["networking"]

    check = ok(ansible.run("gateway_permissions", WANTED, check=True))
    assert check["changed"] is True and cp.get(MTP) is None
    created, repeated = ansible.play(("gateway_permissions", WANTED), ("gateway_permissions", WANTED))
    assert ok(created)["changed"] is True and ok(repeated)["changed"] is False
    spec = cp.get(MTP)["spec"]
    assert spec["from"][0]["targetRef"] == {"kind": "MeshSubset", "tags": {"kuma.io/service": "edge"}}
    assert spec["targetRef"] == {"kind": "MeshSubset", "tags": {"kuma.io/service": "web"}}

    # no gateway routes to web any more, but edge still runs on h2, outside this run: kept
    kept = ok(ansible.run("gateway_permissions", {"gateways": [], "planned_hosts": ["h1"]}))
    assert kept["changed"] is False and kept["kept"] == ["default/kuma-universal-gateway-edge-to-web"]
    assert cp.get(MTP) is not None
    # h2 in the run: removed (check mode first)
    gone_check, gone, again = ansible.play(
        {"module": "gateway_permissions", "args": {"gateways": [], "planned_hosts": ["h1", "h2"]}, "check_mode": True},
        ("gateway_permissions", {"gateways": [], "planned_hosts": ["h1", "h2"]}),
        ("gateway_permissions", {"gateways": [], "planned_hosts": ["h1", "h2"]}))
    assert ok(gone_check)["removed"] == ["default/kuma-universal-gateway-edge-to-web"]
    assert ok(gone)["changed"] is True and cp.get(MTP) is None
    assert ok(again)["changed"] is False
    ok(ansible.run("dataplane", {"name": "edge-h2-0", "state": "absent"}))
