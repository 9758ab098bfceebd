# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: what kuma.universal.dataplane_proxies reads of a host, from the host itself (LocalFs) or from a
snapshot of it (SnapshotFs).

A snapshot is taken on the host by kuma.universal.install_probe (take_snapshot: the proxies' directories with
every entry's kind, owner, group, mode and, for a file, its text; the kuma-dp@ and kuma-edge@ instances systemd
has loaded and their states; the users' and groups' ids), in the module run that reads the release, so that a
converged host costs one module run. The read of dataplane_proxies (step read) can then run on the controller
against it (plugins/action/dataplane_proxies.py). SnapshotFs answers only what the snapshot holds for certain:
a path outside what was read, a symbolic link on the way, a file too large or not text raises SnapshotIncomplete,
and the caller reads the host instead. Not a public interface.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat

from ansible_collections.kuma.universal.plugins.module_utils._edge_files import EDGE_DIR

SNAPSHOT_FORMAT = 1
# A larger file (or one that is not UTF-8 text) is recorded without its content: a read of it is incomplete.
MAX_CONTENT = 256 * 1024
UNIT_PREFIXES = ("kuma-dp@", "kuma-edge@")


class SnapshotIncomplete(Exception):
    """The snapshot cannot answer for certain (the message says what): read the host instead."""


def parse_show(out, prefix):
    """{name: (ActiveState, UnitFileState)} of the `systemctl show --property=Id,ActiveState,UnitFileState`
    blocks whose unit is an instance <prefix><name>.service."""
    states = {}
    for block in out.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        unit_id = props.get("Id", "")
        if unit_id.startswith(prefix) and unit_id.endswith(".service"):
            states[unit_id[len(prefix):-len(".service")]] = (props.get("ActiveState"), props.get("UnitFileState"))
    return states


def parse_list_units(out, prefix):
    """The instance names of the `systemctl list-units --plain --no-legend` lines of unit <prefix><name>.service."""
    names = []
    for line in out.splitlines():
        unit_id = line.split()[0] if line.split() else ""
        if unit_id.startswith(prefix) and unit_id.endswith(".service"):
            names.append(unit_id[len(prefix):-len(".service")])
    return names


def list_units_args(prefixes):
    return ["list-units", "--all", "--plain", "--no-legend", "--type=service"] + [p + "*" for p in prefixes]


def show_args(units):
    return ["show", "--property=Id,ActiveState,UnitFileState"] + list(units)


class LocalFs:
    """The host itself (the module's run). systemctl_read(*args) runs a systemctl command that changes nothing."""

    def __init__(self, systemctl_read):
        self.systemctl_read = systemctl_read

    lexists = staticmethod(os.path.lexists)
    exists = staticmethod(os.path.exists)
    isfile = staticmethod(os.path.isfile)
    isdir = staticmethod(os.path.isdir)
    islink = staticmethod(os.path.islink)
    listdir = staticmethod(os.listdir)

    @staticmethod
    def lstat(path):
        st = os.lstat(path)
        return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)

    @staticmethod
    def read_bytes(path):
        """The content, or None when there is no such file."""
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError):  # (check mode: a directory not made yet)
            return None

    @staticmethod
    def ids(owner, group):
        """(uid, gid); KeyError when either does not exist."""
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid

    def loaded_instances(self, prefix):
        return parse_list_units(self.systemctl_read(*list_units_args([prefix])), prefix)

    def unit_states(self, prefix, names):
        return parse_show(self.systemctl_read(*show_args([prefix + n + ".service" for n in names])), prefix)


# -- the snapshot, taken on the host -------------------------------------------------------------------------
# An entry: [kind, uid, gid, mode, text]. kind: f (file), d (directory), u (a directory whose entries were not
# read: unreadable, or past MAX_ENTRIES), l (link), o (other), ? (could not be read); text: for a file keep()
# selects that is small UTF-8 text, else None.
MAX_ENTRIES = 4096


