# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: dataplane tokens - issue, and decide whether a token in hand is still good.

A Kuma dataplane token is an RS256 JWT (a zone token too: see ensure_zone_token). Its header "kid" is the serial of the signing key,
a mesh Secret named dataplane-token-signing-key-<mesh>-<kid> holding a PKCS#1 PEM RSA
private key. A control plane with the memory store generates a NEW key under the SAME
name after a restart, so the secret's existence proves nothing: the token's signature is
verified with the public key (n, e) read from that secret. Only the Python standard
library is used (no crypto package is guaranteed on the host): a minimal DER reader for
n and e, pow() for RSA, hashlib for SHA-256 and the PKCS#1 v1.5 padding check.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
import time
from types import SimpleNamespace

from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError, quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._compare import parse_go_duration
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import major_of, token_tags_3
from ansible_collections.kuma.universal.plugins.module_utils._naming import (
    SERVICE_TAG, check_name_and_mesh, check_tag_name, check_tag_value,
)

SIGNING_KEY_PREFIX = "dataplane-token-signing-key-"
REVOCATIONS_PREFIX = "dataplane-token-revocations-"
# Zone tokens (zone ingress and egress): GlobalSecrets of the control plane that issues them (the global one
# for a federated zone); the same RS256 scheme, claims Zone and Scope.
ZONE_SIGNING_KEY_PREFIX = "zone-token-signing-key-"
ZONE_REVOCATIONS = "zone-token-revocations"
ZONE_SCOPES = ("ingress", "egress")
# DER of the DigestInfo AlgorithmIdentifier for SHA-256 (RFC 8017, section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
# Kuma's zone names: DNS-1123 labels/subdomains (a zone CP refuses others at start).
_ZONE_RE = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")
_PEM_RE = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.S)


class TokenFormatError(ValueError):
    """The token or the key is not in the expected form."""


def b64url_decode(text):
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_jwt(token):
    """(header, claims, signing input bytes, signature bytes); no verification."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise TokenFormatError("not a JWT (expected 3 dot-separated parts)")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise TokenFormatError("not a JWT: %s" % exc.__class__.__name__)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenFormatError("not a JWT (header or claims are not objects)")
    return header, claims, (parts[0] + "." + parts[1]).encode("ascii"), signature


# -- minimal DER --------------------------------------------------------------------------
def _der_item(data, pos):
    """(tag, content bytes, position after the item) of the DER item at pos."""
    if pos + 2 > len(data):
        raise TokenFormatError("truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise TokenFormatError("bad DER length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise TokenFormatError("truncated DER")
    return tag, data[pos:pos + length], pos + length


def _der_sequence(data):
    tag, content, _end = _der_item(data, 0)
    if tag != 0x30:
        raise TokenFormatError("expected a DER SEQUENCE")
    items = []
    pos = 0
    while pos < len(content):
        tag, value, pos = _der_item(content, pos)
        items.append((tag, value))
    return items


def _der_int(item):
    tag, value = item
    if tag != 0x02:
        raise TokenFormatError("expected a DER INTEGER")
    return int.from_bytes(value, "big")


def rsa_public_numbers(key_bytes):
    """(n, e) from an RSA key: PEM (RSA PRIVATE KEY, PRIVATE KEY, RSA PUBLIC KEY, PUBLIC KEY) or raw PKCS#1 DER."""
    text = None
    try:
        text = key_bytes.decode("ascii")
    except UnicodeDecodeError:
        pass
    match = _PEM_RE.search(text) if text else None
    if match:
        label = match.group(1)
        der = base64.b64decode("".join(match.group(2).split()))
    else:
        label = "RSA PRIVATE KEY"  # Kuma still reads raw PKCS#1 keys from old versions
        der = key_bytes
    items = _der_sequence(der)
    if label == "RSA PRIVATE KEY":  # PKCS#1 RSAPrivateKey: version, n, e, d, ...
        return _der_int(items[1]), _der_int(items[2])
    if label == "PRIVATE KEY":  # PKCS#8: version, algorithm, OCTET STRING(RSAPrivateKey)
        if items[2][0] != 0x04:
            raise TokenFormatError("bad PKCS#8 key")
        inner = _der_sequence(items[2][1])
        return _der_int(inner[1]), _der_int(inner[2])
    if label == "RSA PUBLIC KEY":  # PKCS#1 RSAPublicKey: n, e
        return _der_int(items[0]), _der_int(items[1])
    if label == "PUBLIC KEY":  # SubjectPublicKeyInfo: algorithm, BIT STRING(RSAPublicKey)
        tag, bits = items[1]
        if tag != 0x03 or not bits:
            raise TokenFormatError("bad public key")
        inner = _der_sequence(bits[1:])
        return _der_int(inner[0]), _der_int(inner[1])
    raise TokenFormatError("unsupported key type %r" % label)


