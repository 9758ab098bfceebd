# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup and restore drill of the PostgreSQL store (docs: backup_restore.rst), on the
postgres scenario's running mesh: pg_dump while kuma-cp runs, pg_restore into a fresh
database, the CP pointed at it by a CP-only run of deploy-mesh. Every entity comes back from
the dump (same creation times, same signing keys), every proxy reconnects with the token it
already has (no proxy restarted, no data-plane host in the run), and a request crosses the mesh.
The drill's figures are written to build/drills/store-restore.json (molecule's destroy removes its own
directory)."""
import json
import os
import re
import subprocess
import time

import pytest
import testinfra

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "default")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
API = "http://127.0.0.1:6681"  # the postgres scenario's kuma_api_port
DUMP = "/var/lib/postgresql/kuma-drill.dump"
RESTORED = "kuma_restored"

pytestmark = pytest.mark.skipif(SCENARIO != "postgres", reason="postgres scenario only")


def vm(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


CP, PG, APP = vm("cp"), vm("postgres"), vm("app-vm")


def api(path):
    return json.loads(CP.check_output("curl -sS --fail --max-time 10 '%s%s'", API, path))


def store_state():
    """What the store holds: meshes, Dataplanes with their creation times, secret names."""
    dataplanes = {i["name"]: i["creationTime"] for i in api("/meshes/default/dataplanes?size=1000")["items"]}
    return {
        "meshes": sorted(i["name"] for i in api("/meshes")["items"]),
        "dataplanes": dataplanes,
        "global_secrets": sorted(i["name"] for i in api("/global-secrets?size=1000")["items"]),
        "mesh_secrets": sorted(i["name"] for i in api("/meshes/default/secrets?size=1000")["items"]),
    }


def connected_since():
    """Per Dataplane, the connect time of its open subscription (None when offline)."""
    result = {}
    for item in api("/meshes/default/dataplanes/_overview?size=1000")["items"]:
        open_subs = [s for s in item.get("dataplaneInsight", {}).get("subscriptions", [])
                     if s.get("connectTime") and not s.get("disconnectTime")]
        result[item["name"]] = max(s["connectTime"] for s in open_subs) if open_subs else None
    return result


def proxy_pids():
    units = APP.check_output("systemctl list-units 'kuma-dp@*' --no-legend --plain").splitlines()
    names = sorted(line.split()[0] for line in units)
    assert names, "no kuma-dp unit on app-vm"
    return {n: APP.check_output("systemctl show -p MainPID --value %s", n) for n in names}


def cp_started():
    return int(CP.check_output("systemctl show -p ActiveEnterTimestampMonotonic --value kuma-cp"))


def kuma_databases():
    """The databases kuma-cp's connections use, from PostgreSQL's own view."""
    out = PG.check_output("runuser -u postgres -- psql -At -c %s",
                          "SELECT DISTINCT datname FROM pg_stat_activity WHERE usename = 'kuma'")
    return sorted(out.split())


def test_store_dump_restored_into_a_fresh_database_serves_the_mesh():
    before = store_state()
    assert before["dataplanes"] and before["global_secrets"], before
    assert kuma_databases() == ["kuma"]
    pids = proxy_pids()
    started = cp_started()

    # Backup while kuma-cp runs (no pause), as PostgreSQL's own user: no password on any command line.
    t0 = time.monotonic()
    PG.check_output("runuser -u postgres -- pg_dump --format=custom --file=%s kuma", DUMP)
    dump_s = time.monotonic() - t0
    dump_bytes = int(PG.check_output("stat -c %%s %s", DUMP))
    # Restore into a fresh database owned by kuma.
    PG.check_output("runuser -u postgres -- dropdb --if-exists %s", RESTORED)
    PG.check_output("runuser -u postgres -- createdb --owner=kuma %s", RESTORED)
    t0 = time.monotonic()
    PG.check_output("runuser -u postgres -- pg_restore --no-owner --role=kuma --exit-on-error --dbname=%s %s",
                    RESTORED, DUMP)
    restore_s = time.monotonic() - t0

    # Point the CP at it: a run of the control-plane host only (no data-plane host takes part).
    pg_address = PG.check_output("hostname -I").split()[0]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    # Kuma writes connect times in UTC as RFC 3339: a later one compares greater as a string.
    cp_clock = CP.check_output("date -u +%Y-%m-%dT%H:%M:%S")
    t0 = time.monotonic()
    run = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "deploy-mesh.yml"), "--limit", "cp",
         "-e", "control_plane_postgres_db_name=%s" % RESTORED, "-e", "control_plane_postgres_host=%s" % pg_address],
        env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    run_s = time.monotonic() - t0
    recap = re.search(r"^cp\s+: ok=\d+\s+changed=(\d+)", run.stdout, re.M)
    assert recap and int(recap.group(1)) > 0, "the CP was not reconfigured: " + run.stdout[-2000:]
    assert cp_started() > started, "kuma-cp did not restart onto the restored database"

    # Every proxy reconnects to the restarted CP with the token it has (signing keys from the dump).
    restarted_at = time.monotonic()
    deadline = restarted_at + 90
    while True:
        since = connected_since()
        reconnected = [n for n, t in since.items() if t and t > cp_clock]
        if len(reconnected) == len(before["dataplanes"]) or time.monotonic() > deadline:
            break
        time.sleep(1)
    online_s = time.monotonic() - restarted_at
    assert sorted(reconnected) == sorted(before["dataplanes"]), since

    after = store_state()
    assert after == before  # the same entities, created when they were first, not registered again
    assert kuma_databases() == [RESTORED]
    assert proxy_pids() == pids, "a proxy restarted: the restore should need none"
    backend = api("/meshes/default/dataplanes/backend-app-vm-0")["networking"]["address"]
    assert re.match(r"^hits=\d+ redis_port=\d+$", CP.check_output("curl -sS --fail --max-time 10 http://%s:8000/", backend))

    figures = {"dump_bytes": dump_bytes, "dump_s": round(dump_s, 2), "restore_s": round(restore_s, 2),
               "cp_run_s": round(run_s, 1), "all_online_after_run_s": round(online_s, 1),
               "dataplanes": len(after["dataplanes"]), "global_secrets": len(after["global_secrets"]),
               "mesh_secrets": len(after["mesh_secrets"])}
    out = os.path.join(ROOT, "build", "drills")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "store-restore.json"), "w", encoding="utf-8") as handle:
        json.dump(figures, handle)
    print("store restore drill:", json.dumps(figures))
