# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dataplane_info filters as the sidecar role uses them for pruning, and a transparent-proxy
Dataplane (inbound on the app's own port) that converges."""

from __future__ import annotations


def dp(name, host, port, service="web"):
    return {"name": name, "address": "127.0.0.1",
            "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": host},
            "inbound": [{"port": port, "service_port": port + 1000, "service_address": "127.0.0.1",
                         "tags": {"kuma.io/service": service}}]}


def test_info_filters_by_labels_tags_and_exact_name(cp, ansible, default_mesh):
    setup = ansible.play(("dataplane", dp("web-a", "vm-a", 7001)), ("dataplane", dp("web-b", "vm-b", 7002)),
                         ("dataplane", dp("web-a2", "vm-a", 7003, service="api")))
    assert all(r["changed"] for r in setup), [r.get("msg") for r in setup]
    by_host, by_host_check, by_tag, by_name, everything, other_mesh = ansible.play(
        ("dataplane_info", {"labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "vm-a"}}),
        {"module": "dataplane_info", "check_mode": True,
         "args": {"labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "vm-a"}}},
        ("dataplane_info", {"mesh": "default", "tags": {"kuma.io/service": "web"}}),
        ("dataplane_info", {"mesh": "default", "name": "web-a"}),
        ("dataplane_info", {}),
        ("dataplane_info", {"mesh": "default", "labels": {"kuma.universal/host": "nowhere"}}))
    assert [d["name"] for d in by_host["dataplanes"]] == ["web-a", "web-a2"]
    assert by_host_check["dataplanes"] == by_host["dataplanes"] and by_host_check["changed"] is False
    assert [d["name"] for d in by_tag["dataplanes"]] == ["web-a", "web-b"]
    assert [d["name"] for d in by_name["dataplanes"]] == ["web-a"]  # not web-a2: exact name
    assert {"web-a", "web-b", "web-a2"} <= {d["name"] for d in everything["dataplanes"]}
    assert other_mesh["dataplanes"] == []
    web_a = by_name["dataplanes"][0]
    assert web_a["online"] is False and web_a["kuma_dp_version"] is None and web_a["connect_time"] is None
    assert web_a["services"] == ["web"] and web_a["address"] == "127.0.0.1"
    assert web_a["labels"]["kuma.universal/host"] == "vm-a" and web_a["labels"]["kuma.io/mesh"] == "default"
    assert web_a["dataplane"]["networking"]["inbound"][0]["port"] == 7001
    ansible.play(*[("dataplane", {"name": n, "state": "absent"}) for n in ("web-a", "web-b", "web-a2")])


def test_transparent_proxy_dataplane_converges(cp, ansible, default_mesh):
    args = {"name": "tp-1", "address": "127.0.0.1",
            "inbound": [{"port": 8080, "tags": {"kuma.io/service": "tp", "kuma.io/protocol": "http"}}],
            "transparent_proxying": {"redirect_port_inbound": 15006, "redirect_port_outbound": 15001,
                                     "reachable_services": ["redis", "backend"]}}
    created, repeated, deleted = ansible.play(("dataplane", args), ("dataplane", args),
                                              ("dataplane", {"name": "tp-1", "state": "absent"}))
    assert created["changed"] is True, created.get("msg")
    assert repeated["changed"] is False
    assert deleted["changed"] is True


def test_every_dataplane_field_converges(cp, ansible, default_mesh):
    full = {"name": "full-1", "address": "127.0.0.1", "advertised_address": "192.0.2.10", "admin_port": 9911,
            "labels": {"team": "platform"},
            "inbound": [{"port": 7201, "service_port": 7202, "service_address": "127.0.0.1", "name": "main",
                         "tags": {"kuma.io/service": "full", "kuma.io/protocol": "http", "version": 2},
                         "service_probe": {"interval": "1m", "timeout": "2s", "healthy_threshold": 1,
                                           "unhealthy_threshold": 3, "tcp": {}}},
                        {"port": 7203, "service_port": 7204, "state": "Ready",
                         "tags": {"kuma.io/service": "full-admin"}}],
            "outbound": [{"port": 17001, "service": "redis"},
                         {"port": 17002, "address": "127.0.0.2", "tags": {"kuma.io/service": "db", "role": "primary"}},
                         {"port": 17003, "backend_ref": {"kind": "MeshService", "name": "redis", "port": 6379}}],
            "metrics": {"type": "prometheus", "conf": {"port": 5670, "path": "/metrics"}},
            "probes": {"port": 9912, "endpoints": [{"inbound_port": 7202, "inbound_path": "/health", "path": "/h"}]}}
    gateway = {"name": "gw-1", "address": "127.0.0.1",
               "gateway": {"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}}}
    reordered = dict(full, inbound=list(reversed(full["inbound"])), outbound=list(reversed(full["outbound"])))
    results = ansible.play(("dataplane", full), ("dataplane", full), ("dataplane", reordered),
                           ("dataplane", gateway), ("dataplane", gateway))
    created, repeated, repeated_reordered, gw_created, gw_repeated = results
    assert created["changed"] is True, created.get("msg")
    assert repeated["changed"] is False, repeated.get("diff")
    assert repeated_reordered["changed"] is False, repeated_reordered.get("diff")
    assert gw_created["changed"] is True, gw_created.get("msg")
    assert gw_repeated["changed"] is False, gw_repeated.get("diff")
    entity = cp.get("/meshes/default/dataplanes/full-1")
    assert entity["networking"]["inbound"][0]["serviceProbe"]["interval"] in ("60s", "1m", "1m0s")
    assert entity["networking"]["admin"] == {"port": 9911}
    ansible.play(("dataplane", {"name": "full-1", "state": "absent"}), ("dataplane", {"name": "gw-1", "state": "absent"}))
