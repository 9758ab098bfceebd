#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_token
short_description: Issue a Kuma zone token for zone ingress and egress proxies, or keep the one in hand
version_added: 0.1.0
description:
  - Issues a zone token (C(POST /tokens/zone)) bound to a zone and a scope (V(ingress), V(egress) or both),
    with a validity. A zone ingress or zone egress (C(kuma-dp run --proxy-type=ingress|egress)) presents it to
    its zone control plane.
  - In a multizone deployment the B(global) control plane issues the tokens of every federated zone (a zone
    control plane only holds the public key the global sends it, so it can check a zone token but not issue
    one). Point O(api_url) at the global; a zone control plane answers that it has no signing key, and the
    module then says which control plane to ask instead.
  - With O(current_token) the module keeps that token (C(changed=false)) when it is still good and issues a new
    one otherwise; RV(reason) says why.
  - The token is a secret. It is never written to a message, but it is in the result, so callers B(must) set
    C(no_log) to V(true) on the task.
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
  zone:
    description: Name of the zone whose zone proxies present the token (the zone control plane's C(KUMA_MULTIZONE_ZONE_NAME)).
    type: str
    required: true
  scope:
    description: What the token allows. A token for an ingress cannot run an egress, and the other way round.
    type: list
    elements: str
    choices: [ingress, egress]
    required: true
  valid_for:
    description:
      - Validity as a Go duration, for example V(720h) or V(8760h). Empty means Kuma's default (10 years).
    type: str
  current_token:
    description:
      - The token in hand (for example read from the proxy's token file). It is kept when it is for the same
        O(zone) and O(scope), does not expire within O(renew_before), is verified by the issuing control plane's
        current zone signing key and is not revoked.
    type: str
  renew_before:
    description: Issue a new token when O(current_token) expires within this Go duration.
    type: str
    default: 24h
notes:
  - How a token is checked - as M(kuma.universal.dataplane_token) does for dataplane tokens, with the GlobalSecret
    C(zone-token-signing-key-<kid>) (the header's C(kid)) and the revocation GlobalSecret C(zone-token-revocations).
  - In check mode nothing is issued; C(changed) says whether a token would be, and RV(token) is empty.
seealso:
  - module: kuma.universal.dataplane_token
  - module: kuma.universal.dataplane_proxies
"""

EXAMPLES = r"""
- name: Keep the zone ingress's token when still good, else issue a new one (on the global control plane)
  kuma.universal.zone_token:
    zone: zone-1
    scope: [ingress]
    valid_for: 8760h
    current_token: "{{ current_token | default(omit) }}"
  delegate_to: global-cp
  register: zone_token
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
    - V(missing), V(malformed) (not a Kuma zone token), V(claims_mismatch) (zone or scope differ), V(expiring)
      (within O(renew_before)), V(key_rotated) (the signing key that issued it is gone or was replaced), V(revoked).
  returned: always
  type: str
  sample: missing
expires_at:
  description: Expiry of RV(token) (UTC, ISO 8601); null in check mode when a new token would be issued.
  returned: always
  type: str
  sample: "2027-11-26T09:00:00Z"
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._token import ensure_zone_token, token_module


def main():
    argument_spec = {
        "zone": {"type": "str", "required": True},
        "scope": {"type": "list", "elements": "str", "choices": ["ingress", "egress"], "required": True},
        "valid_for": {"type": "str"},
        "current_token": {"type": "str", "no_log": True},
        "renew_before": {"type": "str", "default": "24h"},
    }
    KumaModule(argument_spec).run(token_module(ensure_zone_token))


if __name__ == "__main__":
    main()
