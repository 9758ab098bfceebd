# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplanes against a real kuma-cp, through ansible-playbook: the seed's six
Redis replicas in one task; check mode, idempotence, one update, exclusive pruning, and a bad
item that stops everything before any request."""

from __future__ import annotations

import copy

import pytest
import requests

MESH = "batch"
SELECTOR = {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "redis-host"}


def redis_items():
    """The seed's six Redis replicas, in its Kuma 0.x syntax (one kuma-dp per replica)."""
    return [{"name": "redis-%d" % i, "mesh": MESH, "labels": dict(SELECTOR),
             "inbound": [{"interface": "127.0.0.1:%d:%d" % (9000 + i, 6379 + i),
                          "tags": {"service": "redis", "version": "5.0"}}]}
            for i in range(1, 7)]


def listing(cp):
    items = cp.get("/meshes/%s/dataplanes?size=1000" % MESH)["items"]
    return {e["name"]: e for e in items}


def put_raw(cp, name, labels, port):
    body = {"type": "Dataplane", "mesh": MESH, "name": name, "labels": labels,
            "networking": {"address": "127.0.0.1", "inbound": [
                {"port": port, "servicePort": port + 1000, "serviceAddress": "127.0.0.1",
                 "tags": {"kuma.io/service": "other"}}]}}
    response = requests.put("%s/meshes/%s/dataplanes/%s" % (cp.url, MESH, name), json=body, timeout=10)
    response.raise_for_status()


@pytest.fixture
def mesh(cp):
    if cp.get("/meshes/" + MESH) is None:
        cp.ensure_mesh(MESH)
    for name in listing(cp):
        requests.delete("%s/meshes/%s/dataplanes/%s" % (cp.url, MESH, name), timeout=10).raise_for_status()
    return MESH


def test_dataplanes_check_create_repeat_update(ansible, cp, mesh):
    items = redis_items()
    result = ansible.run("dataplanes", {"dataplanes": items}, check=True)
    assert result["changed"] is True, result
    assert result["created"] == ["%s/redis-%d" % (MESH, i) for i in range(1, 7)]
    assert result["diff"]["before"]["batch/redis-1"] == {}
    assert result["diff"]["after"]["batch/redis-1"]["networking"]["inbound"][0]["port"] == 9001
    assert listing(cp) == {}  # an independent read: check mode wrote nothing

    result = ansible.run("dataplanes", {"dataplanes": items})
    assert result["changed"] is True and len(result["created"]) == 6, result
    assert result["updated"] == [] and result["deleted"] == [] and result["unchanged"] == []
    assert len(result["translations"]["batch/redis-4"]) == 3
    stored = listing(cp)
    assert sorted(stored) == ["redis-%d" % i for i in range(1, 7)]
    inbound = stored["redis-4"]["networking"]["inbound"][0]
    assert (inbound["port"], inbound["servicePort"], inbound["serviceAddress"]) == (9004, 6383, "127.0.0.1")
    assert inbound["tags"]["kuma.io/service"] == "redis" and "service" not in inbound["tags"]
    assert stored["redis-4"]["labels"]["kuma.universal/host"] == "redis-host"
    times = {n: e["modificationTime"] for n, e in stored.items()}

    result = ansible.run("dataplanes", {"dataplanes": items})
    assert result["changed"] is False, result
    assert len(result["unchanged"]) == 6 and result["created"] == result["updated"] == []
    assert {n: e["modificationTime"] for n, e in listing(cp).items()} == times

    update = copy.deepcopy(items)
    update[2]["admin_port"] = 9901
    result = ansible.run("dataplanes", {"dataplanes": update})
    assert result["changed"] is True and result["updated"] == ["batch/redis-3"], result
    assert len(result["unchanged"]) == 5 and result["created"] == []
    assert result["diff"] == {"before": {"batch/redis-3": {}},
                              "after": {"batch/redis-3": {"networking": {"admin": {"port": 9901}}}}}
    stored = listing(cp)
    assert stored["redis-3"]["networking"]["admin"]["port"] == 9901
    assert {n: e["modificationTime"] for n, e in stored.items() if n != "redis-3"} == \
        {n: t for n, t in times.items() if n != "redis-3"}
    assert ansible.run("dataplanes", {"dataplanes": update})["changed"] is False


def test_dataplanes_exclusive_prunes_only_labelled_stale(ansible, cp, mesh):
    items = redis_items()
    assert ansible.run("dataplanes", {"dataplanes": items})["changed"] is True
    put_raw(cp, "by-hand", {"team": "ops"}, 7001)  # no selector labels: never ours
    put_raw(cp, "other-host", dict(SELECTOR, **{"kuma.universal/host": "elsewhere"}), 7002)
    args = {"dataplanes": items[:5], "exclusive": True, "selector": SELECTOR}

    result = ansible.run("dataplanes", args, check=True)
    assert result["changed"] is True and result["deleted"] == ["batch/redis-6"], result
    assert "redis-6" in listing(cp)

    result = ansible.run("dataplanes", args)
    assert result["changed"] is True and result["deleted"] == ["batch/redis-6"], result
    assert result["diff"]["before"]["batch/redis-6"]["networking"]["address"] == "127.0.0.1"
    assert "batch/redis-6" not in result["diff"]["after"]
    assert sorted(listing(cp)) == ["by-hand", "other-host"] + ["redis-%d" % i for i in range(1, 6)]
    assert ansible.run("dataplanes", args)["changed"] is False

    # an item without the selector labels is refused (exclusive), naming it
    bad = copy.deepcopy(items[:5])
    del bad[1]["labels"]["kuma.universal/host"]
    result = ansible.run("dataplanes", dict(args, dataplanes=bad))
    assert result.get("failed") is True
    assert "dataplanes[1].labels: item batch/redis-2 must carry the selector labels" in result["msg"]


def test_dataplanes_bad_item_sends_nothing(ansible, cp, mesh):
    items = redis_items()
    assert ansible.run("dataplanes", {"dataplanes": items[:3]})["changed"] is True
    before = listing(cp)
    bad = copy.deepcopy(items)
    bad[0]["admin_port"] = 9901  # a valid change that must not be sent either
    bad[3] = {"name": "redis-4", "mesh": MESH, "labels": dict(SELECTOR), "address": "127.0.0.1",
              "inbound": [{"port": 70000, "tags": {"kuma.io/service": "redis"}}]}
    bad.append(dict(copy.deepcopy(items[1])))  # duplicate of redis-2
    result = ansible.run("dataplanes", {"dataplanes": bad})
    assert result.get("failed") is True, result
    assert "dataplanes[3].inbound[0].port: port must be in the range [1, 65535], got 70000" in result["errors"]
    assert "dataplanes[6]: batch/redis-2 is already given as dataplanes[1]" in result["errors"]
    assert len(result["errors"]) == 2
    assert listing(cp) == before  # nothing created, nothing updated
