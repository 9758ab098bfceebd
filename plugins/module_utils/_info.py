# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: Dataplanes with their status, from the dataplanes+insights (_overview) API."""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError, read_leader
from ansible_collections.kuma.universal.plugins.module_utils._errors import quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import SERVICE_LABEL, major_of
from ansible_collections.kuma.universal.plugins.module_utils._naming import SERVICE_TAG, check_mesh


def subscription_state(insight):
    """(online, the subscription that tells the versions) from a dataplaneInsight.

    Kuma has no status field: a proxy is online while one of its subscriptions has a
    connectTime and no disconnectTime.
    """
    subscriptions = (insight or {}).get("subscriptions") or []
    connected = [s for s in subscriptions if s.get("connectTime") and not s.get("disconnectTime")]
    if connected:
        return True, connected[-1]
    return False, (subscriptions[-1] if subscriptions else {})


def offline_since(overview):
    """When an offline proxy went offline: its last disconnect, or (never connected) its Dataplane's last
    change; None when neither is known."""
    subscriptions = ((overview.get("dataplaneInsight") or {}).get("subscriptions")) or []
    times = sorted(s["disconnectTime"] for s in subscriptions if s.get("disconnectTime"))
    return times[-1] if times else overview.get("modificationTime") or overview.get("creationTime")


def summarise(overview):
    """One item of the module's result from one DataplaneOverview."""
    dataplane = overview.get("dataplane") or {}
    networking = dataplane.get("networking") or {}
    online, subscription = subscription_state(overview.get("dataplaneInsight"))
    version = subscription.get("version") or {}
    kuma_dp = version.get("kumaDp") or {}
    envoy = version.get("envoy") or {}
    services = []
    for inbound in networking.get("inbound") or []:
        service = (inbound.get("tags") or {}).get(SERVICE_TAG)
        if service and service not in services:
            services.append(service)
    # Kuma 3: no inbound tags; the service is the label the dataplane modules write (_kuma3),
    # else Kuma's own workload label.
    labels = overview.get("labels") or {}
    for key in (SERVICE_LABEL, "kuma.io/workload"):
        if not services and labels.get(key):
            services.append(labels[key])
    gateway_service = ((networking.get("gateway") or {}).get("tags") or {}).get(SERVICE_TAG)
    if gateway_service and gateway_service not in services:
        services.append(gateway_service)
    entity = {"type": "Dataplane", "mesh": overview.get("mesh"), "name": overview.get("name")}
    if overview.get("labels"):
        entity["labels"] = overview["labels"]
    entity.update(dataplane)
    labels = overview.get("labels") or {}
    return {
        "name": overview.get("name"),
        "display_name": labels.get("kuma.io/display-name") or overview.get("name"),
        "mesh": overview.get("mesh"),
        "labels": labels,
        "online": online,
        "address": networking.get("address"),
        "services": services,
        "kuma_dp_version": kuma_dp.get("version"),
        "envoy_version": envoy.get("version"),
        "kuma_dp_compatible": envoy.get("kumaDpCompatible"),
        "connect_time": subscription.get("connectTime") if online else None,
        "offline_since": None if online else offline_since(overview),
        "zone": (overview.get("labels") or {}).get("kuma.io/zone"),
        "dataplane": entity,
    }


# kind -> (overview path, entity key, insight key) of the zone proxies.
ZONE_PROXY_OVERVIEWS = {
    "ZoneIngress": ("/zoneingresses/_overview", "zoneIngress", "zoneIngressInsight"),
    "ZoneEgress": ("/zoneegresses/_overview", "zoneEgress", "zoneEgressInsight"),
}


def summarise_zone_proxy(kind, overview):
    """One item of the module's result from one ZoneIngressOverview or ZoneEgressOverview."""
    _path, entity_key, insight_key = ZONE_PROXY_OVERVIEWS[kind]
    proxy = overview.get(entity_key) or {}
    online, subscription = subscription_state(overview.get(insight_key))
    version = subscription.get("version") or {}
    entity = {"type": kind, "name": overview.get("name")}
    if overview.get("labels"):
        entity["labels"] = overview["labels"]
    entity.update(proxy)
    labels = overview.get("labels") or {}
    return {
        "name": overview.get("name"),
        "display_name": labels.get("kuma.io/display-name") or overview.get("name"),
        "mesh": None,
        "labels": labels,
        "online": online,
        "address": (proxy.get("networking") or {}).get("address"),
        "services": [],
        "kuma_dp_version": (version.get("kumaDp") or {}).get("version"),
        "envoy_version": (version.get("envoy") or {}).get("version"),
        "kuma_dp_compatible": (version.get("envoy") or {}).get("kumaDpCompatible"),
        "connect_time": subscription.get("connectTime") if online else None,
        "zone": proxy.get("zone"),
        "dataplane": entity,
    }


