#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplane
short_description: Register a Kuma Dataplane entity through the control-plane API
version_added: 0.1.0
description:
  - Creates, updates or deletes a Dataplane (the entity a C(kuma-dp) proxy connects as) in a mesh
    of a Kuma control plane in Universal mode, through C(PUT|DELETE /meshes/{mesh}/dataplanes/{name}).
  - Accepts today's fields and the Kuma 0.x syntax of older playbooks (inbound C(interface) V(IP:DP_PORT:SERVICE_PORT),
    outbound C(interface) V([IP]:PORT) with C(service), the tag C(service)). Legacy input is translated and each translation is listed in RV(translations).
  - Everything is validated before any request, because the control plane silently drops fields it
    does not know - a misspelled field, a missing C(kuma.io/service) tag, a port out of range, a duplicate
    port, an admin port equal to an inbound or outbound port, a bad tag character or a malformed legacy
    C(interface) fails with a message that names the field, and nothing is sent.
  - Only the fields this module manages are compared. What the control plane adds (labels C(kuma.io/*),
    the C(kuma.io/zone) inbound tag, timestamps, inbound health) never shows as a change; inbound and
    outbound lists are compared as sets.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
options:
  name:
    description:
      - Name of the Dataplane, unique in its mesh (lowercase RFC 1123 subdomain).
      - C(kuma-dp run --name) and the dataplane token must use the same name.
    type: str
    required: true
  mesh:
    description: Mesh the Dataplane belongs to. The mesh must exist.
    type: str
    default: default
  state:
    description:
      - V(present) creates or updates the Dataplane; V(absent) deletes it (no change when already absent).
      - With V(absent) only O(name) and O(mesh) are used.
    type: str
    choices: [present, absent]
    default: present
  labels:
    description:
      - Labels of the entity. Omit to leave the current labels alone; give V({}) to remove them.
      - Keys starting with C(kuma.io/) belong to the control plane and are refused.
    type: dict
  address:
    description:
      - C(networking.address) - the IP address or host name other proxies reach this one at.
      - Required with O(state=present), unless a legacy inbound C(interface) provides it.
    type: str
  advertised_address:
    description: C(networking.advertisedAddress), the address seen from outside when behind NAT.
    type: str
  admin_port:
    description:
      - C(networking.admin.port) - Envoy's admin API on 127.0.0.1 (kuma-dp uses a Unix socket when unset).
      - Must differ from every inbound and outbound port.
    type: int
  inbound:
    description:
      - The services this proxy fronts (C(networking.inbound)). Each item uses either today's fields
        (O(inbound[].port) and friends) or the legacy O(inbound[].interface), never both.
      - Items are validated by the module itself (not by Ansible's argument spec) so that legacy items
        are accepted and every problem is reported with its index, for example
        V(inbound[2].tags - missing the mandatory tag kuma.io/service (or legacy 'service')) (the real message has a colon after the field).
      - Compared as a set; the order does not matter.
    type: list
    elements: dict
    suboptions:
      port:
        description: Port Envoy listens on for this service (the dataplane port), 1-65535.
        type: int
      service_port:
        description: Port the application listens on. Defaults (in Kuma) to O(inbound[].port).
        type: int
      service_address:
        description:
          - Address the application listens on. Kuma defaults it to the inbound address;
            set V(127.0.0.1) when the application listens on loopback only.
        type: str
      address:
        description: Address Envoy binds this inbound to, when it differs from O(address).
        type: str
      tags:
        description:
          - Tags of the service; C(kuma.io/service) is mandatory (the legacy tag C(service) is renamed to it).
          - Names use letters, digits and the characters C(.-_:/); values letters, digits and C(.-_:).
          - When given, C(kuma.io/protocol) is one of C(grpc), C(http), C(http2), C(kafka), C(tcp).
        type: dict
      service_probe:
        description: Health check of the application (C(interval), C(timeout), C(healthy_threshold),
          C(unhealthy_threshold), C(tcp)). Durations in Go syntax such as V(10s).
        type: dict
      name:
        description: Name of the inbound (used by MeshService port names).
        type: str
      state:
        description: State of the inbound.
        type: str
        choices: [Ready, NotReady, Ignored]
      protocol:
        description: Protocol of the inbound (C(inbound[].protocol)).
        type: str
        choices: [grpc, http, http2, kafka, tcp]
      interface:
        description:
          - Legacy (Kuma 0.x) C(IP:DATAPLANE_PORT:SERVICE_PORT), for example V(192.168.0.1:9000:6379).
          - Translated to O(address) (from the first legacy inbound when O(address) is not given),
            O(inbound[].port), O(inbound[].service_port) and O(inbound[].service_address=127.0.0.1)
            (the application on loopback, as the legacy format meant).
        type: str
  outbound:
    description:
      - Services this proxy's application calls through a local listener (C(networking.outbound)).
      - Each item gives the listener (O(outbound[].port) and O(outbound[].address), or the legacy
        O(outbound[].interface)) and exactly one target (O(outbound[].service), O(outbound[].tags)
        or O(outbound[].backend_ref)).
      - Compared as a set; the order does not matter.
    type: list
    elements: dict
    suboptions:
      port:
        description: Local port of the listener, 1-65535.
        type: int
      address:
        description: Local address of the listener; V(127.0.0.1) when not given.
        type: str
      service:
        description: Shorthand for O(outbound[].tags) with the single tag C(kuma.io/service) set to this value.
        type: str
      tags:
        description: Tags that select the target; must hold C(kuma.io/service).
        type: dict
      backend_ref:
        description:
          - Target by reference (C(kind) MeshService, MeshExternalService or MeshMultiZoneService,
            C(name) or C(labels), C(port)).
        type: dict
      interface:
        description:
          - Legacy (Kuma 0.x) C([IP]:PORT), for example V(:10000) (the IP defaults to 127.0.0.1).
            Use with O(outbound[].service).
        type: str
  transparent_proxying:
    description:
      - C(networking.transparentProxying) (C(redirect_port_inbound), C(redirect_port_outbound),
        C(direct_access_services), C(reachable_services), C(ip_family_mode), C(reachable_backends)).
      - Keys in snake_case or in Kuma's camelCase.
    type: dict
  gateway:
    description:
      - C(networking.gateway) (C(type) DELEGATED or BUILTIN, C(tags) with C(kuma.io/service)).
      - A gateway has no inbound; a builtin gateway has no outbound and no probes either.
    type: dict
  metrics:
    description: C(metrics) backend of this proxy (C(type) prometheus, C(name), C(conf)).
    type: dict
  probes:
    description: C(probes) (C(port), C(endpoints) with C(inbound_port), C(inbound_path), C(path)).
    type: dict
  listeners:
    description:
      - C(networking.listeners) - zone-proxy listeners (Kuma 3.x, which removed the C(ZoneIngress) and C(ZoneEgress)
        entities; Kuma 2.14 accepts them but routes traffic between zones through those entities only), each with
        C(type) V(ZoneIngress) or V(ZoneEgress), C(port), C(address) (default O(address)) and C(name) (unique across
        inbounds and listeners).
      - A Dataplane with a V(ZoneIngress) listener gets the C(MeshZoneAddress) of its mesh and name that other zones
        reach it at (O(zone_address), default the listener's address and port), written with it and deleted with it or
        with the listener - only one labelled C(kuma.universal/managed-by=ansible); see RV(zone_addresses).
    type: list
    elements: dict
  zone_address:
    description:
      - Where other zones reach this Dataplane's V(ZoneIngress) listener (C(address), C(port)), for example a NAT or
        load balancer in front of it; default the listener's own. Only with such a listener.
    type: dict
notes:
  - The module returns the entity as sent; compare RV(dataplane) with C(kumactl get dataplane -o yaml).
  - Fields not given are not part of the entity (the Dataplane is replaced as a whole), except O(labels),
    which are left alone when omitted.
  - Zero values (V(false), V(0), empty strings, lists and maps) count as unset when comparing, as the
    control plane omits them.
seealso:
  - module: kuma.universal.dataplane_token
  - module: kuma.universal.dataplane_info
"""

EXAMPLES = r"""
- name: Register the seed's Redis dataplane (today's fields)
  kuma.universal.dataplane:
    name: redis-1
    mesh: default
    address: 192.168.0.1
    labels:
      kuma.universal/managed-by: ansible
    inbound:
      - port: 9000
        service_port: 6379
        service_address: 127.0.0.1
        tags:
          kuma.io/service: redis
          version: "5.0"

- name: The same entity from the seed's Kuma 0.x syntax (translated, see the result's translations)
  kuma.universal.dataplane:
    name: redis-1
    inbound:
      - interface: 192.168.0.1:9000:6379
        tags:
          service: redis
          version: "5.0"

- name: Backend consuming redis through a local listener, Envoy admin on 9901
  kuma.universal.dataplane:
    name: backend-1
    address: 192.168.0.2
    admin_port: 9901
    inbound:
      - port: 8000
        service_port: 80
        service_address: 127.0.0.1
        tags:
          kuma.io/service: backend
    outbound:
      - port: 10000
        service: redis

- name: Deregister
  kuma.universal.dataplane:
    name: backend-1
    state: absent
"""

RETURN = r"""
dataplane:
  description: The entity as sent to the control plane (Kuma 2.x JSON); empty with O(state=absent).
  returned: always
  type: dict
  sample:
    type: Dataplane
    mesh: default
    name: redis-1
    networking:
      address: 192.168.0.1
      inbound:
        - port: 9000
          servicePort: 6379
          serviceAddress: 127.0.0.1
          tags:
            kuma.io/service: redis
            version: "5.0"
translations:
  description: One line per legacy construct translated to today's syntax; empty when none.
  returned: always
  type: list
  elements: str
  sample:
    - "inbound[0]: interface '192.168.0.1:9000:6379' -> port 9000, service_port 6379, service_address 127.0.0.1 (the app on loopback)"
    - "address: 192.168.0.1, taken from the first legacy inbound interface"
    - "inbound[0].tags: tag 'service: redis' -> 'kuma.io/service: redis' (renamed in Kuma 0.7)"
created:
  description: Whether the entity did not exist before this run.
  returned: always
  type: bool
kuma_version:
  description:
    - The control plane's version (from C(GET /)). A Kuma 3.x control plane gets the 3.x entity (see RV(translations)).
  returned: when O(state=present)
  type: str
  sample: 2.14.3
meshservices:
  description: Kuma 3 - the C(MeshService)s written for the Dataplane's service (created or updated), as V(mesh/name).
  returned: when O(state=present)
  type: list
  elements: str
zone_addresses:
  description: The C(MeshZoneAddress)es written or deleted for a V(ZoneIngress) listener, as V(mesh/name).
  returned: always
  type: list
  elements: str
  sample: [default/zone-ingress-vm-1]
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._dataplane_run import ensure_dataplane


def main():
    argument_spec = {
        "name": {"type": "str", "required": True},
        "mesh": {"type": "str", "default": "default"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "labels": {"type": "dict"},
        "address": {"type": "str"},
        "advertised_address": {"type": "str"},
        "admin_port": {"type": "int"},
        # Items are validated in module_utils: the argument spec would reject legacy items
        # and report less precisely.
        "inbound": {"type": "list", "elements": "dict"},
        "outbound": {"type": "list", "elements": "dict"},
        "transparent_proxying": {"type": "dict"},
        "gateway": {"type": "dict"},
        "metrics": {"type": "dict"},
        "probes": {"type": "dict"},
        "listeners": {"type": "list", "elements": "dict"},
        "zone_address": {"type": "dict"},
    }
    KumaModule(argument_spec).run(ensure_dataplane)


if __name__ == "__main__":
    main()
