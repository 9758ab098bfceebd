# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the present/absent flow shared by every entity module.

Read, compare the managed fields, write only when they differ and not in check mode.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._compare import dropped, field_diff, same_value, shown
from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError


def ensure_entity(client, path, state, check_mode, desired_fields, current_fields, build_body, equal=same_value,
                  verify_keys=(), what="entity"):
    """Converge one entity at path.

    desired_fields: flat {path tuple: value} of what the module manages.
    current_fields: function(entity) -> the same fields read from the CP's entity.
    build_body: function(entity or None) -> the full body to PUT.
    equal: function(path, want, have) -> whether a field is as desired.
    verify_keys: top-level keys read back after a write: a key the CP did not keep fails the
    run naming its path (what: the entity, for that message).
    Returns (result dict with changed/diff/warnings/created, body sent or that would be sent).
    """
    current = client.get(path)
    result = {"changed": False, "diff": {"before": {}, "after": {}}, "warnings": []}
    if state == "absent":
        if current is None:
            return result, None
        result["changed"] = True
        result["diff"] = {"before": shown(current_fields(current)), "after": {}}
        if not check_mode:
            client.delete(path)
        return result, None

    have = current_fields(current) if current is not None else {}
    changed, before, after = field_diff(desired_fields, have, equal=equal)
    body = build_body(current)
    if current is None:
        result["changed"] = True
        result["created"] = True
        result["diff"] = {"before": {}, "after": shown(desired_fields)}
    elif changed:
        result["changed"] = True
        result["diff"] = {"before": before, "after": after}
    if result["changed"] and not check_mode:
        _status, warnings = client.put(path, body)
        result["warnings"] = [str(w) for w in warnings or []]
        if verify_keys:
            check_kept(client, path, body, verify_keys, what)
    return result, body


def check_kept(client, path, body, keys, what):
    """Read the entity back after a write; KumaInputError (changed) naming every path sent with a
    value that the CP did not keep (it drops unknown fields of a policy without an error)."""
    kept = client.get(path) or {}
    lost = dropped({k: body[k] for k in keys if k in body}, kept)
    if lost:
        raise KumaInputError(["%s: not kept by the control plane, which ignores fields it does not know; %s was "
                              "written without it: correct or remove it" % (field, what) for field in lost],
                             changed=True)
