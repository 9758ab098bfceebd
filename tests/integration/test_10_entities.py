# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mesh, dataplane and resource against a real kuma-cp: check mode (proved by an independent
GET), create, repeat, update (diff), delete, delete again; the seed's examples in both syntaxes."""

from __future__ import annotations

REDIS_NEW = {"name": "redis-1", "address": "127.0.0.1",
             "labels": {"kuma.universal/managed-by": "ansible"},
             "inbound": [{"port": 9000, "service_port": 6379, "service_address": "127.0.0.1",
                          "tags": {"kuma.io/service": "redis", "version": "5.0"}}]}
REDIS_LEGACY = {"name": "redis-1", "labels": {"kuma.universal/managed-by": "ansible"},
                "inbound": [{"interface": "127.0.0.1:9000:6379", "tags": {"service": "redis", "version": "5.0"}}]}
BACKEND_NEW = {"name": "backend-1", "address": "127.0.0.1",
               "inbound": [{"port": 8000, "service_port": 80, "service_address": "127.0.0.1",
                            "tags": {"kuma.io/service": "backend"}}],
               "outbound": [{"port": 10000, "service": "redis"}]}
BACKEND_LEGACY = {"name": "backend-1",
                  "inbound": [{"interface": "127.0.0.1:8000:80", "tags": {"service": "backend"}}],
                  "outbound": [{"interface": ":10000", "service": "redis"}]}


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def test_mesh_lifecycle(cp, ansible):
    args = {"name": "it-mesh", "mtls": {"enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin"}]},
            "skip_creating_initial_policies": ["*"]}
    check = ok(ansible.run("mesh", args, check=True))
    assert check["changed"] is True
    assert check["diff"]["after"]["mtls"]["enabledBackend"] == "ca-1"
    assert cp.get("/meshes/it-mesh") is None

    updated = dict(args, labels={"team": "platform"}, networking={"outbound": {"passthrough": False}})
    created, repeated, update, update_again, deleted, deleted_again = ansible.play(
        ("mesh", args), ("mesh", args), ("mesh", updated), ("mesh", updated),
        ("mesh", {"name": "it-mesh", "state": "absent"}), ("mesh", {"name": "it-mesh", "state": "absent"}))
    assert ok(created)["changed"] is True and created["created"] is True
    assert ok(repeated)["changed"] is False
    assert ok(update)["changed"] is True
    assert update["diff"] == {"before": {}, "after": {"labels": {"team": "platform"},
                                                      "networking": {"outbound": {"passthrough": False}}}}
    assert ok(update_again)["changed"] is False
    assert ok(deleted)["changed"] is True and deleted["diff"]["before"]["labels"] == {"team": "platform"}
    assert ok(deleted_again)["changed"] is False
    assert cp.get("/meshes/it-mesh") is None


def test_dataplane_lifecycle(cp, ansible, default_mesh):
    check = ok(ansible.run("dataplane", REDIS_NEW, check=True))
    assert check["changed"] is True and check["dataplane"]["networking"]["inbound"][0]["port"] == 9000
    assert cp.get("/meshes/default/dataplanes/redis-1") is None

    created, repeated, legacy = ansible.play(("dataplane", REDIS_NEW), ("dataplane", REDIS_NEW),
                                             ("dataplane", REDIS_LEGACY))
    assert ok(created)["changed"] is True and created["translations"] == []
    entity = cp.get("/meshes/default/dataplanes/redis-1")
    assert entity["networking"]["inbound"][0]["tags"]["kuma.io/zone"]  # the CP's addition is there...
    assert entity["labels"]["kuma.io/mesh"] == "default"
    assert ok(repeated)["changed"] is False  # ...and not seen as a change
    assert ok(legacy)["changed"] is False and len(legacy["translations"]) == 3

    newer = dict(REDIS_NEW, inbound=[dict(REDIS_NEW["inbound"][0],
                                          tags={"kuma.io/service": "redis", "version": "7.2"})])
    check_update, update, update_again = ansible.play({"module": "dataplane", "args": newer, "check_mode": True},
                                                      ("dataplane", newer), ("dataplane", newer))
    assert ok(check_update)["changed"] is True
    assert ok(update)["changed"] is True
    expected_inbound = {"port": 9000, "servicePort": 6379, "serviceAddress": "127.0.0.1"}
    old_tags = {"kuma.io/service": "redis", "version": "5.0"}
    new_tags = {"kuma.io/service": "redis", "version": "7.2"}
    assert update["diff"] == {
        "before": {"networking": {"inbound": [dict(expected_inbound, tags=old_tags)]}},
        "after": {"networking": {"inbound": [dict(expected_inbound, tags=new_tags)]}}}
    assert ok(update_again)["changed"] is False
    assert cp.get("/meshes/default/dataplanes/redis-1")["networking"]["inbound"][0]["tags"]["version"] == "7.2"

    absent = {"name": "redis-1", "state": "absent"}
    check_delete = ok(ansible.run("dataplane", absent, check=True))
    assert check_delete["changed"] is True and cp.get("/meshes/default/dataplanes/redis-1") is not None
    deleted, deleted_again = ansible.play(("dataplane", absent), ("dataplane", absent))
    assert ok(deleted)["changed"] is True and ok(deleted_again)["changed"] is False
    assert cp.get("/meshes/default/dataplanes/redis-1") is None


