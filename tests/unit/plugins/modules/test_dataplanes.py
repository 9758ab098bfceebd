# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplanes against the fake control plane: validation across items, the
stale computation, and how many requests a run makes."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.kuma.universal.plugins.module_utils import _api, _dataplane_run
from ansible_collections.kuma.universal.plugins.module_utils._dataplane import build_dataplane
from ansible_collections.kuma.universal.plugins.module_utils._api import KumaInputError
from ansible_collections.kuma.universal.plugins.modules import dataplane, dataplane_info, dataplanes
from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run

SELECTOR = {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "h1"}


def redis(i, mesh=None, legacy=False, labels=True):
    item = {"name": "redis-%d" % i}
    if mesh:
        item["mesh"] = mesh
    if labels:
        item["labels"] = dict(SELECTOR)
    if legacy:
        item["inbound"] = [{"interface": "127.0.0.1:%d:%d" % (9000 + i, 6379 + i),
                            "tags": {"service": "redis", "version": "5.0"}}]
    else:
        item["address"] = "127.0.0.1"
        item["inbound"] = [{"port": 9000 + i, "service_port": 6379 + i, "service_address": "127.0.0.1",
                            "tags": {"kuma.io/service": "redis", "version": "5.0"}}]
    return item


@pytest.fixture
def cp(cp):
    """The shared fake CP (conftest.py) with a second mesh."""
    cp.store[("meshes", "other")] = {"type": "Mesh", "name": "other"}
    return cp


def methods(cp, since=0):
    return [(r[0], r[1]) for r in cp.requests[since:]]


# -- validation ----------------------------------------------------------------------------

def test_all_items_validated_before_any_request(cp, capsys):
    items = [redis(i) for i in range(6)]
    items[3]["inbound"][0]["port"] = 70000
    items[5]["admin_prot"] = 9901
    result = run(dataplanes, {"dataplanes": items}, capsys)
    assert result["failed"]
    assert "dataplanes[3].inbound[0].port: port must be in the range [1, 65535], got 70000" in result["errors"]
    assert any(e.startswith("dataplanes[5].admin_prot: unknown field (did you mean 'admin_port'?)")
               for e in result["errors"])
    assert len(result["errors"]) == 2
    assert cp.requests == []


def test_duplicates_and_selector_checks():
    items = [redis(1), redis(2), redis(1), redis(1, mesh="other"), dict(redis(4, labels=False)),
             {"name": "gone", "state": "absent"}]
    with pytest.raises(KumaInputError) as err:
        _dataplane_run.validate_items(items, exclusive=True, selector=SELECTOR, meshes=["default", "Bad/Mesh"])
    errors = err.value.errors
    assert "dataplanes[2]: default/redis-1 is already given as dataplanes[0]" in errors
    assert not any(e.startswith("dataplanes[3]") for e in errors)  # same name, other mesh: fine
    assert any(e.startswith("dataplanes[4].labels: item default/redis-4 must carry the selector labels")
               and "kuma.universal/host=h1" in e for e in errors)
    assert any(e.startswith("meshes[1]:") for e in errors)
    assert not any(e.startswith("dataplanes[5]") for e in errors)  # absent items need no labels
    assert len(errors) == 3
    with pytest.raises(KumaInputError) as err:
        _dataplane_run.validate_items([redis(1)], exclusive=True, selector={})
    assert err.value.errors[0].startswith("selector: required")
    with pytest.raises(KumaInputError) as err:
        _dataplane_run.validate_items([{"name": "x", "state": "gone"}, "text", {"name": "Bad_Name", "state": "absent"}])
    assert [e.split(":")[0] for e in err.value.errors] == ["dataplanes[0].state", "dataplanes[1]", "dataplanes[2].name"]


# -- the plan --------------------------------------------------------------------------------

def _entity(item, extra_labels=None):
    dp = build_dataplane(dict({"mesh": "default"}, **item))
    body = dp.to_kuma()
    body["labels"] = dict(body.get("labels") or {}, **{"kuma.io/zone": "default"}, **(extra_labels or {}))
    for inbound in body["networking"]["inbound"]:
        inbound["tags"]["kuma.io/zone"] = "default"
    return body


