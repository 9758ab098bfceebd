# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the Dataplane model.

build_dataplane() turns module parameters (snake_case, today's fields or the seed's
Kuma 0.x syntax) into one normalised internal form, recording each legacy translation
and rejecting bad input with messages that name the field. The internal form emits
Kuma 2.x JSON (to_kuma) and the flat map of managed fields used to compare with the
control plane (managed_fields / current_managed_fields).
"""

from __future__ import annotations

import difflib
import ipaddress
import re

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError, quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._entity import ensure_entity
from ansible_collections.kuma.universal.plugins.module_utils._compare import (
    canonical, parse_go_duration, sort_key, user_labels,
)

SERVICE_TAG = "kuma.io/service"
LEGACY_SERVICE_TAG = "service"
ZONE_TAG = "kuma.io/zone"
PROTOCOL_TAG = "kuma.io/protocol"
PROTOCOLS = ("grpc", "http", "http2", "kafka", "tcp")
LOOPBACK = "127.0.0.1"
INBOUND_STATES = ("Ready", "NotReady", "Ignored")
BACKEND_REF_KINDS = ("MeshExternalService", "MeshMultiZoneService", "MeshService")
GATEWAY_TYPES = ("DELEGATED", "BUILTIN")
IP_FAMILY_MODES = ("DualStack", "IPv4", "IPv6")

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
MESH_RE = re.compile(r"^[0-9a-z.\-_]+$")
TAG_NAME_RE = re.compile(r"^[a-zA-Z0-9.\-_:/]+$")
TAG_VALUE_RE = re.compile(r"^[a-zA-Z0-9.\-_:]+$")
DNS_LABEL = r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?"
DNS_NAME_RE = re.compile(r"^%s(\.%s)*\.?$" % (DNS_LABEL, DNS_LABEL))
LEGACY_INBOUND_RE = re.compile(r"^(?:\[(?P<ip6>[^\]]+)\]|(?P<ip>[^:\[\]]+)):(?P<port>\d+):(?P<service_port>\d+)$")
LEGACY_OUTBOUND_RE = re.compile(r"^(?:\[(?P<ip6>[^\]]+)\]|(?P<ip>[^:\[\]]*)):(?P<port>\d+)$")

INBOUND_NEW = ("port", "service_port", "service_address", "address")
INBOUND_COMMON = ("tags", "service_probe", "name", "state", "protocol")
OUTBOUND_NEW = ("port", "address")
OUTBOUND_COMMON = ("service", "tags", "backend_ref")

# Nested structures: snake_case field -> kind. The Kuma JSON (camelCase) spelling of a
# field is accepted as well; "raw" values are passed through untouched.
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
# Kuma JSON names of the managed keys of an inbound / outbound (everything else the CP
# keeps there, such as health, is not ours).
INBOUND_JSON_KEYS = ("port", "servicePort", "serviceAddress", "address", "tags", "serviceProbe", "name",
                     "state", "protocol")
OUTBOUND_JSON_KEYS = ("port", "address", "tags", "backendRef")


def snake_to_camel(name):
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _allowed_text(allowed):
    return ", ".join(sorted(allowed))


def _unknown_field(where, key, allowed):
    hint = difflib.get_close_matches(str(key), list(allowed), n=1)
    text = "%s.%s: unknown field" % (where, key) if where else "%s: unknown field" % key
    if hint:
        text += " (did you mean '%s'?)" % hint[0]
    return text + "; allowed: %s" % _allowed_text(allowed)


def is_ip(value):
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _port(value, where, errors, required=True):
    if value is None:
        if required:
            errors.append("%s: required (a port in the range [1, 65535])" % where)
        return None
    if isinstance(value, bool):
        errors.append("%s: must be a port in the range [1, 65535], got %r" % (where, value))
        return None
    try:
        port = int(str(value).strip())
    except ValueError:
        errors.append("%s: must be a port in the range [1, 65535], got %r" % (where, value))
        return None
    if not 1 <= port <= 65535:
        errors.append("%s: port must be in the range [1, 65535], got %d" % (where, port))
        return None
    return port


def _tag_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _tags(value, where, errors):
    """A tag map with string values; names and values checked like the CP does."""
    if not isinstance(value, dict):
        errors.append("%s: must be a dictionary of tag name to value, got %r" % (where, value))
        return {}
    tags = {}
    for key, raw in value.items():
        key = str(key)
        text = "" if raw is None else _tag_text(raw)
        if not key:
            errors.append("%s: tag name must be non-empty" % where)
            continue
        if not TAG_NAME_RE.match(key):
            errors.append("%s[%r]: tag name must consist of letters, digits and . - _ : /" % (where, key))
        if not text:
            errors.append("%s[%r]: tag value must be non-empty" % (where, key))
        elif not TAG_VALUE_RE.match(text):
            errors.append("%s[%r]: tag value %r must consist of letters, digits and . - _ : (no '/' or spaces)"
                          % (where, key, text))
        tags[key] = text
    return tags


def _struct(value, schema, where, errors):
    """Parse a nested structure into its snake_case form, rejecting unknown keys."""
    if not isinstance(value, dict):
        errors.append("%s: must be a dictionary, got %r" % (where, value))
        return {}
    aliases = {}
    for field in schema:
        aliases[field] = field
        aliases[snake_to_camel(field)] = field
    out = {}
    for key, raw in value.items():
        field = aliases.get(key)
        if field is None:
            errors.append(_unknown_field(where, key, schema))
            continue
        if field in out:
            errors.append("%s.%s: given twice (as %s and %s)" % (where, field, field, snake_to_camel(field)))
            continue
        if raw is None:
            continue
        parsed = _value(raw, schema[field], "%s.%s" % (where, field), errors)
        if parsed is not None:
            out[field] = parsed
    return out


def _value(raw, kind, where, errors):
    if kind == "raw":
        return raw
    if kind == "port":
        return _port(raw, where, errors)
    if kind == "threshold":
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if isinstance(raw, bool) or number <= 0:
            errors.append("%s: must have a positive value, got %r" % (where, raw))
            return None
        return number
    if kind == "duration":
        nanos = parse_go_duration(str(raw))
        if nanos is None or nanos <= 0:
            errors.append("%s: must be a positive Go duration such as '10s' or '1m', got %r" % (where, raw))
            return None
        return str(raw)
    if kind == "str":
        return str(raw)
    if kind == "path":
        text = str(raw)
        if not text.startswith("/"):
            errors.append("%s: should be a valid URL path starting with '/', got %r" % (where, text))
        return text
    if kind == "strmap":
        if not isinstance(raw, dict):
            errors.append("%s: must be a dictionary, got %r" % (where, raw))
            return None
        return {str(k): _tag_text(v) for k, v in raw.items()}
    if kind == "strset":
        if not isinstance(raw, list):
            errors.append("%s: must be a list of strings, got %r" % (where, raw))
            return None
        return sorted({str(v) for v in raw})
    if kind == "tags":
        return _tags(raw, where, errors)
    if isinstance(kind, tuple) and kind[0] == "choice":
        choices = kind[1]
        text = str(raw)
        for choice in choices:
            if text.lower() == choice.lower():
                return choice
        errors.append("%s: invalid value %r; allowed: %s" % (where, text, ", ".join(choices)))
        return None
    if isinstance(kind, tuple) and kind[0] == "list":
        if not isinstance(raw, list):
            errors.append("%s: must be a list, got %r" % (where, raw))
            return None
        return [_struct(item, kind[1], "%s[%d]" % (where, i), errors) for i, item in enumerate(raw)]
    raise ValueError("unknown schema kind %r" % (kind,))


def _emit(value, schema):
    """snake_case structure -> Kuma JSON (camelCase) following its schema."""
    out = {}
    for field, item in value.items():
        kind = schema[field]
        if isinstance(kind, tuple) and kind[0] == "list":
            item = [_emit(v, kind[1]) for v in item]
        out[snake_to_camel(field)] = item
    return out


def _address(value, where, errors, allow_name=True):
    text = str(value).strip()
    if not text:
        errors.append("%s: address can't be empty" % where)
    elif text in ("0.0.0.0", "::"):
        errors.append("%s: must not be 0.0.0.0 or ::" % where)
    elif not is_ip(text) and not (allow_name and DNS_NAME_RE.match(text)):
        errors.append("%s: %r is not a valid IP address%s" % (where, text, " or domain name" if allow_name else ""))
    return text


def _service_tag(tags, where, errors, translations, legacy_ok=True):
    """Rename the legacy tag 'service' to kuma.io/service (Kuma 0.7)."""
    if LEGACY_SERVICE_TAG in tags and legacy_ok:
        if SERVICE_TAG in tags:
            errors.append("%s: both 'service' (legacy) and '%s' given; keep only '%s'"
                          % (where, SERVICE_TAG, SERVICE_TAG))
            return tags
        tags = dict(tags)
        tags[SERVICE_TAG] = tags.pop(LEGACY_SERVICE_TAG)
        translations.append("%s: tag 'service: %s' -> '%s: %s' (renamed in Kuma 0.7)"
                            % (where, tags[SERVICE_TAG], SERVICE_TAG, tags[SERVICE_TAG]))
    return tags


class Dataplane:
    """One Dataplane in normalised form (snake_case, legacy syntax already translated)."""

    def __init__(self, name, mesh, labels=None, address=None, advertised_address=None, admin_port=None,
                 inbound=None, outbound=None, transparent_proxying=None, gateway=None, metrics=None,
                 probes=None, translations=None):
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

    # -- Kuma JSON ---------------------------------------------------------------------
    def to_kuma(self, major=2):
        """The entity as Kuma 2.x JSON (the PUT body)."""
        if major != 2:
            # Kuma 3 moves inbound tags to labels and outbounds to backendRef (KUMA.md 11);
            # the internal form holds everything needed, the emitter is not written yet.
            raise NotImplementedError("only the Kuma 2.x Dataplane format is implemented")
        networking = {"address": self.address}
        if self.advertised_address:
            networking["advertisedAddress"] = self.advertised_address
        if self.admin_port:
            networking["admin"] = {"port": self.admin_port}
        if self.inbound:
            networking["inbound"] = [self._inbound_json(i) for i in self.inbound]
        if self.outbound:
            networking["outbound"] = [self._outbound_json(o) for o in self.outbound]
        if self.transparent_proxying:
            networking["transparentProxying"] = _emit(self.transparent_proxying, TRANSPARENT_PROXYING)
        if self.gateway:
            networking["gateway"] = _emit(self.gateway, GATEWAY)
        body = {"type": "Dataplane", "mesh": self.mesh, "name": self.name}
        if self.labels:
            body["labels"] = dict(self.labels)
        body["networking"] = networking
        if self.metrics:
            body["metrics"] = _emit(self.metrics, METRICS)
        if self.probes:
            body["probes"] = _emit(self.probes, PROBES)
        return body

    @staticmethod
    def _inbound_json(item):
        out = {}
        for field in ("port", "service_port", "service_address", "address", "tags", "name", "state", "protocol"):
            if item.get(field) not in (None, ""):
                out[snake_to_camel(field)] = item[field]
        if item.get("service_probe"):
            out["serviceProbe"] = _emit(item["service_probe"], SERVICE_PROBE)
        return out

    @staticmethod
    def _outbound_json(item):
        out = {"port": item["port"], "address": item.get("address") or LOOPBACK}
        if item.get("tags"):
            out["tags"] = item["tags"]
        if item.get("backend_ref"):
            out["backendRef"] = _emit(item["backend_ref"], BACKEND_REF)
        return out

    # -- comparison --------------------------------------------------------------------
    def managed_fields(self):
        """Flat {Kuma JSON path tuple: value} of everything this module manages."""
        return managed_fields_of(self.to_kuma(), self.labels is not None, self.state_ports())

    def state_ports(self):
        return frozenset(i["port"] for i in self.inbound if i.get("state") and i.get("port"))

    def build_body(self, current):
        """The PUT body; labels not managed here (labels=None) keep their current value."""
        body = self.to_kuma()
        if self.labels is None and current:
            kept = user_labels(current.get("labels"))
            if kept:
                body["labels"] = kept
        return body


def _normalise_inbound_json(item, state_ports):
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


def _normalise_outbound_json(item):
    out = {k: item[k] for k in OUTBOUND_JSON_KEYS if k in item}
    out["address"] = out.get("address") or LOOPBACK
    return out


def _as_set(items):
    """Sort a list of dicts by content so that order never shows as a change."""
    return sorted(items, key=lambda x: sort_key(canonical(x)))


def managed_fields_of(entity, manage_labels, state_ports=()):
    """The managed fields of a Dataplane in Kuma JSON (ours or the CP's), normalised.

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
    fields[("networking", "inbound")] = _as_set([_normalise_inbound_json(i, state_ports)
                                            for i in net.get("inbound") or []])
    fields[("networking", "outbound")] = _as_set([_normalise_outbound_json(o) for o in net.get("outbound") or []])
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
    fields[("metrics",)] = entity.get("metrics")
    fields[("probes",)] = entity.get("probes")
    return fields


def validate_name_and_mesh(name, mesh, errors):
    if not name:
        errors.append("name: cannot be empty")
    elif len(name) > 253 or not NAME_RE.match(name):
        errors.append("name: %r must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; at most 253 characters)"
                      % name)
    if not mesh:
        errors.append("mesh: cannot be empty")
    elif not MESH_RE.match(mesh):
        errors.append("mesh: %r may only hold lowercase letters, digits, '-', '_' and '.'" % mesh)


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
        validate_name_and_mesh(name, mesh, self.errors)
        labels = p.get("labels")
        if labels is not None:
            if not isinstance(labels, dict):
                self.errors.append("labels: must be a dictionary")
                labels = {}
            labels = {str(k): _tag_text(v) for k, v in labels.items()}
            cp_owned = sorted(k for k in labels if k.startswith("kuma.io/"))
            if cp_owned:
                self.errors.append("labels: %s: the kuma.io/ prefix belongs to the control plane"
                                   % ", ".join(cp_owned))

        inbound = [self._inbound(i, item) for i, item in enumerate(p.get("inbound") or [])]
        outbound = [self._outbound(i, item) for i, item in enumerate(p.get("outbound") or [])]

        address = p.get("address")
        if address in (None, ""):
            address = self.legacy_address
            if address is not None:
                self.translations.append("address: %s, taken from the first legacy inbound interface" % address)
        if address in (None, ""):
            self.errors.append("address: required (the IP or host name that other proxies use to reach this one); "
                               "or give a legacy inbound 'interface: IP:DP_PORT:SERVICE_PORT'")
        else:
            address = _address(address, "address", self.errors)
        for i, item in enumerate(inbound):
            legacy_ip = item.pop("_legacy_ip", None)
            if legacy_ip is not None and address and legacy_ip != address:
                item["address"] = legacy_ip
                self.translations.append("inbound[%d]: interface IP %s differs from address %s: kept as the "
                                         "inbound's own address" % (i, legacy_ip, address))

        advertised = p.get("advertised_address")
        if advertised not in (None, ""):
            advertised = _address(advertised, "advertised_address", self.errors)
        else:
            advertised = None
        admin_port = None
        if p.get("admin_port") is not None:
            admin_port = _port(p.get("admin_port"), "admin_port", self.errors)

        tproxy = gateway = metrics = probes = None
        if p.get("transparent_proxying"):
            tproxy = _struct(p["transparent_proxying"], TRANSPARENT_PROXYING, "transparent_proxying", self.errors)
        if p.get("gateway"):
            gateway = _struct(p["gateway"], GATEWAY, "gateway", self.errors)
        if p.get("metrics"):
            metrics = _struct(p["metrics"], METRICS, "metrics", self.errors)
            metrics.setdefault("type", "prometheus")
        if p.get("probes"):
            probes = _struct(p["probes"], PROBES, "probes", self.errors)

        dataplane = Dataplane(name, mesh, labels, address, advertised, admin_port, inbound, outbound,
                              tproxy, gateway, metrics, probes, self.translations)
        self._cross_checks(dataplane)
        if self.errors:
            raise KumaInputError(self.errors)
        return dataplane

    # -- items -------------------------------------------------------------------------
    def _check_keys(self, where, item, new, common, legacy):
        allowed = set(new) | set(common) | set(legacy)
        for key in item:
            if key not in allowed:
                self.errors.append(_unknown_field(where, key, allowed))
        used_legacy = [k for k in legacy if item.get(k) is not None]
        used_new = [k for k in new if item.get(k) is not None]
        if used_legacy and used_new:
            self.errors.append("%s: the legacy 'interface' cannot be combined with %s on one item; use either "
                               "'interface' or today's fields" % (where, ", ".join(used_new)))
            return False
        return bool(used_legacy)

    def _inbound(self, index, item):
        where = "inbound[%d]" % index
        if not isinstance(item, dict):
            self.errors.append("%s: must be a dictionary, got %r" % (where, item))
            return {}
        legacy = self._check_keys(where, item, INBOUND_NEW, INBOUND_COMMON, ("interface",))
        out = {}
        if legacy:
            text = str(item["interface"]).strip()
            match = LEGACY_INBOUND_RE.match(text)
            ip = match and (match.group("ip6") or match.group("ip"))
            if not match or not is_ip(ip):
                self.errors.append("%s.interface: malformed legacy interface %r; expected "
                                   "'IP:DATAPLANE_PORT:SERVICE_PORT', e.g. '192.168.0.1:9000:6379'" % (where, text))
            else:
                out["port"] = _port(match.group("port"), where + ".interface (dataplane port)", self.errors)
                out["service_port"] = _port(match.group("service_port"), where + ".interface (service port)",
                                            self.errors)
                out["service_address"] = LOOPBACK
                out["_legacy_ip"] = ip
                if self.legacy_address is None:
                    self.legacy_address = ip
                self.translations.append(
                    "%s: interface '%s' -> port %s, service_port %s, service_address %s (the app on loopback)"
                    % (where, text, out["port"], out["service_port"], LOOPBACK))
        else:
            out["port"] = _port(item.get("port"), where + ".port", self.errors)
            if item.get("service_port") is not None:
                out["service_port"] = _port(item["service_port"], where + ".service_port", self.errors)
            for key in ("service_address", "address"):
                if item.get(key) not in (None, ""):
                    value = str(item[key]).strip()
                    if not is_ip(value):
                        self.errors.append("%s.%s: %r is not a valid IP address" % (where, key, value))
                    out[key] = value

        tags = item.get("tags")
        if tags is None:
            self.errors.append("%s.tags: missing; every inbound needs the tag %s (or legacy 'service')"
                               % (where, SERVICE_TAG))
        else:
            tags = _tags(tags, where + ".tags", self.errors)
            tags = _service_tag(tags, where + ".tags", self.errors, self.translations)
            if SERVICE_TAG not in tags:
                self.errors.append("%s.tags: missing the mandatory tag %s (or legacy 'service')"
                                   % (where, SERVICE_TAG))
            protocol = tags.get(PROTOCOL_TAG)
            if protocol is not None and protocol not in PROTOCOLS:
                self.errors.append("%s.tags[%r]: invalid value %r; allowed: %s"
                                   % (where, PROTOCOL_TAG, protocol, ", ".join(PROTOCOLS)))
            out["tags"] = tags
        if item.get("service_probe") is not None:
            out["service_probe"] = _struct(item["service_probe"], SERVICE_PROBE, where + ".service_probe",
                                           self.errors)
        if item.get("name") not in (None, ""):
            out["name"] = str(item["name"])
        if item.get("state") is not None:
            out["state"] = _value(item["state"], ("choice", INBOUND_STATES), where + ".state", self.errors)
        if item.get("protocol") is not None:
            out["protocol"] = _value(item["protocol"], ("choice", PROTOCOLS), where + ".protocol", self.errors)
        return {k: v for k, v in out.items() if v is not None}

    def _outbound(self, index, item):
        where = "outbound[%d]" % index
        if not isinstance(item, dict):
            self.errors.append("%s: must be a dictionary, got %r" % (where, item))
            return {}
        legacy = self._check_keys(where, item, OUTBOUND_NEW, OUTBOUND_COMMON, ("interface",))
        out = {}
        if legacy:
            text = str(item["interface"]).strip()
            match = LEGACY_OUTBOUND_RE.match(text)
            ip = match and (match.group("ip6") or match.group("ip") or LOOPBACK)
            if not match or not is_ip(ip):
                self.errors.append("%s.interface: malformed legacy interface %r; expected '[IP]:PORT', "
                                   "e.g. ':10000' or '127.0.0.1:10000'" % (where, text))
            else:
                out["port"] = _port(match.group("port"), where + ".interface (port)", self.errors)
                out["address"] = ip
                self.translations.append("%s: interface '%s' -> address %s, port %s"
                                         % (where, text, ip, out["port"]))
        else:
            out["port"] = _port(item.get("port"), where + ".port", self.errors)
            if item.get("address") not in (None, ""):
                value = str(item["address"]).strip()
                if not is_ip(value):
                    self.errors.append("%s.address: %r is not a valid IP address" % (where, value))
                out["address"] = value
            else:
                out["address"] = LOOPBACK

        given = [k for k in OUTBOUND_COMMON if item.get(k) not in (None, "", {})]
        if not given:
            self.errors.append("%s: give the target: service, tags (with %s) or backend_ref" % (where, SERVICE_TAG))
        elif len(given) > 1:
            self.errors.append("%s: give only one of service, tags, backend_ref (got %s)" % (where, ", ".join(given)))
        elif given[0] == "service":
            service = _tags({SERVICE_TAG: item["service"]}, where + ".service", self.errors)
            out["tags"] = service
            if legacy:
                self.translations.append("%s: service '%s' -> tags {%s: %s}"
                                         % (where, item["service"], SERVICE_TAG, service[SERVICE_TAG]))
        elif given[0] == "tags":
            tags = _tags(item["tags"], where + ".tags", self.errors)
            tags = _service_tag(tags, where + ".tags", self.errors, self.translations)
            if SERVICE_TAG not in tags:
                self.errors.append("%s.tags: missing the mandatory tag %s (or legacy 'service')"
                                   % (where, SERVICE_TAG))
            out["tags"] = tags
        else:
            ref = _struct(item["backend_ref"], BACKEND_REF, where + ".backend_ref", self.errors)
            if not ref.get("name") and not ref.get("labels"):
                self.errors.append("%s.backend_ref: either 'name' or 'labels' should be specified" % where)
            if "kind" not in ref:
                self.errors.append("%s.backend_ref.kind: required; allowed: %s" % (where, ", ".join(BACKEND_REF_KINDS)))
            elif ref["kind"] != "MeshExternalService" and "port" not in ref:
                self.errors.append("%s.backend_ref.port: required for kind %s" % (where, ref["kind"]))
            out["backend_ref"] = ref
        return {k: v for k, v in out.items() if v is not None}

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
        if dp.admin_port is not None:
            for i, item in enumerate(dp.inbound):
                if item.get("port") == dp.admin_port:
                    self.errors.append("admin_port: %d must differ from inbound[%d].port" % (dp.admin_port, i))
            for i, item in enumerate(dp.outbound):
                if item.get("port") == dp.admin_port:
                    self.errors.append("admin_port: %d must differ from outbound[%d].port" % (dp.admin_port, i))
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


def build_dataplane(params):
    """Module parameters -> Dataplane; raises KumaInputError listing every problem."""
    return _Builder(params).build()


def dataplane_path(mesh, name):
    return "/meshes/%s/dataplanes/%s" % (quote_segment(mesh), quote_segment(name))


def ensure_dataplane(kmod):
    """The dataplane module's whole run: validate, then converge. Returns the result."""
    params = kmod.params
    state = params["state"]
    if state == "absent":
        errors = []
        validate_name_and_mesh(params["name"], params["mesh"], errors)
        if errors:
            raise KumaInputError(errors)
        result, _body = ensure_entity(
            kmod.client, dataplane_path(params["mesh"], params["name"]), state, kmod.check_mode,
            {}, lambda entity: managed_fields_of(entity, True), lambda current: None)
        result.update(dataplane={}, translations=[], created=False)
        return result
    dataplane = build_dataplane(params)  # raises before any request on bad input
    version = kmod.client.version()
    if _major(version) >= 3:
        # Kuma 3 changes the Universal Dataplane (KUMA.md 11); the model keeps everything needed
        # but only emits the 2.x form, so refuse rather than send what 3.x would drop.
        raise KumaInputError(["the control plane runs Kuma %s; this collection writes the Kuma 2.x Dataplane "
                              "format only" % version])
    result, body = ensure_entity(
        kmod.client, dataplane_path(dataplane.mesh, dataplane.name), state, kmod.check_mode,
        dataplane.managed_fields(),
        lambda entity: managed_fields_of(entity, dataplane.labels is not None, dataplane.state_ports()),
        dataplane.build_body)
    result.setdefault("created", False)
    result.update(dataplane=body, translations=dataplane.translations, kuma_version=version)
    return result


def _major(version):
    match = re.match(r"^v?(\d+)\.", version or "")
    return int(match.group(1)) if match else 0
