# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 23, item 4: registering a fleet's Dataplanes (N=1000, 5000) through the shipped
kuma.universal.dataplanes module against one real kuma-cp on loopback (memory store), against the
floor of N sequential PUTs on one HTTP session, in the same invocation; kuma-cp on the memory store, or
with --store postgres on a throwaway PostgreSQL cluster on loopback (initdb and pg_ctl on the PATH; Debian's
postgresql package; run as root, the cluster as the postgres user).

Paths, each registering N fresh Dataplanes (the mesh emptied between paths, untimed):
  floor            a raw requests.Session loop of PUTs (the floor)
  dataplanes       kuma.universal.dataplanes' main() in this process, all N in one run, as the sidecar
                   role calls it once per batch of hosts (validation, one listing, the writes)
  dataplanes_noop  the same run again, nothing to write (a converged re-run: one listing, compare)
  floor_4_sessions the floor's PUTs from 4 sessions at once: what concurrency could gain, i.e. where kuma-cp
                   itself becomes the limit
  floor_again      the floor once more at the end: drift of the CP or the machine during the run
For each path: the wall time, the ratio to the floor, and kuma-cp's CPU seconds (user+system, from
/proc/<pid>/stat) and resident memory after it (VmRSS) and at its peak so far (VmHWM).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from common import (ROOT, Toolchain, count_dataplanes, free_port, machine, now, put_floor, wipe_dataplanes,
                    write_json)

MESH = "default"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def dp_body(name: str, i: int) -> dict:
    """What the sidecar role registers for one replica (one inbound), as the API takes it."""
    return {
        "type": "Dataplane", "mesh": MESH, "name": name,
        "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "host-%d" % (i // 6)},
        "networking": {"address": "10.%d.%d.%d" % (i // 65536, i // 256 % 256, i % 256),
                       "inbound": [{"port": 20000, "servicePort": 30000, "serviceAddress": "127.0.0.1",
                                    "tags": {"kuma.io/service": "svc-%d" % (i % 50), "kuma.io/protocol": "tcp"}}]},
    }


def module_item(name: str, i: int) -> dict:
    """The same Dataplane as an item of kuma.universal.dataplanes."""
    body = dp_body(name, i)
    inbound = body["networking"]["inbound"][0]
    return {"name": name, "mesh": MESH, "labels": body["labels"], "address": body["networking"]["address"],
            "inbound": [{"port": inbound["port"], "service_port": inbound["servicePort"],
                         "service_address": inbound["serviceAddress"], "tags": inbound["tags"]}]}


def cp_usage(pid: int) -> dict:
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    status = {}
    with open("/proc/%d/status" % pid) as handle:
        for line in handle:
            key, value = (line.split(":", 1) + [""])[:2]
            status[key] = value.strip()
    return {"cpu_s": (int(fields[11]) + int(fields[12])) / CLK_TCK,
            "rss_mib": int(status["VmRSS"].split()[0]) / 1024, "hwm_mib": int(status["VmHWM"].split()[0]) / 1024}


def path_floor_parallel(api: str, prefix: str, n: int, threads: int = 4) -> float:
    """The same PUTs from several sessions at once: where kuma-cp itself, not the caller's round trips, is the limit."""
    from concurrent.futures import ThreadPoolExecutor

    def part(k: int) -> None:
        s = requests.Session()
        s.headers["Content-Type"] = "application/json"
        for i in range(k, n, threads):
            name = f"{prefix}-{i}"
            s.put(f"{api}/meshes/{MESH}/dataplanes/{name}", data=json.dumps(dp_body(name, i)),
                  timeout=60).raise_for_status()

    t0 = now()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(part, range(threads)))
    return now() - t0


def path_dataplanes(api: str, prefix: str, n: int, expect: int) -> float:
    """The shipped module's main() in this process (no fork of an AnsiballZ payload: the module's own cost)."""
    sys.path.insert(0, str(ROOT / "build" / "collections"))
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.kuma.universal.plugins.modules import dataplanes  # type: ignore

    items = [module_item(f"{prefix}-{i}", i) for i in range(n)]
    out = io.StringIO()
    t0 = now()
    with patch_module_args({"api_url": api, "dataplanes": items}), contextlib.redirect_stdout(out):
        try:
            dataplanes.main()
        except SystemExit:
            pass
    elapsed = now() - t0
    res = json.loads(out.getvalue())
    if res.get("failed") or len(res["created"]) != expect:
        raise RuntimeError(f"dataplanes: {res.get('msg')} created {len(res.get('created', []))} of {expect}")
    return elapsed


