# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: an edge gateway of the sidecar role - traffic from outside the mesh into it.

A sidecar item with a 'gateway' section is an edge: a process that listens for clients outside
the mesh (its listeners, never inbounds of the Dataplane) and calls mesh services through the
outbounds of its own kuma-dp. One model for both majors:

- its Dataplane has no inbound; on Kuma 2 it is a DELEGATED gateway (networking.gateway with
  kuma.io/service: <service>), on Kuma 3, which removed gateways, an ordinary Dataplane labelled
  kuma.universal/service: <service> (_kuma3 translates it, shown in --diff);
- its routes (path prefix, optional host) each name one of its outbounds' services;
- edge: envoy (default) - the role runs an Envoy from the Kuma release (kuma-edge@<name>) with the
  static configuration edge_config() makes: TLS terminated with the operator's certificate, a
  route per inventory route in order, 404 for what routes nowhere; edge: none - the operator runs
  the edge process, the role registers its Dataplane and permissions only;
- with mTLS on, each routed service admits the gateway's identity by a MeshTrafficPermission
  (permission_entities: the Kuma 2 or Kuma 3 form); a service it has an outbound to but no route
  does not.

parse_gateway() checks one item's section, collecting every problem with its field. Not a
public interface.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._edge_files import edge_paths
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import SERVICE_LABEL, spiffe_id
from ansible_collections.kuma.universal.plugins.module_utils._naming import SERVICE_TAG
from ansible_collections.kuma.universal.plugins.module_utils._schema import check_port

GATEWAY_KEYS = ("edge", "listeners", "routes")
LISTENER_KEYS = ("port", "address", "tls")
TLS_KEYS = ("certificate", "key")
ROUTE_KEYS = ("path", "host", "service")
EDGES = ("envoy", "none")
GATEWAY_LABEL = "kuma.universal/gateway"
MANAGED_BY = "kuma.universal/managed-by"
PERMISSION_PREFIX = "kuma-universal-gateway-"


def _unknown(where, item, allowed, errors):
    errors.extend("%s.%s: unknown field; allowed: %s" % (where, key, ", ".join(allowed))
                  for key in item if key not in allowed)


def parse_gateway(where, section, outbound_services, errors, index=0):
    """The gateway section of kuma_sidecars[index] -> {edge, listeners, routes} (ports before the
    replica's offset); problems appended to errors, each naming its field. outbound_services: the
    services of the item's outbounds (a route must name one of them).

    The plan is a fact (shown by -v): a listener's TLS key stays out of it. Its tls holds the
    certificate and where the key is ('key_of': sidecar and listener index); edge_tls() reads
    the key from kuma_sidecars itself when the module's items are made."""
    where = where + ".gateway"
    if not isinstance(section, dict):
        errors.append("%s: must be a dictionary (edge, listeners, routes), got %r" % (where, section))
        return None
    _unknown(where, section, GATEWAY_KEYS, errors)
    edge = section.get("edge", "envoy")
    if edge not in EDGES:
        errors.append("%s.edge: %r; allowed: envoy (the role runs an Envoy edge from the Kuma release) or none "
                      "(you run the edge process; the role registers its Dataplane and permissions)" % (where, edge))
    listeners = section.get("listeners") or []
    routes = section.get("routes") or []
    for key, value in (("listeners", listeners), ("routes", routes)):
        if not isinstance(value, list):
            errors.append("%s.%s: must be a list, got %r" % (where, key, value))
            return None
    if edge == "envoy" and not listeners:
        errors.append("%s.listeners: required with edge: envoy (at least one port the edge listens on)" % where)
    if not routes:
        errors.append("%s.routes: required (at least one route: path, host, service)" % where)
    parsed = {"edge": edge, "listeners": [], "routes": []}
    first_tls = None
    for i, item in enumerate(listeners):
        listener = _listener("%s.listeners[%d]" % (where, i), item, edge, errors)
        if listener is None:
            continue
        tls = listener.pop("tls", None)
        if tls is not None:
            # One certificate per edge (its files): a second TLS listener must present the same one.
            if first_tls is None:
                first_tls = (i, tls)
            elif tls != first_tls[1]:
                errors.append("%s.listeners[%d].tls: differs from listeners[%d].tls; an edge presents one "
                              "certificate (run another gateway for another one)" % (where, i, first_tls[0]))
            listener["tls"] = {"certificate": tls["certificate"], "key_of": [index, first_tls[0]]}
        parsed["listeners"].append(listener)
    for i, item in enumerate(routes):
        route = _route("%s.routes[%d]" % (where, i), item, outbound_services, errors)
        if route is not None:
            parsed["routes"].append(route)
    return parsed


