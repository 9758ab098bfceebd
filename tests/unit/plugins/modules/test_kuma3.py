# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kuma 3: the dataplane and dataplanes modules against a fake Kuma 3 control plane. The same
inventory (today's fields or the seed's 0.x syntax) becomes the 3.x entity: labels instead of
inbound tags, inbound name and protocol, outbounds by backendRef to the MeshService the module
writes for each registered service; what 3.x cannot carry is refused before any write."""

from __future__ import annotations

import pytest

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError
from ansible_collections.kuma.universal.plugins.module_utils._dataplane import build_dataplane
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import (
    SERVICE_LABEL, Kuma3Dataplane, major_of, meshservice_body,
)
from ansible_collections.kuma.universal.plugins.modules import dataplane, dataplanes
from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run

HOST = {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "redis-vm"}


@pytest.fixture
def cp3(cp):
    cp.version = "3.0.0-dev.348b6528"
    return cp


def redis(i, legacy=False):
    item = {"name": "redis-%d" % i, "labels": dict(HOST)}
    if legacy:
        item["inbound"] = [{"interface": "10.0.0.5:%d:%d" % (9000 + i, 6379 + i),
                            "tags": {"service": "redis", "version": "7.0"}}]
    else:
        item["address"] = "10.0.0.5"
        item["inbound"] = [{"port": 9000 + i, "service_port": 6379 + i, "service_address": "127.0.0.1",
                            "tags": {"kuma.io/service": "redis", "version": "7.0"}}]
    return item


BACKEND = {"name": "backend-1",
           "inbound": [{"interface": "10.0.0.6:8000:80", "tags": {"service": "backend", "kuma.io/protocol": "http"}}],
           "outbound": [{"interface": ":10000", "service": "redis"}]}


@pytest.mark.parametrize("version, major", [("2.14.3", 2), ("v3.0.1", 3), ("3.0.0-dev.348b6528", 3), ("", None),
                                            ("dev", None)])
def test_major_of(version, major):
    assert major_of(version) == major


def test_six_replicas_and_the_seed_backend(cp3, capsys):
    result = run(dataplanes, {"dataplanes": [redis(i) for i in range(6)]}, capsys)
    assert result["changed"] and len(result["created"]) == 6 and result["meshservices"] == ["default/redis"]
    stored = cp3.store[("meshes", "default", "dataplanes", "redis-3")]
    assert stored["labels"][SERVICE_LABEL] == "redis" and stored["labels"]["version"] == "7.0"
    assert stored["networking"]["inbound"] == [{"port": 9003, "servicePort": 6382, "serviceAddress": "127.0.0.1",
                                                "name": "redis"}]
    service = cp3.store[("meshes", "default", "meshservices", "redis")]
    # one port, targeting the inbound by name: every replica is an endpoint whatever its port
    assert service["spec"] == {"selector": {"dataplaneLabels": {"matchLabels": {SERVICE_LABEL: "redis"}}},
                               "ports": [{"name": "redis", "port": 9000, "targetPort": "redis",
                                          "appProtocol": "tcp"}]}
    assert "inbound tag kuma.io/service: redis -> label kuma.universal/service: redis (Kuma 3 has no inbound tags)" \
        in result["translations"]["default/redis-0"]

    # the seed's Backend in 0.x syntax: its outbound goes to the MeshService by backendRef
    result = run(dataplane, BACKEND, capsys)
    assert result["changed"] and result["created"]
    net = cp3.store[("meshes", "default", "dataplanes", "backend-1")]["networking"]
    assert net["outbound"] == [{"port": 10000, "address": "127.0.0.1",
                                "backendRef": {"kind": "MeshService", "name": "redis", "port": 9000}}]
    assert net["inbound"] == [{"port": 8000, "servicePort": 80, "serviceAddress": "127.0.0.1", "name": "backend",
                               "protocol": "http"}]
    assert "outbound[0]: tags {kuma.io/service: redis} -> backendRef {kind: MeshService, name: redis, port: 9000}" \
        in result["translations"]
    assert "inbound[0]: tag kuma.io/protocol: http -> protocol: http" in result["translations"]

    # converged: nothing written, and check mode on the same input changes nothing
    before = len(cp3.writes())
    assert not run(dataplanes, {"dataplanes": [redis(i) for i in range(6)]}, capsys)["changed"]
    assert not run(dataplane, BACKEND, capsys)["changed"]
    assert not run(dataplane, BACKEND, capsys, check_mode=True)["changed"]
    assert len(cp3.writes()) == before


def test_diff_shows_the_translated_entity(cp3, capsys):
    result = run(dataplanes, {"dataplanes": [redis(0, legacy=True)]}, capsys, check_mode=True)
    assert result["changed"] and cp3.writes() == []
    after = result["diff"]["after"]
    assert after["default/redis-0"]["labels"][SERVICE_LABEL] == "redis"
    assert after["meshservice:default/redis"]["spec"]["ports"][0]["targetPort"] == "redis"


def test_outbound_to_an_unknown_service_refused_before_writing(cp3, capsys):
    result = run(dataplane, BACKEND, capsys)
    assert result["failed"] and cp3.writes() == []
    assert "outbound[0]: no MeshService redis in mesh default" in result["msg"]
    assert "give backend_ref" in result["msg"]


@pytest.mark.parametrize("tags, message", [
    ({"kuma.io/service": "redis", "kuma.io/region": "eu"}, "Kuma 3 reserves the kuma.io/ labels"),
    ({"kuma.io/service": "redis", "zone:a": "x"}, "not a valid label name"),
    ({"kuma.io/service": "redis", "build": "a:b"}, "cannot be a Kuma 3 label"),
    ({"kuma.io/service": "Redis_1"}, "must be an RFC 1035 label"),
])
def test_tags_3x_cannot_carry_are_refused(tags, message):
    dp = build_dataplane({"name": "r", "address": "10.0.0.5", "inbound": [{"port": 9000, "tags": tags}]})
    with pytest.raises(KumaInputError) as exc:
        Kuma3Dataplane(dp)
    assert message in exc.value.errors[0]


def test_two_services_on_one_dataplane_and_conflicting_tags_are_refused():
    dp = build_dataplane({"name": "r", "address": "10.0.0.5", "inbound": [
        {"port": 9000, "tags": {"kuma.io/service": "a", "team": "x"}},
        {"port": 9001, "tags": {"kuma.io/service": "a", "team": "y"}}]})
    with pytest.raises(KumaInputError) as exc:
        Kuma3Dataplane(dp)
    assert "differs from 'x' on inbound[0]" in exc.value.errors[0]
    dp = build_dataplane({"name": "r", "address": "10.0.0.5", "inbound": [
        {"port": 9000, "tags": {"kuma.io/service": "a"}}, {"port": 9001, "tags": {"kuma.io/service": "b"}}]})
    with pytest.raises(KumaInputError) as exc:
        Kuma3Dataplane(dp)
    assert "register one Dataplane per service" in exc.value.errors[0]


def test_removed_fields_refused_and_metrics_dropped():
    dp = build_dataplane({"name": "r", "address": "10.0.0.5", "advertised_address": "1.2.3.4",
                          "inbound": [{"port": 9000, "tags": {"kuma.io/service": "a"}}]})
    with pytest.raises(KumaInputError) as exc:
        Kuma3Dataplane(dp)
    assert exc.value.errors[0].startswith("advertised_address: removed in Kuma 3")
    dp = build_dataplane({"name": "r", "address": "10.0.0.5", "metrics": {"conf": {"port": 5670}},
                          "inbound": [{"port": 9000, "tags": {"kuma.io/service": "a"}},
                                      {"port": 9001, "tags": {"kuma.io/service": "a"}}]})
    view = Kuma3Dataplane(dp).bind({})
    body = view.to_kuma()
    assert "metrics" not in body and [i["name"] for i in body["networking"]["inbound"]] == ["a-0", "a-1"]
    assert any(t.startswith("metrics: dropped") for t in view.translations)


def test_a_transparent_sidecars_reachable_services_become_reachable_backends():
    # what the sidecar role plans for kuma_sidecars[].reachable_services (molecule/tproxy on both majors)
    dp = build_dataplane({"name": "backend-app-vm-0", "address": "10.0.0.6",
                          "inbound": [{"port": 8000, "service_port": 80, "tags": {"kuma.io/service": "backend"}}],
                          "transparent_proxying": {"redirect_port_inbound": 15006, "redirect_port_outbound": 15001,
                                                   "reachable_services": ["redis", "cache"]}})
    view = Kuma3Dataplane(dp).bind({})
    assert view.to_kuma()["networking"]["transparentProxying"] == {
        "redirectPortInbound": 15006, "redirectPortOutbound": 15001,
        "reachableBackends": {"refs": [{"kind": "MeshService", "name": "cache"},
                                       {"kind": "MeshService", "name": "redis"}]}}
    assert any(t.startswith("transparent_proxying.reachable_services -> reachableBackends") for t in view.translations)


def test_bad_item_named_in_the_set_before_any_write(cp3, capsys):
    bad = redis(1)
    bad["inbound"][0]["tags"]["kuma.io/region"] = "eu"
    result = run(dataplanes, {"dataplanes": [redis(0), bad]}, capsys)
    assert result["failed"] and cp3.writes() == []
    assert "dataplanes[1].inbound[0].tags['kuma.io/region']" in result["msg"]


def test_existing_meshservice_port_is_kept(cp3, capsys):
    cp3.store[("meshes", "default", "meshservices", "redis")] = dict(
        meshservice_body("default", "redis", 6379, {"name": "redis"}), labels={"team": "data"})
    result = run(dataplanes, {"dataplanes": [redis(2)]}, capsys)
    assert result["meshservices"] == []  # the same selector and port name: left as it is
    result = run(dataplane, BACKEND, capsys)
    net = cp3.store[("meshes", "default", "dataplanes", "backend-1")]["networking"]
    assert net["outbound"][0]["backendRef"]["port"] == 6379


def test_kuma2_unchanged(cp, capsys):
    result = run(dataplanes, {"dataplanes": [redis(0)]}, capsys)
    stored = cp.store[("meshes", "default", "dataplanes", "redis-0")]
    assert stored["networking"]["inbound"][0]["tags"]["kuma.io/service"] == "redis"
    assert result["meshservices"] == [] and result["kuma_version"] == "2.14.3"
    assert ("meshes", "default", "meshservices", "redis") not in cp.store


# -- the mesh module: Mesh.mtls refused on Kuma 3, kept on Kuma 2 --------------------------

MTLS = {"enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin"}]}


def test_mesh_mtls_refused_on_kuma3_naming_meshidentity(cp3, capsys):
    from ansible_collections.kuma.universal.plugins.modules import mesh
    result = run(mesh, {"name": "default", "mtls": MTLS}, capsys)
    assert result["failed"] and cp3.writes() == []
    assert "mtls: the control plane runs Kuma 3.0.0-dev.348b6528, which removed Mesh.mtls" in result["msg"]
    assert "MeshIdentity" in result["msg"]
    # without mtls the mesh module works on 3.x
    assert run(mesh, {"name": "prod"}, capsys)["changed"]


def test_mesh_mtls_kept_on_kuma2(cp, capsys):
    from ansible_collections.kuma.universal.plugins.modules import mesh
    result = run(mesh, {"name": "default", "mtls": MTLS}, capsys)
    assert result["changed"] and cp.store[("meshes", "default")]["mtls"] == MTLS


def test_a_meshservice_the_collection_did_not_write_is_left_alone(cp3, capsys):
    theirs = {"type": "MeshService", "mesh": "default", "name": "redis", "labels": {"team": "data"},
              "spec": {"selector": {"dataplaneLabels": {"matchLabels": {"app": "redis"}}},
                       "ports": [{"port": 6379, "targetPort": 6379, "appProtocol": "tcp"}]}}
    cp3.store[("meshes", "default", "meshservices", "redis")] = dict(theirs)
    result = run(dataplanes, {"dataplanes": [redis(0)]}, capsys)
    assert not result.get("failed") and result["meshservices"] == []
    assert cp3.store[("meshes", "default", "meshservices", "redis")]["spec"] == theirs["spec"]
    assert not [w for w in cp3.writes() if "meshservices" in w[1]]
    assert any("not written by this collection" in t for t in result["translations"]["default/redis-0"])
