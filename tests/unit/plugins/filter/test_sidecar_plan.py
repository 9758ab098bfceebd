# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sidecar role's planner (kuma.universal.sidecar_plan): replicas, the port rule,
readiness ports, every collision case, the legacy syntax and the input checks."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.sidecar_plan import (
    FilterModule, sidecar_dataplanes, sidecar_plan, sidecar_proxies, sidecar_tokens,
)
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_planner import DATAPLANE_FIELDS, host_slug

ADDRESS = "10.0.0.2"


def plan(sidecars, host="redis-vm", **kw):
    kw.setdefault("address", ADDRESS)
    return sidecar_plan(sidecars, host, **kw)


def ok(sidecars, **kw):
    result = plan(sidecars, **kw)
    assert result["errors"] == []
    return {i["name"]: i for i in result["instances"]}


def errors(sidecars, **kw):
    result = plan(sidecars, **kw)
    assert result["errors"], "expected errors"
    return result["errors"]


REDIS = {"service": "redis", "replicas": 6, "inbound": [{"port": 9000, "service_port": 6379, "tags": {"version": "7.0"}}]}


# -- the port rule ----------------------------------------------------------------------------
def test_replica_i_adds_i_times_stride_to_every_port():
    sidecar = {"service": "web", "replicas": 3, "port_stride": 10, "admin_port": 9901, "readiness_port": 9950,
               "inbound": [{"port": 8000, "service_port": 80}], "outbound": [{"port": 10000, "service": "redis"}]}
    got = ok([sidecar])
    for i in range(3):
        inst = got["web-redis-vm-%d" % i]
        assert inst["replica"] == i
        assert inst["inbound"][0]["port"] == 8000 + 10 * i
        assert inst["inbound"][0]["service_port"] == 80 + 10 * i
        assert inst["outbound"][0]["port"] == 10000 + 10 * i
        assert inst["outbound"][0]["address"] == "127.0.0.1"
        assert inst["admin_port"] == 9901 + 10 * i
        assert inst["readiness_port"] == 9950 + 10 * i


def test_default_stride_is_the_role_setting():
    got = ok([REDIS], port_stride=2)
    assert [got["redis-redis-vm-%d" % i]["inbound"][0]["port"] for i in range(6)] == [9000, 9002, 9004, 9006, 9008, 9010]
    got = ok([REDIS])
    assert [got["redis-redis-vm-%d" % i]["inbound"][0]["service_port"] for i in range(6)] == list(range(6379, 6385))


def test_the_demo_plan():
    got = ok([REDIS])
    inst = got["redis-redis-vm-5"]
    assert inst == {
        "name": "redis-redis-vm-5", "service": "redis", "mesh": "default", "replica": 5, "services": ["redis"],
        "address": ADDRESS, "advertised_address": None,
        "inbound": [{"port": 9005, "service_port": 6384, "service_address": "127.0.0.1",
                     "tags": {"kuma.io/service": "redis", "version": "7.0"}}],
        "outbound": [], "admin_port": None, "readiness_port": 9907, "metrics_port": None,
        "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "redis-vm"},
        "metrics": None, "probes": None, "transparent": False, "transparent_proxying": None,
        "gateway": None, "gateway_edge": None, "listeners": None, "zone_address": None, "zone_proxy": None}


# -- readiness ports ---------------------------------------------------------------------------
def test_readiness_ports_are_allocated_in_list_order_from_the_base():
    got = ok([REDIS, {"service": "cache", "inbound": [{"port": 7000}]}])
    assert [got["redis-redis-vm-%d" % i]["readiness_port"] for i in range(6)] == list(range(9902, 9908))
    assert got["cache-redis-vm-0"]["readiness_port"] == 9908


def test_readiness_allocation_skips_every_port_the_host_uses():
    sidecar = {"service": "web", "replicas": 2, "inbound": [{"port": 9902, "service_port": 9904}], "admin_port": 9906}
    got = ok([sidecar], readiness_port_base=9902)
    # used: 9902/9903 inbound, 9904/9905 service, 9906/9907 admin
    assert [got["web-redis-vm-%d" % i]["readiness_port"] for i in range(2)] == [9908, 9909]


def test_an_explicit_readiness_port_is_kept_and_skipped_by_allocation():
    got = ok([{"service": "a", "readiness_port": 9902}, {"service": "b"}])
    assert got["a-redis-vm-0"]["readiness_port"] == 9902
    assert got["b-redis-vm-0"]["readiness_port"] == 9903


