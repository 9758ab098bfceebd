# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: compare what a module manages with what the control plane returns.

The CP drops zero values (false, 0, "", empty lists and maps), rewrites Go durations
("90s" comes back as "1m30s") and adds its own labels and timestamps. Compare
canonical forms so that none of that shows up as a change.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

CP_LABEL_PREFIX = "kuma.io/"
# Keys every entity carries that the CP owns.
CP_META_KEYS = ("creationTime", "modificationTime", "kri")

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": Decimal(1), "us": Decimal(1000), "\u00b5s": Decimal(1000), "\u03bcs": Decimal(1000),
    "ms": Decimal(10) ** 6, "s": Decimal(10) ** 9, "m": Decimal(60) * 10 ** 9, "h": Decimal(3600) * 10 ** 9,
}


def parse_go_duration(text):
    """Nanoseconds of a Go duration string ("1h30m", "90s", "0"), or None when it is not one."""
    if not isinstance(text, str) or not text:
        return None
    body = text
    sign = 1
    if body[0] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if body == "0":
        return 0
    pos = 0
    total = Decimal(0)
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if not match:
            return None
        try:
            total += Decimal(match.group(1)) * _DURATION_UNITS[match.group(2)]
        except InvalidOperation:
            return None
        pos = match.end()
    if pos == 0:
        return None
    return sign * int(total)


def is_zero(value, keep_false=False):
    """What the CP omits from its answers: None, "", empty containers and (for protobuf
    scalars) false and 0. keep_false: false and 0 are values (wrapper types, Go pointers)."""
    if value is None:
        return True
    if isinstance(value, (str, list, dict, tuple)) and len(value) == 0:
        return True
    if keep_false:
        return False
    if value is False:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return True
    return False


