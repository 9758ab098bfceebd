# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module entry points (patch_module_args) against the fake control plane."""

from __future__ import annotations

import json

from ansible_collections.kuma.universal.plugins.modules import (
    dataplane, dataplane_info, dataplane_token, mesh, resource, zone_token,
)
from ansible_collections.kuma.universal.tests.unit.fakecp import response, run_module as run

REDIS = {"name": "redis-1", "address": "192.168.0.1",
         "inbound": [{"port": 9000, "service_port": 6379, "service_address": "127.0.0.1",
                      "tags": {"kuma.io/service": "redis", "version": "5.0"}}]}


def test_dataplane_create_repeat_update_delete(cp, capsys):
    result = run(dataplane, REDIS, capsys, check_mode=True)
    assert result["changed"] and cp.writes() == []
    result = run(dataplane, REDIS, capsys)
    assert result["changed"] and result["created"] and result["kuma_version"] == "2.14.3"
    assert result["dataplane"]["networking"]["inbound"][0]["servicePort"] == 6379
    assert result["diff"]["before"] == {}
    assert run(dataplane, REDIS, capsys)["changed"] is False
    legacy = {"name": "redis-1",
              "inbound": [{"interface": "192.168.0.1:9000:6379", "tags": {"service": "redis", "version": "5.0"}}]}
    result = run(dataplane, legacy, capsys)
    assert result["changed"] is False and len(result["translations"]) == 3
    update = dict(REDIS, admin_port=9901)
    result = run(dataplane, update, capsys)
    assert result["changed"] and result["diff"] == {"before": {}, "after": {"networking": {"admin": {"port": 9901}}}}
    writes = len(cp.writes())
    assert run(dataplane, {"name": "redis-1", "state": "absent"}, capsys, check_mode=True)["changed"]
    assert len(cp.writes()) == writes
    assert run(dataplane, {"name": "redis-1", "state": "absent"}, capsys)["changed"]
    assert run(dataplane, {"name": "redis-1", "state": "absent"}, capsys)["changed"] is False


def test_dataplane_bad_input_fails_before_any_request(cp, capsys):
    bad = dict(REDIS, inbound=[dict(REDIS["inbound"][0], servce_port=1)])
    result = run(dataplane, bad, capsys)
    assert result["failed"]
    assert result["msg"].startswith("Invalid input: inbound[0].servce_port: unknown field (did you mean 'service_port'?)")
    assert result["errors"] == [result["msg"][len("Invalid input: "):]]
    assert cp.requests == []


def test_api_error_fields_in_failure(cp, capsys):
    cp.scripted += [response(200, {"version": "2.14.3"}), response(404, {"title": "x"}),
                    response(400, {"title": "Could not process a resource", "detail": "Resource is not valid",
                                   "invalid_parameters": [{"field": "networking.address", "reason": "bad"}]})]
    result = run(dataplane, dict(REDIS, api_token="s3cr3t-token"), capsys)
    assert result["failed"] and result["status"] == 400 and result["method"] == "PUT"
    assert result["invalid_parameters"] == [{"field": "networking.address", "reason": "bad"}]
    assert "networking.address: bad" in result["msg"]
    assert "s3cr3t-token" not in json.dumps(result)


def test_mesh_module_manages_only_given_options(cp, capsys):
    args = {"name": "m1", "mtls": {"enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin"}]}}
    assert run(mesh, args, capsys)["changed"]
    cp.store[("meshes", "m1")]["kri"] = "kri_m____m1_"
    cp.store[("meshes", "m1")]["routing"] = {"zoneEgress": True}  # set by someone else
    assert run(mesh, args, capsys)["changed"] is False
    result = run(mesh, dict(args, labels={"team": "a"}), capsys)
    assert result["diff"] == {"before": {}, "after": {"labels": {"team": "a"}}}
    assert cp.store[("meshes", "m1")]["routing"] == {"zoneEgress": True}
    assert run(mesh, {"name": "m1", "state": "absent"}, capsys)["changed"]
    assert run(mesh, {"name": "m1", "state": "absent"}, capsys)["changed"] is False


