#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplane_signing_key
short_description: Add or delete the signing keys of a mesh's Kuma dataplane tokens
version_added: 0.1.0
description:
  - A mesh's dataplane tokens are signed by the mesh Secret C(dataplane-token-signing-key-<mesh>-<serial>) of the highest
    serial; that serial is the token's C(kid) header, and kuma-cp verifies a token with the key its C(kid) names. Keys
    are added with a higher serial and deleted by serial, which is how tokens are rotated without downtime (see the
    C(kuma.universal.rotate_tokens) playbook).
  - A new key is an RSA-2048 private key in PKCS#1 PEM form (C(RSA PRIVATE KEY)), as kuma-cp generates it, made on the
    host that runs the module with the Python library C(cryptography), or else with C(openssl genrsa). Key material is
    never returned, shown in a diff or logged; an existing key is never replaced.
  - The mesh must exist. All input is checked before any request; an error names the option.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
attributes:
  diff_mode:
    details:
      - The diff shows the serials of the mesh's keys before and after, never a key.
  idempotent:
    support: partial
    details:
      - V(present) and V(absent) are idempotent; V(next) adds a key on every run, by design.
options:
  mesh:
    description: The mesh whose keys are managed.
    type: str
    default: default
  state:
    description:
      - V(present) makes sure the key O(serial) exists (without O(serial), that the mesh has a key; use it to read
        RV(serials) without a change).
      - V(next) adds the key of serial RV(latest) + 1; tokens issued from then on are signed with it.
      - V(absent) deletes the key O(serial); tokens signed with it no longer connect (a proxy already connected keeps
        its connection until it reconnects).
    type: str
    choices: [present, absent, next]
    default: present
  serial:
    description:
      - The serial of the key (a positive integer). Required with O(state=absent), not allowed with O(state=next).
    type: int
  allow_last:
    description:
      - Allow O(state=absent) to delete the only key of the mesh; no token can be issued until a key is added.
    type: bool
    default: false
notes:
  - With the memory store, kuma-cp loses every key on a restart and creates serial 1 again.
  - On a zone attached to a global control plane, manage the keys on the global one (Secrets are synced to zones).
seealso:
  - module: kuma.universal.dataplane_token_revocations
  - module: kuma.universal.dataplane_tokens
  - name: Kuma dataplane token rotation
    description: Kuma's documentation of signing key rotation.
    link: https://kuma.io/docs/latest/production/secure-deployment/dp-auth/
"""

EXAMPLES = r"""
- name: Read the serials of the mesh's keys
  kuma.universal.dataplane_signing_key:
    mesh: default
  register: keys

- name: Add the next key (new tokens are signed with it)
  kuma.universal.dataplane_signing_key:
    mesh: default
    state: next
  register: new_key

- name: Delete the older keys once every token is re-issued
  kuma.universal.dataplane_signing_key:
    mesh: default
    state: absent
    serial: "{{ item }}"
  loop: "{{ new_key.serials | reject('equalto', new_key.serial) | list }}"
"""

RETURN = r"""
mesh:
  description: The mesh.
  returned: always
  type: str
serial:
  description: The serial of the key added, kept, deleted (or that would be); with O(state=present) and no O(serial), the latest.
  returned: always
  type: int
  sample: 2
name:
  description: The name of the Secret of that key.
  returned: always
  type: str
  sample: dataplane-token-signing-key-default-2
serials:
  description: The serials of the mesh's keys after the run (in check mode, as they would be), ascending.
  returned: always
  type: list
  elements: int
  sample: [1, 2]
latest:
  description: The highest serial after the run, the one new tokens are signed with; null when the mesh has no key.
  returned: always
  type: int
  sample: 2
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._signing_key import ensure_signing_key


def main():
    argument_spec = {
        "mesh": {"type": "str", "default": "default"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent", "next"]},
        "serial": {"type": "int"},
        "allow_last": {"type": "bool", "default": False},
    }
    KumaModule(argument_spec).run(ensure_signing_key)


if __name__ == "__main__":
    main()
