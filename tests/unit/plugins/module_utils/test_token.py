# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dataplane tokens: stdlib RS256 verification and the keep-or-reissue decision."""

from __future__ import annotations

import base64
import json
import time

import pytest

from ansible_collections.kuma.universal.plugins.module_utils._token import (
    RecordedReads, RecordIncomplete, assess_token, assess_zone_token, decode_jwt, normalise_tags, record_token_reads,
    rs256_verify, rsa_public_numbers, rsa_public_pem,
)

crypto = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

KEY = crypto.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = crypto.generate_private_key(public_exponent=65537, key_size=2048)
TAGS = {"kuma.io/service": ["redis"]}


def pem(key, fmt=serialization.PrivateFormat.TraditionalOpenSSL):
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(key=KEY, kid="1", **claims):
    header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    body = {"Name": "redis-1", "Mesh": "default", "Tags": TAGS, "Type": "dataplane",
            "exp": int(time.time()) + 30 * 86400, "jti": "id-1"}
    body.update(claims)
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(body).encode())).encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input.decode() + "." + b64url(signature)


class Secrets:
    """Answers GET for the signing key secret (and the revocation list) like kuma-cp."""

    def __init__(self, key=KEY, name="dataplane-token-signing-key-default-1", revoked=None):
        self.key, self.name, self.revoked, self.paths = key, name, revoked, []

    def get(self, path):
        self.paths.append(path)
        if path == "/meshes/default/secrets/%s" % self.name and self.key is not None:
            return {"type": "Secret", "name": self.name, "data": base64.b64encode(pem(self.key)).decode()}
        if path == "/global-secrets/dataplane-token-revocations-default" and self.revoked:
            return {"data": base64.b64encode(",".join(self.revoked).encode()).decode()}
        return None


def test_public_numbers_from_every_pem_form():
    numbers = KEY.public_key().public_numbers()
    expected = (numbers.n, numbers.e)
    assert rsa_public_numbers(pem(KEY)) == expected
    assert rsa_public_numbers(pem(KEY, serialization.PrivateFormat.PKCS8)) == expected
    pub = KEY.public_key()
    assert rsa_public_numbers(pub.public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)) == expected
    assert rsa_public_numbers(pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)) == expected
    der = KEY.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    assert rsa_public_numbers(der) == expected


def test_rs256_verify():
    _h, _c, signing_input, signature = decode_jwt(make_token())
    numbers = KEY.public_key().public_numbers()
    other = OTHER_KEY.public_key().public_numbers()
    assert rs256_verify(signing_input, signature, numbers.n, numbers.e)
    assert not rs256_verify(signing_input, signature, other.n, other.e)
    assert not rs256_verify(signing_input + b"x", signature, numbers.n, numbers.e)
    assert not rs256_verify(signing_input, signature[:-1] + bytes([signature[-1] ^ 1]), numbers.n, numbers.e)


def test_valid_token_is_kept():
    secrets = Secrets()
    reason, claims = assess_token(secrets, make_token(), "redis-1", "default", TAGS, 24 * 3600 * 10 ** 9)
    assert reason == "valid" and claims["Name"] == "redis-1"
    assert secrets.paths[0] == "/meshes/default/secrets/dataplane-token-signing-key-default-1"


@pytest.mark.parametrize("token, secrets, reason", [
    (make_token(Name="redis-2"), Secrets(), "claims_mismatch"),
    (make_token(Mesh="other"), Secrets(), "claims_mismatch"),
    (make_token(Tags={"kuma.io/service": ["web"]}), Secrets(), "claims_mismatch"),
    (make_token(exp=int(time.time()) + 3600), Secrets(), "expiring"),
    (make_token(), Secrets(key=None), "key_rotated"),
    (make_token(), Secrets(key=OTHER_KEY), "key_rotated"),
    (make_token(kid="2"), Secrets(), "key_rotated"),
    (make_token(), Secrets(revoked=["x", "id-1"]), "revoked"),
    ("not-a-token", Secrets(), "malformed"),
    ("a.b.c", Secrets(), "malformed"),
])
def test_token_is_reissued_with_a_reason(token, secrets, reason):
    assert assess_token(secrets, token, "redis-1", "default", TAGS, 24 * 3600 * 10 ** 9)[0] == reason


