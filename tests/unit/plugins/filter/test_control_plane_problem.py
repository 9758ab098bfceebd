# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""control_plane_problem: the control_plane role's preflight checks, in order, the first failure's message. The
messages as operators get them, through the role, are in tests/unit/test_control_plane_preflight.py."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.control_plane_problem import (
    SETTINGS, FilterModule, control_plane_problem)

HOSTVARS = {"cp": {}, "cp-2": {"control_plane_address": "cp.example"}, "cp-3": {"control_plane_address": "cp.example"},
            "cp-eu": {"kuma_zone": "eu"}, "global": {}}


def settings(**changes):
    """A standalone control plane on the memory store whose settings all pass."""
    base = {"host": "cp", "store_type": "memory", "postgres_host": "", "postgres_password": "", "tls_cert_src": "",
            "tls_key_src": "", "service_mgr": "systemd", "env_problems": [], "firewall_problems": [],
            "api_port_set": False, "api_port": "", "mode": "standalone", "zone": "", "kuma_zone": "",
            "global_group": "kuma_global_control_plane", "global_hosts": [], "group": "kuma_control_plane",
            "group_hosts": ["cp"], "peers": ["cp"], "meshes": [{"name": "default"}], "kuma_version": "2.14.3",
            "mesh_hostnames": True, "pki_ca_roll": "", "tls_managed": False, "pki_host": ""}
    assert set(base) == set(SETTINGS)
    return dict(base, **changes)


class Reads(Mapping):
    """Settings that record which keys the filter read."""

    def __init__(self, data):
        self.data, self.read = data, []

    def __getitem__(self, key):
        self.read.append(key)
        return self.data[key]

    def __iter__(self):
        return iter(self.data)

    def __len__(self):
        return len(self.data)


def test_settings_that_pass():
    assert control_plane_problem(settings(), HOSTVARS) == ""
    ha = settings(store_type="postgres", postgres_host="db", postgres_password="pw", peers=["cp-2", "cp-3"],
                  group_hosts=["cp-2", "cp-3"], tls_managed=True, pki_ca_roll="start", pki_host="cp-3")
    assert control_plane_problem(ha, HOSTVARS) == ""
    assert FilterModule().filters() == {"control_plane_problem": control_plane_problem}


@pytest.mark.parametrize("changes, message", [
    ({"store_type": ""}, 'cp: control_plane_store_type is not set (""). Choose it in the inventory'),
    ({"store_type": "postgres"}, "control_plane_store_type must be memory or postgres (postgres needs"),
    ({"store_type": "postgres", "postgres_host": "db", "postgres_password": None},
     "control_plane_store_type must be memory or postgres (postgres needs"),
    ({"tls_cert_src": "c.pem"}, "the TLS cert and key come together"),
    ({"service_mgr": "sysvinit"}, "the host must run systemd"),
    ({"env_problems": ["postgres_password has a line break"]},
     "cp: kuma-cp.env would not hold these as given: postgres_password has a line break."),
    ({"firewall_problems": ["a", "b"]}, "cp: a; b."),
    ({"api_port_set": True, "api_port": 5681}, "control_plane_api_port is set (5681) but is no longer read"),
    ({"global_hosts": ["global"]}, "cp has no kuma_zone, but the inventory is multizone (a global control plane in "
                                   "kuma_global_control_plane)"),
    ({"group_hosts": ["cp", "cp-eu"]}, "(other hosts of kuma_control_plane have a kuma_zone)"),
    ({"peers": ["cp", "cp-2"]}, "control_plane_store_type is memory but the group kuma_control_plane has 2 hosts "
                                "(cp, cp-2)"),
    ({"store_type": "postgres", "postgres_host": "db", "postgres_password": "pw", "peers": ["cp", "cp-2"]},
     "control_plane_address must be set in the inventory, the same for every host of kuma_control_plane (cp, cp-2)"),
    ({"mode": "zone", "zone": "EU", "global_hosts": ["global"]}, "cp: control_plane_mode is zone. It must be"),
    ({"mode": "zone", "zone": "eu"}, "cp: control_plane_mode is zone."),
    ({"mode": "global", "kuma_zone": "eu"}, "cp: control_plane_mode is global."),
    ({"mode": "other"}, "cp: control_plane_mode is other."),
    ({"meshes": [{"name": "default"}, {"name": 5}, {}]}, "items without one, counted from 0: 1, 2."),
    ({"pki_ca_roll": "start"}, "control_plane_pki_ca_roll=start: the role keeps a CA only for several control planes "
                               "without your own TLS, and cp has kuma-cp's own self-signed certificate"),
    ({"pki_host": "cp-9"}, "control_plane_pki_host is cp-9, which is not one of the control planes that share this "
                           "certificate (cp): set it to the one that keeps the CA."),
])
def test_each_check_names_what_to_fix(changes, message):
    assert message in control_plane_problem(settings(**changes), HOSTVARS)


def test_the_first_failure_only_and_nothing_after_it_read():
    # Both the store and the meshes are wrong: the store is named, and the meshes are never read.
    given = Reads(settings(store_type="", meshes=[{}]))
    assert control_plane_problem(given, HOSTVARS).startswith("cp: control_plane_store_type is not set")
    assert "meshes" in given.read and "firewall_problems" not in given.read and "peers" not in given.read


def test_a_mesh_the_major_cannot_carry_is_refused_by_its_filter():
    # Kuma 3 carries mTLS by a MeshIdentity: a backend it cannot carry is named by mesh_policies_for itself.
    meshes = [{"name": "default", "mtls": {"enabledBackend": "v", "backends": [{"name": "v", "type": "vault"}]}}]
    with pytest.raises(AnsibleFilterError, match=r"control_plane_meshes\[0\]\.mtls"):
        control_plane_problem(settings(meshes=meshes, kuma_version="3.0.0"), HOSTVARS)


@pytest.mark.parametrize("given, message", [
    ([], "the input must be the control plane's settings"),
    ({"host": "cp"}, "the settings lack store_type"),
    (settings(meshes="default"), "meshes must be a list"),
])
def test_bad_input_is_named(given, message):
    with pytest.raises(AnsibleFilterError, match=message):
        control_plane_problem(given, HOSTVARS)
