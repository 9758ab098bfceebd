# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad inputs: each fails with a message naming the field, and the control plane is unchanged."""

from __future__ import annotations

import copy

KEEP = {"name": "keep-1", "address": "127.0.0.1", "labels": {"kuma.universal/managed-by": "ansible"},
        "inbound": [{"port": 9100, "service_port": 6379, "service_address": "127.0.0.1",
                     "tags": {"kuma.io/service": "keep", "version": "1"}}]}
INBOUND = KEEP["inbound"][0]


def variant(**changes):
    args = copy.deepcopy(KEEP)
    args.update(changes)
    return args


def inbound(**changes):
    item = copy.deepcopy(INBOUND)
    item.update(changes)
    return item


BAD = [
    ("dataplane", variant(inbound=[inbound(servce_port=6379)]),
     "inbound[0].servce_port: unknown field (did you mean 'service_port'?); allowed: address, interface, name, port, "
     "protocol, service_address, service_port, service_probe, state, tags"),
    ("dataplane", variant(inbound=[inbound(tags={"version": "1"})]),
     "inbound[0].tags: missing the mandatory tag kuma.io/service (or legacy 'service')"),
    ("dataplane", variant(inbound=[inbound(port=70000)]),
     "inbound[0].port: port must be in the range [1, 65535], got 70000"),
    ("dataplane", variant(inbound=[INBOUND, inbound(service_port=6380, tags={"kuma.io/service": "other"})]),
     "inbound[1].port: 127.0.0.1:9100 is already used by inbound[0]"),
    ("dataplane", variant(admin_port=9100), "admin_port: 9100 must differ from inbound[0].port"),
    ("dataplane", variant(outbound=[{"port": 10000, "service": "a"}], admin_port=10000),
     "admin_port: 10000 must differ from outbound[0].port"),
    ("dataplane", variant(inbound=[inbound(tags={"kuma.io/service": "keep", "version": "a/b"})]),
     "inbound[0].tags['version']: tag value 'a/b' must consist of letters, digits and . - _ : (no '/' or spaces)"),
    ("dataplane", variant(inbound=[inbound(tags={"kuma.io/service": "keep", "kuma.io/protocol": "udp"})]),
     "inbound[0].tags['kuma.io/protocol']: invalid value 'udp'; allowed: grpc, http, http2, kafka, tcp"),
    ("dataplane", {"name": "keep-1", "inbound": [{"interface": "127.0.0.1:9100", "tags": {"service": "keep"}}]},
     "inbound[0].interface: malformed legacy interface '127.0.0.1:9100'; expected 'IP:DATAPLANE_PORT:SERVICE_PORT'"),
    ("dataplane", variant(outbound=[{"interface": "10000", "service": "redis"}]),
     "outbound[0].interface: malformed legacy interface '10000'; expected '[IP]:PORT'"),
    ("dataplane", variant(inbound=[inbound(interface="127.0.0.1:9100:6379")]),
     "inbound[0]: the legacy 'interface' cannot be combined with port, service_port, service_address on one item"),
    ("dataplane", variant(adress="127.0.0.2"), "Unsupported parameters for (kuma.universal.dataplane) module: adress"),
    ("dataplane", variant(outbound=[{"port": 10000}]),
     "outbound[0]: give the target: service, tags (with kuma.io/service) or backend_ref"),
    ("dataplane", variant(address="0.0.0.0"), "address: must not be 0.0.0.0 or ::"),
    ("dataplane", variant(name="Keep_1"),
     "name: 'Keep_1' must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; at most 253 characters)"),
    ("dataplane", variant(transparent_proxying={"redirect_port_inbund": 15006}),
     "transparent_proxying.redirect_port_inbund: unknown field (did you mean 'redirect_port_inbound'?)"),
    ("dataplane", variant(labels={"kuma.io/zone": "elsewhere"}),
     "labels: kuma.io/zone: the kuma.io/ prefix belongs to the control plane"),
    ("dataplane", variant(mesh="nomesh"),
     "Kuma API PUT /meshes/nomesh/dataplanes/keep-1 failed: HTTP 404 Failed to retrieve Mesh (Not found)"),
    ("resource", {"kind": "MeshTimout", "name": "t", "spec": {}},
     "kind: unknown resource kind 'MeshTimout'; this control plane knows: "),
    ("mesh", {"name": "default", "labels": {"kuma.io/origin": "x"}},
     "labels: kuma.io/origin: the kuma.io/ prefix belongs to the control plane"),
    ("dataplane_token", {"name": "keep-1", "valid_for": "forever"},
     "valid_for: 'forever' is not a positive Go duration such as '720h' or '8760h'"),
]


def snapshot(cp):
    return {
        "meshes": cp.get("/meshes"),
        "dataplanes": cp.get("/meshes/default/dataplanes"),
        "meshtimeouts": cp.get("/meshes/default/meshtimeouts"),
        "nomesh": cp.get("/meshes/nomesh"),
    }


def test_bad_inputs_fail_with_the_field_and_change_nothing(cp, ansible, default_mesh):
    created = ansible.run("dataplane", KEEP)
    assert not created.get("failed"), created.get("msg")
    before = snapshot(cp)
    assert [d["name"] for d in before["dataplanes"]["items"]] == ["keep-1"]

    results = ansible.play(*[(module, args) for module, args, _message in BAD])
    assert len(BAD) >= 15
    for (module, _args, message), result in zip(BAD, results):
        assert result.get("failed") is True, (module, message, result)
        assert message in result["msg"], (message, result["msg"])
        assert result.get("changed", False) is False
    assert snapshot(cp) == before  # nothing written, not even a modificationTime

    # a failure reported by the CP itself carries its fields
    cp_error = results[17]
    assert "nomesh" in cp_error["path"]
    assert cp_error["status"] == 404 and cp_error["method"] == "PUT"
    # the legacy syntax's errors are reported all at once, each with its index
    several = ansible.run("dataplane", {"name": "keep-1", "inbound": [
        {"interface": "127.0.0.1:9100:6379", "tags": {"version": "1"}},
        {"interface": "127.0.0.1:99999:1", "tags": {"service": "x"}}]})
    assert several["msg"].startswith("Invalid input (2 problems): ")
    assert several["errors"] == [
        "inbound[0].tags: missing the mandatory tag kuma.io/service (or legacy 'service')",
        "inbound[1].interface (dataplane port): port must be in the range [1, 65535], got 99999"]
    assert snapshot(cp) == before

    gone = ansible.run("dataplane", {"name": "keep-1", "state": "absent"})
    assert gone["changed"] is True


def test_control_plane_validation_errors_are_shown_with_their_fields(cp, ansible, default_mesh):
    bad_policy = {"kind": "MeshTimeout", "name": "bad-timeout",
                  "spec": {"targetRef": {"kind": "Nonsense"}, "to": [{"targetRef": {"kind": "Mesh"},
                                                                      "default": {"idleTimeout": "1s"}}]}}
    result = ansible.run("resource", bad_policy)
    assert result["failed"] is True and result["status"] == 400
    assert result["invalid_parameters"], result
    fields = [p["field"] for p in result["invalid_parameters"]]
    assert any(f.startswith("spec.targetRef") for f in fields), fields
    assert result["msg"].startswith("Kuma API PUT /meshes/default/meshtimeouts/bad-timeout failed: HTTP 400")
    assert cp.get("/meshes/default/meshtimeouts/bad-timeout") is None
