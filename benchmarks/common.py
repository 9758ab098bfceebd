# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pieces of the benchmarks: paths, the machine, timing, the loopback kuma-cp."""

from __future__ import annotations

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
VENV_BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "tests"))

from support.kuma_cp import Toolchain, free_port  # noqa: E402  (tests/ is on sys.path now)

__all__ = ["Toolchain", "free_port", "ROOT", "RESULTS", "VENV_BIN", "machine", "summary",
           "write_json", "ansible_env", "now", "count_dataplanes", "wipe_dataplanes", "put_floor"]


# SIGTERM (a stopped `make bench`) unwinds like an exception: every finally block stops
# the kuma-cp / kuma-dp processes and containers this run started.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def now() -> float:
    return time.perf_counter()


def machine() -> dict:
    """What the figures came from: they mean little without it."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    load = os.getloadavg()

    def git(*args: str) -> str:
        r = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
        return r.stdout.strip()

    return {
        "git_head": git("rev-parse", "--short", "HEAD"),
        "collection_dirty": bool(git("status", "--porcelain", "--", "plugins", "roles", "playbooks")),
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "mem_total_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in load],
    }


def summary(samples: list[float]) -> dict:
    """Median, p90, min, max of a list of seconds (or anything)."""
    s = sorted(samples)
    if not s:
        return {"n": 0}
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return {
        "n": len(s),
        "median": statistics.median(s),
        "p90": p90,
        "min": s[0],
        "max": s[-1],
        "mean": statistics.fmean(s),
    }


def write_json(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def ansible_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "build" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "PATH": f"{VENV_BIN}:{env.get('PATH', '/usr/bin:/bin')}",
    })
    env.update(extra or {})
    return env


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


# The registration benchmarks' shared steps against a kuma-cp API (requests is imported here only when used).
def count_dataplanes(api: str, mesh: str) -> int:
    import requests
    return requests.get(f"{api}/meshes/{mesh}/dataplanes?size=1", timeout=60).json()["total"]


def wipe_dataplanes(api: str, mesh: str) -> None:
    """Delete every Dataplane of the mesh (untimed) so each path starts from the same CP."""
    import requests
    s = requests.Session()
    for _round in range(200):
        items = s.get(f"{api}/meshes/{mesh}/dataplanes?size=1000", timeout=60).json()["items"]
        if not items:
            return
        for it in items:
            s.delete(f"{api}/meshes/{mesh}/dataplanes/{it['name']}", timeout=60)
    raise RuntimeError("could not empty the mesh")


def put_floor(api: str, mesh: str, prefix: str, n: int, body) -> float:
    """The floor: N sequential PUTs of body(name, i) on one HTTP session; seconds."""
    import requests
    s = requests.Session()
    s.headers["Content-Type"] = "application/json"
    t0 = now()
    for i in range(n):
        name = f"{prefix}-{i}"
        s.put(f"{api}/meshes/{mesh}/dataplanes/{name}", data=json.dumps(body(name, i)), timeout=60).raise_for_status()
    return now() - t0
