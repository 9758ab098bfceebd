# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a converged control-plane host has, read in one go: the read of kuma.universal.control_plane_probe, and of
kuma.universal.install_probe's cp_snapshot (the first play of deploy_mesh reads a CP host once for both roles)."""

from __future__ import annotations

import base64
import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.common.parameters import remove_values

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


def read_control_plane(module, options):
    """The read for `options` (cp_probe_options' keys). A mesh's inline secrets (a provided CA's key, a Vault token)
    are masked in the meshes read, and only there (install_probe returns this read beside the host's other reads, which
    a short secret must not mangle): such a mesh reads as different from the settings, and the mesh module (which masks
    them too) runs for it. An invalid api_url fails the module naming it."""
    ready = False
    meshes = {}
    if HAS_REQUESTS:
        ready = read_ready(options["diagnostics_url"].rstrip("/") + "/ready", options["timeout"])
        if ready:
            try:
                meshes = read_meshes(options["api_url"], options["meshes"], options["timeout"])
            except KumaInputError as exc:
                module.fail_json(msg=exc.message)
    meshes = remove_values(meshes, inline_secrets(meshes))  # as no_log masks, within the meshes only
    return {
        "binary": os.path.isfile(options["binary"]), "requests": HAS_REQUESTS, "unit": read_unit(module, options["unit"]),
        "ready": ready, "cert": read_cert(options["cert"]), "meshes": meshes,
        "paths": {path: read_entry(path) for path in options["paths"]},
    }
