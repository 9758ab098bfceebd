#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: mesh
short_description: Manage a Kuma Mesh through the control-plane API
version_added: 0.1.0
description:
  - Creates, updates or deletes a Mesh (C(PUT|DELETE /meshes/{name})) on a Kuma control plane.
  - Only the options given are managed; an option left out keeps the control plane's value.
    Give an empty dict (or list) to remove a section.
  - Values are compared in canonical form - zero values the control plane omits and Go durations it
    rewrites (V(90s) comes back as V(1m30s)) never show as a change; labels C(kuma.io/*) are ignored.
  - Within a section (O(mtls), O(metrics) and the others) only the keys given are compared, because the
    control plane fills in defaults (a Prometheus backend gets C(conf.tags)). To remove a key, set it
    to V(null); to remove a whole section, give V({}). When anything changes, the sections given are
    sent as given.
  - On a zone control plane attached to a global one, Meshes are created on the global control plane.
  - The diff (C(--diff)) holds only the keys given that change; a list that changes is shown whole.
  - After each write the mesh is read back; when the control plane did not keep a key sent with a value,
    the mesh is put back as it was and the task fails naming the key's path (not detectable in check mode,
    where nothing is written).
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
options:
  name:
    description: Name of the mesh (lowercase letters, digits, C(-), C(_), C(.)).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the mesh; V(absent) deletes it (and everything in it),
        with no change when already absent.
    type: str
    choices: [present, absent]
    default: present
  labels:
    description: Labels of the mesh. Keys C(kuma.io/*) belong to the control plane and are refused.
    type: dict
  mtls:
    description:
      - The C(mtls) section in Kuma JSON form, for example
        C({"enabledBackend":"ca-1", "backends":[{"name":"ca-1", "type":"builtin"}]}).
    type: dict
  metrics:
    description: The C(metrics) section in Kuma JSON form.
    type: dict
  logging:
    description: The C(logging) section in Kuma JSON form.
    type: dict
  tracing:
    description: The C(tracing) section in Kuma JSON form.
    type: dict
  networking:
    description: The C(networking) section in Kuma JSON form, for example C({"outbound":{"passthrough":false}}).
    type: dict
  routing:
    description: The C(routing) section in Kuma JSON form, for example C({"zoneEgress":true}).
    type: dict
  constraints:
    description: The C(constraints) section in Kuma JSON form (which dataplanes may join).
    type: dict
  skip_creating_initial_policies:
    description:
      - Default policies the control plane must not create with the mesh (V(*) for none of them).
      - Only has an effect when the mesh is created. Compared as a set.
    type: list
    elements: str
seealso:
  - module: kuma.universal.resource
"""

EXAMPLES = r"""
- name: A mesh with builtin mTLS
  kuma.universal.mesh:
    name: default
    mtls:
      enabledBackend: ca-1
      backends:
        - name: ca-1
          type: builtin

- name: A mesh without the default policies
  kuma.universal.mesh:
    name: staging
    skip_creating_initial_policies: ["*"]

- name: Delete a mesh
  kuma.universal.mesh:
    name: staging
    state: absent
"""

RETURN = r"""
mesh:
  description: The entity as sent (or, when unchanged, as it would be sent); empty with O(state=absent).
  returned: always
  type: dict
  sample:
    type: Mesh
    name: default
    mtls:
      enabledBackend: ca-1
      backends:
        - name: ca-1
          type: builtin
created:
  description: Whether the mesh did not exist before this run.
  returned: when O(state=present) and the mesh was created
  type: bool
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._resource import ensure_mesh


def main():
    argument_spec = {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "labels": {"type": "dict"},
        "mtls": {"type": "dict"},
        "metrics": {"type": "dict"},
        "logging": {"type": "dict"},
        "tracing": {"type": "dict"},
        "networking": {"type": "dict"},
        "routing": {"type": "dict"},
        "constraints": {"type": "dict"},
        "skip_creating_initial_policies": {"type": "list", "elements": "str"},
    }
    KumaModule(argument_spec).run(ensure_mesh)


if __name__ == "__main__":
    main()
