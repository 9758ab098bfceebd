# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the sidecar role's planner, kuma_sidecars of one host -> one proxy per replica.

Replica expansion, the port rule, readiness-port allocation, collision detection, the zone proxies
and the seed's legacy syntax, as the role's README describes them. Every problem is collected
(nothing stops at the first), each naming its field, so that the role's preflight can refuse them
all before any change. The Dataplane rules themselves (names, meshes, tags, legacy interfaces,
every field of an inbound or outbound) are the dataplane module's: each planned Dataplane goes
through its model here, on the controller. Used by the filter kuma.universal.sidecar_plan; what
the role's modules take is made from the plan by _sidecar_items.py. Not a public interface.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError
from ansible_collections.kuma.universal.plugins.module_utils._dataplane import build_dataplane
from ansible_collections.kuma.universal.plugins.module_utils._gateway import GATEWAY_LABEL, parse_gateway, with_offset
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import SERVICE_LABEL, zone_proxy_form
from ansible_collections.kuma.universal.plugins.module_utils._legacy import (
    LEGACY_INBOUND_RE, LEGACY_OUTBOUND_RE, LEGACY_SERVICE_TAG, LOOPBACK,
)
from ansible_collections.kuma.universal.plugins.module_utils._naming import SERVICE_TAG

# What one item of kuma_sidecars may hold (the role's argument_specs say what each means).
SIDECAR_KEYS = ("service", "replicas", "name", "mesh", "address", "advertised_address", "inbound", "outbound",
                "tags", "labels", "admin_port", "readiness_port", "metrics_port", "port_stride", "metrics", "probes",
                "transparent", "reachable_services", "gateway")
MANAGED_BY = "kuma.universal/managed-by"
HOST_LABEL = "kuma.universal/host"
# The MeshMetric port of a proxy, as a Dataplane label: one MeshMetric per port selects it (Kuma takes the
# Prometheus port from the policy only, so replicas on one address need one policy per port).
METRICS_PORT_LABEL = "kuma.universal/metrics-port"
METRICS_POLICY_PREFIX = "kuma-universal-metrics-"
# The fields of a planned instance that make its Dataplane (what the dataplanes module takes).
DATAPLANE_FIELDS = ("name", "mesh", "address", "advertised_address", "inbound", "outbound", "admin_port",
                    "labels", "metrics", "probes", "transparent_proxying", "gateway", "listeners", "zone_address")
# kuma-dp's flag for the transparent replica, in its environment file (the kuma-dp@ unit's ExecStart
# ends with $KUMA_DP_ARGS, empty for every other proxy).
DP_ARGS_ENV = "KUMA_DP_ARGS"
TRANSPARENT_CONFIG = "/etc/kuma/transparent-proxy.yaml"
PORT_MIN = 1
PORT_MAX = 65535
# Zone proxies of a multizone deployment (kuma_zone_proxies of a host), in one of two forms
# (_kuma3.zone_proxy_form decides "auto"): zone_proxy, Kuma 2.x's kuma-dp --proxy-type ingress|egress with a
# ZoneIngress / ZoneEgress entity and a zone token; listeners, Kuma 3's mesh-scoped Dataplane
# with one listener of that type, registered, tokened and run like a sidecar, and for an ingress the
# MeshZoneAddress other zones reach it by (written with the Dataplane, _zone_address.py).
ZONE_PROXY_KEYS = ("type", "name", "mesh", "address", "port", "advertised_address", "advertised_port", "admin_port",
                   "readiness_port")
ZONE_PROXY_KINDS = {"ingress": ("ZoneIngress", 10001), "egress": ("ZoneEgress", 10002)}
ZONE_PROXY_LABEL = "kuma.universal/zone-proxy"


def host_slug(host_short):
    """The host part of default Dataplane names: lowercase, runs of other characters as '-'."""
    out, dash = [], False
    for char in str(host_short).lower():
        if char.isascii() and (char.isalnum() or char == "-"):
            out.append(char)
            dash = False
        elif not dash:
            out.append("-")
            dash = True
    return "".join(out)


