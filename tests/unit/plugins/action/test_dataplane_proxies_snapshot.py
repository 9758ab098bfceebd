# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplane_proxies' read against a snapshot of the host (install_probe's dp_snapshot), which the
module's action plugin runs in the controller: the same result as the module's read of the host, or set aside.
(Controller code: apart from the module's tests, which ansible-test runs without the controller.)"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kuma.universal.plugins.action.dataplane_proxies import read_snapshot
from ansible_collections.kuma.universal.plugins.module_utils._proxies_fs import (
    SnapshotFs, SnapshotIncomplete, proxy_files, take_snapshot)
from ansible_collections.kuma.universal.plugins.modules import dataplane_proxies
from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run
# host is the module tests' fixture (a temporary tree, systemctl recorded), used here by name.
from ansible_collections.kuma.universal.tests.unit.plugins.modules.test_dataplane_proxies import (  # pylint: disable=unused-import
    EDGE, TWO, args, converged, edge_args, host, read, zone_env)


def snapshot(host, options, users=("root",), taken=None):
    """The host as install_probe's dp_snapshot takes it (systemctl: the recorder above)."""
    def systemctl_read(*cmd):
        return AnsibleModule.run_command(None, ["systemctl", *cmd])[1]

    config = options["config_dir"]
    roots = [[config, None], [options.get("tokens_dir") or os.path.join(config, "tokens"), None], [options["work_root"], 1]]
    units = [options["unit_path"], options.get("edge_unit_path", "/etc/systemd/system/kuma-edge@.service")]
    snap = json.loads(json.dumps(take_snapshot(systemctl_read, roots, units, list(users))))  # as it travels
    snap["read_at"] = time.time() if taken is None else taken
    return snap


def both_reads(host, options, capsys):
    """The module's read of the host and the read against a snapshot of it: the same result."""
    options = dict(options, step="read")
    on_host = run(dataplane_proxies, options, capsys, check_mode=True, diff=False)
    on_host.pop("invocation")
    on_host.pop("warnings", None)  # (the module's warnings: kept across runs in one process; those of the snapshot's
    calls = list(host["calls"])  # read are its own)
    from_snapshot = read_snapshot(dict(options, snapshot=snapshot(host, options)), diff=False)
    warnings = from_snapshot.pop("warnings", [])
    assert from_snapshot == on_host
    host["calls"][:] = calls  # the snapshot's own reads aside
    return dict(on_host, warnings=warnings)


def test_a_read_against_a_snapshot_is_the_read_of_the_host(host, capsys):
    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    assert both_reads(host, args(host, proxies), capsys)["converged"] is False  # nothing there yet
    converged(host, capsys)
    host["loaded"].update({"redis-0", "redis-1"})
    assert both_reads(host, args(host, proxies), capsys)["converged"] is True
    # Each difference the converge step would fix: an env file, the CA, a stopped or disabled unit, a token's mode
    # or owner, a new token, a work directory gone, the unit.
    env = os.path.join(host["config"], "redis-0.env")
    before = read(env)
    with open(env, "a") as handle:
        handle.write("KUMA_DNS_ENABLED=true\n")
    assert both_reads(host, args(host, proxies), capsys)["converged"] is False
    with open(env, "w") as handle:
        handle.write(before)
    other_ca = "-----BEGIN CERTIFICATE-----\nZ\n-----END CERTIFICATE-----\n"
    assert both_reads(host, args(host, proxies, ca_cert=other_ca), capsys)["converged"] is False
    for kind in ("active", "enabled"):
        host[kind].discard("redis-1")
        assert both_reads(host, args(host, proxies), capsys)["converged"] is False
        host[kind].add("redis-1")
    token = os.path.join(host["config"], "tokens", "redis-0", "token")
    os.chmod(token, 0o644)
    assert both_reads(host, args(host, proxies), capsys)["converged"] is False
    os.chmod(token, 0o600)
    os.chown(token, 1, 1)
    assert both_reads(host, args(host, proxies), capsys)["converged"] is False
    os.chown(token, 0, 0)
    new = [dict(TWO[0], token="token.zero.new")] + proxies[1:]
    assert both_reads(host, args(host, new), capsys)["converged"] is False
    os.rmdir(os.path.join(host["work"], "redis-1"))
    assert both_reads(host, args(host, proxies), capsys)["converged"] is False
    os.mkdir(os.path.join(host["work"], "redis-1"), 0o750)
    assert both_reads(host, args(host, proxies, unit="[Service]\nExecStart=other\n"), capsys)["converged"] is False
    result = both_reads(host, args(host, proxies), capsys)
    assert result["converged"] is True and result["tokens"] == {"redis-0": "token.zero.x", "redis-1": "token.one.x"}
    # What the prune would remove, by kind; a name the collection never writes is left alone with a warning.
    host["loaded"].add("orphan")
    zone_env(host, "ingress-0", "ingress")
    with open(os.path.join(host["config"], "Bad Name.env"), "w") as handle:
        handle.write("KUMA_DATAPLANE_MESH=default\n")
    result = both_reads(host, args(host, proxies, prune_types=["dataplane"]), capsys)
    assert result["pruned"] == ["orphan"] and result["converged"] is True
    assert result["warnings"] == ["left alone: a kuma-dp unit or env file in %s named 'Bad Name' is not a Dataplane name "
                                  "(lowercase letters, digits, '-' and '.')" % host["config"]]
    assert both_reads(host, args(host, proxies, prune=False), capsys)["pruned"] == []


def test_a_snapshot_read_of_edges_and_of_the_old_token_layout_is_the_read_of_the_host(host, capsys):
    run(dataplane_proxies, edge_args(host), capsys)
    host["active"].update({"edge-0", "redis-1", "edge:edge-0"})
    host["enabled"].update({"edge-0", "redis-1", "edge:edge-0"})
    host["loaded"].update({"edge-0", "redis-1", "edge:edge-0", "edge:gone"})
    assert both_reads(host, edge_args(host), capsys)["pruned_edges"] == ["gone"]
    assert both_reads(host, edge_args(host, dict(EDGE, config='{"new": 1}\n')), capsys)["converged"] is False
    assert host["validated"] == [EDGE["config"]]  # a read checks no configuration
    flat = os.path.join(host["config"], "tokens", "redis-1")
    shutil.rmtree(flat)
    with open(flat, "w") as handle:
        handle.write("token.one.flat")
    result = both_reads(host, edge_args(host), capsys)
    assert result["converged"] is False and result["tokens"]["redis-1"] == "token.one.flat"


def test_a_snapshot_that_cannot_answer_for_certain_is_set_aside(host, tmp_path, capsys):
    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    converged(host, capsys)
    host["loaded"].update({"redis-0", "redis-1"})  # (systemd lists every unit it runs)
    options = dict(args(host, proxies), step="read")
    snap = snapshot(host, options)
    assert read_snapshot(dict(options, snapshot=snap), diff=False)["converged"] is True
    with pytest.raises(SnapshotIncomplete, match="taken 400 s ago"):  # older than snapshot_max_age
        read_snapshot(dict(options, snapshot=dict(snap, read_at=time.time() - 400)), diff=False)
    with pytest.raises(SnapshotIncomplete, match="was not read"):  # options other than the snapshot's
        read_snapshot(dict(options, work_root=str(tmp_path / "elsewhere"), snapshot=snap), diff=False)
    with pytest.raises(SnapshotIncomplete, match="ids of root:root"):  # users it did not record
        read_snapshot(dict(options, snapshot=snapshot(host, options, users=())), diff=False)
    # A link on the way: the host would follow it, the snapshot did not.
    tokens = os.path.join(host["config"], "tokens")
    os.rename(tokens, str(tmp_path / "tokens-elsewhere"))
    os.symlink(str(tmp_path / "tokens-elsewhere"), tokens)
    with pytest.raises(SnapshotIncomplete, match="on its way was not followed"):
        read_snapshot(dict(options, snapshot=snapshot(host, options)), diff=False)
    # Bad input: the module refuses it, reading the host (one wording of the errors).
    with pytest.raises(SnapshotIncomplete, match="invalid options"):
        read_snapshot(dict(options, proxies=[{"readiness_port": 1}], snapshot=snap), diff=False)
    with pytest.raises(SnapshotIncomplete, match="no time of its read"):
        read_snapshot(dict(options, snapshot=dict(snap, read_at=None)), diff=False)
    # A path the host would resolve otherwise: '..' after a link, ~ or $VAR expanded with the host's environment.
    with pytest.raises(SnapshotIncomplete, match="not a plain absolute path"):
        read_snapshot(dict(options, config_dir=host["config"] + "/../etc", snapshot=snap), diff=False)
    for path in ("~/dp", "$HOME/dp"):
        with pytest.raises(SnapshotIncomplete, match="config_dir would be expanded on the host"):
            read_snapshot(dict(options, config_dir=path, snapshot=snap), diff=False)


def test_a_directory_the_snapshot_could_not_list_is_a_directory_whose_entries_are_unknown(host, tmp_path, monkeypatch):
    config = tmp_path / "etc"
    (config / "tokens" / "redis-0").mkdir(parents=True)
    (config / "tokens" / "redis-0" / "token").write_text("token.zero.x")
    real = os.listdir

    def listdir(path):
        if path.endswith("tokens"):
            raise PermissionError(path)
        return real(path)

    monkeypatch.setattr(os, "listdir", listdir)
    snap = take_snapshot(lambda *a: "", [[str(config), None]], [], ["root"])
    fs = SnapshotFs(snap)
    assert fs.isdir(str(config / "tokens")) and fs.lstat(str(config / "tokens"))[2] == stat.S_IMODE(os.stat(config / "tokens").st_mode)
    for read_ in (lambda: fs.listdir(str(config / "tokens")), lambda: fs.isfile(str(config / "tokens" / "redis-0" / "token"))):
        with pytest.raises(SnapshotIncomplete):
            read_()
    assert fs.listdir(str(config)) == ["tokens"]
    # Past the entry cap, a directory is recorded unlisted too.
    monkeypatch.setattr(os, "listdir", real)
    monkeypatch.setattr("ansible_collections.kuma.universal.plugins.module_utils._proxies_fs.MAX_ENTRIES", 2)
    fs = SnapshotFs(take_snapshot(lambda *a: "", [[str(config), None]], [], ["root"]))
    with pytest.raises(SnapshotIncomplete, match="not followed"):
        fs.isfile(str(config / "tokens" / "redis-0" / "token"))


def test_the_snapshot_of_install_probe_carries_the_proxies_files_only(tmp_path):
    config, tokens = str(tmp_path / "etc"), str(tmp_path / "etc" / "tokens")
    keep = proxy_files(config, tokens, ["/etc/systemd/system/kuma-dp@.service"])
    for path in ("etc/redis-0.env", "etc/ca.crt", "etc/edge/gw-0.key", "etc/edge/gw-0.json", "etc/tokens/redis-0/token",
                 "etc/tokens/redis-0"):
        assert keep(str(tmp_path / path)), path
    for path in ("etc/kuma-cp.env.bak/x.env", "etc/kuma-cp/secret.pem", "etc/notes.txt", "etc/edge/x/y", "lib/redis-0"):
        assert not keep(str(tmp_path / path)), path
    assert keep("/etc/systemd/system/kuma-dp@.service")


def test_the_action_reads_the_host_when_the_snapshot_cannot_answer(host, capsys, action_run):
    """The action plugin: a snapshot it can read answers without a module run; one it sets aside (too old) or
    cannot read at all (malformed) leaves the read to the module, with the snapshot's options not sent."""
    from ansible_collections.kuma.universal.plugins.action import dataplane_proxies as action

    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    converged(host, capsys)
    host["loaded"].update({"redis-0", "redis-1"})
    options = dict(args(host, proxies), step="read")
    run, sent, warned = action_run(action, {"changed": False, "converged": True}, check_mode=True)
    snap = snapshot(host, options)
    for given, read_from in ((snap, "snapshot"), (dict(snap, read_at=time.time() - 301), "host"),
                             (dict(snap, entries={host["config"]: 5}), "host")):
        result = run(dict(options, snapshot=given))
        assert result["read_from"] == read_from and result["converged"] is True
    assert len(sent) == 2 and not any(k in a for a in sent for k in ("snapshot", "snapshot_max_age"))
    assert warned == ["dataplane_proxies: the snapshot could not be read (TypeError), the host is read instead"]
