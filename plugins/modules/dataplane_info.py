#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplane_info
short_description: List Kuma Dataplanes with their online status and proxy versions
version_added: 0.1.0
description:
  - Reads Dataplanes and their insights (C(GET /meshes/{mesh}/dataplanes/_overview), or every mesh)
    and reports, for each, whether its proxy is connected and which kuma-dp and Envoy it runs.
  - A proxy is online while one of its xDS subscriptions has a connect time and no disconnect time
    (Kuma has no status field). Use with C(until) to wait for proxies.
  - With O(kind=ZoneIngress) or V(ZoneEgress), the zone proxies of a multizone deployment instead
    (C(GET /zoneingresses/_overview), C(GET /zoneegresses/_overview)); they belong to no mesh.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes.INFO_MODULE
options:
  kind:
    description: What to list - Dataplanes (sidecars and gateways), or zone ingresses or zone egresses.
    type: str
    choices: [Dataplane, ZoneIngress, ZoneEgress]
    default: Dataplane
  mesh:
    description: Only this mesh; every mesh when omitted. Not with O(kind=ZoneIngress) or V(ZoneEgress).
    type: str
  name:
    description: Only the Dataplane of this exact name.
    type: str
  tags:
    description: Only Dataplanes with an inbound carrying all these tags (for example C(kuma.io/service)).
    type: dict
  labels:
    description: Only Dataplanes with all these labels (for example C(kuma.universal/host)).
    type: dict
  leader_metric_url:
    description:
      - Also read kuma-cp's C(leader) gauge from this URL (its diagnostics port, C(/metrics)) and return it
        as RV(leader), in the same module run. Sent without O(api_token). An unreadable URL is not an error.
    type: str
  mesh_security:
    description:
      - Also return RV(meshes), every mesh with whether its traffic is mutual TLS, in the same module run (Kuma 2 from
        C(Mesh.mtls), Kuma 3 from the mesh's MeshIdentities). The summary of C(kuma.universal.deploy_mesh) names a
        mesh without mTLS as plaintext.
    type: bool
    default: false
seealso:
  - module: kuma.universal.dataplane
"""

EXAMPLES = r"""
- name: Wait until the proxy of redis-1 is online
  kuma.universal.dataplane_info:
    mesh: default
    name: redis-1
  register: info
  until: info.dataplanes | length == 1 and info.dataplanes[0].online
  retries: 30
  delay: 2

- name: Every Dataplane this collection registered from one host
  kuma.universal.dataplane_info:
    labels:
      kuma.universal/managed-by: ansible
      kuma.universal/host: "{{ inventory_hostname }}"
  register: registered
"""

RETURN = r"""
dataplanes:
  description: The matching Dataplanes, sorted by mesh and name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the Dataplane.
      type: str
      sample: redis-1
    display_name:
      description:
        - The name it was registered with - on a global control plane, which stores a zone's Dataplane under a name with
          a hash suffix, its label C(kuma.io/display-name); elsewhere RV(dataplanes[].name).
      type: str
      sample: redis-1
    mesh:
      description: Its mesh (null for a zone proxy).
      type: str
      sample: default
    zone:
      description: Its zone (set by a zone control plane; the label C(kuma.io/zone) of a Dataplane); null on a standalone one.
      type: str
    labels:
      description: All its labels, those the control plane adds (C(kuma.io/*)) included.
      type: dict
    online:
      description: Whether its proxy is connected to the control plane now.
      type: bool
    address:
      description: Its C(networking.address).
      type: str
    services:
      description: The C(kuma.io/service) of each inbound (or of the gateway).
      type: list
      elements: str
      sample: [redis]
    kuma_dp_version:
      description: kuma-dp version of the last (or current) connection; null when it never connected.
      type: str
      sample: 2.14.3
    envoy_version:
      description: Envoy version of the last (or current) connection; null when it never connected.
      type: str
      sample: 1.38.2
    kuma_dp_compatible:
      description: Whether that Envoy is the one this kuma-dp expects; null when it never connected.
      type: bool
    connect_time:
      description: When the current connection started; null when offline.
      type: str
    offline_since:
      description:
        - A Dataplane that is offline - when its last connection ended, or, never connected, when the entity last
          changed; null when online (and for zone proxies).
      type: str
    dataplane:
      description: The raw entity (Kuma JSON).
      type: dict
leader:
  description:
    - With O(leader_metric_url), whether that control plane holds the leadership (its C(leader) gauge is 1);
      null when the URL did not answer or has no such gauge.
  returned: when O(leader_metric_url) is set
  type: bool
  sample: true
meshes:
  description: With O(mesh_security), every mesh and its mutual TLS.
  returned: when O(mesh_security) is true
  type: list
  elements: dict
  contains:
    name:
      description: The mesh.
      type: str
    mtls:
      description:
        - V(strict) or V(permissive) (Kuma 2, the enabled backend's mode), V(on) (Kuma 3, a MeshIdentity), or V(off)
          (plaintext between the mesh's proxies).
      type: str
      sample: strict
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._info import dataplane_info


def main():
    argument_spec = {
        "kind": {"type": "str", "choices": ["Dataplane", "ZoneIngress", "ZoneEgress"], "default": "Dataplane"},
        "mesh": {"type": "str"},
        "name": {"type": "str"},
        "tags": {"type": "dict"},
        "labels": {"type": "dict"},
        "leader_metric_url": {"type": "str"},
        "mesh_security": {"type": "bool", "default": False},
    }
    KumaModule(argument_spec).run(dataplane_info)


if __name__ == "__main__":
    main()
