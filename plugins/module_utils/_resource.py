# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: Mesh and generic resources (policies and the like).

Only what the task gives is managed: options left out keep the control plane's value
(they are carried over into the PUT body), given options are compared in canonical form.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError, quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._compare import (
    contains, dig, flatten, inline_secrets, same, strip_cp_meta, user_labels,
)
from ansible_collections.kuma.universal.plugins.module_utils._converge import CREATE, Target, converge_one, plan_one
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import major_of
from ansible_collections.kuma.universal.plugins.module_utils._naming import check_labels, check_mesh, check_name

# Mesh options whose value is a dict in Kuma JSON form, with their JSON name.
MESH_DICT_OPTIONS = {
    "mtls": "mtls",
    "metrics": "metrics",
    "logging": "logging",
    "tracing": "tracing",
    "networking": "networking",
    "routing": "routing",
    "constraints": "constraints",
}
# Protobuf wrapper fields of the Mesh: unlike plain protobuf scalars, their false / 0 is kept
# by the CP and differs from unset (passthrough defaults to true).
MESH_SIGNIFICANT_FALSE = frozenset(("passthrough", "sharedSpanContext", "sampling"))
# Kinds whose fields sit at the top level of the entity (the pre-"spec" resource model).
# Every newer kind wraps its fields in "spec".
FLAT_KINDS = frozenset((
    "CircuitBreaker", "Dataplane", "ExternalService", "FaultInjection", "HealthCheck", "Mesh", "MeshGateway",
    "MeshGatewayRoute", "ProxyTemplate", "RateLimit", "Retry", "Timeout", "TrafficLog", "TrafficPermission",
    "TrafficRoute", "TrafficTrace", "VirtualOutbound", "Zone", "ZoneIngress", "ZoneEgress",
))
# Secrets would show their data in diffs and results: not for this module.
REFUSED_KINDS = frozenset(("Secret", "GlobalSecret"))
RESERVED_FLAT_KEYS = frozenset(("type", "name", "mesh", "labels", "creationTime", "modificationTime", "kri"))


