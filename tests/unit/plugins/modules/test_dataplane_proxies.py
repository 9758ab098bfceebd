# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplane_proxies on a temporary tree, with systemctl recorded (not run)."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kuma.universal.plugins.modules import dataplane_proxies

USER = "root"  # the tests run as root; the role passes kuma-dp


@pytest.fixture
def host(tmp_path, monkeypatch):
    """systemctl as a recorder: units given in `active`/`enabled` report so."""
    state = {"calls": [], "active": set(), "enabled": set(), "loaded": set(), "validated": [], "envoy_rc": 0}

    def run_command(self, args, **kwargs):
        if args[0].endswith("envoy"):  # an edge configuration checked (--mode validate -c <file>)
            state["validated"].append(read(args[args.index("-c") + 1]))
            return state["envoy_rc"], "", "error: bad listener" if state["envoy_rc"] else ""
        assert args[0] == "systemctl"
        state["calls"].append(args[1:])
        if args[1] == "show":
            blocks = []
            for unit in args[3:]:
                # kuma-dp@<name> as <name>, kuma-edge@<name> as edge:<name>
                name = unit[len("kuma-dp@"):-len(".service")] if unit.startswith("kuma-dp@") else \
                    "edge:" + unit[len("kuma-edge@"):-len(".service")]
                blocks.append("Id=%s\nActiveState=%s\nUnitFileState=%s" % (
                    unit, "active" if name in state["active"] else "inactive",
                    "enabled" if name in state["enabled"] else "disabled"))
            return 0, "\n\n".join(blocks) + "\n", ""
        if args[1] == "list-units":
            out = ""
            if "kuma-dp@*" in args:
                out += "".join("kuma-dp@%s.service loaded active running x\n" % n for n in sorted(state["loaded"])
                               if not n.startswith("edge:"))
            if "kuma-edge@*" in args:
                out += "".join("kuma-edge@%s.service loaded active running x\n" % n[5:]
                               for n in sorted(state["loaded"]) if n.startswith("edge:"))
            return 0, out, ""
        return 0, "", ""

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    state["config"] = str(tmp_path / "etc")
    state["work"] = str(tmp_path / "lib")
    state["unit"] = str(tmp_path / "kuma-dp@.service")
    return state


def args(host, proxies, **kw):
    base = {"proxies": proxies, "config_dir": host["config"], "work_root": host["work"], "user": USER,
            "unit": "[Service]\nExecStart=/opt/kuma/current/bin/kuma-dp run\n", "unit_path": host["unit"],
            "ca_cert": "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n",
            "env": {"KUMA_CONTROL_PLANE_URL": "https://cp:5678", "KUMA_DNS_ENABLED": "false"}}
    base.update(kw)
    return base


TWO = [{"name": "redis-0", "readiness_port": 9902, "token": "token.zero.x"},
       {"name": "redis-1", "readiness_port": 9903, "token": "token.one.x"}]


def read(path):
    with open(path) as handle:
        return handle.read()


def test_first_run_writes_everything_and_starts_every_proxy(host, capsys):
    result = run(dataplane_proxies, args(host, TWO), capsys)
    assert result["changed"] is True
    assert result["started"] == ["redis-0", "redis-1"] and result["restarted"] == []
    env = read(os.path.join(host["config"], "redis-1.env"))
    assert "KUMA_CONTROL_PLANE_URL=https://cp:5678\n" in env
    assert "KUMA_DATAPLANE_NAME=redis-1\nKUMA_DATAPLANE_MESH=default\n" in env
    assert "KUMA_DATAPLANE_RUNTIME_TOKEN_PATH=%s/tokens/redis-1/token\n" % host["config"] in env
    assert "KUMA_READINESS_PORT=9903\n" in env
    token = os.path.join(host["config"], "tokens", "redis-0", "token")
    assert read(token) == "token.zero.x"
    assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(host["work"], "redis-0")).st_mode) == 0o750
    assert ["daemon-reload"] in host["calls"]
    assert ["enable", "kuma-dp@redis-0.service", "kuma-dp@redis-1.service"] in host["calls"]
    assert ["start", "kuma-dp@redis-0.service", "kuma-dp@redis-1.service"] in host["calls"]
    # Tokens are a no_log option: masked in the result, only named in the diff.
    assert "token.zero.x" not in str(result)
    assert any(d["after"] == "(token written)\n" for d in result["diff"])


