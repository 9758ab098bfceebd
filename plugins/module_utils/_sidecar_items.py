# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the sidecar role's plan (_sidecar_planner.py) turned into the items of its modules -
the MeshMetric policies (kuma.universal.resource), the Dataplanes (kuma.universal.dataplanes),
the host's proxies (kuma.universal.dataplane_proxies) and their tokens
(kuma.universal.dataplane_tokens). Used by the filters of plugins/filter/sidecar_plan.py. Not a
public interface.
"""

from __future__ import annotations

import json

from ansible_collections.kuma.universal.plugins.module_utils._gateway import edge_config, edge_tls
from ansible_collections.kuma.universal.plugins.module_utils._naming import SERVICE_TAG
from ansible_collections.kuma.universal.plugins.module_utils._proxies_host import ZONE_PROXY_ENV
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_planner import (
    DATAPLANE_FIELDS, DP_ARGS_ENV, METRICS_POLICY_PREFIX, METRICS_PORT_LABEL, TRANSPARENT_CONFIG,
)


def sidecar_metrics_policies(instances, prometheus=None):
    """One MeshMetric per (mesh, metrics port) of the planned instances: a Prometheus backend on that port,
    for the Dataplanes labelled with it. prometheus: more fields of the backend (path, clientId, tls)."""
    extra = dict(prometheus or {})
    extra.pop("port", None)
    wanted = sorted({(i["mesh"], int(i["metrics_port"])) for i in instances or [] if i.get("metrics_port")})
    out = []
    for mesh, port in wanted:
        backend = dict(extra)
        backend["port"] = port
        out.append({
            "mesh": mesh, "name": "%s%d" % (METRICS_POLICY_PREFIX, port),
            "spec": {
                "targetRef": {"kind": "Dataplane", "labels": {METRICS_PORT_LABEL: str(port)}},
                "default": {"backends": [{"type": "Prometheus", "prometheus": backend}]},
            },
        })
    return out


def sidecar_dataplanes(instances):
    """The planned instances as items of kuma.universal.dataplanes (its fields only)."""
    return [{k: i[k] for k in DATAPLANE_FIELDS} for i in instances or []]


def sidecar_proxies(instances, tokens=None, transparent_config=TRANSPARENT_CONFIG, zone_proxies=None,
                    zone_tokens=None, config_dir="/etc/kuma/dp", sidecars=None):
    """The planned instances (then the planned zone proxies) as items of kuma.universal.dataplane_proxies, each
    with its new token when kuma.universal.dataplane_tokens or kuma.universal.zone_token issued one (tokens: a
    list of name and token; zone_tokens: the results of a kuma.universal.zone_token loop over the zone proxies).
    The transparent replica gets kuma-dp's --transparent-proxy-config in its own environment; a gateway
    with edge: envoy its edge (the Envoy configuration, certificate and key; config_dir: the module's; the key
    read from sidecars, the host's kuma_sidecars, since the plan does not hold it)."""
    # By mesh and name: the tokens of a whole batch (several hosts) can be given. A token without
    # a mesh matches the instance of that name.
    issued = {(t.get("mesh"), t["name"]): t["token"] for t in tokens or [] if t.get("token")}
    zone_issued = {r["item"]["name"]: r["token"] for r in zone_tokens or []
                   if r.get("changed") and r.get("token") and isinstance(r.get("item"), dict)}
    out = []
    for inst in instances or []:
        item = {"name": inst["name"], "mesh": inst["mesh"], "readiness_port": inst["readiness_port"],
                "description": "%s replica %s in mesh %s" % (inst["service"], inst["replica"], inst["mesh"])}
        if inst.get("zone_proxy"):
            item["description"] = "zone %s in mesh %s" % (inst["zone_proxy"], inst["mesh"])
            item["env"] = {ZONE_PROXY_ENV: inst["zone_proxy"]}
        token = issued.get((inst["mesh"], inst["name"])) or issued.get((None, inst["name"]))
        if token:
            item["token"] = token
        if inst.get("transparent"):
            item["env"] = {DP_ARGS_ENV: "--transparent-proxy-config %s" % transparent_config}
        edge = inst.get("gateway_edge")
        if edge and edge["edge"] == "envoy":
            config = edge_config(inst["name"], edge, config_dir)
            item["edge"] = {"config": json.dumps(config, indent=2, sort_keys=True) + "\n"}
            tls = edge_tls(edge, sidecars)
            if tls and tls["key"]:  # (without sidecars, for the prune step, the edge's presence is enough)
                item["edge"].update(certificate=tls["certificate"], key=tls["key"])
        out.append(item)
    for zone_proxy in zone_proxies or []:
        item = {"name": zone_proxy["name"], "readiness_port": zone_proxy["readiness_port"],
                "proxy_type": zone_proxy["type"], "resource": zone_proxy["resource"],
                "description": "zone %s" % zone_proxy["type"]}
        token = zone_issued.get(zone_proxy["name"]) or issued.get((None, zone_proxy["name"]))
        if token:
            item["token"] = token
        out.append(item)
    return out


def sidecar_tokens(instances, current=None):
    """The planned instances as items of kuma.universal.dataplane_tokens, with the token each has now
    (current: name -> token, as kuma.universal.dataplane_proxies step=prune returns them)."""
    current = current or {}
    out = []
    for inst in instances or []:
        # A zone proxy (no inbound, no service) gets a token bound to its name and mesh only.
        item = {"name": inst["name"], "mesh": inst["mesh"],
                "tags": {SERVICE_TAG: list(inst["services"])} if inst["services"] else {}}
        if current.get(inst["name"]):
            item["current_token"] = current[inst["name"]]
        out.append(item)
    return out
