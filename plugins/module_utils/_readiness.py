# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: what stands between a Kuma 2 control plane's state and Kuma 3 (read only).

Every rule comes from Kuma's UPGRADE.md "Upgrade to 3.0.0" (KUMA-3.md 1.3 and 1.4, line
numbers there) and says what to do. A finding is a dict: check (a stable id, which
`acknowledge` takes), subject (what it is about: mesh/name, a kind, the CP), problem and
action. Nothing is written.
"""

from __future__ import annotations

import re

from ansible_collections.kuma.universal.plugins.module_utils._errors import quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import RFC1035_RE, major_of
from ansible_collections.kuma.universal.plugins.module_utils._naming import PROTOCOL_TAG, SERVICE_TAG, ZONE_TAG

# The 2.14 patch Kuma's path to 3.0 goes through: it accepts the 3.0 SecureDataSource shape and
# the renamed KDS auth variables (KUMA-3.md 1.1).
NEWEST_214_NEEDED = (2, 14, 6)
# Kinds 3.0 removed: delete (or migrate) them first (UPGRADE.md L1401, L491, L11, L1443).
LEGACY_KINDS = {
    "TrafficPermission": "MeshTrafficPermission", "TrafficRoute": "MeshHTTPRoute / MeshTCPRoute",
    "TrafficLog": "MeshAccessLog", "TrafficTrace": "MeshTrace", "HealthCheck": "MeshHealthCheck",
    "CircuitBreaker": "MeshCircuitBreaker", "Retry": "MeshRetry", "Timeout": "MeshTimeout",
    "RateLimit": "MeshRateLimit", "FaultInjection": "MeshFaultInjection", "VirtualOutbound": "MeshService",
    "ProxyTemplate": "MeshProxyPatch", "ExternalService": "MeshExternalService",
    "MeshGateway": "an edge proxy beside its own kuma-dp (an ordinary Dataplane)",
    "MeshGatewayRoute": "an edge proxy beside its own kuma-dp (an ordinary Dataplane)",
}
INBOUND_TAGS_KEPT = (SERVICE_TAG, ZONE_TAG, PROTOCOL_TAG)
# What this collection re-registers itself on Kuma 3 (module_utils/_kuma3.py, host by host right after
# the CP upgrade): reported as handled, not as blockers, for the Dataplanes it manages.
HANDLED_BY_COLLECTION = ("inbound_tags", "protocol_tag", "outbound_tags")
MANAGED_BY = "kuma.universal/managed-by"


def _finding(check, subject, problem, action):
    return {"check": check, "subject": subject, "problem": problem, "action": action}


def check_version(version):
    """The CP's own version: on 2.14, at its newest patch."""
    major = major_of(version)
    if major is None:
        return [_finding("cp_version", "control plane", "version %r unknown" % version,
                         "point api_url at a Kuma 2.14 control plane")]
    if major >= 3:
        return []
    parts = [int(p) for p in re.findall(r"\d+", version)[:3]] + [0, 0, 0]
    if tuple(parts[:2]) != (2, 14):
        return [_finding("cp_version", "control plane", "Kuma %s: 3.0 is reached from 2.14 only" % version,
                         "upgrade to 2.14 first (2.12 -> 2.14 -> 3.0, 2.13 LTS -> 2.14 -> 3.0)")]
    if tuple(parts[:3]) < NEWEST_214_NEEDED:
        return [_finding("skipped_patch", "control plane",
                         "Kuma %s: Kuma's path to 3.0 goes through 2.14.6 or later (it accepts 3.0's "
                         "SecureDataSource shape and the renamed KDS auth variables)" % version,
                         "upgrade every CP and proxy to the newest 2.14 patch first (kuma_version: 2.14.x)")]
    return []


def check_config(config):
    """The CP's own settings. Delta xDS is not among them: on Universal it is each kuma-dp's choice
    (KUMA_DATAPLANE_RUNTIME_ENVOY_XDS_TRANSPORT_PROTOCOL_VARIANT; Kuma 2.14's KUMA_EXPERIMENTAL_DELTA_XDS
    only reaches Kubernetes injection, pkg/plugins/runtime/k8s), and the CP does not record it: the
    install role's version check reads it from each host's proxies (kuma_xds_delta)."""
    findings = []
    zone = (((config or {}).get("multizone") or {}).get("zone") or {}).get("name")
    if (config or {}).get("mode") == "zone" and zone and not RFC1035_RE.match(zone):
        findings.append(_finding("zone_name", "zone %s" % zone,
                                 "a 3.0 zone CP whose name is not an RFC 1035 label fails to start",
                                 "rename the zone (a new zone: kuma_zone) before upgrading"))
    if (config or {}).get("mode") == "standalone":
        findings.append(_finding("standalone", "control plane", "3.0 removed mode standalone",
                                 "run it as mode zone (KUMA_MODE=zone) before upgrading"))
    return findings


