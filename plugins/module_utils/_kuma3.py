# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the Kuma 3 Universal Dataplane, and the one place that decides it.

Kuma 3.0 removed the shapes the 2.x Dataplane carries (KUMA-3.md 1.3): inbound tags,
outbounds by tags, advertisedAddress, probes, metrics, reachableServices. The model
(_dataplane.Dataplane) keeps what the inventory says in today's 2.x terms; against a
Kuma 3 control plane, to_kuma3() emits the 3.x entity and appends one translation line
per change, shown by the modules (and in --diff, which compares the 3.x entity):

- the inbounds' kuma.io/service tag becomes the label kuma.universal/service (SERVICE_LABEL).
  Kuma 3 generates a MeshService per kuma.io/workload label only when every Dataplane of
  the workload has the same inbound ports, which several replicas on one host cannot have
  (they share the address). So the collection writes the MeshService itself
  (meshservice_body): it selects the Dataplanes by SERVICE_LABEL and targets the inbound by
  name, which every replica shares. kuma.io/workload is left to the operator. A MeshService
  of that name that the collection did not write (no label kuma.universal/managed-by=ansible)
  is never changed.
- kuma.io/protocol becomes inbound[].protocol; kuma.io/zone (the CP's own) is dropped;
  every other tag becomes a Dataplane label of the same name and value. A tag 3.x cannot
  carry is refused before any request, naming it: another kuma.io/ tag (3.x reserves the
  prefix), a value or name that is not a label (':' in a value, say), or one tag name with
  two values on different inbounds (labels are per Dataplane).
- every inbound gets a name (given, else the service's name; <service>-<n> for the n-th of
  several), the port name the MeshService targets.
- an outbound by tags {kuma.io/service: S} becomes backendRef {kind: MeshService, name: S,
  port: P}, P the port of the MeshService S (resolve_outbounds reads it from the CP).
- a DELEGATED gateway (an edge beside its kuma-dp, _gateway.py) becomes an ordinary Dataplane
  without inbounds, labelled SERVICE_LABEL with its gateway tag's service; a BUILTIN one is refused.
- advertisedAddress and probes are refused (3.x removed them: the proxies must reach the
  address itself); metrics is dropped with a line (MeshMetric carries it); reachableServices
  becomes reachableBackends refs of kind MeshService.

Names: Kuma 3 dropped the <service>.mesh names of kuma.io/service; a MeshService is named by
HostnameGenerators (Kuma's own on Universal: <name>.svc.mesh.local, on the MeshService's
ports). mesh_hostname_generator() is the one the control_plane role writes so that a
transparent application keeps calling <service>.mesh (on the MeshService's port).
"""

from __future__ import annotations

import re

from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError, quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._compare import user_labels
from ansible_collections.kuma.universal.plugins.module_utils._converge import Target
from ansible_collections.kuma.universal.plugins.module_utils._dataplane import (
    BACKEND_REF, LISTENER, TRANSPARENT_PROXYING, Dataplane,
)
from ansible_collections.kuma.universal.plugins.module_utils._dataplane_fields import managed_fields_of
from ansible_collections.kuma.universal.plugins.module_utils._legacy import LOOPBACK
from ansible_collections.kuma.universal.plugins.module_utils._naming import PROTOCOL_TAG, SERVICE_TAG, ZONE_TAG
from ansible_collections.kuma.universal.plugins.module_utils._schema import emit

SERVICE_LABEL = "kuma.universal/service"
MANAGED_BY = "kuma.universal/managed-by"
LABEL_NAME_RE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_PREFIX_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE_RE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
RFC1035_RE = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
RESERVED_PREFIXES = ("kuma.io/", "k8s.kuma.io/")
DISPLAY_NAME = "kuma.io/display-name"
ORIGIN = "kuma.io/origin"


def major_of(version):
    """The major of a Kuma version string ('2.14.3', 'v3.0.1', '3.0.0-dev.348b6528'); None if unknown."""
    match = re.match(r"^v?(\d+)\.", str(version or ""))
    return int(match.group(1)) if match else None


ZONE_PROXY_FORMS = ("auto", "zone_proxy", "listeners")


def zone_proxy_form(form, version):
    """How zone proxies run against Kuma version: (form, None), or (None, why not). auto is listeners on
    Kuma 3 (which removed the ZoneIngress and ZoneEgress entities) and zone_proxy on Kuma 2. listeners on
    Kuma 2 is refused: 2.14 takes such a Dataplane and its MeshZoneAddress, but routes traffic between
    zones (kuma.io/service outbounds) through ZoneIngress entities only - found with molecule/multizone
    on 2.14.3, every cross-zone request reset."""
    form = str(form or "auto")
    if form not in ZONE_PROXY_FORMS:
        return None, "%r; allowed: %s" % (form, ", ".join(ZONE_PROXY_FORMS))
    major = major_of(version)
    if form == "auto":
        return ("listeners" if (major or 0) >= 3 else "zone_proxy"), None
    if form == "zone_proxy" and (major or 0) >= 3:
        return None, ("zone_proxy on Kuma %s: Kuma 3 removed the ZoneIngress and ZoneEgress entities; give "
                      "listeners (a Dataplane with a zone-proxy listener, the default on Kuma 3)" % version)
    if form == "listeners" and major is not None and major < 3:
        return None, ("listeners on Kuma %s: Kuma 2 routes traffic between zones through ZoneIngress and "
                      "ZoneEgress entities only (a zone proxy of the form listeners gets none); give zone_proxy, "
                      "or auto, until the zone runs Kuma 3" % version)
    return form, None


def is_label_name(key):
    prefix, _sep, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not LABEL_PREFIX_RE.match(prefix)):
        return False
    return bool(LABEL_NAME_RE.match(name))


def token_tags_3(tags):
    """Dataplane token tags for Kuma 3 (checked against the Dataplane's labels): kuma.io/service
    becomes SERVICE_LABEL, as on the Dataplane."""
    out = {k: v for k, v in tags.items() if k != SERVICE_TAG}
    out[SERVICE_LABEL] = tags[SERVICE_TAG]
    return out


def meshservice_path(mesh, name):
    return "/meshes/%s/meshservices/%s" % (quote_segment(mesh), quote_segment(name))


class Kuma3Dataplane:
    """A model Dataplane (_dataplane.Dataplane) as Kuma 3 sees it."""

    def __init__(self, dataplane):
        self.dp = dataplane
        self.errors = []
        self.translations = []
        self.service = None
        self.labels = {}
        self.inbound = []
        self.outbound_services = []  # (index, service) of the outbounds to resolve
        self._build()
        if self.errors:
            raise KumaInputError(self.errors)

    # -- inbounds and labels -----------------------------------------------------------
    def _build(self):
        dp = self.dp
        services = []
        for item in dp.inbound:
            service = (item.get("tags") or {}).get(SERVICE_TAG)
            if service and service not in services:
                services.append(service)
        if len(services) > 1:
            self.errors.append("inbound: tags %s: %s on one Dataplane; Kuma 3 gives a Dataplane one workload: "
                               "register one Dataplane per service" % (SERVICE_TAG, ", ".join(services)))
            return
        self.service = services[0] if services else None
        if self.service is not None:
            if not RFC1035_RE.match(self.service):
                self.errors.append("inbound: tag %s %r: Kuma 3 names the service's MeshService after it, which "
                                   "must be an RFC 1035 label (a-z, 0-9, '-', starting with a letter, at most "
                                   "63 characters)" % (SERVICE_TAG, self.service))
            self.labels[SERVICE_LABEL] = self.service
            self.translations.append("inbound tag %s: %s -> label %s: %s (Kuma 3 has no inbound tags)"
                                     % (SERVICE_TAG, self.service, SERVICE_LABEL, self.service))
        origin = {}
        for i, item in enumerate(dp.inbound):
            self.inbound.append(self._inbound(i, item, origin))
        if dp.gateway:
            self._gateway(origin)
        for key, value in (dp.labels or {}).items():
            if key in self.labels and self.labels[key] != value:
                self.errors.append("labels[%r]: %r differs from the inbound tag's %r (%s); Kuma 3 keeps one "
                                   "value per Dataplane" % (key, value, self.labels[key], origin.get(key)))
            self.labels[key] = value
        for field, reason in (("advertised_address", "other proxies must reach networking.address itself"),
                              ("probes", "use an inbound service_probe")):
            if getattr(dp, field):
                self.errors.append("%s: removed in Kuma 3 (%s); leave it out for a Kuma 3 control plane"
                                   % (field, reason))
        if dp.metrics:
            self.translations.append("metrics: dropped (Kuma 3 removed Dataplane.metrics; a MeshMetric "
                                     "policy sets the metrics port)")
        for i, item in enumerate(dp.outbound):
            tags = item.get("tags")
            if tags:
                extra = sorted(k for k in tags if k != SERVICE_TAG)
                if extra:
                    self.errors.append("outbound[%d].tags: %s: Kuma 3 routes an outbound to a MeshService by name "
                                       "only; give backend_ref for a subset" % (i, ", ".join(extra)))
                self.outbound_services.append((i, tags[SERVICE_TAG]))

    def _gateway(self, origin):
        """Kuma 3 removed gateway Dataplanes: a DELEGATED one (an edge beside its kuma-dp) becomes an
        ordinary Dataplane without inbounds, named by the label its gateway tag had; its edge's listen
        ports were never inbounds. The builtin gateway (MeshGateway) has no Kuma 3 form."""
        gateway_type = self.dp.gateway.get("type", "DELEGATED")
        if gateway_type != "DELEGATED":
            self.errors.append("gateway.type: %s: Kuma 3 removed the builtin gateway (MeshGateway); run an edge "
                               "proxy beside an ordinary Dataplane (the sidecar role's kuma_sidecars[].gateway)"
                               % gateway_type)
            return
        tags = dict(self.dp.gateway.get("tags") or {})
        service = tags.pop(SERVICE_TAG, None)
        if service:
            self.labels[SERVICE_LABEL] = service
            self.translations.append("gateway (DELEGATED, %s: %s) -> an ordinary Dataplane labelled %s: %s (Kuma 3 "
                                     "removed delegated gateways; the edge's listen ports are not inbounds)"
                                     % (SERVICE_TAG, service, SERVICE_LABEL, service))
        for key, value in sorted(tags.items()):
            self._tag_label("gateway", key, value, origin)

    def _inbound(self, index, item, origin):
        where = "inbound[%d]" % index
        out = {k: item[k] for k in ("port", "service_port", "service_address", "address", "state", "service_probe")
               if item.get(k) not in (None, "")}
        tags = dict(item.get("tags") or {})
        tags.pop(SERVICE_TAG, None)
        protocol = item.get("protocol") or tags.pop(PROTOCOL_TAG, None)
        if PROTOCOL_TAG in tags:
            tags.pop(PROTOCOL_TAG)
        elif protocol and not item.get("protocol"):
            self.translations.append("%s: tag %s: %s -> protocol: %s" % (where, PROTOCOL_TAG, protocol, protocol))
        if protocol:
            out["protocol"] = protocol
        if tags.pop(ZONE_TAG, None) is not None:
            self.translations.append("%s: tag %s dropped (the control plane sets the zone)" % (where, ZONE_TAG))
        for key, value in sorted(tags.items()):
            self._tag_label(where, key, value, origin)
        if item.get("name"):
            out["name"] = item["name"]
        elif self.service:
            out["name"] = self.service if len(self.dp.inbound) == 1 else "%s-%d" % (self.service, index)
            self.translations.append("%s: name %s (the port name the MeshService %s targets)"
                                     % (where, out["name"], self.service))
        return out

    def _tag_label(self, where, key, value, origin):
        field = "%s.tags[%r]" % (where, key)
        if key.startswith(RESERVED_PREFIXES):
            self.errors.append("%s: Kuma 3 reserves the kuma.io/ labels and has no inbound tags; rename the tag "
                               "(it becomes a Dataplane label) or leave it out" % field)
        elif not is_label_name(key):
            self.errors.append("%s: Kuma 3 has no inbound tags and this name is not a valid label name "
                               "([prefix/]name: letters, digits, '-', '_', '.', at most 63 characters)" % field)
        elif not LABEL_VALUE_RE.match(value):
            self.errors.append("%s: value %r cannot be a Kuma 3 label (letters, digits, '-', '_', '.', at most "
                               "63 characters, starting and ending with a letter or digit)" % (field, value))
        elif key in self.labels and self.labels[key] != value:
            self.errors.append("%s: %r differs from %r on %s; Kuma 3 turns inbound tags into Dataplane labels, "
                               "one value per Dataplane" % (field, value, self.labels[key], origin[key]))
        elif key not in self.labels:
            self.labels[key] = value
            origin[key] = where
            self.translations.append("%s: tag %s: %s -> label %s: %s" % (where, key, value, key, value))

    # -- the entity --------------------------------------------------------------------
    def body(self, outbound_ports):
        """The 3.x entity; outbound_ports: {service: MeshService port} for the outbounds by service."""
        dp = self.dp
        networking = {"address": dp.address}
        if dp.admin_port:
            networking["admin"] = {"port": dp.admin_port}
        if self.inbound:
            networking["inbound"] = [Dataplane.inbound_json(i) for i in self.inbound]  # no tags here
        if dp.outbound:
            networking["outbound"] = [self._outbound_json(i, item, outbound_ports) for i, item in enumerate(dp.outbound)]
        if dp.transparent_proxying:
            networking["transparentProxying"] = self._tproxy_json()
        if dp.listeners:
            networking["listeners"] = [emit(item, LISTENER) for item in dp.listeners]
        body = {"type": "Dataplane", "mesh": dp.mesh, "name": dp.name}
        if self.labels:
            body["labels"] = dict(self.labels)
        body["networking"] = networking
        return body

    def _outbound_json(self, index, item, outbound_ports):
        out = {"port": item["port"], "address": item.get("address") or LOOPBACK}
        if item.get("backend_ref"):
            out["backendRef"] = emit(item["backend_ref"], BACKEND_REF)
        else:
            service = item["tags"][SERVICE_TAG]
            ref = outbound_ports[service]
            # another zone's MeshService (remote_meshservice_ref), else this zone's by name and port
            out["backendRef"] = dict(ref) if isinstance(ref, dict) else {"kind": "MeshService", "name": service,
                                                                         "port": ref}
        return out

    def _tproxy_json(self):
        tproxy = dict(self.dp.transparent_proxying)
        reachable = tproxy.pop("reachable_services", None)
        out = emit(tproxy, TRANSPARENT_PROXYING)
        if reachable:
            refs = [{"kind": "MeshService", "name": s} for s in sorted(reachable)]
            out["reachableBackends"] = {"refs": refs}
            self.translations.append("transparent_proxying.reachable_services -> reachableBackends refs (kind "
                                     "MeshService): %s" % ", ".join(sorted(reachable)))
        return out

    # -- the model's interface (_dataplane.Dataplane), once the outbound ports are known --
    def bind(self, outbound_ports):
        """Fix the MeshService ports of the outbounds by service; returns self."""
        self.ports = dict(outbound_ports)
        for i, s in self.outbound_services:
            ref = self.ports[s]
            if isinstance(ref, dict):
                self.translations.append("outbound[%d]: tags {%s: %s} -> backendRef {kind: MeshService, labels: "
                                         "{%s: %s, %s: %s}, port: %s} (the MeshService of zone %s)"
                                         % (i, SERVICE_TAG, s, DISPLAY_NAME, s, ZONE_TAG, ref["labels"][ZONE_TAG],
                                            ref["port"], ref["labels"][ZONE_TAG]))
            else:
                self.translations.append("outbound[%d]: tags {%s: %s} -> backendRef {kind: MeshService, name: %s, "
                                         "port: %s}" % (i, SERVICE_TAG, s, s, ref))
        return self

    @property
    def name(self):
        return self.dp.name

    @property
    def mesh(self):
        return self.dp.mesh

    def to_kuma(self):
        return self.body(self.ports)

    def managed_fields(self):
        return managed_fields_of(self.to_kuma(), True, self.dp.state_ports())

    def state_ports(self):
        return self.dp.state_ports()

    def zone_ingress(self):
        return self.dp.zone_ingress()

    def build_body(self, current):
        """The PUT body; with labels not managed by the task (None), the current user labels are kept
        beside the ones the translation sets."""
        body = self.to_kuma()
        if self.dp.labels is None and current:
            kept = user_labels(current.get("labels"))
            kept.update(body.get("labels") or {})
            if kept:
                body["labels"] = kept
        return body


def meshservice_target(mesh, service, port, inbound):
    """The engine's Target for the MeshService of a service (see meshservice_body)."""
    body = meshservice_body(mesh, service, port, inbound)

    def fields_of(entity):
        spec = (entity or {}).get("spec") or {}
        return {("spec", "selector"): spec.get("selector"),
                ("spec", "ports"): [{k: p.get(k) for k in ("name", "port", "targetPort", "appProtocol")}
                                    for p in spec.get("ports") or []]}

    def body_for(current):
        out = dict(body)
        if current:
            labels = user_labels(current.get("labels"))
            labels.update(body["labels"])
            out["labels"] = labels
        return out

    return Target("meshservice:%s/%s" % (mesh, service), meshservice_path(mesh, service), fields_of(body),
                  fields_of, body_for, what="MeshService %s in mesh %s" % (service, mesh))


def list_meshservices(client, mesh):
    """The MeshServices of a mesh, by name (one paged listing)."""
    return {e["name"]: e for e in client.list("/meshes/%s/meshservices" % quote_segment(mesh)) if e.get("name")}


def plan_kuma3(client, dataplanes):
    """Kuma 3 views of the model Dataplanes (same order, None kept), with the outbound ports
    resolved; the MeshService targets of the services they register, and the MeshServices
    read ({target key: entity}).

    dataplanes: [(where, model Dataplane or None)]. Raises KumaInputError naming every
    problem (each prefixed with its where) before any write.
    """
    errors = []
    views = []
    for where, dp in dataplanes:
        try:
            views.append(Kuma3Dataplane(dp) if dp is not None else None)
        except KumaInputError as exc:
            errors.extend("%s%s" % (where, e) for e in exc.errors)
            views.append(None)
    if errors:
        raise KumaInputError(errors)
    meshes = sorted({v.mesh for v in views if v is not None and (v.service or v.outbound_services)})
    existing = {mesh: list_meshservices(client, mesh) for mesh in meshes}
    wanted = {}  # (mesh, service) -> (port, inbound)
    foreign = set()  # (mesh, service) whose MeshService another owner wrote
    for view in views:
        if view is None or view.service is None or not view.inbound:
            continue
        key = (view.mesh, view.service)
        current = existing.get(view.mesh, {}).get(view.service)
        if current is not None and (current.get("labels") or {}).get(MANAGED_BY) != "ansible":
            # Someone else's MeshService of that name (the operator's, or one Kuma generated from
            # kuma.io/workload): left as it is; the outbounds by service go to its port.
            if key not in foreign:
                foreign.add(key)
                view.translations.append("MeshService %s in mesh %s: not written by this collection (no label "
                                         "%s=ansible), left as it is" % (view.service, view.mesh, MANAGED_BY))
            continue
        if key not in wanted:
            port = None
            if current is not None:
                ports = (current.get("spec") or {}).get("ports") or []
                port = ports[0].get("port") if len(ports) == 1 else None
            wanted[key] = (port or view.inbound[0]["port"], view.inbound[0])
    targets = [meshservice_target(mesh, service, port, inbound)
               for (mesh, service), (port, inbound) in sorted(wanted.items())]
    for (where, _dp), view in zip(dataplanes, views):
        if view is None:
            continue
        ports = {}
        for index, service in view.outbound_services:
            if (view.mesh, service) in wanted:
                ports[service] = wanted[(view.mesh, service)][0]
            elif service in existing.get(view.mesh, {}):
                try:
                    ports[service] = port_of_meshservice(existing[view.mesh][service], service,
                                                         "%soutbound[%d]" % (where, index))
                except KumaInputError as exc:
                    errors.extend(exc.errors)
            else:
                try:
                    ports[service] = remote_meshservice_ref(existing.get(view.mesh, {}), service, view.mesh,
                                                            "%soutbound[%d]" % (where, index))
                except KumaInputError as exc:
                    errors.extend(exc.errors)
        if not errors:
            view.bind(ports)
    if errors:
        raise KumaInputError(errors)
    current = {"meshservice:%s/%s" % (mesh, name): entity
               for mesh, entities in existing.items() for name, entity in entities.items()}
    return views, targets, current


def remote_meshservice_ref(meshservices, service, mesh, where):
    """Multizone: the backendRef of an outbound by service to a MeshService of another zone, which the
    global synced to this zone under a name of its own (labels kuma.io/display-name, kuma.io/zone):
    {kind, labels, port}. KumaInputError when no zone, or several zones, have one."""
    remote = sorted(((e.get("labels") or {}).get(ZONE_TAG), e) for e in meshservices.values()
                    if (e.get("labels") or {}).get(DISPLAY_NAME) == service
                    and (e.get("labels") or {}).get(ORIGIN) == "global" and (e.get("labels") or {}).get(ZONE_TAG))
    if not remote:
        raise KumaInputError(["%s: no MeshService %s in mesh %s, in this zone or another: on Kuma 3 an outbound by "
                              "service goes to the service's MeshService, which the collection writes when it "
                              "registers the service's Dataplanes (put their hosts before this one; in multizone "
                              "the zone's control plane gets another zone's through the global), or give "
                              "backend_ref with kind, name and port" % (where, service, mesh)])
    zones = sorted({zone for zone, _e in remote})
    if len(zones) > 1:
        raise KumaInputError(["%s: the service %s runs in zones %s and not in this one: give backend_ref to a "
                              "MeshMultiZoneService of it (kind MeshMultiZoneService), or to one zone's MeshService "
                              "(labels kuma.io/display-name and kuma.io/zone)" % (where, service, ", ".join(zones))])
    port = port_of_meshservice(remote[0][1], service, where)
    return {"kind": "MeshService", "labels": {DISPLAY_NAME: service, ZONE_TAG: zones[0]}, "port": port}


def zone_services(plans):
    """{(mesh, service): {zone: the port of its MeshService}} of the planned hosts of a multizone
    inventory (plans: each host's sidecar plan, with its zone): the port is the first inbound's of the
    first replica, as meshservice_body gives it to a new MeshService."""
    out = {}
    for plan in plans:
        zone = (plan or {}).get("zone")
        for inst in (plan or {}).get("instances") or []:
            if zone and inst.get("inbound") and inst.get("services"):
                port = inst["inbound"][0].get("port")
                if port is not None:
                    out.setdefault((inst["mesh"], inst["services"][0]), {}).setdefault(zone, port)
    return out


def cross_zone_outbounds(dataplanes, zone, services):
    """Kuma 3 multizone: the Dataplane items of a host in zone, each outbound by service to a service that
    runs in one other zone only (services: zone_services) given its backend_ref to that zone's MeshService
    (labels kuma.io/display-name and kuma.io/zone), so that it is registered before the global has synced
    that MeshService here (remote_meshservice_ref reads it once it has). Other items as they are."""
    out = []
    for item in dataplanes:
        outbound = []
        for entry in item.get("outbound") or []:
            name = entry.get("service") or (entry.get("tags") or {}).get(SERVICE_TAG)
            zones = services.get((item.get("mesh") or "default", name), {})
            if name and not entry.get("backend_ref") and zone not in zones and len(zones) == 1:
                (other, port), = zones.items()
                entry = {k: v for k, v in entry.items() if k not in ("service", "tags")}
                entry["backend_ref"] = {"kind": "MeshService", "labels": {DISPLAY_NAME: name, ZONE_TAG: other},
                                        "port": port}
            outbound.append(entry)
        out.append(dict(item, outbound=outbound) if item.get("outbound") else item)
    return out


def meshservice_body(mesh, service, port, inbound):
    """The MeshService the collection writes for a service's Dataplanes (see the module doc)."""
    entry = {"name": inbound["name"], "port": port, "targetPort": inbound["name"],
             "appProtocol": inbound.get("protocol") or "tcp"}
    # kuma.io/origin: a federated zone's CP requires it on what is written there (pkg/api-server
    # resource_crud_endpoints.go validateOriginForWrite); elsewhere the CP sets the same value.
    return {"type": "MeshService", "mesh": mesh, "name": service,
            "labels": {MANAGED_BY: "ansible", ORIGIN: "zone"},
            "spec": {"selector": {"dataplaneLabels": {"matchLabels": {SERVICE_LABEL: service}}},
                     "ports": [entry]}}


def port_of_meshservice(entity, service, where):
    """The one port of a MeshService an outbound by service name goes to."""
    ports = ((entity or {}).get("spec") or {}).get("ports") or []
    if len(ports) != 1:
        raise KumaInputError(["%s: the MeshService %s has %d ports (%s); give backend_ref with the port"
                              % (where, service, len(ports), ", ".join(str(p.get("port")) for p in ports))])
    return ports[0]["port"]


# -- Names of MeshServices on Kuma 3 ---------------------------------------------------------

HOSTNAME_GENERATOR = "kuma-universal-mesh"


def mesh_hostname_generator(state="present"):
    """The HostnameGenerator (global, not mesh-scoped) that names every MeshService of the zone
    <name>.mesh, beside Kuma's own <name>.svc.mesh.local: the name Kuma 2 gives a service. Kuma 3
    no longer serves the .mesh domain of kuma.io/service (KUMA_DNS_SERVER_DOMAIN is left to the API's
    display), so the name is free; Kuma's generators select the zone's MeshServices by
    kuma.io/origin=zone, and so does this one (a collision is reported per MeshService, in its status).
    An item for kuma.universal.resource, as mesh_policies_for returns them."""
    item = {"kind": "HostnameGenerator", "name": HOSTNAME_GENERATOR, "state": state}
    if state == "present":
        item["spec"] = {"selector": {"meshService": {"matchLabels": {"kuma.io/origin": "zone"}}},
                        "template": "{{ .DisplayName }}.mesh"}
    return item


# -- Mesh.mtls on Kuma 3: MeshIdentity (KUMA-3.md 1.3, "Mesh.mtls removed") -------------------

# The SPIFFE ID path of a proxy: its service, from the label the Dataplane carries (Kuma's own
# Universal default is /workload/{{ .Workload }}, from kuma.io/workload, which the collection
# does not set: see the module doc).
SPIFFE_PATH = '/workload/{{ label "%s" }}' % SERVICE_LABEL


def spiffe_id(mesh, service, zone="default"):
    """The SPIFFE ID a collection proxy of service gets from mesh_identity's MeshIdentity (the
    default trust domain {{ .Mesh }}.{{ .Zone }}.mesh.local), for a MeshTrafficPermission."""
    return "spiffe://%s.%s.mesh.local/workload/%s" % (mesh, zone, service)


def mesh_identity(mesh, mtls, where="mtls"):
    """The Kuma 3 policies that give mesh the mTLS its 2.x 'mtls' section asks for: a list of
    entity bodies (MeshIdentity, plus a MeshTLS in Permissive mode where the backend was
    PERMISSIVE); [] when mtls enables no backend. KumaInputError for what cannot be carried."""
    mtls = mtls or {}
    enabled = mtls.get("enabledBackend")
    if not enabled:
        return []
    backends = {b.get("name"): b for b in mtls.get("backends") or [] if isinstance(b, dict)}
    backend = backends.get(enabled)
    if backend is None:
        raise KumaInputError(["%s.enabledBackend: %r is not one of mtls.backends (%s)"
                              % (where, enabled, ", ".join(sorted(str(k) for k in backends)) or "none")])
    kind = str(backend.get("type", "builtin")).lower()
    if kind != "builtin":
        raise KumaInputError(["%s.backends[%s].type: %s: only a builtin CA is carried over to Kuma 3 (a "
                              "MeshIdentity with a Bundled, autogenerated CA). For a provided or external CA write "
                              "the MeshIdentity yourself (control_plane_policies, kind MeshIdentity, provider "
                              "Bundled with ca, or Spire/Extension) and leave mtls out"
                              % (where, enabled, backend.get("type"))])
    bundled = {"meshTrustCreation": "Enabled", "insecureAllowSelfSigned": True, "autogenerate": {"enabled": True}}
    expiry = ((backend.get("dpCert") or {}).get("rotation") or {}).get("expiration")
    if expiry:
        bundled["certificateParameters"] = {"expiry": expiry}
    out = [{"type": "MeshIdentity", "mesh": mesh, "name": str(enabled),
            "spec": {"selector": {"dataplane": {"matchLabels": {}}},
                     "spiffeID": {"path": SPIFFE_PATH},
                     "provider": {"type": "Bundled", "bundled": bundled}}}]
    if str(backend.get("mode", "")).upper() == "PERMISSIVE":
        out.append({"type": "MeshTLS", "mesh": mesh, "name": "%s-permissive" % enabled,
                    "spec": {"targetRef": {"kind": "Mesh"}, "rules": [{"default": {"mode": "Permissive"}}]}})
    return out
