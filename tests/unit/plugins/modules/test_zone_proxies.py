# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Multizone on Kuma 3: zone proxies as Dataplane listeners with their MeshZoneAddress (the dataplanes
modules), outbounds to another zone's MeshService, the prune selectors that leave zone proxies alone,
and kuma.universal.zone_trusts against the fake control plane."""

from __future__ import annotations

import pytest

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError
from ansible_collections.kuma.universal.plugins.module_utils._dataplane import build_dataplane
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import (
    cross_zone_outbounds, remote_meshservice_ref, zone_services,
)
from ansible_collections.kuma.universal.plugins.modules import dataplane, dataplanes, zone_trusts
from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run

HOST = {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "vm-1"}
MZA = ("meshes", "default", "meshzoneaddresses", "zone-ingress-vm-1")


@pytest.fixture(params=["2.14.3", "3.0.0-dev.348b6528"])
def cpv(cp, request):
    cp.version = request.param
    return cp


def ingress(**kw):
    item = {"name": "zone-ingress-vm-1", "address": "10.0.0.5",
            "labels": dict(HOST, **{"kuma.universal/zone-proxy": "ingress"}),
            "listeners": [{"type": "ZoneIngress", "port": 10001, "name": "ingress"}]}
    item.update(kw)
    return item


def web(name="web-vm-1-0"):
    return {"name": name, "address": "10.0.0.5", "labels": dict(HOST),
            "inbound": [{"port": 9000, "service_port": 8080, "tags": {"kuma.io/service": "web"}}]}


def test_a_zone_ingress_is_a_dataplane_listener_with_its_meshzoneaddress(cpv, capsys):
    check = run(dataplanes, {"dataplanes": [ingress()]}, capsys, check_mode=True)
    assert check["changed"] and cpv.writes() == []
    assert check["diff"]["after"]["meshzoneaddress:default/zone-ingress-vm-1"]["spec"] == {
        "address": "10.0.0.5", "port": 10001}
    result = run(dataplanes, {"dataplanes": [ingress()]}, capsys)
    assert result["created"] == ["default/zone-ingress-vm-1"]
    assert result["zone_addresses"] == ["default/zone-ingress-vm-1"]
    stored = cpv.store[("meshes", "default", "dataplanes", "zone-ingress-vm-1")]
    assert stored["networking"] == {"address": "10.0.0.5", "listeners": [
        {"type": "ZoneIngress", "address": "10.0.0.5", "port": 10001, "name": "ingress"}]}
    mza = cpv.store[MZA]
    assert mza["spec"] == {"address": "10.0.0.5", "port": 10001}
    assert mza["labels"]["kuma.universal/managed-by"] == "ansible" and mza["labels"]["kuma.universal/host"] == "vm-1"
    # nothing else to do; the CP's own labels and the listener state it adds are not ours
    cpv.store[("meshes", "default", "dataplanes", "zone-ingress-vm-1")]["networking"]["listeners"][0]["state"] = "Ready"
    again = run(dataplanes, {"dataplanes": [ingress()]}, capsys)
    assert again["changed"] is False and again["zone_addresses"] == []


def test_the_public_address_of_an_ingress_behind_nat(cp, capsys):
    cp.version = "3.0.1"
    run(dataplanes, {"dataplanes": [ingress(zone_address={"address": "203.0.113.7", "port": 30001})]}, capsys)
    assert cp.store[MZA]["spec"] == {"address": "203.0.113.7", "port": 30001}
    moved = run(dataplanes, {"dataplanes": [ingress(zone_address={"address": "203.0.113.8", "port": 30001})]},
                capsys)
    assert moved["changed"] and moved["zone_addresses"] == ["default/zone-ingress-vm-1"]
    assert moved["diff"]["after"]["meshzoneaddress:default/zone-ingress-vm-1"]["spec"]["address"] == "203.0.113.8"


def test_the_meshzoneaddress_goes_with_its_dataplane_or_its_listener(cp, capsys):
    cp.version = "3.0.1"
    selector = {"selector": dict(HOST), "exclusive": True}
    run(dataplanes, dict(selector, dataplanes=[ingress(), web()]), capsys)
    assert MZA in cp.store
    # the ingress left the inventory: pruned with its MeshZoneAddress
    pruned = run(dataplanes, dict(selector, dataplanes=[web()]), capsys)
    assert pruned["deleted"] == ["default/zone-ingress-vm-1"] and MZA not in cp.store
    assert pruned["zone_addresses"] == ["default/zone-ingress-vm-1"]
    # the single module: absent takes it too; an operator's MeshZoneAddress of that name stays
    run(dataplane, ingress(), capsys)
    cp.store[MZA]["labels"].pop("kuma.universal/managed-by")
    gone = run(dataplane, {"name": "zone-ingress-vm-1", "state": "absent"}, capsys)
    assert gone["changed"] and gone["zone_addresses"] == [] and MZA in cp.store


def test_a_dataplane_without_a_zone_proxy_reads_no_meshzoneaddress(cp, capsys):
    cp.version = "3.0.1"
    run(dataplanes, {"dataplanes": [web()]}, capsys)
    assert not any("meshzoneaddresses" in r[1] for r in cp.requests)


@pytest.mark.parametrize("listeners, extra, message", [
    ([{"port": 10001}], {}, "listeners[0].type: required (ZoneIngress or ZoneEgress)"),
    ([{"type": "Ingress", "port": 10001}], {}, "listeners[0].type: invalid value 'Ingress'; allowed: ZoneIngress, ZoneEgress"),
    ([{"type": "ZoneIngress", "port": 9000}], {"inbound": [{"port": 9000, "tags": {"kuma.io/service": "web"}}]},
     "listeners[0]: 10.0.0.5:9000 is already used by inbound[0]"),
    ([{"type": "ZoneEgress", "port": 10002}], {"zone_address": {"address": "1.2.3.4", "port": 1}},
     "zone_address: only a Dataplane with a ZoneIngress listener takes it"),
    ([{"type": "ZoneIngress", "port": 10001, "address": "0.0.0.0"}], {}, "listeners[0].address: must not be 0.0.0.0"),
    ([{"type": "ZoneIngress", "port": 10001, "bind": "x"}], {}, "listeners[0].bind"),
])
def test_bad_listeners_are_named_before_any_request(listeners, extra, message):
    params = {"name": "z", "mesh": "default", "address": "10.0.0.5", "listeners": listeners}
    params.update(extra)
    with pytest.raises(KumaInputError) as exc:
        build_dataplane(params)
    assert any(message in e for e in exc.value.errors), exc.value.errors


def test_a_selector_label_given_as_null_leaves_the_dataplanes_that_carry_it(cp, capsys):
    """kuma_sidecars given, kuma_zone_proxies undefined: the host's zone proxies stay."""
    run(dataplanes, {"dataplanes": [ingress(), web()]}, capsys)
    only_sidecars = {"exclusive": True, "dataplanes": [],
                     "selectors": [{"labels": dict(HOST, **{"kuma.universal/zone-proxy": None}), "meshes": ["default"]}]}
    result = run(dataplanes, only_sidecars, capsys)
    assert result["deleted"] == ["default/web-vm-1-0"]
    assert ("meshes", "default", "dataplanes", "zone-ingress-vm-1") in cp.store