def test_readiness_base_is_a_setting():
    assert ok([{"service": "a"}], readiness_port_base=20000)["a-redis-vm-0"]["readiness_port"] == 20000


# -- collisions: every kind, each named with both owners --------------------------------------
@pytest.mark.parametrize("second, message", [
    ({"service": "cache", "inbound": [{"port": 9005}]},
     "port 9005 collides on redis-vm: cache-redis-vm-0 inbound port and redis-redis-vm-5 inbound port"),
    ({"service": "cache", "inbound": [{"port": 7000, "service_port": 9003}]},
     "port 9003 collides on redis-vm: cache-redis-vm-0 inbound service port and redis-redis-vm-3 inbound port"),
    ({"service": "cache", "inbound": [{"port": 6380}]},
     "port 6380 collides on redis-vm: cache-redis-vm-0 inbound port and redis-redis-vm-1 inbound service port"),
    ({"service": "cache", "outbound": [{"port": 9001, "service": "redis"}]},
     "port 9001 collides on redis-vm: cache-redis-vm-0 outbound port and redis-redis-vm-1 inbound port"),
    ({"service": "cache", "admin_port": 9004},
     "port 9004 collides on redis-vm: cache-redis-vm-0 admin port and redis-redis-vm-4 inbound port"),
    ({"service": "cache", "readiness_port": 6379},
     "port 6379 collides on redis-vm: cache-redis-vm-0 readiness port and redis-redis-vm-0 inbound service port"),
    ({"service": "cache", "inbound": [{"interface": "10.0.0.2:9002:7000"}]},
     "port 9002 collides on redis-vm: cache-redis-vm-0 inbound port and redis-redis-vm-2 inbound port"),
    ({"service": "cache", "outbound": [{"interface": ":6381", "service": "redis"}]},
     "port 6381 collides on redis-vm: cache-redis-vm-0 outbound port and redis-redis-vm-2 inbound service port"),
])
def test_a_port_used_twice_on_the_host_is_refused(second, message):
    assert errors([REDIS, second]) == [message]


def test_an_explicit_readiness_port_collides_with_an_inbound_of_a_later_sidecar():
    got = errors([{"service": "a", "readiness_port": 8000}, {"service": "b", "inbound": [{"port": 8000}]}])
    assert got == ["port 8000 collides on redis-vm: b-redis-vm-0 inbound port and a-redis-vm-0 readiness port"]


def test_replicas_collide_with_each_other_when_the_stride_is_zero():
    got = errors([{"service": "web", "replicas": 2, "port_stride": 0, "inbound": [{"port": 8000}], "admin_port": 9901}])
    assert got == ["port 8000 collides on redis-vm: web-redis-vm-1 inbound port and web-redis-vm-0 inbound port",
                   "port 9901 collides on redis-vm: web-redis-vm-1 admin port and web-redis-vm-0 admin port"]


def test_a_proxy_collides_with_itself():
    got = errors([{"service": "web", "inbound": [{"port": 8000, "service_port": 8000}]}])
    assert got == ["port 8000 collides on redis-vm: web-redis-vm-0 inbound service port and web-redis-vm-0 inbound port"]


def test_strides_that_make_replicas_overlap_are_refused():
    got = errors([{"service": "web", "replicas": 3, "inbound": [{"port": 8000}, {"port": 8001}]}])
    assert got == ["port 8001 collides on redis-vm: web-redis-vm-1 inbound port and web-redis-vm-0 inbound port",
                   "port 8002 collides on redis-vm: web-redis-vm-2 inbound port and web-redis-vm-1 inbound port"]


def test_every_collision_is_reported_at_once():
    got = errors([REDIS, {"service": "a", "inbound": [{"port": 9000}]}, {"service": "b", "inbound": [{"port": 9001}]}])
    assert len(got) == 2 and "port 9000" in got[0] and "port 9001" in got[1]


def test_a_port_pushed_out_of_range_by_the_rule_is_refused():
    got = errors([{"service": "web", "replicas": 2, "inbound": [{"port": 65535}]}])
    assert got == ["web-redis-vm-1: inbound port 65536 is out of range 1-65535"]


def test_ports_on_other_hosts_do_not_collide():
    # The plan is per host: the same ports on another host are fine.
    assert ok([REDIS], ) and ok([REDIS], ) != {}
    assert plan([REDIS], host="other-vm")["errors"] == []


