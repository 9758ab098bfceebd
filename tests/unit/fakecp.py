# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake Kuma API as a requests transport adapter: stores entities the way kuma-cp does
(adds kuma.io/* labels, the zone tag on inbounds, timestamps) and records every request."""

from __future__ import annotations

import copy
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from ansible.module_utils.testing import patch_module_args
from requests.adapters import BaseAdapter

RESOURCES = [
    {"name": "Mesh", "path": "meshes", "scope": "Global", "readOnly": False},
    {"name": "Dataplane", "path": "dataplanes", "scope": "Mesh", "readOnly": False},
    {"name": "MeshTimeout", "path": "meshtimeouts", "scope": "Mesh", "readOnly": False},
    {"name": "MeshTrafficPermission", "path": "meshtrafficpermissions", "scope": "Mesh", "readOnly": False},
    {"name": "TrafficPermission", "path": "traffic-permissions", "scope": "Mesh", "readOnly": False},
    {"name": "HostnameGenerator", "path": "hostnamegenerators", "scope": "Global", "readOnly": False},
    {"name": "DataplaneInsight", "path": "dataplane-insights", "scope": "Mesh", "readOnly": True},
]


def response(status, body=None, text=None, reason="", content_type="application/json"):
    resp = requests.Response()
    resp.status_code = status
    resp.reason = reason
    if body is not None:
        resp._content = json.dumps(body).encode()
        resp.headers["Content-Type"] = content_type
    else:
        resp._content = (text or "").encode()
        resp.headers["Content-Type"] = "text/plain"
    return resp


class FakeCP(BaseAdapter):
    def __init__(self):
        super().__init__()
        self.store = {}
        self.requests = []
        self.scripted = []  # responses (or exceptions) returned before the store answers
        self.unknown_keys = set()  # keys a PUT drops silently, as kuma-cp drops unknown policy fields
        self.insights = {}  # (mesh, name) -> the DataplaneInsight /dataplanes/_overview gives (none: offline, never seen)
        self.version = "2.14.3"  # "3.x": a Kuma 3 CP (no inbound tags, outbounds by backendRef only)

    # -- helpers for tests ---------------------------------------------------------
    def writes(self):
        return [r for r in self.requests if r[0] in ("PUT", "POST", "DELETE")]

    def session(self):
        s = requests.Session()
        s.mount("http://", self)
        s.mount("https://", self)
        return s

    # -- adapter -------------------------------------------------------------------
    def send(self, request, **kwargs):
        path = request.path_url.split("?")[0]
        params = dict(parse_qsl(urlsplit(request.path_url).query))
        body = json.loads(request.body) if request.body else None
        self.requests.append((request.method, path, body, dict(request.headers)))
        if self.scripted:
            nxt = self.scripted.pop(0)
            if isinstance(nxt, Exception):
                raise nxt
            return nxt
        return self.handle(request.method, path, body, params)

    def close(self):
        pass

    def handle(self, method, path, body, params=None):
        if path == "/":
            return response(200, {"product": "Kuma", "version": self.version})
        if path == "/_resources":
            return response(200, {"resources": RESOURCES})
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "meshes" and parts[2] != "" and ("meshes", parts[1]) not in self.store \
                and method == "PUT":
            return response(404, {"type": "/std-errors", "status": 404, "title": "Failed to retrieve Mesh",
                                  "detail": "Not found"})
        key = tuple(parts)
        if method == "GET" and len(parts) == 3 and parts[0] == "meshes" and key not in self.store:
            return self.listing(parts, params or {})
        if method == "GET" and parts == ["dataplanes", "_overview"]:
            # every mesh's Dataplanes with their insight (self.insights: (mesh, name) -> DataplaneInsight)
            items = [{"type": "DataplaneOverview", "mesh": k[1], "name": k[3], "labels": self.store[k].get("labels"),
                      "dataplane": {"networking": self.store[k].get("networking")},
                      "dataplaneInsight": self.insights.get((k[1], k[3]), {"subscriptions": []})}
                     for k in sorted(self.store) if len(k) == 4 and k[0] == "meshes" and k[2] == "dataplanes"]
            return response(200, {"total": len(items), "items": items, "next": None})
        if method == "GET" and parts == ["meshes"]:
            items = [self.store[k] for k in sorted(self.store) if len(k) == 2 and k[0] == "meshes"]
            return response(200, {"total": len(items), "items": items, "next": None})
        if method == "GET":
            if key in self.store:
                return response(200, self.store[key])
            return response(404, {"status": 404, "title": "Could not retrieve a resource", "detail": "Not found"})
        if method == "DELETE":
            if key in self.store:
                del self.store[key]
                return response(200, {})
            return response(404, {"status": 404, "title": "Could not delete a resource", "detail": "Not found"})
        if method == "PUT" and self.version.startswith("3") and body.get("type") == "Dataplane":
            # kuma-cp 3.x: "networking.outbound[0].backendRef: must be defined"
            for i, outbound in enumerate((body.get("networking") or {}).get("outbound") or []):
                if "backendRef" not in outbound:
                    return response(400, {"status": 400, "title": "Could not create a resource",
                                          "invalid_parameters": [{"field": "networking.outbound[%d].backendRef" % i,
                                                                  "reason": "must be defined"}]})
        if method == "PUT":
            created = key not in self.store
            stored = without_keys(copy.deepcopy(body), self.unknown_keys)
            stored["creationTime"] = "2026-01-01T00:00:00Z"
            stored["modificationTime"] = "2026-01-01T00:00:00Z"
            if body.get("type") != "Mesh":
                labels = stored.setdefault("labels", {})
                labels.update({"kuma.io/origin": "zone", "kuma.io/zone": "default", "kuma.io/mesh": body.get("mesh")})
            for inbound in (stored.get("networking") or {}).get("inbound") or []:
                if self.version.startswith("3"):
                    inbound.pop("tags", None)  # 3.x drops them (reserved in the proto)
                else:
                    inbound.setdefault("tags", {})["kuma.io/zone"] = "default"
            self.store[key] = stored
            return response(201 if created else 200, {})
        return response(405, {"status": 405, "title": "Method not allowed"})

    def listing(self, parts, params):
        """GET /meshes/{mesh}/{type}: paged like kuma-cp (size, offset, next)."""
        items = [self.store[k] for k in sorted(self.store) if len(k) == 4 and list(k[:3]) == parts]
        size = int(params.get("size", 100))
        offset = int(params.get("offset", 0))
        page = items[offset:offset + size]
        nxt = None
        if offset + size < len(items):
            nxt = "http://fake/%s?offset=%d&size=%d" % ("/".join(parts), offset + size, size)
        return response(200, {"total": len(items), "items": page, "next": nxt})


def without_keys(value, keys):
    if isinstance(value, dict):
        return {k: without_keys(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [without_keys(v, keys) for v in value]
    return value


def run_module(module, args, capsys, check_mode=False, diff=True):
    """Run a module's main() the way Ansible does (2.19's patch_module_args); its JSON result."""
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)
