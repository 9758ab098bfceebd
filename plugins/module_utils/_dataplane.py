# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the Dataplane model.

build_dataplane() turns module parameters (snake_case, today's fields or the Kuma 0.x
syntax, translated by _legacy) into one normalised Dataplane, rejecting bad input with
messages that name the field. A Dataplane emits Kuma 2.x JSON (to_kuma, build_body) and
its managed fields for the compare (managed_fields, through _dataplane_fields).
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils import _legacy
from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError, quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._compare import user_labels
from ansible_collections.kuma.universal.plugins.module_utils._dataplane_fields import managed_fields_of
from ansible_collections.kuma.universal.plugins.module_utils._legacy import LOOPBACK
from ansible_collections.kuma.universal.plugins.module_utils._naming import (
    PROTOCOL_TAG, SERVICE_TAG, check_labels, check_name_and_mesh, check_tags,
)
from ansible_collections.kuma.universal.plugins.module_utils._schema import (
    check_address, check_ip, check_port, choice, emit, parse, parse_value, snake_to_camel, unknown_field,
)

PROTOCOLS = ("grpc", "http", "http2", "kafka", "tcp")
INBOUND_STATES = ("Ready", "NotReady", "Ignored")
BACKEND_REF_KINDS = ("MeshExternalService", "MeshMultiZoneService", "MeshService")
GATEWAY_TYPES = ("DELEGATED", "BUILTIN")
IP_FAMILY_MODES = ("DualStack", "IPv4", "IPv6")

INBOUND_NEW = ("port", "service_port", "service_address", "address")
INBOUND_COMMON = ("tags", "service_probe", "name", "state", "protocol")
OUTBOUND_NEW = ("port", "address")
OUTBOUND_COMMON = ("service", "tags", "backend_ref")

# Nested structures (_schema): snake_case field -> kind. The Kuma JSON (camelCase) spelling
# of a field is accepted as well; "raw" values are passed through untouched.
SERVICE_PROBE = {"interval": "duration", "timeout": "duration", "unhealthy_threshold": "threshold",
                 "healthy_threshold": "threshold", "tcp": "raw"}
BACKEND_REF = {"kind": ("choice", BACKEND_REF_KINDS), "name": "str", "port": "port", "labels": "strmap"}
TRANSPARENT_PROXYING = {"redirect_port_inbound": "port", "redirect_port_outbound": "port",
                        "direct_access_services": "strset", "reachable_services": "strset",
                        "ip_family_mode": ("choice", IP_FAMILY_MODES), "reachable_backends": "raw"}
GATEWAY = {"type": ("choice", GATEWAY_TYPES), "tags": "tags"}
METRICS = {"type": ("choice", ("prometheus",)), "name": "str", "conf": "raw"}
PROBE_ENDPOINT = {"inbound_port": "port", "inbound_path": "path", "path": "path"}
PROBES = {"port": "port", "endpoints": ("list", PROBE_ENDPOINT)}
# Zone proxies as listeners of a Dataplane (Kuma 3, which removed ZoneIngress/ZoneEgress; 2.14 accepts them).
LISTENER_TYPES = ("ZoneIngress", "ZoneEgress")
LISTENER = {"type": ("choice", LISTENER_TYPES), "address": "address", "port": "port", "name": "str"}
# Where other zones reach a ZoneIngress listener (its MeshZoneAddress; default the listener's own).
ZONE_ADDRESS = {"address": "address", "port": "port"}


