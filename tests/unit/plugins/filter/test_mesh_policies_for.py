# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mesh_policies_for: Mesh.mtls kept on Kuma 2, carried by a MeshIdentity on Kuma 3."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.mesh_policies_for import mesh_policies_for

MTLS = {"enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin",
                                                "dpCert": {"rotation": {"expiration": "24h"}}}]}
MESHES = [{"name": "default", "mtls": MTLS}, {"name": "plain"}]


def test_kuma2_unchanged():
    assert mesh_policies_for(MESHES, "2.14.3") == {"meshes": MESHES, "policies": []}


def test_kuma3_meshidentity():
    out = mesh_policies_for(MESHES, "3.0.0-dev.348b6528")
    assert out["meshes"] == [{"name": "default"}, {"name": "plain"}]
    (policy, generator) = out["policies"]
    assert generator == {"kind": "HostnameGenerator", "name": "kuma-universal-mesh", "state": "absent"}
    assert (policy["kind"], policy["mesh"], policy["name"]) == ("MeshIdentity", "default", "ca-1")
    assert policy["spec"]["spiffeID"] == {"path": '/workload/{{ label "kuma.universal/service" }}'}
    assert policy["spec"]["provider"]["bundled"]["autogenerate"] == {"enabled": True}
    assert policy["spec"]["provider"]["bundled"]["certificateParameters"] == {"expiry": "24h"}


def test_kuma3_permissive_adds_meshtls_and_no_backend_no_policy():
    permissive = {"enabledBackend": "ca-1", "backends": [{"name": "ca-1", "type": "builtin", "mode": "PERMISSIVE"}]}
    out = mesh_policies_for([{"name": "m", "mtls": permissive}, {"name": "n", "mtls": {"backends": []}}], "v3.0.1")
    assert [p["kind"] for p in out["policies"]] == ["MeshIdentity", "MeshTLS", "HostnameGenerator"]
    assert out["policies"][1]["spec"]["rules"] == [{"default": {"mode": "Permissive"}}]


def test_kuma3_mesh_hostnames_name_every_meshservice_of_the_zone_service_mesh():
    (generator,) = mesh_policies_for([{"name": "default"}], "3.0.0-dev.348b6528", mesh_hostnames=True)["policies"]
    assert generator == {"kind": "HostnameGenerator", "name": "kuma-universal-mesh", "state": "present",
                         "spec": {"selector": {"meshService": {"matchLabels": {"kuma.io/origin": "zone"}}},
                                  "template": "{{ .DisplayName }}.mesh"}}
    assert mesh_policies_for([{"name": "default"}], "2.14.3", mesh_hostnames=True)["policies"] == []


@pytest.mark.parametrize("mtls, message", [
    ({"enabledBackend": "vault-1", "backends": [{"name": "vault-1", "type": "vault"}]},
     "control_plane_meshes[0].mtls.backends[vault-1].type: vault: only a builtin CA"),
    ({"enabledBackend": "ca-2", "backends": [{"name": "ca-1", "type": "builtin"}]},
     "control_plane_meshes[0].mtls.enabledBackend: 'ca-2' is not one of mtls.backends (ca-1)"),
])
def test_kuma3_refusals_name_the_field(mtls, message):
    with pytest.raises(AnsibleFilterError) as exc:
        mesh_policies_for([{"name": "m", "mtls": mtls}], "3.0.1")
    assert message in str(exc.value)
