# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Metrics scraped by a real Prometheus (Debian's package in the scenario's prometheus host,
molecule/resources/prometheus.yml) that finds the proxies through the control plane's MADS
(kuma_sd_configs): one target per Dataplane, all up, on a MeshMetric port of its own, with the
mesh/service/dataplane labels; and a request through the mesh moves a counter Prometheus reports.
Scenarios without a prometheus host have nothing to check here."""
import json
import os
import time
import urllib.parse

import pytest
import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
# The postgres scenario runs the API on a non-default kuma_api_port (its molecule.yml).
API_PORT = 6681 if os.environ.get("MOLECULE_SCENARIO_NAME") == "postgres" else 5681
API = "http://127.0.0.1:%d" % API_PORT
PROMETHEUS = "http://127.0.0.1:9090"
METRICS_PORT_LABEL = "kuma.universal/metrics-port"
# Kuma 3 (the kuma3 suite runs this scenario on it): no inbound tags, the service is the label
# the dataplane modules write; MADS names a target's service after kuma.io/workload (unset by the
# collection: 'unknown'), Envoy names the inbound cluster self_inbound_dp_<inbound name> and an
# outbound cluster after the MeshService (kri_msvc_<mesh>_<zone>__<service>_<port>).
KUMA3 = os.environ.get("KUMA_VERSION", "2").split(".")[0] == "3"
SERVICE_LABEL = "kuma.universal/service"
REDIS_CLUSTER = 'envoy_cluster_name=~"kri_msvc_default_default__redis_[0-9]+"' if KUMA3 else 'envoy_cluster_name="redis"'
# Bounded waits: MADS refresh (5 s in the test's kuma_sd_configs) plus a scrape (5 s), with margin.
WAIT = 90

if not RUNNER.get_hosts("prometheus"):
    pytest.skip("no prometheus host in this scenario", allow_module_level=True)


def vm(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


CP = vm(RUNNER.get_hosts("kuma_control_plane")[0])
PROM = vm(RUNNER.get_hosts("prometheus")[0])


def prom(path, **params):
    url = PROMETHEUS + path + ("?" + urllib.parse.urlencode(params) if params else "")
    body = json.loads(PROM.check_output("curl -sS --fail --max-time 10 %s", url))
    assert body["status"] == "success", body
    return body["data"]


def dataplanes():
    """name -> Dataplane (mesh default) as the CP has it."""
    out = CP.check_output("curl -sS --fail --max-time 10 '%s/meshes/default/dataplanes?size=1000'", API)
    return {item["name"]: item for item in json.loads(out)["items"]}


def kuma_targets():
    return [t for t in prom("/api/v1/targets", state="active")["activeTargets"] if t["scrapePool"] == "kuma-dataplanes"]


def wait_for(check):
    deadline = time.monotonic() + WAIT
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(2)


def test_one_target_per_dataplane_all_up_with_their_labels():
    dps = dataplanes()
    assert dps, "no Dataplane in the CP"

    def all_up():
        targets = kuma_targets()
        names = sorted(t["labels"].get("dataplane", "") for t in targets)
        if names == sorted(dps) and all(t["health"] == "up" for t in targets):
            return targets
        return None

    targets = wait_for(all_up)
    got = kuma_targets()
    assert targets, "Prometheus targets %s, wanted every Dataplane up: %s" % (
        [(t["labels"].get("dataplane"), t["health"], t.get("lastError")) for t in got], sorted(dps))
    ports_per_address = {}
    for target in targets:
        name = target["labels"]["dataplane"]
        dp = dps[name]
        assert target["labels"]["mesh"] == "default"
        if KUMA3:
            assert dp["labels"][SERVICE_LABEL] and "tags" not in dp["networking"]["inbound"][0]
            assert target["labels"]["service"] == "unknown"  # MADS: kuma.io/workload, unset
        else:
            service = dp["networking"]["inbound"][0]["tags"]["kuma.io/service"]
            assert target["labels"]["service"] == service
        # MADS's address: the Dataplane's address and the MeshMetric port its label selects.
        port = dp["labels"][METRICS_PORT_LABEL]
        assert target["scrapeUrl"] == "http://%s:%s/metrics" % (dp["networking"]["address"], port)
        ports_per_address.setdefault(dp["networking"]["address"], []).append(port)
    # Replicas on one host never share a metrics port.
    for address, ports in ports_per_address.items():
        assert len(ports) == len(set(ports)), (address, ports)
    assert max(len(p) for p in ports_per_address.values()) == 6  # the six Redis replicas of redis-vm


def test_every_replica_reports_up_in_a_query():
    dps = dataplanes()

    def up_names():
        result = prom("/api/v1/query", query='up{job="kuma-dataplanes"} == 1')["result"]
        names = sorted(r["metric"]["dataplane"] for r in result)
        return names if names == sorted(dps) else None

    assert wait_for(up_names) == sorted(dps)


def _backend_redis_connections():
    query = 'sum(envoy_cluster_upstream_cx_total{dataplane="backend-backend-vm-0",%s})' % REDIS_CLUSTER
    result = prom("/api/v1/query", query=query)["result"]
    return int(float(result[0]["value"][1])) if result else None


def test_redis_replicas_report_their_upstream_connections():
    # Kuma's Basic profile drops unused counters: send traffic to Redis through the Backend first.
    address = dataplanes()["backend-backend-vm-0"]["networking"]["address"]
    for dummy in range(6):
        CP.check_output("curl -sS --fail --max-time 10 http://%s:8000/", address)
    # Kuma's own clusters (_kuma_*, e.g. _kuma_metrics_hijacker, through which kuma-dp reads Envoy's stats for the
    # scrape) report connections too, once one has been made: not the replicas' traffic, left out.
    query = 'envoy_cluster_upstream_cx_total{dataplane=~"redis-redis-vm-[0-9]+",envoy_cluster_name!~"_kuma.*"}'
    result = wait_for(lambda: prom("/api/v1/query", query=query)["result"])
    assert result, "Prometheus has no %s" % query
    for series in result:
        assert series["metric"]["mesh"] == "default"
        assert series["metric"]["dataplane"].startswith("redis-redis-vm-")
        # the inbound cluster to the local Redis
        assert series["metric"]["envoy_cluster_name"].startswith("self_inbound_dp_redis" if KUMA3 else "localhost_63")


def test_a_request_through_the_mesh_moves_a_counter_prometheus_reports():
    backend = dataplanes()["backend-backend-vm-0"]
    address = backend["networking"]["address"]
    CP.check_output("curl -sS --fail --max-time 10 http://%s:8000/", address)
    before = wait_for(_backend_redis_connections)
    assert before is not None, "Prometheus has no envoy_cluster_upstream_cx_total of the Backend's redis cluster"
    for dummy in range(3):
        CP.check_output("curl -sS --fail --max-time 10 http://%s:8000/", address)
    after = wait_for(lambda: (_backend_redis_connections() or 0) >= before + 3)
    assert after, "the Backend's redis connections stayed at %s in Prometheus after 3 requests" % before
