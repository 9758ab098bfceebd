# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Dataplane model: legacy translation, validation messages, normalisation, diff."""

from __future__ import annotations

import pytest

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError
from ansible_collections.kuma.universal.plugins.module_utils._compare import field_diff
from ansible_collections.kuma.universal.plugins.module_utils._dataplane import build_dataplane, managed_fields_of

REDIS_LEGACY = {"name": "redis-1",
                "inbound": [{"interface": "192.168.0.1:9000:6379", "tags": {"service": "redis", "version": "5.0"}}]}
REDIS_NEW = {"name": "redis-1", "address": "192.168.0.1",
             "inbound": [{"port": 9000, "service_port": 6379, "service_address": "127.0.0.1",
                          "tags": {"kuma.io/service": "redis", "version": "5.0"}}]}
BACKEND_LEGACY = {"name": "backend-1", "inbound": [{"interface": "192.168.0.2:8000:80", "tags": {"service": "backend"}}],
                  "outbound": [{"interface": ":10000", "service": "redis"}]}
BACKEND_NEW = {"name": "backend-1", "address": "192.168.0.2",
               "inbound": [{"port": 8000, "service_port": 80, "service_address": "127.0.0.1",
                            "tags": {"kuma.io/service": "backend"}}],
               "outbound": [{"port": 10000, "service": "redis"}]}


def build(**params):
    params.setdefault("mesh", "default")
    return build_dataplane(params)


def errors_of(**params):
    with pytest.raises(KumaInputError) as info:
        build(**params)
    return info.value.errors


# -- legacy translation ------------------------------------------------------------------
def test_redis_legacy_translates_to_todays_entity():
    dp = build(**REDIS_LEGACY)
    assert dp.to_kuma() == {
        "type": "Dataplane", "mesh": "default", "name": "redis-1",
        "networking": {"address": "192.168.0.1", "inbound": [{
            "port": 9000, "servicePort": 6379, "serviceAddress": "127.0.0.1",
            "tags": {"kuma.io/service": "redis", "version": "5.0"}}]},
    }
    assert dp.translations == [
        "inbound[0]: interface '192.168.0.1:9000:6379' -> port 9000, service_port 6379, "
        "service_address 127.0.0.1 (the app on loopback)",
        "inbound[0].tags: tag 'service: redis' -> 'kuma.io/service: redis' (renamed in Kuma 0.7)",
        "address: 192.168.0.1, taken from the first legacy inbound interface",
    ]


def test_both_syntaxes_give_the_same_entity():
    assert build(**REDIS_LEGACY).to_kuma() == build(**REDIS_NEW).to_kuma()
    assert build(**BACKEND_LEGACY).to_kuma() == build(**BACKEND_NEW).to_kuma()
    assert build(**REDIS_NEW).translations == []


def test_backend_outbound_legacy():
    dp = build(**BACKEND_LEGACY)
    assert dp.to_kuma()["networking"]["outbound"] == [
        {"port": 10000, "address": "127.0.0.1", "tags": {"kuma.io/service": "redis"}}]
    assert "outbound[0]: interface ':10000' -> address 127.0.0.1, port 10000" in dp.translations
    assert "outbound[0]: service 'redis' -> tags {kuma.io/service: redis}" in dp.translations


def test_legacy_outbound_with_ip_and_ipv6_inbound():
    dp = build(name="x", inbound=[{"interface": "[fd00::1]:9000:6379", "tags": {"service": "a"}}],
               outbound=[{"interface": "127.0.0.2:10000", "service": "redis"}])
    body = dp.to_kuma()
    assert body["networking"]["address"] == "fd00::1"
    assert body["networking"]["outbound"][0]["address"] == "127.0.0.2"


def test_legacy_interface_ip_other_than_address_is_kept_on_the_inbound():
    dp = build(name="x", address="10.0.0.1", inbound=[{"interface": "10.0.0.2:9000:6379", "tags": {"service": "a"}}])
    assert dp.to_kuma()["networking"]["inbound"][0]["address"] == "10.0.0.2"
    assert any("differs from address" in t for t in dp.translations)