# -- outbounds to another zone (Kuma 3) ----------------------------------------------------------

def plan(zone, service, port, outbound=None):
    inst = {"name": "%s-x-0" % service, "mesh": "default", "services": [service],
            "inbound": [{"port": port, "tags": {"kuma.io/service": service}}]}
    return {"zone": zone, "instances": [inst] + ([outbound] if outbound else [])}


def test_an_outbound_to_a_service_of_one_other_zone_names_that_zones_meshservice():
    services = zone_services([plan("zone-1", "backend", 8000), plan("zone-2", "redis", 9000),
                              plan("zone-2", "web", 9001), plan("zone-1", "web", 9101)])
    assert services[("default", "redis")] == {"zone-2": 9000}
    items = [{"name": "backend-x-0", "mesh": "default",
              "outbound": [{"port": 10000, "service": "redis"}, {"port": 10001, "service": "web"},
                           {"port": 10002, "service": "gone"}]}]
    out = cross_zone_outbounds(items, "zone-1", services)[0]["outbound"]
    assert out[0] == {"port": 10000, "backend_ref": {"kind": "MeshService", "port": 9000,
                                                     "labels": {"kuma.io/display-name": "redis",
                                                                "kuma.io/zone": "zone-2"}}}
    # web runs in this zone too (the local MeshService), gone nowhere the inventory knows: as they were
    assert out[1:] == items[0]["outbound"][1:]


