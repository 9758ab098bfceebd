#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource
short_description: Manage any Kuma resource or policy by kind
version_added: 0.1.0
description:
  - Creates, updates or deletes a Kuma resource such as a MeshTrafficPermission, MeshTimeout,
    MeshRetry or MeshService, through the control-plane API.
  - The URL is found through C(GET /_resources) (read once per run), so every kind the control
    plane knows works, mesh-scoped or global, without a list kept in this collection.
  - Only the options given are managed. Within O(spec) only the keys given are compared, because the
    control plane fills in defaults (for example C(apiVersion) of a MeshTrace Zipkin backend) and state
    (C(state) of a MeshService); zero values and rewritten Go durations such as V(90s) / V(1m30s) do
    not count as changes; labels C(kuma.io/*) are ignored. To remove a key, set it to V(null). Lists
    are compared item by item, in order. When anything changes, O(spec) is sent as given.
  - The diff (C(--diff)) holds only the keys given that change; a list that changes is shown whole.
  - The control plane ignores fields a policy does not have (a misspelled key is dropped without an error).
    After each write the resource is read back; when the control plane did not keep a key sent with a value,
    the write is undone (the resource put back as it was, or removed if the task created it) and the task
    fails naming the key's path (for example V(spec.to[0].default.connectionTimeot)), with nothing changed.
    In check mode nothing is written, so this cannot be detected there (the control plane publishes no
    schema to check against).
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
options:
  kind:
    description:
      - The resource type as the control plane names it, for example V(MeshTrafficPermission).
      - Secrets (V(Secret), V(GlobalSecret)) are refused, as their data would show in the result and the diff.
    type: str
    required: true
  name:
    description: Name of the resource (lowercase RFC 1123 subdomain).
    type: str
    required: true
  mesh:
    description:
      - Mesh of a mesh-scoped kind (the scope comes from C(GET /_resources)); V(default) when omitted.
      - Must not be given for a global kind.
    type: str
  state:
    description: V(present) creates or updates; V(absent) deletes (no change when already absent).
    type: str
    choices: [present, absent]
    default: present
  labels:
    description: Labels of the resource. Keys C(kuma.io/*) belong to the control plane and are refused.
    type: dict
  spec:
    description:
      - The resource's fields in Kuma JSON form. For policies and other newer kinds this is the C(spec)
        object; for the older kinds without C(spec) (for example TrafficPermission, ExternalService,
        MeshGateway) its keys are the entity's top-level fields.
    type: dict
seealso:
  - module: kuma.universal.mesh
"""

EXAMPLES = r"""
- name: Allow every service of the mesh to reach redis
  kuma.universal.resource:
    kind: MeshTrafficPermission
    mesh: default
    name: allow-to-redis
    spec:
      targetRef:
        kind: MeshService
        name: redis
      from:
        - targetRef:
            kind: Mesh
          default:
            action: Allow

- name: Timeouts for the whole mesh
  kuma.universal.resource:
    kind: MeshTimeout
    name: mesh-timeouts
    spec:
      targetRef:
        kind: Mesh
      to:
        - targetRef:
            kind: Mesh
          default:
            idleTimeout: 90s

- name: Remove it
  kuma.universal.resource:
    kind: MeshTimeout
    name: mesh-timeouts
    state: absent
"""

RETURN = r"""
resource:
  description: The entity as sent (or, when unchanged, as it would be sent); empty with O(state=absent).
  returned: always
  type: dict
  sample:
    type: MeshTimeout
    mesh: default
    name: mesh-timeouts
    spec:
      targetRef:
        kind: Mesh
path:
  description: The API path of the resource, from C(GET /_resources).
  returned: always
  type: str
  sample: /meshes/default/meshtimeouts/mesh-timeouts
created:
  description: Whether the resource did not exist before this run.
  returned: when O(state=present) and the resource was created
  type: bool
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._resource import ensure_resource


def main():
    argument_spec = {
        "kind": {"type": "str", "required": True},
        "name": {"type": "str", "required": True},
        "mesh": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "labels": {"type": "dict"},
        "spec": {"type": "dict"},
    }
    KumaModule(argument_spec).run(ensure_resource)


if __name__ == "__main__":
    main()
