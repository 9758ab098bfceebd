# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller planning: who may reach each port of a control-plane host (the control_plane role's
opt-in nftables firewall, control_plane_firewall). Sources come from the inventory (data-plane hosts
of the zone, the other CPs of the store, the zone CPs of a global) and from the operator's lists."""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.zone_hosts import zone_hosts, zone_of

_SOURCE_LISTS = ("api", "monitoring", "dataplanes", "zones")


def _address(hostvars, host):
    """A host's IPv4 address as the CP sees its connections: its default IPv4 (facts), else an
    ansible_host that is an IPv4 address; None when neither is known."""
    try:
        vars_ = hostvars[host]
    except KeyError:
        return None
    facts = vars_.get("ansible_facts") or {}
    address = (facts.get("default_ipv4") or {}).get("address")
    if not address:
        address = vars_.get("ansible_host")
    try:
        return str(ipaddress.IPv4Address(str(address)))
    except (ipaddress.AddressValueError, ValueError):
        return None


def _source(hostvars, inventory_hosts, field, value, problems):
    """One operator-given source: an IPv4 address or network, or an inventory host name."""
    text = str(value).strip()
    if text in inventory_hosts:
        address = _address(hostvars, text)
        if address is None:
            problems.append("%s: no IPv4 address known for inventory host %s (no facts gathered for it in this run and "
                            "its ansible_host is not an IPv4 address): run without --limit, or give its address" % (field, text))
        return address
    try:
        return str(ipaddress.IPv4Network(text, strict=False))
    except ValueError:
        problems.append("%s: %r is neither an IPv4 address or network (10.0.0.0/8) nor an inventory host name" % (field, text))
        return None


def control_plane_firewall(hostvars, host, mode, zone, peers, control_planes, dataplane_hosts, ports, sources,
                           allow_proxies=False):
    """The filter: see plugins/filter/control_plane_firewall.yml."""
    if not isinstance(ports, dict) or not isinstance(sources, dict):
        raise AnsibleFilterError("kuma.universal.control_plane_firewall: ports and sources must be mappings")
    problems = []
    inventory_hosts = set(list(control_planes) + list(dataplane_hosts) + list(peers))
    try:
        inventory_hosts.update(hostvars.keys())
    except AttributeError:
        pass
    operator = {}
    for name in _SOURCE_LISTS:
        field = "control_plane_firewall_%s_sources" % name
        given = sources.get(name) or []
        if not isinstance(given, list):
            problems.append("%s must be a list of IPv4 addresses, networks or inventory host names" % field)
            given = []
        operator[name] = [s for s in (_source(hostvars, inventory_hosts, field, v, problems) for v in given) if s]

    def from_inventory(hosts, what):
        found = []
        for other in hosts:
            address = _address(hostvars, other)
            if address is None:
                problems.append("control_plane_firewall: no IPv4 address known for %s (%s) (no facts gathered for it in this "
                                "run and its ansible_host is not an IPv4 address): run without --limit, or list its address "
                                "in control_plane_firewall_%s_sources" % (other, what, "zones" if what == "zone CP" else "dataplanes"))
            else:
                found.append(address)
        return found

    if mode == "global":
        dataplanes = []
        zone_cps = from_inventory([h for h in control_planes if zone_of(hostvars, h)], "zone CP")
    else:
        dataplanes = from_inventory(zone_hosts(dataplane_hosts, hostvars, str(zone)) if mode == "zone" else dataplane_hosts,
                                    "data-plane host")
        zone_cps = []
    others = from_inventory([p for p in peers if p != host], "control plane of this store")

    try:
        proxies = hostvars[host].get("kuma_sidecars") or hostvars[host].get("kuma_zone_proxies")
    except KeyError:
        proxies = None
    if proxies and not allow_proxies:
        problems.append("control_plane_firewall: %s also runs proxies (kuma_sidecars or kuma_zone_proxies): the API trusts "
                        "every local caller that the firewall lets through, and applications on a control-plane host share "
                        "it with kuma-cp. Move them to data-plane hosts, or set control_plane_firewall_allow_proxies: true" % host)

    def entry(name, port, addresses):
        networks = sorted({ipaddress.IPv4Network(a, strict=False) for a in addresses},
                          key=lambda n: (int(n.network_address), n.prefixlen))
        return {"name": name, "port": int(port),
                "sources": [str(n.network_address) if n.prefixlen == 32 else str(n) for n in networks]}

    rules = [
        entry("api_http", ports["api_http"], operator["api"]),
        entry("api_https", ports["api_https"], operator["api"]),
        entry("dp_server", ports["dp_server"], dataplanes + operator["dataplanes"]),
        entry("inter_cp", ports["inter_cp"], others),
        entry("kds", ports["kds"], zone_cps + operator["zones"]),
        entry("diagnostics", ports["diagnostics"], operator["monitoring"]),
        entry("mads", ports["mads"], operator["monitoring"]),
    ]
    seen = {}
    for rule in rules:
        if rule["port"] in seen:
            problems.append("control_plane_firewall: ports %s and %s are both %d" % (seen[rule["port"]], rule["name"], rule["port"]))
        seen[rule["port"]] = rule["name"]
    return {"ports": rules, "loopback_ports": sorted({int(ports["api_http"]), int(ports["api_https"])}),
            "problems": problems}


class FilterModule:
    def filters(self):
        return {"control_plane_firewall": control_plane_firewall}