def test_legacy_service_tag_on_outbound_tags():
    dp = build(name="x", address="10.0.0.1", inbound=[{"port": 1, "service_port": 2, "tags": {"service": "a"}}],
               outbound=[{"port": 10000, "tags": {"service": "redis", "version": "7"}}])
    assert dp.to_kuma()["networking"]["outbound"][0]["tags"] == {"kuma.io/service": "redis", "version": "7"}


# -- validation: one message each ---------------------------------------------------------
BASE = {"name": "web-1", "address": "10.0.0.1"}
INB = {"port": 9000, "service_port": 8080, "tags": {"kuma.io/service": "web"}}


@pytest.mark.parametrize("params, message", [
    ({"inbound": [dict(INB, servce_port=1)]},
     "inbound[0].servce_port: unknown field (did you mean 'service_port'?); allowed: address, interface, name, "
     "port, protocol, service_address, service_port, service_probe, state, tags"),
    ({"inbound": [INB, INB, {"port": 1, "service_port": 2, "tags": {"version": "1"}}]},
     "inbound[2].tags: missing the mandatory tag kuma.io/service (or legacy 'service')"),
    ({"inbound": [{"port": 9000}]}, "inbound[0].tags: missing; every inbound needs the tag kuma.io/service "
                                    "(or legacy 'service')"),
    ({"inbound": [dict(INB, port=70000)]}, "inbound[0].port: port must be in the range [1, 65535], got 70000"),
    ({"inbound": [dict(INB, port=0)]}, "inbound[0].port: port must be in the range [1, 65535], got 0"),
    ({"inbound": [dict(INB, port="abc")]}, "inbound[0].port: must be a port in the range [1, 65535], got 'abc'"),
    ({"inbound": [dict(INB, service_port=65536)]},
     "inbound[0].service_port: port must be in the range [1, 65535], got 65536"),
    ({"inbound": [INB, dict(INB, service_port=8081)]}, "inbound[1].port: 10.0.0.1:9000 is already used by inbound[0]"),
    ({"inbound": [INB], "outbound": [{"port": 10000, "service": "a"}, {"port": 10000, "service": "b"}]},
     "outbound[1].port: 127.0.0.1:10000 is already used by outbound[0]"),
    ({"inbound": [INB], "admin_port": 9000}, "admin_port: 9000 must differ from inbound[0].port"),
    ({"inbound": [INB], "outbound": [{"port": 9901, "service": "a"}], "admin_port": 9901},
     "admin_port: 9901 must differ from outbound[0].port"),
    ({"inbound": [dict(INB, tags={"kuma.io/service": "web", "team": "a b"})]},
     "inbound[0].tags['team']: tag value 'a b' must consist of letters, digits and . - _ : (no '/' or spaces)"),
    ({"inbound": [dict(INB, tags={"kuma.io/service": "web/x"})]},
     "inbound[0].tags['kuma.io/service']: tag value 'web/x' must consist of letters, digits and . - _ : "
     "(no '/' or spaces)"),
    ({"inbound": [dict(INB, tags={"kuma.io/service": "web", "bad name": "x"})]},
     "inbound[0].tags['bad name']: tag name must consist of letters, digits and . - _ : /"),
    ({"inbound": [dict(INB, tags={"kuma.io/service": "web", "kuma.io/protocol": "udp"})]},
     "inbound[0].tags['kuma.io/protocol']: invalid value 'udp'; allowed: grpc, http, http2, kafka, tcp"),
    ({"inbound": [{"interface": "10.0.0.1:9000", "tags": {"service": "a"}}]},
     "inbound[0].interface: malformed legacy interface '10.0.0.1:9000'; expected 'IP:DATAPLANE_PORT:SERVICE_PORT', "
     "e.g. '192.168.0.1:9000:6379'"),
    ({"inbound": [{"interface": "nohost:9000:80", "tags": {"service": "a"}}]},
     "inbound[0].interface: malformed legacy interface 'nohost:9000:80'; expected 'IP:DATAPLANE_PORT:SERVICE_PORT', "
     "e.g. '192.168.0.1:9000:6379'"),
    ({"inbound": [INB], "outbound": [{"interface": "10000", "service": "a"}]},
     "outbound[0].interface: malformed legacy interface '10000'; expected '[IP]:PORT', e.g. ':10000' or "
     "'127.0.0.1:10000'"),
    ({"inbound": [{"interface": "10.0.0.1:9000:80", "port": 9000, "tags": {"service": "a"}}]},
     "inbound[0]: the legacy 'interface' cannot be combined with port on one item; use either 'interface' or "
     "today's fields"),
    ({"inbound": [INB], "outbound": [{"interface": ":10000", "port": 10000, "service": "a"}]},
     "outbound[0]: the legacy 'interface' cannot be combined with port on one item; use either 'interface' or "
     "today's fields"),
    ({"inbound": [dict(INB, tags={"kuma.io/service": "web", "service": "web"})]},
     "inbound[0].tags: both 'service' (legacy) and 'kuma.io/service' given; keep only 'kuma.io/service'"),
    ({"inbound": [INB], "outbound": [{"port": 10000}]},
     "outbound[0]: give the target: service, tags (with kuma.io/service) or backend_ref"),
    ({"inbound": [INB], "outbound": [{"port": 10000, "service": "a", "tags": {"kuma.io/service": "a"}}]},
     "outbound[0]: give only one of service, tags, backend_ref (got service, tags)"),
    ({"inbound": [INB], "outbound": [{"port": 10000, "backend_ref": {"kind": "MeshService", "port": 80}}]},
     "outbound[0].backend_ref: either 'name' or 'labels' should be specified"),
    ({"inbound": [INB], "outbound": [{"port": 10000, "backend_ref": {"kind": "Service", "name": "a", "port": 1}}]},
     "outbound[0].backend_ref.kind: invalid value 'Service'; allowed: MeshExternalService, MeshMultiZoneService, "
     "MeshService"),
    ({"address": None, "inbound": [INB]},
     "address: required (the IP or host name that other proxies use to reach this one); or give a legacy inbound "
     "'interface: IP:DP_PORT:SERVICE_PORT'"),
    ({"address": "0.0.0.0", "inbound": [INB]}, "address: must not be 0.0.0.0 or ::"),
    ({"address": "bad_host!", "inbound": [INB]}, "address: 'bad_host!' is not a valid IP address or domain name"),
    ({"inbound": [dict(INB, service_address="localhost")]},
     "inbound[0].service_address: 'localhost' is not a valid IP address"),
    ({"inbound": [{"port": 9000, "service_address": "10.0.0.1", "tags": {"kuma.io/service": "web"}}]},
     "inbound[0]: service_address:service_port (10.0.0.1:9000) has to differ from the inbound's address:port; "
     "set another service_port or service_address"),
    ({"inbound": [{"port": 9000, "service_port": 9000, "address": "10.0.0.2", "service_address": "10.0.0.2",
                   "tags": {"kuma.io/service": "web"}}]},
     "inbound[0]: service_address:service_port (10.0.0.2:9000) has to differ from the inbound's address:port; "
     "set another service_port or service_address"),
    ({"name": "Web_1", "inbound": [INB]},
     "name: 'Web_1' must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; at most 253 characters)"),
    ({"mesh": "My Mesh", "inbound": [INB]}, "mesh: 'My Mesh' may only hold lowercase letters, digits, '-', '_' and '.'"),
    ({"inbound": [INB], "transparent_proxying": {"redirect_port_inbund": 15006}},
     "transparent_proxying.redirect_port_inbund: unknown field (did you mean 'redirect_port_inbound'?); allowed: "
     "direct_access_services, ip_family_mode, reachable_backends, reachable_services, redirect_port_inbound, "
     "redirect_port_outbound"),
    ({"inbound": [INB], "metrics": {"type": "statsd"}}, "metrics.type: invalid value 'statsd'; allowed: prometheus"),
    ({"inbound": [dict(INB, service_probe={"interval": "often"})]},
     "inbound[0].service_probe.interval: must be a positive Go duration such as '10s' or '1m', got 'often'"),
    ({"inbound": [INB], "gateway": {"type": "BUILTIN", "tags": {"kuma.io/service": "gw"}}},
     "inbound: cannot be defined for builtin gateways"),
    ({"inbound": [INB], "labels": {"kuma.io/zone": "x"}},
     "labels: kuma.io/zone: the kuma.io/ prefix belongs to the control plane"),
    ({"inbound": ["9000"]}, "inbound[0]: must be a dictionary, got '9000'"),
])
def test_validation_messages(params, message):
    merged = dict(BASE)
    merged.update(params)
    assert message in errors_of(**merged)


