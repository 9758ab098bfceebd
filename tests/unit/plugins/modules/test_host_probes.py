# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host modules that replace the roles' `python -c` probes (install_probe, control_plane_probe)
and the leader read (control_plane_status): what they read, and their control-plane calls through
the collection's client against the fake CP (errors are "not ready" / "not read", never failures)."""

from __future__ import annotations

import grp
import json
import hashlib
import os
import platform
import pwd

import pytest
import requests
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kuma.universal.plugins.module_utils import _api
from ansible_collections.kuma.universal.plugins.modules import control_plane_status, control_plane_probe, install_probe
from ansible_collections.kuma.universal.tests.unit.fakecp import response, run_module as run

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def test_install_probe_reads_release_users_and_links(tmp_path, capsys):
    prefix = tmp_path / "kuma"
    (prefix / "2.14.3" / "bin").mkdir(parents=True)
    for binary in ("kuma-dp", "envoy"):
        (prefix / "2.14.3" / "bin" / binary).write_text("")
    os.symlink(str(prefix / "2.14.3"), str(prefix / "current"))
    kumactl = tmp_path / "kumactl"
    os.symlink("/opt/kuma/current/bin/kumactl", str(kumactl))
    dangling = tmp_path / "gone"
    os.symlink("/nowhere", str(dangling))
    result = run(install_probe, {"prefix": str(prefix), "version": "2.14.3", "users": [ME, "no-such-user-x"],
                                 "paths": [str(dangling), str(tmp_path / "absent")], "kumactl_link": str(kumactl)},
                 capsys, check_mode=True)
    assert result["changed"] is False
    assert result["args"] == [str(prefix), "2.14.3", ME, "no-such-user-x"]
    assert result["binaries"] == ["envoy", "kuma-dp"]
    assert result["current"] == str(prefix / "2.14.3")
    assert result["kumactl"] == "/opt/kuma/current/bin/kumactl"
    assert result["paths"] == {str(dangling): True, str(tmp_path / "absent"): False}
    assert result["users"]["no-such-user-x"] is None and result["groups"]["no-such-user-x"] is None
    assert result["users"][ME]["uid"] == os.getuid() and result["users"][ME]["group"] == MY_GROUP


def test_install_probe_on_a_bare_host(tmp_path, capsys):
    result = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3", "kumactl_link": str(tmp_path / "k")},
                 capsys)
    assert (result["binaries"], result["current"], result["kumactl"], result["users"], result["paths"]) == (
        [], None, None, {}, {})
    assert result["sotw_proxies"] == []


def test_install_probe_todo_says_what_the_install_role_would_change(tmp_path, capsys):
    prefix = tmp_path / "kuma"
    (prefix / "2.14.3" / "bin").mkdir(parents=True)
    for binary in ("kuma-dp", "envoy"):
        (prefix / "2.14.3" / "bin" / binary).write_text("")
    base = {"prefix": str(prefix), "version": "2.14.3", "users": ["no-such-cp-x", "no-such-dp-x"],
            "kumactl_link": str(tmp_path / "kumactl")}
    want = {"components": ["kuma-dp", "envoy"], "dp_uid": 5678}
    result = run(install_probe, dict(base, want=want), capsys)
    assert result["want"] == dict(want, link_kumactl=True)
    assert result["todo"] == {"release": False, "missing": [], "cp_group": True, "cp_user": True, "dp_group": True,
                              "dp_user": True, "current": True, "kumactl": False, "kumactl_unlink": False}
    assert result["as_wanted"] is False
    os.symlink(str(prefix / "2.14.3"), str(prefix / "current"))
    os.symlink(str(prefix / "current" / "bin" / "kumactl"), str(tmp_path / "kumactl"))
    result = run(install_probe, dict(base, want=dict(want, components=["kuma-dp", "envoy", "kumactl"])), capsys)
    assert result["todo"]["missing"] == ["kumactl"] and result["todo"]["release"] is True
    assert result["todo"]["current"] is False and result["todo"]["kumactl"] is False
    # our link into a release without kumactl would dangle: removed
    assert run(install_probe, dict(base, want=want), capsys)["todo"]["kumactl_unlink"] is True
    # this test's own user is a login user with a home: not as the role makes a system user
    todo = run(install_probe, dict(base, users=[ME, ME], want=dict(want, dp_uid=os.getuid())), capsys)["todo"]
    assert todo["cp_user"] is True and todo["dp_user"] is True
    bare = run(install_probe, base, capsys)
    assert bare["todo"] == {} and bare["as_wanted"] is None
    result = run(install_probe, dict(base, users=[ME], want=want), capsys)
    assert result["failed"] is True and "want needs users" in result["msg"]