def rs256_verify(signing_input, signature, n, e):
    """True when signature is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of signing_input."""
    size = (n.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    value = int.from_bytes(signature, "big")
    if value >= n:
        return False
    encoded = pow(value, e, n).to_bytes(size, "big")
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    padding = size - 3 - len(digest_info)
    if padding < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def _der_tlv(tag, content):
    size = len(content)
    if size < 0x80:
        length = bytes([size])
    else:
        raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def rsa_public_pem(n, e):
    """The PEM (RSA PUBLIC KEY, PKCS#1) of the public key (n, e): what rsa_public_numbers reads back."""
    der = _der_tlv(0x30, b"".join(_der_tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, "big")) for v in (n, e)))
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN RSA PUBLIC KEY-----\n%s\n-----END RSA PUBLIC KEY-----\n" % "\n".join(lines)


# -- the token checks' reads, recorded for the controller ----------------------------------
# kuma.universal.dataplanes reads them beside the Dataplanes (option token_keys: the keys that signed the tokens in
# hand); kuma.universal.dataplane_tokens then decides on the controller, with this module's own code, whether every
# token in hand is still good, and runs on the control plane only to issue one.
class RecordIncomplete(Exception):
    """The recorded reads cannot answer this read for certain: the module reads the control plane."""


def record_token_reads(client, keys):
    """What assess_token reads for tokens signed by each (mesh, kid) of keys: {"version": the CP's version, "reads":
    {path: answer or None (absent)}}. A signing key is recorded by its public part only (an RSA PUBLIC KEY, which
    verifies a signature as the private key's (n, e) do); a key that cannot be read as RSA is recorded as absent,
    which assess_token answers the same way (key_rotated)."""
    reads = {}
    for mesh, kid in keys:
        key_path, revocations_path = token_key_paths(str(mesh), None if kid is None else str(kid))
        if key_path not in reads:
            secret = client.get(key_path)
            reads[key_path] = None
            if secret and secret.get("data"):
                try:
                    n, e = rsa_public_numbers(base64.b64decode(secret["data"]))
                except (TokenFormatError, ValueError, IndexError, binascii.Error):
                    pass
                else:
                    reads[key_path] = {"data": base64.b64encode(rsa_public_pem(n, e).encode("ascii")).decode("ascii")}
        if revocations_path not in reads:
            revoked = client.get(revocations_path)
            reads[revocations_path] = {"data": revoked["data"]} if revoked and revoked.get("data") else None
    return {"version": client.version(), "reads": reads}


class RecordedReads:
    """The part of the API client assess_token uses (get, version), answered from record_token_reads' record;
    anything the record does not hold raises RecordIncomplete."""

    def __init__(self, record):
        if (not isinstance(record, dict) or not isinstance(record.get("reads"), dict)
                or not isinstance(record.get("version"), str)):
            raise RecordIncomplete("not a record of token reads")
        self._reads = record["reads"]
        self._version = record["version"]

    def get(self, path):
        if path not in self._reads:
            raise RecordIncomplete("%s was not read" % path)
        answer = self._reads[path]
        if answer is not None and not (isinstance(answer, dict) and isinstance(answer.get("data"), str)):
            raise RecordIncomplete("%s is not recorded as a secret" % path)
        return None if answer is None else dict(answer)

    def version(self):
        return self._version

    def request(self, method, path, **_kwargs):
        raise RecordIncomplete("%s %s is not a recorded read" % (method, path))