def _int(value, where, errors, what, minimum=None):
    """An integer from an int or a digit string (ini inventories give strings), else an error."""
    if isinstance(value, bool) or value is None:
        errors.append("%s: %s must be an integer, got %r" % (where, what, value))
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.append("%s: %s must be an integer, got %r" % (where, what, value))
        return None
    if minimum is not None and number < minimum:
        errors.append("%s: %s must be %d or more, got %d" % (where, what, minimum, number))
        return None
    return number


def _replicas(value, where, errors):
    if value is None:
        return 1
    count = _int(value, where, errors, "the number of replicas")
    if count is not None and count < 0:
        errors.append("%s: %d replicas is negative; give 0 (scale to zero: this host's proxies of the "
                      "service are removed) or more" % (where, count))
        return None
    return count


class _Instance:
    """One planned proxy while it is being built: its name and the ports it takes."""

    def __init__(self, name):
        self.name = name
        self.ports = []  # (port, what)

    def take(self, port, what):
        self.ports.append((port, what))
        return port


class Planner:
    """kuma_sidecars of one host -> {"instances": [...], "errors": [...]}."""

    def __init__(self, host, host_short=None, mesh="default", address=None, service_address=LOOPBACK,
                 port_stride=1, readiness_port_base=9902, metrics_port_base=None,
                 redirect_port_inbound=15006, redirect_port_outbound=15001):
        self.host = str(host)
        self.slug = host_slug(host_short if host_short is not None else self.host.split(".", maxsplit=1)[0])
        self.mesh = mesh
        self.address = address
        self.service_address = service_address
        self.errors = []
        self.port_stride = _int(port_stride, "sidecar_port_stride", self.errors, "the port stride", minimum=0)
        self.readiness_port_base = _int(readiness_port_base, "sidecar_readiness_port_base", self.errors,
                                        "the first readiness port", minimum=PORT_MIN)
        # None: no MeshMetric port for the proxies (metrics off), unless a sidecar gives metrics_port.
        self.metrics_port_base = None
        if metrics_port_base not in (None, ""):
            self.metrics_port_base = _int(metrics_port_base, "sidecar_metrics_port_base", self.errors,
                                          "the first metrics port", minimum=PORT_MIN)
        self.metrics_enabled = metrics_port_base not in (None, "")
        self.redirect_ports = (
            _int(redirect_port_inbound, "kuma_redirect_inbound_port", self.errors,
                 "the inbound redirect port", minimum=PORT_MIN),
            _int(redirect_port_outbound, "kuma_redirect_outbound_port", self.errors,
                 "the outbound redirect port", minimum=PORT_MIN))
        self.transparent_where = None  # the first sidecar marked transparent (one per host)
        self.instances = []
        self.zone_proxies = []
        self.taken = []  # (port, what, owner) in the order the ports were taken
        self.model_errors_seen = set()  # one report per sidecar and message, not one per replica

    # -- one sidecar -> its replicas ---------------------------------------------------------
    def add_sidecar(self, index, sidecar):
        where = "kuma_sidecars[%d]" % index
        if not isinstance(sidecar, dict):
            self.errors.append("%s: must be a dictionary (service, replicas, inbound, ...), got %r" % (where, sidecar))
            return
        for key in sidecar:
            if key not in SIDECAR_KEYS:
                self.errors.append("%s.%s: unknown field; allowed: %s" % (where, key, ", ".join(SIDECAR_KEYS)))
        service = sidecar.get("service")
        if service is None or str(service) == "":
            self.errors.append("%s.service: required (the kuma.io/service of the sidecar's inbounds)" % where)
            return
        service = str(service)
        errors_before = len(self.errors)
        replicas = _replicas(sidecar.get("replicas"), where + ".replicas", self.errors)
        stride = self.port_stride
        if sidecar.get("port_stride") is not None:
            stride = _int(sidecar["port_stride"], where + ".port_stride", self.errors, "the port stride", minimum=0)
        for key in ("inbound", "outbound"):
            if not isinstance(sidecar.get(key) or [], list):
                self.errors.append("%s.%s: must be a list" % (where, key))
        for key in ("tags", "labels"):
            if not isinstance(sidecar.get(key) or {}, dict):
                self.errors.append("%s.%s: must be a dictionary" % (where, key))
        transparent = self._transparent(where, sidecar, replicas)
        gateway = self._gateway(where, sidecar, transparent, index)
        if len(self.errors) > errors_before or replicas is None or stride is None:
            return
        prefix = str(sidecar["name"]) if sidecar.get("name") else "%s-%s" % (service, self.slug)
        for replica in range(replicas):
            self._add_replica(where, sidecar, service, prefix, replica, replica * stride, transparent, gateway)

    def _gateway(self, where, sidecar, transparent, index):
        """An edge gateway (module_utils/_gateway.py): no inbound, explicit outbounds, routes to them."""
        if sidecar.get("gateway") is None:
            return None
        if sidecar.get("inbound"):
            self.errors.append("%s.inbound: a gateway takes no inbound (clients reach its edge on the listeners, "
                               "which stay out of the mesh); remove %s.inbound or the gateway section" % (where, where))
        if transparent:
            self.errors.append("%s.transparent: a gateway reaches the services it routes to through its outbounds; "
                               "set transparent: false" % where)
        services = []
        for item in sidecar.get("outbound") or []:
            if isinstance(item, dict):
                name = item.get("service") or (item.get("tags") or {}).get(SERVICE_TAG)
                if name and str(name) not in services:
                    services.append(str(name))
        return parse_gateway(where, sidecar["gateway"], services, self.errors, index)

    def _transparent(self, where, sidecar, replicas):
        """transparent: true is one replica, without outbounds, and one sidecar per host (Kuma has one
        redirect pair per network namespace)."""
        value = sidecar.get("transparent")
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
            value = value.strip().lower() in ("true", "yes")  # an ini inventory gives strings
        reachable = sidecar.get("reachable_services")
        if reachable is not None and (not isinstance(reachable, list)
                                      or not all(isinstance(s, str) and s for s in reachable)):
            self.errors.append("%s.reachable_services: must be a list of service names, got %r" % (where, reachable))
        if value in (None, False):
            if reachable:
                self.errors.append("%s.reachable_services: only a transparent sidecar takes it (an explicit one "
                                   "reaches the services of its outbounds); set transparent: true or remove it"
                                   % where)
            return False
        if value is not True:
            self.errors.append("%s.transparent: must be true or false, got %r" % (where, value))
            return False
        if sidecar.get("outbound"):
            self.errors.append("%s.transparent: a transparent sidecar takes no outbound (its app reaches every "
                               "service of the mesh by name through the iptables redirect); remove %s.outbound or "
                               "set transparent: false" % (where, where))
        if replicas is not None and replicas > 1:
            self.errors.append("%s.transparent: %d replicas; a host runs at most one transparent kuma-dp (one "
                               "redirect pair per network namespace): give replicas: 1 and run the others with "
                               "explicit outbounds or on other hosts" % (where, replicas))
        if replicas:
            if self.transparent_where is not None:
                self.errors.append("%s.transparent: %s is transparent already; a host runs at most one transparent "
                                   "kuma-dp (one redirect pair per network namespace)" % (where, self.transparent_where))
            else:
                self.transparent_where = where
        return True

    def _add_replica(self, where, sc, service, prefix, replica, offset, transparent=False, gateway=None):
        inst = _Instance("%s-%d" % (prefix, replica))
        errors = []
        common_tags = sc.get("tags") or {}
        inbound = [self._inbound(inst, "%s.inbound[%d]" % (where, i), item, service, common_tags, offset, errors)
                   for i, item in enumerate(sc.get("inbound") or [])]
        outbound = [self._outbound(inst, "%s.outbound[%d]" % (where, i), item, offset, errors)
                    for i, item in enumerate(sc.get("outbound") or [])]
        inbound = [i for i in inbound if i is not None]
        outbound = [o for o in outbound if o is not None]
        services = []
        for item in inbound:
            tags = item.get("tags") or {}
            name = str(tags.get(SERVICE_TAG, tags.get(LEGACY_SERVICE_TAG, service)))
            if name not in services:
                services.append(name)
        ports = {}
        for key, what in (("admin_port", "admin port"), ("readiness_port", "readiness port"),
                          ("metrics_port", "metrics port")):
            ports[key] = None
            if sc.get(key):
                base = _int(sc[key], "%s.%s" % (where, key), errors, "the %s" % what)
                if base is not None:
                    ports[key] = inst.take(base + offset, what)
        labels = dict(sc.get("labels") or {})
        labels.update({MANAGED_BY: "ansible", HOST_LABEL: self.host})
        edge = None
        if gateway is not None:
            labels[GATEWAY_LABEL] = service
            for listener in gateway["listeners"]:
                inst.take(listener["port"] + offset, "edge listener port")
            edge = with_offset(gateway, offset, self._outbound_ports(outbound))
        planned = {
            "name": inst.name, "service": service, "mesh": sc.get("mesh") or self.mesh, "replica": replica,
            "services": services or [service],
            "address": sc.get("address") or self.address,
            "advertised_address": sc.get("advertised_address"),
            "inbound": inbound, "outbound": outbound,
            "admin_port": ports["admin_port"], "readiness_port": ports["readiness_port"],
            "metrics_port": ports["metrics_port"],
            "labels": labels, "metrics": sc.get("metrics"), "probes": sc.get("probes"),
            "transparent": transparent, "transparent_proxying": None,
            # A gateway's Dataplane (Kuma 2: DELEGATED; _kuma3 makes it an ordinary one) and its edge.
            "gateway": {"type": "DELEGATED", "tags": {SERVICE_TAG: service}} if gateway is not None else None,
            "gateway_edge": edge,
            "listeners": None, "zone_address": None, "zone_proxy": None,
        }
        if transparent and None not in self.redirect_ports:
            # Envoy listens on both redirect ports: no other proxy of the host may take them.
            planned["transparent_proxying"] = {
                "redirect_port_inbound": inst.take(self.redirect_ports[0], "inbound redirect port"),
                "redirect_port_outbound": inst.take(self.redirect_ports[1], "outbound redirect port"),
            }
            # The services its application may call (reachableServices on Kuma 2, reachableBackends on
            # Kuma 3: _kuma3); none declared: every service of the mesh, as control_plane_restrict_outbound
            # leaves it.
            if isinstance(sc.get("reachable_services"), list) and sc["reachable_services"]:
                planned["transparent_proxying"]["reachable_services"] = sorted(set(sc["reachable_services"]))
        if any(i["name"] == inst.name for i in self.instances):
            errors.append("%s: the Dataplane name %s is given twice on %s (set name: to tell the sidecars apart)"
                          % (where, inst.name, self.host))
        # Ports out of range are reported once by check_ports, not again by the model.
        if not errors and all(PORT_MIN <= port <= PORT_MAX for port, _what in inst.ports):
            for error in self._model_errors(planned):
                if (where, error) not in self.model_errors_seen:
                    self.model_errors_seen.add((where, error))
                    errors.append("%s (%s): %s" % (where, inst.name, error))
        self.errors.extend(errors)
        self.taken.extend((port, what, inst.name) for port, what in inst.ports)
        self.instances.append(planned)

    @staticmethod
    def _outbound_ports(outbound):
        """service -> loopback port of this replica's outbound to it (the first one)."""
        ports = {}
        for item in outbound:
            name = item.get("service") or (item.get("tags") or {}).get(SERVICE_TAG)
            port = item.get("port")
            if port is None:
                match = LEGACY_OUTBOUND_RE.match(str(item.get("interface", "")))
                port = int(match.group("port")) if match else None
            if name and port is not None:
                ports.setdefault(str(name), int(port))
        return ports

    def _inbound(self, inst, where, item, service, common_tags, offset, errors):
        if not isinstance(item, dict):
            errors.append("%s: must be a dictionary (port, service_port, tags, ...), got %r" % (where, item))
            return None
        if not isinstance(item.get("tags") or {}, dict):
            errors.append("%s.tags: must be a dictionary" % where)
            return None
        if "interface" in item:
            match = LEGACY_INBOUND_RE.match(str(item["interface"]))
            if not match:
                errors.append("%s.interface: %r is not IP:DATAPLANE_PORT:SERVICE_PORT" % (where, item["interface"]))
                return None
            port = inst.take(int(match.group("port")) + offset, "inbound port")
            service_port = inst.take(int(match.group("service_port")) + offset, "inbound service port")
            ip = "[%s]" % match.group("ip6") if match.group("ip6") else match.group("ip")
            tags = dict(common_tags)
            tags.update(item.get("tags") or {})
            if LEGACY_SERVICE_TAG not in tags and SERVICE_TAG not in tags:
                tags[LEGACY_SERVICE_TAG] = service
            out = dict(item)
            out.update(interface="%s:%d:%d" % (ip, port, service_port), tags=tags)
            return out
        if item.get("port") is None:
            errors.append("%s.port: required (or the legacy interface IP:DATAPLANE_PORT:SERVICE_PORT)" % where)
            return None
        port = _int(item["port"], where + ".port", errors, "the port")
        if port is None:
            return None
        tags = {SERVICE_TAG: service}
        tags.update(common_tags)
        tags.update(item.get("tags") or {})
        out = dict(item)
        out.update(port=inst.take(port + offset, "inbound port"), tags=tags,
                   service_address=item.get("service_address") or self.service_address)
        if item.get("service_port") is not None:
            service_port = _int(item["service_port"], where + ".service_port", errors, "the service port")
            if service_port is None:
                return None
            out["service_port"] = inst.take(service_port + offset, "inbound service port")
        return out

    def _outbound(self, inst, where, item, offset, errors):
        if not isinstance(item, dict):
            errors.append("%s: must be a dictionary (port, service, ...), got %r" % (where, item))
            return None
        if "interface" in item:
            match = LEGACY_OUTBOUND_RE.match(str(item["interface"]))
            if not match:
                errors.append("%s.interface: %r is not [IP]:PORT" % (where, item["interface"]))
                return None
            port = inst.take(int(match.group("port")) + offset, "outbound port")
            ip = "[%s]" % match.group("ip6") if match.group("ip6") else match.group("ip")
            out = dict(item)
            out["interface"] = "%s:%d" % (ip, port)
            return out
        if item.get("port") is None:
            errors.append("%s.port: required (or the legacy interface [IP]:PORT)" % where)
            return None
        port = _int(item["port"], where + ".port", errors, "the port")
        if port is None:
            return None
        out = dict(item)
        out.update(port=inst.take(port + offset, "outbound port"), address=item.get("address") or LOOPBACK)
        return out

    @staticmethod
    def _model_errors(planned):
        """The dataplane module's own validation of the planned Dataplane (names, tags, fields)."""
        try:
            build_dataplane({k: planned[k] for k in DATAPLANE_FIELDS})
        except KumaInputError as exc:
            return [e.replace(planned["name"], "<name>") for e in exc.errors]
        return []

    # -- the host as a whole ---------------------------------------------------------------
    def allocate_ports(self, key, what, base):
        """One port per proxy without an explicit one (planned[key]): the first free ports from base."""
        used = {port for port, _what, _owner in self.taken}
        nxt = base
        for planned in self.instances + (self.zone_proxies if key == "readiness_port" else []):
            if planned[key]:
                continue
            while nxt in used:
                nxt += 1
            planned[key] = nxt
            used.add(nxt)
            self.taken.append((nxt, what, planned["name"]))
            nxt += 1

    def allocate_readiness_ports(self):
        if self.readiness_port_base is not None:
            self.allocate_ports("readiness_port", "readiness port", self.readiness_port_base)

    def allocate_metrics_ports(self):
        """With metrics on, one MeshMetric port per proxy; each proxy's port becomes its Dataplane's
        label (the MeshMetric for that port selects it)."""
        if self.metrics_enabled and self.metrics_port_base is not None:
            self.allocate_ports("metrics_port", "metrics port", self.metrics_port_base)
        for planned in self.instances:
            if planned["metrics_port"]:
                planned["labels"][METRICS_PORT_LABEL] = str(planned["metrics_port"])

    def check_ports(self):
        """Every port in range, and no port used twice on the host, whatever uses it."""
        first = {}
        for port, what, owner in self.taken:
            if not PORT_MIN <= port <= PORT_MAX:
                self.errors.append("%s: %s %d is out of range %d-%d" % (owner, what, port, PORT_MIN, PORT_MAX))
                continue
            if port in first:
                other_what, other_owner = first[port]
                self.errors.append("port %d collides on %s: %s %s and %s %s"
                                   % (port, self.host, owner, what, other_owner, other_what))
            else:
                first[port] = (what, owner)

    # -- zone proxies ----------------------------------------------------------------------
    def add_zone_proxies(self, zone_proxies, zone, form, kuma_version=None):
        if zone_proxies in (None, ""):
            return
        if not isinstance(zone_proxies, list):
            self.errors.append("kuma_zone_proxies: must be a list of zone proxies, got %r" % (zone_proxies,))
            return
        if not zone_proxies:
            return
        form, problem = zone_proxy_form(form, kuma_version)
        if problem:
            self.errors.append("sidecar_zone_proxy_form: %s" % problem)
            return
        if not zone:
            self.errors.append("kuma_zone_proxies: a zone ingress or egress runs in a zone: set kuma_zone on %s "
                               "(the zone of its control plane)" % self.host)
            return
        for index, item in enumerate(zone_proxies):
            self._add_zone_proxy("kuma_zone_proxies[%d]" % index, item, form)

    def _add_zone_proxy(self, where, item, form="zone_proxy"):
        if not isinstance(item, dict):
            self.errors.append("%s: must be a dictionary (type, port, ...), got %r" % (where, item))
            return
        errors = []
        errors += ["%s.%s: unknown field; allowed: %s" % (where, key, ", ".join(ZONE_PROXY_KEYS))
                   for key in item if key not in ZONE_PROXY_KEYS]
        kind = item.get("type")
        if kind not in ZONE_PROXY_KINDS:
            self.errors.extend(errors + ["%s.type: %r; give ingress or egress" % (where, kind)])
            return
        entity, default_port = ZONE_PROXY_KINDS[kind]
        if kind == "egress":
            errors += ["%s.%s: a zone egress is not reached from other zones; only an ingress takes it" % (where, key)
                       for key in ("advertised_address", "advertised_port") if item.get(key) is not None]
        inst = _Instance(str(item.get("name") or "zone-%s-%s" % (kind, self.slug)))
        ports = {}
        for key, what, default in (("port", "%s port" % entity, default_port),
                                   ("advertised_port", "advertised port", None),
                                   ("admin_port", "admin port", None), ("readiness_port", "readiness port", None)):
            value = item.get(key, default)
            ports[key] = None
            if value is not None:
                number = _int(value, "%s.%s" % (where, key), errors, "the %s" % what, minimum=PORT_MIN)
                # The advertised port is where other zones reach it (a NAT or load balancer may sit between).
                ports[key] = number if key == "advertised_port" or number is None else inst.take(number, what)
        address = item.get("address") or self.address
        if not address:
            errors.append("%s.address: required (the host has no default address)" % where)
        if any(z["name"] == inst.name for z in self.zone_proxies) or any(i["name"] == inst.name for i in self.instances):
            errors.append("%s: the name %s is given twice on %s (set name: to tell them apart)" % (where, inst.name, self.host))
        if form != "listeners" and item.get("mesh") is not None:
            errors.append("%s.mesh: a Kuma 2 zone proxy (sidecar_zone_proxy_form zone_proxy) serves every mesh; "
                          "a mesh is given with the form listeners (one zone proxy per mesh)" % where)
        self.errors.extend(errors)
        if errors:
            return
        if form == "listeners":
            self._add_zone_listener(where, inst, kind, entity, item, address, ports)
            return
        networking = {"address": address, "port": ports["port"]}
        if kind == "ingress":
            networking["advertisedAddress"] = item.get("advertised_address") or address
            networking["advertisedPort"] = ports["advertised_port"] or ports["port"]
        if ports["admin_port"]:
            networking["admin"] = {"port": ports["admin_port"]}
        self.taken.extend((port, what, inst.name) for port, what in inst.ports)
        self.zone_proxies.append({"name": inst.name, "type": kind, "readiness_port": ports["readiness_port"],
                                  "resource": {"type": entity, "name": inst.name, "networking": networking}})

    def _add_zone_listener(self, where, inst, kind, entity, item, address, ports):
        """A zone proxy of the form listeners: a Dataplane of its mesh with one listener of its type,
        planned as an instance (registered, tokened and run like a sidecar's, without inbounds), labelled
        ZONE_PROXY_LABEL; an ingress with the address other zones reach it by (its MeshZoneAddress)."""
        listener = {"type": entity, "address": address, "port": ports["port"], "name": kind}
        zone_address = None
        if kind == "ingress":
            zone_address = {"address": item.get("advertised_address") or address,
                            "port": ports["advertised_port"] or ports["port"]}
        labels = {MANAGED_BY: "ansible", HOST_LABEL: self.host, ZONE_PROXY_LABEL: kind,
                  # Kuma 3's SPIFFE ID of the collection's proxies reads this label (_kuma3.SPIFFE_PATH).
                  SERVICE_LABEL: "zone-%s" % kind}
        planned = {
            "name": inst.name, "service": "zone-%s" % kind, "mesh": str(item.get("mesh") or self.mesh), "replica": 0,
            "services": [], "address": address, "advertised_address": None, "inbound": [], "outbound": [],
            "admin_port": ports["admin_port"], "readiness_port": ports["readiness_port"], "metrics_port": None,
            "labels": labels, "metrics": None, "probes": None, "transparent": False, "transparent_proxying": None,
            "gateway": None, "gateway_edge": None,
            "listeners": [listener], "zone_address": zone_address, "zone_proxy": kind,
        }
        # The dataplane module's own validation (the mesh's name, say), before any change.
        errors = ["%s (%s): %s" % (where, inst.name, e) for e in self._model_errors(planned)]
        self.errors.extend(errors)
        if not errors:
            self.taken.extend((port, what, inst.name) for port, what in inst.ports)
            self.instances.append(planned)

    def plan(self, sidecars, zone_proxies=None, zone=None, zone_proxy_form="auto", kuma_version=None):
        # Undefined (None; "" from an ini inventory) is not "no sidecars": a missing or misspelled
        # variable must leave the host's proxies of that kind alone. Only an explicit [] empties a host.
        sidecars_managed = sidecars not in (None, "")
        zone_proxies_managed = zone_proxies not in (None, "")
        if not sidecars_managed:
            sidecars = []
        if not isinstance(sidecars, list):
            self.errors.append("kuma_sidecars: must be a list of sidecars, got %r" % (sidecars,))
            sidecars = []
        for index, sidecar in enumerate(sidecars):
            self.add_sidecar(index, sidecar)
        self.add_zone_proxies(zone_proxies, zone, zone_proxy_form, kuma_version)
        self.allocate_readiness_ports()
        self.allocate_metrics_ports()
        self.check_ports()
        prune_types = (["dataplane"] if sidecars_managed else []) + (list(ZONE_PROXY_KINDS) if zone_proxies_managed else [])
        return {"instances": self.instances, "errors": self.errors, "zone_proxies": self.zone_proxies,
                "zone": zone or "",
                "transparent": [i["name"] for i in self.instances if i["transparent"]],
                "exclude_inbound_ports": self.exclude_inbound_ports(),
                "sidecars_managed": sidecars_managed, "zone_proxies_managed": zone_proxies_managed,
                "prune_types": prune_types}

    def exclude_inbound_ports(self):
        """What a transparent proxy on the host must not redirect: every port the host's proxies listen on
        for others (inbound ports of the explicit replicas; admin, readiness and metrics ports of all)."""
        if not any(i["transparent"] for i in self.instances):
            return []
        ports = set()
        for inst in self.instances:
            for key in ("admin_port", "readiness_port", "metrics_port"):
                if inst[key]:
                    ports.add(int(inst[key]))
            for listener in (inst.get("gateway_edge") or {}).get("listeners", []) + (inst.get("listeners") or []):
                ports.add(int(listener["port"]))
            if not inst["transparent"]:
                for item in inst["inbound"]:
                    if item.get("port") is not None:
                        ports.add(int(item["port"]))
                    else:
                        match = LEGACY_INBOUND_RE.match(str(item.get("interface", "")))
                        if match:
                            ports.add(int(match.group("port")))
        for zone_proxy in self.zone_proxies:
            networking = zone_proxy["resource"]["networking"]
            ports.update(int(p) for p in (networking["port"], (networking.get("admin") or {}).get("port"),
                                          zone_proxy["readiness_port"]) if p)
        return sorted(ports)