def converged(host, capsys):
    run(dataplane_proxies, args(host, TWO), capsys)
    host["active"].update({"redis-0", "redis-1"})
    host["enabled"].update({"redis-0", "redis-1"})
    host["calls"].clear()


def test_a_converged_host_is_no_change_and_one_systemctl_read(host, capsys):
    converged(host, capsys)
    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    result = run(dataplane_proxies, args(host, proxies), capsys)
    assert result["changed"] is False and result["files"] == []
    assert host["calls"] == [["show", "--property=Id,ActiveState,UnitFileState",
                              "kuma-dp@redis-0.service", "kuma-dp@redis-1.service"]]


def test_drift_is_found_and_fixed(host, capsys):
    converged(host, capsys)
    env = os.path.join(host["config"], "redis-0.env")
    with open(env, "a") as handle:
        handle.write("KUMA_DNS_ENABLED=true\n")
    token = os.path.join(host["config"], "tokens", "redis-1", "token")
    os.chmod(token, 0o644)
    host["active"].discard("redis-1")  # a stopped unit
    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    result = run(dataplane_proxies, args(host, proxies), capsys)
    assert result["changed"] is True
    assert result["restarted"] == ["redis-0"] and result["started"] == ["redis-1"]
    assert "KUMA_DNS_ENABLED=true" not in read(env)
    assert stat.S_IMODE(os.stat(token).st_mode) == 0o600
    assert ["restart", "--no-block", "kuma-dp@redis-0.service"] in host["calls"]
    assert ["start", "kuma-dp@redis-1.service"] in host["calls"]


def test_a_new_token_restarts_its_proxy_unless_told_not_to(host, capsys):
    converged(host, capsys)
    new = [dict(TWO[0], token="token.zero.new"), {"name": "redis-1", "readiness_port": 9903}]
    result = run(dataplane_proxies, args(host, new), capsys)
    assert result["restarted"] == ["redis-0"]
    assert read(os.path.join(host["config"], "tokens", "redis-0", "token")) == "token.zero.new"
    new[0]["token"] = "token.zero.newer"
    result = run(dataplane_proxies, args(host, new, restart_on_new_token=False), capsys)
    assert result["changed"] is True and result["restarted"] == []


def test_a_unit_change_restarts_every_proxy(host, capsys):
    converged(host, capsys)
    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    result = run(dataplane_proxies, args(host, proxies, unit="[Service]\nExecStart=/bin/true\n"), capsys)
    assert result["restarted"] == ["redis-0", "redis-1"]
    assert ["daemon-reload"] in host["calls"]


def test_a_ca_file_that_only_adds_a_ca_restarts_nothing_one_that_drops_one_restarts_all(host, capsys):
    # The start of a CA roll adds the next CA: running Envoys keep verifying the CPs (cross-signed chain).
    old = "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n"
    new = "-----BEGIN CERTIFICATE-----\nY\n-----END CERTIFICATE-----\n"
    converged(host, capsys)
    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    result = run(dataplane_proxies, args(host, proxies, ca_cert=new + old), capsys)
    assert result["changed"] is True and result["restarted"] == []
    assert read(os.path.join(host["config"], "ca.crt")) == new + old
    assert not any(c[0] == "restart" for c in host["calls"])
    # Its finish drops the old CA: every proxy restarts to trust only the new one.
    result = run(dataplane_proxies, args(host, proxies, ca_cert=new), capsys)
    assert result["restarted"] == ["redis-0", "redis-1"]
    # A CA replaced outright restarts them too.
    result = run(dataplane_proxies, args(host, proxies, ca_cert=old), capsys)
    assert result["restarted"] == ["redis-0", "redis-1"]


