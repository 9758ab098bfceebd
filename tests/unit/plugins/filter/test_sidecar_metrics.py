# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Metrics ports of the sidecar planner (kuma.universal.sidecar_plan metrics_port_base, a sidecar's
metrics_port) and the MeshMetric policies that open them (kuma.universal.sidecar_metrics_policies)."""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.filter.sidecar_plan import (
    FilterModule, sidecar_dataplanes, sidecar_metrics_policies, sidecar_plan,
)
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_planner import METRICS_PORT_LABEL

REDIS = {"service": "redis", "replicas": 6, "inbound": [{"port": 9000, "service_port": 6379}]}


def plan(sidecars, **kw):
    kw.setdefault("address", "10.0.0.2")
    return sidecar_plan(sidecars, "redis-vm", **kw)


def ok(sidecars, **kw):
    result = plan(sidecars, **kw)
    assert result["errors"] == []
    return {i["name"]: i for i in result["instances"]}


def test_metrics_off_by_default_no_port_no_label():
    got = ok([REDIS])
    for inst in got.values():
        assert inst["metrics_port"] is None
        assert METRICS_PORT_LABEL not in inst["labels"]
    assert sidecar_metrics_policies(list(got.values())) == []


def test_one_metrics_port_per_replica_from_the_base_and_its_label():
    got = ok([REDIS, {"service": "cache", "inbound": [{"port": 7000}]}], metrics_port_base=5670)
    ports = [got["redis-redis-vm-%d" % i]["metrics_port"] for i in range(6)]
    assert ports == list(range(5670, 5676))
    assert got["cache-redis-vm-0"]["metrics_port"] == 5676
    for inst in got.values():
        assert inst["labels"][METRICS_PORT_LABEL] == str(inst["metrics_port"])
    # the label reaches the Dataplane the dataplanes module registers
    dps = {d["name"]: d for d in sidecar_dataplanes(list(got.values()))}
    assert dps["redis-redis-vm-3"]["labels"][METRICS_PORT_LABEL] == "5673"


def test_metrics_allocation_skips_every_port_the_host_uses():
    sidecar = {"service": "web", "replicas": 2, "inbound": [{"port": 5670, "service_port": 5672}], "admin_port": 5674}
    got = ok([sidecar], metrics_port_base=5670, readiness_port_base=5676)
    # used: 5670/5671 inbound, 5672/5673 service, 5674/5675 admin, 5676/5677 readiness
    assert [got["web-redis-vm-%d" % i]["metrics_port"] for i in range(2)] == [5678, 5679]


def test_an_explicit_metrics_port_follows_the_port_rule_and_is_skipped_by_allocation():
    got = ok([{"service": "a", "replicas": 2, "metrics_port": 5670, "port_stride": 10}, {"service": "b"}],
             metrics_port_base=5670)
    assert got["a-redis-vm-0"]["metrics_port"] == 5670
    assert got["a-redis-vm-1"]["metrics_port"] == 5680
    assert got["b-redis-vm-0"]["metrics_port"] == 5671


def test_an_explicit_metrics_port_works_with_metrics_off():
    got = ok([{"service": "a", "metrics_port": 15670}, {"service": "b"}])
    assert got["a-redis-vm-0"]["metrics_port"] == 15670
    assert got["a-redis-vm-0"]["labels"][METRICS_PORT_LABEL] == "15670"
    assert got["b-redis-vm-0"]["metrics_port"] is None


def test_a_metrics_port_colliding_with_another_port_is_refused_naming_both():
    errs = plan([{"service": "a", "metrics_port": 9000, "inbound": [{"port": 9000}]}])["errors"]
    assert any("port 9000 collides on redis-vm" in e and "metrics port" in e and "inbound port" in e for e in errs), errs


def test_replicas_sharing_an_explicit_metrics_port_are_refused():
    errs = plan([{"service": "a", "replicas": 2, "metrics_port": 5670, "port_stride": 0}])["errors"]
    assert any("port 5670 collides" in e and "a-redis-vm-1 metrics port" in e for e in errs), errs


def test_metrics_port_out_of_range_and_bad_base_are_refused_naming_the_field():
    errs = plan([{"service": "a", "replicas": 2, "metrics_port": 65535}])["errors"]
    assert any("metrics port 65536 is out of range" in e for e in errs), errs
    errs = plan([{"service": "a", "metrics_port": "x"}])["errors"]
    assert any("kuma_sidecars[0].metrics_port: the metrics port must be an integer" in e for e in errs), errs
    errs = plan([{"service": "a"}], metrics_port_base=0)["errors"]
    assert any("sidecar_metrics_port_base: the first metrics port must be 1 or more" in e for e in errs), errs
    errs = plan([{"service": "a"}], metrics_port_base="abc")["errors"]
    assert any("sidecar_metrics_port_base" in e for e in errs), errs


def test_one_policy_per_mesh_and_port_selecting_the_label():
    got = ok([REDIS, {"service": "web", "mesh": "other", "inbound": [{"port": 7000}]}], metrics_port_base=5670)
    instances = list(got.values())
    policies = sidecar_metrics_policies(instances, {"path": "/metrics", "clientId": "prom", "port": 1})
    assert [(p["mesh"], p["name"]) for p in policies] == (
        [("default", "kuma-universal-metrics-%d" % p) for p in range(5670, 5676)]
        + [("other", "kuma-universal-metrics-5676")])
    assert policies[0]["spec"] == {
        "targetRef": {"kind": "Dataplane", "labels": {METRICS_PORT_LABEL: "5670"}},
        "default": {"backends": [{"type": "Prometheus",
                                  "prometheus": {"port": 5670, "path": "/metrics", "clientId": "prom"}}]},
    }
    # two hosts planning the same ports need each policy once
    again = sidecar_metrics_policies(instances + instances)
    assert len(again) == 7


def test_the_filter_is_registered():
    assert FilterModule().filters()["sidecar_metrics_policies"] is sidecar_metrics_policies
