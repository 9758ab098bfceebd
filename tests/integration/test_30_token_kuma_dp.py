# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dataplane_token with a real kuma-dp + Envoy, dataplane_info, and the token's fate across a
memory-store control-plane restart. The restart wipes the store, so this test has a control
plane of its own: the other tests' one is never restarted, and the order of tests does not matter."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import SETTINGS, Ansible, wait_for
from support.kuma_cp import free_port, terminate

TAGS = {"kuma.io/service": "web"}


class KumaDp:
    def __init__(self, cp, name, token):
        self.work = tempfile.mkdtemp(prefix="kdp-")  # short: Envoy's admin socket lives here
        self.token_file = os.path.join(self.work, "token")
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token)
        env = dict(os.environ, KUMA_READINESS_PORT=str(free_port()))
        self.log = open(os.path.join(self.work, "kuma-dp.log"), "wb")
        self.proc = subprocess.Popen([
            str(cp.bin_dir / "kuma-dp"), "run", "--cp-address", cp.dp_address, "--ca-cert-file", cp.ca_cert,
            "--name", name, "--mesh", "default", "--dataplane-token-file", self.token_file,
            "--binary-path", str(cp.bin_dir / "envoy"), "--dns-enabled=false", "--drain-time=1s",
            "--work-dir", os.path.join(self.work, "run")], env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self):
        with open(os.path.join(self.work, "kuma-dp.log"), "rb") as handle:
            return handle.read().decode(errors="replace")[-3000:]

    def stop(self):
        terminate(self.proc)
        self.log.close()
        shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture
def processes():
    started = []
    yield started
    for dp in started:
        dp.stop()


@pytest.fixture
def own_cp(toolchain):
    """A control plane only this test uses (and restarts)."""
    plane = toolchain.control_plane("kuma-cp-restart", env=SETTINGS)
    plane.start()
    try:
        plane.ensure_mesh("default")
        yield plane
    finally:
        plane.stop()


def register(ansible, name="web-1"):
    result = ansible.run("dataplane", {
        "name": name, "address": "127.0.0.1",
        "inbound": [{"port": free_port(), "service_port": free_port(), "service_address": "127.0.0.1",
                     "tags": TAGS}]})
    assert not result.get("failed"), result.get("msg")


def wait_online(ansible, name):
    def online():
        info = ansible.run("dataplane_info", {"mesh": "default", "name": name})
        assert not info.get("failed"), info.get("msg")
        return info["dataplanes"][0] if info["dataplanes"] and info["dataplanes"][0]["online"] else None
    return wait_for(online, 60, "%s online" % name)


