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
  - With O(want), compares what it read with the install role's settings and returns RV(todo), what the role
    would change; the install role (C(kuma.universal.install)) changes only that. Its C(versions) entry point
    registers the result as C(install_probe) on every host of the mesh, and the role reuses it instead of reading
    again.
  - With O(gather_facts), also returns the three facts the collection's roles read (C(ansible_facts)), so that
    C(kuma.universal.deploy_mesh) needs no fact-gathering run of its own.
  - With O(dp_snapshot), also returns a snapshot of the host's kuma-dp proxies (RV(dp_snapshot)), against which
    M(kuma.universal.dataplane_proxies) can read the host later in the run without a module run of its own.
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
  want:
    description:
      - The install role's settings. When given, RV(todo) says what differs from them.
    type: dict
    suboptions:
      components:
        description: The binaries the host must have in the release (C(install_components)).
        type: list
        elements: str
        required: true
      dp_uid:
        description: The uid (and gid of the group of the same name) of the kuma-dp user, the second of O(users).
        type: int
        required: true
      link_kumactl:
        description: Whether O(kumactl_link) must point at C(<prefix>/current/bin/kumactl) when kumactl is installed.
        type: bool
        default: true
  dp_snapshot:
    description:
      - Where the host's kuma-dp proxies live (the options of M(kuma.universal.dataplane_proxies) of the same
        names). When given, RV(dp_snapshot) holds what that module's read (its C(step=read)) looks at.
      - The snapshot holds the proxies' token files and the edges' TLS keys (secrets), so a task that gives this
        option should set C(no_log). Of the other files under those directories it holds no content.
    type: dict
    suboptions:
      config_dir:
        description: The directory of the environment files, the CA and the edges (walked to every depth).
        type: path
        required: true
      tokens_dir:
        description: The directory of the token files (walked to every depth); C(<config_dir>/tokens) when not given.
        type: path
      work_root:
        description: The directory of the proxies' work directories (read one level down).
        type: path
        default: /var/lib/kuma-dp
      unit_paths:
        description: The template units.
        type: list
        elements: path
        default: [/etc/systemd/system/kuma-dp@.service, /etc/systemd/system/kuma-edge@.service]
      users:
        description: The users and groups (of the same names) whose ids are recorded.
        type: list
        elements: str
        default: [root, kuma-dp]
  cp_snapshot:
    description:
      - The options of M(kuma.universal.control_plane_probe). When given, RV(cp_snapshot) holds that module's read of
        the control plane on this host, so that one module run reads a control-plane host for both the install role
        and the control_plane role (C(kuma.universal.deploy_mesh)'s first play; the role's
        C(control_plane_probe_snapshot)).
    type: dict
    suboptions:
      binary:
        description: O(kuma.universal.control_plane_probe#module:binary).
        type: str
        required: true
      diagnostics_url:
        description: O(kuma.universal.control_plane_probe#module:diagnostics_url).
        type: str
        default: http://127.0.0.1:5680
      api_url:
        description: O(kuma.universal.control_plane_probe#module:api_url).
        type: str
        default: http://127.0.0.1:5681
      meshes:
        description: O(kuma.universal.control_plane_probe#module:meshes).
        type: list
        elements: str
        default: []
      cert:
        description: O(kuma.universal.control_plane_probe#module:cert).
        type: str
        default: ""
      unit:
        description: O(kuma.universal.control_plane_probe#module:unit).
        type: str
        default: kuma-cp.service
      paths:
        description: O(kuma.universal.control_plane_probe#module:paths).
        type: list
        elements: str
        default: []
      timeout:
        description: O(kuma.universal.control_plane_probe#module:timeout).
        type: int
        default: 5
  gather_facts:
    description:
      - Also return C(architecture), C(default_ipv4) (C(address), C(interface), C(gateway), from the route the kernel
        takes towards a public address; nothing is sent) and C(service_mgr) as C(ansible_facts).
    type: bool
    default: false
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
want:
  description: O(want) as read with, to tell whether RV(todo) answers other settings; null without O(want).
  returned: success
  type: dict
todo:
  description:
    - What the install role would change, each true or false (C(release), C(cp_group), C(cp_user), C(dp_group),
      C(dp_user), C(current), C(kumactl), C(kumactl_unlink)); and C(missing), the components the release lacks.
      Empty without O(want).
  returned: success
  type: dict
as_wanted:
  description: With O(want), whether the install role would change nothing (every RV(todo) false); null without it.
  returned: success
  type: bool
dp_snapshot:
  description:
    - With O(dp_snapshot), the host's kuma-dp proxies as found - C(format), C(roots), C(paths); C(entries), for each
      path under them its kind, owner, group, mode and, for a small text file of the proxies (environment files,
      CA, tokens, edges, units), its content; C(units), the
      C(kuma-dp@) and C(kuma-edge@) instances systemd has loaded with their active and unit file states; C(ids), the
      ids of O(dp_snapshot.users); and C(read_at), when the controller got it (seconds since the epoch). A secret.
  returned: when O(dp_snapshot)
  type: dict
cp_snapshot:
  description:
    - With O(cp_snapshot), what M(kuma.universal.control_plane_probe) returns for those options (C(binary),
      C(requests), C(unit), C(ready), C(cert), C(meshes), C(paths)), and C(args), the options as read with (every
      suboption, defaults filled in), to tell whether it answers another request; and C(read_at), when the controller
      got it (seconds since the epoch). A mesh's inline secrets are masked.
  returned: when O(cp_snapshot)
  type: dict
ansible_facts:
  description: With O(gather_facts), C(architecture), C(default_ipv4) (empty when there is no default route) and C(service_mgr).
  returned: when O(gather_facts)
  type: dict
  sample: {"architecture": "x86_64", "default_ipv4": {"address": "172.18.0.3", "interface": "eth0",
           "gateway": "172.18.0.1", "alias": "eth0"}, "service_mgr": "systemd"}
"""

import grp
import os
import platform
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kuma.universal.plugins.module_utils._proxies_fs import proxy_files, take_snapshot

# The options alone (no requests): the read itself is imported by cp_snapshot().
from ansible_collections.kuma.universal.plugins.module_utils._cp_probe_options import cp_probe_options

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


NOLOGIN = "/usr/sbin/nologin"
NO_HOME = "/nonexistent"


def user_differs(found, group, uid=None):
    """A system user as the install role makes it: its own group, no login, no home."""
    return (found is None or found["group"] != group or found["shell"] != NOLOGIN or found["home"] != NO_HOME
            or (uid is not None and found["uid"] != uid))


def todo(read, prefix, version, want):
    """What the install role would change on a host that reads as `read` (probe()'s result), for `want`."""
    cp_user, dp_user = read["args"][2:4]
    components = want["components"]
    missing = [b for b in components if b not in read["binaries"]]
    link = os.path.join(prefix, "current", "bin", "kumactl")
    return {
        "release": bool(missing),
        "missing": missing,
        "cp_group": read["groups"][cp_user] is None,
        "cp_user": user_differs(read["users"][cp_user], cp_user),
        "dp_group": read["groups"][dp_user] != want["dp_uid"],
        "dp_user": user_differs(read["users"][dp_user], dp_user, want["dp_uid"]),
        "current": read["current"] != os.path.join(prefix, version),
        "kumactl": bool(want["link_kumactl"]) and "kumactl" in components and read["kumactl"] != link,
        # Our link into a release without kumactl (a data-plane host's): it would dangle.
        "kumactl_unlink": read["kumactl"] == link and "kumactl" not in read["binaries"] + components,
    }


def default_ipv4(module):
    """The address, interface and gateway of the route towards a public address, as setup's default_ipv4 finds
    them (ip route get: a lookup in the kernel's table, nothing is sent); {} without a default route or ip."""
    ip = module.get_bin_path("ip")
    if not ip:
        return {}
    rc, out, dummy = module.run_command([ip, "-4", "route", "get", "8.8.8.8"])
    words = out.split() if rc == 0 else []
    found = dict(zip(words, words[1:]))
    if "src" not in found or "dev" not in found:
        return {}
    result = {"address": found["src"], "interface": found["dev"], "alias": found["dev"]}
    if "via" in found:
        result["gateway"] = found["via"]
    return result


def service_mgr():
    """systemd when it runs the host (how setup tells it first), else the name of process 1."""
    if os.path.isdir("/run/systemd/system"):
        return "systemd"
    try:
        with open("/proc/1/comm") as handle:
            return handle.read().strip() or "unknown"
    except OSError:
        return "unknown"


def dp_snapshot(module, options):
    """The kuma-dp proxies of the host as module_utils/_proxies_fs.py's SnapshotFs reads them."""
    systemctl = module.get_bin_path("systemctl")

    def systemctl_read(*args):
        if not systemctl:
            return None
        rc, out, dummy = module.run_command([systemctl] + list(args))
        return out if rc == 0 else None

    config_dir = options["config_dir"]
    tokens_dir = options["tokens_dir"] or os.path.join(config_dir, "tokens")
    roots = [[config_dir, None], [tokens_dir, None], [options["work_root"], 1]]
    return take_snapshot(systemctl_read, roots, options["unit_paths"], options["users"],
                         keep=proxy_files(config_dir, tokens_dir, options["unit_paths"]))


def cp_snapshot(module, options):
    """The control_plane role's read of this host (control_plane_probe's), with the options it answers. Imported
    here: the API client (and requests) only on a host read as a control plane."""
    from ansible_collections.kuma.universal.plugins.module_utils._cp_probe import read_control_plane
    result = read_control_plane(module, options)
    result["args"] = dict(options)
    return result


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
            "want": {"type": "dict", "options": {
                "components": {"type": "list", "elements": "str", "required": True},
                "dp_uid": {"type": "int", "required": True},
                "link_kumactl": {"type": "bool", "default": True},
            }},
            "cp_snapshot": {"type": "dict", "options": cp_probe_options()},
            "gather_facts": {"type": "bool", "default": False},
            "dp_snapshot": {"type": "dict", "options": {
                "config_dir": {"type": "path", "required": True},
                "tokens_dir": {"type": "path"},
                "work_root": {"type": "path", "default": "/var/lib/kuma-dp"},
                "unit_paths": {"type": "list", "elements": "path",
                               "default": ["/etc/systemd/system/kuma-dp@.service", "/etc/systemd/system/kuma-edge@.service"]},
                "users": {"type": "list", "elements": "str", "default": ["root", "kuma-dp"]},
            }},
        },
        supports_check_mode=True,
    )
    p = module.params
    if p["want"] and len(p["users"]) != 2:
        module.fail_json(msg="want needs users: the kuma-cp user and the kuma-dp user, in that order; got %s" % p["users"])
    result = probe(p["prefix"], p["version"], p["users"], p["paths"], p["kumactl_link"], p["dp_env_dir"])
    result["want"] = p["want"]
    result["todo"] = todo(result, p["prefix"], p["version"], p["want"]) if p["want"] else {}
    result["as_wanted"] = not any(result["todo"].values()) if p["want"] else None
    if p["gather_facts"]:
        result["ansible_facts"] = {"architecture": platform.machine(), "default_ipv4": default_ipv4(module),
                                   "service_mgr": service_mgr()}
    if p["dp_snapshot"]:
        result["dp_snapshot"] = dp_snapshot(module, p["dp_snapshot"])
    if p["cp_snapshot"]:
        result["cp_snapshot"] = cp_snapshot(module, p["cp_snapshot"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
