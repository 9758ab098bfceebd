# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API client: error mapping, retries, 404 handling, paging, no token in messages."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaApiError, KumaClient, KumaInputError
from ansible_collections.kuma.universal.tests.unit.fakecp import FakeCP, response

TOKEN = "eyJsecret.token.value"
INVALID = {"type": "/std-errors", "status": 400, "title": "Could not process a resource",
           "detail": "Resource is not valid",
           "invalid_parameters": [{"field": "networking.inbound[0].port", "reason": "port must be in the range [1, 65535]"},
                                  {"field": "networking.inbound[0].tags[\"kuma.io/service\"]", "reason": "tag has to exist"}]}


@pytest.fixture
def cp():
    return FakeCP()


def client_for(cp, **kwargs):
    sleeps = []
    client = KumaClient("http://127.0.0.1:5681/", api_token=TOKEN, session=cp.session(), sleep=sleeps.append, **kwargs)
    client.sleeps = sleeps
    return client


def test_validation_error_carries_every_field(cp):
    cp.scripted.append(response(400, INVALID))
    with pytest.raises(KumaApiError) as info:
        client_for(cp).put("/meshes/default/dataplanes/x", {"type": "Dataplane"})
    err = info.value
    assert (err.method, err.path, err.status) == ("PUT", "/meshes/default/dataplanes/x", 400)
    assert err.title == "Could not process a resource" and err.detail == "Resource is not valid"
    assert err.invalid_parameters == [
        {"field": "networking.inbound[0].port", "reason": "port must be in the range [1, 65535]"},
        {"field": "networking.inbound[0].tags[\"kuma.io/service\"]", "reason": "tag has to exist"}]
    assert str(err) == (
        "Kuma API PUT /meshes/default/dataplanes/x failed: HTTP 400 Could not process a resource (Resource is not "
        "valid): networking.inbound[0].port: port must be in the range [1, 65535]; "
        "networking.inbound[0].tags[\"kuma.io/service\"]: tag has to exist")
    result = err.to_result()
    assert result["status"] == 400 and result["invalid_parameters"] == err.invalid_parameters
    assert TOKEN not in repr(result)


def test_causes_are_used_when_invalid_parameters_are_missing(cp):
    cp.scripted.append(response(400, {"title": "Bad", "causes": [{"field": "spec", "message": "required"}]}))
    with pytest.raises(KumaApiError) as info:
        client_for(cp).put("/x", {})
    assert info.value.invalid_parameters == [{"field": "spec", "reason": "required"}]


def test_non_json_error_body(cp):
    cp.scripted.append(response(403, text="Access Denied", reason="Forbidden"))
    with pytest.raises(KumaApiError) as info:
        client_for(cp).request("POST", "/tokens/dataplane", body={})
    assert info.value.status == 403
    assert str(info.value) == "Kuma API POST /tokens/dataplane failed: HTTP 403 Forbidden (Access Denied)"


def test_bearer_token_sent_but_never_in_errors(cp):
    cp.scripted.append(response(401, {"title": "Unauthorized", "detail": "invalid token"}))
    with pytest.raises(KumaApiError) as info:
        client_for(cp).get("/meshes")
    assert cp.requests[0][3]["Authorization"] == "Bearer " + TOKEN
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value.to_result())


def test_get_404_is_none_and_delete_404_is_not_an_error(cp):
    client = client_for(cp)
    assert client.get("/meshes/nope") is None
    client.delete("/meshes/nope")
    assert client.put("/meshes/m", {"type": "Mesh", "name": "m"}) == []
    client.delete("/meshes/m")
    assert ("meshes", "m") not in cp.store
    assert [r[0] for r in cp.requests] == ["GET", "DELETE", "PUT", "DELETE"]


@pytest.mark.parametrize("status", [409, 500, 502, 503, 504])
def test_retry_on_conflict_and_5xx_then_success(cp, status):
    cp.scripted += [response(status, {"title": "busy"}), response(status, {"title": "busy"})]
    client = client_for(cp)
    assert client.get("/") == {"product": "Kuma", "version": "2.14.3"}
    assert len(cp.requests) == 3
    assert client.sleeps == [0.5, 1.0]


def test_retries_are_bounded(cp):
    cp.scripted += [response(503, {"title": "Service Unavailable"})] * 5
    client = client_for(cp, retries=2)
    with pytest.raises(KumaApiError) as info:
        client.get("/meshes")
    assert info.value.status == 503 and len(cp.requests) == 3


# What requests raises when nothing listens: the cause is deep in the connection pool's text.
REFUSED = ("HTTPConnectionPool(host='127.0.0.1', port=5681): Max retries exceeded with url: /meshes "
           "(Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a2c1d0e50>: "
           "Failed to establish a new connection: [Errno 111] Connection refused'))")


def test_connection_errors_are_retried_then_reported(cp):
    cp.scripted += [requests.exceptions.ConnectionError(REFUSED)] * 4
    client = client_for(cp)
    with pytest.raises(KumaApiError) as info:
        client.get("/meshes")
    assert info.value.status is None
    assert len(cp.requests) == 4
    # The control plane's URL and the cause in a few words, not the connection pool's repr.
    assert str(info.value) == (
        "Kuma API GET /meshes failed: no response: control plane unreachable at http://127.0.0.1:5681 "
        "after 4 attempts (Connection refused; is kuma-cp running and its API listening there?)")


