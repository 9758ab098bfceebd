# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stale proxies: the summary of deploy-mesh lists the offline Dataplanes that no inventory
host declares, and kuma_prune_stale_dataplanes=true removes those of hosts that left the
inventory, never one this collection did not make."""
import json
import os
import subprocess

import pytest
import testinfra

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "default")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CP = testinfra.get_host("ansible://cp?ansible_inventory=%s" % INVENTORY)
# The postgres scenario runs the API on a non-default kuma_api_port (its molecule.yml).
API_PORT = 6681 if os.environ.get("MOLECULE_SCENARIO_NAME") == "postgres" else 5681
API = "http://127.0.0.1:%d/meshes/default/dataplanes/" % API_PORT
KUMA3 = os.environ.get("KUMA_VERSION", "2").split(".")[0] == "3"

pytestmark = pytest.mark.skipif(SCENARIO != "default", reason="default scenario only")


def put_dataplane(name, labels, address):
    body = {"type": "Dataplane", "mesh": "default", "name": name, "labels": labels, "networking": {
        "address": address, "inbound": [{"port": 9999, "servicePort": 9998, "tags": {"kuma.io/service": "ghost"}}]}}
    # testinfra quotes every argument for the shell itself.
    CP.check_output("curl -sS --fail --max-time 10 -X PUT -H %s -d %s %s",
                    "Content-Type: application/json", json.dumps(body), API + name)


def status(name):
    return CP.check_output("curl -s -o /dev/null -w %s --max-time 10 %s", "%{http_code}", API + name)


def summary(extra):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    run = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "deploy-mesh.yml"),
         "--tags", "always", "--limit", "cp"] + extra,
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(run.stdout[run.stdout.index("{"):])
    # A role's task is reported as "<role> : <name>" (the summary is the control_plane role's entry point).
    tasks = {t["task"]["name"].split(" : ")[-1]: t["hosts"].get("cp", {}) for p in report["plays"] for t in p["tasks"]}
    return tasks


# The summary's one task that shows what it found (its msg: dataplanes, plaintext, stale, leader).
SHOW = "Show the zone's Dataplanes, open meshes, stale Dataplanes and leader"


def test_stale_dataplanes_listed_and_only_ours_removed():
    address = CP.check_output("hostname -I").split()[0]  # a project container: nothing is sent to it
    put_dataplane("ghost-gone-vm-0", {"kuma.universal/host": "gone-vm"}, address)
    put_dataplane("made-by-hand", {}, address)
    try:
        listed = summary([])[SHOW]["msg"]["stale"]
        assert listed[0].startswith("default ghost-gone-vm-0 its host gone-vm is not in the inventory; offline for ")
        assert listed[0].endswith(", removed after 1h0m0s")  # kuma_prune_stale_after's default
        assert listed[1] == "default made-by-hand no kuma.universal/host label: not made by this collection, left alone"
        assert status("ghost-gone-vm-0") == "200"  # listing alone removes nothing
        tasks = summary(["-e", "kuma_prune_stale_dataplanes=true"])  # offline for less than 1h: kept
        assert tasks["Remove the stale Dataplanes of hosts that left the inventory"].get("skipped_reason") or \
            tasks["Remove the stale Dataplanes of hosts that left the inventory"].get("results") == []
        assert status("ghost-gone-vm-0") == "200"
        tasks = summary(["-e", "kuma_prune_stale_dataplanes=true", "-e", "kuma_prune_stale_after=0"])
        removed = tasks["Remove the stale Dataplanes of hosts that left the inventory"]
        assert [r["item"]["name"] for r in removed["results"]] == ["ghost-gone-vm-0"]
        assert status("ghost-gone-vm-0") == "404"
        assert status("made-by-hand") == "200"
        # Next run: only the one this collection did not make is left to list; the inventory's
        # own proxies (online, declared) are never listed.
        tasks = summary([])
        assert tasks[SHOW]["msg"]["stale"] == [
            "default made-by-hand no kuma.universal/host label: not made by this collection, left alone"]
        # The demo's default mesh has no mtls: named as plaintext (on Kuma 3, unless the CP gave it a MeshIdentity).
        identities = json.loads(CP.check_output("curl -sS --fail --max-time 10 %s",
                                                API.replace("/dataplanes/", "/meshidentities")))["items"] if KUMA3 else []
        named = tasks[SHOW]["msg"].get("plaintext", [])
        assert named == ([] if identities else ["default PLAINTEXT: no mTLS"]), tasks[SHOW]
        # The zone's own proxies are listed online, and the leader named (the memory store: this CP).
        assert "default redis-redis-vm-0 online" in tasks[SHOW]["msg"]["dataplanes"]
        assert tasks[SHOW]["msg"]["leader"] == ["cp leader"]
    finally:
        for name in ("ghost-gone-vm-0", "made-by-hand"):
            CP.run("curl -s -X DELETE --max-time 10 %s", API + name)