def _managed(entity):
    net = entity["networking"]
    for inbound in net.get("inbound", []):
        inbound["tags"].pop("kuma.io/zone", None)
    return net


def test_seed_examples_in_both_syntaxes_give_the_same_entity(cp, ansible, default_mesh):
    entities = {}
    for label, redis, backend in (("legacy", REDIS_LEGACY, BACKEND_LEGACY), ("new", REDIS_NEW, BACKEND_NEW)):
        r_redis, r_backend = ansible.play(("dataplane", redis), ("dataplane", backend))
        assert ok(r_redis)["changed"] is True and ok(r_backend)["changed"] is True
        if label == "legacy":
            assert any("interface ':10000'" in t for t in r_backend["translations"])
        entities[label] = {n: _managed(cp.get("/meshes/default/dataplanes/" + n)) for n in ("redis-1", "backend-1")}
        ansible.play(("dataplane", {"name": "redis-1", "state": "absent"}),
                     ("dataplane", {"name": "backend-1", "state": "absent"}))
    assert entities["legacy"] == entities["new"]
    assert entities["new"]["backend-1"] == {
        "address": "127.0.0.1",
        "inbound": [{"port": 8000, "servicePort": 80, "serviceAddress": "127.0.0.1",
                     "tags": {"kuma.io/service": "backend"}}],
        "outbound": [{"port": 10000, "address": "127.0.0.1", "tags": {"kuma.io/service": "redis"}}]}
    assert entities["new"]["redis-1"]["inbound"][0]["tags"] == {"kuma.io/service": "redis", "version": "5.0"}


def test_resource_lifecycle(cp, ansible, default_mesh):
    args = {"kind": "MeshTimeout", "name": "it-timeout", "mesh": "default", "labels": {"team": "a"},
            "spec": {"targetRef": {"kind": "Mesh"},
                     "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "90s"}}]}}
    path = "/meshes/default/meshtimeouts/it-timeout"
    check = ok(ansible.run("resource", args, check=True))
    assert check["changed"] is True and check["path"] == path
    assert cp.get(path) is None

    updated = {**args, "spec": {"targetRef": {"kind": "Mesh"},
                                "to": [{"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "2m"}}]}}
    absent = {"kind": "MeshTimeout", "name": "it-timeout", "state": "absent"}
    created, repeated, update, update_again, deleted, deleted_again = ansible.play(
        ("resource", args), ("resource", args), ("resource", updated), ("resource", updated),
        ("resource", absent), ("resource", absent))
    assert ok(created)["changed"] is True
    assert ok(repeated)["changed"] is False  # the CP stores 90s as 1m30s: same duration
    assert ok(update)["changed"] is True
    # only what changes shows (spec.targetRef does not): the list spec.to as a whole
    assert update["diff"]["before"] == {"spec": {"to": [
        {"targetRef": {"kind": "Mesh"}, "default": {"idleTimeout": "1m30s"}}]}}
    assert update["diff"]["after"] == {"spec": {"to": updated["spec"]["to"]}}
    assert ok(update_again)["changed"] is False
    assert ok(deleted)["changed"] is True and ok(deleted_again)["changed"] is False
    assert cp.get(path) is None


def test_global_resource_kind(cp, ansible):
    # Jinja-escaped template: the CP gets "{{ .DisplayName }}.it"
    args = {"kind": "HostnameGenerator", "name": "it-hostnames",
            "spec": {"selector": {"meshService": {"matchLabels": {"team": "a"}}},
                     "template": "{{ '{{' }} .DisplayName {{ '}}' }}.it"}}
    created, repeated, deleted = ansible.play(("resource", args), ("resource", args),
                                              ("resource", {"kind": "HostnameGenerator", "name": "it-hostnames",
                                                            "state": "absent"}))
    assert ok(created)["changed"] is True and created["path"] == "/hostnamegenerators/it-hostnames"
    assert ok(repeated)["changed"] is False
    assert ok(deleted)["changed"] is True


def test_resource_diff_shows_only_what_changes(cp, ansible, default_mesh):
    spec = {"targetRef": {"kind": "Mesh"},
            "from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Allow"}}]}
    deny = {"targetRef": {"kind": "Mesh"},
            "from": [{"targetRef": {"kind": "Mesh"}, "default": {"action": "Deny"}}]}
    args = {"kind": "MeshTrafficPermission", "name": "it-mtp", "spec": spec}
    created, check, update, again, _gone = ansible.play(
        ("resource", args), {"module": "resource", "args": dict(args, spec=deny), "check_mode": True},
        ("resource", dict(args, spec=deny)), ("resource", dict(args, spec=deny)),
        ("resource", {"kind": "MeshTrafficPermission", "name": "it-mtp", "state": "absent"}))
    assert ok(created)["changed"] is True
    expected = {"before": {"spec": {"from": spec["from"]}}, "after": {"spec": {"from": deny["from"]}}}
    assert ok(check)["diff"] == expected
    assert ok(update)["changed"] is True and update["diff"] == expected
    assert ok(again)["changed"] is False