def _without_nulls(value):
    """A section as sent: keys set to null (meaning "remove") left out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


# Top-level fields compared as a whole: labels (a set of pairs), the Mesh's policy list.
WHOLE_FIELDS = ("labels", "skipCreatingInitialPolicies")


def _given_keys_equal(path, want, have, significant_false=()):
    """A leaf of a section as given: {} or [] as a whole section removes it (must be empty);
    elsewhere only the keys given count (the CP fills in defaults) and null means absent.
    Compared under its own key, where false may be significant."""
    if len(path) == 1 and want in ({}, []):
        return same(want, have, significant_false)
    return contains({path[-1]: want}, {path[-1]: have}, significant_false)


def _mesh_equal(path, want, have):
    if path[0] in MESH_DICT_OPTIONS.values():
        # The CP fills defaults into Mesh sections (a metrics backend gets conf.tags).
        return _given_keys_equal(path, want, have, MESH_SIGNIFICANT_FALSE)
    return same(want, have)


def _resource_equal(path, want, have):
    if path[0] == "labels":
        return same(want, have)
    # The CP fills defaults into specs (MeshTrace zipkin.apiVersion, MeshAccessLog
    # format.omitEmptyValues) and even state (MeshService spec.state): compare the keys given.
    return _given_keys_equal(path, want, have)


def _converge(kmod, path, desired, base_body, equal, what):
    """desired: {top-level JSON key: value} managed here, None for state=absent; base_body:
    type/name/mesh. Compared (and shown in --diff) leaf by leaf: only the keys given that differ.
    Returns the result with the entity as sent (or as it would be; {} when deleted) under "body"."""
    target = _target(path, desired, base_body, equal, what)
    step, result = converge_one(kmod.client, target, kmod.check_mode)
    if step.action == CREATE:
        result["created"] = True
    result["body"] = step.body or {}
    return result


def _target(path, desired, base_body, equal, what):
    """The converge Target of one entity (see _converge)."""
    fields = None if desired is None else flatten(desired, atomic=WHOLE_FIELDS)

    def fields_of(entity):
        if fields is None:  # state=absent: show what goes away
            return {(k,): v for k, v in strip_cp_meta(entity).items() if k not in ("type", "name", "mesh")}
        found = {}
        for field in fields:
            value = dig(entity, field)
            if field == ("labels",):
                value = user_labels(value)
            elif field == ("skipCreatingInitialPolicies",):
                value = sorted(value or [])
            found[field] = value
        return found

    def body_for(current):
        body = strip_cp_meta(current) if current else {}
        body.update(base_body)
        for key, value in desired.items():
            value = _without_nulls(value)
            if value in (None, {}, []):
                body.pop(key, None)
            else:
                body[key] = value
        return body

    return Target(what, path, fields, fields_of, body_for, equal, sorted(desired or {}), what)


def resource_target(path, desired, base_body, what):
    """The converge Target of one policy-like resource as kuma.universal.resource compares it (desired:
    labels and spec; None to delete it), for modules that write resources of their own."""
    return _target(path, desired, base_body, _resource_equal, what)


# Mesh keys Kuma 3 removed: the CP accepts and drops them, so the module refuses them instead.
# Each with what replaces it (KUMA-3.md 1.3).
MESH_KEYS_REMOVED_IN_3 = {
    "mtls": "mTLS on Kuma 3 comes from a MeshIdentity policy (and MeshTrust for a CA from elsewhere), written "
            "with kuma.universal.resource; the control_plane role writes them from control_plane_meshes[].mtls",
}


def refuse_removed_in_3(kmod, desired):
    """KumaInputError before any write when a Kuma 3 CP would drop a given Mesh key."""
    if not desired or not any(k in desired for k in MESH_KEYS_REMOVED_IN_3):
        return
    version = kmod.client.version()
    if (major_of(version) or 0) >= 3:
        raise KumaInputError(["%s: the control plane runs Kuma %s, which removed Mesh.%s and would drop it "
                              "(no error, no effect). %s" % (key, version, key, why)
                              for key, why in MESH_KEYS_REMOVED_IN_3.items() if key in desired])


def ensure_mesh(kmod):
    p = kmod.params
    # Inline secrets of mtls (given, and as the CP had them: the diff's before) are masked everywhere.
    kmod.module.no_log_values.update(inline_secrets(p.get("mtls")))
    path, desired, what = mesh_desired(p)
    refuse_removed_in_3(kmod, desired)
    result = _converge(kmod, path, desired, {"type": "Mesh", "name": p["name"]}, _mesh_equal, what)
    result["mesh"] = result.pop("body")
    kmod.module.no_log_values.update(inline_secrets(result))
    return result


def mesh_differs(p, current):
    """Whether the mesh module with parameters p would change anything on a control plane whose
    entity is current (None: no such mesh): the module's own checks and comparison, without a
    request (KumaInputError on bad parameters, as the module)."""
    path, desired, what = mesh_desired(p)
    step = plan_one(_target(path, desired, {"type": "Mesh", "name": p["name"]}, _mesh_equal, what), current)
    return step.action is not None


def mesh_desired(p):
    """(API path, desired fields or None for state=absent, what) of the mesh module's parameters."""
    errors = []
    check_mesh(p["name"], errors, "name")
    desired = {}
    labels = check_labels(p.get("labels"), errors)
    if labels is not None:
        desired["labels"] = labels
    for option, key in MESH_DICT_OPTIONS.items():
        if p.get(option) is not None:
            desired[key] = p[option]
    if p.get("skip_creating_initial_policies") is not None:
        desired["skipCreatingInitialPolicies"] = sorted(set(p["skip_creating_initial_policies"]))
    if errors:
        raise KumaInputError(errors)
    return ("/meshes/%s" % quote_segment(p["name"]), desired if p.get("state", "present") == "present" else None,
            "Mesh %s" % p["name"])


def ensure_resource(kmod):
    p = kmod.params
    kind = p["kind"]
    errors = []
    if kind in REFUSED_KINDS:
        raise KumaInputError(["kind: %s is not managed by this module (its data would show in results and diffs)"
                              % kind])
    check_name(p["name"], errors)
    labels = check_labels(p.get("labels"), errors)
    spec = p.get("spec")
    if kind in FLAT_KINDS and spec:
        reserved = sorted(RESERVED_FLAT_KEYS.intersection(spec))
        if reserved:
            errors.append("spec: %s cannot be set through spec (use the module's options)" % ", ".join(reserved))
    if errors:
        raise KumaInputError(errors)

    info = kmod.client.resource_type(kind)  # GET /_resources once per run
    if info.get("readOnly"):
        raise KumaInputError(["kind: %s is read-only (computed by the control plane)" % kind])
    mesh_scoped = info.get("scope") == "Mesh"
    mesh = p.get("mesh")
    base = {"type": kind, "name": p["name"]}
    if mesh_scoped:
        mesh = mesh or "default"
        check_mesh(mesh, errors)
        if errors:
            raise KumaInputError(errors)
        path = "/meshes/%s/%s/%s" % (quote_segment(mesh), info["path"], quote_segment(p["name"]))
        base["mesh"] = mesh
    else:
        if mesh:
            raise KumaInputError(["mesh: %s is a global kind (not in a mesh); remove mesh" % kind])
        path = "/%s/%s" % (info["path"], quote_segment(p["name"]))

    desired = None
    if p["state"] == "present":
        desired = {}
        if labels is not None:
            desired["labels"] = labels
        if spec is not None:
            if kind in FLAT_KINDS:
                desired.update(spec)
            else:
                desired["spec"] = spec
    what = "%s %s" % (kind, "%s/%s" % (mesh, p["name"]) if mesh_scoped else p["name"])
    result = _converge(kmod, path, desired, base, _resource_equal, what)
    result["resource"] = result.pop("body")
    result["path"] = path
    return result
