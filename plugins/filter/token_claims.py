# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller planning: the key id and claims of Kuma token files, decoded without verifying
(the rotate role reads which signing key each proxy's token file was issued with)."""

from __future__ import annotations

import base64
import binascii
import json

from ansible.errors import AnsibleFilterError


def _segment(text, what, where):
    try:
        padded = text + "=" * (-len(text) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise AnsibleFilterError("kuma.universal.token_claims: %s: the token's %s is not base64url JSON (%s)"
                                 % (where, what, type(exc).__name__))
    if not isinstance(value, dict):
        raise AnsibleFilterError("kuma.universal.token_claims: %s: the token's %s is not a JSON object" % (where, what))
    return value


def decode(token, where="token"):
    """(header, claims) of a JWT, unverified. Never puts the token in a message."""
    parts = str(token).strip().split(".")
    if len(parts) != 3:
        raise AnsibleFilterError("kuma.universal.token_claims: %s: not a JWT (header.claims.signature)" % where)
    return _segment(parts[0], "header", where), _segment(parts[1], "claims", where)


def token_claims(files, new_kid=None):
    """The filter: see plugins/filter/token_claims.yml."""
    if not isinstance(files, list):
        raise AnsibleFilterError("kuma.universal.token_claims: expects the results of an ansible.builtin.slurp loop")
    new_kid = dict(new_kid or {})
    out = []
    for item in files:
        path = str(item.get("source") or item.get("item", {}).get("path", "?"))
        content = base64.b64decode(str(item.get("content", "")))
        header, claims = decode(content.decode("utf-8", "replace"), path)
        mesh, kid = claims.get("Mesh"), str(header.get("kid"))
        out.append({"path": path, "name": claims.get("Name"), "mesh": mesh, "tags": claims.get("Tags"), "kid": kid,
                    "stale": mesh in new_kid and kid != str(new_kid[mesh])})
    return out


class FilterModule:
    def filters(self):
        return {"token_claims": token_claims}