def test_check_mode_changes_nothing_and_shows_the_diff(host, capsys):
    result = run(dataplane_proxies, args(host, TWO), capsys, check_mode=True)
    assert result["changed"] is True
    assert not os.path.exists(host["config"]) and not os.path.exists(host["unit"])
    assert all(c[0] in ("show", "list-units") for c in host["calls"])
    assert any(d["before_header"].endswith("redis-0.env") and "KUMA_READINESS_PORT=9902" in d["after"]
               for d in result["diff"])


def test_prune_stops_and_removes_what_left_and_reads_the_tokens(host, capsys):
    converged(host, capsys)
    host["loaded"].update({"redis-0", "redis-1", "orphan"})
    result = run(dataplane_proxies, {"step": "prune", "proxies": [{"name": "redis-0"}], "config_dir": host["config"],
                                     "work_root": host["work"]}, capsys)
    assert result["changed"] is True
    assert result["pruned"] == ["orphan", "redis-1"] and result["pruned_meshes"] == ["default"]
    assert result["tokens"] == {"redis-0": "token.zero.x"}
    assert ["disable", "--now", "kuma-dp@orphan.service", "kuma-dp@redis-1.service"] in host["calls"]
    # a host that never had an edge: no systemctl call for edges
    assert result["pruned_edges"] == [] and not any(c[-1] == "kuma-edge@*" for c in host["calls"])
    for path in ("redis-1.env", "tokens/redis-1"):
        assert not os.path.exists(os.path.join(host["config"], path))
    assert not os.path.exists(os.path.join(host["work"], "redis-1"))
    assert os.path.exists(os.path.join(host["config"], "redis-0.env"))


def test_prune_false_and_check_mode_only_read(host, capsys):
    converged(host, capsys)
    base = {"step": "prune", "proxies": [], "config_dir": host["config"], "work_root": host["work"]}
    result = run(dataplane_proxies, dict(base, prune=False), capsys)
    assert result["changed"] is False and result["pruned"] == []
    result = run(dataplane_proxies, base, capsys, check_mode=True)
    assert result["changed"] is True and result["pruned"] == ["redis-0", "redis-1"]
    assert os.path.exists(os.path.join(host["config"], "redis-1.env"))
    assert not any(c[0] == "disable" for c in host["calls"])


def test_bad_input_is_refused_before_any_change(host, capsys):
    result = run(dataplane_proxies, args(host, [{"name": "a"}, {"name": "a", "readiness_port": 1},
                                                {"name": "../x", "readiness_port": 2}],
                                         env={"BAD KEY": "x"}), capsys)
    assert result["failed"] is True
    assert "proxies[0].readiness_port: required with step=converge" in result["msg"]
    assert "proxies[1].name: a is already given as proxies[0]" in result["msg"]
    assert "proxies[2].name: '../x' is not a Dataplane name" in result["msg"]
    assert "env.BAD KEY" in result["msg"]
    assert host["calls"] == [] and not os.path.exists(host["config"])


def test_missing_binaries_are_named(host, capsys):
    result = run(dataplane_proxies, args(host, TWO, required_paths=["/nonexistent/kuma-dp"]), capsys)
    assert result["failed"] is True
    assert result["msg"] == "/nonexistent/kuma-dp missing: run kuma.universal.install first"


def test_a_proxy_of_its_own_env_gets_it_after_the_common_one(host, capsys):
    tp_args = "--transparent-proxy-config /etc/kuma/transparent-proxy.yaml"
    proxies = [dict(TWO[0], env={"KUMA_DP_ARGS": tp_args, "KUMA_DNS_ENABLED": "true"}), TWO[1]]
    result = run(dataplane_proxies, args(host, proxies), capsys)
    assert result["changed"] is True
    env0 = read(os.path.join(host["config"], "redis-0.env"))
    assert "KUMA_DP_ARGS=%s\n" % tp_args in env0
    assert "KUMA_DNS_ENABLED=true\n" in env0 and "KUMA_DNS_ENABLED=false" not in env0
    assert "KUMA_DP_ARGS" not in read(os.path.join(host["config"], "redis-1.env"))
    # The flag leaves: only that proxy restarts.
    host["active"].update({"redis-0", "redis-1"})
    host["enabled"].update({"redis-0", "redis-1"})
    result = run(dataplane_proxies, args(host, [{k: v for k, v in p.items() if k != "token"} for p in TWO]), capsys)
    assert result["restarted"] == ["redis-0"]


