#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: control_plane_status
short_description: Read whether a kuma-cp is ready and whether it holds the leader lock
version_added: 0.1.0
description:
  - A host module - it runs on the control-plane host (C(delegate_to)) and reads kuma-cp's diagnostics port
    there, through the collection's API client (without a token and without retries). Read-only.
  - kuma-cp's C(leader) gauge (C(/metrics) on the diagnostics port, C(leader{zone="..."} 1)) is 1 on the control
    plane that holds the store's lock, 0 on the others; always 1 on the memory store.
  - Also whether C(/ready) answers 200 (RV(ready)); the control_plane role waits for it with C(until).
  - An unreadable page or a page without the gauge is not an error - RV(ready) is false, RV(leader) null and
    RV(state) C(unreachable).
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.attributes.HOST_INFO_MODULE
options:
  diagnostics_url:
    description: kuma-cp's diagnostics port; its C(/ready) and C(/metrics) pages are read.
    type: str
    default: http://127.0.0.1:5680
  timeout:
    description: Seconds the read may take.
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
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kuma.universal.plugins.module_utils._api import HAS_REQUESTS, read_leader, read_ready

STATES = {True: "leader", False: "follower", None: "unreachable"}


def main():
    module = AnsibleModule(
        argument_spec={
            "diagnostics_url": {"type": "str", "default": "http://127.0.0.1:5680"},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    base = module.params["diagnostics_url"].rstrip("/")
    ready = read_ready(base + "/ready", module.params["timeout"]) if HAS_REQUESTS else False
    leader = read_leader(base + "/metrics", module.params["timeout"]) if HAS_REQUESTS else None
    module.exit_json(changed=False, ready=ready, leader=leader, state=STATES[leader])


if __name__ == "__main__":
    main()
