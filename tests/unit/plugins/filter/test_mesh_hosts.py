# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hosts of the mesh (filter mesh_hosts): deploy_mesh's first play and the install role's version check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.mesh_hosts import FilterModule, mesh_hosts

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def test_the_groups_in_order_each_host_once():
    groups = {"kuma_dataplanes": ["web1", "cp1", "web2"], "kuma_control_plane": ["cp1", "cp2"], "all": ["x"],
              "kuma_global_control_plane": ["global"]}
    assert mesh_hosts(groups) == ["global", "cp1", "cp2", "web1", "web2"]
    assert mesh_hosts({"kuma_control_plane": ["cp1"]}) == ["cp1"]  # a standalone inventory: no global's group
    assert mesh_hosts(groups, ["kuma_control_plane", "none"]) == ["cp1", "cp2"]
    assert mesh_hosts(groups, None) == mesh_hosts(groups)
    assert FilterModule().filters() == {"mesh_hosts": mesh_hosts}


@pytest.mark.parametrize("groups, names, message", [
    (["cp1"], None, "the input must be groups"),
    ({}, "kuma_dataplanes", "names must be a list of group names"),
    ({}, [1], "names must be a list of group names"),
])
def test_bad_input_is_named(groups, names, message):
    with pytest.raises(AnsibleFilterError, match=message):
        mesh_hosts(groups, names) if names else mesh_hosts(groups)


def test_the_first_play_loads_the_filters_before_any_worker_is_forked():
    # Ansible imports every filter file of a collection to find one filter, in each worker that uses one (about
    # 45 ms per host and task at 32 hosts): the first play's hosts keyword, templated in the ansible-playbook process
    # before any worker is forked, uses one of the collection's filters, so every worker inherits them all.
    with open(os.path.join(ROOT, "playbooks", "deploy_mesh.yml")) as handle:
        first = yaml.safe_load(handle)[0]
    assert "kuma.universal.mesh_hosts" in first["hosts"]
    code = ("import os, sys, time\n"
            "from ansible.plugins.loader import init_plugin_loader\n"
            "init_plugin_loader()\n"
            "from ansible.template import Templar, trust_as_template\n"
            "from ansible.parsing.dataloader import DataLoader\n"
            "Templar(loader=DataLoader(), variables={'groups': {'kuma_control_plane': ['cp']}}).template(trust_as_template(%r))\n"
            "print('\\n'.join(m for m in sys.modules if '.plugins.filter.' in m or '.plugins.test.' in m))\n"
            % first["hosts"])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    ours = {m.rsplit(".", 1)[1] for m in loaded.split() if m.startswith("ansible_collections.kuma.universal.")}
    files = {f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "filter")) if f.endswith(".py")}
    assert ours == files
    # And Ansible's own test plugins (match, search...), which a worker would import on its first test.
    assert any(m.startswith("ansible.plugins.test.core") for m in loaded.split()), loaded
