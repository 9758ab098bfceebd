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