# -- the module's logic -------------------------------------------------------------------
def normalise_tags(tags, errors):
    """{name: str or list} -> {name: sorted unique list of str} (the token API wants lists)."""
    out = {}
    for key, value in (tags or {}).items():
        key = str(key)
        values = value if isinstance(value, list) else [value]
        texts = sorted({str(v) for v in values if v is not None})
        check_tag_name(key, "tags", errors)
        if not texts:
            errors.append("tags[%r]: give at least one value" % key)
        for text in texts:
            check_tag_value(key, text, "tags", errors)
        out[key] = texts
    return out


def _iso(epoch):
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _claims_tags(claims):
    tags = claims.get("Tags") or {}
    if not isinstance(tags, dict):
        return None
    return {str(k): sorted({str(v) for v in (vals if isinstance(vals, list) else [vals])}) for k, vals in tags.items()}


def assess_token(client, token, name, mesh, tags, renew_before_ns):
    """Why the token in hand must be replaced, or 'valid'. Returns (reason, claims or None)."""
    try:
        header, claims, signing_input, signature = decode_jwt(token)
    except TokenFormatError:
        return "malformed", None
    if header.get("alg") != "RS256":
        return "malformed", claims
    if (claims.get("Name") != name or claims.get("Mesh") != mesh
            or claims.get("Type", "dataplane") not in ("dataplane", "")
            or _claims_tags(claims) != tags):
        return "claims_mismatch", claims
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp - time.time() <= renew_before_ns / 1e9:
        return "expiring", claims
    key_path, revocations_path = token_key_paths(mesh, header.get("kid"))
    reason = _verify(client, key_path, signing_input, signature, revocations_path, claims)
    return reason, claims


def token_key_paths(mesh, kid):
    """The API paths assess_token reads for a token of mesh signed by key kid: the signing key, the revocations."""
    secret_name = SIGNING_KEY_PREFIX + mesh + ("-%s" % kid if kid not in (None, "") else "")
    return ("/meshes/%s/secrets/%s" % (quote_segment(mesh), quote_segment(secret_name)),
            "/global-secrets/%s" % quote_segment(REVOCATIONS_PREFIX + mesh))


def _verify(client, key_path, signing_input, signature, revocations_path, claims):
    """'valid', or why not: the key at key_path no longer verifies the signature ('key_rotated'), or the
    token's id is in the revocation secret at revocations_path ('revoked')."""
    secret = client.get(key_path)
    if not secret or not secret.get("data"):
        return "key_rotated"
    try:
        n, e = rsa_public_numbers(base64.b64decode(secret["data"]))
    except (TokenFormatError, ValueError, IndexError, binascii.Error):
        return "key_rotated"
    if not rs256_verify(signing_input, signature, n, e):
        return "key_rotated"
    revoked = client.get(revocations_path)
    if revoked and revoked.get("data") and claims.get("jti"):
        try:
            ids = base64.b64decode(revoked["data"]).decode("utf-8").strip().split(",")
        except (ValueError, binascii.Error):
            ids = []
        if claims["jti"] in ids:
            return "revoked"
    return "valid"


def ensure_token(kmod):
    p = kmod.params
    errors = []
    check_name_and_mesh(p["name"], p["mesh"], errors)
    tags = normalise_tags(p.get("tags"), errors)
    valid_for, renew_before = _check_validity(p, errors)
    if errors:
        raise KumaInputError(errors)

    current = (p.get("current_token") or "").strip()  # as read from a token file
    if current or not kmod.check_mode:
        tags = _tags_for(kmod.client, tags)
    reason = "missing"
    if current:
        reason, claims = assess_token(kmod.client, current, p["name"], p["mesh"], tags, renew_before)
        if reason == "valid":
            return {"changed": False, "token": current, "reason": reason, "expires_at": _iso(claims.get("exp"))}
        if reason == "revoked" and not p.get("reissue_revoked"):
            # Revoking a proxy's token is how an operator shuts it out: the next run must not let it back in.
            raise KumaInputError(["current_token: the token in hand for %s/%s was revoked (its id is in "
                                  "dataplane-token-revocations-%s); a new one is issued only with reissue_revoked=true "
                                  "(role kuma.universal.sidecar: -e sidecar_reissue_revoked=true for that run)"
                                  % (p["mesh"], p["name"], p["mesh"])])
    if kmod.check_mode:
        return {"changed": True, "token": "", "reason": reason, "expires_at": None}
    body = {"name": p["name"], "mesh": p["mesh"], "tags": tags, "type": "dataplane"}
    if valid_for:
        body["validFor"] = valid_for
    return _issue(kmod, "/tokens/dataplane", body, reason)


