# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the input checks of kuma.universal.dataplane_proxies (names, readiness ports, zone proxy
kinds, environment entries), each problem naming its field. Not a public interface.
"""

from __future__ import annotations

import json
import re

from ansible_collections.kuma.universal.plugins.module_utils._naming import NAME_RE

ZONE_PROXY_TYPES = {"ingress": "ZoneIngress", "egress": "ZoneEgress"}


def zone_resource_json(resource):
    """The zone proxy's entity as one line of JSON, keys sorted (a stable environment file)."""
    return json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def check_proxy_kind(index, proxy):
    """Problems with proxy_type / resource of proxies[index], each naming the field."""
    where = "proxies[%d]" % index
    kind = proxy.get("proxy_type") or "dataplane"
    resource = proxy.get("resource")
    if kind == "dataplane":
        return ["%s.resource: only a zone proxy (proxy_type ingress or egress) takes one" % where] if resource else []
    wanted = ZONE_PROXY_TYPES[kind]
    if not resource:
        return ["%s.resource: required with proxy_type %s (the %s entity)" % (where, kind, wanted)]
    errors = []
    if resource.get("type") != wanted:
        errors.append("%s.resource.type: must be %s for proxy_type %s, got %r" % (where, wanted, kind, resource.get("type")))
    if resource.get("name") != proxy["name"]:
        errors.append("%s.resource.name: must be the proxy's name %r, got %r" % (where, proxy["name"], resource.get("name")))
    if not isinstance(resource.get("networking"), dict):
        errors.append("%s.resource.networking: required (address, port, ...)" % where)
    text = zone_resource_json(resource)
    if "'" in text or "\\" in text:
        errors.append("%s.resource: values may not contain a single quote or a backslash" % where)
    return errors


# What systemd's EnvironmentFile parser reads as syntax: a line break ends the entry (the next line
# is a setting of its own), quotes span lines, a backslash escapes or continues the line. None of it
# belongs in a value the collection writes (its own quoted zone resource aside).
_ENV_SYNTAX = frozenset("\"'\\") | frozenset(chr(c) for c in range(32) if chr(c) != "\t") | {"\x7f"}
_ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_value_problem(value):
    """Why a value cannot go into an env file as it is, or None."""
    text = "" if value is None else str(value)
    # Which characters is not said: the value may be a secret.
    if any(c in _ENV_SYNTAX for c in text):
        return "values are one line without quotes, backslashes or control characters"
    return None


def check_env(prefix, env, errors):
    for key, value in (env or {}).items():
        if not _ENV_KEY_RE.match(str(key)):
            errors.append("%s.%s: names are letters, digits and _" % (prefix, key))
        problem = env_value_problem(value)
        if problem:
            errors.append("%s.%s: %s" % (prefix, key, problem))


def name_problem(name):
    """Why name is not a Dataplane name the collection writes files for, or None (also for names read
    back from disk, before anything of theirs is deleted)."""
    if not isinstance(name, str) or len(name) > 253 or not NAME_RE.match(name):
        return "%r is not a Dataplane name (lowercase letters, digits, '-' and '.')" % (name,)
    return None


def check_input(step, proxies, env):
    """Every problem with the module's proxies and env options."""
    names = [x["name"] for x in proxies]
    errors = []
    for index, proxy in enumerate(proxies):
        name = proxy["name"]
        problem = name_problem(name)
        if problem:
            errors.append("proxies[%d].name: %s" % (index, problem))
        elif name in names[:index]:
            errors.append("proxies[%d].name: %s is already given as proxies[%d]" % (index, name, names.index(name)))
        mesh = proxy.get("mesh")
        if mesh is not None and (not isinstance(mesh, str) or not NAME_RE.match(mesh)):
            errors.append("proxies[%d].mesh: %r is not a mesh name (lowercase letters, digits, '-' and '.')"
                          % (index, mesh))
        if step in ("converge", "read") and not proxy.get("readiness_port"):
            errors.append("proxies[%d].readiness_port: required with step=%s" % (index, step))
        errors.extend(check_proxy_kind(index, proxy))
    check_env("env", env, errors)
    for index, proxy in enumerate(proxies):
        check_env("proxies[%d].env" % index, proxy.get("env"), errors)
    return errors


# The options of kuma.universal.dataplane_proxies (the module and its action plugin validate with it).
ARGUMENT_SPEC = {
    "step": {"type": "str", "choices": ["prune", "converge", "read"], "default": "converge"},
    "proxies": {"type": "list", "elements": "dict", "required": True, "options": {
        "name": {"type": "str", "required": True},
        "mesh": {"type": "str", "default": "default"},
        "readiness_port": {"type": "int"},
        "description": {"type": "str"},
        "token": {"type": "str", "no_log": True},
        "proxy_type": {"type": "str", "choices": ["dataplane", "ingress", "egress"], "default": "dataplane"},
        "resource": {"type": "dict"},
        "env": {"type": "dict"},
        "edge": {"type": "dict", "options": {
            "config": {"type": "str", "required": True},
            "certificate": {"type": "str"},
            "key": {"type": "str", "no_log": True},
        }, "required_together": [["certificate", "key"]]},
    }},
    "env": {"type": "dict", "default": {}},
    "prune": {"type": "bool", "default": True},
    "prune_types": {"type": "list", "elements": "str", "choices": ["dataplane", "ingress", "egress"],
                    "default": ["dataplane", "ingress", "egress"]},
    "config_dir": {"type": "path", "default": "/etc/kuma/dp"},
    "tokens_dir": {"type": "path"},
    "work_root": {"type": "path", "default": "/var/lib/kuma-dp"},
    "user": {"type": "str", "default": "kuma-dp"},
    "unit": {"type": "str"},
    "unit_path": {"type": "path", "default": "/etc/systemd/system/kuma-dp@.service"},
    "ca_cert": {"type": "str"},
    "restart_on_new_token": {"type": "bool", "default": True},
    "required_paths": {"type": "list", "elements": "path", "default": []},
    "edge_unit": {"type": "str"},
    "edge_unit_path": {"type": "path", "default": "/etc/systemd/system/kuma-edge@.service"},
    "edge_envoy": {"type": "path", "default": "/opt/kuma/current/bin/envoy"},
    # Read by the action plugin (plugins/action/dataplane_proxies.py), never sent to the host.
    "snapshot": {"type": "dict", "no_log": True},
    "snapshot_max_age": {"type": "int", "default": 300},
}