# -- legacy syntax -----------------------------------------------------------------------------
def test_legacy_inbound_interface_follows_the_port_rule_and_gets_the_service_tag():
    got = ok([{"service": "backend", "replicas": 2, "inbound": [{"interface": "10.0.0.3:8000:80"}]}])
    assert got["backend-redis-vm-1"]["inbound"] == [{"interface": "10.0.0.3:8001:81", "tags": {"service": "backend"}}]
    assert got["backend-redis-vm-1"]["services"] == ["backend"]


def test_legacy_inbound_keeps_its_own_service_tag_and_ipv6():
    got = ok([{"service": "backend", "inbound": [{"interface": "[fd00::3]:8000:80", "tags": {"service": "web"}}]}],
             address="fd00::3")
    assert got["backend-redis-vm-0"]["inbound"][0] == {"interface": "[fd00::3]:8000:80", "tags": {"service": "web"}}
    assert got["backend-redis-vm-0"]["services"] == ["web"]


def test_legacy_outbound_interface_follows_the_port_rule():
    outbound = [{"interface": ":10000", "service": "redis"}, {"interface": "127.0.0.1:10100", "service": "pg"}]
    got = ok([{"service": "backend", "replicas": 2, "outbound": outbound}])
    assert got["backend-redis-vm-1"]["outbound"] == [{"interface": ":10001", "service": "redis"},
                                                     {"interface": "127.0.0.1:10101", "service": "pg"}]


@pytest.mark.parametrize("item, message", [
    ({"inbound": [{"interface": "10.0.0.3:8000"}]},
     "kuma_sidecars[0].inbound[0].interface: '10.0.0.3:8000' is not IP:DATAPLANE_PORT:SERVICE_PORT"),
    ({"inbound": [{"interface": "10.0.0.3:x:80"}]},
     "kuma_sidecars[0].inbound[0].interface: '10.0.0.3:x:80' is not IP:DATAPLANE_PORT:SERVICE_PORT"),
    ({"outbound": [{"interface": "redis", "service": "redis"}]},
     "kuma_sidecars[0].outbound[0].interface: 'redis' is not [IP]:PORT"),
    ({"inbound": [{"service_port": 80}]},
     "kuma_sidecars[0].inbound[0].port: required (or the legacy interface IP:DATAPLANE_PORT:SERVICE_PORT)"),
    ({"outbound": [{"service": "redis"}]},
     "kuma_sidecars[0].outbound[0].port: required (or the legacy interface [IP]:PORT)"),
    ({"inbound": [{"port": "eighty"}]},
     "kuma_sidecars[0].inbound[0].port: the port must be an integer, got 'eighty'"),
    ({"inbound": [{"port": 8000, "service_port": True}]},
     "kuma_sidecars[0].inbound[0].service_port: the service port must be an integer, got True"),
    ({"admin_port": "x"}, "kuma_sidecars[0].admin_port: the admin port must be an integer, got 'x'"),
    ({"inbound": ["8000"]},
     "kuma_sidecars[0].inbound[0]: must be a dictionary (port, service_port, tags, ...), got '8000'"),
    ({"inbound": {"port": 8000}}, "kuma_sidecars[0].inbound: must be a list"),
    ({"tags": ["a"]}, "kuma_sidecars[0].tags: must be a dictionary"),
])
def test_malformed_entries_name_their_field(item, message):
    assert errors([dict({"service": "web"}, **item)]) == [message]


# -- replicas, names and other input checks ---------------------------------------------------
def test_zero_replicas_scale_the_service_to_zero_on_this_host():
    got = ok([dict(REDIS, replicas=0), {"service": "backend", "inbound": [{"port": 8000}]}])
    assert list(got) == ["backend-redis-vm-0"]
    assert got["backend-redis-vm-0"]["readiness_port"] == 9902


@pytest.mark.parametrize("replicas", [-1, "-2"])
def test_negative_replicas_are_refused_naming_the_field(replicas):
    got = errors([dict(REDIS, replicas=replicas)])
    assert got == ["kuma_sidecars[0].replicas: %s replicas is negative; give 0 (scale to zero: this host's "
                   "proxies of the service are removed) or more" % int(replicas)]


@pytest.mark.parametrize("replicas", ["three", 2.5, True, [1]])
def test_replicas_must_be_an_integer(replicas):
    got = errors([dict(REDIS, replicas=replicas)])
    assert got == ["kuma_sidecars[0].replicas: the number of replicas must be an integer, got %r" % (replicas,)]