def test_install_probe_as_wanted_when_nothing_would_change(capsys, monkeypatch):
    nologin = {"group": None, "home": "/nonexistent", "shell": "/usr/sbin/nologin"}
    read = {"args": ["/opt/kuma", "2.14.3", "kuma-cp", "kuma-dp"], "binaries": ["envoy", "kuma-dp"],
            "users": {"kuma-cp": dict(nologin, uid=999, group="kuma-cp"), "kuma-dp": dict(nologin, uid=5678, group="kuma-dp")},
            "groups": {"kuma-cp": 999, "kuma-dp": 5678}, "current": "/opt/kuma/2.14.3", "kumactl": None}
    monkeypatch.setattr(install_probe, "probe", lambda *a, **k: dict(read, changed=False))
    args = {"prefix": "/opt/kuma", "version": "2.14.3", "users": ["kuma-cp", "kuma-dp"],
            "want": {"components": ["kuma-dp", "envoy"], "dp_uid": 5678}}
    result = run(install_probe, args, capsys)
    assert result["as_wanted"] is True and not any(result["todo"].values())
    read["current"] = "/opt/kuma/2.13.10"  # another release linked: the role would switch it
    result = run(install_probe, args, capsys)
    assert result["as_wanted"] is False and result["todo"]["current"] is True


def test_install_probe_returns_the_facts_the_roles_read(tmp_path, capsys, monkeypatch):
    def run_command(self, args, **kwargs):
        assert args[1:] == ["-4", "route", "get", "8.8.8.8"]
        return 0, "8.8.8.8 via 172.18.0.1 dev eth0 src 172.18.0.3 uid 0 \n    cache\n", ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/usr/sbin/ip")
    facts = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3", "gather_facts": True}, capsys)["ansible_facts"]
    assert facts["default_ipv4"] == {"address": "172.18.0.3", "interface": "eth0", "alias": "eth0",
                                     "gateway": "172.18.0.1"}
    assert facts["architecture"] == platform.machine() and facts["service_mgr"]
    monkeypatch.setattr(AnsibleModule, "run_command", lambda self, args, **kw: (2, "", "RTNETLINK answers: Network is unreachable"))
    facts = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3", "gather_facts": True}, capsys)["ansible_facts"]
    assert facts["default_ipv4"] == {}
    assert "ansible_facts" not in run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3"}, capsys)


def test_install_probe_names_the_proxies_not_on_delta_xds(tmp_path, capsys):
    env = tmp_path / "dp"
    env.mkdir()
    (env / "redis-2.env").write_text("KUMA_DATAPLANE_NAME=redis-2\n")
    (env / "redis-1.env").write_text("KUMA_DATAPLANE_NAME=redis-1\n# ...=DELTA_GRPC\n")
    (env / "web-1.env").write_text("A=1\nKUMA_DATAPLANE_RUNTIME_ENVOY_XDS_TRANSPORT_PROTOCOL_VARIANT=DELTA_GRPC\n")
    (env / "tokens").mkdir()
    result = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3", "dp_env_dir": str(env)}, capsys)
    assert result["sotw_proxies"] == ["redis-1", "redis-2"]
    result = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3", "dp_env_dir": str(tmp_path / "no")},
                 capsys)
    assert result["sotw_proxies"] == []


