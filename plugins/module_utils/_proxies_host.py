# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the host side of kuma.universal.dataplane_proxies - one converge of a host's kuma-dp
proxies (their files, token files, environment files and kuma-dp@ instances, and the Envoy edge
of a gateway: kuma-edge@), what differs fixed unless in check mode, with a diff; and the prune of
the proxies (and edges) that left. Not a public interface.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.kuma.universal.plugins.module_utils._edge_files import EDGE_DIR, edge_paths
from ansible_collections.kuma.universal.plugins.module_utils._proxies_fs import LocalFs
from ansible_collections.kuma.universal.plugins.module_utils._proxies_checks import check_input, name_problem, zone_resource_json


UNIT = "kuma-dp@%s.service"
# In the env file of a zone proxy of the form listeners (an ordinary kuma-dp): ingress or egress, for the
# prune (kuma-dp does not read it).
ZONE_PROXY_ENV = "ZONE_PROXY_LISTENER"
EDGE_UNIT = "kuma-edge@%s.service"
PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def pem_certificates(text):
    """The certificates of a PEM text, each as its base64 body without whitespace (a set)."""
    return {"".join(body.split()) for body in PEM_CERTIFICATE.findall(text or "")}


class Host:
    """The converge of one module run: what differs, fixed unless in check mode, with a diff. Reads go through
    fs (LocalFs: the host; a SnapshotFs answers them from a snapshot, in check mode only); writes, removals and
    systemctl calls that change state happen only out of check mode, on the host."""

    def __init__(self, module, fs=None):
        self.module = module
        self.p = module.params
        self.tokens_dir = self.p.get("tokens_dir") or os.path.join(self.p["config_dir"], "tokens")
        self.check = module.check_mode
        self.fs = fs or LocalFs(self.systemctl)
        self.files = []
        self.diff = []

    # Each proxy's token in a directory of its own, <tokens_dir>/<name>/token: kuma-dp@<name> sees that directory
    # alone (the unit hides the others), and a token replaced by a rename shows through the bind mount. The
    # earlier layout's file, <tokens_dir>/<name>, is moved by converge.
    def token_dir(self, name):
        return os.path.join(self.tokens_dir, name)

    def token_path(self, name):
        return os.path.join(self.tokens_dir, name, "token")

    def current_token(self, name):
        """The token on disk (the per-proxy file, else one in the old flat layout), or None."""
        for path in (self.token_path(name), self.token_dir(name)):
            if self.fs.isfile(path):
                return self.read(path).strip() or None
        return None

    # -- systemd ---------------------------------------------------------------------------
    def systemctl(self, *args):
        rc, out, err = self.module.run_command(["systemctl"] + list(args))
        if rc != 0:
            self.module.fail_json(msg="systemctl %s failed (rc %d): %s" % (" ".join(args), rc, (err or out).strip()),
                                  files=self.files)
        return out

    def unit_states(self, names, unit=UNIT):
        """{name: (ActiveState, UnitFileState)} of the instances of unit (kuma-dp@ or kuma-edge@), one call."""
        if not names:
            return {}
        return self.fs.unit_states(unit.split("%s")[0], names)

    def loaded_instances(self, unit=UNIT):
        return self.fs.loaded_instances(unit.split("%s")[0])

    # -- files -----------------------------------------------------------------------------
    def ids(self, owner, group):
        try:
            return self.fs.ids(owner, group)
        except KeyError:
            if self.check:
                return None, None
            self.module.fail_json(msg="user or group %s:%s does not exist: run kuma.universal.install first"
                                  % (owner, group))

    def attributes(self, path, owner, group, mode):
        """Owner, group and mode of an existing path; True when something differs (fixed unless check mode)."""
        uid, gid = self.ids(owner, group)
        st_uid, st_gid, st_mode = self.fs.lstat(path)
        changed = False
        if uid is not None and (st_uid != uid or st_gid != gid):
            changed = True
            if not self.check:
                os.chown(path, uid, gid)
        if st_mode != mode:
            changed = True
            if not self.check:
                os.chmod(path, mode)
        if changed:
            self.files.append(path)
        return changed

    def directory(self, path, owner, group, mode):
        if not self.fs.isdir(path):
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
        current = self.fs.read_bytes(path)
        if current == data:
            self.attributes(path, owner, group, mode)
            return False
        self.files.append(path)
        if secret:  # True (a token) or what the secret is, for the diff's line
            what = "token" if secret is True else secret
            done = "written" if current is None else "replaced"
            self.diff.append({"before_header": path, "after_header": path, "before": "",
                              "after": "(%s %s)\n" % (what, done)})
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

    def read(self, path):
        """The text of a file; empty when there is none or it cannot be read."""
        try:
            return to_text(self.fs.read_bytes(path) or b"")
        except OSError:
            return ""

    def remove(self, path):
        if not self.fs.lexists(path):
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
        """The proxies on the host (units and env files). A name the collection would never write
        (not a Dataplane name: '..', a path, a space) is left alone with a warning: nothing of it is
        deleted, since its paths could point outside the proxies' directories."""
        names = set(self.loaded_instances())
        try:
            names.update(f[:-4] for f in self.fs.listdir(self.p["config_dir"]) if f.endswith(".env"))
        except FileNotFoundError:
            pass
        kept = []
        for name in sorted(names):
            problem = name_problem(name)
            if problem:
                self.module.warn("left alone: a kuma-dp unit or env file in %s named %s" % (self.p["config_dir"], problem))
            else:
                kept.append(name)
        return kept

    def installed_edges(self):
        """The Envoy edges on the host (kuma-edge@ units and configurations), names as installed(). A host
        that never had an edge has no edge directory (converge makes it, prune leaves it): no systemctl
        call then, on this read every run makes on every data-plane host."""
        try:
            names = {f[:-5] for f in self.fs.listdir(os.path.join(self.p["config_dir"], EDGE_DIR)) if f.endswith(".json")}
        except FileNotFoundError:
            return []
        names.update(self.loaded_instances(EDGE_UNIT))
        return sorted(n for n in names if not name_problem(n))

    def prune_edges(self, wanted, only=None):
        """Stop and remove the edges whose proxy left or no longer has one (wanted: names with an edge;
        only: when given, the names whose edges may go - the wanted proxies, with prune off)."""
        stale = [n for n in self.installed_edges() if n not in wanted and (only is None or n in only)]
        if stale and not self.check:
            self.systemctl("disable", "--now", *[EDGE_UNIT % n for n in stale])
        for name in stale:
            for path in edge_paths(self.p["config_dir"], name).values():
                self.remove(path)
        return stale

    def env_value(self, name, key):
        for line in self.read(os.path.join(self.p["config_dir"], name + ".env")).splitlines():
            if line.startswith(key + "="):
                return line.split("=", 1)[1].strip()
        return None

    def mesh_of(self, name):
        return self.env_value(name, "KUMA_DATAPLANE_MESH")

    def type_of(self, name):
        """dataplane (a sidecar), ingress or egress (a zone proxy's env file says which: kuma-dp's proxy
        type for a Kuma 2 zone proxy, ZONE_PROXY_ENV for one of the form listeners)."""
        return (self.env_value(name, "KUMA_DATAPLANE_PROXY_TYPE") or self.env_value(name, ZONE_PROXY_ENV)
                or "dataplane")

    def prune(self, installed, wanted):
        stale = [n for n in installed if n not in wanted] if self.p["prune"] else []
        stale = [n for n in stale if self.type_of(n) in self.p["prune_types"]]
        meshes = sorted({m for m in (self.mesh_of(n) for n in stale) if m})
        if stale:
            if not self.check:
                # Together: their Envoys drain in parallel.
                self.systemctl("disable", "--now", *[UNIT % n for n in stale])
            for name in stale:
                self.remove(self.token_dir(name))
                self.remove(os.path.join(self.p["work_root"], name))
                self.remove(os.path.join(self.p["config_dir"], name + ".env"))
        tokens = {}
        for name in wanted:
            token = self.current_token(name)
            if token is not None:
                tokens[name] = token
        return stale, meshes, tokens

    def env_file(self, proxy):
        p = self.p
        env = dict((str(k), "" if v is None else str(v)) for k, v in (p["env"] or {}).items())
        env.update((str(k), "" if v is None else str(v)) for k, v in (proxy.get("env") or {}).items())
        env.update({
            "KUMA_DATAPLANE_NAME": proxy["name"],
            "KUMA_DATAPLANE_MESH": proxy["mesh"],
            "KUMA_DATAPLANE_RUNTIME_TOKEN_PATH": self.token_path(proxy["name"]),
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
        edges = [x["name"] for x in proxies if x.get("edge")]
        if edges and p["edge_unit"] is None and not self.fs.exists(p["edge_unit_path"]):
            self.module.fail_json(msg="proxies %s have an edge: give edge_unit (the kuma-edge@ template unit; "
                                  "%s does not exist)" % (", ".join(edges), p["edge_unit_path"]))
        if not self.check:
            missing = [path for path in p["required_paths"] if not os.path.exists(path)]
            if missing:
                self.module.fail_json(msg="%s missing: run kuma.universal.install first" % ", ".join(missing))
        self.directory(p["config_dir"], "root", "root", 0o755)
        self.directory(self.tokens_dir, "root", user, 0o750)
        self.directory(p["work_root"], "root", "root", 0o755)
        everything = False
        unit_changed = False
        if p["unit"] is not None:
            unit_changed = self.file(p["unit_path"], p["unit"], "root", "root", 0o644)
            everything = unit_changed
        if p["ca_cert"]:
            # kuma-dp inlines the CA file into its Envoy's bootstrap when it starts. A file that keeps every CA it had
            # and adds one (the start of a CA roll) leaves a running Envoy verifying the CPs as before: no restart.
            # One that drops or replaces a CA restarts every proxy.
            ca_path = os.path.join(p["config_dir"], "ca.crt")
            before = pem_certificates(self.read(ca_path))
            ca_changed = self.file(ca_path, p["ca_cert"].strip() + "\n", "root", "root", 0o644)
            everything = (ca_changed and not (before and before <= pem_certificates(p["ca_cert"]))) or everything
        restart = []
        for proxy in proxies:
            name = proxy["name"]
            token_path = self.token_path(name)
            token = proxy.get("token")
            flat = self.token_dir(name)
            if self.fs.isfile(flat) or self.fs.islink(flat):
                # The old layout: its token moves into the proxy's directory (the env file changes: a restart).
                token = token or self.current_token(name)
                self.remove(flat)
            changed = False
            self.directory(self.token_dir(name), "root", user, 0o750)
            if token:
                changed = self.file(token_path, token.strip(), user, user, 0o600, secret=True)
                changed = changed and p["restart_on_new_token"]
            elif self.fs.exists(token_path):
                self.attributes(token_path, user, user, 0o600)
            elif not self.check:
                self.module.fail_json(msg="%s: no token given and none on the host" % name)
            self.directory(os.path.join(p["work_root"], name), user, user, 0o750)
            changed = self.file(os.path.join(p["config_dir"], name + ".env"), self.env_file(proxy),
                                "root", "root", 0o644) or changed
            if changed or everything:
                restart.append(name)
        edge_restart, edge_unit_changed = self.edges([x for x in proxies if x.get("edge")])
        if (unit_changed or edge_unit_changed) and not self.check:
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
        restart += self.run_edges([x["name"] for x in proxies if x.get("edge")], edge_restart)
        return restart, start, enable

    # -- Envoy edges of gateways (module_utils/_gateway.py) -------------------------------------
    def edges(self, proxies):
        """Write the edges' files where they differ: (names to restart, whether the edge unit changed).
        A changed configuration is checked by Envoy (--mode validate) before it replaces the one in use."""
        p = self.p
        if not proxies:
            return [], False
        user = p["user"]
        unit_changed = False
        if p["edge_unit"] is not None:
            unit_changed = self.file(p["edge_unit_path"], p["edge_unit"], "root", "root", 0o644)
        self.directory(os.path.join(p["config_dir"], EDGE_DIR), "root", user, 0o750)
        restart = []
        for proxy in proxies:
            edge, paths = proxy["edge"], edge_paths(p["config_dir"], proxy["name"])
            changed = False
            if edge.get("certificate"):
                changed = self.file(paths["certificate"], edge["certificate"].strip() + "\n", "root", "root", 0o644)
                changed = self.file(paths["key"], edge["key"].strip() + "\n", user, user, 0o600,
                                    secret="TLS key") or changed
            else:
                for key in ("certificate", "key"):
                    self.remove(paths[key])
            current = self.read(paths["config"])
            if current != edge["config"] and not self.check:
                self.validate_edge(proxy["name"], edge["config"])
            changed = self.file(paths["config"], edge["config"], "root", user, 0o640) or changed
            if changed or unit_changed:
                restart.append(proxy["name"])
        return restart, unit_changed

    def validate_edge(self, name, config):
        """Envoy's own check of a new edge configuration, before it is written; fails naming the edge."""
        fd, tmp = tempfile.mkstemp(dir=os.path.join(self.p["config_dir"], EDGE_DIR), prefix=".%s." % name,
                                   suffix=".json")
        try:
            os.write(fd, to_bytes(config))
            os.close(fd)
            rc, out, err = self.module.run_command([self.p["edge_envoy"], "--mode", "validate", "-c", tmp,
                                                    "--disable-hot-restart", "--log-level", "error"])
        finally:
            os.unlink(tmp)
        if rc != 0:
            self.module.fail_json(msg="edge of %s: Envoy refused its configuration (nothing replaced): %s"
                                  % (name, (err or out).strip()[-2000:]), files=self.files)

    def run_edges(self, names, restart):
        """Every edge enabled and running; the ones whose files changed restarted. Returns the restarted
        as kuma-edge@<name>."""
        states = self.unit_states(names, EDGE_UNIT)
        running = [n for n in names if states.get(n, (None, None))[0] == "active"]
        restart = [n for n in restart if n in running]
        start = [n for n in names if n not in running]
        enable = [n for n in names if states.get(n, (None, None))[1] != "enabled"]
        if enable or start:
            self.files.extend(EDGE_UNIT % n for n in sorted(set(enable + start)))
        if not self.check:
            if enable:
                self.systemctl("enable", *[EDGE_UNIT % n for n in enable])
            if restart:
                self.systemctl("restart", *[EDGE_UNIT % n for n in restart])
            if start:
                self.systemctl("start", *[EDGE_UNIT % n for n in start])
        return ["kuma-edge@%s" % n for n in restart]


def run_step(host):
    """One run of kuma.universal.dataplane_proxies (its option step) on host: the module's result, with the
    diff (the caller drops it outside diff mode). Bad input fails the module before anything is read."""
    module, p = host.module, host.module.params
    proxies = p["proxies"]
    names = [x["name"] for x in proxies]
    errors = check_input(p["step"], proxies, p["env"])
    if errors:
        module.fail_json(msg="; ".join(errors), errors=errors)
    step = p["step"]
    result = {"pruned": [], "pruned_meshes": []}
    if step == "read":
        host.check = True
    if step in ("prune", "read"):
        installed = host.installed()
        stale, meshes, tokens = host.prune(installed, names)
        edges = []
        if "dataplane" in p["prune_types"]:
            # An edge goes with its proxy (when that is pruned), or alone when its gateway lost the edge.
            edges = host.prune_edges([x["name"] for x in proxies if x.get("edge")], names if not p["prune"] else None)
        result.update(installed=installed, pruned=stale, pruned_meshes=meshes, tokens=tokens, pruned_edges=edges)
        changed = bool(stale or edges)
    if step == "read":
        files = len(host.files)
        restart, start, enable = host.converge(proxies) if proxies else ([], [], [])
        result.update(converged=not (host.files[files:] or restart or start or enable))
        changed = False
    elif step == "converge":
        restart, start, enable = host.converge(proxies)
        result.update(restarted=restart, started=start)
        changed = bool(host.files or restart or start or enable)
    result.update(changed=changed, files=host.files, diff=host.diff)
    return result
