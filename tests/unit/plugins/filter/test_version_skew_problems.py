# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kuma's version-skew rule (module_utils/_versions.py) and its filter (version_skew_problems):
the same rules and messages as the Jinja it replaces, plus pre-release versions."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.version_skew_problems import FilterModule, version_skew_problems
from ansible_collections.kuma.universal.plugins.module_utils._versions import older, parse, skew_problems


def h(host, wanted, running="", rollback=False, cp=False):
    return {"host": host, "wanted": wanted, "running": running, "rollback": rollback, "control_plane": cp}


def test_parse_releases_and_pre_releases():
    assert parse("2.14.3") == (2, 14, 3, "")
    assert parse("3.0.0-dev.348b6528") == (3, 0, 0, "-dev.348b6528")
    assert parse("2.14.3+build.1") == (2, 14, 3, "+build.1")
    for bad in ("2.14", "v2.14.3", "latest", "", None, "2.14.3 "):
        assert parse(bad) is None, bad


def test_order():
    assert older(parse("2.13.9"), parse("2.14.0"))
    assert not older(parse("2.14.3"), parse("2.14.3"))
    assert older(parse("3.0.0-dev.1"), parse("3.0.0"))
    assert not older(parse("3.0.0"), parse("3.0.0-dev.1"))
    assert older(parse("3.0.0-dev.1"), parse("3.0.0-dev.2"))
    assert older(parse("2.9.9"), parse("2.10.0"))  # numeric, not text


def test_a_mesh_within_the_rule_has_no_problem():
    assert skew_problems("cp", "2.14.3", [h("cp", "2.14.3", "2.13.1", cp=True), h("dp", "2.12.0", "2.12.0")]) == []


def test_a_pre_release_is_its_major_and_minor():
    hosts = [h("cp", "3.0.0-dev.348b6528", cp=True), h("dp", "3.0.0-dev.348b6528", "2.13.10")]
    assert skew_problems("cp", "3.0.0-dev.348b6528", hosts) == [
        "kuma_version (role kuma.universal.kuma) is 3.0.0-dev.348b6528 for the control plane but dp runs 2.13.10 now:"
        " during the rolling upgrade its proxies would talk to a kuma-cp more than two minor versions away, which Kuma"
        " does not support (pkg/version/compatibility.go); upgrade in steps of at most two minors."]
    assert skew_problems("cp", "3.2.0", [h("dp", "3.0.0-dev.348b6528", "3.0.0-dev.348b6528")]) == []
    # the pre-release of a release the host runs is a downgrade
    assert "a downgrade" in skew_problems("cp", "3.0.0", [h("dp", "3.0.0-dev.1", "3.0.0")])[0]


def test_kuma_path_across_the_major_is_2_14_to_3_0_on_delta_xds():
    # 2.14 proxies under the 3.0 CP while they roll: Kuma's documented order
    assert skew_problems("cp", "3.0.0-dev.348b6528", [
        h("cp", "3.0.0-dev.348b6528", "2.14.3", cp=True), h("dp", "3.0.0-dev.348b6528", "2.14.3")]) == []
    # but not 2.14 under a 3.1 CP, nor 2.13 under 3.0
    assert "more than two minor" in skew_problems("cp", "3.1.0", [h("dp", "3.1.0", "2.14.3")])[0]
    # a host whose proxies are still on state-of-the-world xDS is refused, naming them and the way out
    problems = skew_problems("cp", "3.0.0", [dict(h("dp", "3.0.0", "2.14.3"), sotw=["redis-1", "redis-2"])])
    assert problems == [
        "kuma_version (role kuma.universal.kuma) is 3.0.0 for dp, which runs 2.14.3 with proxies on state-of-the-world"
        " xDS (redis-1, redis-2); Kuma 3 serves delta xDS only (UPGRADE.md): first set kuma_xds_delta: true and run"
        " deploy-mesh on 2.14.3, which restarts every kuma-dp host by host."]
    # on 2.14 itself the same proxies are fine
    assert skew_problems("cp", "2.14.3", [dict(h("dp", "2.14.3", "2.14.3"), sotw=["redis-1"])]) == []


def test_going_back_a_major_is_refused_even_as_a_rollback():
    for rollback in (False, True):
        problems = skew_problems("cp", "2.14.3", [h("cp", "2.14.3", "3.0.0-dev.348b6528", rollback=rollback, cp=True)])
        assert len(problems) == 1 and "does not go back a major, with or without kuma_allow_rollback" in problems[0]
        assert "restore the store's backup" in problems[0]


