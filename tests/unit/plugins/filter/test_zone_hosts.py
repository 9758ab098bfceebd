# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hosts of a group in one zone (filter zone_hosts): the roles' zone control planes and the summary's hosts."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.zone_hosts import FilterModule, zone_hosts, zone_of

HOSTVARS = {"cp-eu-1": {"kuma_zone": "eu"}, "cp-us": {"kuma_zone": "us"}, "cp-eu-2": {"kuma_zone": "eu"},
            "cp": {}, "cp-empty": {"kuma_zone": ""}, "cp-none": {"kuma_zone": None}}


def test_the_hosts_of_the_zone_in_the_group_order():
    group = ["cp-eu-2", "cp-us", "cp-eu-1", "cp"]
    assert zone_hosts(group, HOSTVARS, "eu") == ["cp-eu-2", "cp-eu-1"]
    assert zone_hosts(group, HOSTVARS, "us") == ["cp-us"]
    assert zone_hosts(group, HOSTVARS, "asia") == []
    assert zone_hosts([], HOSTVARS, "eu") == []
    assert FilterModule().filters() == {"zone_hosts": zone_hosts}


def test_no_zone_is_the_hosts_without_one():
    # Unset, empty or null kuma_zone: outside multizone.
    assert zone_hosts(["cp-eu-1", "cp", "cp-empty", "cp-none"], HOSTVARS) == ["cp", "cp-empty", "cp-none"]
    assert zone_hosts(["cp-eu-1", "cp"], HOSTVARS, "") == ["cp"]


@pytest.mark.parametrize("hosts, zone, message", [
    ("cp", "eu", "the input must be a list of inventory host names"),
    ({"cp": {}}, "eu", "the input must be a list of inventory host names"),
    (["cp"], None, "the zone must be a string"),
])
def test_bad_input_is_named(hosts, zone, message):
    with pytest.raises(AnsibleFilterError, match=message):
        zone_hosts(hosts, HOSTVARS, zone)


def test_a_hosts_zone():
    # What zone_hosts and the firewall and preflight filters compare: empty when unset, null or unknown.
    assert [zone_of(HOSTVARS, h) for h in ("cp-eu-1", "cp", "cp-empty", "cp-none", "not-in-inventory")] == [
        "eu", "", "", "", ""]
