# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: a Dataplane's JSON (ours or the control plane's) as the flat map of managed fields.

Both sides of the compare go through managed_fields_of(), which normalises what the
control plane changes on its own: the kuma.io/zone tag it adds to inbounds and gateways,
its kuma.io/* labels, enum zero values it omits (Ready, DELEGATED), the default outbound
address, inbound health, and the order of inbound and outbound lists (compared as sets).
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._compare import canonical, sort_key, user_labels
from ansible_collections.kuma.universal.plugins.module_utils._legacy import LOOPBACK
from ansible_collections.kuma.universal.plugins.module_utils._naming import ZONE_TAG

# Kuma JSON names of the managed keys of an inbound / outbound (everything else the CP
# keeps there, such as health, is not ours).
INBOUND_JSON_KEYS = ("port", "servicePort", "serviceAddress", "address", "tags", "serviceProbe", "name",
                     "state", "protocol")
OUTBOUND_JSON_KEYS = ("port", "address", "tags", "backendRef")


def _inbound(item, state_ports):
    out = {k: item[k] for k in INBOUND_JSON_KEYS if k in item}
    if out.get("port") not in state_ports:
        # the CP sets NotReady itself on inbounds with a service probe: not ours unless given
        out.pop("state", None)
    tags = {k: v for k, v in (out.get("tags") or {}).items() if k != ZONE_TAG}
    if tags:
        out["tags"] = tags
    else:
        out.pop("tags", None)
    if out.get("state") == "Ready":  # the enum's zero value: the CP omits it
        out.pop("state")
    return out


def _outbound(item):
    out = {k: item[k] for k in OUTBOUND_JSON_KEYS if k in item}
    out["address"] = out.get("address") or LOOPBACK
    return out


def _as_set(items):
    """Sort a list of dicts by content so that order never shows as a change."""
    return sorted(items, key=lambda x: sort_key(canonical(x)))


def managed_fields_of(entity, manage_labels, state_ports=()):
    """The managed fields of a Dataplane in Kuma JSON, as {path tuple: value}.

    manage_labels: whether labels are compared (a task that leaves them out keeps them).
    state_ports: inbound ports whose state the task sets; elsewhere the state is the CP's.
    """
    entity = entity or {}
    net = entity.get("networking") or {}
    fields = {}
    if manage_labels:
        fields[("labels",)] = user_labels(entity.get("labels"))
    fields[("networking", "address")] = net.get("address")
    fields[("networking", "advertisedAddress")] = net.get("advertisedAddress")
    fields[("networking", "admin")] = net.get("admin")
    fields[("networking", "inbound")] = _as_set([_inbound(i, state_ports) for i in net.get("inbound") or []])
    fields[("networking", "outbound")] = _as_set([_outbound(o) for o in net.get("outbound") or []])
    tproxy = dict(net.get("transparentProxying") or {})
    for key in ("directAccessServices", "reachableServices"):
        if key in tproxy:
            tproxy[key] = sorted(tproxy[key] or [])
    fields[("networking", "transparentProxying")] = tproxy
    gateway = dict(net.get("gateway") or {})
    if gateway.get("type") == "DELEGATED":  # the enum's zero value: the CP omits it
        del gateway["type"]
    if "tags" in gateway:  # the CP adds the zone tag here too
        gateway["tags"] = {k: v for k, v in gateway["tags"].items() if k != ZONE_TAG}
    fields[("networking", "gateway")] = gateway
    # Zone-proxy listeners: what the CP adds to them (state) is not ours.
    fields[("networking", "listeners")] = _as_set([{k: item[k] for k in ("type", "address", "port", "name") if k in item}
                                                   for item in net.get("listeners") or []])
    fields[("metrics",)] = entity.get("metrics")
    fields[("probes",)] = entity.get("probes")
    return fields
