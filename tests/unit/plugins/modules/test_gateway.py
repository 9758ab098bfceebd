# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edge gateways: the planner's gateway section, the Dataplane on both majors, the Envoy edge
configuration, and kuma.universal.gateway_permissions against the fake control plane."""

from __future__ import annotations

import json

import pytest

from ansible_collections.kuma.universal.plugins.module_utils._dataplane import build_dataplane
from ansible_collections.kuma.universal.plugins.module_utils._gateway import edge_config, edge_paths
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import Kuma3Dataplane
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_items import sidecar_dataplanes, sidecar_proxies
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_planner import Planner
from ansible_collections.kuma.universal.plugins.modules import gateway_permissions
from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run

CERT = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"


def edge(**gateway):
    section = {"listeners": [{"port": 8443, "tls": {"certificate": CERT, "key": KEY}}],
               "routes": [{"path": "/web/", "service": "web"}, {"host": "api.example.test", "service": "web"}]}
    section.update(gateway)
    return {"service": "edge", "gateway": section,
            "outbound": [{"port": 10010, "service": "web"}, {"port": 10011, "service": "admin"}]}


def plan(sidecars, host="h1", **kw):
    return Planner(host, address="10.0.0.5", **kw).plan(sidecars)


def test_a_gateway_plans_a_delegated_dataplane_without_inbound_and_its_edge():
    result = plan([dict(edge(), replicas=2, port_stride=10)])
    assert result["errors"] == []
    second = result["instances"][1]
    assert second["gateway"] == {"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}}
    assert second["labels"]["kuma.universal/gateway"] == "edge" and second["services"] == ["edge"]
    # the replica's offset moves its listener and its outbounds alike; each route knows its outbound port
    assert second["gateway_edge"]["listeners"][0]["port"] == 8453
    assert [r["outbound_port"] for r in second["gateway_edge"]["routes"]] == [10020, 10020]
    body = build_dataplane(sidecar_dataplanes([second])[0]).to_kuma()
    assert "inbound" not in body["networking"]
    assert body["networking"]["gateway"] == {"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}}


def test_on_kuma_3_the_gateway_is_an_ordinary_dataplane_named_by_its_label():
    (inst,) = plan([edge()])["instances"]
    view = Kuma3Dataplane(build_dataplane(sidecar_dataplanes([inst])[0])).bind({"web": 8080, "admin": 8081})
    body = view.to_kuma()
    assert "gateway" not in body["networking"] and "inbound" not in body["networking"]
    assert body["labels"]["kuma.universal/service"] == "edge"
    assert body["networking"]["outbound"][0]["backendRef"] == {"kind": "MeshService", "name": "web", "port": 8080}
    assert any(t.startswith("gateway (DELEGATED, kuma.io/service: edge) -> an ordinary Dataplane")
               for t in view.translations)
    builtin = build_dataplane({"name": "gw", "address": "10.0.0.5",
                               "gateway": {"type": "BUILTIN", "tags": {"kuma.io/service": "gw"}}})
    with pytest.raises(Exception, match="Kuma 3 removed the builtin gateway"):
        Kuma3Dataplane(builtin)


def test_the_plan_a_fact_shown_by_verbose_runs_never_holds_the_key():
    result = plan([edge(listeners=[{"port": 8443, "tls": {"certificate": CERT, "key": KEY}},
                                   {"port": 9443, "tls": {"certificate": CERT, "key": KEY}}])])
    assert result["errors"] == [] and "c2VjcmV0" not in json.dumps(result)
    assert result["instances"][0]["gateway_edge"]["listeners"][1]["tls"] == {"certificate": CERT, "key_of": [0, 0]}
    other = plan([edge(listeners=[{"port": 8443, "tls": {"certificate": CERT, "key": KEY}},
                                  {"port": 9443, "tls": {"certificate": CERT + "\n", "key": KEY}}])])
    assert any("gateway.listeners[1].tls: differs from listeners[0].tls" in e for e in other["errors"])


def test_every_problem_of_a_gateway_is_named_before_any_change():
    bad = edge(edge="nginx", listeners=[{"port": "x", "tls": {"certificate": "nope"}}, {"port": 70000}],
               routes=[{"path": "web", "service": "nowhere", "weight": 1}])
    bad.update(inbound=[{"port": 9000}], transparent=True)
    errors = plan([bad])["errors"]
    where = "kuma_sidecars[0]"
    for expected in (
            where + ".inbound: a gateway takes no inbound",
            where + ".transparent: a gateway reaches the services it routes to through its outbounds",
            where + ".gateway.edge: 'nginx'; allowed: envoy",
            where + ".gateway.listeners[0].port: must be a port in the range [1, 65535], got 'x'",
            where + ".gateway.listeners[0].tls.certificate: required",
            where + ".gateway.listeners[0].tls.key: required",
            where + ".gateway.listeners[1].port: port must be in the range [1, 65535], got 70000",
            where + ".gateway.routes[0].weight: unknown field; allowed: path, host, service",
            where + ".gateway.routes[0].path: 'web' must start with '/'",
            where + ".gateway.routes[0].service: nowhere is not a service of this sidecar's outbounds (web, admin)"):
        assert any(e.startswith(expected) for e in errors), (expected, errors)
    missing = plan([{"service": "edge", "gateway": {}}])["errors"]
    assert any("gateway.listeners: required with edge: envoy" in e for e in missing)
    assert any("gateway.routes: required" in e for e in missing)


def test_a_listener_port_is_a_port_of_the_host():
    result = plan([edge(), {"service": "web", "inbound": [{"port": 8443, "service_port": 8080}]}])
    assert any("port 8443 collides on h1" in e and "edge listener port" in e for e in result["errors"]), result["errors"]


def test_a_transparent_host_keeps_the_edge_listeners_out_of_the_redirect():
    result = plan([edge(), {"service": "app", "transparent": True, "inbound": [{"port": 9000, "service_port": 80}]}])
    assert result["errors"] == [] and 8443 in result["exclude_inbound_ports"]


def test_the_edge_configuration_routes_in_order_terminates_tls_and_has_no_catch_all():
    (inst,) = plan([edge()])["instances"]
    config = edge_config(inst["name"], inst["gateway_edge"], "/etc/kuma/dp")
    (listener,) = config["static_resources"]["listeners"]
    assert listener["address"]["socket_address"] == {"address": "0.0.0.0", "port_value": 8443}
    chain = listener["filter_chains"][0]
    tls = chain["transport_socket"]["typed_config"]["common_tls_context"]["tls_certificates"][0]
    paths = edge_paths("/etc/kuma/dp", "edge-h1-0")
    assert tls == {"certificate_chain": {"filename": paths["certificate"]}, "private_key": {"filename": paths["key"]}}
    manager = chain["filters"][0]["typed_config"]
    hosts = {v["name"]: v for v in manager["route_config"]["virtual_hosts"]}
    # the host's routes and the host-less ones, in the inventory's order; "*" only the host-less ones
    assert [r["match"]["prefix"] for r in hosts["api.example.test"]["routes"]] == ["/web/", "/"]
    assert [r["match"]["prefix"] for r in hosts["any"]["routes"]] == ["/web/"]
    (cluster,) = config["static_resources"]["clusters"]
    endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
    assert endpoint["socket_address"] == {"address": "127.0.0.1", "port_value": 10010}
    # the module item holds the configuration as JSON, the certificate and the key
    (item,) = sidecar_proxies([inst], config_dir="/etc/kuma/dp", sidecars=[edge()])
    assert json.loads(item["edge"]["config"]) == config and item["edge"]["key"] == KEY
    assert "edge" not in sidecar_proxies(plan([edge(edge="none", listeners=[])])["instances"])[0]


# -- kuma.universal.gateway_permissions ------------------------------------------------------
MTP = "/meshes/default/meshtrafficpermissions/kuma-universal-gateway-edge-to-web"
EDGE_DP = {"type": "Dataplane", "mesh": "default", "name": "edge-h2-0",
           "labels": {"kuma.universal/gateway": "edge", "kuma.universal/host": "h2"},
           "networking": {"address": "10.0.0.6", "gateway": {"type": "DELEGATED", "tags": {"kuma.io/service": "edge"}}}}


def wanted(**kw):
    base = {"gateways": [{"gateway": "edge", "services": ["web"]}], "planned_hosts": ["h1"]}
    base.update(kw)
    return base


def test_a_permission_per_routed_service_in_the_form_of_the_majors(cp, capsys):
    cp.handle("PUT", "/meshes/default", {"type": "Mesh", "name": "default"})
    result = run(gateway_permissions, wanted(), capsys, check_mode=True)
    assert result["changed"] and cp.writes() == []
    result = run(gateway_permissions, wanted(), capsys)
    assert result["changed"] and result["permissions"] == ["default/kuma-universal-gateway-edge-to-web"]
    entity = cp.handle("GET", MTP, None).json()
    assert entity["labels"]["kuma.universal/gateway"] == "edge"
    assert entity["spec"]["from"] == [{"targetRef": {"kind": "MeshSubset", "tags": {"kuma.io/service": "edge"}},
                                       "default": {"action": "Allow"}}]
    assert run(gateway_permissions, wanted(), capsys)["changed"] is False
    cp.version = "3.0.0-dev.348b6528"
    two_zones = [{"gateway": "edge", "services": ["web"], "zones": ["zone-1", "zone-2"]}]
    result = run(gateway_permissions, wanted(gateways=two_zones), capsys, diff=True)
    assert result["changed"]
    spec = cp.handle("GET", MTP, None).json()["spec"]
    assert spec["targetRef"] == {"kind": "Dataplane", "labels": {"kuma.universal/service": "web"}}
    assert [a["spiffeID"]["value"] for a in spec["rules"][0]["default"]["allow"]] == [
        "spiffe://default.zone-1.mesh.local/workload/edge", "spiffe://default.zone-2.mesh.local/workload/edge"]


def test_a_permission_no_gateway_needs_goes_unless_the_gateway_runs_on_a_host_not_planned(cp, capsys):
    cp.handle("PUT", "/meshes/default", {"type": "Mesh", "name": "default"})
    run(gateway_permissions, wanted(), capsys)
    cp.handle("PUT", "/meshes/default/dataplanes/edge-h2-0", EDGE_DP)
    kept = run(gateway_permissions, wanted(gateways=[]), capsys)
    assert kept["changed"] is False and kept["kept"] == ["default/kuma-universal-gateway-edge-to-web"]
    # h2 planned too (its plan routes nothing to web any more): removed, check mode first
    check = run(gateway_permissions, wanted(gateways=[], planned_hosts=["h1", "h2"]), capsys, check_mode=True)
    assert check["changed"] and check["removed"] == ["default/kuma-universal-gateway-edge-to-web"]
    assert cp.handle("GET", MTP, None).status_code == 200
    result = run(gateway_permissions, wanted(gateways=[], planned_hosts=["h1", "h2"]), capsys)
    assert result["removed"] == ["default/kuma-universal-gateway-edge-to-web"]
    assert cp.handle("GET", MTP, None).status_code == 404
    # an operator's permission (not labelled by this collection) is never touched
    mine = {"type": "MeshTrafficPermission", "mesh": "default", "name": "mine", "spec": {}}
    cp.handle("PUT", "/meshes/default/meshtrafficpermissions/mine", mine)
    assert run(gateway_permissions, wanted(gateways=[]), capsys)["changed"] is False


def test_bad_gateway_input_is_refused_naming_the_field(cp, capsys):
    result = run(gateway_permissions, wanted(gateways=[{"gateway": "Edge!", "services": ["web", ""], "zones": []}]),
                 capsys)
    assert result["failed"]
    for expected in ("gateways[0].gateway: 'Edge!' must be a lowercase RFC 1123 subdomain",
                     "gateways[0].services[1]: cannot be empty", "gateways[0].zones: give at least one zone"):
        assert expected in result["msg"]
    assert cp.writes() == []
