#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kuma3_readiness
short_description: List what stands between a Kuma 2 control plane and Kuma 3, with what to do
version_added: 0.1.0
description:
  - Reads a Kuma 2 control plane (its version and configuration, meshes, Dataplanes, zone proxies and
    policies) and lists every blocker for an upgrade to Kuma 3.0, each with what to do, before any change.
    It writes nothing.
  - "The rules follow Kuma's UPGRADE.md, Upgrade to 3.0.0: the CP on 2.14 at 2.14.6 or later (V(cp_version),
    V(skipped_patch)); no standalone mode (V(standalone)); mesh and zone names
    RFC 1035 labels (V(mesh_name), V(zone_name)); no C(Mesh.mtls) (V(mesh_mtls)); no inbound tags besides
    C(kuma.io/service), C(kuma.io/zone) and C(kuma.io/protocol) (V(inbound_tags)); no protocol from the
    C(kuma.io/protocol) tag alone (V(protocol_tag)); no outbound by tags (V(outbound_tags)); no
    C(advertisedAddress) (V(advertised_address)) or C(probes) (V(probes)); no gateway Dataplane (V(gateway));
    no ZoneIngress or ZoneEgress (V(zone_proxy)); no legacy policy (V(legacy_policy): TrafficPermission,
    TrafficRoute, TrafficLog, TrafficTrace, HealthCheck, CircuitBreaker, Retry, Timeout, RateLimit,
    FaultInjection, VirtualOutbound, ProxyTemplate, ExternalService, MeshGateway, MeshGatewayRoute)."
  - Delta xDS, which Kuma 3 requires of every proxy, is not checked here - on Universal it is each kuma-dp's choice
    and the control plane does not record it; the install role's version check refuses a 3.x C(kuma_version)
    for a host whose proxies are not on it (C(kuma_xds_delta)).
  - The old Dataplane shapes of the Dataplanes this collection manages are listed in RV(handled), not as
    blockers - C(deploy_mesh) re-registers them in the 3.x shape host by host right after the control plane
    upgrade. C(Mesh.mtls) stays a blocker - Kuma's order moves it to MeshIdentity before the upgrade.
  - C(deploy_mesh) runs this check (O(fail_on_blockers)) on the first control plane before it installs a 3.x
    release over a 2.x one, with C(kuma_upgrade_acknowledge) as O(acknowledge).
  - Against a Kuma 3 control plane the result is empty and RV(ready) true.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.connection
  - kuma.universal.attributes.INFO_MODULE
options:
  acknowledge:
    description:
      - Checks (the V(check) of a finding) you have decided to accept for this run, for example V(skipped_patch)
        where the newest 2.14 patch cannot be had. They are listed in RV(acknowledged), not in RV(blockers).
    type: list
    elements: str
    default: []
  fail_on_blockers:
    description: Fail the task when RV(blockers) is not empty (the message lists them), as the upgrade does.
    type: bool
    default: false
seealso:
  - module: kuma.universal.dataplane
  - module: kuma.universal.mesh
"""

EXAMPLES = r"""
- name: What stands between this mesh and Kuma 3
  kuma.universal.kuma3_readiness:
    api_url: http://127.0.0.1:5681
  register: readiness

- name: Refuse the upgrade while anything stands in the way
  kuma.universal.kuma3_readiness:
    fail_on_blockers: true
    acknowledge: [skipped_patch]
"""

RETURN = r"""
kuma_version:
  description: The control plane's version.
  type: str
  returned: always
  sample: 2.14.3
ready:
  description: Whether nothing blocks the upgrade (acknowledged findings aside).
  type: bool
  returned: always
blockers:
  description: Each finding - V(check) (its id), V(subject), V(problem) and V(action) (what to do).
  type: list
  elements: dict
  returned: always
  sample:
    - check: mesh_mtls
      subject: mesh default
      problem: "mTLS from Mesh.mtls (backend ca-1); 3.0 drops Mesh.mtls: no mTLS at all after the upgrade"
      action: create the MeshIdentity while on 2.14 ...
acknowledged:
  description: The findings whose check is in O(acknowledge).
  type: list
  elements: dict
  returned: always
handled:
  description:
    - The findings this collection resolves itself on Kuma 3 - V(inbound_tags), V(protocol_tag) and V(outbound_tags)
      of the Dataplanes it manages (label C(kuma.universal/managed-by=ansible)), which C(deploy_mesh) re-registers in
      the 3.x shape host by host right after the control plane upgrade. Not blockers.
  type: list
  elements: dict
  returned: always
"""

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError, KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._readiness import readiness


def _run(kmod):
    version, findings = readiness(kmod.client)
    accepted = set(kmod.params["acknowledge"])
    handled, open_findings = [], []
    for finding in findings:
        (handled if finding.pop("handled", False) else open_findings).append(finding)
    findings = open_findings
    blockers = [f for f in findings if f["check"] not in accepted]
    result = {"changed": False, "kuma_version": version, "ready": not blockers, "blockers": blockers,
              "acknowledged": [f for f in findings if f["check"] in accepted], "handled": handled}
    if blockers and kmod.params["fail_on_blockers"]:
        raise KumaInputError(["%s: %s (%s): %s" % (f["subject"], f["problem"], f["check"], f["action"])
                              for f in blockers])
    return result


def main():
    KumaModule({"acknowledge": {"type": "list", "elements": "str", "default": []},
                "fail_on_blockers": {"type": "bool", "default": False}}).run(_run)


if __name__ == "__main__":
    main()
