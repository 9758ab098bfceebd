# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: converge a set of Dataplanes in one module run (kuma.universal.dataplanes).

Every item goes through the same model as kuma.universal.dataplane (build_dataplane:
validation, legacy translation, normalisation; managed_fields_of + field_diff: the compare).
What differs is the I/O: all items are validated before any request, the current entities
are read with one (paged) listing per mesh instead of one GET per entity, and only the
entities that differ are written.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError, quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._compare import field_diff, shown
from ansible_collections.kuma.universal.plugins.module_utils._dataplane import (
    MESH_RE, _major, _unknown_field, build_dataplane, dataplane_path, managed_fields_of, validate_name_and_mesh,
)

# The options of kuma.universal.dataplane an item takes (everything but the connection).
ITEM_KEYS = ("name", "mesh", "state", "labels", "address", "advertised_address", "admin_port",
             "inbound", "outbound", "transparent_proxying", "gateway", "metrics", "probes")
STATES = ("present", "absent")


def key_of(mesh, name):
    return "%s/%s" % (mesh, name)


def _item_params(item):
    params = {k: item.get(k) for k in ITEM_KEYS}
    params["mesh"] = params["mesh"] or "default"
    params["state"] = params["state"] or "present"
    return params


def _has_labels(labels, selector):
    labels = labels or {}
    return all(k in labels and str(labels[k]) == v for k, v in selector.items())


class _Item:
    """One validated item: its place in the list, its key and (state=present) its Dataplane."""

    def __init__(self, index, params, dataplane=None):
        self.index = index
        self.mesh = params["mesh"]
        self.name = params["name"]
        self.state = params["state"]
        self.dataplane = dataplane

    @property
    def key(self):
        return key_of(self.mesh, self.name)

    @property
    def where(self):
        return "dataplanes[%d]" % self.index


def validate_items(items, exclusive=False, selector=None, meshes=None):
    """Every item through the dataplane model; raises KumaInputError listing every problem
    (each prefixed with dataplanes[i]), before anything is sent. Returns the _Item list."""
    errors = []
    selector = {str(k): _label_text(v) for k, v in (selector or {}).items()}
    if exclusive and not selector:
        errors.append("selector: required and non-empty with exclusive=true (the labels that mark the "
                      "Dataplanes this task owns)")
    for i, mesh in enumerate(meshes or []):
        if not isinstance(mesh, str) or not MESH_RE.match(mesh):
            errors.append("meshes[%d]: %r is not a valid mesh name" % (i, mesh))
    out = []
    seen = {}
    for index, item in enumerate(items or []):
        where = "dataplanes[%d]" % index
        if not isinstance(item, dict):
            errors.append("%s: must be a dictionary with the options of kuma.universal.dataplane, got %r"
                          % (where, item))
            continue
        unknown = [k for k in item if k not in ITEM_KEYS]
        for key in unknown:
            errors.append(_unknown_field(where, key, ITEM_KEYS))
        params = _item_params(item)
        if params["state"] not in STATES:
            errors.append("%s.state: invalid value %r; allowed: %s" % (where, params["state"], ", ".join(STATES)))
            continue
        if not isinstance(params["name"], str) or not isinstance(params["mesh"], str):
            errors.append("%s: name and mesh must be strings" % where)
            continue
        dataplane = None
        if params["state"] == "absent":
            item_errors = []
            validate_name_and_mesh(params["name"], params["mesh"], item_errors)
            errors.extend("%s.%s" % (where, e) for e in item_errors)
        else:
            try:
                dataplane = build_dataplane(params)
            except KumaInputError as exc:
                errors.extend("%s.%s" % (where, e) for e in exc.errors)
            if exclusive and selector and dataplane is not None:
                missing = {k: v for k, v in selector.items() if (dataplane.labels or {}).get(k) != v}
                if missing:
                    errors.append("%s.labels: item %s must carry the selector labels (exclusive=true); missing %s"
                                  % (where, key_of(params["mesh"], params["name"]),
                                     ", ".join("%s=%s" % kv for kv in sorted(missing.items()))))
        entry = _Item(index, params, dataplane)
        if entry.key in seen:
            errors.append("%s: %s is already given as dataplanes[%d]" % (where, entry.key, seen[entry.key]))
        else:
            seen[entry.key] = index
        out.append(entry)
    if errors:
        raise KumaInputError(errors)
    return out


