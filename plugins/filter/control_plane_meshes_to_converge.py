# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The meshes of control_plane_meshes that differ from what the control plane has."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.module_utils._resource import MESH_DICT_OPTIONS, mesh_differs

# The mesh module's options that the control_plane role passes from an item of control_plane_meshes.
OPTIONS = ("labels",) + tuple(MESH_DICT_OPTIONS) + ("skip_creating_initial_policies",)


def control_plane_meshes_to_converge(meshes, found):
    """The items of meshes (control_plane_meshes) for which kuma.universal.mesh would change
    something, judged by the module's own comparison against found ({mesh name: the entity
    read from the control plane, or None when it has no such mesh}). An item that found does
    not cover, or that the module would refuse, is kept: the module then runs for it (and
    reports its error). found not a dict (nothing was read): every item."""
    if not isinstance(meshes, list):
        raise AnsibleFilterError("control_plane_meshes_to_converge: expects control_plane_meshes (a list)")
    if not isinstance(found, dict):
        return list(meshes)
    result = []
    for item in meshes:
        if not isinstance(item, dict) or item.get("name") not in found:
            result.append(item)
            continue
        params = {"name": item["name"], "state": item.get("state", "present")}
        params.update({option: item.get(option) for option in OPTIONS})
        try:
            differs = mesh_differs(params, found[item["name"]])
        except Exception:  # noqa: BLE001 - the module run reports it, with its own message
            differs = True
        if differs:
            result.append(item)
    return result


class FilterModule:
    def filters(self):
        return {"control_plane_meshes_to_converge": control_plane_meshes_to_converge}