def test_stale_computation():
    items = _dataplane_run.validate_items([redis(1), redis(2), {"name": "redis-9", "state": "absent"}],
                                          exclusive=True, selector=SELECTOR)
    stale = _entity(redis(3))
    other_host = _entity(redis(4, labels=False))
    other_host["labels"].update({"kuma.universal/managed-by": "ansible", "kuma.universal/host": "h2"})
    unlabelled = _entity(redis(5, labels=False))
    changed = _entity(redis(2))
    changed["networking"]["inbound"][0]["servicePort"] = 1234
    current = {"default": {"redis-1": _entity(redis(1)), "redis-2": changed, "redis-3": stale,
                           "redis-4": other_host, "redis-5": unlabelled},
               "other": {"redis-6": _entity(redis(6, mesh="other"))}}
    steps = _dataplane_run.plan_dataplanes(items, current, SELECTOR, ["default"])
    todo = {action: [s.target.key for s in steps if s.action == action]
            for action in (None, "create", "update", "delete")}
    by_key = {s.target.key: s for s in steps}
    assert todo[None] == ["default/redis-1", "default/redis-9"]
    assert todo["update"] == ["default/redis-2"]
    assert todo["delete"] == ["default/redis-3"]  # not h2's, not the unlabelled one, not another mesh's
    assert todo["create"] == []
    assert by_key["default/redis-2"].before["networking"]["inbound"][0]["servicePort"] == 1234
    assert by_key["default/redis-2"].after["networking"]["inbound"][0]["servicePort"] == 6381
    assert by_key["default/redis-3"].before["networking"]["address"] == "127.0.0.1"
    assert by_key["default/redis-3"].after == {}
    # prune scope includes the other mesh: its labelled entity is stale too
    steps = _dataplane_run.plan_dataplanes(items, current, SELECTOR, ["default", "other"])
    assert [s.target.key for s in steps if s.action == "delete"] == ["default/redis-3", "other/redis-6"]
    # without a selector (exclusive off) nothing is pruned
    assert [s.action for s in _dataplane_run.plan_dataplanes(items, current)] == [None, "update", None]


# -- whole runs: requests ------------------------------------------------------------------

def test_requests_create_noop_update_prune(cp, capsys):
    items = [redis(i, legacy=True) for i in range(1, 7)] + [redis(i, mesh="other") for i in range(1, 3)]
    result = run(dataplanes, {"dataplanes": items}, capsys, check_mode=True)
    assert result["changed"] and len(result["created"]) == 8 and cp.writes() == []
    assert result["diff"]["before"]["default/redis-1"] == {}
    assert result["diff"]["after"]["other/redis-2"]["networking"]["address"] == "127.0.0.1"
    start = len(cp.requests)
    result = run(dataplanes, {"dataplanes": items}, capsys)
    assert result["changed"] and result["created"] == ["default/redis-%d" % i for i in range(1, 7)] + \
        ["other/redis-1", "other/redis-2"]
    assert sorted(result["translations"]) == ["default/redis-%d" % i for i in range(1, 7)]
    assert len(result["translations"]["default/redis-1"]) == 3
    assert len(result["dataplanes"]) == 8 and result["dataplanes"][0]["networking"]["inbound"][0]["port"] == 9001
    # the version once (it decides the Kuma 2 or 3 entity), one listing per mesh, one PUT per entity
    reads = [("GET", "/"), ("GET", "/meshes/default/dataplanes"), ("GET", "/meshes/other/dataplanes")]
    puts = [("PUT", "/meshes/default/dataplanes/redis-%d" % i) for i in range(1, 7)] + \
        [("PUT", "/meshes/other/dataplanes/redis-%d" % i) for i in range(1, 3)]
    assert methods(cp, start) == reads + puts

    # N unchanged items: the version and 1 GET per mesh, no PUT
    start = len(cp.requests)
    result = run(dataplanes, {"dataplanes": items}, capsys)
    assert result["changed"] is False and len(result["unchanged"]) == 8
    assert result["diff"] == {"before": {}, "after": {}}
    assert methods(cp, start) == [("GET", "/"), ("GET", "/meshes/default/dataplanes"),
                                  ("GET", "/meshes/other/dataplanes")]

    # the legacy and today's syntax converge to the same entity
    start = len(cp.requests)
    same = [redis(i) for i in range(1, 7)]
    assert run(dataplanes, {"dataplanes": same}, capsys)["changed"] is False
    assert len(cp.requests) - start == 2

    # update one: only that one is written and in the diff
    update = copy.deepcopy(same)
    update[2]["admin_port"] = 9901
    start = len(cp.requests)
    result = run(dataplanes, {"dataplanes": update}, capsys)
    assert result["updated"] == ["default/redis-3"] and result["created"] == [] and result["deleted"] == []
    assert result["diff"] == {"before": {"default/redis-3": {}},
                              "after": {"default/redis-3": {"networking": {"admin": {"port": 9901}}}}}
    assert [m for m in methods(cp, start) if m[0] != "GET"] == [("PUT", "/meshes/default/dataplanes/redis-3")]

    # exclusive: drop redis-6 from the list; an unlabelled entity is left alone
    cp.store[("meshes", "default", "dataplanes", "manual")] = dict(
        _entity(redis(7, labels=False)), name="manual")
    start = len(cp.requests)
    args = {"dataplanes": update[:5], "exclusive": True, "selector": SELECTOR}
    result = run(dataplanes, args, capsys, check_mode=True)
    assert result["deleted"] == ["default/redis-6"] and cp.writes()[-1][0] == "PUT"
    result = run(dataplanes, args, capsys)
    assert result["deleted"] == ["default/redis-6"] and result["changed"]
    assert [m for m in methods(cp, start) if m[0] != "GET"] == [("DELETE", "/meshes/default/dataplanes/redis-6")]
    assert ("meshes", "default", "dataplanes", "manual") in cp.store
    assert ("meshes", "other", "dataplanes", "redis-1") in cp.store  # other mesh: not in scope
    assert run(dataplanes, args, capsys)["changed"] is False


