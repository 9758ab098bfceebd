# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.stale_dataplanes import FilterModule, stale_dataplanes


def dp(name, online, host=None, mesh="default"):
    return {"name": name, "mesh": mesh, "online": online, "labels": {"kuma.universal/host": host} if host else {}}


def test_offline_and_not_declared_by_the_inventory():
    items = [dp("redis-a-0", True, "a"), dp("redis-a-1", False, "a"),     # a's own: a converges them
             dp("redis-gone-0", False, "gone"), dp("redis-gone-1", True, "gone"),  # online: not stale
             dp("manual", False), dp("other", False, "gone", mesh="other")]
    stale = stale_dataplanes(items, ["a", "b"])
    assert [(s["mesh"], s["name"], s["host"], s["ours"]) for s in stale] == [
        ("default", "manual", None, False), ("default", "redis-gone-0", "gone", True), ("other", "other", "gone", True)]
    assert stale[0]["why"] == "no kuma.universal/host label: not made by this collection, left alone"
    assert stale[1]["why"] == "its host gone is not in the inventory"


def test_nothing_stale():
    assert stale_dataplanes([dp("x", True, "gone"), dp("y", False, "a")], ["a"]) == []
    assert stale_dataplanes([], []) == []


def test_bad_input_is_named():
    with pytest.raises(AnsibleFilterError, match="dataplanes list"):
        stale_dataplanes({"dataplanes": []}, [])


def test_registered():
    assert FilterModule().filters() == {"stale_dataplanes": stale_dataplanes}


# -- issue 21 item 3: which stale ones may be removed ------------------------------------------------------
NOW = "2026-03-01T12:00:00Z"


def offline(name, host, since, mesh="default"):
    return dict(dp(name, False, host, mesh), offline_since=since)


def test_removed_only_after_the_set_time_offline():
    items = [offline("old-0", "gone", "2026-03-01T10:59:59.123456789Z"), offline("new-0", "gone", "2026-03-01T11:30:00Z"),
             offline("never-0", "gone", None), offline("manual", None, "2026-01-01T00:00:00Z")]
    stale = {s["name"]: s for s in stale_dataplanes(items, ["a"], "1h", NOW)}
    assert {n: s["prune"] for n, s in stale.items()} == {"old-0": True, "new-0": False, "never-0": False,
                                                         "manual": False}
    assert stale["new-0"]["why"] == "its host gone is not in the inventory; offline for 30m0s, removed after 1h0m0s"
    assert stale["never-0"]["why"] == "its host gone is not in the inventory; offline since an unknown time: kept"
    assert stale["old-0"]["why"] == "its host gone is not in the inventory; offline for 1h0m0s"
    assert stale_dataplanes(items, ["a"], 0, NOW)[2]["prune"] is True  # new-0 with no wait
    assert stale_dataplanes(items, ["a"], "90m", NOW)[3]["prune"] is False  # old-0


def test_nothing_is_removed_when_the_zone_has_no_data_plane_host():
    items = [offline("old-0", "gone", "2026-01-01T00:00:00Z")]
    stale = stale_dataplanes(items, [], "1h", NOW)
    assert [(s["name"], s["prune"]) for s in stale] == [("old-0", False)]
    assert stale[0]["why"] == ("its host gone is not in the inventory; kept: the zone has no data-plane host in the "
                               "inventory (a wrong inventory would make every proxy look stale)")


@pytest.mark.parametrize("value", ["1 hour", "-5m", "h", [1]])
def test_a_bad_offline_time_is_named(value):
    with pytest.raises(AnsibleFilterError, match="kuma_prune_stale_after: .* a duration such as 90s, 30m, 1h or 2h30m"):
        stale_dataplanes([], ["a"], value, NOW)
