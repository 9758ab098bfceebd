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

import base64
import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kuma.universal.plugins.module_utils._api import (
    HAS_REQUESTS, KumaApiError, KumaClient, KumaInputError, read_ready,
)
from ansible_collections.kuma.universal.plugins.module_utils._errors import quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._compare import inline_secrets


def read_entry(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    try:
        owner, group = pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        owner = group = None
    digest = None
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            digest = hashlib.sha1(f.read()).hexdigest()
    return [owner, group, "%04o" % stat.S_IMODE(st.st_mode), digest]


def read_meshes(api_url, names, timeout, session=None):
    """name -> the Mesh entity (None when the CP answers 404); meshes that cannot be read are left out."""
    if not names:
        return {}
    client = KumaClient(api_url, timeout=timeout, retries=0, session=session)
    meshes = {}
    for name in names:
        try:
            status, data = client.request("GET", "/meshes/%s" % quote_segment(name), ok_missing=True)
        except KumaApiError:
            continue  # not read: the mesh module runs for it
        meshes[name] = None if status == 404 else data
    return meshes


def read_cert(path):
    if not path:
        return ""
    try:
        with open(path, "rb") as f:
            return base64.b64encode(f.read()).decode()
    except OSError:
        return ""


def read_unit(module, unit):
    systemctl = module.get_bin_path("systemctl")
    if systemctl is None:
        return {}
    _rc, out, _err = module.run_command([systemctl, "show", unit, "-p", "UnitFileState", "-p", "ActiveState",
                                         "-p", "NeedDaemonReload"])
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def main():
    module = AnsibleModule(
        argument_spec={
            "binary": {"type": "str", "required": True},
            "diagnostics_url": {"type": "str", "default": "http://127.0.0.1:5680"},
            "api_url": {"type": "str", "default": "http://127.0.0.1:5681"},
            "meshes": {"type": "list", "elements": "str", "default": []},
            "cert": {"type": "str", "default": ""},
            "unit": {"type": "str", "default": "kuma-cp.service"},
            "paths": {"type": "list", "elements": "str", "default": []},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    p = module.params
    ready = False
    meshes = {}
    if HAS_REQUESTS:
        ready = read_ready(p["diagnostics_url"].rstrip("/") + "/ready", p["timeout"])
        if ready:
            try:
                meshes = read_meshes(p["api_url"], p["meshes"], p["timeout"])
            except KumaInputError as exc:
                module.fail_json(msg=exc.message)
    # A mesh's inline secrets (a provided CA's key, a Vault token) are masked in the result; such a mesh then
    # reads as different from the settings, and the mesh module (which masks them too) runs for it.
    module.no_log_values.update(inline_secrets(meshes))
    module.exit_json(
        changed=False, binary=os.path.isfile(p["binary"]), requests=HAS_REQUESTS, unit=read_unit(module, p["unit"]),
        ready=ready, cert=read_cert(p["cert"]), meshes=meshes, paths={path: read_entry(path) for path in p["paths"]},
    )


if __name__ == "__main__":
    main()