def test_resource_module_paths_from_resources(cp, capsys):
    spec = {"targetRef": {"kind": "Mesh"}, "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "90s"}}]}
    result = run(resource, {"kind": "MeshTimeout", "name": "t1", "spec": spec}, capsys)
    assert result["changed"] and result["path"] == "/meshes/default/meshtimeouts/t1"
    cp.store[("meshes", "default", "meshtimeouts", "t1")]["spec"]["to"][0]["default"]["idleTimeout"] = "1m30s"
    assert run(resource, {"kind": "MeshTimeout", "name": "t1", "spec": spec}, capsys)["changed"] is False
    flat = run(resource, {"kind": "TrafficPermission", "name": "tp", "spec": {"sources": [], "destinations": []}},
               capsys)
    assert "spec" not in flat["resource"] and flat["path"] == "/meshes/default/traffic-permissions/tp"
    result = run(resource, {"kind": "HostnameGenerator", "name": "h", "mesh": "default", "spec": {}}, capsys)
    assert result["msg"] == "Invalid input: mesh: HostnameGenerator is a global kind (not in a mesh); remove mesh"
    result = run(resource, {"kind": "DataplaneInsight", "name": "h"}, capsys)
    assert result["msg"] == "Invalid input: kind: DataplaneInsight is read-only (computed by the control plane)"
    result = run(resource, {"kind": "Secret", "name": "s", "spec": {"data": "x"}}, capsys)
    assert result["failed"] and "Secret is not managed" in result["msg"]
    assert sum(1 for r in cp.requests if r[1] == "/_resources") == 5  # once per run (Secret refused before)


def test_dataplane_token_check_mode_and_issue(cp, capsys):
    result = run(dataplane_token, {"name": "redis-1", "tags": {"kuma.io/service": "redis"}}, capsys, check_mode=True)
    assert result == {**result, "changed": True, "token": "", "reason": "missing"}
    assert cp.writes() == []
    cp.scripted += [response(200, {"version": "2.14.3"}), response(200, text="a.b.c")]
    result = run(dataplane_token, {"name": "redis-1", "tags": {"kuma.io/service": "redis"}, "valid_for": "720h"}, capsys)
    assert result["token"] == "a.b.c" and result["reason"] == "missing"
    assert cp.requests[-1][2] == {"name": "redis-1", "mesh": "default", "tags": {"kuma.io/service": ["redis"]},
                                  "type": "dataplane", "validFor": "720h"}
    result = run(dataplane_token, {"name": "redis-1", "valid_for": "a month"}, capsys)
    assert result["msg"] == "Invalid input: valid_for: 'a month' is not a positive Go duration such as '720h' or '8760h'"


def test_dataplane_token_keeps_a_good_token_in_the_result(cp, capsys, monkeypatch):
    from ansible_collections.kuma.universal.plugins.module_utils import _token
    monkeypatch.setattr(_token, "assess_token", lambda *a, **k: ("valid", {"exp": 2000000000}))
    result = run(dataplane_token, {"name": "redis-1", "current_token": "kept.token.value"}, capsys)
    assert result["changed"] is False and result["reason"] == "valid"
    assert result["token"] == "kept.token.value"
    assert result["expires_at"] == "2033-05-18T03:33:20Z"
    assert result["invocation"]["module_args"]["current_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_dataplane_info_online_from_subscriptions(cp, capsys):
    overview = {"type": "DataplaneOverview", "mesh": "default", "name": "redis-1", "labels": {"a": "b"},
                "dataplane": {"networking": {"address": "10.0.0.1", "inbound": [
                    {"port": 9000, "tags": {"kuma.io/service": "redis"}}]}},
                "dataplaneInsight": {"subscriptions": [
                    {"connectTime": "t0", "disconnectTime": "t1"},
                    {"connectTime": "t2", "version": {"kumaDp": {"version": "2.14.3"},
                                                      "envoy": {"version": "1.38.2", "kumaDpCompatible": True}}}]}}
    offline = dict(overview, name="redis-10", dataplaneInsight={"subscriptions": [
        {"connectTime": "t0", "disconnectTime": "t1"}]})
    cp.scripted.append(response(200, {"items": [overview, offline], "next": None}))
    result = run(dataplane_info, {"mesh": "default", "name": "redis-1", "tags": {"kuma.io/service": "redis"}}, capsys)
    assert result["changed"] is False
    assert result["dataplanes"] == [{
        "name": "redis-1", "display_name": "redis-1", "mesh": "default", "labels": {"a": "b"}, "online": True,
        "address": "10.0.0.1",
        "services": ["redis"], "kuma_dp_version": "2.14.3", "envoy_version": "1.38.2", "kuma_dp_compatible": True,
        "connect_time": "t2", "offline_since": None, "zone": None,
        "dataplane": {"type": "Dataplane", "mesh": "default", "name": "redis-1", "labels": {"a": "b"},
                      "networking": overview["dataplane"]["networking"]}}]
    assert cp.requests[-1][1] == "/meshes/default/dataplanes/_overview"


def test_dataplane_info_names_a_zone_dataplane_on_the_global_by_its_display_name(cp, capsys):
    """A global stores a zone's Dataplane under a hashed name; display_name is the one it was registered with."""
    labels = {"kuma.io/display-name": "redis-1", "kuma.io/zone": "zone-1", "kuma.io/origin": "zone"}
    overview = {"type": "DataplaneOverview", "mesh": "default", "name": "redis-1-z5ccdz56dw92f84b", "labels": labels,
                "dataplane": {"networking": {"address": "10.0.0.1"}}, "dataplaneInsight": {"subscriptions": []}}
    cp.scripted.append(response(200, {"items": [overview], "next": None}))
    result = run(dataplane_info, {"mesh": "default"}, capsys)
    (item,) = result["dataplanes"]
    assert (item["name"], item["display_name"], item["zone"], item["online"]) == (
        "redis-1-z5ccdz56dw92f84b", "redis-1", "zone-1", False)


def test_dataplane_info_matches_labels_itself(cp, capsys):
    # Kuma 2.13 drops the dataplaneInsight when _overview is asked with filter[labels.*]:
    # the module lists and matches the labels itself, so the insight (online, version) stays.
    insight = {"subscriptions": [{"connectTime": "t0", "version": {"kumaDp": {"version": "2.13.10"}}}]}
    mine = {"type": "DataplaneOverview", "mesh": "default", "name": "redis-1",
            "labels": {"kuma.universal/host": "vm-1", "x": "y"}, "dataplane": {}, "dataplaneInsight": insight}
    other = dict(mine, name="redis-2", labels={"kuma.universal/host": "vm-2"})
    unlabelled = dict(mine, name="redis-3", labels=None)
    cp.scripted.append(response(200, {"items": [mine, other, unlabelled], "next": None}))
    result = run(dataplane_info, {"labels": {"kuma.universal/host": "vm-1"}}, capsys)
    assert [(d["name"], d["online"], d["kuma_dp_version"]) for d in result["dataplanes"]] == [("redis-1", True, "2.13.10")]
    assert cp.requests[-1][1] == "/dataplanes/_overview"


def test_connection_options_from_environment(cp, capsys, monkeypatch):
    monkeypatch.setenv("KUMA_API_URL", "http://127.0.0.9:15681")
    monkeypatch.setenv("KUMA_API_TOKEN", "env-token-value")
    cp.scripted.append(response(200, {"items": [], "next": None}))
    result = run(dataplane_info, {}, capsys)
    assert result["changed"] is False and result["dataplanes"] == []
    method, path, _body, headers = cp.requests[-1]
    assert (method, path) == ("GET", "/dataplanes/_overview")
    assert headers["Authorization"] == "Bearer env-token-value"
    assert result["invocation"]["module_args"]["api_url"] == "http://127.0.0.9:15681"
    assert result["invocation"]["module_args"]["api_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_dataplane_token_current_token_from_a_file_with_newline(cp, capsys, monkeypatch):
    from ansible_collections.kuma.universal.plugins.module_utils import _token
    seen = []

    def assess(_client, token, *_args, **_kwargs):
        seen.append(token)
        return "valid", {"exp": 2000000000}
    monkeypatch.setattr(_token, "assess_token", assess)
    result = run(dataplane_token, {"name": "redis-1", "current_token": "kept.token.value\n"}, capsys)
    assert seen == ["kept.token.value"] and result["token"] == "kept.token.value"


def test_resource_spec_defaults_from_the_cp_are_not_changes_and_null_removes(cp, capsys):
    spec = {"targetRef": {"kind": "Mesh"}, "default": {"backends": [{"type": "Zipkin", "zipkin": {"url": "u"}}]}}
    args = {"kind": "MeshTimeout", "name": "t2", "spec": spec}
    assert run(resource, args, capsys)["changed"] is True
    stored = cp.store[("meshes", "default", "meshtimeouts", "t2")]
    stored["spec"]["default"]["backends"][0]["zipkin"]["apiVersion"] = "httpJson"  # a CP default
    assert run(resource, args, capsys)["changed"] is False
    without = {"targetRef": {"kind": "Mesh"},
               "default": {"backends": [{"type": "Zipkin", "zipkin": {"url": "u", "apiVersion": None}}]}}
    result = run(resource, dict(args, spec=without), capsys)
    assert result["changed"] is True
    assert "apiVersion" not in cp.store[("meshes", "default", "meshtimeouts", "t2")]["spec"]["default"]["backends"][0][
        "zipkin"]


def test_api_url_without_scheme_fails_cleanly_naming_it(cp, capsys):
    for url in ("127.0.0.1:5681", "not a url"):
        result = run(dataplane, dict(REDIS, api_url=url), capsys)
        assert result["failed"] is True and "exception" not in result
        assert result["msg"] == ("Invalid input: api_url: %r is not an http:// or https:// URL such as "
                                 "http://127.0.0.1:5681" % url)
    assert cp.requests == []


def test_resource_diff_shows_only_the_fields_that_change(cp, capsys):
    spec = {"targetRef": {"kind": "MeshSubset", "tags": {"kuma.io/service": "redis"}},
            "from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Allow"}}]}
    args = {"kind": "MeshTrafficPermission", "name": "allow", "labels": {"team": "a"}, "spec": spec}
    created = run(resource, args, capsys)
    assert created["diff"] == {"before": {}, "after": {"labels": {"team": "a"}, "spec": spec}}
    deny = {"targetRef": spec["targetRef"], "from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Deny"}}]}
    result = run(resource, dict(args, spec=deny), capsys)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"spec": {"from": spec["from"]}}, "after": {"spec": {"from": deny["from"]}}}
    retag = dict(deny, targetRef={"kind": "MeshSubset", "tags": {"kuma.io/service": "redis", "version": "2"}})
    result = run(resource, dict(args, spec=retag), capsys)
    assert result["diff"] == {"before": {}, "after": {"spec": {"targetRef": {"tags": {"version": "2"}}}}}
    result = run(mesh, {"name": "default", "routing": {"zoneEgress": True}, "networking": {"outbound": {
        "passthrough": False}}}, capsys)
    assert result["diff"] == {"before": {}, "after": {"routing": {"zoneEgress": True},
                                                      "networking": {"outbound": {"passthrough": False}}}}
    result = run(mesh, {"name": "default", "routing": {"zoneEgress": False}, "networking": {"outbound": {
        "passthrough": False}}}, capsys)
    assert result["diff"] == {"before": {"routing": {"zoneEgress": True}}, "after": {"routing": {"zoneEgress": False}}}