def test_a_bad_proxy_env_is_refused_naming_it(host, capsys):
    result = run(dataplane_proxies, args(host, [dict(TWO[0], env={"A B": "x"}), dict(TWO[1], env={"X": "a\nb"})]),
                 capsys)
    assert result["failed"] is True
    assert "proxies[0].env.A B" in result["msg"] and "proxies[1].env.X" in result["msg"]
    assert host["calls"] == [] and not os.path.exists(host["config"])


INGRESS = {"name": "zone-ingress", "readiness_port": 9910, "token": "zone.token.x", "proxy_type": "ingress",
           "resource": {"type": "ZoneIngress", "name": "zone-ingress",
                        "networking": {"address": "10.0.0.5", "port": 10001, "advertisedAddress": "10.0.0.5",
                                       "advertisedPort": 10001}}}


def test_a_zone_proxy_gets_its_resource_and_type_and_no_name_or_mesh(host, capsys):
    result = run(dataplane_proxies, args(host, TWO + [INGRESS]), capsys)
    assert result["changed"] is True and "zone-ingress" in result["started"]
    env = read(os.path.join(host["config"], "zone-ingress.env"))
    assert "KUMA_DATAPLANE_PROXY_TYPE=ingress\n" in env
    assert ("KUMA_DATAPLANE_RUNTIME_RESOURCE='{\"name\":\"zone-ingress\",\"networking\":{\"address\":\"10.0.0.5\","
            "\"advertisedAddress\":\"10.0.0.5\",\"advertisedPort\":10001,\"port\":10001},\"type\":\"ZoneIngress\"}'\n") in env
    assert "KUMA_DATAPLANE_NAME" not in env and "KUMA_DATAPLANE_MESH" not in env
    assert "KUMA_DATAPLANE_RUNTIME_TOKEN_PATH=%s/tokens/zone-ingress/token\n" % host["config"] in env
    token = os.path.join(host["config"], "tokens", "zone-ingress", "token")
    assert read(token) == "zone.token.x" and stat.S_IMODE(os.stat(token).st_mode) == 0o600
    assert "zone.token.x" not in str(result)
    # The sidecars' files are as before.
    assert "KUMA_DATAPLANE_NAME=redis-1\n" in read(os.path.join(host["config"], "redis-1.env"))
    # A moved port rewrites the file and restarts only that proxy.
    host["active"].update({"redis-0", "redis-1", "zone-ingress"})
    host["enabled"].update({"redis-0", "redis-1", "zone-ingress"})
    moved = dict(INGRESS, token=None, resource=dict(INGRESS["resource"], networking=dict(
        INGRESS["resource"]["networking"], advertisedPort=20001)))
    result = run(dataplane_proxies, args(host, TWO + [moved]), capsys)
    assert result["restarted"] == ["zone-ingress"]


@pytest.mark.parametrize("proxy, message", [
    (dict(INGRESS, resource=None), "proxies[0].resource: required with proxy_type ingress (the ZoneIngress entity)"),
    (dict(INGRESS, proxy_type="egress"), "proxies[0].resource.type: must be ZoneEgress for proxy_type egress"),
    (dict(INGRESS, resource=dict(INGRESS["resource"], name="other")), "proxies[0].resource.name: must be the proxy's name"),
    (dict(INGRESS, resource={"type": "ZoneIngress", "name": "zone-ingress"}), "proxies[0].resource.networking: required"),
    (dict(INGRESS, resource=dict(INGRESS["resource"], labels={"a": "it's"})), "single quote or a backslash"),
    (dict(TWO[0], resource={"type": "ZoneIngress"}), "proxies[0].resource: only a zone proxy"),
])
def test_a_bad_zone_proxy_is_refused_naming_the_field(host, capsys, proxy, message):
    result = run(dataplane_proxies, args(host, [proxy]), capsys)
    assert result["failed"] is True and message in result["msg"]
    assert host["calls"] == [] and not os.path.exists(host["config"])