class Dataplane:
    """One Dataplane in normalised form (snake_case, legacy syntax already translated)."""

    def __init__(self, name, mesh, labels=None, address=None, advertised_address=None, admin_port=None,
                 inbound=None, outbound=None, transparent_proxying=None, gateway=None, metrics=None,
                 probes=None, translations=None, listeners=None, zone_address=None):
        self.name = name
        self.mesh = mesh
        self.labels = labels
        self.address = address
        self.advertised_address = advertised_address
        self.admin_port = admin_port
        self.inbound = inbound or []
        self.outbound = outbound or []
        self.transparent_proxying = transparent_proxying
        self.gateway = gateway
        self.metrics = metrics
        self.probes = probes
        self.translations = translations or []
        self.listeners = listeners or []
        self.zone_address = zone_address

    # -- Kuma JSON ---------------------------------------------------------------------
    def to_kuma(self):
        """The entity as Kuma 2.x JSON (the PUT body). Kuma 3 moves inbound tags to labels and
        outbounds to backendRef (KUMA.md 11): the normalised form holds what that needs."""
        networking = {"address": self.address}
        if self.advertised_address:
            networking["advertisedAddress"] = self.advertised_address
        if self.admin_port:
            networking["admin"] = {"port": self.admin_port}
        if self.inbound:
            networking["inbound"] = [self.inbound_json(i) for i in self.inbound]
        if self.outbound:
            networking["outbound"] = [self._outbound_json(o) for o in self.outbound]
        if self.transparent_proxying:
            networking["transparentProxying"] = emit(self.transparent_proxying, TRANSPARENT_PROXYING)
        if self.gateway:
            networking["gateway"] = emit(self.gateway, GATEWAY)
        if self.listeners:
            networking["listeners"] = [emit(item, LISTENER) for item in self.listeners]
        body = {"type": "Dataplane", "mesh": self.mesh, "name": self.name}
        if self.labels:
            body["labels"] = dict(self.labels)
        body["networking"] = networking
        if self.metrics:
            body["metrics"] = emit(self.metrics, METRICS)
        if self.probes:
            body["probes"] = emit(self.probes, PROBES)
        return body

    @staticmethod
    def inbound_json(item):
        """One normalised inbound as Kuma JSON (2.x; _kuma3 emits its tag-less 3.x inbounds with it too)."""
        out = {}
        for field in ("port", "service_port", "service_address", "address", "tags", "name", "state", "protocol"):
            if item.get(field) not in (None, ""):
                out[snake_to_camel(field)] = item[field]
        if item.get("service_probe"):
            out["serviceProbe"] = emit(item["service_probe"], SERVICE_PROBE)
        return out

    @staticmethod
    def _outbound_json(item):
        out = {"port": item["port"], "address": item.get("address") or LOOPBACK}
        if item.get("tags"):
            out["tags"] = item["tags"]
        if item.get("backend_ref"):
            out["backendRef"] = emit(item["backend_ref"], BACKEND_REF)
        return out

    # -- comparison --------------------------------------------------------------------
    def managed_fields(self):
        """Flat {Kuma JSON path tuple: value} of everything this module manages."""
        return managed_fields_of(self.to_kuma(), self.labels is not None, self.state_ports())

    def state_ports(self):
        return frozenset(i["port"] for i in self.inbound if i.get("state") and i.get("port"))

    def zone_ingress(self):
        """(address, port) other zones reach this Dataplane's ZoneIngress listener on (its
        MeshZoneAddress), or None without one."""
        for item in self.listeners:
            if item["type"] == "ZoneIngress":
                given = self.zone_address or {}
                return (given.get("address") or item.get("address") or self.address,
                        given.get("port") or item["port"])
        return None

    def build_body(self, current):
        """The PUT body; labels not managed here (labels=None) keep their current value."""
        body = self.to_kuma()
        if self.labels is None and current:
            kept = user_labels(current.get("labels"))
            if kept:
                body["labels"] = kept
        return body