def _entry(path, keep):
    """The entry at path, or None when nothing is there."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return ["?", None, None, None, None]
    mode = st.st_mode
    kind = "f" if stat.S_ISREG(mode) else "d" if stat.S_ISDIR(mode) else "l" if stat.S_ISLNK(mode) else "o"
    text = None
    if kind == "f" and st.st_size <= MAX_CONTENT and keep(path):
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    return [kind, st.st_uid, st.st_gid, stat.S_IMODE(mode), text]


def _walk(root, depth, entries, keep):
    """Every entry under root (root included) down to depth levels below it (None: all), links not followed."""
    top = _entry(root, keep)
    if top is None:
        return
    entries[root] = top
    if top[0] != "d" or depth == 0:
        return
    try:
        names = sorted(os.listdir(root))
    except OSError:
        names = None
    if names is None or len(entries) + len(names) > MAX_ENTRIES:
        top[0] = "u"  # nothing under it is known
        return
    for name in names:
        _walk(os.path.join(root, name), None if depth is None else depth - 1, entries, keep)


def proxy_files(config_dir, tokens_dir, unit_paths):
    """keep() for take_snapshot: the files dataplane_proxies opens - the environment files and the CA in
    config_dir, the edges' files, every file under tokens_dir, the template units. Other files under the roots are
    recorded without their content (a broad config_dir such as /etc/kuma carries no one else's secrets)."""
    config, tokens, units = config_dir.rstrip("/") + "/", tokens_dir.rstrip("/") + "/", set(unit_paths)
    edges = config + EDGE_DIR + "/"

    def keep(path):
        if path in units or path.startswith(tokens):
            return True
        if path.startswith(edges):
            return "/" not in path[len(edges):]
        name = path[len(config):] if path.startswith(config) else "/"
        return "/" not in name and (name.endswith(".env") or name == "ca.crt")
    return keep


def take_snapshot(systemctl_read, roots, paths, users, keep=lambda path: True):
    """The host's proxies as SnapshotFs reads them. roots: [[directory, depth]] (depth None: every level);
    paths: single paths (the template units); users: names whose user and group ids are recorded; keep(path):
    whether a file's content is recorded (a read of a file recorded without it goes to the host).
    systemctl_read(*args) -> stdout, or None when systemctl cannot be asked (then no unit is known).
    Paths are recorded as given: SnapshotFs answers for none that has a '..' (a link before it would lead
    elsewhere)."""
    entries = {}
    for root, depth in roots:
        _walk(root, depth, entries, keep)
    for path in paths:
        found = _entry(path, keep)
        if found is not None:
            entries[path] = found
    units = None
    out = systemctl_read(*list_units_args(UNIT_PREFIXES))
    if out is not None:
        loaded = [prefix + name + ".service" for prefix in UNIT_PREFIXES for name in parse_list_units(out, prefix)]
        units = {}
        if loaded:
            shown = systemctl_read(*show_args(loaded))
            if shown is None:
                units = None
            else:
                for prefix in UNIT_PREFIXES:
                    for name, state in parse_show(shown, prefix).items():
                        units[prefix + name + ".service"] = list(state)
    ids = {"users": {}, "groups": {}}
    for name in users:
        try:
            ids["users"][name] = pwd.getpwnam(name).pw_uid
        except KeyError:
            ids["users"][name] = None
        try:
            ids["groups"][name] = grp.getgrnam(name).gr_gid
        except KeyError:
            ids["groups"][name] = None
    return {"format": SNAPSHOT_FORMAT, "roots": [list(r) for r in roots], "paths": list(paths), "entries": entries,
            "units": units, "ids": ids}


# -- the snapshot, read on the controller -------------------------------------------------------------------
def _clean(path):
    """path without repeated or trailing slashes; SnapshotIncomplete for a relative one or one with '..' or '.'."""
    parts = [p for p in str(path).split("/") if p]
    if not str(path).startswith("/") or any(p in (".", "..") for p in parts):
        raise SnapshotIncomplete("%s is not a plain absolute path" % path)
    return "/" + "/".join(parts)


class SnapshotFs:
    """LocalFs's reads answered from a snapshot (take_snapshot's result); SnapshotIncomplete where it cannot."""

    def __init__(self, snapshot):
        if not isinstance(snapshot, dict) or snapshot.get("format") != SNAPSHOT_FORMAT:
            raise SnapshotIncomplete("not a snapshot of format %d" % SNAPSHOT_FORMAT)
        try:
            self.entries = {_clean(p): e for p, e in (snapshot.get("entries") or {}).items()}
            self.roots = [(_clean(r), d) for r, d in snapshot.get("roots") or []]
            self.paths = {_clean(p) for p in snapshot.get("paths") or []}
        except SnapshotIncomplete as exc:
            raise SnapshotIncomplete("taken with a path that is not plain: %s" % exc) from exc
        self.units = snapshot.get("units")
        self.id_map = snapshot.get("ids") or {}

    def _under(self, path):
        """(root, depth, the components of path below it) for each root path is in."""
        for root, depth in self.roots:
            if path == root:
                yield root, depth, []
            elif path.startswith(root.rstrip("/") + "/"):
                yield root, depth, path[len(root.rstrip("/")) + 1:].split("/")

    def _get(self, path):
        """The entry at path (None: nothing there), following no link; SnapshotIncomplete unless the snapshot
        says for certain: under a root it walked deep enough, each directory on the way listed (one missing, or a
        file, means nothing is there), or one of its single paths."""
        path = _clean(path)
        known = path in self.paths
        for root, depth, parts in self._under(path):
            if depth is not None and len(parts) > depth:
                continue
            parent = root
            for part in parts:
                entry = self.entries.get(parent)
                if entry is None or entry[0] == "f":
                    return None
                if entry[0] != "d":
                    raise SnapshotIncomplete("%s: %s on its way was not followed" % (path, parent))
                parent = parent.rstrip("/") + "/" + part
            known = True
        if not known:
            raise SnapshotIncomplete("%s was not read" % path)
        entry = self.entries.get(path)
        if entry is not None and entry[0] == "?":
            raise SnapshotIncomplete("%s could not be read" % path)
        return entry

    def _followed(self, path):
        entry = self._get(path)
        if entry is not None and entry[0] == "l":
            raise SnapshotIncomplete("%s is a symbolic link" % path)
        return entry

    def lexists(self, path):
        return self._get(path) is not None

    def exists(self, path):
        return self._followed(path) is not None

    def isfile(self, path):
        entry = self._followed(path)
        return entry is not None and entry[0] == "f"

    def isdir(self, path):
        entry = self._followed(path)
        return entry is not None and entry[0] in ("d", "u")

    def islink(self, path):
        entry = self._get(path)
        return entry is not None and entry[0] == "l"

    def listdir(self, path):
        path = _clean(path)
        entry = self._followed(path)
        if entry is None:
            raise FileNotFoundError(path)
        if entry[0] != "d" or not any(d is None or len(parts) < d for dummy, d, parts in self._under(path)):
            raise SnapshotIncomplete("%s was not listed" % path)
        prefix = path.rstrip("/") + "/"
        return sorted(p[len(prefix):] for p in self.entries if p.startswith(prefix) and "/" not in p[len(prefix):])

    def lstat(self, path):
        entry = self._get(path)
        if entry is None:
            raise FileNotFoundError(path)
        return entry[1], entry[2], entry[3]

    def read_bytes(self, path):
        entry = self._followed(path)
        if entry is None:
            return None
        if entry[0] != "f" or entry[4] is None:
            raise SnapshotIncomplete("%s: its content was not read" % path)
        return entry[4].encode("utf-8")

    def ids(self, owner, group):
        users, groups = self.id_map.get("users") or {}, self.id_map.get("groups") or {}
        if owner not in users or group not in groups:
            raise SnapshotIncomplete("the ids of %s:%s were not read" % (owner, group))
        if users[owner] is None or groups[group] is None:
            raise KeyError(owner if users[owner] is None else group)
        return users[owner], groups[group]

    def _units(self, prefix):
        if self.units is None:
            raise SnapshotIncomplete("systemd's units were not read")
        if prefix not in UNIT_PREFIXES:
            raise SnapshotIncomplete("units %s* were not read" % prefix)
        return {u[len(prefix):-len(".service")]: tuple(s) for u, s in self.units.items() if u.startswith(prefix)}

    def loaded_instances(self, prefix):
        return sorted(self._units(prefix))

    def unit_states(self, prefix, names):
        # An instance systemd has not loaded is not active (nor, as far as this read goes, enabled: either way it
        # is started and enabled, as the host's own read would have it).
        units = self._units(prefix)
        return {n: units.get(n, ("inactive", None)) for n in names}