def dataplane_info(kmod):
    p = kmod.params
    mesh = p.get("mesh")
    kind = p.get("kind") or "Dataplane"
    errors = []
    if kind != "Dataplane":
        errors += ["%s: a %s belongs to no mesh and has no inbound tags; drop it or use kind Dataplane" % (key, kind)
                   for key in ("mesh", "tags") if p.get(key)]
    elif mesh is not None:
        check_mesh(mesh, errors)
    if errors:
        raise KumaInputError(errors)
    params = []
    if p.get("name"):
        params.append(("name", p["name"]))  # a substring match on the CP: made exact below
    for key, value in sorted((p.get("tags") or {}).items()):
        params.append(("tag", "%s:%s" % (key, value)))
    # Labels are matched here, not with the API's filter[labels.<key>]: Kuma 2.13 answers that
    # filter on _overview without the dataplaneInsight (every proxy would look offline).
    labels = {key: str(value) for key, value in (p.get("labels") or {}).items()}
    if kind != "Dataplane":
        path = ZONE_PROXY_OVERVIEWS[kind][0]
        params = [("name", p["name"])] if p.get("name") else []
    else:
        path = "/meshes/%s/dataplanes/_overview" % quote_segment(mesh) if mesh else "/dataplanes/_overview"
    out = read_overview(kmod.client, path, params, kind, p.get("name"), labels, p.get("leader_metric_url"),
                        p.get("mesh_security"))
    return dict(out, changed=False)


def read_overview(client, path, params=(), kind="Dataplane", name=None, labels=None, leader_metric_url=None,
                  with_mesh_security=False):
    """The proxies listed at path (an _overview) that have exactly `name` and `labels`, summarised and sorted by mesh
    and name; with leader_metric_url the CP's `leader` gauge, with with_mesh_security each mesh's mTLS."""
    result = []
    for item in client.list(path, list(params)):
        if name and item.get("name") != name:
            continue
        if any((item.get("labels") or {}).get(key) != value for key, value in (labels or {}).items()):
            continue
        result.append(summarise(item) if kind == "Dataplane" else summarise_zone_proxy(kind, item))
    result.sort(key=lambda d: (d["mesh"] or "", d["name"] or ""))
    out = {"dataplanes": result}
    if leader_metric_url:
        out["leader"] = leader_metric(leader_metric_url, client.timeout)
    if with_mesh_security:
        out["meshes"] = mesh_security(client)
    return out


def zone_overview(client, leader_metric_url=None, with_mesh_security=False):
    """What dataplane_info returns without a filter (kind Dataplane): every Dataplane of the control plane with its
    state; the dataplanes module reads it after its changes (option overview) for deploy_mesh's summary."""
    return read_overview(client, "/dataplanes/_overview", leader_metric_url=leader_metric_url,
                         with_mesh_security=with_mesh_security)


def mesh_security(client):
    """Each mesh with whether its traffic is mutual TLS: Kuma 2 from Mesh.mtls (the enabled backend's mode),
    Kuma 3 from the mesh's MeshIdentities (Mesh.mtls is gone there)."""
    kuma3 = (major_of(client.version()) or 0) >= 3
    result = []
    for mesh in sorted(client.list("/meshes"), key=lambda m: m.get("name") or ""):
        name = mesh.get("name")
        if kuma3:
            mtls = "on" if client.list("/meshes/%s/meshidentities" % quote_segment(name)) else "off"
        else:
            config = mesh.get("mtls") or {}
            enabled = config.get("enabledBackend")
            backend = next((b for b in config.get("backends") or [] if b.get("name") == enabled), {})
            mtls = "off" if not enabled else ("permissive" if str(backend.get("mode", "")).upper() == "PERMISSIVE"
                                              else "strict")
        result.append({"name": name, "mtls": mtls})
    return result


def leader_metric(url, timeout):
    """kuma-cp's `leader` gauge at url (its diagnostics /metrics): True, False, or None when
    unreadable. Read with the collection's client, without the API token."""
    return read_leader(url, timeout)
