# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection a scenario tests is the work tree, and only that: molecule runs with
prerun off, so no snapshot of kuma.universal is built and installed anywhere (a stale copy
in ~/.ansible/collections would shadow the tree: "only the first one will be used")."""
import json
import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_kuma_universal_resolves_to_the_work_tree_only():
    # The verifier's environment is the one molecule gave the provisioner.
    run = subprocess.run(
        ["ansible-galaxy", "collection", "list", "kuma.universal", "--format", "json"],
        env=os.environ, capture_output=True, text=True, check=True, timeout=120)
    found = [Path(path) / "kuma" / "universal" for path, cols in json.loads(run.stdout).items()
             if "kuma.universal" in cols]
    assert [p.resolve() for p in found] == [ROOT], found
    assert not (Path.home() / ".ansible" / "collections" / "ansible_collections" / "kuma").exists()


def test_containers_carry_this_runs_name():
    """Two runs on one Docker engine never share a container: every container is named
    ku-<run>-<host> (KU_RUN_ID, set per invocation by scripts/test-all.sh) and labelled so."""
    run_id = os.environ.get("KU_RUN_ID")
    with open(os.environ["MOLECULE_INVENTORY_FILE"], encoding="utf-8") as handle:
        hosts = yaml.safe_load(handle)["all"]["hosts"]
    assert hosts
    for host, conn in hosts.items():
        name = conn["ansible_host"]
        assert name.startswith("ku-") and name.endswith("-" + host), (host, name)
        if run_id:
            assert name == "ku-%s-%s" % (run_id, host)
        label = subprocess.run(["docker", "inspect", "-f", '{{ index .Config.Labels "kuma-universal/run" }}', name],
                               capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        assert label + host == name
