#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplane_proxies
short_description: Run a host's kuma-dp proxies (files and systemd instances of kuma-dp@) in one task
version_added: 0.1.0
description:
  - The host side of the P(kuma.universal.sidecar#role) role, for every proxy of a host at once. One module run
    checks and converges what a loop of C(file), C(copy), C(template) and C(systemd_service) tasks per proxy
    would, so that a converged host costs one task whatever the number of proxies.
  - With O(step=prune), proxies installed on the host that are not in O(proxies) are stopped, disabled and their
    files removed (environment file, token, work directory); then the current tokens of the wanted proxies are
    read and returned, for M(kuma.universal.dataplane_tokens).
  - With O(step=converge), the template unit O(unit_path), the CA file, and per proxy its token file (mode 0600,
    owned by O(user)), its work directory and its environment file are checked and written where they differ;
    then every C(kuma-dp@<name>) is enabled and running, restarted when its environment, the unit, the CA or
    (with O(restart_on_new_token)) its token changed.
author:
  - kuma.universal contributors (@kuma-universal)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads and compares everything; writes, removals and systemctl calls that change state are skipped.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Environment files, the unit and the CA file as before/after text; a token only as a line saying it changes.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  step:
    description:
      - V(prune) removes what left O(proxies) and returns the current tokens (RV(tokens)).
      - V(converge) makes the host run O(proxies).
    type: str
    choices: [prune, converge]
    default: converge
  proxies:
    description: The proxies the host must run (from the P(kuma.universal.sidecar#role) role's plan).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Dataplane name; also the systemd instance, environment file, token file and work directory name.
        type: str
        required: true
      mesh:
        description: Mesh of the Dataplane.
        type: str
        default: default
      readiness_port:
        description: kuma-dp readiness port (C(KUMA_READINESS_PORT)); with O(step=converge), required.
        type: int
      description:
        description: A comment line for the environment file.
        type: str
      token:
        description:
          - A new token to write (a dataplane token, or a zone token for a zone proxy); omit to keep the token file
            on the host.
        type: str
      proxy_type:
        description:
          - V(dataplane) (a sidecar - its Dataplane is registered through the API beforehand, and kuma-dp gets only its
            name and mesh), or a zone proxy of a multizone deployment, V(ingress) or V(egress) (Kuma 2.x
            C(kuma-dp run --proxy-type) with the O(proxies[].resource) it registers itself when it connects).
        type: str
        choices: [dataplane, ingress, egress]
        default: dataplane
      resource:
        description:
          - With O(proxies[].proxy_type=ingress) or V(egress), required - the C(ZoneIngress) or C(ZoneEgress) entity
            (C(type), C(name) equal to O(proxies[].name), C(networking)), written into the environment file as
            C(KUMA_DATAPLANE_RUNTIME_RESOURCE) (one line of JSON). O(proxies[].mesh) is not used then.
        type: dict
      env:
        description:
          - Settings of this proxy only, written after O(env) (a name given in both takes this value), for example
            C(KUMA_DP_ARGS) for the flags the P(kuma.universal.sidecar#role) role's unit passes to C(kuma-dp run).
        type: dict
  env:
    description:
      - Settings every proxy gets (C(KUMA_*) name to value), written into each environment file before the
        per-proxy ones (name, mesh, token path, work directory, readiness port).
    type: dict
    default: {}
  prune:
    description: With O(step=prune), stop and remove the proxies that are not in O(proxies); V(false) only reads.
    type: bool
    default: true
  config_dir:
    description: Directory of the environment files, C(ca.crt) and C(tokens/).
    type: path
    default: /etc/kuma/dp
  work_root:
    description: Parent of the per-proxy work directories.
    type: path
    default: /var/lib/kuma-dp
  user:
    description: System user of every kuma-dp (owner of tokens and work directories).
    type: str
    default: kuma-dp
  unit:
    description: Content of the template unit; omit to leave O(unit_path) alone.
    type: str
  unit_path:
    description: Path of the template unit.
    type: path
    default: /etc/systemd/system/kuma-dp@.service
  ca_cert:
    description: PEM of the CA kuma-dp trusts, written to O(config_dir)/ca.crt; omit to leave it alone.
    type: str
  restart_on_new_token:
    description: Restart a proxy whose token file changed.
    type: bool
    default: true
  required_paths:
    description: Files that must exist before anything is written (for example the kuma-dp and Envoy binaries).
    type: list
    elements: path
    default: []
notes:
  - Stopping a proxy waits for its Envoy to drain (the unit's C(TimeoutStopSec)); several stale proxies stop together.
seealso:
  - module: kuma.universal.dataplane_tokens
  - module: kuma.universal.dataplanes
"""

EXAMPLES = r"""
- name: Stop and remove the proxies that left the list, read the current tokens
  kuma.universal.dataplane_proxies:
    step: prune
    proxies: [{name: redis-0}, {name: redis-1}]
  register: current
  no_log: true  # the result holds the tokens

- name: Run the proxies
  kuma.universal.dataplane_proxies:
    unit: "{{ lookup('ansible.builtin.template', 'kuma-dp@.service.j2') }}"
    ca_cert: "{{ ca_pem }}"
    env:
      KUMA_CONTROL_PLANE_URL: https://cp.example:5678
      KUMA_CONTROL_PLANE_CA_CERT_FILE: /etc/kuma/dp/ca.crt
    proxies:
      - name: redis-0
        readiness_port: 9902
      - name: redis-1
        readiness_port: 9903
"""

RETURN = r"""
tokens:
  description: With O(step=prune), the token file content of each wanted proxy that has one (a secret - use C(no_log)).
  returned: step=prune
  type: dict
installed:
  description: The proxies found on the host before the run (environment files and loaded C(kuma-dp@) units).
  returned: step=prune
  type: list
  elements: str
pruned:
  description: The proxies stopped and removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
pruned_meshes:
  description: The meshes of the pruned proxies, read from their environment files.
  returned: always
  type: list
  elements: str
restarted:
  description: The running proxies restarted because their settings, token, the unit or the CA changed (or that would be).
  returned: step=converge
  type: list
  elements: str
started:
  description: The proxies that were not running and were started (or would be), new ones included.
  returned: step=converge
  type: list
  elements: str
files:
  description: The files and directories written or fixed (or that would be).
  returned: always
  type: list
  elements: str
"""

import grp
import json
import os
import pwd
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

UNIT = "kuma-dp@%s.service"


class Host:
    """The converge of one module run: what differs, fixed unless in check mode, with a diff."""

    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.check = module.check_mode
        self.files = []
        self.diff = []

    # -- systemd ---------------------------------------------------------------------------
    def systemctl(self, *args):
        rc, out, err = self.module.run_command(["systemctl"] + list(args))
        if rc != 0:
            self.module.fail_json(msg="systemctl %s failed (rc %d): %s" % (" ".join(args), rc, (err or out).strip()),
                                  files=self.files)
        return out

    def unit_states(self, names):
        """{name: (ActiveState, UnitFileState)} in one systemctl call."""
        if not names:
            return {}
        out = self.systemctl("show", "--property=Id,ActiveState,UnitFileState", *[UNIT % n for n in names])
        states = {}
        for block in out.strip().split("\n\n"):
            props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            unit = props.get("Id", "")
            if unit.startswith("kuma-dp@") and unit.endswith(".service"):
                states[unit[len("kuma-dp@"):-len(".service")]] = (props.get("ActiveState"), props.get("UnitFileState"))
        return states

    def loaded_instances(self):
        out = self.systemctl("list-units", "--all", "--plain", "--no-legend", "--type=service", "kuma-dp@*")
        names = []
        for line in out.splitlines():
            unit = line.split()[0] if line.split() else ""
            if unit.startswith("kuma-dp@") and unit.endswith(".service"):
                names.append(unit[len("kuma-dp@"):-len(".service")])
        return names

    # -- files -----------------------------------------------------------------------------
    def ids(self, owner, group):
        try:
            return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
        except KeyError:
            if self.check:
                return None, None
            self.module.fail_json(msg="user or group %s:%s does not exist: run kuma.universal.install first"
                                  % (owner, group))

    def attributes(self, path, owner, group, mode):
        """Owner, group and mode of an existing path; True when something differs (fixed unless check mode)."""
        uid, gid = self.ids(owner, group)
        st = os.lstat(path)
        changed = False
        if uid is not None and (st.st_uid != uid or st.st_gid != gid):
            changed = True
            if not self.check:
                os.chown(path, uid, gid)
        if stat.S_IMODE(st.st_mode) != mode:
            changed = True
            if not self.check:
                os.chmod(path, mode)
        if changed:
            self.files.append(path)
        return changed

    def directory(self, path, owner, group, mode):
        if not os.path.isdir(path):
            self.files.append(path)
            self.diff.append({"before_header": path, "after_header": path, "before": "", "after": "(directory)\n"})
            if not self.check:
                os.makedirs(path, exist_ok=True)
                self.attributes(path, owner, group, mode)
            return True
        return self.attributes(path, owner, group, mode)

    def file(self, path, content, owner, group, mode, secret=False):
        """Write content where it differs; True when the content changed (attributes alone: False)."""
        data = to_bytes(content)
        try:
            with open(path, "rb") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current == data:
            self.attributes(path, owner, group, mode)
            return False
        self.files.append(path)
        if secret:
            self.diff.append({"before_header": path, "after_header": path, "before": "",
                              "after": "(token %s)\n" % ("written" if current is None else "replaced")})
        else:
            self.diff.append({"before_header": path, "after_header": path,
                              "before": to_text(current or b""), "after": to_text(data)})
        if not self.check:
            uid, gid = self.ids(owner, group)
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".%s." % os.path.basename(path))
            try:
                os.fchmod(fd, mode)
                os.fchown(fd, uid, gid)
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, path)
        return True

    def remove(self, path):
        if not os.path.lexists(path):
            return
        self.files.append(path)
        if self.check:
            return
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)

    # -- the two steps ---------------------------------------------------------------------
    def installed(self):
        names = set(self.loaded_instances())
        try:
            names.update(f[:-4] for f in os.listdir(self.p["config_dir"]) if f.endswith(".env"))
        except FileNotFoundError:
            pass
        return sorted(names)

    def mesh_of(self, name):
        try:
            with open(os.path.join(self.p["config_dir"], name + ".env")) as handle:
                for line in handle:
                    if line.startswith("KUMA_DATAPLANE_MESH="):
                        return line.split("=", 1)[1].strip()
        except OSError:
            pass
        return None

    def prune(self, installed, wanted):
        stale = [n for n in installed if n not in wanted] if self.p["prune"] else []
        meshes = sorted({m for m in (self.mesh_of(n) for n in stale) if m})
        if stale:
            if not self.check:
                # Together: their Envoys drain in parallel.
                self.systemctl("disable", "--now", *[UNIT % n for n in stale])
            for name in stale:
                self.remove(os.path.join(self.p["config_dir"], "tokens", name))
                self.remove(os.path.join(self.p["work_root"], name))
                self.remove(os.path.join(self.p["config_dir"], name + ".env"))
        tokens = {}
        for name in wanted:
            try:
                with open(os.path.join(self.p["config_dir"], "tokens", name)) as handle:
                    tokens[name] = handle.read().strip()
            except OSError:
                pass
        return stale, meshes, tokens

    def env_file(self, proxy):
        p = self.p
        env = dict((str(k), "" if v is None else str(v)) for k, v in (p["env"] or {}).items())
        env.update((str(k), "" if v is None else str(v)) for k, v in (proxy.get("env") or {}).items())
        env.update({
            "KUMA_DATAPLANE_NAME": proxy["name"],
            "KUMA_DATAPLANE_MESH": proxy["mesh"],
            "KUMA_DATAPLANE_RUNTIME_TOKEN_PATH": os.path.join(p["config_dir"], "tokens", proxy["name"]),
            "KUMA_DATAPLANE_RUNTIME_WORK_DIR": os.path.join(p["work_root"], proxy["name"]),
            "KUMA_READINESS_PORT": str(proxy["readiness_port"]),
        })
        lines = ["# Ansible managed: kuma.universal.dataplane_proxies",
                 "# kuma-dp@%s: %s" % (proxy["name"], proxy.get("description") or "mesh %s" % proxy["mesh"])]
        if proxy.get("proxy_type", "dataplane") == "dataplane":
            lines.append("# No Dataplane template here: the entity is registered through the API beforehand.")
        else:
            # kuma-dp refuses a name or mesh beside a resource (it takes both from the resource), and registers the
            # zone proxy itself when it connects. systemd keeps a single-quoted value as it is.
            del env["KUMA_DATAPLANE_NAME"], env["KUMA_DATAPLANE_MESH"]
            env["KUMA_DATAPLANE_PROXY_TYPE"] = proxy["proxy_type"]
            env["KUMA_DATAPLANE_RUNTIME_RESOURCE"] = "'%s'" % zone_resource_json(proxy["resource"])
            lines.append("# A zone %s: kuma-dp registers the %s below when it connects." % (
                proxy["proxy_type"], proxy["resource"].get("type")))
        lines += ["%s=%s" % (k, v) for k, v in env.items()]
        return "\n".join(lines) + "\n"

    def converge(self, proxies):
        p = self.p
        user = p["user"]
        if not self.check:
            missing = [path for path in p["required_paths"] if not os.path.exists(path)]
            if missing:
                self.module.fail_json(msg="%s missing: run kuma.universal.install first" % ", ".join(missing))
        tokens_dir = os.path.join(p["config_dir"], "tokens")
        self.directory(p["config_dir"], "root", "root", 0o755)
        self.directory(tokens_dir, "root", user, 0o750)
        self.directory(p["work_root"], "root", "root", 0o755)
        everything = False
        unit_changed = False
        if p["unit"] is not None:
            unit_changed = self.file(p["unit_path"], p["unit"], "root", "root", 0o644)
            everything = unit_changed
        if p["ca_cert"]:
            everything = self.file(os.path.join(p["config_dir"], "ca.crt"), p["ca_cert"].strip() + "\n",
                                   "root", "root", 0o644) or everything
        restart = []
        for proxy in proxies:
            name = proxy["name"]
            token_path = os.path.join(tokens_dir, name)
            changed = False
            if proxy.get("token"):
                changed = self.file(token_path, proxy["token"].strip(), user, user, 0o600, secret=True)
                changed = changed and p["restart_on_new_token"]
            elif os.path.exists(token_path):
                self.attributes(token_path, user, user, 0o600)
            elif not self.check:
                self.module.fail_json(msg="%s: no token given and none on the host" % name)
            self.directory(os.path.join(p["work_root"], name), user, user, 0o750)
            changed = self.file(os.path.join(p["config_dir"], name + ".env"), self.env_file(proxy),
                                "root", "root", 0o644) or changed
            if changed or everything:
                restart.append(name)
        if unit_changed and not self.check:
            self.systemctl("daemon-reload")
        states = self.unit_states([x["name"] for x in proxies])
        running = [x["name"] for x in proxies if states.get(x["name"], (None, None))[0] == "active"]
        start = [x["name"] for x in proxies if x["name"] not in running]
        restart = [n for n in restart if n in running]
        enable = [x["name"] for x in proxies if states.get(x["name"], (None, None))[1] != "enabled"]
        if not self.check:
            if enable:
                self.systemctl("enable", *[UNIT % n for n in enable])
            if restart:
                self.systemctl("restart", "--no-block", *[UNIT % n for n in restart])
            if start:
                self.systemctl("start", *[UNIT % n for n in start])
        return restart, start, enable


ZONE_PROXY_TYPES = {"ingress": "ZoneIngress", "egress": "ZoneEgress"}


def zone_resource_json(resource):
    """The zone proxy's entity as one line of JSON, keys sorted (a stable environment file)."""
    return json.dumps(resource, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def check_proxy_kind(index, proxy):
    """Problems with proxy_type / resource of proxies[index], each naming the field."""
    where = "proxies[%d]" % index
    kind = proxy.get("proxy_type") or "dataplane"
    resource = proxy.get("resource")
    if kind == "dataplane":
        return ["%s.resource: only a zone proxy (proxy_type ingress or egress) takes one" % where] if resource else []
    wanted = ZONE_PROXY_TYPES[kind]
    if not resource:
        return ["%s.resource: required with proxy_type %s (the %s entity)" % (where, kind, wanted)]
    errors = []
    if resource.get("type") != wanted:
        errors.append("%s.resource.type: must be %s for proxy_type %s, got %r" % (where, wanted, kind, resource.get("type")))
    if resource.get("name") != proxy["name"]:
        errors.append("%s.resource.name: must be the proxy's name %r, got %r" % (where, proxy["name"], resource.get("name")))
    if not isinstance(resource.get("networking"), dict):
        errors.append("%s.resource.networking: required (address, port, ...)" % where)
    text = zone_resource_json(resource)
    if "'" in text or "\\" in text:
        errors.append("%s.resource: values may not contain a single quote or a backslash" % where)
    return errors


def main():
    module = AnsibleModule(
        argument_spec={
            "step": {"type": "str", "choices": ["prune", "converge"], "default": "converge"},
            "proxies": {"type": "list", "elements": "dict", "required": True, "options": {
                "name": {"type": "str", "required": True},
                "mesh": {"type": "str", "default": "default"},
                "readiness_port": {"type": "int"},
                "description": {"type": "str"},
                "token": {"type": "str", "no_log": True},
                "proxy_type": {"type": "str", "choices": ["dataplane", "ingress", "egress"], "default": "dataplane"},
                "resource": {"type": "dict"},
                "env": {"type": "dict"},
            }},
            "env": {"type": "dict", "default": {}},
            "prune": {"type": "bool", "default": True},
            "config_dir": {"type": "path", "default": "/etc/kuma/dp"},
            "work_root": {"type": "path", "default": "/var/lib/kuma-dp"},
            "user": {"type": "str", "default": "kuma-dp"},
            "unit": {"type": "str"},
            "unit_path": {"type": "path", "default": "/etc/systemd/system/kuma-dp@.service"},
            "ca_cert": {"type": "str"},
            "restart_on_new_token": {"type": "bool", "default": True},
            "required_paths": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    proxies = module.params["proxies"]
    names = [x["name"] for x in proxies]
    errors = []
    for index, proxy in enumerate(proxies):
        name = proxy["name"]
        if not name or "/" in name or name.startswith("."):
            errors.append("proxies[%d].name: %r is not a Dataplane name" % (index, name))
        elif name in names[:index]:
            errors.append("proxies[%d].name: %s is already given as proxies[%d]" % (index, name, names.index(name)))
        if module.params["step"] == "converge" and not proxy.get("readiness_port"):
            errors.append("proxies[%d].readiness_port: required with step=converge" % index)
        errors.extend(check_proxy_kind(index, proxy))
    for key in module.params["env"]:
        if not str(key).replace("_", "").isalnum() or "\n" in str(module.params["env"][key] or ""):
            errors.append("env.%s: names are letters, digits and _; values are one line" % key)
    for index, proxy in enumerate(proxies):
        for key, value in (proxy.get("env") or {}).items():
            if not str(key).replace("_", "").isalnum() or "\n" in str(value or ""):
                errors.append("proxies[%d].env.%s: names are letters, digits and _; values are one line" % (index, key))
    if errors:
        module.fail_json(msg="; ".join(errors), errors=errors)
    host = Host(module)
    result = {"pruned": [], "pruned_meshes": []}
    if module.params["step"] == "prune":
        installed = host.installed()
        stale, meshes, tokens = host.prune(installed, names)
        result.update(installed=installed, pruned=stale, pruned_meshes=meshes, tokens=tokens)
        changed = bool(stale)
    else:
        restart, start, enable = host.converge(proxies)
        result.update(restarted=restart, started=start)
        changed = bool(host.files or restart or start or enable)
    result.update(changed=changed, files=host.files)
    if module._diff:
        result["diff"] = host.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
