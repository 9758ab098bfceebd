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
"""

from types import SimpleNamespace

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError, KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._token import ensure_token


def _run(kmod):
    common = {"valid_for": kmod.params.get("valid_for"), "renew_before": kmod.params.get("renew_before"),
              "reissue_revoked": kmod.params.get("reissue_revoked")}
    items = []
    errors = []
    for index, item in enumerate(kmod.params["tokens"]):
        params = dict(common, name=item["name"], mesh=item.get("mesh") or "default", tags=item.get("tags"),
                      current_token=item.get("current_token"))
        items.append(params)
        if not params["name"]:
            errors.append("tokens[%d].name: cannot be empty" % index)
    keys = ["%s/%s" % (p["mesh"], p["name"]) for p in items]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            errors.append("tokens[%d]: %s is already given as tokens[%d]" % (index, key, keys.index(key)))
    if errors:
        raise KumaInputError(errors)
    # Validate every item before any request: check mode and an empty current token never call the CP.
    for index, params in enumerate(items):
        try:
            ensure_token(SimpleNamespace(params=dict(params, current_token=None), client=None, check_mode=True))
        except KumaInputError as exc:
            errors.extend("tokens[%d].%s" % (index, e) for e in exc.errors)
    if errors:
        raise KumaInputError(errors)
    # Decide every item first (reads only): a refusal (a revoked token) stops the task before any token is issued.
    decided = []
    for index, params in enumerate(items):
        try:
            decided.append(ensure_token(SimpleNamespace(params=params, client=kmod.client, check_mode=True)))
        except KumaInputError as exc:
            errors.extend("tokens[%d].%s" % (index, e) for e in exc.errors)
    if errors:
        raise KumaInputError(errors)
    results = []
    for params, outcome in zip(items, decided):
        if outcome["changed"] and not kmod.check_mode:
            # Already decided: issue without deciding again (the reason is the one found above).
            issued = ensure_token(SimpleNamespace(params=dict(params, current_token=None), client=kmod.client,
                                                  check_mode=False))
            outcome = dict(issued, reason=outcome["reason"])
        entry = {"name": params["name"], "mesh": params["mesh"], "changed": outcome["changed"],
                 "reason": outcome["reason"], "expires_at": outcome["expires_at"]}
        if outcome["changed"]:
            entry["token"] = outcome["token"]
        results.append(entry)
    return {"changed": any(r["changed"] for r in results), "tokens": results}


def main():
    argument_spec = {
        # A list of items (names, meshes, tags), not a secret; each item's current_token is.
        "tokens": {"type": "list", "elements": "dict", "required": True, "no_log": False, "options": {
            "name": {"type": "str", "required": True},
            "mesh": {"type": "str", "default": "default"},
            "tags": {"type": "dict"},
            "current_token": {"type": "str", "no_log": True},
        }},
        "valid_for": {"type": "str"},
        "renew_before": {"type": "str", "default": "24h"},
        "reissue_revoked": {"type": "bool", "default": False},
    }
    KumaModule(argument_spec).run(_run)


if __name__ == "__main__":
    main()
