# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the summary of a zone shows (filter zone_summary): the msg of the control_plane role's summary task."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.zone_summary import FilterModule, zone_summary

READ = {"dataplanes": [{"mesh": "default", "name": "web-2", "online": False},
                       {"mesh": "default", "name": "redis-0", "online": True},
                       {"mesh": "billing", "name": "api-0", "online": True}],
        "meshes": [{"name": "default", "mtls": "off"}, {"name": "billing", "mtls": "strict"},
                   {"name": "edge", "mtls": "permissive"}, {"name": "k3", "mtls": "on"}],
        "leader": True}


def test_every_key_as_the_summary_shows_it():
    stale = [{"mesh": "default", "name": "ghost-0", "why": "its host gone is not in the inventory", "prune": False}]
    statuses = [{"item": "cp-2", "state": "follower"}, {"item": "cp-3", "failed": True}]
    assert zone_summary(READ, stale, "cp-1", statuses) == {
        "dataplanes": ["billing api-0 online", "default redis-0 online", "default web-2 OFFLINE"],
        "plaintext": ["default PLAINTEXT: no mTLS", "edge mTLS PERMISSIVE: plaintext accepted"],
        "stale": ["default ghost-0 its host gone is not in the inventory"],
        "leader": ["cp-1 leader", "cp-2 follower", "cp-3 unreachable"]}
    assert FilterModule().filters() == {"zone_summary": zone_summary}


def test_keys_with_nothing_to_list_are_left_out():
    shown = zone_summary({"dataplanes": [], "meshes": [{"name": "default", "mtls": "strict"}], "leader": False}, [], "cp")
    assert shown == {"dataplanes": [], "leader": ["cp follower"]}
    # A control plane whose leader gauge could not be read.
    assert zone_summary({"leader": None}, host="cp")["leader"] == ["cp unreachable"]


@pytest.mark.parametrize("summary, stale, statuses, message", [
    ([], [], [], "the input must be the summary's read"),
    ({"dataplanes": "x"}, [], [], "the read's dataplanes must be a list"),
    ({"meshes": ["default"]}, [], [], r"the read's meshes\[0\] must be a mapping"),
    ({}, "x", [], "stale must be a list"),
    ({}, [], [1], r"statuses\[0\] must be a mapping"),
])
def test_bad_input_is_named(summary, stale, statuses, message):
    with pytest.raises(AnsibleFilterError, match=message):
        zone_summary(summary, stale, "cp", statuses)
