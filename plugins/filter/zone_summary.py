# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What deploy_mesh's summary shows for a zone, from what it read: every Dataplane and whether it is online, the
meshes whose traffic is plaintext, the stale Dataplanes and which control plane holds the leader lock."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# A mesh whose traffic between hosts is not only mutual TLS, by the mtls that kuma.universal.dataplane_info reads.
OPEN = {"off": "PLAINTEXT: no mTLS", "permissive": "mTLS PERMISSIVE: plaintext accepted"}


def _items(value, what):
    if isinstance(value, (str, Mapping)) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError("zone_summary: %s must be a list, got %s" % (what, type(value).__name__))
    for index, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise AnsibleFilterError("zone_summary: %s[%d] must be a mapping, got %s" % (what, index, type(item).__name__))
    return value


def zone_summary(summary, stale=None, host="", statuses=None):
    """The filter: see plugins/filter/zone_summary.yml."""
    if not isinstance(summary, Mapping):
        raise AnsibleFilterError("zone_summary: the input must be the summary's read (kuma.universal.dataplane_info's "
                                 "result), got %s" % type(summary).__name__)
    dataplanes = _items(summary.get("dataplanes") or [], "the read's dataplanes")
    meshes = _items(summary.get("meshes") or [], "the read's meshes")
    shown = {"dataplanes": sorted("%s %s %s" % (d.get("mesh"), d.get("name"), "online" if d.get("online") else "OFFLINE")
                                  for d in dataplanes)}
    plaintext = ["%s %s" % (m.get("name"), OPEN.get(m.get("mtls"), "mTLS %s" % m.get("mtls")))
                 for m in meshes if m.get("mtls") not in ("strict", "on")]
    if plaintext:
        shown["plaintext"] = plaintext
    stale_lines = ["%s %s %s" % (s.get("mesh"), s.get("name"), s.get("why")) for s in _items(stale or [], "stale")]
    if stale_lines:
        shown["stale"] = stale_lines
    leader = summary.get("leader")
    shown["leader"] = ["%s %s" % (host, {True: "leader", False: "follower"}.get(leader, "unreachable"))] + [
        "%s %s" % (s.get("item"), s.get("state") or "unreachable") for s in _items(statuses or [], "statuses")]
    return shown


class FilterModule:
    def filters(self):
        return {"zone_summary": zone_summary}