def test_replicas_from_an_ini_inventory_are_strings():
    assert len(ok([dict(REDIS, replicas="3")])) == 3


def test_default_is_one_replica():
    assert list(ok([{"service": "web"}])) == ["web-redis-vm-0"]


def test_a_service_is_required():
    assert errors([{"replicas": 2}]) == ["kuma_sidecars[0].service: required (the kuma.io/service of the sidecar's inbounds)"]
    assert errors(["redis"]) == ["kuma_sidecars[0]: must be a dictionary (service, replicas, inbound, ...), got 'redis'"]


def test_an_unknown_field_is_refused_with_the_allowed_ones():
    got = errors([{"service": "web", "replica": 2}])
    assert len(got) == 1 and got[0].startswith("kuma_sidecars[0].replica: unknown field; allowed: service, replicas,")


def test_a_negative_stride_is_refused():
    assert errors([{"service": "web", "port_stride": -1}]) == [
        "kuma_sidecars[0].port_stride: the port stride must be 0 or more, got -1"]
    assert plan([], port_stride="x")["errors"] == ["sidecar_port_stride: the port stride must be an integer, got 'x'"]


def test_the_same_name_twice_on_a_host_is_refused():
    got = errors([{"service": "web", "name": "app"}, {"service": "api", "name": "app"}])
    assert got == ["kuma_sidecars[1]: the Dataplane name app-0 is given twice on redis-vm (set name: to tell the sidecars apart)"]


def test_names_are_checked_by_the_dataplane_model():
    got = errors([{"service": "web", "name": "Web_App", "replicas": 3}])
    # One report for the sidecar, not one per replica; the name is the dataplane module's rule.
    assert len(got) == 1
    assert got[0].startswith("kuma_sidecars[0] (Web_App-0): name: ")
    assert "RFC 1123" in got[0]


def test_tags_and_labels_are_checked_by_the_dataplane_model():
    got = errors([{"service": "web", "tags": {"version": "1 0"}, "labels": {"kuma.io/zone": "z"},
                   "inbound": [{"port": 8000}]}])
    assert any("kuma_sidecars[0] (web-redis-vm-0): inbound[0].tags['version']" in e for e in got), got
    assert any("kuma_sidecars[0] (web-redis-vm-0): labels: kuma.io/zone" in e for e in got), got


def test_an_invalid_mesh_is_refused():
    got = errors([{"service": "web", "mesh": "Bad Mesh"}])
    assert len(got) == 1 and got[0].startswith("kuma_sidecars[0] (web-redis-vm-0): mesh: 'Bad Mesh'")


def test_default_names_use_the_short_host_name():
    assert list(ok([{"service": "web"}], host="App_1.example.com")) == ["web-app-1-0"]
    assert host_slug("Redis VM") == "redis-vm"


def test_labels_mark_the_host_and_cannot_be_overridden():
    got = ok([{"service": "web", "labels": {"team": "a", "kuma.universal/host": "elsewhere"}}])
    assert got["web-redis-vm-0"]["labels"] == {"team": "a", "kuma.universal/managed-by": "ansible",
                                               "kuma.universal/host": "redis-vm"}


def test_services_come_from_the_inbound_tags():
    got = ok([{"service": "web", "inbound": [{"port": 8000}, {"port": 8100, "tags": {"kuma.io/service": "web-admin"}}]}])
    assert got["web-redis-vm-0"]["services"] == ["web", "web-admin"]
    assert ok([{"service": "web"}])["web-redis-vm-0"]["services"] == ["web"]


def test_sidecar_settings_override_the_role_defaults():
    got = ok([{"service": "web", "mesh": "prod", "address": "10.0.0.9", "advertised_address": "1.2.3.4",
               "inbound": [{"port": 8000, "service_port": 80, "service_address": "10.0.0.9"}]}], mesh="other", service_address="127.0.0.2")
    inst = got["web-redis-vm-0"]
    assert (inst["mesh"], inst["address"], inst["advertised_address"]) == ("prod", "10.0.0.9", "1.2.3.4")
    assert inst["inbound"][0]["service_address"] == "10.0.0.9"
    assert ok([{"service": "web", "inbound": [{"port": 8000}]}], service_address="127.0.0.2")[
        "web-redis-vm-0"]["inbound"][0]["service_address"] == "127.0.0.2"


@pytest.mark.parametrize("empty,managed", [(None, False), ("", False), ([], True)])
def test_no_sidecars_plan_nothing(empty, managed):
    assert plan(empty) == {"instances": [], "errors": [], "transparent": [], "exclude_inbound_ports": [],
                           "zone_proxies": [], "zone": "", "sidecars_managed": managed,
                           "zone_proxies_managed": False, "prune_types": ["dataplane"] if managed else []}


