# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options against the real CP: HTTPS with ca_path, certificate checks, bearer
tokens (a bad one is refused and never shows in the output), errors when nothing listens."""

from __future__ import annotations

import base64

from conftest import wait_for
from support.kuma_cp import free_port


def admin_token(cp):
    secret = wait_for(lambda: cp.get("/global-secrets/admin-user-token"), 60, "the admin token")
    return base64.b64decode(secret["data"]).decode()


def test_https_with_ca_path_and_admin_token(cp, ansible, default_mesh):
    token = admin_token(cp)
    over_tls = {"api_url": cp.https_url, "ca_path": cp.ca_cert, "api_token": token}
    listed, unverified, insecure = ansible.play(
        ("dataplane_info", dict(over_tls, mesh="default")),
        ("dataplane_info", {"api_url": cp.https_url}),
        ("dataplane_info", {"api_url": cp.https_url, "validate_certs": False}))
    assert listed.get("failed") is not True, listed.get("msg")
    assert listed["dataplanes"] == [] or isinstance(listed["dataplanes"], list)
    assert unverified["failed"] is True and unverified["title"] == "TLS error"
    assert unverified["msg"].startswith("Kuma API GET /dataplanes/_overview failed: no response: TLS error")
    assert insecure.get("failed") is not True, insecure.get("msg")
    assert token not in str(listed) + str(unverified)


def test_bearer_token_never_echoed(cp, ansible, default_mesh):
    # From loopback the CP treats callers as admin and ignores the bearer; what matters here
    # is that a failing call never shows the token.
    secret = "secret-token-value-0123456789"
    result = ansible.run("dataplane", {"name": "web-1", "mesh": "nomesh", "address": "127.0.0.1",
                                       "api_token": secret,
                                       "inbound": [{"port": 7100, "service_port": 7101,
                                                    "tags": {"kuma.io/service": "web"}}]})
    assert result["failed"] is True and result["status"] == 404, result
    assert secret not in str(result)
    assert result["invocation"]["module_args"]["api_token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_nothing_listening(ansible):
    url = "http://127.0.0.1:%d" % free_port()
    result = ansible.run("mesh", {"name": "never", "api_url": url, "timeout": 2})
    assert result["failed"] is True and result["status"] is None
    assert result["msg"] == ("Kuma API GET /meshes/never failed: no response: control plane unreachable at %s after "
                             "4 attempts (Connection refused; is kuma-cp running and its API listening there?)" % url)


def test_api_url_that_is_not_a_url(ansible):
    not_urls = ["127.0.0.1:5681", "not a url", "ftp://x"]
    results = ansible.play(*[("mesh", {"name": "never", "api_url": url}) for url in not_urls])
    for url, result in zip(not_urls, results):
        assert result["failed"] is True and "Traceback" not in str(result.get("exception", "")), result.get("exception")
        assert result["msg"] == ("Invalid input: api_url: %r is not an http:// or https:// URL such as "
                                 "http://127.0.0.1:5681" % url)