@pytest.fixture
def cp_host(tmp_path, monkeypatch, cp):
    binary = tmp_path / "kuma-cp"
    binary.write_text("")
    cert = tmp_path / "kuma-cp.crt"
    cert.write_bytes(b"PEM")
    conf = tmp_path / "kuma-cp.yaml"
    conf.write_text("x: 1\n")
    os.chmod(str(conf), 0o644)
    calls = []

    def run_command(self, args, **kwargs):
        calls.append(args)
        return 0, "UnitFileState=enabled\nActiveState=active\nNeedDaemonReload=no\n", ""

    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.run_command", run_command)
    monkeypatch.setattr("ansible.module_utils.basic.AnsibleModule.get_bin_path", lambda self, name, *a, **k: "/bin/" + name)
    return {"binary": str(binary), "cert": str(cert), "conf": str(conf), "dir": str(tmp_path), "calls": calls}


def test_control_plane_probe_reads_everything_in_one_run(cp_host, cp, capsys):
    cp.scripted.append(response(200, text="ok"))  # /ready
    args = {"binary": cp_host["binary"], "cert": cp_host["cert"], "meshes": ["default", "gone"],
            "paths": [cp_host["conf"], cp_host["dir"], cp_host["dir"] + "/absent"]}
    result = run(control_plane_probe, args, capsys, check_mode=True)
    assert result["changed"] is False and result["binary"] is True and result["requests"] is True
    assert result["ready"] is True
    assert result["unit"] == {"UnitFileState": "enabled", "ActiveState": "active", "NeedDaemonReload": "no"}
    assert cp_host["calls"] == [["/bin/systemctl", "show", "kuma-cp.service", "-p", "UnitFileState", "-p",
                                 "ActiveState", "-p", "NeedDaemonReload"]]
    assert result["cert"] == "UEVN"
    assert result["meshes"] == {"default": {"type": "Mesh", "name": "default"}, "gone": None}
    assert result["paths"][cp_host["conf"]] == [ME, MY_GROUP, "0644", hashlib.sha1(b"x: 1\n").hexdigest()]
    assert result["paths"][cp_host["dir"]][3] is None and result["paths"][cp_host["dir"] + "/absent"] is None
    ready, default, gone = cp.requests[-3:]
    assert ready[:2] == ("GET", "/ready") and "Authorization" not in ready[3]
    assert (default[:2], gone[:2]) == (("GET", "/meshes/default"), ("GET", "/meshes/gone"))


def test_control_plane_probe_not_ready_reads_no_mesh(cp_host, cp, capsys):
    cp.scripted.append(response(503, text="not ready"))
    before = len(cp.requests)
    result = run(control_plane_probe, {"binary": cp_host["binary"] + "-absent", "meshes": ["default"]}, capsys)
    assert (result["binary"], result["ready"], result["meshes"], result["cert"]) == (False, False, {}, "")
    assert len(cp.requests) == before + 1  # /ready once, no retry, no mesh read


def test_control_plane_probe_leaves_out_a_mesh_it_cannot_read(cp_host, cp, capsys):
    cp.scripted += [response(200, text="ok"), response(500, {"title": "boom"})]
    result = run(control_plane_probe, {"binary": cp_host["binary"], "meshes": ["default"]}, capsys)
    assert result["ready"] is True and result["meshes"] == {}


def test_control_plane_probe_unreachable_is_not_ready(cp_host, cp, capsys):
    cp.scripted.append(requests.exceptions.ConnectionError("[Errno 111] Connection refused"))
    result = run(control_plane_probe, {"binary": cp_host["binary"]}, capsys)
    assert result["ready"] is False