def test_a_list_is_required():
    assert plan({"service": "web"})["errors"] == ["kuma_sidecars: must be a list of sidecars, got {'service': 'web'}"]


def test_the_host_is_required():
    with pytest.raises(AnsibleFilterError, match="host"):
        sidecar_plan([], "")


def test_sidecar_dataplanes_keeps_the_dataplane_fields_only():
    items = sidecar_dataplanes(plan([REDIS])["instances"])
    assert len(items) == 6 and set(items[0]) == set(DATAPLANE_FIELDS)
    assert "readiness_port" not in items[0]


def test_the_filters_are_registered():
    filters = {"sidecar_plan", "sidecar_dataplanes", "sidecar_proxies", "sidecar_tokens", "sidecar_metrics_policies"}
    assert set(FilterModule().filters()) == filters


def test_sidecar_tokens_carries_the_services_and_the_token_in_hand():
    from ansible_collections.kuma.universal.plugins.filter.sidecar_plan import sidecar_tokens
    instances = plan([{"service": "web", "replicas": 2, "inbound": [{"port": 8000}]}])["instances"]
    got = sidecar_tokens(instances, {"web-redis-vm-1": "a.b.c"})
    assert got == [{"name": "web-redis-vm-0", "mesh": "default", "tags": {"kuma.io/service": ["web"]}},
                   {"name": "web-redis-vm-1", "mesh": "default", "tags": {"kuma.io/service": ["web"]},
                    "current_token": "a.b.c"}]


def test_sidecar_proxies_carries_only_issued_tokens():
    from ansible_collections.kuma.universal.plugins.filter.sidecar_plan import sidecar_proxies
    instances = plan([{"service": "web", "replicas": 2}])["instances"]
    got = sidecar_proxies(instances, [{"name": "web-redis-vm-0", "changed": True, "token": "new.t.k"},
                                      {"name": "web-redis-vm-1", "changed": False}])
    assert got == [{"name": "web-redis-vm-0", "mesh": "default", "readiness_port": 9902,
                    "description": "web replica 0 in mesh default", "token": "new.t.k"},
                   {"name": "web-redis-vm-1", "mesh": "default", "readiness_port": 9903,
                    "description": "web replica 1 in mesh default"}]
    # Check mode: the token module returns "" for a token it would issue.
    assert "token" not in sidecar_proxies(instances, [{"name": "web-redis-vm-0", "changed": True, "token": ""}])[0]


# -- transparent: true ------------------------------------------------------------------------
BACKEND_TP = {"service": "backend", "transparent": True, "inbound": [{"port": 8000, "service_port": 80}]}
EXPLICIT = {"service": "web", "inbound": [{"port": 9001, "service_port": 8081}], "admin_port": 9100,
            "outbound": [{"port": 10000, "service": "redis"}]}


def test_a_transparent_sidecar_gets_transparent_proxying_and_no_outbound():
    result = plan([BACKEND_TP])
    assert result["errors"] == []
    inst = result["instances"][0]
    assert inst["transparent"] is True and inst["outbound"] == []
    assert inst["transparent_proxying"] == {"redirect_port_inbound": 15006, "redirect_port_outbound": 15001}
    assert result["transparent"] == ["backend-redis-vm-0"]
    assert sidecar_dataplanes(result["instances"])[0]["transparent_proxying"] == inst["transparent_proxying"]


def test_the_redirect_ports_are_settings_and_taken_on_the_host():
    inst = ok([BACKEND_TP], redirect_port_inbound=16006, redirect_port_outbound=16001)["backend-redis-vm-0"]
    assert inst["transparent_proxying"] == {"redirect_port_inbound": 16006, "redirect_port_outbound": 16001}
    clash = dict(EXPLICIT, inbound=[{"port": 15001, "service_port": 8081}])
    assert any("port 15001 collides" in e for e in errors([BACKEND_TP, clash]))


def test_explicit_sidecars_are_not_transparent():
    result = plan([EXPLICIT, dict(EXPLICIT, service="api", transparent=False, inbound=[{"port": 9002}],
                                  admin_port=9101, outbound=[{"port": 10001, "service": "redis"}])])
    assert result["errors"] == [] and result["transparent"] == [] and result["exclude_inbound_ports"] == []
    assert all(i["transparent_proxying"] is None and not i["transparent"] for i in result["instances"])