# The options of kuma.universal.dataplane_tokens (its action plugin validates a decision on the controller with them).
TOKENS_ARGUMENT_SPEC = {
    # A list of items (names, meshes, tags), not a secret; each item's current_token is.
    "tokens": {"type": "list", "elements": "dict", "required": True, "no_log": False, "options": {
        "name": {"type": "str", "required": True},
        "mesh": {"type": "str", "default": "default"},
        "tags": {"type": "dict"},
        "current_token": {"type": "str", "no_log": True},
    }},
    "valid_for": {"type": "str"},
    "renew_before": {"type": "str", "default": "24h"},
    "reissue_revoked": {"type": "bool", "default": False},
    # What kuma.universal.dataplanes read for the tokens in hand (its token_reads): used by the action plugin only.
    # Not a secret: the signing keys' public part and the revoked token ids.
    "token_reads": {"type": "dict", "no_log": False},
}


def ensure_tokens(kmod):
    """The dataplane_tokens module's run: every item decided (reads only), then the ones to issue issued."""
    common = {"valid_for": kmod.params.get("valid_for"), "renew_before": kmod.params.get("renew_before"),
              "reissue_revoked": kmod.params.get("reissue_revoked")}
    items = []
    errors = []
    for index, item in enumerate(kmod.params["tokens"]):
        params = dict(common, name=item["name"], mesh=item.get("mesh") or "default", tags=item.get("tags"),
                      current_token=item.get("current_token"))
        items.append(params)
        if not params["name"]:
            errors.append("tokens[%d].name: cannot be empty" % index)
    keys = ["%s/%s" % (p["mesh"], p["name"]) for p in items]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            errors.append("tokens[%d]: %s is already given as tokens[%d]" % (index, key, keys.index(key)))
    if errors:
        raise KumaInputError(errors)
    # Validate every item before any request: check mode and an empty current token never call the CP.
    for index, params in enumerate(items):
        try:
            ensure_token(SimpleNamespace(params=dict(params, current_token=None), client=None, check_mode=True))
        except KumaInputError as exc:
            errors.extend("tokens[%d].%s" % (index, e) for e in exc.errors)
    if errors:
        raise KumaInputError(errors)
    # Decide every item first (reads only): a refusal (a revoked token) stops the task before any token is issued.
    decided = []
    for index, params in enumerate(items):
        try:
            decided.append(ensure_token(SimpleNamespace(params=params, client=kmod.client, check_mode=True)))
        except KumaInputError as exc:
            errors.extend("tokens[%d].%s" % (index, e) for e in exc.errors)
    if errors:
        raise KumaInputError(errors)
    results = []
    for params, outcome in zip(items, decided):
        if outcome["changed"] and not kmod.check_mode:
            # Already decided: issue without deciding again (the reason is the one found above).
            issued = ensure_token(SimpleNamespace(params=dict(params, current_token=None), client=kmod.client,
                                                  check_mode=False))
            outcome = dict(issued, reason=outcome["reason"])
        entry = {"name": params["name"], "mesh": params["mesh"], "changed": outcome["changed"],
                 "reason": outcome["reason"], "expires_at": outcome["expires_at"]}
        if outcome["changed"]:
            entry["token"] = outcome["token"]
        results.append(entry)
    return {"changed": any(r["changed"] for r in results), "tokens": results}