def test_every_message_as_before():
    problems = skew_problems("cp1", "2.14.3", [
        h("cp1", "2.14.3", cp=True),
        h("cp2", "2.14.2", cp=True),                      # every CP one release
        h("dp1", "2.11.0"),                               # three minors away
        h("dp2", "3.14.3"),                               # another major
        h("dp3", "2.14.3", "2.11.9"),                     # runs three minors away now
        h("dp4", "2.13.0", "2.14.0"),                     # downgrade
        h("dp5", "2.13.0", "2.14.0", rollback=True),      # allowed
        h("dp6", "2.x"),                                  # not a version
    ])
    assert problems == [
        "kuma_version (role kuma.universal.kuma) is 2.14.2 on the control plane cp2 but 2.14.3 on cp1: every control"
        " plane runs one release.",
        "kuma_version (role kuma.universal.kuma) is 2.11.0 on dp1 and 2.14.3 on the control plane: Kuma supports a"
        " kuma-dp at most two minor versions from its kuma-cp, of the same major (pkg/version/compatibility.go); set"
        " kuma_version of dp1 within two minors of 2.14.3.",
        "kuma_version (role kuma.universal.kuma) is 3.14.3 on dp2 and 2.14.3 on the control plane: Kuma supports a"
        " kuma-dp at most two minor versions from its kuma-cp, of the same major (pkg/version/compatibility.go); set"
        " kuma_version of dp2 within two minors of 2.14.3.",
        "kuma_version (role kuma.universal.kuma) is 2.14.3 for the control plane but dp3 runs 2.11.9 now: during the"
        " rolling upgrade its proxies would talk to a kuma-cp more than two minor versions away, which Kuma does not"
        " support (pkg/version/compatibility.go); upgrade in steps of at most two minors.",
        "kuma_version (role kuma.universal.kuma) is 2.13.0 but dp4 runs 2.14.0: a downgrade. To roll back to the"
        " release the hosts had, set kuma_allow_rollback: true as well (the schema of a Postgres store must be one the"
        " older kuma-cp knows: see the README).",
        "kuma_version (role kuma.universal.kuma) of dp6 is 2.x: not a Kuma version such as 2.14.3.",
    ]


def test_a_bad_control_plane_version_is_the_only_problem():
    assert skew_problems("cp", "2.14", [h("dp", "1.0.0")]) == [
        "kuma_version (role kuma.universal.kuma) of the control plane cp is 2.14: not a Kuma version such as 2.14.3."]


def test_an_unreadable_running_release_is_ignored():
    assert skew_problems("cp", "2.14.3", [h("dp", "2.14.3", "not-a-release")]) == []


def test_filter_reads_hostvars_probes_and_stats():
    hostvars = {
        "cp": {"kuma_version": "2.14.3", "install_probe": {"current": "/opt/kuma/2.14.3"}},
        "dp-in": {"install_probe": {"current": "/opt/kuma/2.14.0"}, "kuma_allow_rollback": "false"},
        "dp-out": {"kuma_version": "2.14.3"},
        "dp-new": {"install_probe": {"current": None}},
    }
    stats = [{"item": "dp-out", "stat": {"islnk": True, "lnk_target": "/opt/kuma/2.10.1"}}]
    problems = version_skew_problems(["cp", "dp-in", "dp-out", "dp-new"], hostvars, "cp", ["cp"],
                                     play_hosts=["cp", "dp-in", "dp-new"], stats=stats, default_version="2.13.0")
    assert len(problems) == 2
    assert "is 2.13.0 but dp-in runs 2.14.0: a downgrade" in problems[0]
    assert "but dp-out runs 2.10.1 now" in problems[1]
    hostvars["dp-in"]["kuma_allow_rollback"] = "yes"
    assert len(version_skew_problems(["cp", "dp-in"], hostvars, "cp", ["cp"], play_hosts=["cp", "dp-in"],
                                     default_version="2.13.0")) == 0


def test_filter_reads_the_proxies_on_state_of_the_world_from_the_probe():
    hostvars = {"cp": {"kuma_version": "3.0.0", "install_probe": {"current": "/opt/kuma/2.14.3"}},
                "dp": {"kuma_version": "3.0.0",
                       "install_probe": {"current": "/opt/kuma/2.14.3", "sotw_proxies": ["web-1"]}}}
    problems = version_skew_problems(["cp", "dp"], hostvars, "cp", ["cp"], play_hosts=["cp", "dp"])
    assert len(problems) == 1 and "state-of-the-world xDS (web-1)" in problems[0]
    hostvars["dp"]["install_probe"]["sotw_proxies"] = []
    assert version_skew_problems(["cp", "dp"], hostvars, "cp", ["cp"], play_hosts=["cp", "dp"]) == []


def test_filter_input_is_checked_and_registered():
    with pytest.raises(AnsibleFilterError, match="list of the mesh's hosts"):
        version_skew_problems("cp", {}, "cp", [])
    assert FilterModule().filters() == {"version_skew_problems": version_skew_problems}
