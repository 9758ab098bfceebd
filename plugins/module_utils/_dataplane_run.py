# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the runs of kuma.universal.dataplane (one entity) and kuma.universal.dataplanes (a set).

Both validate everything before any request (build_dataplane), ask the control plane its
version, and converge through the one engine (_converge): a Kuma 2 CP gets the model's 2.x
entity, a Kuma 3 CP its translation (_kuma3: labels instead of inbound tags, outbounds by
backendRef to the MeshService the collection writes for each registered service). The set reads the current
entities with one (paged) listing per mesh instead of one GET per entity, and with
exclusive + selector also deletes the labelled Dataplanes that are not in it.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError, quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._converge import (
    CREATE, DELETE, UPDATE, Target, apply, converge_one, plan,
)
from ansible_collections.kuma.universal.plugins.module_utils._dataplane import build_dataplane, dataplane_path
from ansible_collections.kuma.universal.plugins.module_utils._dataplane_fields import managed_fields_of
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import major_of, plan_kuma3
from ansible_collections.kuma.universal.plugins.module_utils._naming import check_mesh, check_name_and_mesh, tag_text
from ansible_collections.kuma.universal.plugins.module_utils._schema import unknown_field
from ansible_collections.kuma.universal.plugins.module_utils._info import zone_overview
from ansible_collections.kuma.universal.plugins.module_utils._token import record_token_reads
from ansible_collections.kuma.universal.plugins.module_utils._zone_address import zone_address_steps

# The options of kuma.universal.dataplane an item of kuma.universal.dataplanes takes.
ITEM_KEYS = ("name", "mesh", "state", "labels", "address", "advertised_address", "admin_port",
             "inbound", "outbound", "transparent_proxying", "gateway", "metrics", "probes", "listeners",
             "zone_address")
STATES = ("present", "absent")


def control_plane_major(client):
    """The CP's version and its major (None when the CP does not say)."""
    version = client.version()
    return version, major_of(version)


def key_of(mesh, name):
    return "%s/%s" % (mesh, name)


def target_for(mesh, name, dataplane=None):
    """The engine's Target for one Dataplane (dataplane None: to delete)."""
    path = dataplane_path(mesh, name)
    if dataplane is None:
        return Target(key_of(mesh, name), path, None, lambda entity: managed_fields_of(entity, True))
    return Target(key_of(mesh, name), path, dataplane.managed_fields(),
                  lambda entity: managed_fields_of(entity, dataplane.labels is not None, dataplane.state_ports()),
                  dataplane.build_body)


def ensure_dataplane(kmod):
    """The dataplane module's whole run: validate, then converge. Returns the result."""
    params = kmod.params
    if params["state"] == "absent":
        errors = []
        check_name_and_mesh(params["name"], params["mesh"], errors)
        if errors:
            raise KumaInputError(errors)
        current = kmod.client.get(dataplane_path(params["mesh"], params["name"]))
        _step, result = converge_one(kmod.client, target_for(params["mesh"], params["name"]), kmod.check_mode, current)
        zones = zone_address_steps(kmod.client, [(params["mesh"], params["name"], None)],
                                   {params["mesh"]: {params["name"]: current}} if current else {}, kmod.check_mode)
        _merge_companions(result, zones, "zone_addresses")
        result.update(dataplane={}, translations=[], created=False)
        return result
    dataplane = build_dataplane(params)  # raises before any request on bad input
    version, major = control_plane_major(kmod.client)
    translations = list(dataplane.translations)
    meshservices = []
    if major is not None and major >= 3:
        views, meshservice_targets, current = plan_kuma3(kmod.client, [("", dataplane)])
        dataplane = views[0]
        translations.extend(dataplane.translations)
        meshservices = _meshservice_steps(kmod, meshservice_targets, current)
    current = kmod.client.get(dataplane_path(dataplane.mesh, dataplane.name))
    step, result = converge_one(kmod.client, target_for(dataplane.mesh, dataplane.name, dataplane), kmod.check_mode,
                                current)
    _merge_companions(result, meshservices, "meshservices")
    zones = zone_address_steps(kmod.client, [(dataplane.mesh, dataplane.name, dataplane)],
                               {dataplane.mesh: {dataplane.name: current}} if current else {}, kmod.check_mode)
    _merge_companions(result, zones, "zone_addresses")
    result.update(dataplane=step.body, translations=translations, kuma_version=version,
                  created=step.action == CREATE)
    return result