def _tags_for(client, tags):
    """The tags a token binds, as the CP checks them: Kuma 3 checks them against the Dataplane's
    labels, where the service tag is the label _kuma3 writes (a token bound to kuma.io/service
    is refused: 'dataplane has no tag "kuma.io/service" required by the token')."""
    if SERVICE_TAG not in tags or (major_of(client.version()) or 0) < 3:
        return tags
    return token_tags_3(tags)


def token_module(ensure):
    """The run function of a token module (dataplane_token, zone_token): ensure's result, and
    a current token kept as it was released from no_log masking, so that the result carries it
    (the task itself runs with no_log)."""
    def run(kmod):
        result = ensure(kmod)
        current = kmod.params.get("current_token")
        if current and result["token"] == current.strip():
            kmod.release_secret(current)
        return result
    return run


def _issue(kmod, path, body, reason):
    """POST the token request; the new token with its expiry (read from its own claims)."""
    _status, token = kmod.client.request("POST", path, body=body)
    token = str(token).strip()
    try:
        _header, claims, _si, _sig = decode_jwt(token)
        expires_at = _iso(claims.get("exp"))
    except TokenFormatError:
        expires_at = None
    return {"changed": True, "token": token, "reason": reason, "expires_at": expires_at}


def _check_validity(p, errors):
    valid_for = p.get("valid_for") or ""
    if valid_for:
        nanos = parse_go_duration(valid_for)
        if nanos is None or nanos <= 0:
            errors.append("valid_for: %r is not a positive Go duration such as '720h' or '8760h'" % valid_for)
    renew_before = parse_go_duration(p.get("renew_before") or "0")
    if renew_before is None or renew_before < 0:
        errors.append("renew_before: %r is not a Go duration such as '24h'" % p.get("renew_before"))
    return valid_for, renew_before


def assess_zone_token(client, token, zone, scope, renew_before_ns):
    """Why the zone token in hand must be replaced, or 'valid'. Returns (reason, claims or None)."""
    try:
        header, claims, signing_input, signature = decode_jwt(token)
    except TokenFormatError:
        return "malformed", None
    if header.get("alg") != "RS256" or "Zone" not in claims:
        return "malformed", claims
    held = claims.get("Scope") if isinstance(claims.get("Scope"), list) else []
    if str(claims.get("Zone")) != zone or sorted({str(s) for s in held}) != scope:
        return "claims_mismatch", claims
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp - time.time() <= renew_before_ns / 1e9:
        return "expiring", claims
    kid = header.get("kid")
    key_name = ZONE_SIGNING_KEY_PREFIX + (str(kid) if kid not in (None, "") else "1")
    reason = _verify(client, "/global-secrets/%s" % quote_segment(key_name), signing_input, signature,
                     "/global-secrets/%s" % ZONE_REVOCATIONS, claims)
    return reason, claims


def ensure_zone_token(kmod):
    """A zone token for zone ingress/egress proxies (POST /tokens/zone), or the one in hand while good."""
    p = kmod.params
    errors = []
    zone = p.get("zone") or ""
    if not _ZONE_RE.match(zone):
        errors.append("zone: %r is not a zone name (lowercase letters, digits and '-', 1 to 253 characters, "
                      "starting and ending with a letter or digit)" % zone)
    scope = sorted({str(s) for s in p.get("scope") or []})
    bad = [s for s in scope if s not in ZONE_SCOPES]
    if not scope or bad:
        errors.append("scope: %r; give one or both of %s" % (p.get("scope"), ", ".join(ZONE_SCOPES)))
    valid_for, renew_before = _check_validity(p, errors)
    if errors:
        raise KumaInputError(errors)
    current = (p.get("current_token") or "").strip()
    reason = "missing"
    if current:
        reason, claims = assess_zone_token(kmod.client, current, zone, scope, renew_before)
        if reason == "valid":
            return {"changed": False, "token": current, "reason": reason, "expires_at": _iso(claims.get("exp"))}
    if kmod.check_mode:
        return {"changed": True, "token": "", "reason": reason, "expires_at": None}
    body = {"zone": zone, "scope": scope}
    if valid_for:
        body["validFor"] = valid_for
    return _issue(kmod, "/tokens/zone", body, reason)
