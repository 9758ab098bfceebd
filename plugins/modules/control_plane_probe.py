#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: control_plane_probe
short_description: Read whether a kuma-cp host is already as the control_plane role wants it
version_added: 0.1.0
description:
  - A host module (it runs on the control-plane host). Read-only.
  - In one module run, reads what a converged control plane has - the kuma-cp binary, whether the Python library
    C(requests) is importable (the API modules need it on this host), owner, group, mode and SHA-1 of each of
    O(paths), the systemd unit's state, whether C(/ready) answers on the diagnostics port, the self-signed
    certificate, and the meshes named in O(meshes) as the API has them.
  - The control-plane calls go through the collection's API client (the one every API module uses), without a token
    and without retries; a call that fails is reported as not ready (or the mesh as not read), never as an error.
  - The C(kuma.universal.control_plane) role compares the result with what it would write and skips its writing
    tasks when nothing differs.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.attributes.HOST_INFO_MODULE
options:
  binary:
    description: The kuma-cp binary; RV(binary) says whether it is a file.
    type: str
    required: true
  diagnostics_url:
    description: kuma-cp's diagnostics port (C(/ready) is read there).
    type: str
    default: http://127.0.0.1:5680
  api_url:
    description: kuma-cp's API, where O(meshes) are read (loopback, where the CP treats callers as admin).
    type: str
    default: http://127.0.0.1:5681
  meshes:
    description: Meshes to read when the CP is ready.
    type: list
    elements: str
    default: []
  cert:
    description: The certificate file returned base64-encoded as RV(cert) (empty when it cannot be read).
    type: str
    default: ""
  unit:
    description: The systemd unit whose C(UnitFileState), C(ActiveState) and C(NeedDaemonReload) are read.
    type: str
    default: kuma-cp.service
  paths:
    description: Files and directories whose owner, group, mode and (files) SHA-1 are read.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds each control-plane call may take.
    type: int
    default: 5
"""

EXAMPLES = r"""
- name: Read whether the control plane is already as wanted
  kuma.universal.control_plane_probe:
    binary: /opt/kuma/current/bin/kuma-cp
    diagnostics_url: http://127.0.0.1:5680
    api_url: http://127.0.0.1:5681
    meshes: [default]
    paths: [/etc/kuma, /etc/systemd/system/kuma-cp.service]
  register: probe
"""

RETURN = r"""
binary:
  description: Whether O(binary) is a file.
  returned: success
  type: bool
requests:
  description: Whether the Python library C(requests) is importable by this module's interpreter.
  returned: success
  type: bool
unit:
  description: The unit's C(UnitFileState), C(ActiveState) and C(NeedDaemonReload) as C(systemctl show) gives them.
  returned: success
  type: dict
ready:
  description: Whether C(/ready) answered 200.
  returned: success
  type: bool
cert:
  description: The content of O(cert), base64-encoded; empty when it cannot be read.
  returned: success
  type: str
meshes:
  description: Each mesh of O(meshes) that could be read - its entity, or null when the CP has no such mesh.
  returned: success
  type: dict
paths:
  description: For each of O(paths) - owner, group, mode (4 octal digits) and SHA-1 (files only, else null); null when
    it does not exist.
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kuma.universal.plugins.module_utils._cp_probe import read_control_plane
from ansible_collections.kuma.universal.plugins.module_utils._cp_probe_options import cp_probe_options


def main():
    module = AnsibleModule(argument_spec=cp_probe_options(), supports_check_mode=True)
    module.exit_json(changed=False, **read_control_plane(module, module.params))


if __name__ == "__main__":
    main()
