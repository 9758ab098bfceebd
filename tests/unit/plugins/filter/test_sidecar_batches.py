# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sidecar role's batch-wide CP calls (kuma.universal.sidecar_batches) and each host's part of
their results (sidecar_batch_changed, sidecar_batch_tokens, sidecar_proxies by mesh and name)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.sidecar_batches import (
    FilterModule, sidecar_batch_changed, sidecar_batch_tokens, sidecar_batches, sidecar_converged_hosts, sidecar_gateways,
)
from ansible_collections.kuma.universal.plugins.filter.sidecar_plan import sidecar_plan, sidecar_proxies

WEB = {"service": "web", "replicas": 2, "inbound": [{"port": 9001, "service_port": 8081}]}
PAY = {"service": "pay", "mesh": "payments", "inbound": [{"port": 9101, "service_port": 8181}]}


def settings(cp="cp", prune=True, valid_for="", renew_before="24h", api_url="http://127.0.0.1:5681"):
    return {"control_plane_host": cp, "api_url": api_url, "prune": prune, "valid_for": valid_for,
            "renew_before": renew_before}


def host(name, sidecars, pruned_meshes=(), tokens=None, **kw):
    plan = sidecar_plan(sidecars, name, address="10.0.0.2")
    assert plan["errors"] == []
    return {"sidecar_plan": dict(plan, control_plane=settings(**kw)),
            "sidecar_host_proxies": {"pruned_meshes": list(pruned_meshes), "tokens": tokens or {}}}


def test_one_group_per_cp_with_one_selector_per_host():
    hostvars = {"vm-1": host("vm-1", [WEB, PAY]), "vm-2": host("vm-2", [], pruned_meshes=["default"]),
                "vm-3": host("vm-3", [WEB]), "vm-4": host("vm-4", [WEB], cp="cp-2"),
                "vm-5": host("vm-5", [WEB], prune=False), "absent": {"other": 1}}
    groups = sidecar_batches(["vm-1", "vm-2", "vm-3", "vm-4", "vm-5", "absent", "unknown"], hostvars)
    assert [(g["control_plane_host"], g["hosts"], g["exclusive"]) for g in groups] == [
        ("cp", ["vm-1", "vm-2", "vm-3"], True), ("cp-2", ["vm-4"], True), ("cp", ["vm-5"], False)]
    first = groups[0]
    names = ["web-vm-1-0", "web-vm-1-1", "pay-vm-1-0", "web-vm-3-0", "web-vm-3-1"]
    assert [d["name"] for d in first["dataplanes"]] == names
    # kuma_zone_proxies undefined: the host's zone proxies (label kuma.universal/zone-proxy) are left alone
    alone = {"kuma.universal/zone-proxy": None}
    assert first["selectors"] == [
        {"labels": dict(alone, **{"kuma.universal/managed-by": "ansible", "kuma.universal/host": "vm-1"}),
         "meshes": ["default", "payments"]},
        # no proxy left: its selector still prunes the meshes of the proxies it removed
        {"labels": dict(alone, **{"kuma.universal/managed-by": "ansible", "kuma.universal/host": "vm-2"}),
         "meshes": ["default"]},
        {"labels": dict(alone, **{"kuma.universal/managed-by": "ansible", "kuma.universal/host": "vm-3"}),
         "meshes": ["default"]}]
    # every item carries the labels of its own host's selector
    for item in first["dataplanes"]:
        assert item["labels"]["kuma.universal/host"] in item["name"]
    assert groups[2]["selectors"] == []
    # prune from an ini inventory is a string
    hostvars["vm-5"]["sidecar_plan"]["control_plane"]["prune"] = "false"
    assert sidecar_batches(["vm-5"], hostvars)[0]["exclusive"] is False


