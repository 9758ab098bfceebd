# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: a mesh's dataplane-token signing keys and its token revocation list.

Facts from Kuma 2.14.3 (pkg/core/tokens, pkg/tokens/builtin):
- a signing key is the mesh Secret dataplane-token-signing-key-<mesh>-<serial>; its value is
  a PKCS#1 PEM ("RSA PRIVATE KEY") RSA-2048 key, exactly what kuma-cp generates (util/rsa);
  a PKCS#8 "PRIVATE KEY" is refused by kuma-cp when it signs;
- new tokens are signed with the highest serial, whose number is the token's "kid" header;
  a token is verified with the key named by its kid;
- revoked token ids (jti) are a comma-separated list in the GlobalSecret (not a mesh Secret,
  whatever the docs say) dataplane-token-revocations-<mesh>, checked when a proxy connects.
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil

from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError, quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._naming import check_mesh
from ansible_collections.kuma.universal.plugins.module_utils._token import (
    REVOCATIONS_PREFIX, SIGNING_KEY_PREFIX, TokenFormatError, decode_jwt, rsa_public_numbers,
)

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError:  # pragma: no cover - the openssl fallback is used
    HAS_CRYPTOGRAPHY = False
else:
    HAS_CRYPTOGRAPHY = True

KEY_BITS = 2048  # Kuma's util/rsa DefaultKeySize
PKCS1_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
JTI_RE = re.compile(r"^[A-Za-z0-9._:-]+$")


def key_name(mesh, serial):
    return "%s%s-%d" % (SIGNING_KEY_PREFIX, mesh, serial)


def key_path(mesh, serial):
    return "/meshes/%s/secrets/%s" % (quote_segment(mesh), quote_segment(key_name(mesh, serial)))


def serials_of(secrets, mesh):
    """The serials of the mesh's signing keys among its Secrets (names with a number after the prefix)."""
    prefix = "%s%s-" % (SIGNING_KEY_PREFIX, mesh)
    serials = []
    for item in secrets:
        name = str(item.get("name", ""))
        rest = name[len(prefix):]
        if name.startswith(prefix) and rest.isdigit():
            serials.append(int(rest))
    return sorted(serials)


def generate_key(run_command=None):
    """A new RSA-2048 private key as PKCS#1 PEM text, like kuma-cp's own.

    With the cryptography library when it is importable, else `openssl genrsa` (the key on
    its standard output, never on a command line).
    """
    if HAS_CRYPTOGRAPHY:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode("ascii")
    else:
        pem = _openssl_key(run_command)
    check_key(pem)
    return pem


def _openssl_key(run_command):
    openssl = shutil.which("openssl")
    if not openssl or run_command is None:
        raise KumaInputError(["state: a new key needs the Python library cryptography or the openssl command "
                              "on the host that runs the module; neither was found"])
    # OpenSSL 3 writes PKCS#8 unless told -traditional; 1.1 writes PKCS#1 and has no such flag.
    for args in ([openssl, "genrsa", "-traditional", str(KEY_BITS)], [openssl, "genrsa", str(KEY_BITS)]):
        rc, out, _err = run_command(args)
        if rc == 0 and PKCS1_HEADER in out:
            return out.strip() + "\n"
    raise KumaInputError(["state: openssl genrsa did not produce a PKCS#1 RSA key"])


def check_key(pem):
    """Raise TokenFormatError unless pem is a PKCS#1 RSA private key of KEY_BITS bits."""
    if not pem.startswith(PKCS1_HEADER):
        raise TokenFormatError("not a PKCS#1 PEM RSA private key")
    n, _e = rsa_public_numbers(pem.encode("ascii"))
    if n.bit_length() != KEY_BITS:
        raise TokenFormatError("not a %d-bit key" % KEY_BITS)


def list_serials(client, mesh):
    return serials_of(client.list("/meshes/%s/secrets" % quote_segment(mesh)), mesh)


def require_mesh(client, mesh):
    if client.get("/meshes/%s" % quote_segment(mesh)) is None:
        raise KumaInputError(["mesh: no mesh named %r on this control plane" % mesh])


