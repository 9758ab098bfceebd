#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplane_token_revocations
short_description: Revoke Kuma dataplane tokens of a mesh (or take them off the revocation list)
version_added: 0.1.0
description:
  - Kuma 2.14 keeps the ids (C(jti) claim) of a mesh's revoked dataplane tokens, comma-separated, in the
    B(GlobalSecret) C(dataplane-token-revocations-<mesh>) (not a mesh Secret). kuma-cp checks the list when a proxy
    connects; a proxy already connected keeps its connection until it restarts or reconnects.
  - Tokens are given as tokens (for example a proxy's token file, read with C(ansible.builtin.slurp)) or as ids; only
    their ids are stored, returned and shown.
  - All input is checked before any request; an error names the option and the item, never quoting a token.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
attributes:
  diff_mode:
    details:
      - The diff shows the revoked ids before and after.
options:
  mesh:
    description: The mesh of the tokens.
    type: str
    default: default
  tokens:
    description: Tokens to revoke (or, with O(state=absent), to take off the list). Each must be a token of O(mesh).
    type: list
    elements: str
  ids:
    description: Token ids (C(jti)) to revoke or take off the list.
    type: list
    elements: str
  state:
    description:
      - V(present) adds the ids to the list; V(absent) removes them (the secret is deleted when the list is empty).
    type: str
    choices: [present, absent]
    default: present
notes:
  - A revoked proxy needs a new token (M(kuma.universal.dataplane_tokens)) before it can connect again.
seealso:
  - module: kuma.universal.dataplane_signing_key
"""

EXAMPLES = r"""
- name: Read the token of the proxy to revoke
  ansible.builtin.slurp:
    src: /etc/kuma/dp/tokens/redis-1
  register: token_file
  no_log: true

- name: Revoke it
  kuma.universal.dataplane_token_revocations:
    mesh: default
    tokens:
      - "{{ token_file.content | b64decode }}"
  delegate_to: "{{ groups['kuma_control_plane'][0] }}"
"""

RETURN = r"""
mesh:
  description: The mesh.
  returned: always
  type: str
name:
  description: The name of the GlobalSecret holding the list.
  returned: always
  type: str
  sample: dataplane-token-revocations-default
revoked:
  description: The revoked ids after the run (in check mode, as they would be).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._signing_key import ensure_revocations


def main():
    argument_spec = {
        "mesh": {"type": "str", "default": "default"},
        "tokens": {"type": "list", "elements": "str", "no_log": True},
        "ids": {"type": "list", "elements": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    }
    KumaModule(argument_spec, required_one_of=[("tokens", "ids")]).run(ensure_revocations)


if __name__ == "__main__":
    main()