def test_every_problem_is_reported_at_once():
    errors = errors_of(name="x", address="10.0.0.1",
                       inbound=[{"port": 0, "tags": {"version": "1"}},
                                {"prot": 1, "port": 2, "service_port": 3, "tags": {"service": "a"}}])
    assert len(errors) == 3
    assert KumaInputError(errors).message.startswith("Invalid input (3 problems): ")


def test_absent_fields_are_not_sent_and_camel_case_is_accepted_in_nested_structures():
    dp = build(name="x", address="10.0.0.1", inbound=[dict(INB, service_probe={"healthyThreshold": 2, "timeout": "2s"})],
               transparent_proxying={"redirectPortInbound": 15006, "redirect_port_outbound": 15001,
                                     "reachable_services": ["b", "a", "a"]},
               probes={"port": 9000 + 1, "endpoints": [{"inbound_port": 9000, "inbound_path": "/h", "path": "/p"}]})
    body = dp.to_kuma()
    assert body["networking"]["inbound"][0]["serviceProbe"] == {"healthyThreshold": 2, "timeout": "2s"}
    assert body["networking"]["transparentProxying"] == {"redirectPortInbound": 15006, "redirectPortOutbound": 15001,
                                                         "reachableServices": ["a", "b"]}
    assert body["probes"] == {"port": 9001, "endpoints": [{"inboundPort": 9000, "inboundPath": "/h", "path": "/p"}]}
    assert "labels" not in body and "metrics" not in body


