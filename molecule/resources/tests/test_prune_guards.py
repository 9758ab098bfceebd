# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 21 item 3 on real containers (prune scenario): a host whose kuma_sidecars is not given keeps
its proxy; Dataplane names two hosts would share are refused before any change; a prune above
sidecar_prune_max_percent is refused with nothing changed, and goes through with
-e sidecar_prune_confirm=true. Runs in this order (the last one changes redis-vm)."""
import json
import os
import subprocess
import time

import pytest
import testinfra

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "default")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
API = "http://127.0.0.1:5681"

pytestmark = pytest.mark.skipif(SCENARIO != "prune", reason="prune scenario only")


def vm(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


CP = vm("cp")
REDIS_VM = vm("redis-vm")
CACHE = {"service": "cache", "inbound": [{"port": 9005, "service_port": 6384}]}


def deploy(extra_vars, *args):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    run = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "deploy-mesh.yml"),
         "-e", json.dumps(extra_vars)] + list(args),
        env=env, capture_output=True, text=True, timeout=900, check=False)
    return run.returncode, run.stdout + run.stderr


def dataplanes():
    items = json.loads(CP.check_output("curl -sS --fail --max-time 10 '%s/meshes/default/dataplanes?size=1000'", API))
    return sorted(i["name"] for i in items["items"])


def units(host):
    """Every kuma-dp@ unit of host with its main PID (a restart or a stop changes it)."""
    out = host.check_output("systemctl list-units --plain --no-legend --state=active 'kuma-dp@*'")
    names = sorted(line.split()[0] for line in out.splitlines() if line.strip())
    return {n: host.check_output("systemctl show -p MainPID --value %s", n) for n in names}


def test_a_host_without_kuma_sidecars_keeps_its_proxy():
    backend = vm("backend-vm")
    assert backend.service("kuma-dp@backend-backend-vm-0").is_running
    assert backend.file("/etc/kuma/dp/backend-backend-vm-0.env").exists
    overview = json.loads(CP.check_output(
        "curl -sS --fail --max-time 10 '%s/meshes/default/dataplanes/backend-backend-vm-0/_overview'", API))
    subs = overview["dataplaneInsight"]["subscriptions"]
    assert any(s.get("connectTime") and not s.get("disconnectTime") for s in subs), "the Backend went offline"


def test_colliding_dataplane_names_are_refused_before_any_change():
    before = (dataplanes(), units(REDIS_VM), units(vm("backend-vm")))
    dup = [{"service": "dup", "name": "dup", "inbound": [{"port": 9500, "service_port": 9501}]}]
    rc, out = deploy({"kuma_sidecars": dup})
    assert rc != 0
    assert "Dataplane dup-0 of mesh default is planned on backend-vm and on redis-vm (control plane cp)" in out, out[-3000:]
    assert "Check the mesh" in out and "PLAY [Control plane]" not in out  # refused in the first play
    assert (dataplanes(), units(REDIS_VM), units(vm("backend-vm"))) == before


def test_a_prune_above_the_share_is_refused_with_nothing_changed():
    before = (dataplanes(), units(REDIS_VM))
    assert len(before[1]) == 6
    rc, out = deploy({"kuma_sidecars": [{"service": "redis", "replicas": 0}, CACHE]}, "--limit", "cp,redis-vm")
    assert rc != 0
    assert ("redis-vm: this run would stop and remove 5 of its 6 proxies (83%, more than sidecar_prune_max_percent "
            "50%): redis-redis-vm-0, redis-redis-vm-1, redis-redis-vm-2, redis-redis-vm-3, redis-redis-vm-4. If that "
            "is meant, run again with -e sidecar_prune_confirm=true (for that run only)") in out, out[-3000:]
    assert (dataplanes(), units(REDIS_VM)) == before


def test_the_operator_confirms_the_prune_for_the_run():
    rc, out = deploy({"kuma_sidecars": [{"service": "redis", "replicas": 0}, CACHE], "sidecar_prune_confirm": True},
                     "--limit", "cp,redis-vm")
    assert rc == 0, out[-3000:]
    # The cache proxy restarts in that run (its readiness port follows the allocation order, which the
    # pruned replicas no longer take): active again within a bounded wait.
    for _attempt in range(30):
        active = list(units(REDIS_VM))
        if active == ["kuma-dp@cache-redis-vm-0.service"]:
            break
        time.sleep(1)
    assert active == ["kuma-dp@cache-redis-vm-0.service"]
    assert [n for n in dataplanes() if n.startswith("redis-")] == []
    assert "backend-backend-vm-0" in dataplanes()
