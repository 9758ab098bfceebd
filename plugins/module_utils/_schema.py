# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: a small schema validator for nested option values.

A schema maps each snake_case field to a kind ("port", "duration", ("choice", values),
("list", schema), ...). parse() checks a value against it, accepting Kuma's camelCase
spelling too and naming every unknown field with a suggestion; emit() writes the parsed
value as Kuma JSON (camelCase). Scalars (ports, addresses) are checked here as well.
"""

from __future__ import annotations

import difflib
import ipaddress
import re

from ansible_collections.kuma.universal.plugins.module_utils._compare import parse_go_duration
from ansible_collections.kuma.universal.plugins.module_utils._naming import check_tags, tag_text

DNS_LABEL = r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
DNS_NAME_RE = re.compile(r"^%s(\.%s)*\.?$" % (DNS_LABEL, DNS_LABEL))


def snake_to_camel(name):
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def unknown_field(where, key, allowed):
    hint = difflib.get_close_matches(str(key), list(allowed), n=1)
    text = "%s.%s: unknown field" % (where, key) if where else "%s: unknown field" % key
    if hint:
        text += " (did you mean '%s'?)" % hint[0]
    return text + "; allowed: %s" % ", ".join(sorted(allowed))


def is_ip(value):
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def check_port(value, where, errors):
    """A port in [1, 65535] (None: required and missing)."""
    if value is None:
        errors.append("%s: required (a port in the range [1, 65535])" % where)
        return None
    if isinstance(value, bool):
        errors.append("%s: must be a port in the range [1, 65535], got %r" % (where, value))
        return None
    try:
        port = int(str(value).strip())
    except ValueError:
        errors.append("%s: must be a port in the range [1, 65535], got %r" % (where, value))
        return None
    if not 1 <= port <= 65535:
        errors.append("%s: port must be in the range [1, 65535], got %d" % (where, port))
        return None
    return port


def check_ip(value, where, errors):
    text = str(value).strip()
    if not is_ip(text):
        errors.append("%s: %r is not a valid IP address" % (where, text))
    return text


def check_address(value, where, errors):
    """An IP address or DNS name other proxies can reach (not a wildcard)."""
    text = str(value).strip()
    if not text:
        errors.append("%s: address can't be empty" % where)
    elif text in ("0.0.0.0", "::"):
        errors.append("%s: must not be 0.0.0.0 or ::" % where)
    elif not is_ip(text) and not DNS_NAME_RE.match(text):
        errors.append("%s: %r is not a valid IP address or domain name" % (where, text))
    return text


def parse(value, schema, where, errors):
    """Parse a nested structure into its snake_case form, rejecting unknown keys."""
    if not isinstance(value, dict):
        errors.append("%s: must be a dictionary, got %r" % (where, value))
        return {}
    aliases = {}
    for field in schema:
        aliases[field] = field
        aliases[snake_to_camel(field)] = field
    out = {}
    for key, raw in value.items():
        field = aliases.get(key)
        if field is None:
            errors.append(unknown_field(where, key, schema))
            continue
        if field in out:
            errors.append("%s.%s: given twice (as %s and %s)" % (where, field, field, snake_to_camel(field)))
            continue
        if raw is None:
            continue
        parsed = parse_value(raw, schema[field], "%s.%s" % (where, field), errors)
        if parsed is not None:
            out[field] = parsed
    return out


def _threshold(raw, where, errors):
    try:
        number = int(raw)
    except (TypeError, ValueError):
        number = 0
    if isinstance(raw, bool) or number <= 0:
        errors.append("%s: must have a positive value, got %r" % (where, raw))
        return None
    return number


def _duration(raw, where, errors):
    nanos = parse_go_duration(str(raw))
    if nanos is None or nanos <= 0:
        errors.append("%s: must be a positive Go duration such as '10s' or '1m', got %r" % (where, raw))
        return None
    return str(raw)


def _path(raw, where, errors):
    text = str(raw)
    if not text.startswith("/"):
        errors.append("%s: should be a valid URL path starting with '/', got %r" % (where, text))
    return text


def _strmap(raw, where, errors):
    if not isinstance(raw, dict):
        errors.append("%s: must be a dictionary, got %r" % (where, raw))
        return None
    return {str(k): tag_text(v) for k, v in raw.items()}


def _strset(raw, where, errors):
    if not isinstance(raw, list):
        errors.append("%s: must be a list of strings, got %r" % (where, raw))
        return None
    return sorted({str(v) for v in raw})


SCALARS = {
    "raw": lambda raw, where, errors: raw,
    "str": lambda raw, where, errors: str(raw),
    "port": check_port,
    "threshold": _threshold,
    "duration": _duration,
    "path": _path,
    "strmap": _strmap,
    "strset": _strset,
    "tags": check_tags,
    "address": check_address,
}


def choice(raw, choices, where, errors):
    text = str(raw)
    for item in choices:
        if text.lower() == item.lower():
            return item
    errors.append("%s: invalid value %r; allowed: %s" % (where, text, ", ".join(choices)))
    return None


def parse_value(raw, kind, where, errors):
    if isinstance(kind, str):
        return SCALARS[kind](raw, where, errors)
    if kind[0] == "choice":
        return choice(raw, kind[1], where, errors)
    if not isinstance(raw, list):  # ("list", schema)
        errors.append("%s: must be a list, got %r" % (where, raw))
        return None
    return [parse(item, kind[1], "%s[%d]" % (where, i), errors) for i, item in enumerate(raw)]


def emit(value, schema):
    """snake_case structure -> Kuma JSON (camelCase) following its schema."""
    out = {}
    for field, item in value.items():
        kind = schema[field]
        if isinstance(kind, tuple) and kind[0] == "list":
            item = [emit(v, kind[1]) for v in item]
        out[snake_to_camel(field)] = item
    return out
