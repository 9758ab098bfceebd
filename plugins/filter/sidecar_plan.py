# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller planning, the sidecar role's plumbing: its planner and the items of its modules,
as filters. The planning itself is module_utils/_sidecar_planner.py (kuma_sidecars of one host ->
one proxy per replica, ports, zone proxies), the items module_utils/_sidecar_items.py; this file
only exposes them to Jinja.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.module_utils._legacy import LOOPBACK
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_items import (
    sidecar_dataplanes, sidecar_metrics_policies, sidecar_proxies, sidecar_tokens,
)
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_planner import Planner


def sidecar_plan(sidecars, host, host_short=None, mesh="default", address=None, service_address=LOOPBACK,
                 port_stride=1, readiness_port_base=9902, metrics_port_base=None, redirect_port_inbound=15006,
                 redirect_port_outbound=15001, zone_proxies=None, zone=None, zone_proxy_form="auto", kuma_version=None):
    """The filter: see plugins/filter/sidecar_plan.yml."""
    if not host:
        raise AnsibleFilterError("kuma.universal.sidecar_plan: host (the inventory_hostname) is required")
    planner = Planner(host, host_short, mesh, address, service_address, port_stride, readiness_port_base,
                      metrics_port_base, redirect_port_inbound, redirect_port_outbound)
    return planner.plan(sidecars, zone_proxies, zone, zone_proxy_form, kuma_version)


class FilterModule:
    def filters(self):
        return {"sidecar_plan": sidecar_plan, "sidecar_dataplanes": sidecar_dataplanes,
                "sidecar_proxies": sidecar_proxies, "sidecar_tokens": sidecar_tokens,
                "sidecar_metrics_policies": sidecar_metrics_policies}
