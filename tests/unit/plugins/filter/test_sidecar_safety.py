# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 21 item 3: the guards on the sidecar role's destructive paths. An undefined kuma_sidecars
leaves the host alone; a prune above a share of a host's or a batch's proxies is refused unless
confirmed for the run; Dataplane names that collide between hosts are refused."""

from __future__ import annotations

import pytest

from ansible_collections.kuma.universal.plugins.filter.sidecar_batches import sidecar_batches
from ansible_collections.kuma.universal.plugins.filter.sidecar_plan import sidecar_plan
from ansible_collections.kuma.universal.plugins.filter.sidecar_prune_problems import (
    FilterModule, sidecar_name_collisions, sidecar_plan_problems, sidecar_prune_problems,
)

WEB = {"service": "web", "replicas": 2, "inbound": [{"port": 9001, "service_port": 8081}]}
CP = {"control_plane_host": "cp", "api_url": "http://127.0.0.1:5681", "prune": True, "valid_for": "",
      "renew_before": "24h"}


def plan(sidecars, host="vm-1", zone_proxies=None, **kw):
    return sidecar_plan(sidecars, host, address="10.0.0.2", zone_proxies=zone_proxies, zone="z1" if zone_proxies else None,
                        **kw)


# -- an undefined kuma_sidecars leaves the host alone ---------------------------------------------------------
def test_undefined_sidecars_are_not_managed_and_prune_nothing_of_the_kind():
    result = plan(None)
    assert result["errors"] == [] and result["instances"] == []
    assert result["sidecars_managed"] is False
    assert result["prune_types"] == []


def test_an_explicit_empty_list_empties_the_host():
    result = plan([])
    assert result["sidecars_managed"] is True
    assert result["prune_types"] == ["dataplane"]


def test_zone_proxies_are_pruned_only_when_their_variable_is_given():
    assert plan([WEB])["prune_types"] == ["dataplane"]
    assert plan(None, zone_proxies=[])["prune_types"] == ["ingress", "egress"]
    assert plan([], zone_proxies=[{"type": "ingress"}])["prune_types"] == ["dataplane", "ingress", "egress"]


def test_a_host_whose_sidecars_are_undefined_gets_no_deregistration():
    hostvars = {"vm-1": {"sidecar_plan": dict(plan(None), control_plane=CP), "sidecar_host_proxies": {}},
                "vm-2": {"sidecar_plan": dict(plan([], host="vm-2"), control_plane=CP),
                         "sidecar_host_proxies": {"pruned_meshes": ["default"]}}}
    groups = sidecar_batches(["vm-1", "vm-2"], hostvars)
    assert [s["labels"]["kuma.universal/host"] for s in groups[0]["selectors"]] == ["vm-2"]
    assert groups[0]["dataplanes"] == []


# -- the prune share ------------------------------------------------------------------------------------------
def read(installed, pruned):
    return {"sidecar_host_proxies": {"installed": list(installed), "pruned": list(pruned)}}


def test_a_prune_above_the_share_of_a_host_is_refused_naming_the_override():
    hostvars = {"vm-1": read(["a-0", "a-1", "a-2"], ["a-1", "a-2"]), "vm-2": read(["b-0"] * 20, [])}
    problems = sidecar_prune_problems(["vm-1", "vm-2"], hostvars, 50)
    assert problems == [
        "vm-1: this run would stop and remove 2 of its 3 proxies (67%, more than sidecar_prune_max_percent 50%): "
        "a-1, a-2. If that is meant, run again with -e sidecar_prune_confirm=true (for that run only)"]


def test_a_prune_at_the_share_goes_through():
    assert sidecar_prune_problems(["vm-1"], {"vm-1": read(["a-0", "a-1"], ["a-1"])}, 50) == []


def test_a_prune_above_the_share_of_the_batch_is_refused():
    hostvars = {"vm-%d" % i: read(["x-%d" % i, "y-%d" % i], ["y-%d" % i]) for i in range(3)}
    problems = sidecar_prune_problems(sorted(hostvars), hostvars, 40)
    # each host removes 1 of 2 (50%, above 40%); the batch 3 of 6
    assert len(problems) == 4
    assert problems[-1].startswith("the play batch (vm-0, vm-1, vm-2): this run would stop and remove 3 of its "
                                   "6 proxies (50%, more than sidecar_prune_max_percent 40%)")
    # at the share (2 of 5 is 40%): through
    hostvars = {"vm-0": read(["x-0", "y-0", "z-0"], ["x-0"]), "vm-1": read(["x-1", "y-1", "z-1"], ["x-1"])}
    assert sidecar_prune_problems(["vm-0", "vm-1"], hostvars, 40) == []
    hostvars["vm-1"] = read(["x-1", "y-1"], ["x-1"])
    assert sidecar_prune_problems(["vm-0", "vm-1"], hostvars, 40) == [
        "vm-1: this run would stop and remove 1 of its 2 proxies (50%, more than sidecar_prune_max_percent 40%): "
        "x-1. If that is meant, run again with -e sidecar_prune_confirm=true (for that run only)"]


def test_the_confirmation_lets_it_through():
    hostvars = {"vm-1": read(["a-0"], ["a-0"])}
    assert sidecar_prune_problems(["vm-1"], hostvars, 50) != []
    assert sidecar_prune_problems(["vm-1"], hostvars, 50, confirmed=True) == []
    assert sidecar_prune_problems(["vm-1"], hostvars, 50, confirmed="true") == []
    assert sidecar_prune_problems(["vm-1"], hostvars, 100) == []


def test_hosts_that_read_nothing_are_skipped():
    assert sidecar_prune_problems(["vm-1", "gone"], {"vm-1": {}, "vm-2": read([], [])}, 0) == []


@pytest.mark.parametrize("value", [-1, 101, "half", None, True])
def test_the_share_is_checked(value):
    assert sidecar_prune_problems([], {}, value) == [
        "sidecar_prune_max_percent: must be an integer from 0 to 100 (the most of a host's or a play batch's "
        "proxies one run may remove), got %r" % (value,)]


# -- names that collide between hosts -------------------------------------------------------------------------
def planned(host, sidecars, cp="cp", zone_proxies=None, host_short=None):
    return {"sidecar_plan": dict(plan(sidecars, host=host, zone_proxies=zone_proxies, host_short=host_short),
                                 control_plane=dict(CP, control_plane_host=cp))}


def test_short_host_names_that_give_the_same_dataplane_names_are_refused():
    hostvars = {"web1.eu": planned("web1.eu", [WEB], host_short="web1"),
                "web1.us": planned("web1.us", [WEB], host_short="web1"),
                "web2": planned("web2", [WEB])}
    hosts = ["web1.eu", "web1.us", "web2"]
    assert sidecar_name_collisions("web1.eu", hostvars, hosts) == [
        "Dataplane web-web1-0 of mesh default is planned on web1.eu and on web1.us (control plane cp): names come "
        "from the short host name; give one of them a name: in kuma_sidecars (or rename the host)",
        "Dataplane web-web1-1 of mesh default is planned on web1.eu and on web1.us (control plane cp): names come "
        "from the short host name; give one of them a name: in kuma_sidecars (or rename the host)"]
    assert len(sidecar_name_collisions("web1.us", hostvars, hosts)) == 2
    assert sidecar_name_collisions("web2", hostvars, hosts) == []


def test_the_same_explicit_name_on_two_hosts_is_refused_and_other_meshes_or_cps_are_not():
    named = dict(WEB, name="web", replicas=1)
    hostvars = {"a": planned("a", [named]), "b": planned("b", [named]), "c": planned("c", [dict(named, mesh="m2")]),
                "d": planned("d", [named], cp="cp-2")}
    assert [e.split(" (")[0] for e in sidecar_name_collisions("a", hostvars, list(hostvars))] == [
        "Dataplane web-0 of mesh default is planned on a and on b"]
    assert sidecar_name_collisions("c", hostvars, list(hostvars)) == []
    assert sidecar_name_collisions("d", hostvars, list(hostvars)) == []


def test_zone_proxies_that_collide_are_refused():
    hostvars = {"e.eu": planned("e.eu", [], zone_proxies=[{"type": "ingress"}], host_short="e"),
                "e.us": planned("e.us", [], zone_proxies=[{"type": "ingress"}], host_short="e")}
    assert sidecar_name_collisions("e.eu", hostvars, ["e.eu", "e.us"]) == [
        "ZoneIngress zone-ingress-e is planned on e.eu and on e.us (control plane cp): names come from the short "
        "host name; give one of them a name: in kuma_zone_proxies (or rename the host)"]


def test_a_list_of_hosts_gives_every_collision_once_in_one_pass():
    named = dict(WEB, name="web", replicas=1)
    hostvars = {"web1.eu": planned("web1.eu", [WEB], host_short="web1"),
                "web1.us": planned("web1.us", [WEB], host_short="web1"),
                "a": planned("a", [named]), "b": planned("b", [named]), "c": planned("c", [dict(named, mesh="m2")]),
                "web2": planned("web2", [WEB]), "none": {}}
    hosts = list(hostvars)
    everything = sidecar_name_collisions(hosts, hostvars, hosts)
    assert [e.split(" (")[0] for e in everything] == [
        "Dataplane web-web1-0 of mesh default is planned on web1.eu and on web1.us",
        "Dataplane web-web1-1 of mesh default is planned on web1.eu and on web1.us",
        "Dataplane web-0 of mesh default is planned on a and on b"]
    # The same messages as asking host by host, each pair once.
    one_by_one = {m for h in hosts for m in sidecar_name_collisions(h, hostvars, hosts)}
    assert set(everything) == one_by_one
    assert sidecar_name_collisions(["web2", "c", "none"], hostvars, hosts) == []


def test_hosts_without_a_plan_are_skipped():
    assert sidecar_name_collisions("a", {"a": planned("a", [WEB]), "b": {}}, ["a", "b", "c"]) == []


def test_plan_problems_name_each_host_and_what_to_fix():
    checks = {"old_redirect_ports": [None, None], "control_plane_group": "kuma_control_plane",
              "control_plane_known": True, "zone": ""}
    one = {"instances": [{"name": "web-a-0"}], "zone_proxies": [], "errors": [], "host_checks": checks}
    bad = ["kuma_sidecars[0].replicas: must be 0 or more, got -1", "kuma_sidecars[1].inbound[0].port: 70000 is not a port"]
    hostvars = {
        "a": {"sidecar_plan": one},
        "b": {"sidecar_plan": dict(one, errors=bad)},
        "c": {"sidecar_plan": dict(one, host_checks=dict(checks, old_redirect_ports=[16006, None]))},
        "d": {"sidecar_plan": dict(one, host_checks=dict(checks, control_plane_known=False, zone="eu"))},
        # nothing to run: no control plane needed
        "e": {"sidecar_plan": dict(one, instances=[], host_checks=dict(checks, control_plane_known=False))},
        "f": {},
    }
    problems = sidecar_plan_problems(list("abcdef"), hostvars)
    assert problems == [
        "kuma_sidecars of b: kuma_sidecars[0].replicas: must be 0 or more, got -1; "
        "kuma_sidecars[1].inbound[0].port: 70000 is not a port",
        "c: transparent_proxy_redirect_inbound_port (16006) and transparent_proxy_redirect_outbound_port (not set) are "
        "no longer read: Envoy's redirect ports are kuma_redirect_inbound_port and kuma_redirect_outbound_port (role "
        "kuma.universal.kuma, e.g. in group_vars/all), which the transparent proxy's rules and the sidecar role's "
        "Dataplane both follow. Rename them.",
        "d: no control plane for its proxies: the inventory group kuma_control_plane has no host with kuma_zone eu "
        "(every zone needs its control plane; or set sidecar_control_plane_host).",
    ]
    assert sidecar_plan_problems(["a"], hostvars) == [] and sidecar_plan_problems([], hostvars) == []


def test_registered():
    assert FilterModule().filters() == {"sidecar_prune_problems": sidecar_prune_problems,
                                        "sidecar_name_collisions": sidecar_name_collisions,
                                        "sidecar_plan_problems": sidecar_plan_problems}