def test_token_groups_carry_the_tokens_in_hand_and_skip_hosts_without_proxies():
    hostvars = {"vm-1": host("vm-1", [WEB], tokens={"web-vm-1-0": "t.0"}), "vm-2": host("vm-2", []),
                "vm-3": host("vm-3", [PAY], valid_for="1h")}
    groups = sidecar_batches(["vm-1", "vm-2", "vm-3"], hostvars, "tokens")
    assert [(g["hosts"], g["valid_for"], g["renew_before"]) for g in groups] == [(["vm-1"], "", "24h"),
                                                                                 (["vm-3"], "1h", "24h")]
    assert groups[0]["tokens"] == [
        {"name": "web-vm-1-0", "mesh": "default", "tags": {"kuma.io/service": ["web"]}, "current_token": "t.0"},
        {"name": "web-vm-1-1", "mesh": "default", "tags": {"kuma.io/service": ["web"]}}]
    assert "current_token" not in groups[1]["tokens"][0]
    with pytest.raises(AnsibleFilterError, match="what must be one of dataplanes, tokens"):
        sidecar_batches(["vm-1"], hostvars, "meshes")


def test_the_keys_of_the_tokens_in_hand_are_read_with_the_dataplanes_and_given_to_the_token_groups():
    from ansible_collections.kuma.universal.tests.unit.plugins.module_utils.test_token import make_token
    hostvars = {"vm-1": host("vm-1", [WEB, PAY], tokens={"web-vm-1-0": make_token(kid="1"), "web-vm-1-1": "garbage",
                                                         "pay-vm-1-0": make_token(kid="3")}),
                "vm-2": host("vm-2", [WEB], tokens={"web-vm-2-0": make_token(kid="2")}),
                "vm-3": host("vm-3", [WEB], cp="cp-2", tokens={"web-vm-3-0": make_token(kid="1")})}
    groups = sidecar_batches(["vm-1", "vm-2", "vm-3"], hostvars)
    # A malformed token has no key to read: dataplane_tokens replaces it on the control plane.
    assert [g["token_keys"] for g in groups] == [
        [{"mesh": "default", "kid": "1"}, {"mesh": "default", "kid": "2"}, {"mesh": "payments", "kid": "3"}],
        [{"mesh": "default", "kid": "1"}]]
    reads = {"version": "2.14.3", "reads": {"/meshes/default/secrets/dataplane-token-signing-key-default-1": None}}
    more = {"version": "2.14.3", "reads": {"/global-secrets/dataplane-token-revocations-default": None}}
    registered = {"results": [{"item": dict(groups[0], dataplanes=[]), "token_reads": reads},
                              {"item": {"control_plane_host": "cp", "api_url": "http://127.0.0.1:5681"}, "token_reads": more},
                              {"item": groups[1], "skipped": True}]}
    tokens = sidecar_batches(["vm-1", "vm-2", "vm-3"], hostvars, "tokens", registered)
    # Both registrations on cp merged; cp-2's registration read nothing: its group has no token_reads.
    assert tokens[0]["token_reads"] == {"version": "2.14.3", "reads": dict(reads["reads"], **more["reads"])}
    assert "token_reads" not in tokens[1]
    assert "token_reads" not in sidecar_batches(["vm-1"], hostvars, "tokens")[0]
    # Registrations against CPs of other versions (a CP upgraded in between) are not merged.
    registered["results"][1]["token_reads"] = dict(more, version="3.0.0")
    assert "token_reads" not in sidecar_batches(["vm-1"], hostvars, "tokens", registered)[0]