class _Builder:
    """Collects errors and translations while turning parameters into a Dataplane."""

    def __init__(self, params):
        self.params = params
        self.errors = []
        self.translations = []
        self.legacy_address = None

    def build(self):
        p = self.params
        name = p.get("name") or ""
        mesh = p.get("mesh") or "default"
        check_name_and_mesh(name, mesh, self.errors)
        labels = check_labels(p.get("labels"), self.errors)
        inbound = [self._inbound(i, item) for i, item in enumerate(p.get("inbound") or [])]
        outbound = [self._outbound(i, item) for i, item in enumerate(p.get("outbound") or [])]
        address = self._address(p.get("address"), inbound)

        advertised = None
        if p.get("advertised_address") not in (None, ""):
            advertised = check_address(p["advertised_address"], "advertised_address", self.errors)
        admin_port = None
        if p.get("admin_port") is not None:
            admin_port = check_port(p["admin_port"], "admin_port", self.errors)
        sections = {}
        for option, schema in (("transparent_proxying", TRANSPARENT_PROXYING), ("gateway", GATEWAY),
                               ("metrics", METRICS), ("probes", PROBES), ("zone_address", ZONE_ADDRESS)):
            sections[option] = parse(p[option], schema, option, self.errors) if p.get(option) else None
        if sections["metrics"] is not None:
            sections["metrics"].setdefault("type", "prometheus")
        listeners = []
        if p.get("listeners"):
            listeners = parse_value(p["listeners"], ("list", LISTENER), "listeners", self.errors) or []

        dataplane = Dataplane(name, mesh, labels, address, advertised, admin_port, inbound, outbound,
                              sections["transparent_proxying"], sections["gateway"], sections["metrics"],
                              sections["probes"], self.translations, listeners, sections["zone_address"])
        self._cross_checks(dataplane)
        if self.errors:
            raise KumaInputError(self.errors)
        return dataplane

    def _address(self, address, inbound):
        """networking.address: given, or the first legacy inbound's IP (then other legacy IPs
        that differ stay as their inbound's own address)."""
        if address in (None, ""):
            address = self.legacy_address
            if address is not None:
                _legacy.address_from_interface(address, self.translations)
        if address in (None, ""):
            self.errors.append("address: required (the IP or host name that other proxies use to reach this one); "
                               "or give a legacy inbound 'interface: IP:DP_PORT:SERVICE_PORT'")
        else:
            address = check_address(address, "address", self.errors)
        for i, item in enumerate(inbound):
            legacy_ip = item.pop("_legacy_ip", None)
            if legacy_ip is not None and address and legacy_ip != address:
                item["address"] = legacy_ip
                _legacy.interface_ip_kept("inbound[%d]" % i, legacy_ip, address, self.translations)
        return address

    # -- items -------------------------------------------------------------------------
    def _item_keys(self, where, item, new, common):
        """Unknown keys; whether the item uses the legacy 'interface' (never with today's fields)."""
        if not isinstance(item, dict):
            self.errors.append("%s: must be a dictionary, got %r" % (where, item))
            return None
        allowed = set(new) | set(common) | {"interface"}
        for key in item:
            if key not in allowed:
                self.errors.append(unknown_field(where, key, allowed))
        used_new = [k for k in new if item.get(k) is not None]
        if item.get("interface") is not None and used_new:
            self.errors.append("%s: the legacy 'interface' cannot be combined with %s on one item; use either "
                               "'interface' or today's fields" % (where, ", ".join(used_new)))
            return None
        return item.get("interface") is not None

    def _service_tags(self, tags, where):
        tags = check_tags(tags, where, self.errors)
        tags = _legacy.service_tag(tags, where, self.errors, self.translations)
        if SERVICE_TAG not in tags:
            self.errors.append("%s: missing the mandatory tag %s (or legacy 'service')" % (where, SERVICE_TAG))
        return tags

    def _inbound(self, index, item):
        where = "inbound[%d]" % index
        legacy = self._item_keys(where, item, INBOUND_NEW, INBOUND_COMMON)
        if legacy is None and not isinstance(item, dict):
            return {}
        out = {}
        if legacy:
            ip, out = _legacy.inbound_interface(item["interface"], where, self.errors, self.translations)
            if ip is not None:
                out["_legacy_ip"] = ip
                if self.legacy_address is None:
                    self.legacy_address = ip
        else:
            out["port"] = check_port(item.get("port"), where + ".port", self.errors)
            if item.get("service_port") is not None:
                out["service_port"] = check_port(item["service_port"], where + ".service_port", self.errors)
            for key in ("service_address", "address"):
                if item.get(key) not in (None, ""):
                    out[key] = check_ip(item[key], "%s.%s" % (where, key), self.errors)

        if item.get("tags") is None:
            self.errors.append("%s.tags: missing; every inbound needs the tag %s (or legacy 'service')"
                               % (where, SERVICE_TAG))
        else:
            tags = self._service_tags(item["tags"], where + ".tags")
            protocol = tags.get(PROTOCOL_TAG)
            if protocol is not None and protocol not in PROTOCOLS:
                self.errors.append("%s.tags[%r]: invalid value %r; allowed: %s"
                                   % (where, PROTOCOL_TAG, protocol, ", ".join(PROTOCOLS)))
            out["tags"] = tags
        if item.get("service_probe") is not None:
            out["service_probe"] = parse(item["service_probe"], SERVICE_PROBE, where + ".service_probe", self.errors)
        if item.get("name") not in (None, ""):
            out["name"] = str(item["name"])
        if item.get("state") is not None:
            out["state"] = choice(item["state"], INBOUND_STATES, where + ".state", self.errors)
        if item.get("protocol") is not None:
            out["protocol"] = choice(item["protocol"], PROTOCOLS, where + ".protocol", self.errors)
        return {k: v for k, v in out.items() if v is not None}

    def _outbound(self, index, item):
        where = "outbound[%d]" % index
        legacy = self._item_keys(where, item, OUTBOUND_NEW, OUTBOUND_COMMON)
        if legacy is None and not isinstance(item, dict):
            return {}
        if legacy:
            out = _legacy.outbound_interface(item["interface"], where, self.errors, self.translations)
        else:
            out = {"port": check_port(item.get("port"), where + ".port", self.errors), "address": LOOPBACK}
            if item.get("address") not in (None, ""):
                out["address"] = check_ip(item["address"], where + ".address", self.errors)

        given = [k for k in OUTBOUND_COMMON if item.get(k) not in (None, "", {})]
        if not given:
            self.errors.append("%s: give the target: service, tags (with %s) or backend_ref" % (where, SERVICE_TAG))
        elif len(given) > 1:
            self.errors.append("%s: give only one of service, tags, backend_ref (got %s)" % (where, ", ".join(given)))
        elif given[0] == "service":
            out["tags"] = check_tags({SERVICE_TAG: item["service"]}, where + ".service", self.errors)
            if legacy:
                _legacy.outbound_service(item["service"], out["tags"][SERVICE_TAG], where, self.translations)
        elif given[0] == "tags":
            out["tags"] = self._service_tags(item["tags"], where + ".tags")
        else:
            out["backend_ref"] = self._backend_ref(item["backend_ref"], where + ".backend_ref")
        return {k: v for k, v in out.items() if v is not None}

    def _backend_ref(self, value, where):
        ref = parse(value, BACKEND_REF, where, self.errors)
        if not ref.get("name") and not ref.get("labels"):
            self.errors.append("%s: either 'name' or 'labels' should be specified" % where)
        if "kind" not in ref:
            self.errors.append("%s.kind: required; allowed: %s" % (where, ", ".join(BACKEND_REF_KINDS)))
        elif ref["kind"] != "MeshExternalService" and "port" not in ref:
            self.errors.append("%s.port: required for kind %s" % (where, ref["kind"]))
        return ref

    # -- whole entity ------------------------------------------------------------------
    def _cross_checks(self, dp):
        seen = {}
        for i, item in enumerate(dp.inbound):
            port = item.get("port")
            if port is None:
                continue
            addr = item.get("address") or dp.address
            key = (addr, port)
            if key in seen:
                self.errors.append("inbound[%d].port: %s:%d is already used by %s" % (i, addr, port, seen[key]))
            else:
                seen[key] = "inbound[%d]" % i
            # Kuma's rule: checked only when service_address is given (an unset one with
            # transparent proxying, or with the app on the inbound address, is fine).
            service_addr = item.get("service_address")
            service_port = item.get("service_port") or port
            if service_addr and service_addr == addr and service_port == port:
                self.errors.append("inbound[%d]: service_address:service_port (%s:%d) has to differ from the "
                                   "inbound's address:port; set another service_port or service_address"
                                   % (i, service_addr, service_port))
        for i, item in enumerate(dp.outbound):
            port = item.get("port")
            if port is None:
                continue
            key = (item.get("address") or LOOPBACK, port)
            if key in seen:
                self.errors.append("outbound[%d].port: %s:%d is already used by %s" % (i, key[0], port, seen[key]))
            else:
                seen[key] = "outbound[%d]" % i
        for side, items in (("inbound", dp.inbound), ("outbound", dp.outbound)):
            for i, item in enumerate(items):
                if dp.admin_port is not None and item.get("port") == dp.admin_port:
                    self.errors.append("admin_port: %d must differ from %s[%d].port" % (dp.admin_port, side, i))
        self._listener_checks(dp, seen)
        if dp.gateway:
            gateway_type = dp.gateway.get("type", "DELEGATED")
            if SERVICE_TAG not in (dp.gateway.get("tags") or {}):
                self.errors.append("gateway.tags: missing the mandatory tag %s" % SERVICE_TAG)
            if dp.inbound:
                self.errors.append("inbound: cannot be defined for %s gateways" % gateway_type.lower())
            if gateway_type == "BUILTIN":
                if dp.outbound:
                    self.errors.append("outbound: cannot be defined for builtin gateways")
                if dp.probes:
                    self.errors.append("probes: cannot be defined for builtin gateways")

    def _listener_checks(self, dp, seen):
        """Kuma's rules for zone-proxy listeners (type, address and port required, one type per
        address:port, names unique across inbounds and listeners), before any request."""
        names = {i.get("name") for i in dp.inbound if i.get("name")}
        types = {}
        for i, item in enumerate(dp.listeners):
            where = "listeners[%d]" % i
            for field in ("type", "port"):
                if item.get(field) in (None, ""):
                    self.errors.append("%s.%s: required (%s)" % (where, field, "ZoneIngress or ZoneEgress"
                                                                 if field == "type" else "the port it listens on"))
            item.setdefault("address", dp.address)
            if item.get("name"):
                if item["name"] in names:
                    self.errors.append("%s.name: %r is used by another inbound or listener" % (where, item["name"]))
                names.add(item["name"])
            key = (item.get("address"), item.get("port"))
            if item.get("port") is None:
                continue
            if key in types or key in seen:
                self.errors.append("%s: %s:%s is already used by %s" % (where, key[0], key[1], types.get(key) or seen[key]))
            types[key] = where
        if dp.zone_address and not any(i.get("type") == "ZoneIngress" for i in dp.listeners):
            self.errors.append("zone_address: only a Dataplane with a ZoneIngress listener takes it (where other "
                               "zones reach that listener)")
        if dp.listeners and dp.gateway:
            self.errors.append("listeners: cannot be defined for gateways")


def build_dataplane(params):
    """Module parameters -> Dataplane; raises KumaInputError listing every problem."""
    return _Builder(params).build()


def dataplane_path(mesh, name):
    return "/meshes/%s/dataplanes/%s" % (quote_segment(mesh), quote_segment(name))
