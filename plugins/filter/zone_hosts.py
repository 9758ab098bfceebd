# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hosts of a list (a group) that are in one zone: their kuma_zone, empty when unset, equals the zone."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def zone_of(hostvars, host):
    """A host's zone: its kuma_zone, empty when unset, null or the host is unknown."""
    try:
        return str(hostvars[host].get("kuma_zone") or "")
    except KeyError:
        return ""


def zone_hosts(hosts, hostvars, zone=""):
    """The filter: see plugins/filter/zone_hosts.yml."""
    if isinstance(hosts, (str, Mapping)) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError("zone_hosts: the input must be a list of inventory host names, got %s"
                                 % type(hosts).__name__)
    if not isinstance(zone, str):
        raise AnsibleFilterError("zone_hosts: the zone must be a string (a kuma_zone, or empty), got %r" % (zone,))
    return [host for host in hosts if zone_of(hostvars, host) == zone]


class FilterModule:
    def filters(self):
        return {"zone_hosts": zone_hosts}
