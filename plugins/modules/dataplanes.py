#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplanes
short_description: Converge a set of Kuma Dataplane entities in one run
version_added: 0.1.0
description:
  - Creates, updates or deletes many Dataplanes of a Kuma control plane in Universal mode in one module run,
    for example every replica of a host. Registering each Dataplane as its own task (or loop item) costs one
    module execution each; this module costs one for the whole set.
  - Each item of O(dataplanes) takes the options of M(kuma.universal.dataplane) (without the connection
    options) and goes through the same validation, legacy-syntax translation, normalisation and
    managed-field comparison.
  - All items are validated before any request; one bad item fails the task with a message naming
    it (for example V(dataplanes[3].inbound[0].port)) and nothing is sent. The same mesh/name twice is refused.
  - The current entities are read with one listing per mesh (C(GET /meshes/{mesh}/dataplanes), paged), then
    only the new or changed Dataplanes are written (C(PUT)) and only the stale ones deleted (C(DELETE)).
  - With O(exclusive=true), every Dataplane carrying all the O(selector) labels, in the meshes of the items
    (or in O(meshes)), that is not in O(dataplanes) is deleted. Dataplanes without those labels are never touched.
  - O(selectors) gives several such selectors, each with its own meshes, for example one per host when the
    Dataplanes of several hosts are converged in one run; a Dataplane is then deleted when it carries the labels
    of one of them, in that selector's meshes, and is not in O(dataplanes).
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes
options:
  dataplanes:
    description:
      - The Dataplanes to converge. Each item takes the options of M(kuma.universal.dataplane) except the
        connection options; see that module for the details of each.
      - Items are validated by the module itself, so that legacy items are accepted and every problem is
        reported with its place, for example V(dataplanes[3].inbound[0].port).
      - An empty list is allowed (with O(exclusive=true) it deletes every selected Dataplane of O(meshes)).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the Dataplane, unique in its mesh (lowercase RFC 1123 subdomain).
        type: str
        required: true
      mesh:
        description: Mesh the Dataplane belongs to. The mesh must exist.
        type: str
        default: default
      state:
        description:
          - V(present) creates or updates the Dataplane; V(absent) deletes it. With V(absent) only
            O(dataplanes[].name) and O(dataplanes[].mesh) are used.
        type: str
        choices: [present, absent]
        default: present
      labels:
        description:
          - Labels of the entity. Omit to leave the current labels alone; give V({}) to remove them.
          - Keys starting with C(kuma.io/) are refused. With O(exclusive=true) they must include O(selector).
        type: dict
      address:
        description: C(networking.address); required unless a legacy inbound C(interface) provides it.
        type: str
      advertised_address:
        description: C(networking.advertisedAddress).
        type: str
      admin_port:
        description: C(networking.admin.port); must differ from every inbound and outbound port.
        type: int
      inbound:
        description:
          - C(networking.inbound), as the O(kuma.universal.dataplane#module:inbound) option (today's fields or
            the legacy C(interface) V(IP:DP_PORT:SERVICE_PORT) with the tag C(service)).
        type: list
        elements: dict
      outbound:
        description:
          - C(networking.outbound), as the O(kuma.universal.dataplane#module:outbound) option (today's fields or
            the legacy C(interface) V([IP]:PORT) with C(service)).
        type: list
        elements: dict
      transparent_proxying:
        description: C(networking.transparentProxying), as in M(kuma.universal.dataplane).
        type: dict
      gateway:
        description: C(networking.gateway), as in M(kuma.universal.dataplane).
        type: dict
      metrics:
        description: C(metrics), as in M(kuma.universal.dataplane).
        type: dict
      probes:
        description: C(probes), as in M(kuma.universal.dataplane).
        type: dict
      listeners:
        description:
          - Zone-proxy listeners (C(type) V(ZoneIngress) or V(ZoneEgress), C(port), C(address), C(name)), as in
            M(kuma.universal.dataplane); a V(ZoneIngress) one comes with its C(MeshZoneAddress) (RV(zone_addresses)).
        type: list
        elements: dict
      zone_address:
        description: Where other zones reach the V(ZoneIngress) listener (C(address), C(port)), as in M(kuma.universal.dataplane).
        type: dict
  exclusive:
    description:
      - Delete every Dataplane that carries all the O(selector) labels and is not in O(dataplanes),
        in the meshes of the items or in O(meshes) when given.
      - Every item with O(dataplanes[].state=present) must then carry the O(selector) labels itself.
    type: bool
    default: false
  selector:
    description:
      - Labels (name to value) marking the Dataplanes this task owns, for example the labels the sidecar role
        sets, C(kuma.universal/managed-by=ansible) and C(kuma.universal/host=<inventory_hostname>).
      - Required with O(exclusive=true) unless O(selectors) is given; not used otherwise.
      - Mutually exclusive with O(selectors).
    type: dict
  meshes:
    description:
      - The meshes in which O(exclusive=true) deletes stale Dataplanes. Defaults to the meshes of the items.
      - Needed when O(dataplanes) is empty and stale Dataplanes should still be removed.
      - Mutually exclusive with O(selectors) (each selector has its own O(selectors[].meshes)).
    type: list
    elements: str
  selectors:
    description:
      - Several selectors, each owning the Dataplanes that carry all its O(selectors[].labels) in its
        O(selectors[].meshes), for example one per host (C(kuma.universal/host=<host>)) when the Dataplanes of
        several hosts are converged in one run. With O(exclusive=true) each selector's stale Dataplanes are
        deleted, and every item with O(dataplanes[].state=present) must carry every label of one selector.
      - An empty list with O(exclusive=true) deletes nothing. Not used with O(exclusive=false).
      - Mutually exclusive with O(selector) and O(meshes).
    type: list
    elements: dict
    suboptions:
      labels:
        description:
          - The labels (name to value) marking the Dataplanes this selector owns. A label given as V(null) selects the
            Dataplanes without that label (for example C(kuma.universal/zone-proxy), to leave a host's zone proxies alone).
        type: dict
        required: true
      meshes:
        description:
          - The meshes in which this selector's stale Dataplanes are deleted. Defaults to the meshes of the
            items that carry its labels; give it when such an item may have left a mesh, or for a selector
            without items.
        type: list
        elements: str
  token_keys:
    description:
      - The dataplane-token signing keys (mesh and key id, the C(kid) of a token's header) whose tokens are in hand -
        each is read too, with its mesh's revoked token ids, and returned by its public part (RV(token_reads)) for
        M(kuma.universal.dataplane_tokens) to check those tokens on the controller (its O(kuma.universal.dataplane_tokens#module:token_reads)),
        so that tokens still good cost no module run of their own.
      - Reads only, in check mode too. A private key never leaves the control plane's host.
    type: list
    elements: dict
    suboptions:
      mesh:
        description: The mesh of the key.
        type: str
        required: true
      kid:
        description: The key's id (V(1) for the first key of a mesh).
        type: str
        required: true
  overview:
    description:
      - Also read, after the changes, what M(kuma.universal.dataplane_info) returns without a filter - every Dataplane
        of the control plane with its state, and with these options the leader gauge and each mesh's mTLS - as
        RV(overview). C(kuma.universal.deploy_mesh) shows it in its summary when nothing changes after the registration,
        instead of a module run of its own on the control plane.
      - Reads only, in check mode too.
    type: dict
    suboptions:
      leader_metric_url:
        description: kuma-cp's diagnostics C(/metrics), whose C(leader) gauge RV(overview) reports.
        type: str
      mesh_security:
        description: Also report each mesh's mTLS (as M(kuma.universal.dataplane_info)'s option of that name).
        type: bool
        default: false
notes:
  - Check mode computes every change (and the diff) and sends no write.
  - The diff holds, per V(mesh/name), only the managed fields that change (all of them for a created or deleted entity).
  - Writes are made one entity at a time; when one fails the task fails and the entities written before stay written
    (run the task again to converge the rest).
seealso:
  - module: kuma.universal.dataplane
  - module: kuma.universal.dataplane_info
"""

EXAMPLES = r"""
- name: Register the seed's Redis replicas of this host (legacy syntax) and prune its stale ones
  kuma.universal.dataplanes:
    exclusive: true
    selector:
      kuma.universal/managed-by: ansible
      kuma.universal/host: "{{ inventory_hostname }}"
    dataplanes: "{{ redis_dataplanes }}"
  vars:
    redis_dataplanes: >-
      [{% for i in range(1, 7) %}
      {"name": "redis-{{ i }}",
       "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "{{ inventory_hostname }}"},
       "inbound": [{"interface": "127.0.0.1:{{ 9000 + i }}:{{ 6379 + i }}",
                    "tags": {"service": "redis", "version": "5.0"}}]}{{ "," if not loop.last else "" }}
      {% endfor %}]

- name: Two Dataplanes in today's syntax
  kuma.universal.dataplanes:
    dataplanes:
      - name: backend-1
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
      - name: old-backend
        state: absent

- name: The Dataplanes of every host of the batch in one run, each host pruning only its own
  kuma.universal.dataplanes:
    exclusive: true
    dataplanes: "{{ batch_dataplanes }}"
    selectors:
      - labels: {kuma.universal/managed-by: ansible, kuma.universal/host: vm-1}
        meshes: [default]
      - labels: {kuma.universal/managed-by: ansible, kuma.universal/host: vm-2}
        meshes: [default, payments]
  run_once: true
"""

RETURN = r"""
dataplanes:
  description: The entities as desired (Kuma 2.x JSON), one per item with O(dataplanes[].state=present), in the order given.
  returned: always
  type: list
  elements: dict
  sample:
    - type: Dataplane
      mesh: default
      name: redis-1
      networking:
        address: 127.0.0.1
        inbound:
          - port: 9001
            servicePort: 6380
            serviceAddress: 127.0.0.1
            tags:
              kuma.io/service: redis
              version: "5.0"
created:
  description: The Dataplanes created (or, in check mode, that would be), as V(mesh/name).
  returned: always
  type: list
  elements: str
  sample: [default/redis-1]
updated:
  description: The existing Dataplanes whose managed fields changed, as V(mesh/name).
  returned: always
  type: list
  elements: str
  sample: [default/redis-2]
deleted:
  description: The Dataplanes deleted (items with O(dataplanes[].state=absent) and, with O(exclusive=true), stale ones), as V(mesh/name).
  returned: always
  type: list
  elements: str
  sample: [default/redis-7]
unchanged:
  description: The items already as desired (including absent ones already absent), as V(mesh/name).
  returned: always
  type: list
  elements: str
  sample: [default/redis-3]
meshservices:
  description: Kuma 3 - the C(MeshService)s written for the services of the items (created or updated), as V(mesh/name).
  returned: always
  type: list
  elements: str
  sample: [default/redis]
zone_addresses:
  description:
    - The C(MeshZoneAddress)es written for items with a V(ZoneIngress) listener, or deleted with such a Dataplane or
      listener, as V(mesh/name).
  returned: always
  type: list
  elements: str
  sample: [default/zone-ingress-vm-1]
token_reads:
  description:
    - For O(token_keys), what M(kuma.universal.dataplane_tokens) reads to decide whether a token signed by one of them is
      still good - each signing key by its public part only (an RSA PUBLIC KEY), null when absent; the revoked token
      ids of its mesh; the control plane's version. Give it to that module's O(kuma.universal.dataplane_tokens#module:token_reads).
  returned: when O(token_keys) is given
  type: dict
  sample:
    version: 2.14.3
    reads:
      "/meshes/default/secrets/dataplane-token-signing-key-default-1":
        data: "LS0tLS1CRUdJTiBSU0EgUFVCTElDIEtFWS0tLS0t..."
      "/global-secrets/dataplane-token-revocations-default": null
overview:
  description:
    - With O(overview), read after the changes - C(dataplanes), C(leader) (with O(overview.leader_metric_url)) and
      C(meshes) (with O(overview.mesh_security)), each as M(kuma.universal.dataplane_info) returns it without a filter;
      and C(args), the API URL and the options it was read with (C(api_url), C(leader_metric_url),
      C(mesh_security)), to tell whether it answers another request.
  returned: when O(overview) is given
  type: dict
translations:
  description: Per V(mesh/name), the legacy constructs translated to today's syntax; only items that had any.
  returned: always
  type: dict
  sample:
    default/redis-1:
      - "inbound[0]: interface '127.0.0.1:9001:6380' -> port 9001, service_port 6380, service_address 127.0.0.1 (the app on loopback)"
      - "address: 127.0.0.1, taken from the first legacy inbound interface"
      - "inbound[0].tags: tag 'service: redis' -> 'kuma.io/service: redis' (renamed in Kuma 0.7)"
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._dataplane_run import ensure_dataplanes


def main():
    argument_spec = {
        # Items are validated in module_utils (as kuma.universal.dataplane's inbound items): the
        # argument spec would reject legacy items and not name the item in its messages.
        "dataplanes": {"type": "list", "elements": "dict", "required": True},
        "exclusive": {"type": "bool", "default": False},
        "selector": {"type": "dict"},
        "meshes": {"type": "list", "elements": "str"},
        "selectors": {"type": "list", "elements": "dict", "options": {
            "labels": {"type": "dict", "required": True},
            "meshes": {"type": "list", "elements": "str"},
        }},
        "token_keys": {"type": "list", "elements": "dict", "no_log": False, "options": {
            "mesh": {"type": "str", "required": True},
            "kid": {"type": "str", "required": True},
        }},
        "overview": {"type": "dict", "options": {
            "leader_metric_url": {"type": "str"},
            "mesh_security": {"type": "bool", "default": False},
        }},
    }
    KumaModule(argument_spec, required_if=[("exclusive", True, ["selector", "selectors"], True)],
               mutually_exclusive=[("selector", "selectors"), ("meshes", "selectors")]).run(ensure_dataplanes)


if __name__ == "__main__":
    main()