def test_normalisation_of_values():
    dp = build(name="x", address="10.0.0.1", admin_port="9901",
               inbound=[{"port": "9000", "service_port": 80,
                         "tags": {"kuma.io/service": "a", "version": 7, "canary": True}}],
               gateway=None, metrics={"conf": {"port": 5670}})
    body = dp.to_kuma()
    assert body["networking"]["admin"] == {"port": 9901}
    assert body["networking"]["inbound"][0]["port"] == 9000
    assert body["networking"]["inbound"][0]["tags"] == {"kuma.io/service": "a", "version": "7", "canary": "true"}
    assert body["metrics"] == {"type": "prometheus", "conf": {"port": 5670}}


def test_transparent_proxy_inbound_is_the_apps_own_port():
    dp = build(name="x", address="10.0.0.1", inbound=[{"port": 8080, "tags": {"kuma.io/service": "web"}}],
               transparent_proxying={"redirect_port_inbound": 15006, "redirect_port_outbound": 15001})
    assert dp.to_kuma()["networking"]["inbound"] == [{"port": 8080, "tags": {"kuma.io/service": "web"}}]


# -- compare ------------------------------------------------------------------------------
def cp_view(body):
    """What kuma-cp answers for a body we sent."""
    import copy
    stored = copy.deepcopy(body)
    stored.update(creationTime="t", modificationTime="t", kri="kri_dp_x")
    stored.setdefault("labels", {}).update({"kuma.io/mesh": "default", "kuma.io/zone": "default"})
    for inbound in stored["networking"].get("inbound", []):
        inbound["tags"]["kuma.io/zone"] = "default"
        inbound["health"] = {"ready": True}
    return stored


def test_cp_additions_are_not_changes():
    dp = build(**dict(BACKEND_NEW, labels={"team": "a"}))
    current = managed_fields_of(cp_view(dp.to_kuma()), True)
    changed, before, after = field_diff(dp.managed_fields(), current)
    assert changed == [] and before == {} and after == {}