def test_token_accepted_by_kuma_dp_and_renewed_after_cp_restart(own_cp, tmp_path, processes):
    cp = own_cp
    ansible = Ansible(cp, tmp_path)
    register(ansible)
    token_args = {"name": "web-1", "mesh": "default", "tags": TAGS, "valid_for": "720h"}
    check, issued = ansible.play({"module": "dataplane_token", "args": token_args, "check_mode": True},
                                 ("dataplane_token", token_args))
    assert check["changed"] is True and check["token"] == "" and check["reason"] == "missing"
    assert issued["changed"] is True and issued["reason"] == "missing", issued.get("msg")
    token = issued["token"]
    assert token.count(".") == 2
    days_left = (time.mktime(time.strptime(issued["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.mktime(time.gmtime())) / 86400
    assert 29.9 < days_left < 30.1

    dp = KumaDp(cp, "web-1", token)
    processes.append(dp)
    try:
        info = wait_online(ansible, "web-1")
    except AssertionError:
        raise AssertionError("kuma-dp did not come online:\n" + dp.output())
    assert info["services"] == ["web"] and info["kuma_dp_version"] == "2.14.3"
    assert info["envoy_version"] == "1.38.2" and info["kuma_dp_compatible"] is True
    assert info["connect_time"]

    kept, other_name, expiring = ansible.play(
        ("dataplane_token", dict(token_args, current_token=token)),
        ("dataplane_token", dict(token_args, name="web-2", current_token=token)),
        ("dataplane_token", dict(token_args, current_token=token, renew_before="721h")))
    assert kept["changed"] is False and kept["reason"] == "valid" and kept["token"] == token
    assert kept["expires_at"] == issued["expires_at"]
    assert kept["invocation"]["module_args"]["current_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert other_name["changed"] is True and other_name["reason"] == "claims_mismatch"
    assert other_name["token"] != token
    assert expiring["changed"] is True and expiring["reason"] == "expiring"

    dp.stop()
    processes.remove(dp)
    cp.restart()  # memory store: meshes, dataplanes and the signing keys are gone
    cp.ensure_mesh("default")  # a new signing key, same secret name (serial 1)
    assert cp.get("/meshes/default/secrets/dataplane-token-signing-key-default-1") is not None

    check_rotated, rotated, kept_new = ansible.play(
        {"module": "dataplane_token", "args": dict(token_args, current_token=token), "check_mode": True},
        ("dataplane_token", dict(token_args, current_token=token)),
        ("dataplane_token", dict(token_args, current_token="{{ lookup('ansible.builtin.env', 'NO_SUCH_VAR') }}")))
    assert check_rotated["changed"] is True and check_rotated["reason"] == "key_rotated"
    assert check_rotated["token"] == ""
    assert rotated["changed"] is True and rotated["reason"] == "key_rotated", rotated.get("msg")
    assert rotated["token"] != token
    assert kept_new["reason"] == "missing"  # an empty current_token counts as none

    # the re-issued token is accepted by a fresh kuma-dp against the restarted CP
    register(ansible)
    dp = KumaDp(cp, "web-1", rotated["token"])
    processes.append(dp)
    try:
        wait_online(ansible, "web-1")
    except AssertionError:
        raise AssertionError("kuma-dp did not come online with the re-issued token:\n" + dp.output())
    again = ansible.run("dataplane_token", dict(token_args, current_token=rotated["token"]))
    assert again["changed"] is False and again["reason"] == "valid"


def test_tokens_in_hand_are_checked_on_the_controller_against_the_keys_the_registration_read(own_cp, tmp_path):
    """Issue 23: kuma.universal.dataplanes reads the signing key of the tokens in hand (token_keys) by its public part,
    and dataplane_tokens decides on the controller against that read (token_reads): a good token costs no module
    run; after a memory-store restart (a new key under the same name) the same read says key_rotated and the module
    issues a new token."""
    import base64
    import json

    cp = own_cp
    ansible = Ansible(cp, tmp_path)
    item = {"name": "web-1", "address": "127.0.0.1",
            "inbound": [{"port": free_port(), "service_port": free_port(), "service_address": "127.0.0.1", "tags": TAGS}]}
    token_item = {"name": "web-1", "tags": {"kuma.io/service": ["web"]}}
    registered = ansible.run("dataplanes", {"dataplanes": [item]})
    assert registered["created"] == ["default/web-1"], registered.get("msg")
    issued = ansible.run("dataplane_tokens", {"tokens": [token_item]})
    assert issued["changed"] is True and issued["decided_on"] == "control_plane", issued.get("msg")
    token = issued["tokens"][0]["token"]
    kid = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==").decode())["kid"]

    def read_keys(created):
        result = ansible.run("dataplanes", {"dataplanes": [item], "token_keys": [{"mesh": "default", "kid": kid}]})
        assert not result.get("failed") and result["created"] == created, result.get("msg")
        return result["token_reads"]

    reads = read_keys([])
    secret = cp.get("/meshes/default/secrets/dataplane-token-signing-key-default-%s" % kid)["data"]
    private = base64.b64decode(secret).decode()
    assert "PRIVATE KEY" in private
    assert secret not in json.dumps(reads) and private not in json.dumps(reads)  # only the public part left the CP
    assert reads["version"] == registered["kuma_version"]
    kept = ansible.run("dataplane_tokens", {"tokens": [dict(token_item, current_token=token)], "token_reads": reads})
    assert kept["changed"] is False and kept["decided_on"] == "controller", kept.get("msg")
    assert kept["tokens"][0]["reason"] == "valid" and token not in json.dumps(kept)

    cp.restart()  # memory store: a new signing key under the same name
    cp.ensure_mesh("default")
    reads = read_keys(["default/web-1"])  # registers web-1 again, reads the new key
    renewed = ansible.run("dataplane_tokens", {"tokens": [dict(token_item, current_token=token)], "token_reads": reads})
    assert renewed["changed"] is True and renewed["decided_on"] == "control_plane", renewed.get("msg")
    assert renewed["tokens"][0]["reason"] == "key_rotated" and renewed["tokens"][0]["token"] != token
