# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the MeshZoneAddress of a zone ingress that is a Dataplane listener.

Kuma 3 removed the ZoneIngress entity (KUMA-3.md 1.3): a zone ingress is a listener of type
ZoneIngress on an ordinary, mesh-scoped Dataplane (Kuma 2.14 accepts the form), and other zones
reach it at the mesh's MeshZoneAddress, which on Universal the operator writes in the zone
("MeshZoneAddress is the only source of publicly reachable coordinates of a remote zone proxy",
K@3 pkg/xds/topology/outbound.go). The dataplanes modules write it with the Dataplane: one per
Dataplane with a ZoneIngress listener, of the same mesh and name, with the listener's address
and port (or the Dataplane's zone_address), labelled as the collection's; the zone control
plane requires kuma.io/origin=zone on it and adds kuma.io/zone itself. It is deleted with its Dataplane, or when
the Dataplane no longer has the listener - only one the collection wrote.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._errors import quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._compare import user_labels
from ansible_collections.kuma.universal.plugins.module_utils._converge import Target, apply, plan
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import MANAGED_BY, ORIGIN

HOST_LABEL = "kuma.universal/host"  # as _sidecar_planner writes it (not imported: the planner is controller-side)


def zone_address_path(mesh, name):
    return "/meshes/%s/meshzoneaddresses/%s" % (quote_segment(mesh), quote_segment(name))


def has_zone_ingress(entity):
    """Whether a Dataplane as the CP returns it has a ZoneIngress listener."""
    return any(item.get("type") == "ZoneIngress"
               for item in ((entity or {}).get("networking") or {}).get("listeners") or [])


def _fields_of(entity):
    entity = entity or {}
    labels = user_labels(entity.get("labels"))
    spec = entity.get("spec") or {}
    return {("labels",): {k: v for k, v in labels.items() if k in (MANAGED_BY, HOST_LABEL)},
            ("spec",): {"address": spec.get("address"), "port": spec.get("port")}}


def zone_address_target(mesh, name, address=None, port=None, host=None):
    """The engine's Target for the MeshZoneAddress of Dataplane mesh/name (address None: to delete)."""
    key = "meshzoneaddress:%s/%s" % (mesh, name)
    path = zone_address_path(mesh, name)
    what = "MeshZoneAddress %s in mesh %s" % (name, mesh)
    if address is None:
        return Target(key, path, None, _fields_of, what=what)
    # kuma.io/origin: required on what is written in a federated zone (the CP sets the zone itself).
    labels = {MANAGED_BY: "ansible", ORIGIN: "zone"}
    if host:
        labels[HOST_LABEL] = host
    body = {"type": "MeshZoneAddress", "mesh": mesh, "name": name, "labels": labels,
            "spec": {"address": address, "port": port}}

    def body_for(current):
        out = dict(body)
        if current:
            kept = user_labels(current.get("labels"))
            kept.update(labels)
            out["labels"] = kept
        return out

    return Target(key, path, _fields_of(body), _fields_of, body_for, what=what)


def zone_address_steps(client, dataplanes, current_by_mesh, check_mode):
    """Write (or delete) the MeshZoneAddresses that the Dataplanes' ZoneIngress listeners call for.

    dataplanes: [(mesh, name, model Dataplane or None for a deleted one)], after the Dataplane writes;
    current_by_mesh: {mesh: {name: Dataplane entity}} as read before them (a deletion is due where
    a Dataplane had the listener and no longer has it). No request when no Dataplane has or had one."""
    wanted, gone = {}, set()
    for mesh, name, dataplane in dataplanes:
        ingress = dataplane.zone_ingress() if dataplane is not None else None
        if ingress is not None:
            wanted[(mesh, name)] = (ingress, (dataplane.labels or {}).get(HOST_LABEL))
        elif has_zone_ingress(current_by_mesh.get(mesh, {}).get(name)):
            gone.add((mesh, name))
    if not wanted and not gone:
        return []
    existing = {}
    for mesh in sorted({m for m, _n in wanted} | {m for m, _n in gone}):
        for entity in client.list("/meshes/%s/meshzoneaddresses" % quote_segment(mesh)):
            existing["meshzoneaddress:%s/%s" % (mesh, entity.get("name"))] = entity
    targets = [zone_address_target(mesh, name, address, port, host)
               for (mesh, name), ((address, port), host) in sorted(wanted.items())]
    for mesh, name in sorted(gone):
        current = existing.get("meshzoneaddress:%s/%s" % (mesh, name))
        # Only the collection's own: a MeshZoneAddress the operator wrote under that name stays.
        if current is not None and (current.get("labels") or {}).get(MANAGED_BY) == "ansible":
            targets.append(zone_address_target(mesh, name))
    steps = plan(targets, existing)
    apply(client, steps, check_mode)
    return steps
