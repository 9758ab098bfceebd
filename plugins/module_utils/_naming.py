# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: Kuma's naming rules, in one place for every module.

Entity names, mesh names, tag and label names and values are checked here the way the
control plane checks them, each with one error text that names the field.
"""

from __future__ import annotations

import re

SERVICE_TAG = "kuma.io/service"
ZONE_TAG = "kuma.io/zone"
PROTOCOL_TAG = "kuma.io/protocol"
CP_PREFIX = "kuma.io/"

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MESH_RE = re.compile(r"^[0-9a-z.\-_]+$")
TAG_NAME_RE = re.compile(r"^[a-zA-Z0-9.\-_:/]+$")
TAG_VALUE_RE = re.compile(r"^[a-zA-Z0-9.\-_:]+$")


def check_name(name, errors, field="name"):
    """An entity name: a lowercase RFC 1123 subdomain."""
    if not name:
        errors.append("%s: cannot be empty" % field)
    elif not isinstance(name, str) or len(name) > 253 or not NAME_RE.match(name):
        errors.append("%s: %r must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; at most 253 characters)"
                      % (field, name))


def check_mesh(mesh, errors, field="mesh"):
    """A mesh name: lowercase letters, digits, '-', '_' and '.'."""
    if not mesh:
        errors.append("%s: cannot be empty" % field)
    elif not isinstance(mesh, str) or not MESH_RE.match(mesh):
        errors.append("%s: %r may only hold lowercase letters, digits, '-', '_' and '.'" % (field, mesh))


def check_name_and_mesh(name, mesh, errors):
    check_name(name, errors)
    check_mesh(mesh, errors)


def tag_text(value):
    """A tag or label value as Kuma stores it (YAML's true is "true", not "True")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_tag_name(key, where, errors):
    if not TAG_NAME_RE.match(key):
        errors.append("%s[%r]: tag name must consist of letters, digits and . - _ : /" % (where, key))


def check_tag_value(key, text, where, errors):
    if not TAG_VALUE_RE.match(text):
        errors.append("%s[%r]: tag value %r must consist of letters, digits and . - _ : (no '/' or spaces)"
                      % (where, key, text))


def check_tags(value, where, errors):
    """A tag map with string values; names and values checked like the CP does."""
    if not isinstance(value, dict):
        errors.append("%s: must be a dictionary of tag name to value, got %r" % (where, value))
        return {}
    tags = {}
    for key, raw in value.items():
        key = str(key)
        text = "" if raw is None else tag_text(raw)
        if not key:
            errors.append("%s: tag name must be non-empty" % where)
            continue
        check_tag_name(key, where, errors)
        if not text:
            errors.append("%s[%r]: tag value must be non-empty" % (where, key))
        else:
            check_tag_value(key, text, where, errors)
        tags[key] = text
    return tags


def check_labels(labels, errors):
    """Labels a task sets: strings, none under the control plane's kuma.io/ prefix. None stays None."""
    if labels is None:
        return None
    if not isinstance(labels, dict):
        errors.append("labels: must be a dictionary")
        return {}
    labels = {str(k): tag_text(v) for k, v in labels.items()}
    cp_owned = sorted(k for k in labels if k.startswith(CP_PREFIX))
    if cp_owned:
        errors.append("labels: %s: the kuma.io/ prefix belongs to the control plane" % ", ".join(cp_owned))
    return labels