def test_order_of_inbounds_and_outbounds_does_not_matter():
    two = dict(BASE, inbound=[INB, dict(INB, port=9001, tags={"kuma.io/service": "web2"})],
               outbound=[{"port": 10000, "service": "a"}, {"port": 10001, "service": "b"}])
    swapped = {**two, "inbound": list(reversed(two["inbound"])), "outbound": list(reversed(two["outbound"]))}
    current = managed_fields_of(cp_view(build(**two).to_kuma()), False)
    assert field_diff(build(**swapped).managed_fields(), current)[0] == []


def test_diff_shows_only_what_changed():
    old = build(**REDIS_NEW)
    new_tags = {"kuma.io/service": "redis", "version": "7.0"}
    new_params = {**REDIS_NEW, "inbound": [{**REDIS_NEW["inbound"][0], "tags": new_tags}]}
    current = managed_fields_of(cp_view(old.to_kuma()), False)
    changed, before, after = field_diff(build(**new_params).managed_fields(), current)
    assert changed == [("networking", "inbound")]
    assert before["networking"]["inbound"][0]["tags"] == {"kuma.io/service": "redis", "version": "5.0"}
    assert after["networking"]["inbound"][0]["tags"] == {"kuma.io/service": "redis", "version": "7.0"}
    assert set(before) == {"networking"} and set(before["networking"]) == {"inbound"}


def test_removed_admin_port_is_a_change_and_unmanaged_labels_are_kept():
    with_admin = build(**dict(REDIS_NEW, admin_port=9901))
    current_entity = cp_view(dict(with_admin.to_kuma(), labels={"owner": "ops"}))
    plain = build(**REDIS_NEW)  # labels not given: not managed
    changed, before, after = field_diff(plain.managed_fields(), managed_fields_of(current_entity, False))
    assert changed == [("networking", "admin")]
    assert before == {"networking": {"admin": {"port": 9901}}} and after == {}
    assert plain.build_body(current_entity)["labels"] == {"owner": "ops"}


def test_labels_are_compared_without_cp_labels():
    dp = build(**dict(REDIS_NEW, labels={"kuma.universal/managed-by": "ansible"}))
    current = managed_fields_of(cp_view(dict(dp.to_kuma(), labels={"kuma.universal/managed-by": "other"})), True)
    changed, before, after = field_diff(dp.managed_fields(), current)
    assert changed == [("labels",)]
    assert before == {"labels": {"kuma.universal/managed-by": "other"}}


def test_delegated_gateway_type_omitted_by_the_cp_is_no_change():
    dp = build(name="gw-1", address="10.0.0.1", gateway={"type": "delegated", "tags": {"kuma.io/service": "gw"}})
    assert dp.to_kuma()["networking"]["gateway"] == {"type": "DELEGATED", "tags": {"kuma.io/service": "gw"}}
    current = {"networking": {"address": "10.0.0.1",
                              "gateway": {"tags": {"kuma.io/service": "gw", "kuma.io/zone": "default"}}}}
    assert field_diff(dp.managed_fields(), managed_fields_of(current, False))[0] == []


def test_inbound_state_is_compared_only_where_the_task_sets_it():
    probe = {"interval": "1m", "timeout": "2s"}
    dp = build(name="x", address="10.0.0.1", inbound=[dict(INB, service_probe=probe)])
    current = cp_view(dp.to_kuma())
    current["networking"]["inbound"][0]["state"] = "NotReady"  # the CP's health view
    current["networking"]["inbound"][0]["serviceProbe"]["interval"] = "60s"
    assert field_diff(dp.managed_fields(), managed_fields_of(current, False, dp.state_ports()))[0] == []
    ignored = build(name="x", address="10.0.0.1", inbound=[dict(INB, service_probe=probe, state="Ignored")])
    changed, before, after = field_diff(ignored.managed_fields(),
                                        managed_fields_of(current, False, ignored.state_ports()))
    assert changed == [("networking", "inbound")]
    assert before["networking"]["inbound"][0]["state"] == "NotReady"
    assert after["networking"]["inbound"][0]["state"] == "Ignored"