def zone_env(host, name, kind):
    with open(os.path.join(host["config"], name + ".env"), "w") as handle:
        handle.write("KUMA_DATAPLANE_PROXY_TYPE=%s\nKUMA_READINESS_PORT=9990\n" % kind)


def test_prune_types_keep_the_proxies_of_a_kind_the_inventory_does_not_give(host, capsys):
    """Issue 21 item 3: an undefined kuma_sidecars leaves the host's sidecars alone (prune_types without
    dataplane), an undefined kuma_zone_proxies its zone proxies."""
    converged(host, capsys)
    zone_env(host, "zone-ingress-vm", "ingress")
    host["loaded"].update({"redis-0", "redis-1", "zone-ingress-vm"})
    base = {"step": "prune", "proxies": [], "config_dir": host["config"], "work_root": host["work"]}
    result = run(dataplane_proxies, dict(base, prune_types=["ingress", "egress"]), capsys, check_mode=True)
    assert result["pruned"] == ["zone-ingress-vm"]
    result = run(dataplane_proxies, dict(base, prune_types=["dataplane"]), capsys, check_mode=True)
    assert result["pruned"] == ["redis-0", "redis-1"]
    result = run(dataplane_proxies, dict(base, prune_types=[]), capsys)
    assert result["changed"] is False and result["pruned"] == []
    assert not any(c[0] == "disable" for c in host["calls"])
    assert result["installed"] == ["redis-0", "redis-1", "zone-ingress-vm"]


@pytest.mark.parametrize("proxy, field", [
    (dict(TWO[0], name="redis-0\nKUMA_DP_ARGS=--evil"), "proxies[0].name"),
    (dict(TWO[0], mesh="default\nKUMA_DP_ARGS=--evil"), "proxies[0].mesh"),
    (dict(TWO[0], env={"KUMA_DP_ARGS": 'a "quoted'}), "proxies[0].env.KUMA_DP_ARGS"),
    (dict(TWO[0], env={"KUMA_DP_ARGS": "line continued \\"}), "proxies[0].env.KUMA_DP_ARGS"),
    (dict(TWO[0], env={"KUMA_DP_ARGS": "carriage\rreturn"}), "proxies[0].env.KUMA_DP_ARGS"),
])
def test_what_systemd_would_read_as_syntax_is_refused_before_any_change(host, capsys, proxy, field):
    # A newline, a quote, a backslash or a control character in a value written to the env file
    # would add or swallow lines there (arbitrary kuma-dp settings): refused, naming the field.
    result = run(dataplane_proxies, args(host, [proxy]), capsys)
    assert result["failed"] is True and field in result["msg"], result["msg"]
    assert host["calls"] == [] and not os.path.exists(host["config"])


def test_names_read_back_from_disk_are_checked_before_anything_is_deleted(host, capsys, monkeypatch):
    # As on a managed host: warnings go into the result (in a process that imported controller code,
    # as the whole unit run does, Ansible would display them instead).
    monkeypatch.setattr("ansible.module_utils._internal.is_controller", False)
    converged(host, capsys)
    # Files the collection never writes: a name that is not a Dataplane name is left alone, with a warning.
    for bad in ("..", ".hidden", "Bad Name"):
        with open(os.path.join(host["config"], bad + ".env"), "w") as handle:
            handle.write("KUMA_DATAPLANE_MESH=default\n")
    os.makedirs(os.path.join(host["work"], "Bad Name"))
    result = run(dataplane_proxies, {"step": "prune", "proxies": [{"name": "redis-0"}], "config_dir": host["config"],
                                     "work_root": host["work"]}, capsys)
    assert result["pruned"] == ["redis-1"]
    # 2.19 returns each warning as a summary of its event
    warnings = [str(w.get("event", {}).get("msg") if isinstance(w, dict) else w) for w in result.get("warnings", [])]
    assert any("'..'" in w and "not a Dataplane name" in w for w in warnings), warnings
    assert os.path.isdir(host["work"]) and os.path.isdir(os.path.join(host["work"], "Bad Name"))
    for bad in ("..", ".hidden", "Bad Name"):
        assert os.path.exists(os.path.join(host["config"], bad + ".env"))