def _meshservice_steps(kmod, targets, current):
    """Write the MeshServices (Kuma 3) before the Dataplanes that their clients' outbounds name."""
    steps = plan(targets, current)
    apply(kmod.client, steps, kmod.check_mode)
    return steps


def _merge_companions(result, steps, key):
    """The writes of the entities that go with the Dataplanes (Kuma 3 MeshServices, MeshZoneAddresses) in
    a module result: changed, --diff and their list under key, as mesh/name."""
    changed = [s for s in steps if s.action is not None]
    result[key] = [s.target.key.split(":", 1)[1] for s in changed]
    if changed:
        result["changed"] = True
        diff = result.setdefault("diff", {"before": {}, "after": {}})
        for s in changed:
            diff.setdefault("before", {})[s.target.key] = s.before
            diff.setdefault("after", {})[s.target.key] = s.after


class _Item:
    """One validated item of dataplanes: its key and (state=present) its Dataplane."""

    def __init__(self, params, dataplane):
        self.mesh = params["mesh"]
        self.name = params["name"]
        self.dataplane = dataplane
        self.key = key_of(self.mesh, self.name)


def _selector_text(selector):
    """The selector's labels as text; a label given as None (null) selects Dataplanes without it."""
    return {str(k): None if v is None else tag_text(v) for k, v in (selector or {}).items()}


def _validate_item(where, item, exclusive, scopes, errors):
    """One item -> (_Item or None); its problems appended to errors, prefixed with where.
    scopes: the selectors as (labels, meshes) pairs; with exclusive, a present item must carry
    every label of one of them."""
    if not isinstance(item, dict):
        errors.append("%s: must be a dictionary with the options of kuma.universal.dataplane, got %r" % (where, item))
        return None
    errors.extend(unknown_field(where, key, ITEM_KEYS) for key in item if key not in ITEM_KEYS)
    params = {k: item.get(k) for k in ITEM_KEYS}
    params["mesh"] = params["mesh"] or "default"
    params["state"] = params["state"] or "present"
    if params["state"] not in STATES:
        errors.append("%s.state: invalid value %r; allowed: %s" % (where, params["state"], ", ".join(STATES)))
        return None
    if not isinstance(params["name"], str) or not isinstance(params["mesh"], str):
        errors.append("%s: name and mesh must be strings" % where)
        return None
    item_errors = []
    dataplane = None
    if params["state"] == "absent":
        check_name_and_mesh(params["name"], params["mesh"], item_errors)
    else:
        try:
            dataplane = build_dataplane(params)
        except KumaInputError as exc:
            item_errors = exc.errors
        if exclusive and scopes and dataplane is not None:
            labels = dataplane.labels or {}
            missing = [{k: v for k, v in selector.items() if labels.get(k) != v} for selector, _meshes in scopes]
            if all(missing):
                key = key_of(params["mesh"], params["name"])
                if len(scopes) == 1:
                    item_errors.append("labels: item %s must carry the selector labels (exclusive=true); missing %s"
                                       % (key, ", ".join("%s=%s" % (k, "(none)" if v is None else v)
                                                         for k, v in sorted(missing[0].items()))))
                else:
                    item_errors.append("labels: item %s must carry every label of one of the selectors "
                                       "(exclusive=true); it carries %s"
                                       % (key, ", ".join("%s=%s" % kv for kv in sorted(labels.items())) or "none"))
    errors.extend("%s.%s" % (where, e) for e in item_errors)
    return _Item(params, dataplane)


