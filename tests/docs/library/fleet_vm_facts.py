# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test fixture, not part of the collection: the facts deploy_mesh's fact gathering would read on
one of the fleet's VMs (Debian, x86_64, systemd), for its preflight run on the controller by
make test-docs (tests/docs/on-the-controller.yml names it in ansible_facts_modules), where every
inventory host is the controller and the real setup module would report the controller instead.
default_ipv4: an address in 10.0.0.0/8 picked at random per host (each host of the example has its own, as
on a real fleet, for the control plane firewall's preflight, which needs every host's address)."""

from __future__ import annotations

import random

from ansible.module_utils.basic import AnsibleModule

FACTS = {"system": "Linux", "os_family": "Debian", "distribution": "Debian", "distribution_major_version": "12",
         "architecture": "x86_64", "service_mgr": "systemd"}


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    address = "10.%d.%d.%d" % (random.randint(0, 255), random.randint(0, 255), random.randint(1, 254))
    module.exit_json(changed=False, ansible_facts=dict(FACTS, default_ipv4={"address": address}))


if __name__ == "__main__":
    main()
