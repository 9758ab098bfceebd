#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rollout_plan
short_description: Check the data-plane roll-out settings and hand them to a later play
version_added: 0.1.0
description:
  - Ansible templates play keywords (C(serial), C(max_fail_percentage)) without a host, so inventory
    variables never reach them. C(kuma.universal.deploy_mesh) runs this action in its first play to
    read C(kuma_rollout_serial) and C(kuma_rollout_max_fail_percentage) of every data-plane host and
    write them to a vars file on the controller, which its C(Data planes) play loads (C(vars_files));
    extra vars still win over it.
  - Refuses, naming both settings, a value that differs between hosts, a C(kuma_rollout_serial) that is
    not a positive number, a percentage from 1% to 100% or a non-empty list of those, and a
    C(kuma_rollout_max_fail_percentage) outside 0 to 100.
  - An action plugin that runs on the controller only (no connection to the host); it writes the file
    in check mode too (it changes nothing on any host).
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.attributes.CONTROLLER_ACTION
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Changes nothing on any host. Writes the controller-side plan in check mode too, so that a check run
        batches the hosts the same way.
options:
  serial:
    description: C(kuma_rollout_serial) of each data-plane host (host name to value).
    type: dict
    required: true
  max_fail_percentage:
    description: C(kuma_rollout_max_fail_percentage) of each data-plane host (host name to value).
    type: dict
    required: true
  path:
    description: Absolute path of the plan file on the controller (created 0600; its directory 0700).
    type: path
    required: true
notes:
  - Internal to C(kuma.universal.deploy_mesh); see its first play.
"""

EXAMPLES = r"""
- name: Check and write the roll-out plan
  kuma.universal.rollout_plan:
    serial: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
                | map(attribute='kuma_rollout_serial', default='100%'))) }}"
    max_fail_percentage: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
                             | map(attribute='kuma_rollout_max_fail_percentage', default=0))) }}"
    path: /root/.ansible/kuma-universal/rollout-plan.yml
  run_once: true
"""

RETURN = r"""
kuma_rollout_serial:
  description: The batch size (or list of sizes) the data-plane play uses.
  returned: success
  type: raw
kuma_rollout_max_fail_percentage:
  description: The data-plane play's max_fail_percentage.
  returned: success
  type: raw
path:
  description: The plan file written.
  returned: success
  type: str
"""