def _scopes(selector=None, meshes=None, selectors=None, errors=None):
    """The selectors as (labels as text, meshes or None) pairs: selectors (the option), else the one
    selector with meshes. Problems appended to errors."""
    errors = [] if errors is None else errors
    if selectors is None:
        for i, mesh in enumerate(meshes or []):
            check_mesh(mesh, errors, "meshes[%d]" % i)
        selector = _selector_text(selector)
        return [(selector, meshes)] if selector else []
    out = []
    for index, entry in enumerate(selectors):
        where = "selectors[%d]" % index
        if not isinstance(entry, dict) or not isinstance(entry.get("labels"), dict) or not entry["labels"]:
            errors.append("%s.labels: required, a non-empty dictionary of the labels that mark the Dataplanes "
                          "this selector owns" % where)
            continue
        scope_meshes = entry.get("meshes")
        for i, mesh in enumerate(scope_meshes or []):
            check_mesh(mesh, errors, "%s.meshes[%d]" % (where, i))
        out.append((_selector_text(entry["labels"]), scope_meshes))
    return out


def validate_items(items, exclusive=False, selector=None, meshes=None, selectors=None):
    """Every item through the dataplane model; raises KumaInputError listing every problem
    (each prefixed with dataplanes[i]), before anything is sent. Returns the _Item list.
    selectors: several (labels, meshes) selectors instead of selector and meshes (see _scopes)."""
    errors = []
    scopes = _scopes(selector, meshes, selectors, errors)
    if exclusive and not scopes and selectors is None:
        errors.append("selector: required and non-empty with exclusive=true (the labels that mark the "
                      "Dataplanes this task owns)")
    out = []
    seen = {}
    for index, item in enumerate(items or []):
        where = "dataplanes[%d]" % index
        entry = _validate_item(where, item, exclusive, scopes, errors)
        if entry is None:
            continue
        if entry.key in seen:
            errors.append("%s: %s is already given as dataplanes[%d]" % (where, entry.key, seen[entry.key]))
        else:
            seen[entry.key] = index
        out.append(entry)
    if errors:
        raise KumaInputError(errors)
    return out


def list_dataplanes(client, mesh):
    """Every Dataplane of a mesh, by name: one paged listing (GET /meshes/{mesh}/dataplanes)."""
    return {e["name"]: e for e in client.list("/meshes/%s/dataplanes" % quote_segment(mesh)) if e.get("name")}


def _carries(labels, selector):
    return all(k not in labels if v is None else k in labels and str(labels[k]) == v for k, v in selector.items())


def stale_targets(items, current_by_mesh, selector, meshes):
    """Targets deleting every Dataplane of meshes that carries the selector labels and is not an item."""
    wanted = {item.key for item in items}
    targets = []
    for mesh in meshes:
        for name in sorted(current_by_mesh.get(mesh, {})):
            labels = current_by_mesh[mesh][name].get("labels") or {}
            if key_of(mesh, name) not in wanted and _carries(labels, selector):
                targets.append(target_for(mesh, name))
    return targets


def scope_meshes(items, scopes):
    """Each selector's meshes: as given, else the meshes of the present items carrying its labels."""
    out = []
    for selector, meshes in scopes:
        if meshes is None:
            meshes = [i.mesh for i in items if i.dataplane is not None and _carries(i.dataplane.labels or {}, selector)]
        out.append((selector, sorted(set(meshes))))
    return out