def test_listing_is_paged(cp, capsys, monkeypatch):
    monkeypatch.setattr(_api, "PAGE_SIZE", 4)
    items = [redis(i) for i in range(1, 11)]
    run(dataplanes, {"dataplanes": items}, capsys)
    start = len(cp.requests)
    result = run(dataplanes, {"dataplanes": items}, capsys)
    assert result["changed"] is False and len(result["unchanged"]) == 10
    assert methods(cp, start) == [("GET", "/")] + [("GET", "/meshes/default/dataplanes")] * 3


def test_absent_items_and_meshes_option(cp, capsys):
    run(dataplanes, {"dataplanes": [redis(1), redis(2), redis(3, mesh="other")]}, capsys)
    result = run(dataplanes, {"dataplanes": [{"name": "redis-1", "state": "absent"},
                                             {"name": "nope", "state": "absent"}]}, capsys)
    assert result["deleted"] == ["default/redis-1"] and result["unchanged"] == ["default/nope"]
    assert result["dataplanes"] == []
    # empty list + meshes: prune every selected entity there
    result = run(dataplanes, {"dataplanes": [], "exclusive": True, "selector": SELECTOR, "meshes": ["other"]},
                 capsys)
    assert result["deleted"] == ["other/redis-3"]
    assert ("meshes", "default", "dataplanes", "redis-2") in cp.store


def test_same_entity_as_the_single_module(cp, capsys):
    item = redis(1, legacy=True)
    single = run(dataplane, item, capsys)
    batch = run(dataplanes, {"dataplanes": [item]}, capsys)
    assert batch["dataplanes"][0] == single["dataplane"]
    assert batch["translations"]["default/redis-1"] == single["translations"]
    assert batch["unchanged"] == ["default/redis-1"]


# -- several selectors (one per host, the sidecar role's batch) -------------------------------

H2 = {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "h2"}


def test_selectors_checks():
    h2_item = dict(redis(2), labels=dict(H2))
    items = _dataplane_run.validate_items([redis(1), h2_item], exclusive=True,
                                          selectors=[{"labels": SELECTOR}, {"labels": H2}])
    assert [i.key for i in items] == ["default/redis-1", "default/redis-2"]
    with pytest.raises(KumaInputError) as err:
        _dataplane_run.validate_items([redis(1), redis(3, labels=False)], exclusive=True,
                                      selectors=[{"labels": SELECTOR, "meshes": ["Bad/Mesh"]}, {"labels": {}},
                                                 {"labels": H2}])
    errors = err.value.errors
    assert any(e.startswith("selectors[0].meshes[0]:") for e in errors)
    assert any(e.startswith("selectors[1].labels: required") for e in errors)
    assert any(e.startswith("dataplanes[1].labels: item default/redis-3 must carry every label of one of the "
                            "selectors") for e in errors)
    assert len(errors) == 3
    # exclusive off: the selectors are not checked against the items
    assert len(_dataplane_run.validate_items([redis(3, labels=False)], selectors=[{"labels": H2}])) == 1


