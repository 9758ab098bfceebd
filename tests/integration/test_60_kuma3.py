# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kuma 3 on the real binaries: the same module input as on Kuma 2 (today's fields and the
seed's 0.x syntax) against a Kuma 3 kuma-cp; real kuma-dp + Envoy for three replicas of one
service on one address (distinct ports, as the seed's six Redis) and a client whose outbound
names the service; requests through the client's outbound reach every replica.

The Kuma 3 archive is KUMA3_ARCHIVE, else scripts/kuma-dist.sh for KUMA3_VERSION (the 3.0
development commit by default), built or taken from the cache."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import SETTINGS, Ansible, wait_for
from support.kuma_cp import ROOT, ControlPlane, free_port, unpack

sys.path.insert(0, str(ROOT / "build" / "collections"))  # make collection links the work tree there
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import mesh_identity, spiffe_id  # noqa: E402
from test_19_zone_proxy_listeners import check_zone_ingress
from test_30_token_kuma_dp import KumaDp

KUMA3_VERSION = os.environ.get("KUMA3_VERSION", "3.0.0-dev.348b6528")
SERVICE_LABEL = "kuma.universal/service"


def kuma3_archive():
    path = os.environ.get("KUMA3_ARCHIVE")
    if not path:
        env = dict(os.environ, KUMA_VERSION=KUMA3_VERSION)
        env.pop("KUMA_ARCHIVE", None)
        path = subprocess.run(["bash", str(ROOT / "scripts" / "kuma-dist.sh")], env=env, check=True,
                              capture_output=True, text=True).stdout.strip()
    return Path(path)


@pytest.fixture(scope="module")
def cp3():
    tmp = Path(tempfile.mkdtemp(prefix="kuma3-test-"))
    kuma_dir = unpack(kuma3_archive(), tmp)
    plane = ControlPlane(kuma_dir, tmp / "kuma-cp", SETTINGS)
    plane.start()
    try:
        plane.ensure_mesh("default")
        yield plane
    finally:
        plane.stop()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


class App(http.server.ThreadingHTTPServer):
    """A replica: answers its own name on 127.0.0.1."""

    def __init__(self, name):
        self.replica = name

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = self.server.replica.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


def answers(port, until, count=80, seconds=80):
    """Requests to 127.0.0.1:port, 0.5 s apart, until until(seen) (bounded in count and time):
    {body of a 200 answer or the status code of another: how many}."""
    seen = {}
    deadline = time.monotonic() + seconds
    for dummy in range(count):
        if time.monotonic() > deadline or until(seen):
            break
        try:
            answer = requests.get("http://127.0.0.1:%d/" % port, timeout=5)
            key = answer.text if answer.status_code == 200 else answer.status_code
        except requests.RequestException as exc:
            key = type(exc).__name__
        seen[key] = seen.get(key, 0) + 1
        time.sleep(0.5)
    return seen


@pytest.fixture
def running():
    started = []
    yield started
    for item in started:
        if isinstance(item, KumaDp):
            item.stop()
        else:
            item.shutdown()


def test_seed_inventory_on_kuma3(cp3, tmp_path, running):
    assert cp3.get("/")["version"] == KUMA3_VERSION
    ansible = Ansible(cp3, tmp_path)
    apps = [App("web-%d" % i) for i in range(3)]
    running.extend(apps)
    ports = [free_port() for dummy in apps]
    replicas = [{"name": "web-%d" % i, "address": "127.0.0.1",
                 "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "h1"},
                 "inbound": [{"port": ports[i], "service_port": app.port, "service_address": "127.0.0.1",
                              "tags": {"kuma.io/service": "web", "kuma.io/protocol": "http", "version": "v1"}}]}
                for i, app in enumerate(apps)]
    client_in, client_app, outbound = free_port(), free_port(), free_port()
    # the seed's Backend, in Kuma 0.x syntax
    client_inbound = {"interface": "127.0.0.1:%d:%d" % (client_in, client_app), "tags": {"service": "client"}}
    client = {"name": "client-1", "inbound": [client_inbound],
              "outbound": [{"interface": ":%d" % outbound, "service": "web"}]}
    check = ansible.run("dataplanes", {"dataplanes": replicas}, check=True)
    assert check["changed"] and cp3.get("/meshes/default/dataplanes/web-0") is None, check.get("msg")
    assert cp3.get("/meshes/default/meshservices/web") is None
    # --diff shows the Kuma 3 entity and the MeshService the module writes
    assert check["diff"]["after"]["default/web-0"]["labels"][SERVICE_LABEL] == "web"
    assert check["diff"]["after"]["meshservice:default/web"]["spec"]["ports"][0]["targetPort"] == "web"
    registered, client_result = ansible.play(("dataplanes", {"dataplanes": replicas}), ("dataplane", client))
    assert registered["changed"] and registered["meshservices"] == ["default/web"], registered.get("msg")
    assert client_result["changed"], client_result.get("msg")
    assert "outbound[0]: tags {kuma.io/service: web} -> backendRef {kind: MeshService, name: web, port: %d}" \
        % ports[0] in client_result["translations"]

    # what the Kuma 3 CP stored
    web0 = cp3.get("/meshes/default/dataplanes/web-0")
    assert web0["labels"][SERVICE_LABEL] == "web" and web0["labels"]["version"] == "v1"
    assert web0["networking"]["inbound"][0]["name"] == "web"
    assert web0["networking"]["inbound"][0]["protocol"] == "http"
    assert "tags" not in web0["networking"]["inbound"][0]
    stored_client = cp3.get("/meshes/default/dataplanes/client-1")
    assert stored_client["networking"]["outbound"][0]["backendRef"] == {"kind": "MeshService", "name": "web",
                                                                        "port": ports[0]}
    service = cp3.get("/meshes/default/meshservices/web")
    assert service["spec"]["selector"] == {"dataplaneLabels": {"matchLabels": {SERVICE_LABEL: "web"}}}

    # tokens bound to the service; kuma-dp + Envoy for every proxy
    tokens = ansible.run("dataplane_tokens", {"tokens": [
        {"name": r["name"], "tags": {"kuma.io/service": "web"}} for r in replicas] + [
        {"name": "client-1", "tags": {"kuma.io/service": "client"}}]})
    assert tokens["changed"], tokens.get("msg")
    for item in tokens["tokens"]:
        running.append(KumaDp(cp3, item["name"], item["token"]))
    names = [r["name"] for r in replicas] + ["client-1"]

    def all_online():
        info = ansible.run("dataplane_info", {"mesh": "default"})
        assert not info.get("failed"), info.get("msg")
        online = {d["name"] for d in info["dataplanes"] if d["online"]}
        return info if online >= set(names) else None

    try:
        info = wait_for(all_online, 90, "%s online" % ", ".join(names))
    except AssertionError:
        raise AssertionError("\n".join(dp.output()[-1500:] for dp in running if isinstance(dp, KumaDp)))
    by_name = {d["name"]: d for d in info["dataplanes"]}
    assert by_name["web-1"]["services"] == ["web"] and by_name["web-1"]["kuma_dp_version"] == KUMA3_VERSION

    # requests through the client's outbound reach every replica (bounded: 60 requests, 60 s)
    seen = answers(outbound, until=lambda s: len(s) == len(apps))
    assert set(seen) == {"web-0", "web-1", "web-2"}, seen

    # mTLS through MeshIdentity (the control_plane role's translation of Mesh.mtls): without a
    # MeshTrafficPermission the client is refused; with one for its SPIFFE ID it gets through
    (identity,) = mesh_identity("default", {"enabledBackend": "ca-1", "backends": [{"name": "ca-1",
                                                                                    "type": "builtin"}]})
    spec = identity["spec"]
    # The SPIFFE ID path is a Go template: written into a playbook it is kept from Jinja
    # (the control_plane role passes it as a filter's result, which Ansible does not template).
    spec["spiffeID"]["path"] = "{%% raw %%}%s{%% endraw %%}" % spec["spiffeID"]["path"]
    result = ansible.run("resource", {"kind": "MeshIdentity", "mesh": "default", "name": identity["name"],
                                      "spec": spec})
    assert result["changed"], result.get("msg")
    denied = answers(outbound, until=lambda s: s.get(403, 0) >= 3)
    assert denied.get(403, 0) >= 3, denied  # Envoy's RBAC filter of the replicas: 403, nothing reached
    mtp = {"kind": "MeshTrafficPermission", "mesh": "default", "name": "client-to-web", "spec": {
        "targetRef": {"kind": "Dataplane", "labels": {SERVICE_LABEL: "web"}},
        "rules": [{"default": {"allow": [{"spiffeID": {"type": "Exact", "value": spiffe_id("default", "client")}}]}}]}}
    result = ansible.run("resource", mtp)
    assert result["changed"], result.get("msg")
    allowed = answers(outbound, until=lambda s: len([k for k in s if str(k).startswith("web-")]) == len(apps))
    assert {"web-0", "web-1", "web-2"} <= set(allowed), allowed

    # converged: a second run and check mode change nothing
    again, again_client, check_again = ansible.play(
        ("dataplanes", {"dataplanes": replicas}), ("dataplane", client),
        {"module": "dataplane", "args": client, "check_mode": True})
    assert not again["changed"] and not again_client["changed"] and not check_again["changed"], \
        (again.get("diff"), again_client.get("diff"))

    # Mesh.mtls refused on Kuma 3, naming what replaces it; nothing written
    refused = ansible.run("mesh", {"name": "default", "mtls": {"enabledBackend": "ca-1", "backends": [
        {"name": "ca-1", "type": "builtin"}]}})
    assert refused["failed"] and "MeshIdentity" in refused["msg"]
    assert "mtls" not in cp3.get("/meshes/default")

    # the inventory plugin groups Kuma 3 Dataplanes (no inbound tags) by the collection's service label
    source = tmp_path / "kuma.yml"
    source.write_text(json.dumps({"plugin": "kuma.universal.kuma", "api_url": cp3.url, "meshes": ["default"]}))
    listed = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(source),
                             "--list"], capture_output=True, text=True, cwd=ROOT, check=False, timeout=120)
    assert listed.returncode == 0, listed.stderr
    groups = json.loads(listed.stdout)
    assert sorted(groups["service_web"]["hosts"]) == ["web-0", "web-1", "web-2"], groups.get("service_web")
    assert groups["service_client"]["hosts"] == ["client-1"]


def test_zone_ingress_listener_on_kuma3(cp3, tmp_path):
    """Kuma 3's only form of a zone proxy, with its MeshZoneAddress (test_19 on 2.14)."""
    check_zone_ingress(cp3, Ansible(cp3, tmp_path))