def test_tokens_dir_puts_the_token_files_where_rotation_reads_them(host, tmp_path, capsys):
    """tokens_dir (the role passes kuma_dp_tokens_dir) holds the token files instead of <config_dir>/tokens:
    written there, named in each env file, read back and pruned there."""
    tokens = str(tmp_path / "shared" / "tokens")
    run(dataplane_proxies, args(host, TWO, tokens_dir=tokens), capsys)
    assert read(os.path.join(tokens, "redis-0", "token")) == "token.zero.x"
    assert stat.S_IMODE(os.stat(os.path.join(tokens, "redis-1", "token")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(tokens, "redis-1")).st_mode) == 0o750
    assert not os.path.exists(os.path.join(host["config"], "tokens"))
    assert "KUMA_DATAPLANE_RUNTIME_TOKEN_PATH=%s/redis-1/token\n" % tokens in read(os.path.join(host["config"], "redis-1.env"))
    host["loaded"].update({"redis-0", "redis-1"})
    result = run(dataplane_proxies, {"step": "prune", "proxies": [{"name": "redis-0"}], "config_dir": host["config"],
                                     "tokens_dir": tokens, "work_root": host["work"]}, capsys)
    assert result["tokens"] == {"redis-0": "token.zero.x"} and result["pruned"] == ["redis-1"]
    assert not os.path.exists(os.path.join(tokens, "redis-1")) and os.path.exists(os.path.join(tokens, "redis-0"))


def test_a_token_of_the_old_flat_layout_moves_into_its_proxy_directory(host, capsys):
    # Issue 21 item 9: <tokens_dir>/<name> was the file; now a directory the unit shows to that proxy alone.
    converged(host, capsys)
    tokens = os.path.join(host["config"], "tokens")
    for name, token in (("redis-0", "token.zero.x"), ("redis-1", "token.one.x")):
        os.unlink(os.path.join(tokens, name, "token"))
        os.rmdir(os.path.join(tokens, name))
        with open(os.path.join(tokens, name), "w") as handle:
            handle.write(token)
    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    # The prune step reads the old files (dataplane_tokens then keeps them); check mode moves nothing.
    result = run(dataplane_proxies, {"step": "prune", "proxies": proxies, "config_dir": host["config"],
                                     "work_root": host["work"]}, capsys)
    assert result["tokens"] == {"redis-0": "token.zero.x", "redis-1": "token.one.x"}
    result = run(dataplane_proxies, args(host, proxies), capsys, check_mode=True)
    assert result["changed"] is True and os.path.isfile(os.path.join(tokens, "redis-0"))
    result = run(dataplane_proxies, args(host, proxies), capsys)
    assert result["restarted"] == ["redis-0", "redis-1"]
    assert read(os.path.join(tokens, "redis-1", "token")) == "token.one.x"
    assert stat.S_IMODE(os.stat(os.path.join(tokens, "redis-1", "token")).st_mode) == 0o600
    assert "token.one.x" not in str(result)
    result = run(dataplane_proxies, args(host, proxies), capsys)
    assert result["changed"] is False


# -- the Envoy edge of a gateway (kuma-edge@<name>) --------------------------------------------
EDGE_KEY = "-----BEGIN PRIVATE KEY-----\nsecret-key-body\n-----END PRIVATE KEY-----"
EDGE = {"config": '{"static_resources": {}}\n', "certificate": "-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----",
        "key": EDGE_KEY}


def edge_args(host, edge=None, **kw):
    proxies = [dict(TWO[0], name="edge-0", edge=dict(edge or EDGE)), TWO[1]]
    return args(host, proxies, edge_unit="[Service]\nExecStart=envoy\n", edge_unit_path=host["unit"] + ".edge",
                edge_envoy="/opt/kuma/current/bin/envoy", **kw)


