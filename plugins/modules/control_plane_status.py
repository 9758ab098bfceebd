#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: control_plane_status
short_description: Read whether a kuma-cp is ready, whether it holds the leader lock, and which zones are connected
version_added: 0.1.0
description:
  - A host module - it runs on the control-plane host (C(delegate_to)) and reads kuma-cp's diagnostics port
    there, through the collection's API client (without a token and without retries). Read-only.
  - kuma-cp's C(leader) gauge (C(/metrics) on the diagnostics port, C(leader{zone="..."} 1)) is 1 on the control
    plane that holds the store's lock, 0 on the others; always 1 on the memory store.
  - Also whether C(/ready) answers 200 (RV(ready)); the control_plane role waits for it with C(until).
  - An unreadable page or a page without the gauge is not an error - RV(ready) is false, RV(leader) null and
    RV(state) C(unreachable).
  - On a global control plane, also whether each zone of O(zones) is connected to it (RV(zones)), read from its API
    (C(GET /zones/<name>/_overview), the same client and error mapping as the API modules, no token, no retries);
    the control_plane role waits for its zone with C(until). A zone the global does not know yet (404) is not
    connected; any other failed call (unreachable, an error status) fails the module naming the method, path and
    status.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.attributes.HOST_INFO_MODULE
options:
  diagnostics_url:
    description: kuma-cp's diagnostics port; its C(/ready) and C(/metrics) pages are read.
    type: str
    default: http://127.0.0.1:5680
  api_url:
    description: kuma-cp's API on loopback (where it treats callers as admin), read only for O(zones).
    type: str
    default: http://127.0.0.1:5681
  zones:
    description: Zones whose connection to this (global) control plane is read; none by default.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds each read may take.
    type: int
    default: 5
seealso:
  - module: kuma.universal.dataplane_info
"""

EXAMPLES = r"""
- name: Read the leader gauge of every control plane
  kuma.universal.control_plane_status:
    diagnostics_url: http://127.0.0.1:5680
  delegate_to: "{{ item }}"
  loop: "{{ groups['kuma_control_plane'] }}"
  register: leaders

- name: Wait until zone-1 is connected to the global control plane
  kuma.universal.control_plane_status:
    api_url: http://127.0.0.1:5681
    zones: [zone-1]
  delegate_to: "{{ groups['kuma_global_control_plane'][0] }}"
  register: global_status
  until: global_status.zones['zone-1'].online
  retries: 40
  delay: 3
"""

RETURN = r"""
ready:
  description: Whether C(/ready) answered 200.
  returned: success
  type: bool
  sample: true
leader:
  description: True on the leader, false on a follower, null when unreadable.
  returned: success
  type: bool
  sample: true
state:
  description: C(leader), C(follower) or C(unreachable).
  returned: success
  type: str
  sample: follower
zones:
  description:
    - For each of O(zones), whether it is connected now (C(online) - a KDS subscription with a connect time and no
      disconnect time, as Kuma reports it) and since when (C(connect_time), null when not connected).
  returned: success
  type: dict
  sample: {zone-1: {online: true, connect_time: "2026-12-04T01:02:03.456789Z"}}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kuma.universal.plugins.module_utils._api import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, KumaApiError, KumaClient, KumaInputError, read_leader, read_ready,
)
from ansible_collections.kuma.universal.plugins.module_utils._errors import quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._info import subscription_state

STATES = {True: "leader", False: "follower", None: "unreachable"}


def read_zones(api_url, names, timeout, session=None):
    """name -> {online, connect_time} as the global control plane at api_url sees each zone (404: not connected).
    KumaApiError / KumaInputError (naming api_url) for any other failure."""
    if not names:
        return {}
    client = KumaClient(api_url, timeout=timeout, retries=0, session=session)
    zones = {}
    for name in names:
        status, data = client.request("GET", "/zones/%s/_overview" % quote_segment(name), ok_missing=True)
        online, subscription = subscription_state((data or {}).get("zoneInsight") if status != 404 else None)
        zones[name] = {"online": online, "connect_time": subscription.get("connectTime") if online else None}
    return zones


def main():
    module = AnsibleModule(
        argument_spec={
            "diagnostics_url": {"type": "str", "default": "http://127.0.0.1:5680"},
            "api_url": {"type": "str", "default": "http://127.0.0.1:5681"},
            "zones": {"type": "list", "elements": "str", "default": []},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    p = module.params
    if p["zones"] and not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    base = p["diagnostics_url"].rstrip("/")
    ready = read_ready(base + "/ready", p["timeout"]) if HAS_REQUESTS else False
    leader = read_leader(base + "/metrics", p["timeout"]) if HAS_REQUESTS else None
    try:
        zones = read_zones(p["api_url"], p["zones"], p["timeout"])
    except (KumaApiError, KumaInputError) as exc:
        module.fail_json(ready=ready, leader=leader, state=STATES[leader], **exc.to_result())
    module.exit_json(changed=False, ready=ready, leader=leader, state=STATES[leader], zones=zones)


if __name__ == "__main__":
    main()
