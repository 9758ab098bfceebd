# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kuma.universal.kuma inventory plugin against a real kuma-cp: Dataplanes registered with
the collection's modules, one of them served by a real kuma-dp + Envoy, read back through
ansible-inventory --graph/--list and ansible's host patterns; the proxy goes offline when its
kuma-dp stops; the cache serves the old state until it is flushed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import requests

from conftest import ROOT, wait_for
from support.kuma_cp import free_port, terminate

MESHES = ("inv-apps", "inv-pay")
BIN = os.path.dirname(sys.executable)


def items(web_port):
    host = {"kuma.universal/host": "app-vm"}
    return [
        {"name": "web-1", "mesh": "inv-apps", "address": "127.0.0.1", "labels": host,
         "inbound": [{"port": web_port, "service_port": free_port(), "service_address": "127.0.0.1",
                      "tags": {"kuma.io/service": "web", "version": "v1"}}]},
        {"name": "redis-1", "mesh": "inv-apps", "address": "127.0.0.2", "labels": {"kuma.universal/host": "redis-vm"},
         "inbound": [{"port": 9001, "service_port": 6380, "tags": {"kuma.io/service": "redis", "version": "7"}}]},
        {"name": "redis-2", "mesh": "inv-apps", "address": "127.0.0.2", "labels": {"kuma.universal/host": "redis-vm"},
         "inbound": [{"port": 9002, "service_port": 6381, "tags": {"kuma.io/service": "redis", "version": "7"}}]},
        {"name": "pay-1", "mesh": "inv-pay", "address": "127.0.0.3",
         "inbound": [{"port": 9100, "service_port": 8100, "tags": {"kuma.io/service": "pay"}}]},
    ]


class KumaDp:
    """One real kuma-dp (with Envoy) for a registered Dataplane."""

    def __init__(self, cp, name, mesh, token):
        self.work = tempfile.mkdtemp(prefix="kdp-")  # short: Envoy's admin socket lives here
        token_file = os.path.join(self.work, "token")
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token)
        self.log_path = os.path.join(self.work, "kuma-dp.log")
        env = dict(os.environ, KUMA_READINESS_PORT=str(free_port()))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([
                str(cp.bin_dir / "kuma-dp"), "run", "--cp-address", cp.dp_address, "--ca-cert-file", cp.ca_cert,
                "--name", name, "--mesh", mesh, "--dataplane-token-file", token_file,
                "--binary-path", str(cp.bin_dir / "envoy"), "--dns-enabled=false", "--drain-time=1s",
                "--work-dir", os.path.join(self.work, "run")], env=env, stdout=log, stderr=subprocess.STDOUT)

    def output(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode(errors="replace")[-3000:]

    def stop(self):
        terminate(self.proc)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def empty(cp, mesh):
    for item in cp.get("/meshes/%s/dataplanes?size=1000" % mesh)["items"]:
        requests.delete("%s/meshes/%s/dataplanes/%s" % (cp.url, mesh, item["name"]), timeout=10).raise_for_status()


@pytest.fixture
def meshes(cp):
    """The test's own meshes, empty: nothing of the other tests shows in its inventory, and
    nothing of it stays for them."""
    for mesh in MESHES:
        if cp.get("/meshes/" + mesh) is None:
            cp.ensure_mesh(mesh)
        empty(cp, mesh)
    yield MESHES
    for mesh in MESHES:
        if cp.get("/meshes/" + mesh) is not None:
            empty(cp, mesh)
            requests.delete("%s/meshes/%s" % (cp.url, mesh), timeout=10).raise_for_status()


@pytest.fixture
def proxies():
    started = []
    yield started
    for dp in started:
        dp.cleanup()


def run(tool, *args):
    """One ansible CLI run with the project's settings and no KUMA_* from the caller."""
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, "build", "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",  # a plugin error fails the command
    })
    for var in ("KUMA_API_URL", "KUMA_API_TOKEN", "KUMA_CA_PATH"):
        env.pop(var, None)
    return subprocess.run([os.path.join(BIN, tool)] + list(args), env=env, capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=120)


def cli(tool, *args):
    proc = run(tool, *args)
    assert proc.returncode == 0, "%s %s failed:\n%s\n%s" % (tool, args, proc.stdout, proc.stderr)
    return proc.stdout