def test_install_probe_reads_a_control_plane_as_control_plane_probe_does(cp_host, cp, capsys, tmp_path):
    """install_probe's cp_snapshot is control_plane_probe's read, plus the options it was read with (every one, the
    defaults filled in: the control_plane role compares them with its whole request); none without the option."""
    options = {"binary": cp_host["binary"], "cert": cp_host["cert"], "meshes": ["default", "gone"],
               "paths": [cp_host["conf"], cp_host["dir"] + "/absent"]}
    cp.scripted.append(response(200, text="ok"))
    alone = run(control_plane_probe, options, capsys)
    cp.scripted.append(response(200, text="ok"))
    before = len(cp.requests)
    result = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3", "cp_snapshot": options}, capsys,
                 check_mode=True)
    snapshot = result["cp_snapshot"]
    assert snapshot.pop("args") == dict(options, diagnostics_url="http://127.0.0.1:5680", api_url="http://127.0.0.1:5681",
                                        unit="kuma-cp.service", timeout=5)
    assert snapshot == {k: alone[k] for k in ("binary", "requests", "unit", "ready", "cert", "meshes", "paths")}
    assert [r[1] for r in cp.requests[before:]] == ["/ready", "/meshes/default", "/meshes/gone"]
    assert "cp_snapshot" not in run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3"}, capsys)


def test_install_probe_masks_a_meshs_inline_secret_in_its_control_plane_read(cp_host, cp, capsys, tmp_path):
    cp.scripted.append(response(200, text="ok"))
    secret = "c2VjcmV0LWtleS1vZi10aGUtcHJvdmlkZWQtY2E="
    cp.store[("meshes", "default")]["mtls"] = {"enabledBackend": "ca-1", "backends": [
        {"name": "ca-1", "type": "provided", "conf": {"key": {"inline": secret}}}]}
    result = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3",
                                 "cp_snapshot": {"binary": cp_host["binary"], "meshes": ["default"]}}, capsys)
    assert secret not in json.dumps(result)
    assert result["cp_snapshot"]["meshes"]["default"]["mtls"]["backends"][0]["conf"]["key"]["inline"] == (
        "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")


def test_install_probe_refuses_a_bad_control_plane_api_url_naming_it(cp_host, cp, capsys, tmp_path):
    cp.scripted.append(response(200, text="ok"))
    result = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3",
                                 "cp_snapshot": {"binary": cp_host["binary"], "meshes": ["default"],
                                                 "api_url": "ftp://127.0.0.1:5681"}}, capsys)
    assert result["failed"] and "api_url" in result["msg"]


def test_control_plane_status(cp, capsys):
    cp.scripted += [response(200, text="ok"), response(200, text="# TYPE leader gauge\nleader{zone=\"default\"} 1\n")]
    result = run(control_plane_status, {}, capsys, check_mode=True)
    assert (result["changed"], result["ready"], result["leader"], result["state"]) == (False, True, True, "leader")
    ready, metrics = cp.requests[-2:]
    assert (ready[:2], metrics[:2]) == (("GET", "/ready"), ("GET", "/metrics"))
    assert "Authorization" not in metrics[3]


def test_control_plane_status_states(cp, capsys):
    for page, leader, state in (("leader 0\n", False, "follower"), ("kuma_build_info 1\n", None, "unreachable")):
        cp.scripted += [response(200, text="ok"), response(200, text=page)]
        result = run(control_plane_status, {"diagnostics_url": "http://127.0.0.1:6680/"}, capsys)
        assert (result["ready"], result["leader"], result["state"]) == (True, leader, state)
        assert cp.requests[-1][1] == "/metrics"
    cp.scripted += [response(503, text="starting"), response(503, text="")]
    result = run(control_plane_status, {}, capsys)
    assert (result["ready"], result["state"]) == (False, "unreachable")
    cp.scripted += [requests.exceptions.ConnectionError("[Errno 111] Connection refused")] * 2
    assert run(control_plane_status, {}, capsys)["ready"] is False


def test_diagnostics_helpers_map_every_error_to_not_read(cp):
    cp.scripted.append(requests.exceptions.ConnectTimeout("timed out"))
    assert _api.read_leader("http://127.0.0.1:5680/metrics") is None
    assert _api.read_ready("ftp://x/ready") is False  # refused by the client's URL check: not ready
    assert _api.leader_from_metrics(None) is None
    assert _api.leader_from_metrics("leader{zone=\"a\",x=\"y\"} 0\n") is False
    client = _api.diagnostics_client("http://127.0.0.1:5680/metrics", timeout=2)
    assert (client.base_url, client.retries, client.timeout) == ("http://127.0.0.1:5680", 0, 2)
    assert "Authorization" not in client.session.headers