def test_a_remote_meshservice_synced_by_the_global_is_found_by_its_display_name():
    synced = {"redis-4k2x": {"labels": {"kuma.io/display-name": "redis", "kuma.io/origin": "global",
                                        "kuma.io/zone": "zone-2"}, "spec": {"ports": [{"port": 9000}]}}}
    assert remote_meshservice_ref(synced, "redis", "default", "outbound[0]") == {
        "kind": "MeshService", "labels": {"kuma.io/display-name": "redis", "kuma.io/zone": "zone-2"}, "port": 9000}
    synced["redis-9z9z"] = {"labels": {"kuma.io/display-name": "redis", "kuma.io/origin": "global",
                                       "kuma.io/zone": "zone-3"}, "spec": {"ports": [{"port": 9000}]}}
    with pytest.raises(KumaInputError) as exc:
        remote_meshservice_ref(synced, "redis", "default", "outbound[0]")
    assert "runs in zones zone-2, zone-3 and not in this one: give backend_ref to a MeshMultiZoneService" \
        in exc.value.errors[0]


# -- kuma.universal.zone_trusts ----------------------------------------------------------------

def zone_trust(cp, zone, ca="CA-1", name="ca-1-abc"):
    cp.store[("meshes", "default", "meshtrusts", "%s-%s" % (name, zone))] = {
        "type": "MeshTrust", "mesh": "default", "name": "%s-%s" % (name, zone),
        "labels": {"kuma.io/origin": "zone", "kuma.io/zone": zone, "kuma.io/display-name": name},
        "spec": {"trustDomain": "default.%s.mesh.local" % zone, "caBundles": [{"type": "Pem", "pem": {"value": ca}}]}}


@pytest.fixture
def identity(cp):
    cp.version = "3.0.0-dev.348b6528"
    cp.store[("meshes", "default")] = {"type": "Mesh", "name": "default"}
    cp.store[("meshes", "default", "meshidentities", "ca-1")] = {
        "type": "MeshIdentity", "mesh": "default", "name": "ca-1", "labels": {"kuma.io/origin": "global"},
        "spec": {"provider": {"type": "Bundled", "bundled": {"meshTrustCreation": "Enabled"}}}}
    return cp


def test_a_zones_trust_is_shared_from_the_global_once_the_zone_wrote_it(identity, capsys):
    waiting = run(zone_trusts, {"zone": "zone-1"}, capsys)
    assert waiting["pending"] == ["default"] and waiting["changed"] is False and identity.writes() == []
    zone_trust(identity, "zone-1")
    zone_trust(identity, "zone-2", ca="CA-2")
    check = run(zone_trusts, {"zone": "zone-1"}, capsys, check_mode=True)
    assert check["changed"] and identity.writes() == [] and check["pending"] == []
    result = run(zone_trusts, {"zone": "zone-1"}, capsys)
    assert result["trusts"] == ["default/kuma-universal-zone-zone-1-ca-1-abc"]
    copy = identity.store[("meshes", "default", "meshtrusts", "kuma-universal-zone-zone-1-ca-1-abc")]
    assert copy["spec"] == {"trustDomain": "default.zone-1.mesh.local",
                            "caBundles": [{"type": "Pem", "pem": {"value": "CA-1"}}]}
    assert copy["labels"]["kuma.universal/trust-of-zone"] == "zone-1"
    assert run(zone_trusts, {"zone": "zone-1"}, capsys)["changed"] is False
    # the zone rolled its CA (a second bundle): the copy follows
    identity.store[("meshes", "default", "meshtrusts", "ca-1-abc-zone-1")]["spec"]["caBundles"].append(
        {"type": "Pem", "pem": {"value": "CA-1b"}})
    rolled = run(zone_trusts, {"zone": "zone-1"}, capsys)
    assert rolled["changed"] and len(copy_of(identity)["spec"]["caBundles"]) == 2
    # the identity went (the zone's trust with it): the copy goes too, never another zone's
    del identity.store[("meshes", "default", "meshtrusts", "ca-1-abc-zone-1")]
    del identity.store[("meshes", "default", "meshidentities", "ca-1")]
    gone = run(zone_trusts, {"zone": "zone-1"}, capsys)
    assert gone["removed"] == ["default/kuma-universal-zone-zone-1-ca-1-abc"]
    assert ("meshes", "default", "meshtrusts", "ca-1-abc-zone-2") in identity.store


def copy_of(cp):
    return cp.store[("meshes", "default", "meshtrusts", "kuma-universal-zone-zone-1-ca-1-abc")]


def test_a_bad_zone_name_is_refused_before_any_request(identity, capsys):
    result = run(zone_trusts, {"zone": "Zone_1", "meshes": ["default"]}, capsys)
    assert result["failed"] and "zone" in result["msg"] and identity.requests == []
