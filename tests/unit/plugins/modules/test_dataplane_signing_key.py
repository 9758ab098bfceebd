# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplane_signing_key and dataplane_token_revocations against the fake CP."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run

from ansible_collections.kuma.universal.plugins.module_utils import _signing_key
from ansible_collections.kuma.universal.plugins.module_utils._token import rsa_public_numbers
from ansible_collections.kuma.universal.plugins.modules import dataplane_signing_key, dataplane_token_revocations

KEY = "/meshes/default/secrets/dataplane-token-signing-key-default-%d"


def add_key(cp, serial, mesh="default"):
    name = "dataplane-token-signing-key-%s-%d" % (mesh, serial)
    cp.store[("meshes", mesh, "secrets", name)] = {"type": "Secret", "mesh": mesh, "name": name, "data": "eA=="}


def puts(cp):
    return [r for r in cp.writes() if r[0] == "PUT"]


def test_next_adds_the_highest_plus_one_as_kuma_cp_would(cp, capsys):
    add_key(cp, 1)
    add_key(cp, 3)
    cp.store[("meshes", "default", "secrets", "dataplane-token-signing-key-default-x")] = {"name": "other"}
    result = run(dataplane_signing_key, {"state": "next"}, capsys)
    assert result["changed"] is True, result.get("msg")
    assert (result["serial"], result["serials"], result["latest"]) == (4, [1, 3, 4], 4)
    assert result["name"] == "dataplane-token-signing-key-default-4"
    assert result["diff"] == {"before": {"serials": [1, 3]}, "after": {"serials": [1, 3, 4]}}
    (put,) = puts(cp)
    assert put[1] == KEY % 4
    body = put[2]
    assert (body["type"], body["mesh"], body["name"]) == ("Secret", "default", "dataplane-token-signing-key-default-4")
    pem = base64.b64decode(body["data"]).decode("ascii")
    # PKCS#1 (kuma-cp refuses PKCS#8 "PRIVATE KEY" when it signs), RSA-2048 like util/rsa.DefaultKeySize.
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----\n") and pem.endswith("-----END RSA PRIVATE KEY-----\n")
    n, e = rsa_public_numbers(pem.encode("ascii"))
    assert n.bit_length() == 2048 and e == 65537
    # No key material in the result (nor in the diff).
    assert body["data"] not in json.dumps(result) and "PRIVATE" not in json.dumps(result)


def test_each_new_key_is_new(cp, capsys):
    run(dataplane_signing_key, {"state": "next"}, capsys)
    run(dataplane_signing_key, {"state": "next"}, capsys)
    first, second = [p[2]["data"] for p in puts(cp)]
    assert first != second and [p[1] for p in puts(cp)] == [KEY % 1, KEY % 2]


def test_check_mode_writes_nothing(cp, capsys):
    add_key(cp, 1)
    result = run(dataplane_signing_key, {"state": "next"}, capsys, check_mode=True)
    assert result["changed"] is True and result["serials"] == [1, 2] and result["serial"] == 2
    result = run(dataplane_signing_key, {"state": "absent", "serial": 2, "allow_last": True}, capsys, check_mode=True)
    assert result["changed"] is False
    add_key(cp, 2)
    result = run(dataplane_signing_key, {"state": "absent", "serial": 1}, capsys, check_mode=True)
    assert result["changed"] is True and result["serials"] == [2]
    assert cp.writes() == []


def test_present_and_absent_are_idempotent(cp, capsys):
    add_key(cp, 1)
    listed = run(dataplane_signing_key, {}, capsys)
    assert (listed["changed"], listed["serials"], listed["serial"], listed["latest"]) == (False, [1], 1, 1)
    created = run(dataplane_signing_key, {"serial": 5}, capsys)
    again = run(dataplane_signing_key, {"serial": 5}, capsys)
    assert created["changed"] is True and created["serials"] == [1, 5]
    assert again["changed"] is False and len(puts(cp)) == 1
    deleted = run(dataplane_signing_key, {"state": "absent", "serial": 1}, capsys)
    gone = run(dataplane_signing_key, {"state": "absent", "serial": 1}, capsys)
    assert deleted["changed"] is True and deleted["serials"] == [5] and deleted["latest"] == 5
    assert gone["changed"] is False
    assert [r[:2] for r in cp.writes() if r[0] == "DELETE"] == [("DELETE", KEY % 1)]
    assert ("meshes", "default", "secrets", "dataplane-token-signing-key-default-5") in cp.store


def test_an_existing_key_is_never_replaced(cp, capsys):
    add_key(cp, 2)
    result = run(dataplane_signing_key, {"serial": 2}, capsys)
    assert result["changed"] is False and cp.writes() == []
    assert cp.store[("meshes", "default", "secrets", "dataplane-token-signing-key-default-2")]["data"] == "eA=="