@pytest.mark.parametrize("error, reason", [
    (requests.exceptions.ConnectionError(
        "HTTPConnectionPool(host='kuma-cp.example', port=5681): Max retries exceeded with url: / (Caused by "
        "NameResolutionError(\"<urllib3.connection.HTTPConnection object at 0x7f>: Failed to resolve "
        "'kuma-cp.example' ([Errno -2] Name or service not known)\"))"), "Name or service not known"),
    (requests.exceptions.ReadTimeout(
        "HTTPConnectionPool(host='127.0.0.1', port=5681): Read timed out. (read timeout=30)"), "no answer within 30 s"),
    (requests.exceptions.ConnectionError("refused"), "refused"),
])
def test_unreachable_reason_in_a_few_words(cp, error, reason):
    cp.scripted += [error] * 4
    with pytest.raises(KumaApiError) as info:
        client_for(cp).get("/")
    assert info.value.title == "control plane unreachable at http://127.0.0.1:5681 after 4 attempts"
    assert info.value.detail == reason + "; is kuma-cp running and its API listening there?"


def test_tls_errors_are_not_retried(cp):
    cp.scripted.append(requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(KumaApiError) as info:
        client_for(cp).get("/")
    assert len(cp.requests) == 1 and info.value.title == "TLS error"


def test_400_is_not_retried(cp):
    cp.scripted.append(response(400, INVALID))
    with pytest.raises(KumaApiError):
        client_for(cp).put("/x", {})
    assert len(cp.requests) == 1


def test_version_from_root_is_cached(cp):
    client = client_for(cp)
    assert client.version() == "2.14.3" and client.version() == "2.14.3"
    assert len(cp.requests) == 1


def test_resource_types_are_cached_per_run_and_unknown_kind_is_an_input_error(cp):
    client = client_for(cp)
    assert client.resource_type("MeshTimeout")["path"] == "meshtimeouts"
    assert client.resource_type("Mesh")["scope"] == "Global"
    with pytest.raises(KumaInputError) as info:
        client.resource_type("MeshTimout")
    assert info.value.errors[0].startswith("kind: unknown resource kind 'MeshTimout'; this control plane knows: ")
    assert [r[1] for r in cp.requests] == ["/_resources"]


def test_paging_follows_next(cp):
    cp.scripted += [
        response(200, {"total": 3, "items": [{"name": "a"}, {"name": "b"}],
                       "next": "http://127.0.0.1:5681/dataplanes?offset=2&size=2"}),
        response(200, {"total": 3, "items": [{"name": "c"}], "next": None}),
    ]
    assert [i["name"] for i in client_for(cp).list("/dataplanes", [("tag", "kuma.io/service:a")])] == ["a", "b", "c"]
    assert len(cp.requests) == 2


@pytest.mark.parametrize("kwargs, verify", [
    ({"ca_path": "/tmp/ca.pem"}, "/tmp/ca.pem"),
    ({"ca_path": "/tmp/ca.pem", "validate_certs": False}, False),
    ({}, True),
])
def test_ca_path_and_validate_certs_win_over_the_environment(monkeypatch, kwargs, verify):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    seen = []

    class Recorder(FakeCP):
        def send(self, request, **send_kwargs):
            seen.append(send_kwargs["verify"])
            return super().send(request, **send_kwargs)

    fake = Recorder()
    KumaClient("https://localhost:5682", session=fake.session(), **kwargs).get("/")
    assert seen == [verify if verify is not True else "/etc/ssl/certs/ca-certificates.crt"]


def test_token_with_newline_is_stripped_and_a_bad_one_is_refused_without_echo(cp):
    client = KumaClient(api_token=TOKEN + "\n", session=cp.session())
    client.get("/")
    assert cp.requests[-1][3]["Authorization"] == "Bearer " + TOKEN
    with pytest.raises(KumaInputError) as info:
        KumaClient(api_token="abc def-secret", session=cp.session())
    assert "secret" not in str(info.value) and info.value.errors == [
        "api_token: contains spaces or control characters (not shown)"]


@pytest.mark.parametrize("url", ["not a url", "127.0.0.1:5681", "localhost:5681", "ftp://x", "http://", "https:///path",
                                 "http://127.0.0.1:99999", "http://user:pw@127.0.0.1:5681", ""])
def test_api_url_that_is_not_an_http_url_is_refused_before_any_request(cp, url):
    with pytest.raises(KumaInputError) as info:
        KumaClient(url or " ", session=cp.session())
    assert len(info.value.errors) == 1
    text = info.value.errors[0]
    assert text.startswith("api_url: %r " % (url or " ").strip()) or text.startswith("api_url: must not carry")
    assert "an http:// or https:// URL such as http://127.0.0.1:5681" in text
    assert "pw" not in text
    assert cp.requests == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:5681", "https://kuma.example:5682/", "http://[::1]:5681",
                                 "http://cp/prefix/"])
def test_api_url_forms_accepted(cp, url):
    assert KumaClient(url, session=cp.session()).base_url == url.rstrip("/")


def test_other_requests_errors_become_api_errors(cp):
    cp.scripted.append(requests.exceptions.InvalidHeader("bad header"))
    with pytest.raises(KumaApiError) as info:
        client_for(cp).get("/meshes")
    assert info.value.status is None and info.value.title == "request failed"