def test_control_plane_probe_masks_inline_secrets_of_the_meshes(cp_host, cp, capsys):
    cp.scripted.append(response(200, text="ok"))  # /ready
    secret = "c2VjcmV0LWtleS1vZi10aGUtcHJvdmlkZWQtY2E="
    cp.store[("meshes", "default")]["mtls"] = {"enabledBackend": "ca-1", "backends": [
        {"name": "ca-1", "type": "provided", "conf": {"key": {"inline": secret}, "cert": {"secret": "ca-cert"}}}]}
    result = run(control_plane_probe, {"binary": cp_host["binary"], "meshes": ["default"]}, capsys)
    assert secret not in json.dumps(result)
    key = result["meshes"]["default"]["mtls"]["backends"][0]["conf"]["key"]["inline"]
    assert key == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result["meshes"]["default"]["mtls"]["backends"][0]["conf"]["cert"] == {"secret": "ca-cert"}


def overview(*subscriptions):
    return {"type": "ZoneOverview", "name": "zone-1", "zone": {"enabled": True},
            "zoneInsight": {"subscriptions": list(subscriptions)}}


def test_control_plane_status_reads_each_zones_connection_on_the_global(cp, capsys):
    """The zone wait of the control_plane role: connected = a subscription with connectTime and no disconnectTime."""
    cp.scripted += [response(200, text="ok"), response(200, text="leader 1\n"),
                    response(200, overview({"connectTime": "t0", "disconnectTime": "t1"}, {"connectTime": "t2"})),
                    response(200, overview({"connectTime": "t0", "disconnectTime": "t1"})),
                    response(404, {"title": "Could not find zone", "details": "Not found"})]
    result = run(control_plane_status, {"api_url": "http://127.0.0.1:6681", "zones": ["zone-1", "zone-2", "zone 3"]},
                 capsys, check_mode=True)
    assert result["changed"] is False and result["state"] == "leader"
    assert result["zones"] == {"zone-1": {"online": True, "connect_time": "t2"},
                               "zone-2": {"online": False, "connect_time": None},
                               "zone 3": {"online": False, "connect_time": None}}
    reads = cp.requests[-3:]
    assert [r[:2] for r in reads] == [("GET", "/zones/zone-1/_overview"), ("GET", "/zones/zone-2/_overview"),
                                      ("GET", "/zones/zone%203/_overview")]
    assert all("Authorization" not in r[3] for r in reads)


def test_control_plane_status_fails_with_the_clients_error_when_the_global_api_fails(cp, capsys):
    """Not swallowed as 'not connected': the module's error names the call and the status (no retry)."""
    cp.scripted += [response(200, text="ok"), response(200, text="leader 1\n"),
                    response(503, {"title": "store unavailable", "detail": "postgres down"})]
    before = len(cp.requests)
    result = run(control_plane_status, {"zones": ["zone-1"]}, capsys)
    assert result["failed"] is True
    assert result["msg"] == ("Kuma API GET /zones/zone-1/_overview failed: HTTP 503 store unavailable "
                             "(postgres down)")
    assert (result["status"], result["path"]) == (503, "/zones/zone-1/_overview")
    assert len(cp.requests) == before + 3  # /ready, /metrics, one zone read
    cp.scripted += [requests.exceptions.ConnectionError("[Errno 111] Connection refused")] * 3
    result = run(control_plane_status, {"zones": ["zone-1"]}, capsys)
    assert result["failed"] is True and "control plane unreachable at http://127.0.0.1:5681 after 1 attempts" in result["msg"]
    assert "Connection refused" in result["msg"]