def test_a_mixed_host_excludes_the_explicit_replicas_ports_from_the_redirect():
    result = plan([BACKEND_TP, dict(EXPLICIT, replicas=2)], metrics_port_base=5670)
    assert result["errors"] == []
    names = [i["name"] for i in result["instances"]]
    assert names == ["backend-redis-vm-0", "web-redis-vm-0", "web-redis-vm-1"]
    # inbound 9001/9002 and admin 9100/9101 of the explicit replicas, readiness 9902-9904 and metrics 5670-5672 of all;
    # not the transparent inbound 8000 (the redirect serves it) nor any service port.
    assert result["exclude_inbound_ports"] == [5670, 5671, 5672, 9001, 9002, 9100, 9101, 9902, 9903, 9904]


def test_the_transparent_replica_gets_the_kuma_dp_flag_in_its_own_env():
    from ansible_collections.kuma.universal.plugins.filter.sidecar_plan import sidecar_proxies
    got = sidecar_proxies(plan([BACKEND_TP, EXPLICIT])["instances"])
    assert got[0]["env"] == {"KUMA_DP_ARGS": "--transparent-proxy-config /etc/kuma/transparent-proxy.yaml"}
    assert "env" not in got[1]
    other = sidecar_proxies(plan([BACKEND_TP])["instances"], transparent_config="/srv/tp.yaml")
    assert other[0]["env"]["KUMA_DP_ARGS"] == "--transparent-proxy-config /srv/tp.yaml"


def test_the_transparent_replica_is_one_of_the_wanted_proxies_never_pruned():
    from ansible_collections.kuma.universal.plugins.filter.sidecar_plan import sidecar_proxies
    names = [p["name"] for p in sidecar_proxies(plan([EXPLICIT, BACKEND_TP])["instances"])]
    assert names == ["web-redis-vm-0", "backend-redis-vm-0"]


def test_reachable_services_of_a_transparent_sidecar_go_into_its_dataplane():
    inst = ok([dict(BACKEND_TP, reachable_services=["redis", "cache", "redis"])])["backend-redis-vm-0"]
    assert inst["transparent_proxying"] == {"redirect_port_inbound": 15006, "redirect_port_outbound": 15001,
                                            "reachable_services": ["cache", "redis"]}
    # none declared: no reachable list (every service, as control_plane_restrict_outbound leaves it)
    assert "reachable_services" not in ok([dict(BACKEND_TP, reachable_services=[])])["backend-redis-vm-0"][
        "transparent_proxying"]


def test_transparent_from_an_ini_inventory_is_a_string():
    assert ok([dict(BACKEND_TP, transparent="true")])["backend-redis-vm-0"]["transparent"] is True
    assert ok([dict(BACKEND_TP, transparent="no")])["backend-redis-vm-0"]["transparent"] is False


@pytest.mark.parametrize("sidecars, field, message", [
    ([dict(BACKEND_TP, outbound=[{"port": 10000, "service": "redis"}])], "kuma_sidecars[0].transparent",
     "takes no outbound"),
    ([dict(BACKEND_TP, replicas=2)], "kuma_sidecars[0].transparent", "at most one transparent"),
    ([EXPLICIT, BACKEND_TP, dict(BACKEND_TP, service="api", inbound=[{"port": 8001}])], "kuma_sidecars[2].transparent",
     "kuma_sidecars[1] is transparent already"),
    ([dict(BACKEND_TP, transparent=1)], "kuma_sidecars[0].transparent", "must be true or false"),
    ([dict(EXPLICIT, reachable_services=["redis"])], "kuma_sidecars[0].reachable_services",
     "only a transparent sidecar takes it"),
    ([dict(BACKEND_TP, reachable_services="redis")], "kuma_sidecars[0].reachable_services",
     "must be a list of service names"),
])
def test_transparent_refusals_name_the_field(sidecars, field, message):
    found = [e for e in errors(sidecars) if e.startswith(field)]
    assert found and message in found[0], errors(sidecars)


def test_a_transparent_sidecar_scaled_to_zero_leaves_room_for_another():
    result = plan([dict(BACKEND_TP, replicas=0), dict(BACKEND_TP, service="api", inbound=[{"port": 8001}])])
    assert result["errors"] == [] and result["transparent"] == ["api-redis-vm-0"]


# -- zone proxies (multizone) ------------------------------------------------------------------
ZREDIS = [{"service": "redis", "inbound": [{"port": 9000, "service_port": 6379}]}]


