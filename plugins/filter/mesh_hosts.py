# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hosts of the mesh from the inventory's groups: the global control planes, the control planes, the
data-plane hosts, in that order, each once."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

GROUPS = ("kuma_global_control_plane", "kuma_control_plane", "kuma_dataplanes")


def mesh_hosts(groups, names=GROUPS):
    """The filter: see plugins/filter/mesh_hosts.yml."""
    if not isinstance(groups, dict):
        raise AnsibleFilterError("mesh_hosts: the input must be groups (a mapping of group names to hosts), got %s"
                                 % type(groups).__name__)
    names = GROUPS if names is None else names
    if isinstance(names, (str, dict)) or not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise AnsibleFilterError("mesh_hosts: names must be a list of group names, got %r" % (names,))
    hosts = []
    for name in names:
        for host in groups.get(name) or []:
            if host not in hosts:
                hosts.append(host)
    return hosts


class FilterModule:
    def filters(self):
        return {"mesh_hosts": mesh_hosts}
