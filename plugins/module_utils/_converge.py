# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the converge engine every entity module uses, for one entity or many.

plan() is pure: what the module wants (Target) and what the control plane has (the
current entities) in, one Step per target out - create, update, delete or nothing - with
the body to send and the before/after of --diff holding only the managed fields that
differ. apply() makes the writes of a plan (none in check mode) and, for targets that ask
for it, reads each written entity back to catch what the control plane did not keep.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError
from ansible_collections.kuma.universal.plugins.module_utils._compare import (
    dropped, field_diff, same_value, shown, strip_cp_meta,
)

CREATE = "create"
UPDATE = "update"
DELETE = "delete"


class Target:
    """One entity as a module wants it.

    key: how results name it (mesh/name); path: its API path.
    fields: flat {path tuple: value} of what the module manages; None for state=absent.
    fields_of: function(entity) -> the same fields of an entity read from the CP.
    body_for: function(current entity or None) -> the full body to PUT.
    equal: function(path, want, have) -> whether a field is as desired.
    verify_keys: top-level keys read back after a write (what: the entity, for the message).
    """

    def __init__(self, key, path, fields, fields_of, body_for=None, equal=same_value, verify_keys=(), what=""):
        self.key, self.path, self.fields, self.fields_of = key, path, fields, fields_of
        self.body_for, self.equal, self.verify_keys, self.what = body_for, equal, verify_keys, what or key


class Step:
    """What plan() decided for one target."""

    def __init__(self, target, action, body=None, before=None, after=None, current=None):
        self.target = target
        self.current = current  # the entity as read before the write (to restore it)
        self.action = action  # CREATE, UPDATE, DELETE or None (already as wanted)
        self.body = body
        self.before = before or {}
        self.after = after or {}


def plan_one(target, current):
    if target.fields is None:
        if current is None:
            return Step(target, None)
        return Step(target, DELETE, before=shown(target.fields_of(current)))
    body = target.body_for(current)
    if current is None:
        return Step(target, CREATE, body, after=shown(target.fields))
    changed, before, after = field_diff(target.fields, target.fields_of(current), target.equal)
    return Step(target, UPDATE if changed else None, body, before, after, current=current)


def plan(targets, current):
    """targets: [Target]; current: {key: entity} (a missing key: no such entity). [Step]."""
    return [plan_one(target, current.get(target.key)) for target in targets]


def apply(client, steps, check_mode, name_warnings=False):
    """Make the writes of a plan: every PUT, then every DELETE; nothing in check mode.

    Returns the control plane's warnings (name_warnings: each prefixed with the entity's key).
    """
    warnings = []
    if check_mode:
        return warnings
    for step in [s for s in steps if s.action in (CREATE, UPDATE)]:
        for warning in client.put(step.target.path, step.body):
            warnings.append("%s: %s" % (step.target.key, warning) if name_warnings else str(warning))
        if step.target.verify_keys:
            check_kept(client, step)
    for step in [s for s in steps if s.action == DELETE]:
        client.delete(step.target.path)
    return warnings


def check_kept(client, step):
    """Read an entity back after its write. When the CP did not keep a path sent with a value (it
    drops unknown fields of a policy without an error), put the entity back as it was (remove it
    if the write created it) and raise KumaInputError naming every such path: nothing is left
    half-applied."""
    kept = client.get(step.target.path) or {}
    lost = dropped({k: step.body[k] for k in step.target.verify_keys if k in step.body}, kept)
    if not lost:
        return
    if step.action == CREATE:
        client.delete(step.target.path)
        undone = "the new %s was removed" % step.target.what
    else:
        client.put(step.target.path, strip_cp_meta(step.current))
        undone = "%s was put back as it was" % step.target.what
    raise KumaInputError(["%s: not kept by the control plane, which ignores fields it does not know; nothing "
                          "was changed (%s): correct or remove it" % (field, undone) for field in lost])


_UNREAD = object()


def converge_one(client, target, check_mode, current=_UNREAD):
    """Read (unless current, the entity as read, is given), plan and apply one entity. Returns
    (step, result with changed/diff/warnings)."""
    if current is _UNREAD:
        current = client.get(target.path)
    (step,) = plan([target], {target.key: current})
    warnings = apply(client, [step], check_mode)
    result = {"changed": step.action is not None, "diff": {"before": step.before, "after": step.after},
              "warnings": warnings}
    return step, result