def test_each_host_reads_its_own_part_of_the_results():
    vm1 = sidecar_plan([WEB], "vm-1", address="10.0.0.2")["instances"]
    vm2 = sidecar_plan([WEB, PAY], "vm-2", address="10.0.0.3")["instances"]
    registered = {"results": [{"created": ["default/web-vm-2-1"], "updated": [], "deleted": ["default/web-vm-9-0"]},
                              {"skipped": True}]}
    tokens = {"results": [{"tokens": [{"name": "web-vm-1-0", "mesh": "default", "changed": False},
                                      {"name": "pay-vm-2-0", "mesh": "payments", "changed": True, "token": "t.p"}]}]}
    assert sidecar_batch_changed(vm1, registered, tokens) is False
    assert sidecar_batch_changed(vm2, registered, {"results": []}) is True
    assert sidecar_batch_changed(vm2, {"results": []}, tokens) is True
    # a deleted Dataplane of another host, or the same name in another mesh, is not this host's change
    other_mesh = {"results": [{"tokens": [{"name": "web-vm-1-0", "mesh": "payments", "changed": True}]}]}
    assert sidecar_batch_changed(vm1, {"created": [], "updated": [], "deleted": ["default/web-vm-9-0"]},
                                 other_mesh) is False
    # skipped tasks (no host with proxies)
    assert sidecar_batch_changed(vm1, {"skipped": True, "results": []}, {"skipped": True}) is False
    issued = sidecar_batch_tokens(tokens)
    assert [t["name"] for t in issued] == ["web-vm-1-0", "pay-vm-2-0"]
    assert sidecar_batch_tokens({"skipped": True, "results": []}) == []
    assert sidecar_batch_tokens({"tokens": [{"name": "x"}]}) == [{"name": "x"}]
    # sidecar_proxies picks this host's by mesh and name out of the batch's tokens
    proxies = {p["name"]: p for p in sidecar_proxies(vm2, issued)}
    assert proxies["pay-vm-2-0"]["token"] == "t.p" and "token" not in proxies["web-vm-2-0"]
    assert "token" not in sidecar_proxies(vm1, [{"name": "web-vm-1-0", "mesh": "payments", "token": "t.x"}])[0]


def test_converged_hosts_are_those_read_as_wanted_with_nothing_changed_on_the_cp():
    plan = {"instances": [{"name": "web-a-0", "mesh": "default"}], "zone_proxies": []}
    hv = {
        "a": {"sidecar_plan": plan, "sidecar_host_proxies": {"converged": True, "pruned": [], "pruned_edges": []}},
        # its Dataplane was updated by the batch's registration
        "b": {"sidecar_plan": {"instances": [{"name": "web-b-0", "mesh": "default"}]},
              "sidecar_host_proxies": {"converged": True}},
        # a file or a unit differs
        "c": {"sidecar_plan": plan, "sidecar_host_proxies": {"converged": False}},
        # something to prune
        "d": {"sidecar_plan": plan, "sidecar_host_proxies": {"converged": True, "pruned": ["old-d-0"]}},
        # a new zone token
        "e": {"sidecar_plan": plan, "sidecar_host_proxies": {"converged": True}, "sidecar_zone_tokens": {"changed": True}},
        # nothing to read (no proxies, nothing to prune)
        "f": {"sidecar_plan": {"instances": []}, "sidecar_host_proxies": {"skipped": True}},
        # not planned in this play
        "g": {},
        # a new token for its Dataplane
        "h": {"sidecar_plan": {"instances": [{"name": "web-h-0", "mesh": "default"}]},
              "sidecar_host_proxies": {"converged": True}},
    }
    registered = {"results": [{"created": [], "updated": ["default/web-b-0"], "deleted": []}]}
    tokens = {"results": [{"tokens": [{"name": "web-h-0", "mesh": "default", "changed": True}]}]}
    assert sidecar_converged_hosts(list("abcdefgh"), hv, registered, tokens) == ["a", "f"]
    assert sidecar_converged_hosts(["a", "b", "h"], hv) == ["a", "b", "h"]
    assert sidecar_converged_hosts([], hv) == []


def test_filters_are_registered():
    assert sorted(FilterModule().filters()) == [
        "sidecar_batch_changed", "sidecar_batch_tokens", "sidecar_batches", "sidecar_converged_hosts", "sidecar_gateways"]


EDGE = {"service": "edge", "gateway": {"listeners": [{"port": 8443}], "routes": [{"service": "web"}]},
        "outbound": [{"port": 10010, "service": "web"}]}


def test_the_gateways_of_every_planned_host_with_their_zones():
    hostvars = {"a": {"sidecar_plan": sidecar_plan([EDGE], "a", address="10.0.0.1")},
                "b": {"sidecar_plan": sidecar_plan([EDGE], "b", address="10.0.0.2", zone="zone-2")},
                "c": {}}
    assert sidecar_gateways(["a", "b", "c"], hostvars) == [
        {"mesh": "default", "gateway": "edge", "services": ["web"], "zones": ["default", "zone-2"]}]