def test_resource_fails_naming_the_fields_the_cp_did_not_keep(cp, capsys):
    cp.unknown_keys.add("connectionTimeot")
    spec = {"targetRef": {"kind": "Mesh"}, "to": [{"targetRef": {"kind": "Mesh"}, "default": {
        "idleTimeout": "90s", "connectionTimeot": "5s"}}]}
    args = {"kind": "MeshTimeout", "name": "typo", "spec": spec}
    for _run in range(2):  # every run: the CP never keeps it, and the write is undone
        result = run(resource, args, capsys)
        assert result["failed"] is True and result.get("changed") is not True
        assert result["errors"] == [
            "spec.to[0].default.connectionTimeot: not kept by the control plane, which ignores fields it does not "
            "know; nothing was changed (the new MeshTimeout default/typo was removed): correct or remove it"]
        assert cp.requests[-1][:2] == ("DELETE", "/meshes/default/meshtimeouts/typo")
    spec["to"][0]["default"]["connectionTimeout"] = spec["to"][0]["default"].pop("connectionTimeot")
    assert run(resource, args, capsys)["changed"] is True
    assert run(resource, args, capsys)["changed"] is False
    reads = [r for r in cp.requests if r[0] == "GET" and r[1] == "/meshes/default/meshtimeouts/typo"]
    assert len(reads) == 2 + 2 + 2 + 1  # before each run, and once more after each write