class VersionedSecrets(Secrets):
    def version(self):
        return "2.14.3"


def test_public_pem_reads_back_as_the_same_numbers():
    for key in (KEY, OTHER_KEY):
        numbers = key.public_key().public_numbers()
        assert rsa_public_numbers(rsa_public_pem(numbers.n, numbers.e).encode()) == (numbers.n, numbers.e)
        # The same bytes as a real PKCS#1 public key.
        assert rsa_public_pem(numbers.n, numbers.e).encode() == key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)


# The record of the reads answers assess_token exactly as the control plane's API does, in every case the API's own
# test above covers, and never holds the private key.
@pytest.mark.parametrize("token, secrets", [
    (make_token(), VersionedSecrets()),
    (make_token(Name="redis-2"), VersionedSecrets()),
    (make_token(exp=int(time.time()) + 3600), VersionedSecrets()),
    (make_token(), VersionedSecrets(key=None)),
    (make_token(), VersionedSecrets(key=OTHER_KEY)),
    (make_token(), VersionedSecrets(revoked=["x", "id-1"])),
    (make_token(), VersionedSecrets(revoked=["x"])),
    ("not-a-token", VersionedSecrets()),
])
def test_recorded_reads_decide_as_the_api_does(token, secrets):
    record = record_token_reads(secrets, [("default", "1")])
    assert record["version"] == "2.14.3"
    assert pem(KEY).decode() not in str(record) and pem(OTHER_KEY).decode() not in str(record)
    assert base64.b64encode(pem(KEY)).decode() not in str(record)
    renew = 24 * 3600 * 10 ** 9
    assert (assess_token(RecordedReads(record), token, "redis-1", "default", TAGS, renew)
            == assess_token(secrets, token, "redis-1", "default", TAGS, renew))


def test_a_read_the_record_does_not_hold_is_never_guessed():
    record = record_token_reads(VersionedSecrets(), [("default", "1")])
    with pytest.raises(RecordIncomplete):
        assess_token(RecordedReads(record), make_token(kid="2"), "redis-1", "default", TAGS, 0)
    with pytest.raises(RecordIncomplete):
        RecordedReads(record).request("POST", "/tokens/dataplane")
    for bad in (None, [], {"reads": {}}, {"version": "2.14.3", "reads": []}):
        with pytest.raises(RecordIncomplete):
            RecordedReads(bad)
    forged = {"version": "2.14.3", "reads": {"/meshes/default/secrets/dataplane-token-signing-key-default-1": "x"}}
    with pytest.raises(RecordIncomplete):
        RecordedReads(forged).get("/meshes/default/secrets/dataplane-token-signing-key-default-1")


def test_a_key_that_is_not_rsa_is_recorded_as_absent():
    class Broken(VersionedSecrets):
        def get(self, path):
            if "signing-key" in path:
                return {"data": base64.b64encode(b"garbage").decode()}
            return None
    record = record_token_reads(Broken(), [("default", "1"), ("default", "1")])
    assert record["reads"] == {"/meshes/default/secrets/dataplane-token-signing-key-default-1": None,
                               "/global-secrets/dataplane-token-revocations-default": None}


def test_claims_are_checked_before_any_request():
    secrets = Secrets()
    assess_token(secrets, make_token(Name="other"), "redis-1", "default", TAGS, 0)
    assert secrets.paths == []


def test_tags_normalised_to_sorted_lists():
    errors = []
    assert normalise_tags({"kuma.io/service": "redis", "v": ["2", "1", 1]}, errors) == {
        "kuma.io/service": ["redis"], "v": ["1", "2"]}
    assert errors == []
    normalise_tags({"bad tag": "x", "t": "a/b"}, errors)
    assert errors == ["tags['bad tag']: tag name must consist of letters, digits and . - _ : /",
                      "tags['t']: tag value 'a/b' must consist of letters, digits and . - _ : (no '/' or spaces)"]


# -- zone tokens ---------------------------------------------------------------------------
def make_zone_token(key=KEY, kid="1", **claims):
    header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    body = {"Zone": "zone-1", "Scope": ["ingress"], "exp": int(time.time()) + 30 * 86400, "jti": "zone-id-1"}
    body.update(claims)
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(body).encode())).encode()
    return signing_input.decode() + "." + b64url(key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))


