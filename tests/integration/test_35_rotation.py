# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signing keys, revocation and the rotate_tokens playbook against a real kuma-cp with real
kuma-dp + Envoy processes on loopback. Each test has its own control plane (reloadable tokens
on, as the control_plane role configures it), so the shared one is never touched."""

from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import PYTHON, ROOT, SETTINGS, Ansible, wait_for
from support.kuma_cp import free_port, terminate

MESH = "default"


def kid_of(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def claims_of(token):
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class Proxy:
    """One kuma-dp + Envoy with its token in token_dir/<name>/token, as the sidecar role lays it out."""

    def __init__(self, cp, name, token_dir, token):
        self.cp, self.name = cp, name
        os.makedirs(os.path.join(token_dir, name), exist_ok=True)
        self.token_file = os.path.join(token_dir, name, "token")
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token)
        self.work = tempfile.mkdtemp(prefix="kdp-")  # short: Envoy's admin socket lives here
        self.proc = None
        self.log = None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.work, "kuma-dp.log"), "ab")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, KUMA_READINESS_PORT=str(free_port()))
        self.proc = subprocess.Popen([
            str(self.cp.bin_dir / "kuma-dp"), "run", "--cp-address", self.cp.dp_address,
            "--ca-cert-file", self.cp.ca_cert, "--name", self.name, "--mesh", MESH,
            "--dataplane-token-file", self.token_file, "--binary-path", str(self.cp.bin_dir / "envoy"),
            "--dns-enabled=false", "--drain-time=1s", "--work-dir", os.path.join(self.work, "run")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        terminate(self.proc)
        if self.log:
            self.log.close()
            self.log = None

    def output(self):
        with open(os.path.join(self.work, "kuma-dp.log"), "rb") as handle:
            return handle.read().decode(errors="replace")[-3000:]

    def token(self):
        with open(self.token_file) as handle:
            return handle.read()


@pytest.fixture
def rotation_cp(toolchain):
    """A control plane of this test, reloadable tokens on (kuma-cp's env key, checked in 2.14.3
    pkg/config/dp-server: kuma_dp_server_authn_enable_reloadable_tokens)."""
    plane = toolchain.control_plane("kuma-cp-rotation-%d" % free_port(),
                                    env=dict(SETTINGS, KUMA_DP_SERVER_AUTHN_ENABLE_RELOADABLE_TOKENS="true"))
    plane.start()
    try:
        plane.ensure_mesh(MESH)
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def proxies():
    started = []
    yield started
    for proxy in started:
        proxy.stop()
        shutil.rmtree(proxy.work, ignore_errors=True)


def connections(cp):
    """{name: id of its open xDS subscription} of the online proxies."""
    data = requests.get(cp.url + "/meshes/%s/dataplanes+insights" % MESH, timeout=10).json()
    online = {}
    for item in data.get("items", []):
        subs = (item.get("dataplaneInsight") or {}).get("subscriptions") or []
        if subs and subs[-1].get("connectTime") and not subs[-1].get("disconnectTime"):
            online[item["name"]] = subs[-1].get("id")
    return online


def online_names(cp):
    return set(connections(cp))


def register_and_start(cp, ansible, proxies, names, token_dir):
    os.makedirs(token_dir, exist_ok=True)
    for name in names:
        result = ansible.run("dataplane", {
            "name": name, "mesh": MESH, "address": "127.0.0.1",
            "inbound": [{"port": free_port(), "service_port": free_port(), "service_address": "127.0.0.1",
                         "tags": {"kuma.io/service": name.rsplit("-", 1)[0]}}]})
        assert not result.get("failed"), result.get("msg")
    issued = ansible.run("dataplane_tokens", {"tokens": [
        {"name": n, "mesh": MESH, "tags": {"kuma.io/service": n.rsplit("-", 1)[0]}} for n in names]})
    assert issued["changed"] is True, issued.get("msg")
    started = [Proxy(cp, t["name"], token_dir, t["token"]) for t in issued["tokens"]]
    proxies.extend(started)
    return started


def wait_online(cp, names, proxies, timeout=60):
    try:
        wait_for(lambda: set(names) <= online_names(cp), timeout, "%s online" % ", ".join(names))
    except AssertionError:
        raise AssertionError("\n".join(p.name + ":\n" + p.output() for p in proxies if p.name in names))


def test_signing_key_module_and_revocation(rotation_cp, tmp_path, proxies):
    cp = rotation_cp
    ansible = Ansible(cp, tmp_path)
    listed, check, added, again = ansible.play(
        ("dataplane_signing_key", {"mesh": MESH}),
        {"module": "dataplane_signing_key", "args": {"mesh": MESH, "state": "next"}, "check_mode": True},
        ("dataplane_signing_key", {"mesh": MESH, "state": "next"}),
        ("dataplane_signing_key", {"mesh": MESH, "serial": 2}))
    assert (listed["changed"], listed["serials"]) == (False, [1]), listed.get("msg")
    assert (check["changed"], check["serials"]) == (True, [1, 2])
    assert (added["changed"], added["serials"], added["latest"]) == (True, [1, 2], 2), added.get("msg")
    assert again["changed"] is False
    secret = cp.get("/meshes/%s/secrets/dataplane-token-signing-key-%s-2" % (MESH, MESH))
    assert base64.b64decode(secret["data"]).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert secret["data"] not in json.dumps([listed, check, added, again])

    # kuma-cp signs with the highest serial, our key, and accepts what it signed.
    web1, web2 = register_and_start(cp, ansible, proxies, ["web-1", "web-2"], str(tmp_path / "tokens"))
    assert kid_of(web1.token()) == "2" and kid_of(web2.token()) == "2"
    wait_online(cp, ["web-1", "web-2"], proxies)

    revoked, kept = ansible.play(
        ("dataplane_token_revocations", {"mesh": MESH, "tokens": [web1.token()]}),
        ("dataplane_token", {"name": "web-1", "mesh": MESH, "tags": {"kuma.io/service": "web"},
                             "current_token": web1.token()}))
    jti = claims_of(web1.token())["jti"]
    assert revoked["changed"] is True and revoked["revoked"] == [jti], revoked.get("msg")
    secret = cp.get("/global-secrets/dataplane-token-revocations-%s" % MESH)
    assert base64.b64decode(secret["data"]).decode() == jti
    # The token module reads the same list, and refuses to replace the revoked token silently.
    assert kept.get("failed") is True and "the token in hand for %s/web-1 was revoked" % MESH in kept["msg"], kept

    # Only checked when a proxy connects: both are still online until they restart.
    assert {"web-1", "web-2"} <= online_names(cp)
    for proxy in (web1, web2):
        proxy.stop()
    wait_for(lambda: not ({"web-1", "web-2"} & online_names(cp)), 30, "both proxies offline")
    for proxy in (web1, web2):
        proxy.start()
    wait_online(cp, ["web-2"], proxies)
    time.sleep(10)
    assert "web-1" not in online_names(cp), "a revoked token connected"
    assert "revoked" in web1.output(), web1.output()

    # The next deploy does not let it back in without a word: the batch module refuses the revoked token
    # before issuing any (web-2's token is good, nothing is written), and issues it when told to.
    tokens = [{"name": n, "mesh": MESH, "tags": {"kuma.io/service": "web"}, "current_token": p.token()}
              for n, p in (("web-2", web2), ("web-1", web1))]
    refused, allowed = ansible.play(
        ("dataplane_tokens", {"tokens": tokens}),
        ("dataplane_tokens", {"tokens": tokens, "reissue_revoked": True}))
    assert refused.get("failed") is True
    assert "tokens[1].current_token: the token in hand for %s/web-1 was revoked" % MESH in refused["msg"]
    assert web1.token() not in refused["msg"]
    assert [(t["name"], t["changed"], t["reason"]) for t in allowed["tokens"]] == [
        ("web-2", False, "valid"), ("web-1", True, "revoked")]
    new_jti = claims_of(allowed["tokens"][1]["token"])["jti"]
    assert new_jti != jti


def run_playbook(cp, tmp_path, hosts, extra, verbose=False, check=False):
    """ansible-playbook kuma.universal.rotate_tokens on loopback: cp and each host are localhost."""
    user = pwd.getpwuid(os.getuid()).pw_name
    inventory = {"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": PYTHON},
        "children": {
            "kuma_control_plane": {"hosts": {"cp": {}}},
            "kuma_dataplanes": {"hosts": {h: {"kuma_dp_tokens_dir": d} for h, d in hosts.items()}},
        }}}
    (tmp_path / "inventory.yml").write_text(json.dumps(inventory))
    extra = dict({"rotate_api_url": cp.url, "rotate_become": False, "rotate_token_owner": user,
                  "rotate_online_delay": 1}, **extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build", "collections"), ANSIBLE_NOCOLOR="1")
    cmd = [os.path.join(os.path.dirname(PYTHON), "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"),
           "-e", json.dumps(extra), "kuma.universal.rotate_tokens"]
    if verbose:
        cmd.append("-vvv")
    if check:
        cmd.append("--check")
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    return proc, time.monotonic() - started


class Watch(threading.Thread):
    """Samples which proxies are online every 0.5 s while the playbook runs."""

    def __init__(self, cp, names):
        super().__init__(daemon=True)
        self.cp, self.names, self.samples, self.missing = cp, set(names), 0, []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                absent = self.names - online_names(self.cp)
            except requests.RequestException as exc:
                absent = {"(API: %s)" % exc.__class__.__name__}
            self.samples += 1
            if absent:
                self.missing.append(sorted(absent))
            self.done.wait(0.5)


def test_rotate_tokens_playbook_without_downtime(rotation_cp, tmp_path, proxies):
    cp = rotation_cp
    ansible = Ansible(cp, tmp_path)
    dirs = {"vm1": str(tmp_path / "vm1" / "tokens"), "vm2": str(tmp_path / "vm2" / "tokens")}
    names = ["web-1", "web-2", "api-1"]
    register_and_start(cp, ansible, proxies, names[:2], dirs["vm1"])
    register_and_start(cp, ansible, proxies, names[2:], dirs["vm2"])
    wait_online(cp, names, proxies)
    before = {p.name: p.token() for p in proxies}
    assert {kid_of(t) for t in before.values()} == {"1"}

    # --check: nothing written, neither keys nor token files.
    proc, _seconds = run_playbook(cp, tmp_path, dirs, {}, check=True)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert ansible.run("dataplane_signing_key", {"mesh": MESH})["serials"] == [1]
    assert {p.name: p.token() for p in proxies} == before

    watch = Watch(cp, names)
    watch.start()
    proc, seconds = run_playbook(cp, tmp_path, dirs, {}, verbose=True)
    watch.done.set()
    watch.join()
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    print("rotation: %.1f s, %d online samples, offline: %s" % (seconds, watch.samples, watch.missing))
    assert watch.samples > 5 and watch.missing == []

    # Key 2 signs every token file, key 1 is gone; each file 0600 and new.
    serials = ansible.run("dataplane_signing_key", {"mesh": MESH})["serials"]
    assert serials == [2]
    after = {p.name: p.token() for p in proxies}
    for proxy in proxies:
        assert after[proxy.name] != before[proxy.name]
        assert kid_of(after[proxy.name]) == "2", proxy.name
        assert claims_of(after[proxy.name])["Name"] == proxy.name
        assert stat.S_IMODE(os.stat(proxy.token_file).st_mode) == 0o600
    # Secrets never in the -vvv output: neither token (old or new) nor a key.
    for token in list(before.values()) + list(after.values()):
        assert token.strip() not in proc.stdout and token.split(".")[2] not in proc.stdout
    assert "PRIVATE KEY" not in proc.stdout

    # Reloadable tokens: cut every proxy's xDS connection; Envoy reconnects with the token it
    # reads from the file again, signed by key 2 (key 1 is deleted), without a restart.
    pids = [p.proc.pid for p in proxies]
    streams = connections(cp)
    cut = subprocess.run(["ss", "-K", "dst", "127.0.0.1", "dport", "=", ":%d" % cp.ports["dp_server"]],
                         capture_output=True, text=True, check=False)
    assert cut.returncode == 0, cut.stderr
    wait_for(lambda: all(connections(cp).get(n) not in (None, streams[n]) for n in names), 60,
             "every proxy reconnected on a new stream")
    assert [p.proc.pid for p in proxies] == pids and all(p.proc.poll() is None for p in proxies)
    # A restart reads the new files too.
    for proxy in proxies:
        proxy.stop()
        proxy.start()
    wait_online(cp, names, proxies)

    # Run again: one more rotation (key 3), nothing left behind.
    proc, seconds = run_playbook(cp, tmp_path, dirs, {})
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert ansible.run("dataplane_signing_key", {"mesh": MESH})["serials"] == [3]
    assert {kid_of(p.token()) for p in proxies} == {"3"}


def test_rotation_keeps_the_old_key_when_an_online_proxy_was_not_reissued(rotation_cp, tmp_path, proxies):
    cp = rotation_cp
    ansible = Ansible(cp, tmp_path)
    dirs = {"vm1": str(tmp_path / "vm1" / "tokens")}
    register_and_start(cp, ansible, proxies, ["web-1"], dirs["vm1"])
    register_and_start(cp, ansible, proxies, ["orphan-1"], str(tmp_path / "elsewhere"))
    wait_online(cp, ["web-1", "orphan-1"], proxies)
    proc, _seconds = run_playbook(cp, tmp_path, dirs, {})
    assert proc.returncode != 0
    assert "whose token file was not found on any host of the play" in proc.stdout and "default/orphan-1" in proc.stdout
    assert ansible.run("dataplane_signing_key", {"mesh": MESH})["serials"] == [1, 2]
    assert kid_of(proxies[0].token()) == "2" and kid_of(proxies[1].token()) == "1"
