# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""control_plane_meshes as a Kuma 2 or a Kuma 3 control plane takes them."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import (
    major_of, mesh_hostname_generator, mesh_identity,
)


def mesh_policies_for(meshes, version, mesh_hostnames=False):
    """{'meshes': the items for kuma.universal.mesh, 'policies': items for kuma.universal.resource}.

    Kuma 2 (or an unknown version): the meshes as given, no policies. Kuma 3, which removed
    Mesh.mtls: each mesh without its mtls, and the MeshIdentity (and MeshTLS) that carry it
    (module_utils/_kuma3.mesh_identity), as {kind, mesh, name, spec} like control_plane_policies;
    then the HostnameGenerator of the <service>.mesh names (_kuma3.mesh_hostname_generator),
    present with mesh_hostnames, else absent."""
    if not isinstance(meshes, list):
        raise AnsibleFilterError("mesh_policies_for: expects control_plane_meshes (a list)")
    if (major_of(version) or 0) < 3:
        return {"meshes": list(meshes), "policies": []}
    out, policies, errors = [], [], []
    for index, item in enumerate(meshes):
        if not isinstance(item, dict) or "mtls" not in item:
            out.append(item)
            continue
        out.append({k: v for k, v in item.items() if k != "mtls"})
        if item.get("state", "present") != "present":
            continue
        try:
            bodies = mesh_identity(item.get("name"), item["mtls"], "control_plane_meshes[%d].mtls" % index)
        except KumaInputError as exc:
            errors.extend(exc.errors)
            continue
        policies.extend({"kind": b["type"], "mesh": b["mesh"], "name": b["name"], "spec": b["spec"]} for b in bodies)
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    policies.append(mesh_hostname_generator("present" if mesh_hostnames else "absent"))
    return {"meshes": out, "policies": policies}


class FilterModule:
    def filters(self):
        return {"mesh_policies_for": mesh_policies_for}