def test_zone_token_issue_check_mode_and_input_errors(cp, capsys):
    result = run(zone_token, {"zone": "zone-1", "scope": ["ingress"]}, capsys, check_mode=True)
    assert result == {**result, "changed": True, "token": "", "reason": "missing"}
    assert cp.writes() == []
    cp.scripted.append(response(200, text="z.t.k"))
    result = run(zone_token, {"zone": "zone-1", "scope": ["ingress", "egress"], "valid_for": "720h"}, capsys)
    assert result["token"] == "z.t.k" and result["changed"] is True
    assert cp.requests[-1][:3] == ("POST", "/tokens/zone", {"zone": "zone-1", "scope": ["egress", "ingress"],
                                                            "validFor": "720h"})
    requests_before = len(cp.requests)
    result = run(zone_token, {"zone": "Zone_1", "scope": ["ingress"], "valid_for": "soon"}, capsys)
    assert result["failed"] and "zone: 'Zone_1' is not a zone name" in result["msg"]
    assert "valid_for: 'soon'" in result["msg"] and len(cp.requests) == requests_before
    result = run(zone_token, {"zone": "zone-1", "scope": ["gateway"]}, capsys)
    assert result["failed"] and "scope" in result["msg"] and "gateway" in result["msg"]


def test_zone_cp_refusals_name_the_global_control_plane(cp, capsys):
    config = {"mode": "zone", "multizone": {"zone": {"name": "zone-2"}}}
    cp.scripted += [response(404, {"title": "Signing Key not found", "detail": "no signing key with KID 1"}),
                    response(200, config)]
    result = run(zone_token, {"zone": "zone-2", "scope": ["ingress"]}, capsys)
    assert result["failed"] and "Signing Key not found" in result["msg"]
    assert "is the zone control plane of zone zone-2: zone tokens are owned by the global control plane" in result["msg"]
    answers = {"/config": config}
    handle = cp.handle

    def zone_cp(method, path, body, params=None):
        if method == "PUT":
            return response(405, {"title": "Method not allowed", "detail": "On zone control plane you can only"})
        if path in answers:
            return response(200, answers[path])
        return handle(method, path, body, params)

    cp.handle = zone_cp
    result = run(mesh, {"name": "other"}, capsys)
    assert result["failed"] and "Meshes and policies (other than zone-origin ones) are owned by the global" in result["msg"]
    # A standalone CP's refusal gets no hint.
    answers["/config"] = {"mode": "standalone"}
    result = run(mesh, {"name": "other"}, capsys)
    assert result["failed"] and "HTTP 405" in result["msg"] and "global" not in result["msg"]


