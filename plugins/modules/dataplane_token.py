#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplane_token
short_description: Issue a Kuma dataplane token, or keep the one in hand while it is still good
version_added: 0.1.0
description:
  - Issues a dataplane token (C(POST /tokens/dataplane)) scoped to a Dataplane name, a mesh and tags,
    with a validity. C(kuma-dp run --dataplane-token-file) presents it to the control plane.
  - Issuing needs admin rights on the API; by default Kuma treats callers on the control plane's
    loopback as admin, otherwise give O(api_token) (an admin user token).
  - With O(current_token) the module keeps that token (C(changed=false)) when it is still good and
    issues a new one otherwise; RV(reason) says why.
  - The token is a secret. It is never written to a message, but it is in the result, so callers
    B(must) set C(no_log) to V(true) on the task.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
attributes:
  diff_mode:
    support: none
    details:
      - No diff is shown, the token being a secret.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: partial
    details:
      - Idempotent only with O(current_token); without it every run issues a new token.
options:
  name:
    description: Name of the Dataplane the token is for (C(kuma-dp run --name)).
    type: str
    required: true
  mesh:
    description: Mesh of the Dataplane.
    type: str
    default: default
  tags:
    description:
      - Tags the token is limited to (for example C(kuma.io/service)); the control plane checks them
        against the Dataplane when the proxy connects. A value may be a string or a list of strings.
      - Omit for a token that is not limited by tags.
    type: dict
  valid_for:
    description:
      - Validity as a Go duration, for example V(720h) or V(8760h). Empty means Kuma's default (10 years).
    type: str
  current_token:
    description:
      - The token in hand (for example read from the proxy's token file). It is kept when it is for the
        same O(name), O(mesh) and O(tags), does not expire within O(renew_before), and is still
        verified by the control plane's current signing key for the mesh.
    type: str
  renew_before:
    description: Issue a new token when O(current_token) expires within this Go duration.
    type: str
    default: 24h
  reissue_revoked:
    description:
      - When O(current_token) was revoked (M(kuma.universal.dataplane_token_revocations)), issue a new one. Without it
        the module fails naming the proxy - revoking a token is how a proxy is shut out, and the next deploy must not
        let it back in without a word.
    type: bool
    default: false
notes:
  - How a replaced signing key is detected - the token header's C(kid) is the serial of the mesh Secret
    C(dataplane-token-signing-key-<mesh>-<kid>) that signed it. A control plane with the memory store
    generates a new key under the same name when it restarts, so checking that the secret exists is not
    enough. The module reads that secret (admin API, like issuing), derives the RSA public key from it
    and verifies the token's RS256 signature locally. Only the Python standard library is used (a
    minimal DER reader, modular exponentiation with C(pow), SHA-256 and the PKCS#1 v1.5 padding check) because no crypto library
    is guaranteed on the host. Asking the control plane to validate the token is not possible through
    its API, and checking the proxy's connection state would miss a proxy that has not connected yet.
  - The token's own claims (C(Name), C(Mesh), C(Tags), C(exp)) are decoded locally without a request.
  - A token whose id is listed in the revocation GlobalSecret C(dataplane-token-revocations-<mesh>) is refused, or
    replaced with O(reissue_revoked) (RV(reason=revoked)).
  - In check mode nothing is issued; C(changed) says whether a token would be, and RV(token) is empty.
seealso:
  - module: kuma.universal.dataplane
"""

EXAMPLES = r"""
- name: Read the token the proxy uses now, if any
  ansible.builtin.slurp:
    src: /etc/kuma/tokens/redis-1
  register: current
  failed_when: false
  no_log: true

- name: Keep it when still good, else issue a new one
  kuma.universal.dataplane_token:
    name: redis-1
    mesh: default
    tags:
      kuma.io/service: redis
    valid_for: 720h
    current_token: "{{ (current.content | b64decode) if current.content is defined else omit }}"
  register: token
  no_log: true

- name: Write it for kuma-dp
  ansible.builtin.copy:
    content: "{{ token.token }}"
    dest: /etc/kuma/tokens/redis-1
    owner: kuma-dp
    mode: "0600"
  when: token is changed
  no_log: true
"""

RETURN = r"""
token:
  description:
    - The token to use - the new one, or O(current_token) when it is still good.
    - Empty in check mode when a new token would be issued.
  returned: always
  type: str
reason:
  description:
    - Why a token was issued, or V(valid) when O(current_token) was kept.
    - V(missing) (no O(current_token)), V(malformed) (not a Kuma JWT), V(claims_mismatch) (name, mesh or
      tags differ), V(expiring) (within O(renew_before)), V(key_rotated) (the signing key that issued it is
      gone or was replaced, for example by a memory-store control plane restart), V(revoked).
  returned: always
  type: str
  sample: key_rotated
expires_at:
  description: Expiry of RV(token) (UTC, ISO 8601); null in check mode when a new token would be issued.
  returned: always
  type: str
  sample: "2026-12-25T22:00:00Z"
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._token import ensure_token, token_module


def main():
    argument_spec = {
        "name": {"type": "str", "required": True},
        "mesh": {"type": "str", "default": "default"},
        "tags": {"type": "dict"},
        "valid_for": {"type": "str"},
        "current_token": {"type": "str", "no_log": True},
        "renew_before": {"type": "str", "default": "24h"},
        "reissue_revoked": {"type": "bool", "default": False},
    }
    KumaModule(argument_spec).run(token_module(ensure_token))


if __name__ == "__main__":
    main()
