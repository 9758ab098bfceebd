#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_trusts
short_description: Make every zone of a multizone mesh trust the identities one zone issues (Kuma 3 MeshTrust)
version_added: 0.1.0
description:
  - On Kuma 3 a C(MeshIdentity) with a C(Bundled) provider makes each zone issue identities from a CA of its own,
    under the trust domain C(<mesh>.<zone>.mesh.local), and the zone writes a C(MeshTrust) with that CA, which only
    it uses; it reaches the global control plane (labelled C(kuma.io/origin=zone), C(kuma.io/zone=<zone>)) but no
    other zone. Until the other zones trust that CA, a request that crosses zones fails its mTLS handshake.
  - Run on the global control plane, this module copies each C(MeshTrust) of O(zone) into a C(MeshTrust) of the
    global named C(kuma-universal-zone-<zone>-<name>) (same trust domain and CA bundles, labelled
    C(kuma.universal/managed-by=ansible) and C(kuma.universal/trust-of-zone=<zone>)), which the global sends to every
    zone. A copy follows its source (a CA added or rolled in the zone shows as a change on the next run), and a copy
    whose source is gone is deleted.
  - RV(pending) lists the meshes where the zone should have written its C(MeshTrust) (a C(Bundled) C(MeshIdentity)
    with C(meshTrustCreation) not V(Disabled)) and has not yet, so that a task can wait for them with C(until).
  - Used by the P(kuma.universal.control_plane#role) role for each zone of a Kuma 3 multizone deployment.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
attributes:
  diff_mode:
    support: full
    details:
      - Each copy's changed fields (trust domain, CA bundles); a deleted copy with what it held.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  zone:
    description: The zone whose C(MeshTrust)s are shared (its C(KUMA_MULTIZONE_ZONE_NAME)).
    type: str
    required: true
  meshes:
    description: The meshes to look in; default every mesh of the control plane.
    type: list
    elements: str
notes:
  - Point O(api_url) at the global control plane. A zone control plane refuses a C(MeshTrust) of global origin.
  - The copy is trusted in O(zone) itself too, beside the zone's own C(MeshTrust) of the same trust domain (the
    same CA twice in one bundle).
seealso:
  - module: kuma.universal.resource
  - module: kuma.universal.gateway_permissions
"""

EXAMPLES = r"""
- name: Let every zone trust the identities of zone-1, once its MeshTrust has reached the global
  kuma.universal.zone_trusts:
    zone: zone-1
  delegate_to: "{{ groups['kuma_global_control_plane'][0] }}"
  register: trusts
  until: trusts.pending | length == 0
  retries: 20
  delay: 3
"""

RETURN = r"""
trusts:
  description: The copies as wanted, as V(mesh/name).
  returned: always
  type: list
  elements: str
  sample: [default/kuma-universal-zone-zone-1-ca-1-4f5c8d9x7b]
removed:
  description: The copies deleted because the zone no longer has their source, as V(mesh/name).
  returned: always
  type: list
  elements: str
pending:
  description: The meshes where O(zone) should have a C(MeshTrust) on the global and has none yet.
  returned: always
  type: list
  elements: str
  sample: [default]
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError, KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._errors import quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._converge import DELETE, apply, plan
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import DISPLAY_NAME, MANAGED_BY, ORIGIN
from ansible_collections.kuma.universal.plugins.module_utils._naming import ZONE_TAG as ZONE
from ansible_collections.kuma.universal.plugins.module_utils._naming import check_mesh, check_name
from ansible_collections.kuma.universal.plugins.module_utils._resource import resource_target

TRUST_OF_ZONE = "kuma.universal/trust-of-zone"
PREFIX = "kuma-universal-zone-"
NAME_MAX = 253


def _path(mesh, kind, name=None):
    path = "/meshes/%s/%s" % (quote_segment(mesh), kind)
    return path if name is None else "%s/%s" % (path, quote_segment(name))


def _what(mesh, name):
    return "MeshTrust %s/%s" % (mesh, name)


def copy_name(zone, source):
    """The global copy of a zone's MeshTrust: by zone and the name the zone gave it."""
    labels = source.get("labels") or {}
    return ("%s%s-%s" % (PREFIX, zone, labels.get(DISPLAY_NAME) or source.get("name")))[:NAME_MAX].rstrip("-.")


def expects_trust(identity):
    """Whether a zone writes a MeshTrust for this MeshIdentity (a Bundled provider that creates one)."""
    provider = (identity.get("spec") or {}).get("provider") or {}
    return provider.get("type") == "Bundled" and \
        (provider.get("bundled") or {}).get("meshTrustCreation", "Enabled") != "Disabled"


def ensure(kmod):
    p = kmod.params
    client = kmod.client
    errors = []
    check_name(p["zone"], errors, "zone")
    for i, mesh in enumerate(p["meshes"] or []):
        check_mesh(mesh, errors, "meshes[%d]" % i)
    if errors:
        raise KumaInputError(errors)
    zone = p["zone"]
    meshes = p["meshes"] if p["meshes"] is not None else sorted(m["name"] for m in client.list("/meshes") if m.get("name"))
    current, targets, wanted, pending = {}, [], [], []
    for mesh in meshes:
        sources, copies = [], {}
        for entity in client.list(_path(mesh, "meshtrusts")):
            labels = entity.get("labels") or {}
            current[_what(mesh, entity.get("name"))] = entity
            if labels.get(ORIGIN) == "zone" and labels.get(ZONE) == zone:
                sources.append(entity)
            elif labels.get(MANAGED_BY) == "ansible" and labels.get(TRUST_OF_ZONE) == zone:
                copies[entity["name"]] = entity
        if not sources and any(expects_trust(i) and (i.get("labels") or {}).get(ORIGIN) != "zone"
                               for i in client.list(_path(mesh, "meshidentities"))):
            pending.append(mesh)
        for source in sorted(sources, key=lambda e: e.get("name")):
            name = copy_name(zone, source)
            spec = source.get("spec") or {}
            desired = {"labels": {MANAGED_BY: "ansible", TRUST_OF_ZONE: zone},
                       "spec": {"trustDomain": spec.get("trustDomain"), "caBundles": spec.get("caBundles") or []}}
            targets.append(resource_target(_path(mesh, "meshtrusts", name), desired,
                                           {"type": "MeshTrust", "mesh": mesh, "name": name}, _what(mesh, name)))
            wanted.append("%s/%s" % (mesh, name))
            copies.pop(name, None)
        # A zone that still has to write its MeshTrust keeps its old copies until then.
        if mesh not in pending:
            for name in sorted(copies):
                targets.append(resource_target(_path(mesh, "meshtrusts", name), None, {}, _what(mesh, name)))
    steps = plan(targets, current)
    warnings = apply(client, steps, kmod.check_mode, name_warnings=True)
    changed = [s for s in steps if s.action is not None]
    return {
        "changed": bool(changed),
        "trusts": wanted,
        "removed": [s.target.key.split(" ", 1)[1] for s in steps if s.action == DELETE],
        "pending": pending,
        "diff": {"before": {s.target.key: s.before for s in changed}, "after": {s.target.key: s.after for s in changed}},
        "warnings": warnings,
    }


def main():
    argument_spec = {
        "zone": {"type": "str", "required": True},
        "meshes": {"type": "list", "elements": "str"},
    }
    KumaModule(argument_spec).run(ensure)


if __name__ == "__main__":
    main()
