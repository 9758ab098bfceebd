# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control_plane role runs kuma.universal.mesh only for the meshes this filter keeps: it must
keep every mesh the module would change (drift, deletion, bad input), and only those."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.control_plane_meshes_to_converge import (
    FilterModule, control_plane_meshes_to_converge as to_converge,
)
from ansible_collections.kuma.universal.plugins.modules import mesh
from ansible_collections.kuma.universal.tests.unit.fakecp import run_module as run

MTLS = {"enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin"}]}


def test_registered():
    assert FilterModule().filters()["control_plane_meshes_to_converge"] is to_converge


def test_a_mesh_as_the_module_left_it_is_not_converged_again(cp, capsys):
    wanted = [{"name": "default"}, {"name": "m1", "labels": {"team": "a"}, "mtls": MTLS,
                                    "skip_creating_initial_policies": ["*"]}]
    for item in wanted:
        run(mesh, item, capsys)
    cp.store[("meshes", "m1")]["routing"] = {"zoneEgress": True}  # not managed: kept, no difference
    found = {"default": cp.store[("meshes", "default")], "m1": cp.store[("meshes", "m1")]}
    assert to_converge(wanted, found) == []
    # Each of these the module would change: so the filter keeps it.
    for name, drift in [("m1", {"labels": {"team": "b"}}), ("m1", {"mtls": None}),
                        ("m1", {"skipCreatingInitialPolicies": []})]:
        changed = dict(found, **{name: dict(found[name], **drift)})
        assert to_converge(wanted, changed) == [wanted[1]], drift
        assert run(mesh, wanted[1], capsys, check_mode=True)["changed"] is False  # the store itself is as wanted


def test_missing_absent_unread_and_invalid_meshes():
    wanted = [{"name": "gone"}, {"name": "old", "state": "absent"}, {"name": "unread"},
              {"name": "Bad Name"}, {"name": "also-gone", "state": "absent"}]
    found = {"gone": None, "old": {"type": "Mesh", "name": "old"}, "Bad Name": None, "also-gone": None}
    # deleted on the CP: created again; absent but there: deleted; not read: the module decides;
    # a name the module refuses: the module reports it; absent and not there: nothing to do.
    assert to_converge(wanted, found) == wanted[:4]
    assert to_converge(wanted, None) == wanted  # nothing read: every mesh
    with pytest.raises(AnsibleFilterError, match="control_plane_meshes"):
        to_converge("default", {})