def test_control_plane_status_refuses_a_bad_api_url_naming_it(cp, capsys):
    cp.scripted += [response(200, text="ok"), response(200, text="leader 1\n")]
    result = run(control_plane_status, {"api_url": "127.0.0.1:5681", "zones": ["zone-1"]}, capsys)
    assert result["failed"] is True and result["msg"].startswith("Invalid input: api_url: '127.0.0.1:5681' is not")


def test_install_probe_takes_a_snapshot_of_the_proxies(tmp_path, capsys, monkeypatch):
    calls = []

    def run_command(self, args, **kwargs):
        calls.append(args[1])
        if args[1] == "list-units":
            return 0, "kuma-dp@redis-0.service loaded active running x\nkuma-edge@gw-0.service loaded failed failed x\n", ""
        return 0, ("Id=kuma-dp@redis-0.service\nActiveState=active\nUnitFileState=enabled\n\n"
                   "Id=kuma-edge@gw-0.service\nActiveState=failed\nUnitFileState=enabled\n"), ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, *a, **k: "/bin/systemctl")
    config = tmp_path / "dp"
    (config / "tokens" / "redis-0").mkdir(parents=True)
    (config / "redis-0.env").write_text("KUMA_DATAPLANE_NAME=redis-0\n")
    (config / "tokens" / "redis-0" / "token").write_text("secret.token.x")
    (config / "big.env").write_bytes(b"x" * (256 * 1024 + 1))
    (config / "notes.txt").write_text("not the proxies'")
    (tmp_path / "lib" / "redis-0" / "deep").mkdir(parents=True)
    options = {"config_dir": str(config), "work_root": str(tmp_path / "lib"), "users": [ME, "no-such-user-x"],
               "unit_paths": [str(tmp_path / "kuma-dp@.service")]}
    snap = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3", "dp_snapshot": options}, capsys)["dp_snapshot"]
    entries = snap["entries"]
    assert entries[str(config / "redis-0.env")][0] == "f" and entries[str(config / "redis-0.env")][4] == "KUMA_DATAPLANE_NAME=redis-0\n"
    assert entries[str(config / "tokens" / "redis-0" / "token")][4] == "secret.token.x"  # the task is no_log
    assert entries[str(config / "big.env")][4] is None  # too large to carry: a read of it goes to the host
    assert entries[str(config / "notes.txt")][:1] == ["f"] and entries[str(config / "notes.txt")][4] is None
    assert str(tmp_path / "lib" / "redis-0") in entries and str(tmp_path / "lib" / "redis-0" / "deep") not in entries
    assert str(tmp_path / "kuma-dp@.service") not in entries  # does not exist
    assert snap["units"] == {"kuma-dp@redis-0.service": ["active", "enabled"], "kuma-edge@gw-0.service": ["failed", "enabled"]}
    assert calls == ["list-units", "show"]
    assert snap["ids"]["users"] == {ME: os.getuid(), "no-such-user-x": None}
    assert "dp_snapshot" not in run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3"}, capsys)


def test_a_short_inline_secret_is_masked_in_the_meshes_only(cp_host, cp, capsys, tmp_path):
    """install_probe returns the control plane's read beside the host's other reads: a mesh's inline secret is masked
    where it is (the meshes), never as a no_log value of the whole result, which would mangle every other "root"."""
    cp.scripted.append(response(200, text="ok"))
    cp.store[("meshes", "default")]["mtls"] = {"enabledBackend": "v", "backends": [
        {"name": "v", "type": "vault", "conf": {"fromCp": {"auth": {"token": {"inline": "root"}}}}}]}
    result = run(install_probe, {"prefix": str(tmp_path), "version": "2.14.3", "users": ["root"],
                                 "cp_snapshot": {"binary": cp_host["binary"], "meshes": ["default"]}}, capsys)
    assert result["args"][2] == "root" and result["users"]["root"]["uid"] == 0
    token = result["cp_snapshot"]["meshes"]["default"]["mtls"]["backends"][0]["conf"]["fromCp"]["auth"]["token"]
    assert token == {"inline": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