def plain(value):
    """ansible-inventory --list marks untrusted strings {"__ansible_unsafe": ...}; unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def graph(source, *extra):
    """{group: sorted hosts} from ansible-inventory --list, and the --graph text."""
    listed = json.loads(cli("ansible-inventory", "-i", source, "--list", *extra))
    groups = {name: sorted(data.get("hosts", [])) for name, data in listed.items()
              if name not in ("_meta", "all") and data.get("hosts")}
    return groups, plain(listed["_meta"]["hostvars"]), cli("ansible-inventory", "-i", source, "--graph", *extra)


def test_inventory_from_a_real_control_plane(cp, ansible, meshes, proxies, tmp_path):
    web_port = free_port()
    registered = ansible.run("dataplanes", {"dataplanes": items(web_port)})
    assert registered.get("failed") is not True and len(registered["created"]) == 4, registered.get("msg")
    issued = ansible.run("dataplane_token", {"name": "web-1", "mesh": "inv-apps",
                                             "tags": {"kuma.io/service": "web"}, "valid_for": "1h"})
    assert not issued.get("failed"), issued.get("msg")
    dp = KumaDp(cp, "web-1", "inv-apps", issued["token"])
    proxies.append(dp)

    def web_online():
        overview = cp.get("/meshes/inv-apps/dataplanes/web-1/_overview")
        subs = (overview.get("dataplaneInsight") or {}).get("subscriptions") or []
        return any(s.get("connectTime") and not s.get("disconnectTime") for s in subs)
    try:
        wait_for(web_online, 60, "web-1 online")
    except AssertionError:
        raise AssertionError("kuma-dp did not come online:\n" + dp.output())

    source = tmp_path / "kuma.yml"
    source.write_text(json.dumps({
        "plugin": "kuma.universal.kuma",
        "api_url": cp.url,
        "meshes": list(MESHES),
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(tmp_path / "cache"),
        "cache_timeout": 600,
        # ping runs here: the addresses are loopback aliases, nothing listens for SSH
        "compose": {"ansible_connection": "'local'", "ansible_python_interpreter": repr(sys.executable)},
        "keyed_groups": [{"key": "kuma_dp_version", "prefix": "kuma_dp", "default_value": "none"}],
    }))
    groups, hostvars, text = graph(str(source))
    assert groups == {
        "mesh_inv_apps": ["redis-1", "redis-2", "web-1"],
        "mesh_inv_pay": ["pay-1"],
        "service_web": ["web-1"],
        "service_redis": ["redis-1", "redis-2"],
        "service_pay": ["pay-1"],
        "tag_version_v1": ["web-1"],
        "tag_version_7": ["redis-1", "redis-2"],
        "tag_kuma_io_zone_default": ["pay-1", "redis-1", "redis-2", "web-1"],
        "online": ["web-1"],
        "offline": ["pay-1", "redis-1", "redis-2"],
        "host_app_vm": ["web-1"],
        "host_redis_vm": ["redis-1", "redis-2"],
        "kuma_dp_2_14_3": ["web-1"],
        "kuma_dp_none": ["pay-1", "redis-1", "redis-2"],
    }
    assert "--@online:" in text and "--@service_redis:" in text and "--web-1" in text  # the tree view
    web = hostvars["web-1"]
    assert web["ansible_host"] == "127.0.0.1" and web["kuma_online"] is True and web["kuma_host"] == "app-vm"
    assert web["kuma_dp_version"] == "2.14.3" and web["kuma_envoy_version"] == "1.38.2"
    assert web["kuma_networking"]["inbound"][0]["port"] == web_port
    assert hostvars["redis-2"]["ansible_host"] == "127.0.0.2" and hostvars["redis-2"]["kuma_online"] is False

    # The command: a pattern over the plugin's groups, then a module on those hosts.
    out = cli("ansible", "-i", str(source), "service_redis:&offline", "-m", "ansible.builtin.ping", "-o")
    assert sorted(line.split(" | ")[0] for line in out.splitlines() if " | SUCCESS" in line) == ["redis-1", "redis-2"]
    assert "web-1" not in out

    dp.stop()

    def web_offline():
        return not web_online()
    wait_for(web_offline, 30, "web-1 offline after kuma-dp stopped")
    cached, _vars, _text = graph(str(source))
    assert cached["online"] == ["web-1"]  # served from the cache: the control plane was not asked
    flushed, hostvars, text = graph(str(source), "--flush-cache")
    assert "online" not in flushed
    assert flushed["offline"] == ["pay-1", "redis-1", "redis-2", "web-1"]
    assert hostvars["web-1"]["kuma_online"] is False and hostvars["web-1"]["kuma_connect_time"] is None
    out = cli("ansible", "-i", str(source), "service_web:&offline", "-m", "ansible.builtin.ping", "-o")
    assert "web-1 | SUCCESS" in out


def test_unknown_mesh_fails_the_inventory_naming_it(cp, meshes, tmp_path):
    source = tmp_path / "kuma.yml"
    source.write_text(json.dumps({"plugin": "kuma.universal.kuma", "api_url": cp.url, "meshes": ["inv-nope"]}))
    proc = run("ansible-inventory", "-i", str(source), "--list")
    assert proc.returncode != 0
    assert "meshes: no mesh 'inv-nope' on the control plane at %s" % cp.url in proc.stderr
