# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a filter plugin or the host module dataplane_proxies loads (issue 23): every Ansible worker that runs a
task with one of the collection's filters imports its module again, and every data-plane host runs
dataplane_proxies twice per deploy. The HTTP client (requests, AnsibleModule through _api) cost about 0.2 s per
host and task there; these tests keep it out."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FILTERS = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "filter")) if f.endswith(".py"))


def loaded_by(module):
    """The modules a fresh interpreter has loaded after importing `module` (a collection path)."""
    code = ("import sys; import %s; print('\\n'.join(sorted(sys.modules)))" % module)
    # the test run's own import path (pytest's, or ansible-test's): the collection resolves the same way
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("name", FILTERS)
def test_a_filter_does_not_load_the_http_client(name):
    loaded = loaded_by("ansible_collections.kuma.universal.plugins.filter.%s" % name)
    assert "requests" not in loaded and "ansible.module_utils.basic" not in loaded
    assert "ansible_collections.kuma.universal.plugins.module_utils._api" not in loaded


def test_dataplane_proxies_loads_only_its_host_helpers():
    loaded = loaded_by("ansible_collections.kuma.universal.plugins.modules.dataplane_proxies")
    ours = {m for m in loaded if m.startswith("ansible_collections.kuma.universal.plugins.module_utils.")}
    assert {m.rsplit(".", 1)[1] for m in ours} == {"_edge_files", "_naming", "_proxies_checks", "_proxies_fs",
                                                   "_proxies_host"}
    assert "requests" not in loaded


def test_install_probe_loads_only_the_snapshot_helpers():
    # The one module run of a converged data-plane host (deploy_mesh's first play) imports only what it uses there: the
    # control plane's read (the API client, requests) is imported only on a host read as a control plane. (Its payload
    # still carries that read's module_utils, some 33 KB of source: AnsiballZ packs a function's imports too.)
    loaded = loaded_by("ansible_collections.kuma.universal.plugins.modules.install_probe")
    ours = {m for m in loaded if m.startswith("ansible_collections.kuma.universal.plugins.module_utils.")}
    assert {m.rsplit(".", 1)[1] for m in ours} == {"_edge_files", "_proxies_fs", "_cp_probe_options"}
    assert "requests" not in loaded
