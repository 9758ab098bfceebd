# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline Dataplanes that no inventory host declares (left by hosts that died or left)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

HOST_LABEL = "kuma.universal/host"


def stale_dataplanes(dataplanes, hosts):
    """The offline items of dataplanes (kuma.universal.dataplane_info's result) whose
    kuma.universal/host label names no host of hosts, or that carry no such label. Each
    item: mesh, name, host (the label, None without it), ours (whether this collection made
    it: only those may be removed) and why (a sentence for the summary)."""
    if not isinstance(dataplanes, list):
        raise AnsibleFilterError("stale_dataplanes: expects the dataplanes list of kuma.universal.dataplane_info")
    known = set(hosts or [])
    stale = []
    for item in dataplanes:
        if item.get("online"):
            continue
        host = (item.get("labels") or {}).get(HOST_LABEL)
        if host in known:
            continue  # declared by the inventory: its host converges it (or is down for now)
        why = ("its host %s is not in the inventory" % host if host is not None
               else "no %s label: not made by this collection, left alone" % HOST_LABEL)
        stale.append({"mesh": item.get("mesh"), "name": item.get("name"), "host": host, "ours": host is not None,
                      "why": why})
    return sorted(stale, key=lambda s: (s["mesh"] or "", s["name"] or ""))


class FilterModule:
    def filters(self):
        return {"stale_dataplanes": stale_dataplanes}