def test_dataplane_info_lists_zone_ingresses(cp, capsys):
    overview = {"items": [{"type": "ZoneIngressOverview", "name": "zone-ingress", "labels": {"kuma.io/zone": "zone-1"},
                           "zoneIngress": {"zone": "zone-1", "networking": {"address": "10.0.0.5", "port": 10001}},
                           "zoneIngressInsight": {"subscriptions": [
                               {"connectTime": "2026-11-26T09:00:00Z",
                                "version": {"kumaDp": {"version": "2.14.3"}, "envoy": {"version": "1.38.2"}}}]}}]}
    cp.scripted.append(response(200, overview))
    result = run(dataplane_info, {"kind": "ZoneIngress", "name": "zone-ingress"}, capsys)
    assert cp.requests[-1][1] == "/zoneingresses/_overview"
    [item] = result["dataplanes"]
    assert item["online"] is True and item["zone"] == "zone-1" and item["mesh"] is None
    assert item["kuma_dp_version"] == "2.14.3" and item["address"] == "10.0.0.5"
    assert item["dataplane"]["type"] == "ZoneIngress"
    result = run(dataplane_info, {"kind": "ZoneEgress", "mesh": "default"}, capsys)
    assert result["failed"] and "mesh: a ZoneEgress belongs to no mesh" in result["msg"]


def test_dataplane_info_reads_the_leader_gauge_in_the_same_run(cp, capsys):
    # The summary reads the Dataplanes and this CP's leader gauge in one module run; the
    # gauge is read without the API token (another port), and an unreadable one is null.
    metrics = "# TYPE leader gauge\nleader_elapsed 3\nleader{zone=\"default\"} 1\n"
    cp.scripted += [response(200, {"items": [], "next": None}), response(200, text=metrics)]
    result = run(dataplane_info, {"api_token": "s3cr3t-token", "leader_metric_url": "http://127.0.0.1:5680/metrics"}, capsys)
    assert result["leader"] is True and result["dataplanes"] == []
    method, path, _body, headers = cp.requests[-1]
    assert (method, path) == ("GET", "/metrics") and "Authorization" not in headers
    cp.scripted += [response(200, {"items": [], "next": None}), response(200, text="leader 0\n")]
    assert run(dataplane_info, {"leader_metric_url": "http://127.0.0.1:5680/metrics"}, capsys)["leader"] is False
    cp.scripted += [response(200, {"items": [], "next": None}), response(200, text="kuma_build_info 1\n")]
    assert run(dataplane_info, {"leader_metric_url": "http://127.0.0.1:5680/metrics"}, capsys)["leader"] is None
    cp.scripted += [response(200, {"items": [], "next": None}), response(503, text="")]
    assert run(dataplane_info, {"leader_metric_url": "http://127.0.0.1:5680/metrics"}, capsys)["leader"] is None
    cp.scripted.append(response(200, {"items": [], "next": None}))
    assert "leader" not in run(dataplane_info, {}, capsys)