def test_zone_proxies_get_their_entity_default_ports_and_readiness_ports():
    result = plan(ZREDIS, zone="zone-2", zone_proxies=[
        {"type": "ingress", "advertised_address": "203.0.113.5", "advertised_port": 30001},
        {"type": "egress", "admin_port": 9950}])
    assert result["errors"] == []
    ingress, egress = result["zone_proxies"]
    assert ingress == {"name": "zone-ingress-redis-vm", "type": "ingress", "readiness_port": 9903,
                       "resource": {"type": "ZoneIngress", "name": "zone-ingress-redis-vm", "networking": {
                           "address": ADDRESS, "port": 10001, "advertisedAddress": "203.0.113.5",
                           "advertisedPort": 30001}}}
    assert egress["resource"] == {"type": "ZoneEgress", "name": "zone-egress-redis-vm",
                                  "networking": {"address": ADDRESS, "port": 10002, "admin": {"port": 9950}}}
    assert egress["readiness_port"] == 9904  # after the sidecar's 9902 and the ingress's 9903
    # An ingress advertises its own address and port unless told otherwise.
    [alone] = plan([], zone="zone-2", zone_proxies=[{"type": "ingress"}])["zone_proxies"]
    assert alone["resource"]["networking"]["advertisedAddress"] == ADDRESS
    assert alone["resource"]["networking"]["advertisedPort"] == 10001


def test_zone_proxies_become_dataplane_proxies_items_with_their_tokens():
    result = plan(ZREDIS, zone="zone-2", zone_proxies=[{"type": "ingress"}])
    items = FilterModule().filters()["sidecar_proxies"](
        result["instances"], [{"name": "zone-ingress-redis-vm", "token": "z.t.k"}], zone_proxies=result["zone_proxies"])
    assert [i["name"] for i in items] == ["redis-redis-vm-0", "zone-ingress-redis-vm"]
    assert items[1] == {"name": "zone-ingress-redis-vm", "readiness_port": 9903, "proxy_type": "ingress",
                        "resource": result["zone_proxies"][0]["resource"], "description": "zone ingress",
                        "token": "z.t.k"}


@pytest.mark.parametrize("zone_proxies, zone, message", [
    ([{"type": "ingress"}], "", "kuma_zone_proxies: a zone ingress or egress runs in a zone: set kuma_zone on redis-vm"),
    ([{"type": "gateway"}], "z", "kuma_zone_proxies[0].type: 'gateway'; give ingress or egress"),
    ([{"type": "ingress", "colour": "red"}], "z", "kuma_zone_proxies[0].colour: unknown field"),
    ([{"type": "egress", "advertised_port": 1}], "z", "kuma_zone_proxies[0].advertised_port: a zone egress is not"),
    ([{"type": "ingress", "port": "x"}], "z", "kuma_zone_proxies[0].port: the ZoneIngress port must be an integer"),
    ([{"type": "ingress", "port": 9000}], "z", "port 9000 collides on redis-vm: zone-ingress-redis-vm ZoneIngress port"),
    ([{"type": "ingress"}, {"type": "ingress"}], "z", "kuma_zone_proxies[1]: the name zone-ingress-redis-vm is given twice"),
    ([{"type": "ingress", "name": "redis-redis-vm-0"}], "z", "the name redis-redis-vm-0 is given twice"),
    ({"type": "ingress"}, "z", "kuma_zone_proxies: must be a list"),
])
def test_zone_proxy_refusals_name_the_field(zone_proxies, zone, message):
    result = plan(ZREDIS, zone=zone, zone_proxies=zone_proxies)
    assert any(message in e for e in result["errors"]), result["errors"]


def test_a_zone_proxy_of_a_bad_mesh_is_named_before_any_change():
    result = plan([], zone="z", zone_proxies=[{"type": "ingress", "mesh": "Bad_Mesh"}], kuma_version="3.0.1")
    assert len(result["errors"]) == 1 and result["instances"] == []
    assert result["errors"][0].startswith("kuma_zone_proxies[0] (zone-ingress-redis-vm): mesh")