def _listener(where, item, edge, errors):
    if not isinstance(item, dict):
        errors.append("%s: must be a dictionary (port, address, tls), got %r" % (where, item))
        return None
    _unknown(where, item, LISTENER_KEYS, errors)
    port = check_port(item.get("port"), where + ".port", errors)
    out = {"port": port, "address": str(item.get("address") or "0.0.0.0")}
    tls = item.get("tls")
    if tls is not None:
        if not isinstance(tls, dict):
            errors.append("%s.tls: must be a dictionary (certificate, key), got a %s" % (where, type(tls).__name__))
            return None
        _unknown(where + ".tls", tls, TLS_KEYS, errors)
        if "BEGIN CERTIFICATE" not in str(tls.get("certificate") or ""):
            errors.append("%s.tls.certificate: required, the PEM certificate chain the edge presents (e.g. "
                          "lookup('file', ...))" % where)
        # Never the key's text in a message: only whether it looks like one.
        if "PRIVATE KEY" not in str(tls.get("key") or ""):
            errors.append("%s.tls.key: required, the PEM private key of the certificate (keep it in a vault)" % where)
        if edge != "envoy":
            errors.append("%s.tls: only the role's edge (edge: envoy) terminates TLS; with edge: none your edge "
                          "process holds its certificate" % where)
        out["tls"] = {"certificate": str(tls.get("certificate") or ""), "key": str(tls.get("key") or "")}
    return out if port is not None else None


def _route(where, item, outbound_services, errors):
    if not isinstance(item, dict):
        errors.append("%s: must be a dictionary (path, host, service), got %r" % (where, item))
        return None
    _unknown(where, item, ROUTE_KEYS, errors)
    path = str(item.get("path") or "/")
    if not path.startswith("/"):
        errors.append("%s.path: %r must start with '/' (a path prefix)" % (where, path))
    service = item.get("service")
    if not service:
        errors.append("%s.service: required (the mesh service the route sends to)" % where)
        return None
    service = str(service)
    if service not in outbound_services:
        errors.append("%s.service: %s is not a service of this sidecar's outbounds (%s); add an outbound "
                      "{port: ..., service: %s} (the edge calls the service through it)"
                      % (where, service, ", ".join(outbound_services) or "none", service))
    host = item.get("host")
    route = {"path": path, "service": service}
    if host not in (None, ""):
        host = str(host).lower()
        if ":" in host or "/" in host or " " in host:
            errors.append("%s.host: %r must be a host name without port or path" % (where, host))
        route["host"] = host
    return route


def with_offset(gateway, offset, outbound_ports):
    """The gateway of one replica: listener ports shifted by the replica's offset, each route with
    the loopback port of its service's outbound (outbound_ports: service -> port of this replica)."""
    listeners = [dict(listener, port=listener["port"] + offset) for listener in gateway["listeners"]]
    routes = [dict(route, outbound_port=outbound_ports.get(route["service"])) for route in gateway["routes"]]
    return {"edge": gateway["edge"], "listeners": listeners, "routes": routes}


# -- the Envoy edge -------------------------------------------------------------------------

def _cluster(service):
    return "mesh_%s" % service


