# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the input checks of kuma.universal.dataplane_proxies (names, readiness ports, zone proxy
kinds, environment entries), each problem naming its field. Not a public interface.
"""

from __future__ import annotations

import json

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


def check_input(step, proxies, env):
    """Every problem with the module's proxies and env options."""
    names = [x["name"] for x in proxies]
    errors = []
    for index, proxy in enumerate(proxies):
        name = proxy["name"]
        if not name or "/" in name or name.startswith("."):
            errors.append("proxies[%d].name: %r is not a Dataplane name" % (index, name))
        elif name in names[:index]:
            errors.append("proxies[%d].name: %s is already given as proxies[%d]" % (index, name, names.index(name)))
        if step == "converge" and not proxy.get("readiness_port"):
            errors.append("proxies[%d].readiness_port: required with step=converge" % index)
        errors.extend(check_proxy_kind(index, proxy))
    for key in env:
        if not str(key).replace("_", "").isalnum() or "\n" in str(env[key] or ""):
            errors.append("env.%s: names are letters, digits and _; values are one line" % key)
    for index, proxy in enumerate(proxies):
        for key, value in (proxy.get("env") or {}).items():
            if not str(key).replace("_", "").isalnum() or "\n" in str(value or ""):
                errors.append("proxies[%d].env.%s: names are letters, digits and _; values are one line" % (index, key))
    return errors
