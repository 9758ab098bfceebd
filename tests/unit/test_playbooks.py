# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's playbook runs by its FQCN and by the file operators run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def collections_path():
    """The directory holding ansible_collections/kuma/universal for this tree."""
    parts = ROOT.split(os.sep)
    if parts[-3:] == ["ansible_collections", "kuma", "universal"]:  # ansible-test's layout
        return os.sep.join(parts[:-3])
    return os.path.join(ROOT, "build", "collections")  # the work tree (make collection)


def ansible_playbook():
    beside = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    return beside if os.path.exists(beside) else shutil.which("ansible-playbook")


@pytest.mark.parametrize("args", [
    ["kuma.universal.deploy_mesh", "-i", "inventories/demo"],
    ["playbooks/deploy-mesh.yml", "-i", "inventories/demo"],
    ["playbooks/deploy_mesh.yml", "-i", "inventories/demo"],
], ids=["fqcn", "operators-file", "playbook-file"])
def test_deploy_mesh_syntax(args):
    assert os.path.isdir(os.path.join(collections_path(), "ansible_collections", "kuma", "universal")), \
        "no collection at %s (make collection)" % collections_path()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    proc = subprocess.run([ansible_playbook(), "--syntax-check"] + args, cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "playbook:" in proc.stdout