def edge_config(name, gateway, config_dir):
    """The static Envoy configuration of one edge (a dict; written as JSON, which Envoy reads)."""
    paths = edge_paths(config_dir, name)
    ports = {}  # service -> its outbound port, in the routes' order (one cluster each)
    for route in gateway["routes"]:
        ports.setdefault(route["service"], route["outbound_port"])
    hosts = []
    for route in gateway["routes"]:
        if route.get("host") and route["host"] not in hosts:
            hosts.append(route["host"])

    def envoy_route(route):
        return {"match": {"prefix": route["path"]}, "route": {"cluster": _cluster(route["service"])}}

    # One virtual host per host named by a route (its routes and the host-less ones, in the inventory's
    # order: the first match wins), then "*" with the host-less routes. No match: Envoy's 404.
    virtual_hosts = [{"name": host, "domains": [host],
                      "routes": [envoy_route(r) for r in gateway["routes"] if r.get("host") in (None, host)]}
                     for host in hosts]
    virtual_hosts.append({"name": "any", "domains": ["*"],
                          "routes": [envoy_route(r) for r in gateway["routes"] if not r.get("host")]})
    listeners = []
    for listener in gateway["listeners"]:
        manager = {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3."
                     "HttpConnectionManager",
            "stat_prefix": "edge_%d" % listener["port"],
            "use_remote_address": True,
            "strip_any_host_port": True,
            "route_config": {"name": "edge", "virtual_hosts": virtual_hosts},
            "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}],
        }
        chain = {"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}]}
        if listener.get("tls"):
            chain["transport_socket"] = {"name": "envoy.transport_sockets.tls", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
                "common_tls_context": {"tls_certificates": [{
                    "certificate_chain": {"filename": paths["certificate"]},
                    "private_key": {"filename": paths["key"]}}]}}}
        listeners.append({"name": "edge_%d" % listener["port"],
                          "address": {"socket_address": {"address": listener["address"],
                                                         "port_value": listener["port"]}},
                          "filter_chains": [chain]})
    clusters = [{"name": _cluster(s), "type": "STATIC", "connect_timeout": "5s",
                 "load_assignment": {"cluster_name": _cluster(s), "endpoints": [{"lb_endpoints": [{"endpoint": {
                     "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}]}}
                for s, port in ports.items()]
    return {"node": {"id": name, "cluster": "kuma-edge"},
            "static_resources": {"listeners": listeners, "clusters": clusters}}


def edge_tls(gateway, sidecars):
    """The certificate and key of the edge (one pair per edge), the key read from sidecars (the host's
    kuma_sidecars, which the plan was made from); None without TLS."""
    for listener in gateway["listeners"]:
        if listener.get("tls"):
            index, listener_index = listener["tls"]["key_of"]
            try:
                key = sidecars[index]["gateway"]["listeners"][listener_index]["tls"]["key"]
            except (IndexError, KeyError, TypeError):
                key = None
            return {"certificate": listener["tls"]["certificate"], "key": key}
    return None


# -- the permissions ------------------------------------------------------------------------

def permission_name(gateway_service, service):
    return "%s%s-to-%s" % (PERMISSION_PREFIX, gateway_service, service)


def wanted_permissions(instances_by_host):
    """{(mesh, gateway service, routed service): sorted zones of the gateway's replicas} from the
    planned instances of every host (instances_by_host: [(zone, [planned instance])])."""
    wanted = {}
    for zone, instances in instances_by_host:
        for inst in instances or []:
            gateway = inst.get("gateway_edge")
            if not gateway:
                continue
            for route in gateway["routes"]:
                key = (inst["mesh"], inst["service"], route["service"])
                wanted.setdefault(key, set()).add(zone or "default")
    return {key: sorted(zones) for key, zones in wanted.items()}


def permission_entity(mesh, gateway_service, service, zones, major):
    """The MeshTrafficPermission that admits the gateway's identity to service: on Kuma 2 by the
    gateway's kuma.io/service, on Kuma 3 by its SPIFFE ID (one per zone it runs in; the MeshIdentity
    of _kuma3.mesh_identity names proxies by their kuma.universal/service label)."""
    labels = {MANAGED_BY: "ansible", GATEWAY_LABEL: gateway_service}
    if major >= 3:
        spec = {"targetRef": {"kind": "Dataplane", "labels": {SERVICE_LABEL: service}},
                "rules": [{"default": {"allow": [{"spiffeID": {"type": "Exact",
                                                               "value": spiffe_id(mesh, gateway_service, zone)}}
                                                 for zone in zones]}}]}
    else:
        spec = {"targetRef": {"kind": "MeshSubset", "tags": {SERVICE_TAG: service}},
                "from": [{"targetRef": {"kind": "MeshSubset", "tags": {SERVICE_TAG: gateway_service}},
                          "default": {"action": "Allow"}}]}
    return {"type": "MeshTrafficPermission", "mesh": mesh, "name": permission_name(gateway_service, service),
            "labels": labels, "spec": spec}
