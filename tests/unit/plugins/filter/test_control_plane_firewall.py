# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""control_plane_firewall: each kuma-cp port open to the hosts that need it, from the inventory and the
operator's lists; an unknown address or an invalid source is a problem, never a silently closed port."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.control_plane_firewall import FilterModule, control_plane_firewall

PORTS = {"api_http": 5681, "api_https": 5682, "dp_server": 5678, "inter_cp": 5683, "kds": 5685, "diagnostics": 5680,
         "mads": 5676}
NO_SOURCES = {"api": [], "monitoring": [], "dataplanes": [], "zones": []}


def facts(address, **extra):
    return dict({"ansible_facts": {"default_ipv4": {"address": address}}}, **extra)


HOSTVARS = {
    "global": facts("10.0.0.1"),
    "cp-eu-1": facts("10.1.0.1", kuma_zone="eu"),
    "cp-eu-2": facts("10.1.0.2", kuma_zone="eu"),
    "cp-us": facts("10.2.0.1", kuma_zone="us"),
    "web-eu": facts("10.1.1.1", kuma_zone="eu", kuma_sidecars=[{"service": "web"}]),
    "web-us": facts("10.2.1.1", kuma_zone="us"),
    "prom": {"ansible_host": "10.9.0.9"},
    "nofacts": {"ansible_host": "nofacts.example.internal", "kuma_zone": "eu"},
}
CPS = ["cp-eu-1", "cp-eu-2", "cp-us"]


def sources(rules):
    return {r["name"]: r["sources"] for r in rules["ports"]}


def test_zone_cp_opens_dp_server_to_its_zone_and_inter_cp_to_its_peers():
    rules = control_plane_firewall(HOSTVARS, "cp-eu-1", "zone", "eu", ["cp-eu-1", "cp-eu-2"], CPS, ["web-eu", "web-us"],
                                   PORTS, NO_SOURCES)
    assert rules["problems"] == []
    assert sources(rules) == {"api_http": [], "api_https": [], "dp_server": ["10.1.1.1"], "inter_cp": ["10.1.0.2"],
                              "kds": [], "diagnostics": [], "mads": []}
    assert [r["port"] for r in rules["ports"]] == [5681, 5682, 5678, 5683, 5685, 5680, 5676]
    assert rules["loopback_ports"] == [5681, 5682]


def test_global_opens_kds_to_zone_cps_and_serves_no_proxies():
    rules = control_plane_firewall(HOSTVARS, "global", "global", "", ["global"], CPS, ["web-eu", "web-us"], PORTS,
                                   dict(NO_SOURCES, zones=["192.168.7.0/24"]))
    assert rules["problems"] == []
    assert sources(rules)["kds"] == ["10.1.0.1", "10.1.0.2", "10.2.0.1", "192.168.7.0/24"]
    assert sources(rules)["dp_server"] == []
    assert sources(rules)["inter_cp"] == []


def test_standalone_cp_opens_dp_server_to_every_dataplane_host():
    rules = control_plane_firewall(HOSTVARS, "global", "standalone", "", ["global"], ["global"], ["web-eu", "web-us"],
                                   PORTS, NO_SOURCES)
    assert sources(rules)["dp_server"] == ["10.1.1.1", "10.2.1.1"]


def test_operator_sources_are_addresses_networks_or_inventory_hosts_deduplicated():
    rules = control_plane_firewall(HOSTVARS, "cp-us", "zone", "us", ["cp-us"], CPS, ["web-us"], PORTS,
                                   {"api": ["10.3.0.0/16", "10.3.4.5"], "monitoring": ["prom", "10.9.0.9/32"],
                                    "dataplanes": ["10.2.1.1", "172.16.0.7/12"], "zones": []})
    assert rules["problems"] == []
    assert sources(rules)["api_http"] == ["10.3.0.0/16", "10.3.4.5"]  # auto-merge in the set makes them one range
    assert sources(rules)["diagnostics"] == sources(rules)["mads"] == ["10.9.0.9"]
    assert sources(rules)["dp_server"] == ["10.2.1.1", "172.16.0.0/12"]


def test_bad_sources_and_unknown_addresses_are_named():
    rules = control_plane_firewall(HOSTVARS, "cp-eu-1", "zone", "eu", ["cp-eu-1", "cp-eu-2"], CPS,
                                   ["web-eu", "nofacts"], PORTS,
                                   {"api": ["every-host"], "monitoring": ["fe80::1"], "dataplanes": "10.0.0.1",
                                    "zones": []})
    assert rules["problems"] == [
        "control_plane_firewall_api_sources: 'every-host' is neither an IPv4 address or network (10.0.0.0/8) nor an "
        "inventory host name",
        "control_plane_firewall_monitoring_sources: 'fe80::1' is neither an IPv4 address or network (10.0.0.0/8) nor an "
        "inventory host name",
        "control_plane_firewall_dataplanes_sources must be a list of IPv4 addresses, networks or inventory host names",
        "control_plane_firewall: no IPv4 address known for nofacts (data-plane host) (no facts gathered for it in this "
        "run and its ansible_host is not an IPv4 address): run without --limit, or list its address in "
        "control_plane_firewall_dataplanes_sources",
    ]
    # The host it could not place is not silently left out of an otherwise valid list.
    assert sources(rules)["dp_server"] == ["10.1.1.1"]


def test_a_cp_host_running_proxies_is_refused_unless_allowed():
    hostvars = dict(HOSTVARS, **{"cp-eu-1": facts("10.1.0.1", kuma_zone="eu", kuma_sidecars=[{"service": "x"}])})
    refused = control_plane_firewall(hostvars, "cp-eu-1", "zone", "eu", ["cp-eu-1"], CPS, [], PORTS, NO_SOURCES)
    assert len(refused["problems"]) == 1
    assert refused["problems"][0].startswith("control_plane_firewall: cp-eu-1 also runs proxies")
    assert refused["problems"][0].endswith("set control_plane_firewall_allow_proxies: true")
    allowed = control_plane_firewall(hostvars, "cp-eu-1", "zone", "eu", ["cp-eu-1"], CPS, [], PORTS, NO_SOURCES, True)
    assert allowed["problems"] == []


def test_two_settings_on_one_port_are_refused():
    rules = control_plane_firewall(HOSTVARS, "cp-us", "zone", "us", ["cp-us"], CPS, [], dict(PORTS, mads=5680),
                                   NO_SOURCES)
    assert rules["problems"] == ["control_plane_firewall: ports diagnostics and mads are both 5680"]


def test_input_is_checked_and_registered():
    with pytest.raises(AnsibleFilterError, match="ports and sources must be mappings"):
        control_plane_firewall(HOSTVARS, "cp-us", "zone", "us", [], CPS, [], PORTS, [])
    assert FilterModule().filters() == {"control_plane_firewall": control_plane_firewall}