def canonical(value, significant_false=()):
    """A comparable form: zero-valued map entries dropped, durations as nanoseconds.

    significant_false: keys whose false/0 is a value (protobuf wrapper fields such as the
    Mesh's passthrough, whose default is true).
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = canonical(item, significant_false)
            if not is_zero(item, keep_false=key in significant_false):
                out[str(key)] = item
        return out
    if isinstance(value, (list, tuple)):
        return [canonical(v, significant_false) for v in value]
    if isinstance(value, str):
        nanos = parse_go_duration(value)
        if nanos is not None:
            return {"__duration_ns__": nanos}
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def sort_key(value):
    return json.dumps(value, sort_keys=True, default=str)


def same(desired, current, significant_false=()):
    return canonical({"v": desired}, significant_false) == canonical({"v": current}, significant_false)


def contains(want, have, significant_false=()):
    """Whether have holds everything in want (extra keys in have are the CP's defaults).

    Used for free-form sections where the CP fills in defaults (a Mesh metrics backend gets
    conf.tags). A key set to None in want must be absent (or zero) in have: that is how a
    task removes a key it no longer wants.
    """
    if isinstance(want, dict):
        if have is None:
            have = {}
        if not isinstance(have, dict):
            return False
        for key, value in want.items():
            if value is None:
                if not is_zero(canonical(have.get(key), significant_false), keep_false=key in significant_false):
                    return False
            elif isinstance(value, (dict, list, tuple)):
                if not contains(value, have.get(key), significant_false):
                    return False
            elif canonical({key: value}, significant_false) != canonical({key: have.get(key)}, significant_false):
                return False  # compared under its key: false may be significant there
        return True
    if isinstance(want, (list, tuple)):
        if not isinstance(have, (list, tuple)) or len(want) != len(have):
            return not want and not have
        return all(contains(w, h, significant_false) for w, h in zip(want, have))
    return same(want, have, significant_false)


def user_labels(labels):
    """Labels without the ones the CP adds (kuma.io/*)."""
    return {k: v for k, v in (labels or {}).items() if not str(k).startswith(CP_LABEL_PREFIX)}


def strip_cp_meta(entity):
    """An entity as we may send it back: no timestamps, no kri, no CP labels."""
    body = {k: v for k, v in (entity or {}).items() if k not in CP_META_KEYS}
    if "labels" in body:
        labels = user_labels(body["labels"])
        if labels:
            body["labels"] = labels
        else:
            del body["labels"]
    return body


def field_path(where, key):
    """A JSON path as messages show it: spec.to[0].default, tags["kuma.io/service"]."""
    if isinstance(key, int):
        return "%s[%d]" % (where, key)
    text = str(key)
    if "." in text or "/" in text:
        return '%s["%s"]' % (where, text)
    return "%s.%s" % (where, text) if where else text


def dropped(sent, kept, where=""):
    """Paths of what was sent with a value but is missing from what the CP kept.

    The CP drops keys it does not know (a misspelled policy field) without an error, and omits
    zero values itself: those are not counted. Lists are walked item by item when both have
    the same length.
    """
    lost = []
    if isinstance(sent, dict):
        kept = kept if isinstance(kept, dict) else {}
        for key, value in sent.items():
            here = field_path(where, key)
            if is_zero(canonical(value)):
                continue
            if is_zero(canonical(kept.get(key))):
                lost.append(here)
            else:
                lost.extend(dropped(value, kept[key], here))
    elif isinstance(sent, list) and isinstance(kept, list) and len(sent) == len(kept):
        for index, (item, kept_item) in enumerate(zip(sent, kept)):
            lost.extend(dropped(item, kept_item, field_path(where, index)))
    return lost


def flatten(value, atomic=(), prefix=()):
    """{"spec": {"a": {"b": 1}, "l": [..]}} -> {("spec", "a", "b"): 1, ("spec", "l"): [..]}.

    Non-empty dicts are walked, anything else is a leaf (lists and {} included); top-level
    keys in atomic are leaves whatever their value. Paths are tuples: keys may hold dots.
    """
    out = {}
    for key, item in value.items():
        path = prefix + (key,)
        if isinstance(item, dict) and item and not (not prefix and key in atomic):
            out.update(flatten(item, atomic, path))
        else:
            out[path] = item
    return out


def dig(entity, path):
    """The value at a tuple path of nested dicts, None where the path is missing."""
    node = entity
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def nest(flat):
    """{("networking", "address"): x} -> {"networking": {"address": x}} (for diffs)."""
    out = {}
    for path, value in flat.items():
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def shown(fields):
    """Fields as a diff shows a whole entity: unset ones left out, nested back into its shape."""
    return nest({path: value for path, value in fields.items() if not is_zero(value, keep_false=True)})


def same_value(_path, want, have):
    """The default field comparison (equal in canonical form), as field_diff calls it."""
    return same(want, have)


def field_diff(desired, current, equal=same_value):
    """Compare two flat {path tuple: value} maps of managed fields.

    equal(path, want, have) decides whether a field is as desired.
    Returns (changed paths, before, after) holding only the fields that differ;
    before/after are nested back into the entity's shape for --diff.
    """
    changed = []
    before = {}
    after = {}
    for path in desired:
        want = desired[path]
        have = current.get(path)
        if not equal(path, want, have):
            changed.append(path)
            if not is_zero(have, keep_false=True):
                before[path] = have
            if not is_zero(want, keep_false=True):
                after[path] = want
    return changed, nest(before), nest(after)


# Kuma's DataSource (a provided CA's cert and key, a Vault or ACM token, a TLS CA): given inline, its value
# is a secret (or beside one); the modules add every such value to no_log_values, so that results, their
# diff and their invocation show it masked.
INLINE_SOURCE_KEYS = ("inline", "inlineString")


def inline_secrets(value):
    """The set of every inline DataSource value (strings under an inline/inlineString key) in value."""
    found = set()
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                if key in INLINE_SOURCE_KEYS and isinstance(item, str) and item:
                    found.add(item)
                else:
                    stack.append(item)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def get_or(mapping, key, default=None):
    """mapping[key], or default when it is missing, None, or mapping is not a mapping (hostvars, results)."""
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value
