# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dataplane_info tells since when an offline proxy is offline (the stale prune waits for it)."""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._info import summarise


def overview(subscriptions, modified="2026-03-01T09:00:00Z"):
    return {"name": "x-0", "mesh": "default", "modificationTime": modified,
            "dataplane": {"networking": {"address": "10.0.0.1"}}, "dataplaneInsight": {"subscriptions": subscriptions}}


def test_offline_since_the_last_disconnect():
    subs = [{"connectTime": "2026-03-01T10:00:00Z", "disconnectTime": "2026-03-01T10:05:00Z"},
            {"connectTime": "2026-03-01T10:06:00Z", "disconnectTime": "2026-03-01T11:00:00.5Z"}]
    assert summarise(overview(subs))["offline_since"] == "2026-03-01T11:00:00.5Z"


def test_never_connected_is_offline_since_its_last_change_and_online_has_none():
    assert summarise(overview([]))["offline_since"] == "2026-03-01T09:00:00Z"
    assert summarise(overview([{"connectTime": "2026-03-01T10:00:00Z"}]))["offline_since"] is None