def test_a_gateway_edge_is_written_checked_and_started_and_its_key_never_shown(host, capsys):
    result = run(dataplane_proxies, edge_args(host), capsys, diff=True)
    assert result["changed"] is True
    edge_dir = os.path.join(host["config"], "edge")
    assert read(os.path.join(edge_dir, "edge-0.json")) == EDGE["config"]
    assert host["validated"] == [EDGE["config"]]  # Envoy checked it before it was written
    key = os.path.join(edge_dir, "edge-0.key")
    assert read(key).strip() == EDGE_KEY and stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(edge_dir, "edge-0.json")).st_mode) == 0o640
    assert ["enable", "kuma-edge@edge-0.service"] in host["calls"]
    assert ["start", "kuma-edge@edge-0.service"] in host["calls"]
    assert "secret-key-body" not in str(result)
    assert any(d["before_header"].endswith("edge-0.key") and d["after"] == "(TLS key written)\n" for d in result["diff"])

    # converged: nothing written, nothing checked, nothing restarted
    host["active"].update({"edge-0", "redis-1", "edge:edge-0"})
    host["enabled"].update({"edge-0", "redis-1", "edge:edge-0"})
    host["calls"].clear()
    again = run(dataplane_proxies, edge_args(host), capsys)
    assert again["changed"] is False and host["validated"] == [EDGE["config"]]
    assert not any(c[0] in ("restart", "start", "enable") for c in host["calls"])

    # a new route: checked, written, the edge alone restarted
    again = run(dataplane_proxies, edge_args(host, dict(EDGE, config='{"new": 1}\n')), capsys)
    assert again["restarted"] == ["kuma-edge@edge-0"]
    assert ["restart", "kuma-edge@edge-0.service"] in host["calls"]
    assert not any(c[0] == "restart" and "kuma-dp@edge-0.service" in c for c in host["calls"])


def test_an_edge_configuration_envoy_refuses_replaces_nothing(host, capsys):
    run(dataplane_proxies, edge_args(host), capsys)
    host["active"].add("edge:edge-0")
    host["calls"].clear()
    host["envoy_rc"] = 1
    result = run(dataplane_proxies, edge_args(host, dict(EDGE, config='{"bad": 1}\n')), capsys)
    assert result["failed"] is True
    assert "edge of edge-0: Envoy refused its configuration (nothing replaced): error: bad listener" in result["msg"]
    assert read(os.path.join(host["config"], "edge", "edge-0.json")) == EDGE["config"]
    assert not any(c[0] == "restart" for c in host["calls"])
    assert [f for f in os.listdir(os.path.join(host["config"], "edge")) if f.startswith(".")] == []


def test_check_mode_shows_a_new_edge_and_writes_nothing(host, capsys):
    result = run(dataplane_proxies, edge_args(host), capsys, check_mode=True, diff=True)
    assert result["changed"] is True and host["validated"] == []
    assert not os.path.exists(host["config"])  # nothing written, the proxy's files neither
    assert any(d["before_header"].endswith("edge-0.json") for d in result["diff"])


def test_prune_removes_the_edges_whose_proxy_left_or_lost_its_edge(host, capsys):
    run(dataplane_proxies, edge_args(host), capsys)
    run(dataplane_proxies, args(host, [dict(TWO[1], name="edge-1", edge=dict(EDGE))],
                                edge_envoy="/opt/kuma/current/bin/envoy"), capsys)
    host["loaded"].update({"edge:edge-0", "edge:edge-1"})
    host["calls"].clear()
    base = {"step": "prune", "config_dir": host["config"], "work_root": host["work"]}
    # edge-1 stays a proxy but without its edge; edge-0 left the inventory
    check = run(dataplane_proxies, dict(base, proxies=[{"name": "edge-1"}, {"name": "redis-1"}]), capsys,
                check_mode=True)
    assert check["pruned_edges"] == ["edge-0", "edge-1"] and not any(c[0] == "disable" for c in host["calls"])
    result = run(dataplane_proxies, dict(base, proxies=[{"name": "edge-1"}, {"name": "redis-1"}]), capsys)
    assert result["changed"] is True and result["pruned_edges"] == ["edge-0", "edge-1"]
    assert ["disable", "--now", "kuma-edge@edge-0.service", "kuma-edge@edge-1.service"] in host["calls"]
    assert os.listdir(os.path.join(host["config"], "edge")) == []
    # prune off: a left proxy keeps its edge, a kept one without edge loses it
    run(dataplane_proxies, edge_args(host), capsys)
    result = run(dataplane_proxies, dict(base, prune=False, proxies=[{"name": "redis-1"}]), capsys)
    assert result["pruned_edges"] == []


