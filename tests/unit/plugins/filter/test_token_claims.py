# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.token_claims import FilterModule, token_claims


def b64url(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def slurped(path, header, claims, signature="c2ln"):
    token = "%s.%s.%s\n" % (b64url(header), b64url(claims), signature)
    return {"source": path, "content": base64.b64encode(token.encode()).decode(), "item": {"path": path}}


def test_kid_and_claims_and_stale():
    files = [slurped("/t/web-0", {"alg": "RS256", "kid": 1}, {"Name": "web-0", "Mesh": "default", "Tags": {"a": ["b"]}}),
             slurped("/t/web-1", {"kid": "2"}, {"Name": "web-1", "Mesh": "default", "Tags": {}}),
             slurped("/t/pay-0", {"kid": "1"}, {"Name": "pay-0", "Mesh": "payments"})]
    out = token_claims(files, {"default": "2"})
    assert out == [
        {"path": "/t/web-0", "name": "web-0", "mesh": "default", "tags": {"a": ["b"]}, "kid": "1", "stale": True},
        {"path": "/t/web-1", "name": "web-1", "mesh": "default", "tags": {}, "kid": "2", "stale": False},
        {"path": "/t/pay-0", "name": "pay-0", "mesh": "payments", "tags": None, "kid": "1", "stale": False}]
    assert [t["stale"] for t in token_claims(files)] == [False, False, False]
    assert token_claims([], {"default": "2"}) == []


def test_padding_lengths():
    for name in ("a", "ab", "abc", "abcd"):  # every base64url remainder
        [out] = token_claims([slurped("/t/x", {"kid": "7"}, {"Name": name, "Mesh": "m"})], {"m": 7})
        assert out["name"] == name and out["stale"] is False


def test_a_file_that_is_not_a_token_is_named_not_shown():
    bad = {"source": "/t/bad", "content": base64.b64encode(b"s3cr3t-not-a-jwt").decode()}
    with pytest.raises(AnsibleFilterError, match="/t/bad: not a JWT") as err:
        token_claims([bad])
    assert "s3cr3t" not in str(err.value)
    bad = {"source": "/t/bad2", "content": base64.b64encode(b"!!!.e30.sig").decode()}
    with pytest.raises(AnsibleFilterError, match="/t/bad2: the token's header is not base64url JSON"):
        token_claims([bad])
    with pytest.raises(AnsibleFilterError, match="slurp loop"):
        token_claims("x")


def test_registered():
    assert FilterModule().filters() == {"token_claims": token_claims}