@pytest.mark.parametrize("form,version,error", [
    ("other", "2.14.3", "sidecar_zone_proxy_form: 'other'; allowed: auto, zone_proxy, listeners"),
    ("zone_proxy", "3.0.1", "sidecar_zone_proxy_form: zone_proxy on Kuma 3.0.1: Kuma 3 removed the ZoneIngress and "
                            "ZoneEgress entities; give listeners (a Dataplane with a zone-proxy listener, the default "
                            "on Kuma 3)"),
    ("listeners", "2.14.3", "sidecar_zone_proxy_form: listeners on Kuma 2.14.3: Kuma 2 routes traffic between zones "
                            "through ZoneIngress and ZoneEgress entities only (a zone proxy of the form listeners gets "
                            "none); give zone_proxy, or auto, until the zone runs Kuma 3"),
])
def test_a_zone_proxy_form_the_version_lacks_is_refused(form, version, error):
    result = plan([], zone="z", zone_proxies=[{"type": "ingress"}], zone_proxy_form=form, kuma_version=version)
    assert result["errors"] == [error]
    assert result["instances"] == [] and result["zone_proxies"] == []


@pytest.mark.parametrize("version,form", [("2.14.3", "auto"), ("3.0.0-dev.348b6528", "auto"), ("3.0.1", "listeners")])
def test_zone_proxies_as_dataplane_listeners(version, form):
    """Kuma 3: each zone proxy a Dataplane of its mesh with one listener, planned
    as an instance; the ingress with the address other zones reach it at (its MeshZoneAddress)."""
    result = plan([{"service": "web", "inbound": [{"port": 9000}]}], zone="zone-1", kuma_version=version,
                  zone_proxy_form=form, zone_proxies=[{"type": "ingress", "advertised_address": "203.0.113.7",
                                                       "advertised_port": 30001},
                                                      {"type": "egress", "mesh": "payments", "port": 10012}])
    if version.startswith("2.") and form == "auto":
        assert result["errors"] == ["kuma_zone_proxies[1].mesh: a Kuma 2 zone proxy (sidecar_zone_proxy_form "
                                    "zone_proxy) serves every mesh; a mesh is given with the form listeners (one zone "
                                    "proxy per mesh)"]
        assert [z["name"] for z in result["zone_proxies"]] == ["zone-ingress-redis-vm"]  # Kuma 2's own form
        return
    assert result["errors"] == [] and result["zone_proxies"] == []
    _web, ingress, egress = result["instances"]
    assert ingress["listeners"] == [{"type": "ZoneIngress", "address": ADDRESS, "port": 10001, "name": "ingress"}]
    assert ingress["zone_address"] == {"address": "203.0.113.7", "port": 30001}
    assert ingress["labels"] == {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "redis-vm",
                                 "kuma.universal/zone-proxy": "ingress", "kuma.universal/service": "zone-ingress"}
    assert (ingress["inbound"], ingress["services"], ingress["mesh"]) == ([], [], "default")
    assert egress["listeners"][0]["type"] == "ZoneEgress" and egress["zone_address"] is None
    assert egress["mesh"] == "payments" and egress["zone_proxy"] == "egress"
    assert result["zone_proxies_managed"] and set(result["prune_types"]) == {"dataplane", "ingress", "egress"}
    # registered like a sidecar: the dataplanes items, a token without tags, a kuma-dp env naming its kind
    dataplanes = sidecar_dataplanes(result["instances"])
    assert dataplanes[1]["listeners"] == ingress["listeners"]
    assert sidecar_tokens(result["instances"])[1] == {"name": "zone-ingress-redis-vm", "mesh": "default", "tags": {}}
    item = sidecar_proxies(result["instances"])[2]
    assert item["env"] == {"ZONE_PROXY_LISTENER": "egress"} and item["description"] == "zone egress in mesh payments"


def test_a_transparent_host_does_not_redirect_its_zone_proxy_ports():
    result = plan([{"service": "web", "transparent": True, "inbound": [{"port": 8080}]}], zone="z",
                  zone_proxies=[{"type": "ingress"}])
    assert result["errors"] == []
    assert {10001, result["zone_proxies"][0]["readiness_port"]} <= set(result["exclude_inbound_ports"])


def test_zone_tokens_from_the_zone_token_loop_only_when_issued():
    result = plan([], zone="zone-2", zone_proxies=[{"type": "ingress"}, {"type": "egress"}])
    loop = [{"item": result["zone_proxies"][0], "changed": True, "token": "new.zone.token"},
            {"item": result["zone_proxies"][1], "changed": False, "token": "kept.zone.token"}]
    items = FilterModule().filters()["sidecar_proxies"]([], zone_proxies=result["zone_proxies"], zone_tokens=loop)
    assert items[0]["token"] == "new.zone.token" and "token" not in items[1]
