#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: gateway_permissions
short_description: Admit edge gateways to the mesh services they route to (MeshTrafficPermission), and only those
version_added: 0.1.0
description:
  - One C(MeshTrafficPermission) per gateway and routed service, named C(kuma-universal-gateway-<gateway>-to-<service>)
    and labelled C(kuma.universal/gateway=<gateway>), in the form of the control plane's major - on Kuma 2 from the
    gateway's C(kuma.io/service) (C(from) a C(MeshSubset)), on Kuma 3 from its SPIFFE ID (C(rules) that allow
    C(spiffe://<mesh>.<zone>.mesh.local/workload/<gateway>), the identity the P(kuma.universal.control_plane#role)
    role's C(MeshIdentity) gives). With mTLS on, a service the gateway has no permission for refuses it.
  - With O(prune=true), such a permission that no longer appears in O(gateways) is deleted when no Dataplane of its
    gateway is left in the mesh, or when every host that runs one is in O(planned_hosts) (then O(gateways) holds
    all of that gateway's routes). Otherwise it is kept, with a warning naming the hosts to include.
  - Used by the P(kuma.universal.sidecar#role) role for C(kuma_sidecars[].gateway); on a multizone deployment point
    O(api_url) at the global control plane.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
attributes:
  diff_mode:
    support: full
    details:
      - Each permission's changed fields; a deleted one with what it held.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  gateways:
    description: What each gateway routes to; an empty list with O(prune=true) removes the permissions no gateway keeps.
    type: list
    elements: dict
    required: true
    suboptions:
      mesh:
        description: Mesh of the gateway and its services.
        type: str
        default: default
      gateway:
        description: The gateway's service name (its C(kuma.io/service) on Kuma 2, its C(kuma.universal/service) label on Kuma 3).
        type: str
        required: true
      services:
        description: The services it routes to (each gets a permission).
        type: list
        elements: str
        required: true
      zones:
        description: Zones the gateway runs in (its SPIFFE ID names the zone on Kuma 3); V(default) outside multizone.
        type: list
        elements: str
        default: [default]
  planned_hosts:
    description:
      - The inventory hosts whose gateways O(gateways) describes completely (the C(kuma.universal/host) label of
        their Dataplanes). A stale permission of a gateway that still runs on another host is kept.
    type: list
    elements: str
    default: []
  prune:
    description: Delete the permissions of this collection that no gateway in O(gateways) needs (see above).
    type: bool
    default: true
seealso:
  - module: kuma.universal.resource
"""

EXAMPLES = r"""
- name: Admit the edge to the web service only
  kuma.universal.gateway_permissions:
    gateways:
      - mesh: default
        gateway: edge
        services: [web]
    planned_hosts: "{{ ansible_play_hosts_all }}"
"""

RETURN = r"""
permissions:
  description: The permissions wanted, as V(mesh/name).
  returned: always
  type: list
  elements: str
removed:
  description: The permissions deleted (or that would be in check mode), as V(mesh/name).
  returned: always
  type: list
  elements: str
kept:
  description: Stale permissions kept because their gateway still runs on a host outside O(planned_hosts), as V(mesh/name).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError, KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._errors import quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._converge import apply, plan
from ansible_collections.kuma.universal.plugins.module_utils._gateway import (
    GATEWAY_LABEL, MANAGED_BY, permission_entity,
)
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import major_of
from ansible_collections.kuma.universal.plugins.module_utils._naming import check_mesh, check_name
from ansible_collections.kuma.universal.plugins.module_utils._resource import resource_target
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_planner import HOST_LABEL

KIND_PATH = "meshtrafficpermissions"


def _path(mesh, name):
    return "/meshes/%s/%s/%s" % (quote_segment(mesh), KIND_PATH, quote_segment(name))


def _what(mesh, name):
    return "MeshTrafficPermission %s/%s" % (mesh, name)


def wanted_entities(gateways, major):
    """The permissions of gateways ({(mesh, name): entity}); KumaInputError naming bad fields."""
    errors, out = [], {}
    for i, item in enumerate(gateways):
        where = "gateways[%d]" % i
        check_mesh(item["mesh"], errors, where + ".mesh")
        check_name(item["gateway"], errors, where + ".gateway")
        for j, service in enumerate(item["services"]):
            check_name(service, errors, "%s.services[%d]" % (where, j))
        if not item["zones"]:
            errors.append("%s.zones: give at least one zone (default outside multizone)" % where)
    if errors:
        raise KumaInputError(errors)
    for item in gateways:
        for service in item["services"]:
            entity = permission_entity(item["mesh"], item["gateway"], service, sorted(set(item["zones"])), major)
            out[(entity["mesh"], entity["name"])] = entity
    return out


def ensure(kmod):
    p = kmod.params
    client = kmod.client
    major = major_of(client.version()) or 2
    wanted = wanted_entities(p["gateways"], major)
    meshes = sorted({mesh for mesh, _name in wanted})
    if p["prune"]:
        meshes = sorted(set(meshes) | {m["name"] for m in client.list("/meshes") if m.get("name")})
    current, ours = {}, {}
    for mesh in meshes:
        for entity in client.list("/meshes/%s/%s" % (quote_segment(mesh), KIND_PATH)):
            key = (mesh, entity.get("name"))
            current[_what(*key)] = entity
            labels = entity.get("labels") or {}
            if labels.get(MANAGED_BY) == "ansible" and labels.get(GATEWAY_LABEL):
                ours[key] = labels[GATEWAY_LABEL]
    targets = []
    for (mesh, name), entity in sorted(wanted.items()):
        desired = {"labels": entity["labels"], "spec": entity["spec"]}
        targets.append(resource_target(_path(mesh, name), desired,
                                       {"type": entity["type"], "mesh": mesh, "name": name}, _what(mesh, name)))
    kept, running = [], {}
    planned = set(p["planned_hosts"])
    for (mesh, name), gateway in sorted(ours.items()):
        if not p["prune"] or (mesh, name) in wanted:
            continue
        if mesh not in running:
            running[mesh] = {}
            for dp in client.list("/meshes/%s/dataplanes" % quote_segment(mesh)):
                labels = dp.get("labels") or {}
                if labels.get(GATEWAY_LABEL):
                    running[mesh].setdefault(labels[GATEWAY_LABEL], set()).add(labels.get(HOST_LABEL, "?"))
        elsewhere = sorted(running[mesh].get(gateway, set()) - planned)
        if elsewhere:
            kept.append("%s/%s" % (mesh, name))
            kmod.module.warn("%s kept: gateway %s still runs on %s, not planned in this run; run with those hosts "
                             "to remove it" % (_what(mesh, name), gateway, ", ".join(elsewhere)))
            continue
        targets.append(resource_target(_path(mesh, name), None, {}, _what(mesh, name)))
    steps = plan(targets, current)
    warnings = apply(client, steps, kmod.check_mode, name_warnings=True)
    changed = [s for s in steps if s.action is not None]
    return {
        "changed": bool(changed),
        "permissions": ["%s/%s" % key for key in sorted(wanted)],
        "removed": [s.target.key.split(" ", 1)[1] for s in steps if s.action == "delete"],
        "kept": kept,
        "diff": {"before": {s.target.key: s.before for s in changed}, "after": {s.target.key: s.after for s in changed}},
        "warnings": warnings,
    }


def main():
    argument_spec = {
        "gateways": {"type": "list", "elements": "dict", "required": True, "options": {
            "mesh": {"type": "str", "default": "default"},
            "gateway": {"type": "str", "required": True},
            "services": {"type": "list", "elements": "str", "required": True},
            "zones": {"type": "list", "elements": "str", "default": ["default"]},
        }},
        "planned_hosts": {"type": "list", "elements": "str", "default": []},
        "prune": {"type": "bool", "default": True},
    }
    KumaModule(argument_spec).run(ensure)


if __name__ == "__main__":
    main()