class GlobalSecrets:
    """The global control plane's zone signing key and zone revocation list (GlobalSecrets)."""

    def __init__(self, key=KEY, revoked=None):
        self.key, self.revoked, self.paths = key, revoked, []

    def get(self, path):
        self.paths.append(path)
        if path == "/global-secrets/zone-token-signing-key-1" and self.key is not None:
            return {"type": "GlobalSecret", "data": base64.b64encode(pem(self.key)).decode()}
        if path == "/global-secrets/zone-token-revocations" and self.revoked:
            return {"data": base64.b64encode(",".join(self.revoked).encode()).decode()}
        return None


def test_zone_token_kept_while_good():
    secrets = GlobalSecrets()
    reason, claims = assess_zone_token(secrets, make_zone_token(), "zone-1", ["ingress"], 24 * 3600 * 10**9)
    assert reason == "valid" and claims["Zone"] == "zone-1"
    assert secrets.paths == ["/global-secrets/zone-token-signing-key-1", "/global-secrets/zone-token-revocations"]


@pytest.mark.parametrize("token, zone, scope, secrets, reason", [
    ("not-a-jwt", "zone-1", ["ingress"], GlobalSecrets(), "malformed"),
    (make_token(), "zone-1", ["ingress"], GlobalSecrets(), "malformed"),  # a dataplane token
    (make_zone_token(), "zone-2", ["ingress"], GlobalSecrets(), "claims_mismatch"),
    (make_zone_token(), "zone-1", ["egress"], GlobalSecrets(), "claims_mismatch"),
    (make_zone_token(), "zone-1", ["egress", "ingress"], GlobalSecrets(), "claims_mismatch"),
    (make_zone_token(exp=int(time.time()) + 3600), "zone-1", ["ingress"], GlobalSecrets(), "expiring"),
    (make_zone_token(), "zone-1", ["ingress"], GlobalSecrets(key=None), "key_rotated"),
    (make_zone_token(), "zone-1", ["ingress"], GlobalSecrets(key=OTHER_KEY), "key_rotated"),
    (make_zone_token(), "zone-1", ["ingress"], GlobalSecrets(revoked=["x", "zone-id-1"]), "revoked"),
])
def test_zone_token_replaced_with_a_reason(token, zone, scope, secrets, reason):
    assert assess_zone_token(secrets, token, zone, scope, 24 * 3600 * 10**9)[0] == reason


# -- a revoked token is not silently replaced ----------------------------------------------
class Client(Secrets):
    """Secrets plus what ensure_token calls: the CP version and the token endpoint."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.posts = []

    def version(self):
        return "2.14.3"

    def request(self, method, path, body=None):
        self.posts.append((method, path, body))
        return 200, make_token(jti="id-2")


def ensure(client, **params):
    from types import SimpleNamespace

    from ansible_collections.kuma.universal.plugins.module_utils._token import ensure_token
    base = {"name": "redis-1", "mesh": "default", "tags": TAGS, "valid_for": "", "renew_before": "24h",
            "current_token": make_token()}
    return ensure_token(SimpleNamespace(params=dict(base, **params), client=client, check_mode=False))


def test_a_revoked_token_is_refused_naming_the_proxy_and_the_switch():
    from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError
    client = Client(revoked=["id-1"])
    with pytest.raises(KumaInputError) as refused:
        ensure(client)
    assert refused.value.errors == [
        "current_token: the token in hand for default/redis-1 was revoked (its id is in "
        "dataplane-token-revocations-default); a new one is issued only with reissue_revoked=true "
        "(role kuma.universal.sidecar: -e sidecar_reissue_revoked=true for that run)"]
    assert client.posts == []


def test_a_revoked_token_is_replaced_when_the_operator_says_so():
    client = Client(revoked=["id-1"])
    result = ensure(client, reissue_revoked=True)
    assert (result["changed"], result["reason"]) == (True, "revoked")
    assert [(m, p) for m, p, _b in client.posts] == [("POST", "/tokens/dataplane")]
