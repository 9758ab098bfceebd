# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rich Meshes and policies converge: whatever the real CP rewrites or adds is not a change."""

from __future__ import annotations

import requests

RICH_MESH = {
    "name": "rich",
    "labels": {"team": "platform"},
    "skip_creating_initial_policies": ["MeshRetry", "MeshTimeout", "MeshCircuitBreaker"],
    "mtls": {"enabledBackend": "ca-1", "backends": [
        {"name": "ca-1", "type": "builtin", "dpCert": {"rotation": {"expiration": "24h"}},
         "conf": {"caCert": {"RSAbits": 2048, "expiration": "10y"}}}]},
    "metrics": {"enabledBackend": "prom-1", "backends": [
        {"name": "prom-1", "type": "prometheus", "conf": {"port": 5670, "path": "/metrics", "skipMTLS": False}}]},
    "logging": {"defaultBackend": "file-1", "backends": [
        {"name": "file-1", "type": "file", "format": "%START_TIME% %KUMA_SOURCE_SERVICE%",
         "conf": {"path": "/tmp/access.log"}}]},
    "tracing": {"defaultBackend": "zipkin-1", "backends": [
        {"name": "zipkin-1", "type": "zipkin", "sampling": 100.0,
         "conf": {"url": "http://127.0.0.1:9411/api/v2/spans"}}]},
    "routing": {"zoneEgress": False, "localityAwareLoadBalancing": True},
    "networking": {"outbound": {"passthrough": False}},
    "constraints": {"dataplaneProxy": {"requirements": [{"tags": {"kuma.io/zone": "default"}}]}},
}

POLICIES = [
    ("MeshTrafficPermission", "allow-all", {
        "targetRef": {"kind": "Mesh"},
        "from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Allow"}}]}),
    ("MeshRetry", "retry", {
        "targetRef": {"kind": "Mesh"},
        "to": [{"targetRef": {"kind": "Mesh"}, "default": {
            "http": {"numRetries": 3, "perTryTimeout": "500ms", "backOff": {"baseInterval": "15ms", "maxInterval": "1s"}},
            "tcp": {"maxConnectAttempt": 2}}}]}),
    ("MeshHealthCheck", "hc", {
        "targetRef": {"kind": "Mesh"},
        "to": [{"targetRef": {"kind": "MeshService", "name": "redis"}, "default": {
            "interval": "10s", "timeout": "2s", "unhealthyThreshold": 3, "healthyThreshold": 1,
            "tcp": {"disabled": False}}}]}),
    ("MeshCircuitBreaker", "cb", {
        "targetRef": {"kind": "Mesh"},
        "to": [{"targetRef": {"kind": "Mesh"}, "default": {
            "connectionLimits": {"maxConnections": 1024},
            "outlierDetection": {"disabled": False, "interval": "5s", "baseEjectionTime": "30s",
                                 "detectors": {"totalFailures": {"consecutive": 10}}}}}]}),
    ("MeshAccessLog", "logs", {
        "targetRef": {"kind": "Mesh"},
        "from": [{"targetRef": {"kind": "Mesh"}, "default": {"backends": [
            {"type": "File", "file": {"path": "/tmp/access.log", "format": {"type": "Plain",
                                                                            "plain": "[%START_TIME%] %KUMA_MESH%"}}}]}}]}),
    ("MeshLoadBalancingStrategy", "lb", {
        "targetRef": {"kind": "Mesh"},
        "to": [{"targetRef": {"kind": "MeshService", "name": "redis"}, "default": {
            "loadBalancer": {"type": "LeastRequest", "leastRequest": {"choiceCount": 3}}}}]}),
    ("MeshTrace", "trace", {
        "targetRef": {"kind": "Mesh"},
        "default": {"backends": [{"type": "Zipkin", "zipkin": {"url": "http://127.0.0.1:9411/api/v2/spans"}}],
                    "sampling": {"overall": 80}}}),
    ("MeshMetric", "metrics", {
        "targetRef": {"kind": "Mesh"},
        "default": {"backends": [{"type": "Prometheus", "prometheus": {"port": 5670, "path": "/metrics"}}]}}),
    ("MeshService", "redis", {
        "selector": {"dataplaneTags": {"kuma.io/service": "redis"}},
        "ports": [{"port": 6379, "targetPort": 6379, "appProtocol": "tcp"}]}),
    ("MeshExternalService", "httpbin", {
        "match": {"type": "HostnameGenerator", "port": 80, "protocol": "http"},
        "endpoints": [{"address": "127.0.0.1", "port": 8080}]}),
    ("MeshPassthrough", "passthrough", {
        "targetRef": {"kind": "Mesh"},
        "default": {"passthroughMode": "Matched",
                    "appendMatch": [{"type": "Domain", "value": "example.com", "port": 443, "protocol": "tls"}]}}),
]