def _label_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def list_dataplanes(client, mesh):
    """Every Dataplane of a mesh, by name: one paged listing (GET /meshes/{mesh}/dataplanes)."""
    return {e["name"]: e for e in client.list("/meshes/%s/dataplanes" % quote_segment(mesh)) if e.get("name")}


def plan(items, current_by_mesh, exclusive=False, selector=None, prune_meshes=()):
    """The writes to make. current_by_mesh: {mesh: {name: entity}} as listed.

    Returns a dict: puts [(item, body)], deletes [(mesh, name)], bodies {mesh/name: body},
    created/updated/deleted/unchanged (lists of mesh/name), diff before/after keyed by mesh/name.
    """
    selector = {str(k): _label_text(v) for k, v in (selector or {}).items()}
    out = {"puts": [], "deletes": [], "bodies": {}, "created": [], "updated": [], "deleted": [], "unchanged": [],
           "before": {}, "after": {}}
    wanted = set()
    for item in items:
        wanted.add(item.key)
        current = current_by_mesh.get(item.mesh, {}).get(item.name)
        if item.state == "absent":
            if current is None:
                out["unchanged"].append(item.key)
                continue
            _delete(out, item.mesh, item.name, current)
            continue
        dp = item.dataplane
        desired = dp.managed_fields()
        body = dp.build_body(current)
        out["bodies"][item.key] = body
        if current is None:
            out["created"].append(item.key)
            out["puts"].append((item, body))
            out["before"][item.key] = {}
            out["after"][item.key] = shown(desired)
            continue
        have = managed_fields_of(current, dp.labels is not None, dp.state_ports())
        changed, before, after = field_diff(desired, have)
        if changed:
            out["updated"].append(item.key)
            out["puts"].append((item, body))
            out["before"][item.key] = before
            out["after"][item.key] = after
        else:
            out["unchanged"].append(item.key)
    if exclusive and selector:
        for mesh in prune_meshes:
            for name in sorted(current_by_mesh.get(mesh, {})):
                entity = current_by_mesh[mesh][name]
                if key_of(mesh, name) not in wanted and _has_labels(entity.get("labels"), selector):
                    _delete(out, mesh, name, entity)
    return out


def _delete(out, mesh, name, entity):
    key = key_of(mesh, name)
    out["deletes"].append((mesh, name))
    out["deleted"].append(key)
    out["before"][key] = shown(managed_fields_of(entity, True))


def ensure_dataplanes(kmod):
    """The dataplanes module's whole run: validate all, list once per mesh, write the differences."""
    params = kmod.params
    exclusive = params["exclusive"]
    selector = params.get("selector") or {}
    items = validate_items(params["dataplanes"], exclusive, selector, params.get("meshes"))
    item_meshes = sorted({i.mesh for i in items})
    prune_meshes = sorted(set(params.get("meshes") or item_meshes)) if exclusive else []
    client = kmod.client
    current_by_mesh = {mesh: list_dataplanes(client, mesh) for mesh in sorted(set(item_meshes) | set(prune_meshes))}
    todo = plan(items, current_by_mesh, exclusive, selector, prune_meshes)
    warnings = []
    if todo["puts"]:
        version = client.version()
        if _major(version) >= 3:
            raise KumaInputError(["the control plane runs Kuma %s; this collection writes the Kuma 2.x Dataplane "
                                  "format only" % version])
    if not kmod.check_mode:
        for item, body in todo["puts"]:
            _status, put_warnings = client.put(dataplane_path(item.mesh, item.name), body)
            warnings.extend("%s: %s" % (item.key, w) for w in put_warnings or [])
        for mesh, name in todo["deletes"]:
            client.delete(dataplane_path(mesh, name))
    changed = bool(todo["puts"] or todo["deletes"])
    return {
        "changed": changed,
        "diff": {"before": todo["before"], "after": todo["after"]},
        "warnings": warnings,
        "dataplanes": [todo["bodies"][i.key] for i in items if i.dataplane is not None],
        "created": todo["created"],
        "updated": todo["updated"],
        "deleted": todo["deleted"],
        "unchanged": todo["unchanged"],
        "translations": {i.key: i.dataplane.translations for i in items
                         if i.dataplane is not None and i.dataplane.translations},
    }