def test_selectors_prune_each_host_in_its_own_meshes(cp, capsys):
    h2 = [dict(redis(i, mesh=mesh), labels=dict(H2)) for i, mesh in ((4, None), (5, "other"), (6, "other"))]
    run(dataplanes, {"dataplanes": [redis(1), redis(2), redis(3, mesh="other")] + h2}, capsys)
    cp.store[("meshes", "default", "dataplanes", "manual")] = dict(_entity(redis(7, labels=False)), name="manual")
    # h1 keeps redis-1 only (its meshes: default, other); h2 keeps redis-5 (its meshes: default only, so
    # other/redis-6 stays although it is stale there: the selector's meshes are the scope).
    args = {"dataplanes": [redis(1), h2[1]], "exclusive": True,
            "selectors": [{"labels": SELECTOR, "meshes": ["default", "other"]},
                          {"labels": H2, "meshes": ["default"]}]}
    result = run(dataplanes, args, capsys, check_mode=True)
    assert result["changed"] and sorted(result["deleted"]) == ["default/redis-2", "default/redis-4", "other/redis-3"]
    assert not any(w[0] == "DELETE" for w in cp.writes())
    start = len(cp.requests)
    result = run(dataplanes, args, capsys)
    assert sorted(result["deleted"]) == ["default/redis-2", "default/redis-4", "other/redis-3"]
    assert result["unchanged"] == ["default/redis-1", "other/redis-5"]
    # one listing per mesh for the whole set, whatever the number of selectors
    listings = [("GET", "/"), ("GET", "/meshes/default/dataplanes"), ("GET", "/meshes/other/dataplanes")]
    assert [m for m in methods(cp, start) if m[0] == "GET"] == listings
    assert ("meshes", "other", "dataplanes", "redis-6") in cp.store
    assert ("meshes", "default", "dataplanes", "manual") in cp.store
    assert run(dataplanes, args, capsys)["changed"] is False
    # a selector without meshes: the meshes of the items carrying its labels (here: other)
    result = run(dataplanes, {"dataplanes": [h2[1]], "exclusive": True, "selectors": [{"labels": H2}]}, capsys)
    assert result["deleted"] == ["other/redis-6"]


def test_selectors_argument_errors(cp, capsys):
    result = run(dataplanes, {"dataplanes": [redis(1)], "exclusive": True}, capsys)
    assert result["failed"] and "selector" in result["msg"] and cp.requests == []
    result = run(dataplanes, {"dataplanes": [redis(1)], "selector": SELECTOR, "selectors": [{"labels": H2}]}, capsys)
    assert result["failed"] and "mutually exclusive" in result["msg"] and cp.requests == []
    result = run(dataplanes, {"dataplanes": [], "exclusive": True, "selectors": [{"meshes": ["default"]}]}, capsys)
    assert result["failed"] and "labels" in result["msg"] and cp.requests == []


# -- overview (deploy_mesh's summary, read by the registration) --------------------------------

@pytest.mark.parametrize("check_mode", [False, True])
def test_the_overview_is_what_dataplane_info_reads_after_the_changes(cp, capsys, check_mode):
    """Issue 23: with overview, the registration also reads what deploy_mesh's summary shows (dataplane_info without a
    filter, with the meshes' mTLS), after its own changes, so a run that changes nothing after it needs no summary read.
    Compared with dataplane_info's own read of the same control plane; in check mode nothing is written and the
    overview is the control plane as it is."""
    run(dataplanes, {"dataplanes": [redis(1)]}, capsys)
    cp.insights[("default", "redis-1")] = {"subscriptions": [{"connectTime": "t0", "version": {
        "kumaDp": {"version": "2.14.3"}, "envoy": {"version": "1.38.2", "kumaDpCompatible": True}}}]}
    args = {"dataplanes": [redis(1), redis(2, mesh="other")],
            "overview": {"leader_metric_url": "http://127.0.0.1:5680/metrics", "mesh_security": True}}
    result = run(dataplanes, args, capsys, check_mode=check_mode)
    assert result["created"] == ["other/redis-2"]
    overview = result["overview"]
    assert overview.pop("args") == {"api_url": "http://127.0.0.1:5681", "leader_metric_url": "http://127.0.0.1:5680/metrics",
                                    "mesh_security": True}
    info = run(dataplane_info, {"leader_metric_url": "http://127.0.0.1:5680/metrics", "mesh_security": True}, capsys)
    assert overview == {k: info[k] for k in ("dataplanes", "leader", "meshes")}
    names = [(d["mesh"], d["name"], d["online"]) for d in overview["dataplanes"]]
    if check_mode:
        assert names == [("default", "redis-1", True)]  # nothing written: the new one is not there yet
    else:
        assert names == [("default", "redis-1", True), ("other", "redis-2", False)]
    assert [m["name"] for m in overview["meshes"]] == ["default", "other"]
    assert "overview" not in run(dataplanes, {"dataplanes": [redis(1)]}, capsys)