def test_rich_mesh_converges(cp, ansible):
    no_format = dict(RICH_MESH, logging={"defaultBackend": "file-1", "backends": [
        {"name": "file-1", "type": "file", "format": None, "conf": {"path": "/tmp/access.log"}}]})
    no_routing = dict(no_format, routing={})
    created, repeated, drop_key, drop_key_again, drop_section, drop_section_again, deleted = ansible.play(
        ("mesh", RICH_MESH), ("mesh", RICH_MESH), ("mesh", no_format), ("mesh", no_format),
        ("mesh", no_routing), ("mesh", no_routing), ("mesh", {"name": "rich", "state": "absent"}))
    assert created["changed"] is True, created.get("msg")
    # the CP added conf.tags to the metrics backend: a default, not a change
    assert repeated["changed"] is False, repeated.get("diff")
    # a key set to null is removed
    assert drop_key["changed"] is True and set(drop_key["diff"]["after"]) == {"logging"}
    assert drop_key_again["changed"] is False, drop_key_again.get("diff")  # null requires it absent: it is
    assert drop_section["changed"] is True
    assert drop_section["diff"]["before"] == {"routing": {"localityAwareLoadBalancing": True}}
    assert drop_section_again["changed"] is False
    assert deleted["changed"] is True


def test_policies_converge(cp, ansible, default_mesh):
    tasks = []
    for kind, name, spec in POLICIES:
        args = {"kind": kind, "name": name, "mesh": "default", "spec": spec}
        tasks += [("resource", args), ("resource", args)]
    results = ansible.play(*tasks)
    for (kind, _name, _spec), created, repeated in zip(POLICIES, results[::2], results[1::2]):
        assert created["changed"] is True, (kind, created.get("msg"))
        assert repeated["changed"] is False, (kind, repeated.get("diff"))
    ansible.play(*[("resource", {"kind": kind, "name": name, "state": "absent"}) for kind, name, _spec in POLICIES])


def test_a_field_the_cp_drops_fails_naming_it(cp, ansible, default_mesh):
    typo = {"kind": "MeshTimeout", "name": "typo", "mesh": "default", "spec": {
        "targetRef": {"kind": "Mesh"},
        "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "90s", "connectionTimeot": "5s"}}]}}
    fixed = {**typo, "spec": {"targetRef": {"kind": "Mesh"}, "to": [
        {"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "90s", "connectionTimeout": "5s"}}]}}
    first, second = ansible.play(("resource", typo), ("resource", typo))
    message = ("spec.to[0].default.connectionTimeot: not kept by the control plane, which ignores fields it does "
               "not know; nothing was changed (the new MeshTimeout default/typo was removed): correct or remove it")
    for result in (first, second):  # not a silent "changed" on every run any more, and nothing half-applied
        assert result["failed"] is True and result.get("changed") is not True, result
        assert result["errors"] == [message]
    assert requests.get(f"{cp.api_url}/meshes/default/meshtimeouts/typo", timeout=5).status_code == 404
    # An update with the typo: the policy as it was is put back.
    corrected, typo_again, repeated, _gone = ansible.play(
        ("resource", fixed), ("resource", {**typo, "spec": {**typo["spec"], "to": [
            {"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "30s", "connectionTimeot": "5s"}}]}}),
        ("resource", fixed),
        ("resource", {"kind": "MeshTimeout", "name": "typo", "state": "absent"}))
    assert typo_again["failed"] is True and typo_again.get("changed") is not True, typo_again
    assert "MeshTimeout default/typo was put back as it was" in typo_again["errors"][0]
    assert corrected.get("failed") is not True and corrected["changed"] is True, corrected.get("msg")
    assert repeated["changed"] is False