def test_an_edge_without_its_unit_is_refused_before_any_change(host, capsys):
    proxies = [dict(TWO[0], name="edge-0", edge=dict(EDGE))]
    result = run(dataplane_proxies, args(host, proxies, edge_unit_path=host["unit"] + ".edge"), capsys)
    assert result["failed"] and "proxies edge-0 have an edge: give edge_unit" in result["msg"]
    assert not os.path.exists(host["config"])  # nothing written, the proxy's files neither


def test_read_tells_a_converged_host_from_one_that_differs_and_changes_nothing(host, capsys):
    # Nothing on the host yet: everything differs, nothing is written, no systemctl call changes state.
    proxies = [{k: v for k, v in p.items() if k != "token"} for p in TWO]
    result = run(dataplane_proxies, args(host, proxies, step="read"), capsys)
    assert result["converged"] is False and result["changed"] is False
    assert not os.path.exists(host["config"]) and not os.path.exists(host["unit"])
    assert all(c[0] in ("show", "list-units") for c in host["calls"])
    converged(host, capsys)
    host["loaded"].update({"redis-0", "redis-1"})
    result = run(dataplane_proxies, args(host, proxies, step="read"), capsys)
    assert result["converged"] is True and result["pruned"] == [] and result["changed"] is False
    assert result["tokens"] == {"redis-0": "token.zero.x", "redis-1": "token.one.x"}
    # Each difference the converge step would fix is seen: an env file, the CA, a stopped or disabled unit.
    env = os.path.join(host["config"], "redis-0.env")
    with open(env, "a") as handle:
        handle.write("KUMA_DNS_ENABLED=true\n")
    assert run(dataplane_proxies, args(host, proxies, step="read"), capsys)["converged"] is False
    assert "KUMA_DNS_ENABLED=true" in read(env)  # read only
    run(dataplane_proxies, args(host, proxies), capsys)  # fixed
    host["calls"].clear()
    other_ca = "-----BEGIN CERTIFICATE-----\nZ\n-----END CERTIFICATE-----\n"
    assert run(dataplane_proxies, args(host, proxies, step="read", ca_cert=other_ca), capsys)["converged"] is False
    host["active"].discard("redis-1")
    assert run(dataplane_proxies, args(host, proxies, step="read"), capsys)["converged"] is False
    host["active"].add("redis-1")
    host["enabled"].discard("redis-0")
    assert run(dataplane_proxies, args(host, proxies, step="read"), capsys)["converged"] is False
    host["enabled"].add("redis-0")
    # A proxy to prune is reported (pruned), apart from converged; a proxy with a new token would change.
    host["loaded"].add("orphan")
    result = run(dataplane_proxies, args(host, proxies, step="read"), capsys)
    assert result["converged"] is True and result["pruned"] == ["orphan"]
    assert run(dataplane_proxies, args(host, TWO[:1] + proxies[1:], step="read"), capsys)["converged"] is True
    new = [dict(TWO[0], token="token.zero.new")] + proxies[1:]
    assert run(dataplane_proxies, args(host, new, step="read"), capsys)["converged"] is False
    assert read(os.path.join(host["config"], "tokens", "redis-0", "token")) == "token.zero.x"
    assert not any(c[0] in ("enable", "start", "restart", "disable", "daemon-reload") for c in host["calls"])
