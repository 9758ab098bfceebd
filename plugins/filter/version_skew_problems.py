# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller planning: Kuma's version-skew rule over every host of the mesh (the install role's
`versions` entry point). The rule itself is plugins/module_utils/_versions.py."""

from __future__ import annotations

import posixpath

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.kuma.universal.plugins.module_utils._compare import get_or as _get
from ansible_collections.kuma.universal.plugins.module_utils._versions import skew_problems


def _running(mesh_hosts, hostvars, play_hosts, stats):
    """host -> the release its <prefix>/current points at ('' when none): the install probe
    (kuma.universal.install_probe, registered as install_probe) of the hosts of the play, a stat
    of the link for the others."""
    running = {}
    for result in stats or []:
        stat = _get(result, "stat", {})
        target = _get(stat, "lnk_target", "") if _get(stat, "islnk", False) else ""
        running[str(_get(result, "item", ""))] = posixpath.basename(str(target))
    for host in mesh_hosts:
        if host in play_hosts:
            probe = _get(_get(hostvars, host, {}), "install_probe", {})
            running[host] = posixpath.basename(str(_get(probe, "current", "") or ""))
    return running


def version_skew_problems(mesh_hosts, hostvars, cp_host, control_planes, play_hosts=None, stats=None,
                          default_version="", default_rollback=False):
    """The filter: see plugins/filter/version_skew_problems.yml."""
    if not isinstance(mesh_hosts, list):
        raise AnsibleFilterError("kuma.universal.version_skew_problems: expects the list of the mesh's hosts")
    play_hosts = list(play_hosts or [])
    running = _running(mesh_hosts, hostvars, play_hosts, stats)
    sotw = {host: list(_get(_get(_get(hostvars, host, {}), "install_probe", {}), "sotw_proxies", []) or [])
            for host in mesh_hosts if host in play_hosts}
    cps = set(control_planes or [])
    hosts = []
    for host in mesh_hosts:
        hv = _get(hostvars, host, {})
        hosts.append({
            "host": host,
            "wanted": str(_get(hv, "kuma_version", default_version)),
            "running": running.get(host, ""),
            "rollback": boolean(_get(hv, "kuma_allow_rollback", default_rollback), strict=False),
            "control_plane": host in cps,
            "sotw": sotw.get(host, []),
        })
    cp_version = _get(_get(hostvars, cp_host, {}), "kuma_version", default_version)
    return skew_problems(cp_host, cp_version, hosts)


class FilterModule:
    def filters(self):
        return {"version_skew_problems": version_skew_problems}