def ensure_signing_key(kmod):
    """The module's logic: state present, absent or next; result without any key material."""
    p = kmod.params
    errors = []
    mesh, state, serial = p["mesh"], p["state"], p.get("serial")
    check_mesh(mesh, errors)
    if serial is not None and serial < 1:
        errors.append("serial: %r must be a positive integer (kuma-cp creates serial 1)" % serial)
    if state == "absent" and serial is None:
        errors.append("serial: required with state=absent (the key to delete)")
    if state == "next" and serial is not None:
        errors.append("serial: not allowed with state=next (the next serial is the highest plus one)")
    if errors:
        raise KumaInputError(errors)
    client = kmod.client
    require_mesh(client, mesh)
    before = list_serials(client, mesh)
    after = list(before)
    target = serial
    if state == "next":
        target = (before[-1] if before else 0) + 1
        after.append(target)
    elif state == "present":
        if target is None:
            target = before[-1] if before else 1
        if target not in before:
            after = sorted(before + [target])
    elif target in before:
        if before == [target] and not p["allow_last"]:
            raise KumaInputError(["serial: %d is the only signing key of mesh %s; add the next one first "
                                  "(state=next), or set allow_last=true" % (target, mesh)])
        after.remove(target)
    changed = after != before
    if changed and not kmod.check_mode:
        if state == "absent":
            client.delete(key_path(mesh, target))
        else:
            pem = generate_key(getattr(kmod.module, "run_command", None))
            data = base64.b64encode(pem.encode("ascii")).decode("ascii")
            kmod.module.no_log_values.update([pem, data])
            client.put(key_path(mesh, target), {"type": "Secret", "mesh": mesh, "name": key_name(mesh, target),
                                                "data": data})
    latest = after[-1] if after else None
    return {"changed": changed, "mesh": mesh, "serial": target, "name": key_name(mesh, target),
            "serials": after, "latest": latest,
            "diff": {"before": {"serials": before}, "after": {"serials": after}}}


# -- revocations ----------------------------------------------------------------------------
def revocations_path(mesh):
    return "/global-secrets/%s" % quote_segment(REVOCATIONS_PREFIX + mesh)


def read_revoked(client, mesh):
    """The revoked token ids of a mesh, in the order stored."""
    secret = client.get(revocations_path(mesh))
    if not secret or not secret.get("data"):
        return []
    try:
        text = base64.b64decode(secret["data"]).decode("utf-8")
    except (ValueError, binascii.Error):
        return []
    return [i for i in text.strip().split(",") if i]


def token_ids(tokens, mesh, errors):
    """The jti of each token given (tokens are secrets: errors never quote them)."""
    ids = []
    for index, token in enumerate(tokens or []):
        try:
            _header, claims, _si, _sig = decode_jwt(token or "")
        except TokenFormatError as exc:
            errors.append("tokens[%d]: not a dataplane token (%s)" % (index, exc))
            continue
        if claims.get("Mesh") != mesh:
            errors.append("tokens[%d]: a token of mesh %r, not of mesh %r" % (index, claims.get("Mesh"), mesh))
        elif not claims.get("jti"):
            errors.append("tokens[%d]: the token has no jti claim" % index)
        else:
            ids.append(str(claims["jti"]))
    return ids


def ensure_revocations(kmod):
    p = kmod.params
    errors = []
    mesh = p["mesh"]
    check_mesh(mesh, errors)
    ids = [str(i) for i in p.get("ids") or []]
    for index, jti in enumerate(ids):
        if not JTI_RE.match(jti):
            errors.append("ids[%d]: %r is not a token id (jti: letters, digits, '.', '_', ':', '-')" % (index, jti))
    ids += token_ids(p.get("tokens"), mesh, errors)
    if errors:
        raise KumaInputError(errors)
    client = kmod.client
    before = read_revoked(client, mesh)
    if p["state"] == "present":
        after = before + [i for i in dict.fromkeys(ids) if i not in before]
    else:
        after = [i for i in before if i not in ids]
    changed = after != before
    if changed and not kmod.check_mode:
        if after:
            client.put(revocations_path(mesh), {
                "type": "GlobalSecret", "name": REVOCATIONS_PREFIX + mesh,
                "data": base64.b64encode(",".join(after).encode("utf-8")).decode("ascii")})
        else:
            client.delete(revocations_path(mesh))
    return {"changed": changed, "mesh": mesh, "name": REVOCATIONS_PREFIX + mesh, "revoked": after,
            "diff": {"before": {"revoked": before}, "after": {"revoked": after}}}
