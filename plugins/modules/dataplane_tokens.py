#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplane_tokens
short_description: Issue many Kuma dataplane tokens in one run, keeping the ones in hand that are still good
version_added: 0.1.0
description:
  - The batch form of M(kuma.universal.dataplane_token) - for example every replica of a host in one task. Each item
    is decided exactly as that module decides one token (same checks, same RV(tokens[].reason) values), with one
    client for all of them.
  - All items are validated before any request; a bad item fails the task naming it (for example V(tokens[2].tags)).
  - Only tokens that are issued are returned; a token in hand that is still good is never sent back.
  - The tokens are secrets. They are never written to a message, but new ones are in the result, so callers
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
      - No diff is shown, the tokens being secrets.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: partial
    details:
      - Idempotent only with O(tokens[].current_token); an item without it is issued on every run.
options:
  tokens:
    description: One item per token.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the Dataplane the token is for.
        type: str
        required: true
      mesh:
        description: Mesh of the Dataplane.
        type: str
        default: default
      tags:
        description: Tags the token is limited to, as O(kuma.universal.dataplane_token#module:tags).
        type: dict
      current_token:
        description: The token in hand, as O(kuma.universal.dataplane_token#module:current_token).
        type: str
  valid_for:
    description: Validity of issued tokens as a Go duration (for example V(8760h)); empty means Kuma's default.
    type: str
  renew_before:
    description: Issue a new token when the one in hand expires within this Go duration.
    type: str
    default: 24h
  reissue_revoked:
    description:
      - Issue a new token for an item whose token in hand was revoked, as
        O(kuma.universal.dataplane_token#module:reissue_revoked). Without it such an item fails the task before any
        token of any item is issued.
    type: bool
    default: false
  token_reads:
    description:
      - What M(kuma.universal.dataplanes) read for the tokens in hand (its RV(kuma.universal.dataplanes#module:token_reads),
        given the keys that signed them in O(kuma.universal.dataplanes#module:token_keys)), earlier in the same run.
      - With it, every item is first decided on the controller, with this module's own code, against those reads - the
        signing keys' public part, the revoked token ids, the control plane's version. When every token in hand is still
        good, that is the result and nothing runs on the control plane (RV(decided_on) V(controller)). Otherwise (a token
        to issue, a read the record does not hold, an item the checks refuse) the module runs as without it.
      - Read seconds before, in the same batch. A key replaced since (a memory-store CP restarted in between) is found
        by the proxy's own connection (the CP refuses its token) and by the next run. Decided there, a token's expiry
        (O(renew_before)) is judged by the controller's clock.
    type: dict
notes:
  - Check mode decides every item and issues nothing; RV(tokens[].changed) says which would be issued.
seealso:
  - module: kuma.universal.dataplane_token
"""

EXAMPLES = r"""
- name: Keep the tokens of this host's proxies that are still good, issue the others
  kuma.universal.dataplane_tokens:
    renew_before: 48h
    tokens:
      - name: redis-1
        tags:
          kuma.io/service: redis
        current_token: "{{ current_tokens['redis-1'] | default(omit) }}"
      - name: redis-2
        tags:
          kuma.io/service: redis
        current_token: "{{ current_tokens['redis-2'] | default(omit) }}"
  register: tokens
  no_log: true
"""

RETURN = r"""
tokens:
  description: One entry per item, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The Dataplane name.
      type: str
    mesh:
      description: The mesh.
      type: str
    changed:
      description: Whether a token was (or in check mode would be) issued for this item.
      type: bool
    reason:
      description: As RV(kuma.universal.dataplane_token#module:reason) - V(valid) when the token in hand was kept.
      type: str
      sample: expiring
    expires_at:
      description: Expiry of the token in use after the run (UTC, ISO 8601); null in check mode for one that would be issued.
      type: str
    token:
      description: The new token; only returned when one was issued (empty in check mode).
      type: str
      returned: when issued
decided_on:
  description:
    - V(controller) when O(token_reads) answered for every item and every token in hand was good (no module run);
      V(control_plane) when the module ran.
  returned: always
  type: str
  sample: controller
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._token import TOKENS_ARGUMENT_SPEC, ensure_tokens


def main():
    KumaModule(TOKENS_ARGUMENT_SPEC).run(ensure_tokens)


if __name__ == "__main__":
    main()
