#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: install_probe
short_description: Read what the install role manages on a host, in one module run
version_added: 0.1.0
description:
  - A host module (it runs on the managed host and talks to no control plane). Read-only.
  - Reads the system users and groups, the binaries of one Kuma release under O(prefix), the release the
    C(current) link points at, the C(kumactl) link, and whether each of O(paths) exists.
  - The install role (C(kuma.universal.install)) compares the result with its settings and changes only what
    differs; its C(versions) entry point registers it as C(install_probe) on every host of the mesh, and the
    role reuses that result instead of reading again.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.attributes.HOST_INFO_MODULE
options:
  prefix:
    description: Where releases are installed (C(kuma_prefix)); a release is C(<prefix>/<version>).
    type: str
    required: true
  version:
    description: The release whose binaries are looked for (C(kuma_version)).
    type: str
    required: true
  users:
    description: The users (and the groups of the same name) to read, for example C(kuma-cp) and C(kuma-dp).
    type: list
    elements: str
    default: []
  paths:
    description: Further paths; RV(paths) says whether each exists (a dangling link counts).
    type: list
    elements: str
    default: []
  kumactl_link:
    description: The C(kumactl) link to read.
    type: path
    default: /usr/local/bin/kumactl
  dp_env_dir:
    description:
      - The directory of the kuma-dp environment files (the sidecar role's C(sidecar_config_dir)). When set,
        RV(sotw_proxies) lists the proxies whose file does not select delta xDS, which Kuma 3 requires of every
        proxy before its control plane is upgraded.
    type: path
"""

EXAMPLES = r"""
- name: Read the installed users, release and links
  kuma.universal.install_probe:
    prefix: /opt/kuma
    version: 2.14.3
    users: [kuma-cp, kuma-dp]
  register: install_probe
"""

RETURN = r"""
sotw_proxies:
  description:
    - The proxies (names of the C(*.env) files in O(dp_env_dir)) that do not set
      C(KUMA_DATAPLANE_RUNTIME_ENVOY_XDS_TRANSPORT_PROTOCOL_VARIANT=DELTA_GRPC), in order; empty without O(dp_env_dir).
  returned: success
  type: list
  elements: str
args:
  description: O(prefix), O(version) and O(users) as read, to tell whether a result answers other settings.
  returned: success
  type: list
  elements: str
  sample: [/opt/kuma, 2.14.3, kuma-cp, kuma-dp]
users:
  description: For each of O(users) its uid, primary group name, home and shell; null when it does not exist.
  returned: success
  type: dict
groups:
  description: For each of O(users) the gid of the group of that name; null when it does not exist.
  returned: success
  type: dict
binaries:
  description: Which of kuma-cp, kuma-dp, envoy and kumactl the release has (C(<prefix>/<version>/bin)), sorted.
  returned: success
  type: list
  elements: str
current:
  description: The target of C(<prefix>/current); null when it is not a link.
  returned: success
  type: str
kumactl:
  description: The target of O(kumactl_link); null when it is not a link.
  returned: success
  type: str
paths:
  description: For each of O(paths) whether it exists.
  returned: success
  type: dict
"""

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule

BINARIES = ("kuma-cp", "kuma-dp", "envoy", "kumactl")


def read_user(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    try:
        group = grp.getgrgid(entry.pw_gid).gr_name
    except KeyError:
        group = None
    return {"uid": entry.pw_uid, "group": group, "home": entry.pw_dir, "shell": entry.pw_shell}


def read_group(name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def read_link(path):
    return os.readlink(path) if os.path.islink(path) else None


DELTA_LINE = "KUMA_DATAPLANE_RUNTIME_ENVOY_XDS_TRANSPORT_PROTOCOL_VARIANT=DELTA_GRPC"


def sotw_proxies(env_dir):
    """The proxies whose env file in env_dir does not select delta xDS (what Kuma 2.14 proxies need
    before a Kuma 3 control plane, which serves delta xDS only)."""
    if not env_dir or not os.path.isdir(env_dir):
        return []
    found = []
    for entry in sorted(os.listdir(env_dir)):
        if not entry.endswith(".env"):
            continue
        try:
            with open(os.path.join(env_dir, entry)) as handle:
                lines = {line.strip() for line in handle}
        except OSError:
            lines = set()
        if DELTA_LINE not in lines:
            found.append(entry[:-4])
    return found


def probe(prefix, version, users, paths, kumactl_link, dp_env_dir=None):
    return {
        "changed": False,
        "args": [prefix, version] + list(users),
        "users": {name: read_user(name) for name in users},
        "groups": {name: read_group(name) for name in users},
        "binaries": sorted(b for b in BINARIES if os.path.isfile(os.path.join(prefix, version, "bin", b))),
        "current": read_link(os.path.join(prefix, "current")),
        "kumactl": read_link(kumactl_link),
        "paths": {path: os.path.lexists(path) for path in paths},
        "sotw_proxies": sotw_proxies(dp_env_dir),
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "prefix": {"type": "str", "required": True},
            "version": {"type": "str", "required": True},
            "users": {"type": "list", "elements": "str", "default": []},
            "paths": {"type": "list", "elements": "str", "default": []},
            "kumactl_link": {"type": "path", "default": "/usr/local/bin/kumactl"},
            "dp_env_dir": {"type": "path"},
        },
        supports_check_mode=True,
    )
    p = module.params
    module.exit_json(**probe(p["prefix"], p["version"], p["users"], p["paths"], p["kumactl_link"], p["dp_env_dir"]))


if __name__ == "__main__":
    main()