def plan_dataplanes(items, current_by_mesh, selector=None, prune_meshes=(), scopes=None):
    """The engine's steps for the items, plus deleting the stale Dataplanes: those carrying the selector
    labels in prune_meshes, or (scopes: (labels, meshes) pairs) those of each scope, each once.
    current_by_mesh: {mesh: {name: entity}} as listed."""
    targets = [target_for(i.mesh, i.name, i.dataplane) for i in items]
    if scopes is None:
        scopes = [(selector, prune_meshes)] if selector else []
    seen = {t.key for t in targets}
    for scope_selector, meshes in scopes:
        for target in stale_targets(items, current_by_mesh, scope_selector, meshes):
            if target.key not in seen:
                seen.add(target.key)
                targets.append(target)
    current = {key_of(mesh, name): entity for mesh, entities in current_by_mesh.items()
               for name, entity in entities.items()}
    return plan(targets, current)


def ensure_dataplanes(kmod):
    """The dataplanes module's whole run: validate all, list once per mesh, write the differences."""
    params = kmod.params
    exclusive = params["exclusive"]
    selectors = params.get("selectors")
    items = validate_items(params["dataplanes"], exclusive, params.get("selector"), params.get("meshes"), selectors)
    item_meshes = sorted({i.mesh for i in items})
    if selectors is None:
        selector = _selector_text(params.get("selector"))
        scopes = [(selector, params.get("meshes") or item_meshes)] if exclusive and selector else []
    else:
        scopes = scope_meshes(items, _scopes(selectors=selectors)) if exclusive else []
    prune_meshes = sorted({mesh for _selector, meshes in scopes for mesh in meshes})
    client = kmod.client
    version, major = control_plane_major(client)
    meshservices = []
    translations = {i.key: list(i.dataplane.translations) for i in items
                    if i.dataplane is not None and i.dataplane.translations}
    if major is not None and major >= 3:
        views, meshservice_targets, current = plan_kuma3(client, [("dataplanes[%d]." % n, i.dataplane)
                                                         for n, i in enumerate(items)])
        for item, view in zip(items, views):
            if view is not None:
                item.dataplane = view
                if view.translations:
                    translations.setdefault(item.key, []).extend(view.translations)
        meshservices = _meshservice_steps(kmod, meshservice_targets, current)
    current_by_mesh = {mesh: list_dataplanes(client, mesh) for mesh in sorted(set(item_meshes) | set(prune_meshes))}
    steps = plan_dataplanes(items, current_by_mesh, scopes=scopes)
    warnings = apply(client, steps, kmod.check_mode, name_warnings=True)
    changed = [s for s in steps if s.action is not None]
    result = {
        "changed": bool(changed),
        "diff": {"before": {s.target.key: s.before for s in changed},
                 "after": {s.target.key: s.after for s in changed if s.action != DELETE}},
        "warnings": warnings,
        "dataplanes": [s.body for s in steps if s.target.fields is not None],
        "created": [s.target.key for s in steps if s.action == CREATE],
        "updated": [s.target.key for s in steps if s.action == UPDATE],
        "deleted": [s.target.key for s in steps if s.action == DELETE],
        "unchanged": [s.target.key for s in steps if s.action is None],
        "translations": translations,
        "kuma_version": version,
    }
    _merge_companions(result, meshservices, "meshservices")
    item_keys = {i.key for i in items}
    zones = zone_address_steps(client, [(i.mesh, i.name, i.dataplane) for i in items]
                               + [tuple(s.target.key.split("/", 1)) + (None,) for s in steps
                                  if s.action == DELETE and s.target.key not in item_keys],
                               current_by_mesh, kmod.check_mode)
    _merge_companions(result, zones, "zone_addresses")
    if params.get("token_keys") is not None:
        result["token_reads"] = record_token_reads(client, [(k["mesh"], k["kid"]) for k in params["token_keys"]])
    if params.get("overview") is not None:
        # After every change above: what the control plane holds once this run is over, if nothing else changes.
        want = params["overview"]
        result["overview"] = dict(zone_overview(client, want["leader_metric_url"], want["mesh_security"]),
                                  args={"api_url": params["api_url"], "leader_metric_url": want["leader_metric_url"],
                                        "mesh_security": want["mesh_security"]})
    return result