def check_mesh(mesh):
    name = mesh.get("name")
    findings = []
    if not RFC1035_RE.match(name or ""):
        findings.append(_finding("mesh_name", "mesh %s" % name, "3.0 requires mesh names to be RFC 1035 labels",
                                 "move the workloads to a mesh whose name is one (a-z, 0-9, '-')"))
    mtls = mesh.get("mtls") or {}
    if mtls.get("enabledBackend"):
        findings.append(_finding(
            "mesh_mtls", "mesh %s" % name, "mTLS from Mesh.mtls (backend %s); 3.0 drops Mesh.mtls: no mTLS "
            "at all after the upgrade" % mtls["enabledBackend"],
            "create the MeshIdentity while on 2.14 (kuma.universal.resource; the filter "
            "kuma.universal.mesh_policies_for gives its spec), check traffic, then remove mtls from the mesh"))
    return findings


def check_dataplane(mesh, dp):
    subject = "dataplane %s/%s" % (mesh, dp.get("name"))
    net = dp.get("networking") or {}
    findings = []
    for i, inbound in enumerate(net.get("inbound") or []):
        tags = inbound.get("tags") or {}
        extra = sorted(k for k in tags if k not in INBOUND_TAGS_KEPT)
        if extra:
            findings.append(_finding(
                "inbound_tags", subject, "inbound[%d] tags %s: 3.0 drops inbound tags, and the policies matching "
                "them stop matching" % (i, ", ".join(extra)),
                "move them to Dataplane labels (the collection does so when it registers on 3.x) and retarget "
                "the policies at labels"))
        if PROTOCOL_TAG in tags and not inbound.get("protocol"):
            findings.append(_finding(
                "protocol_tag", subject, "inbound[%d] protocol from the tag %s: %s; 3.0 ignores the tag and the "
                "inbound becomes plain TCP" % (i, PROTOCOL_TAG, tags[PROTOCOL_TAG]),
                "set inbound[].protocol (the collection does so on 3.x)"))
    for i, outbound in enumerate(net.get("outbound") or []):
        if outbound.get("tags"):
            findings.append(_finding(
                "outbound_tags", subject, "outbound[%d] by tags (%s); 3.0 refuses it on write and serves no "
                "listener for a stored one" % (i, outbound["tags"].get(SERVICE_TAG, "?")),
                "re-register with backendRef to a MeshService right after the CP upgrade (deploy-mesh does, "
                "host by host) or before it"))
    if net.get("advertisedAddress"):
        findings.append(_finding("advertised_address", subject, "advertisedAddress: removed in 3.0",
                                 "make networking.address reachable by the other proxies and drop it"))
    if dp.get("probes"):
        findings.append(_finding("probes", subject, "probes: dropped by 3.0", "remove them"))
    gateway = net.get("gateway")
    if gateway:
        findings.append(_finding(
            "gateway", subject, "a %s gateway Dataplane; 3.0 removed the builtin and the delegated gateway "
            "(a BUILTIN one left behind makes the mesh's Dataplanes unlistable, #18330)"
            % (gateway.get("type") or "DELEGATED"),
            "delete it before upgrading; run the edge as an ordinary Dataplane with its listen ports "
            "excluded from inbound redirection"))
    return findings


def readiness(client):
    """Every finding about client's CP, in a stable order."""
    version = client.version()
    findings = check_version(version)
    if (major_of(version) or 0) >= 3:
        return version, findings
    findings += check_config(client.get("/config") or {})
    types = client.resource_types()
    meshes = client.list("/meshes")
    for mesh in meshes:
        findings += check_mesh(mesh)
    for kind in ("ZoneIngress", "ZoneEgress"):
        if kind in types:
            items = client.list("/" + types[kind]["path"])
            if items:
                findings.append(_finding(
                    "zone_proxy", kind, "%d %s (%s); 3.0 removed them" % (
                        len(items), kind, ", ".join(sorted(i.get("name", "?") for i in items))),
                    "migrate to mesh-scoped zone proxies (a Dataplane with networking.listeners) before upgrading "
                    "the zone CP, and re-issue their tokens as dataplane tokens. The sidecar role writes that form on "
                    "Kuma 3 only (Kuma 2 routes between zones through ZoneIngress entities): it does not take a "
                    "multizone mesh across the major yet; deploy Kuma 3 zones anew, or follow Kuma's UPGRADE.md"))
    for mesh in meshes:
        name = mesh.get("name")
        for dp in client.list("/meshes/%s/dataplanes" % quote_segment(name)):
            managed = (dp.get("labels") or {}).get(MANAGED_BY) == "ansible"
            # The collection's own edge gateways (DELEGATED) are registered as ordinary Dataplanes on 3.x.
            delegated = ((dp.get("networking") or {}).get("gateway") or {}).get("type", "DELEGATED") == "DELEGATED"
            findings += [dict(f, handled=managed and (f["check"] in HANDLED_BY_COLLECTION
                                                      or (f["check"] == "gateway" and delegated)))
                         for f in check_dataplane(name, dp)]
        for kind in sorted(LEGACY_KINDS):
            if kind not in types:
                continue
            items = client.list("/meshes/%s/%s" % (quote_segment(name), types[kind]["path"]))
            if items:
                findings.append(_finding(
                    "legacy_policy", "mesh %s" % name, "%s: %s; removed in 3.0" % (
                        kind, ", ".join(sorted(i.get("name", "?") for i in items))),
                    "replace with %s, then delete them" % LEGACY_KINDS[kind]))
    return version, findings
