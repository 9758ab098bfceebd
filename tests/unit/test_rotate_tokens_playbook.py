# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.rotate_tokens runs by its FQCN (its behaviour: tests/integration/test_35_rotation.py)."""

from __future__ import annotations

import os
import subprocess

from ansible_collections.kuma.universal.tests.unit.test_playbooks import ROOT, ansible_playbook, collections_path


def test_rotate_tokens_syntax_by_fqcn():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    proc = subprocess.run([ansible_playbook(), "--syntax-check", "-i", "inventories/demo", "kuma.universal.rotate_tokens"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "playbook: " in proc.stdout and "rotate_tokens" in proc.stdout