class Postgres:
    """A throwaway cluster on 127.0.0.1 (trust authentication, loopback only), stopped and removed at the end."""

    def __init__(self) -> None:
        missing = [b for b in ("initdb", "pg_ctl") if not shutil.which(b)]
        if missing:
            raise SystemExit("--store postgres needs %s on the PATH (Debian: apt-get install postgresql)"
                             % " and ".join(missing))
        self.dir = Path(tempfile.mkdtemp(prefix="kb-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.data = self.dir / "data"
        self.as_postgres(["initdb", "-D", str(self.data), "-A", "trust", "-U", "kuma"])
        self.as_postgres(["pg_ctl", "-D", str(self.data), "-w", "-l", str(self.dir / "log"), "-o",
                          "-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200" % (self.port, self.dir),
                          "start"])

    @staticmethod
    def as_postgres(argv: list[str]) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--"] + argv, check=True, capture_output=True, timeout=120)

    def env(self) -> dict[str, str]:
        return {"KUMA_STORE_TYPE": "postgres", "KUMA_STORE_POSTGRES_HOST": "127.0.0.1",
                "KUMA_STORE_POSTGRES_PORT": str(self.port), "KUMA_STORE_POSTGRES_USER": "kuma",
                "KUMA_STORE_POSTGRES_PASSWORD": "unused-trust", "KUMA_STORE_POSTGRES_DB_NAME": "postgres",
                "KUMA_STORE_POSTGRES_TLS_MODE": "disable"}

    def stop(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", "pg_ctl", "-D", str(self.data), "-m", "fast", "stop"],
                       capture_output=True, timeout=120, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000")
    ap.add_argument("--store", choices=["memory", "postgres"], default="memory")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    tc = Toolchain()
    pg = Postgres() if args.store == "postgres" else None
    env = pg.env() if pg else {}
    cp = tc.control_plane(env=env)
    if pg:
        subprocess.run([str(tc.bin("kuma-cp")), "migrate", "up"], env=cp.env(), check=True, capture_output=True,
                       timeout=300)
    cp.start()
    cp.ensure_mesh(MESH)  # kuma-cp creates the default mesh a moment after it is ready
    api, pid = cp.api_url, cp.proc.pid
    results: dict = {"machine": machine(), "sizes": sizes, "store": args.store, "runs": []}
    try:
        put_floor(api, MESH, "warm", 50, dp_body)  # first requests on a fresh CP, imports (untimed)
        wipe_dataplanes(api, MESH)
        path_dataplanes(api, "warm", 50, 50)
        wipe_dataplanes(api, MESH)
        for n in sizes:
            floor = None
            plan = [("floor", lambda p: put_floor(api, MESH, p, n, dp_body), n),
                    ("dataplanes", lambda p: path_dataplanes(api, p, n, n), n),
                    ("dataplanes_noop", None, 0),
                    ("floor_4_sessions", lambda p: path_floor_parallel(api, p, n), n),
                    ("floor_again", lambda p: put_floor(api, MESH, p, n, dp_body), n)]
            prefix = None
            for path, fn, _expect in plan:
                if path != "dataplanes_noop":
                    wipe_dataplanes(api, MESH)
                    prefix = f"{path.replace('_', '-')}-{n}"
                before = cp_usage(pid)
                seconds = fn(prefix) if fn else path_dataplanes(api, prefix, n, 0)
                after = cp_usage(pid)
                if count_dataplanes(api, MESH) != n:
                    raise RuntimeError(f"{path}: {count_dataplanes(api, MESH)} Dataplanes, expected {n}")
                floor = seconds if path == "floor" else floor
                row = {"n": n, "path": path, "seconds": round(seconds, 3), "per_entity_ms": round(1000 * seconds / n, 3),
                       "ratio_to_floor": round(seconds / floor, 3), "cp_cpu_s": round(after["cpu_s"] - before["cpu_s"], 2),
                       "cp_rss_mib": round(after["rss_mib"], 1), "cp_hwm_mib": round(after["hwm_mib"], 1)}
                results["runs"].append(row)
                print(f"  N={n:5d} {path:16s} {seconds:8.2f}s  x{row['ratio_to_floor']:.2f} of the floor  "
                      f"kuma-cp {row['cp_cpu_s']:6.2f} CPU-s, RSS {row['cp_rss_mib']:.0f} MiB", flush=True)
            wipe_dataplanes(api, MESH)
    finally:
        cp.stop()
        if pg:
            pg.stop()
        tc.cleanup()
    results["cp_version"] = Path(os.environ.get("KUMA_ARCHIVE", "kuma-2.14.3-")).name.split("-")[1]
    print(write_json("fleet_register_%s" % args.store, results))


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent)
    main()