def test_the_last_key_is_kept_unless_allowed(cp, capsys):
    add_key(cp, 1)
    result = run(dataplane_signing_key, {"state": "absent", "serial": 1}, capsys)
    assert result["failed"] is True
    assert result["msg"] == ("Invalid input: serial: 1 is the only signing key of mesh default; add the next one "
                             "first (state=next), or set allow_last=true")
    assert cp.writes() == []
    result = run(dataplane_signing_key, {"state": "absent", "serial": 1, "allow_last": True}, capsys)
    assert result["changed"] is True and result["serials"] == [] and result["latest"] is None


@pytest.mark.parametrize("args, message", [
    ({"state": "absent"}, "serial: required with state=absent"),
    ({"state": "next", "serial": 3}, "serial: not allowed with state=next"),
    ({"serial": 0}, "serial: 0 must be a positive integer"),
    ({"mesh": "Bad Mesh"}, "mesh: 'Bad Mesh' may only hold lowercase letters"),
    ({"mesh": "nope"}, "mesh: no mesh named 'nope' on this control plane"),
])
def test_bad_input_names_the_option_before_any_write(cp, capsys, args, message):
    result = run(dataplane_signing_key, args, capsys)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert cp.writes() == []


def test_openssl_fallback_gives_the_same_format(monkeypatch):
    monkeypatch.setattr(_signing_key, "HAS_CRYPTOGRAPHY", False)
    import subprocess

    def run_command(args):
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout, proc.stderr
    if _signing_key.shutil.which("openssl") is None:
        pytest.fail("openssl is needed for this test")
    pem = _signing_key.generate_key(run_command)
    assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert rsa_public_numbers(pem.encode("ascii"))[0].bit_length() == 2048


def test_no_generator_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_signing_key, "HAS_CRYPTOGRAPHY", False)
    monkeypatch.setattr(_signing_key.shutil, "which", lambda _name: None)
    with pytest.raises(_signing_key.KumaInputError, match="cryptography or the openssl command"):
        _signing_key.generate_key(lambda args: (1, "", ""))


# -- revocations ---------------------------------------------------------------------------
def jwt(claims):
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (part({"alg": "RS256", "kid": "1"}), part(claims), "c2ln")


REVOKED = ("global-secrets", "dataplane-token-revocations-default")


def stored_ids(cp):
    return base64.b64decode(cp.store[REVOKED]["data"]).decode()


def test_revoking_a_token_stores_its_jti_in_the_global_secret(cp, capsys):
    token = jwt({"Name": "web-1", "Mesh": "default", "jti": "1111-aaaa"})
    result = run(dataplane_token_revocations, {"tokens": [token]}, capsys)
    assert result["changed"] is True and result["revoked"] == ["1111-aaaa"]
    assert result["name"] == "dataplane-token-revocations-default"
    (put,) = puts(cp)
    assert put[1] == "/global-secrets/dataplane-token-revocations-default" and put[2]["type"] == "GlobalSecret"
    assert stored_ids(cp) == "1111-aaaa"
    assert token not in json.dumps(result)
    again = run(dataplane_token_revocations, {"ids": ["1111-aaaa"]}, capsys)
    assert again["changed"] is False and len(puts(cp)) == 1
    more = run(dataplane_token_revocations, {"ids": ["2222-bbbb", "1111-aaaa"]}, capsys, check_mode=True)
    assert more["changed"] is True and more["revoked"] == ["1111-aaaa", "2222-bbbb"] and len(puts(cp)) == 1
    more = run(dataplane_token_revocations, {"ids": ["2222-bbbb"]}, capsys)
    assert stored_ids(cp) == "1111-aaaa,2222-bbbb"
    assert more["diff"] == {"before": {"revoked": ["1111-aaaa"]}, "after": {"revoked": ["1111-aaaa", "2222-bbbb"]}}
    run(dataplane_token_revocations, {"ids": ["1111-aaaa"], "state": "absent"}, capsys)
    assert stored_ids(cp) == "2222-bbbb"
    emptied = run(dataplane_token_revocations, {"tokens": [jwt({"Mesh": "default", "jti": "2222-bbbb"})],
                                                "state": "absent"}, capsys)
    assert emptied["changed"] is True and emptied["revoked"] == [] and REVOKED not in cp.store


def test_revocation_input_is_checked_without_quoting_tokens(cp, capsys):
    other_mesh = jwt({"Mesh": "prod", "jti": "x"})
    result = run(dataplane_token_revocations, {"tokens": ["not-a-token", other_mesh, jwt({"Mesh": "default"})],
                                               "ids": ["bad id"]}, capsys)
    assert result["failed"] is True
    assert "ids[0]: 'bad id' is not a token id" in result["msg"]
    assert "tokens[0]: not a dataplane token" in result["msg"]
    assert "tokens[1]: a token of mesh 'prod', not of mesh 'default'" in result["msg"]
    assert "tokens[2]: the token has no jti claim" in result["msg"]
    assert other_mesh not in json.dumps(result) and cp.writes() == []
    result = run(dataplane_token_revocations, {}, capsys)
    assert result["failed"] is True and "one of the following is required: tokens, ids" in result["msg"]