PROVIDED_KEY = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tc2VjcmV0LWtleQ=="
VAULT_TOKEN = "hvs.inline-vault-token-value"


def test_inline_secrets_of_a_mesh_never_show(cp, capsys):
    # Issue 21 item 8: a provided CA's inline key and a Vault token are secrets: not in the result, its
    # diff or its invocation, on create, on change and when unchanged.
    mtls = {"enabledBackend": "ca-1", "backends": [
        {"name": "ca-1", "type": "provided", "conf": {"cert": {"inline": "Y2VydA=="}, "key": {"inline": PROVIDED_KEY}}},
        {"name": "vault-1", "type": "vault", "conf": {"fromCp": {"address": "https://vault:8200", "auth": {
            "token": {"inlineString": VAULT_TOKEN}}}}}]}
    for result in (run(mesh, {"name": "m1", "mtls": mtls}, capsys),
                   run(mesh, {"name": "m1", "mtls": mtls}, capsys),
                   run(mesh, {"name": "m1", "mtls": dict(mtls, enabledBackend="vault-1")}, capsys, check_mode=True)):
        text = json.dumps(result)
        assert not result.get("failed"), result
        assert PROVIDED_KEY not in text and VAULT_TOKEN not in text
    # what the CP got is the real thing
    backends = cp.store[("meshes", "m1")]["mtls"]["backends"]
    assert backends[0]["conf"]["key"]["inline"] == PROVIDED_KEY
    assert backends[1]["conf"]["fromCp"]["auth"]["token"]["inlineString"] == VAULT_TOKEN


def test_dataplane_info_names_each_mesh_and_its_mutual_tls_on_kuma_2(cp, capsys):
    cp.store[("meshes", "plain")] = {"type": "Mesh", "name": "plain"}
    cp.store[("meshes", "strict")] = {"type": "Mesh", "name": "strict", "mtls": {
        "enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin"}]}}
    cp.store[("meshes", "mixed")] = {"type": "Mesh", "name": "mixed", "mtls": {
        "enabledBackend": "ca-2", "backends": [{"name": "ca-1", "type": "builtin"},
                                               {"name": "ca-2", "type": "builtin", "mode": "PERMISSIVE"}]}}
    cp.store[("meshes", "listed")] = {"type": "Mesh", "name": "listed", "mtls": {
        "backends": [{"name": "ca-1", "type": "builtin"}]}}  # a backend, none enabled: plaintext
    cp.scripted.append(response(200, {"items": [], "next": None}))  # the Dataplanes: none here
    result = run(dataplane_info, {"mesh_security": True}, capsys)
    assert result["meshes"] == [{"name": "default", "mtls": "off"},  # the fixture's mesh, without mtls
                                {"name": "listed", "mtls": "off"}, {"name": "mixed", "mtls": "permissive"},
                                {"name": "plain", "mtls": "off"}, {"name": "strict", "mtls": "strict"}]
    cp.scripted.append(response(200, {"items": [], "next": None}))
    assert "meshes" not in run(dataplane_info, {}, capsys)


def test_dataplane_info_reads_mutual_tls_from_mesh_identities_on_kuma_3(cp, capsys):
    cp.version = "3.0.0-dev.348b6528"
    cp.store[("meshes", "default")] = {"type": "Mesh", "name": "default"}
    cp.store[("meshes", "other")] = {"type": "Mesh", "name": "other"}
    cp.store[("meshes", "default", "meshidentities", "identity")] = {"type": "MeshIdentity", "name": "identity"}
    cp.scripted.append(response(200, {"items": [], "next": None}))
    result = run(dataplane_info, {"mesh_security": True}, capsys)
    assert result["meshes"] == [{"name": "default", "mtls": "on"}, {"name": "other", "mtls": "off"}]
    assert ("GET", "/meshes/other/meshidentities") in [(r[0], r[1]) for r in cp.requests]
