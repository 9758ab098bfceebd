# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 5, figure 1: registration cost per Dataplane against one real kuma-cp on loopback.

Paths, each registering N fresh Dataplanes (the mesh is emptied between paths, untimed):
  floor         a raw requests.Session loop of PUTs (the floor, "b")
  module_inproc the kuma.universal.dataplane module's main() called in this process
                (argument spec, module_utils, HTTP; no fork/exec, no AnsiballZ) ("a", own cost)
  ansible       ansible-playbook on localhost looping the module N times, the way Ansible
                runs it (a fork/exec of an AnsiballZ payload per item) ("a", as operators see it)
  ansible_ping  the same playbook looping ansible.builtin.ping: Ansible's per-item cost alone
  kumactl       one `kumactl apply -f` per Dataplane ("c")
  floor_again   the floor once more at the end: drift of the CP/machine during the run
Plus no-op passes (everything already present) for floor (GET+compare), module_inproc and ansible.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from common import (ROOT, VENV_BIN, Toolchain, ansible_env, count_dataplanes, machine, now, put_floor,
                    wipe_dataplanes, write_json)

MESH = "default"
SERVICE = "bench"


def dp_body(name: str, i: int) -> dict:
    """What the sidecar role registers for one replica (app on loopback, one inbound)."""
    return {
        "type": "Dataplane",
        "mesh": MESH,
        "name": name,
        "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "bench-host"},
        "networking": {
            "address": "127.0.0.1",
            "inbound": [{
                "port": 20000 + i,
                "servicePort": 30000 + i,
                "serviceAddress": "127.0.0.1",
                "tags": {"kuma.io/service": SERVICE, "kuma.io/protocol": "tcp"},
            }],
        },
    }


def module_args(api_url: str, name: str, i: int) -> dict:
    """The same Dataplane through the module's interface (CONTRACT.md)."""
    return {
        "api_url": api_url,
        "name": name,
        "mesh": MESH,
        "state": "present",
        "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "bench-host"},
        "address": "127.0.0.1",
        "inbound": [{
            "port": 20000 + i,
            "service_port": 30000 + i,
            "service_address": "127.0.0.1",
            "tags": {"kuma.io/service": SERVICE, "kuma.io/protocol": "tcp"},
        }],
    }


def count_dps(api: str) -> int:
    return count_dataplanes(api, MESH)


def wipe(api: str) -> None:
    wipe_dataplanes(api, MESH)


def path_floor(api: str, prefix: str, n: int) -> float:
    return put_floor(api, MESH, prefix, n, dp_body)


def path_floor_noop(api: str, prefix: str, n: int) -> float:
    """The floor of an idempotent re-run: one GET and a compare per entity, no write."""
    s = requests.Session()
    t0 = now()
    for i in range(n):
        name = f"{prefix}-{i}"
        r = s.get(f"{api}/meshes/{MESH}/dataplanes/{name}", timeout=30)
        r.raise_for_status()
        got = r.json()
        want = dp_body(name, i)
        if got["networking"]["inbound"][0]["port"] != want["networking"]["inbound"][0]["port"]:
            s.put(f"{api}/meshes/{MESH}/dataplanes/{name}", json=want, timeout=30).raise_for_status()
    return now() - t0


def _import_module_main():
    sys.path.insert(0, str(ROOT / "build" / "collections"))
    from ansible_collections.kuma.universal.plugins.modules import dataplane  # type: ignore
    return dataplane.main


def path_module_inproc(api: str, prefix: str, n: int, expect_changed: bool) -> float:
    from ansible.module_utils.testing import patch_module_args

    main = _import_module_main()
    changed = 0
    t0 = now()
    for i in range(n):
        out = io.StringIO()
        with patch_module_args(module_args(api, f"{prefix}-{i}", i)), contextlib.redirect_stdout(out):
            try:
                main()
            except SystemExit:
                pass
        res = json.loads(out.getvalue())
        if res.get("failed"):
            raise RuntimeError(f"module failed: {res.get('msg')}")
        changed += bool(res.get("changed"))
    elapsed = now() - t0
    if changed != (n if expect_changed else 0):
        raise RuntimeError(f"module reported changed={changed} of {n}, expected {'all' if expect_changed else 'none'}")
    return elapsed


PLAY = """\
- name: Benchmark loop
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Loop
      {task}
      loop: "{{{{ range({n}) | list }}}}"
"""


def _playbook(tmp: Path, task: str, n: int) -> float:
    pb = tmp / "play.yml"
    pb.write_text(PLAY.format(task=task, n=n))
    env = ansible_env({"ANSIBLE_PYTHON_INTERPRETER": str(VENV_BIN / "python")})
    t0 = now()
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", str(pb)],
                          capture_output=True, text=True, env=env, timeout=3600, check=False)
    elapsed = now() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"ansible-playbook failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def path_ansible(api: str, prefix: str, n: int, tmp: Path) -> float:
    args = module_args(api, f"{prefix}-X", 0)
    args["name"] = f"{prefix}-{{{{ item }}}}"
    args["inbound"][0]["port"] = "{{ 20000 + item }}"
    args["inbound"][0]["service_port"] = "{{ 30000 + item }}"
    task = "kuma.universal.dataplane: " + json.dumps(args)
    return _playbook(tmp, task, n)


def path_ansible_ping(n: int, tmp: Path) -> float:
    return _playbook(tmp, "ansible.builtin.ping: {}", n)


def path_kumactl(kumactl: Path, api: str, prefix: str, n: int, tmp: Path) -> float:
    home = tmp / "kumactl-home"
    home.mkdir(exist_ok=True)
    cfg = home / "config"
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run([str(kumactl), "--config-file", str(cfg), "config", "control-planes", "add",
                    "--name", "bench", "--address", api, "--overwrite"],
                   check=True, capture_output=True, env=env, timeout=60)
    files = []
    for i in range(n):  # writing the files is what an operator's script does too, but untimed here
        name = f"{prefix}-{i}"
        f = tmp / f"{name}.json"  # kumactl apply reads YAML, JSON is YAML
        f.write_text(json.dumps(dp_body(name, i)))
        files.append(f)
    t0 = now()
    for f in files:
        subprocess.run([str(kumactl), "--config-file", str(cfg), "apply", "-f", str(f)],
                       check=True, capture_output=True, env=env, timeout=60)
    return now() - t0


def dataplanes_items(api: str, prefix: str, n: int) -> list[dict]:
    """The N Dataplanes as items of the shipped kuma.universal.dataplanes (what the sidecar role sends)."""
    return [{k: v for k, v in module_args(api, f"{prefix}-{i}", i).items() if k not in ("api_url", "state")}
            for i in range(n)]


def path_dataplanes_inproc(api: str, prefix: str, n: int, expect_changed: bool = True) -> float:
    """kuma.universal.dataplanes: the N Dataplanes in one module run (one client), main() in-process."""
    from ansible.module_utils.testing import patch_module_args

    sys.path.insert(0, str(ROOT / "build" / "collections"))
    from ansible_collections.kuma.universal.plugins.modules import dataplanes  # type: ignore

    items = dataplanes_items(api, prefix, n)
    out = io.StringIO()
    t0 = now()
    with patch_module_args({"api_url": api, "dataplanes": items}), contextlib.redirect_stdout(out):
        try:
            dataplanes.main()
        except SystemExit:
            pass
    elapsed = now() - t0
    res = json.loads(out.getvalue())
    if res.get("failed") or len(res["created"]) + len(res["updated"]) != (n if expect_changed else 0):
        raise RuntimeError(f"dataplanes: {res.get('msg')}")
    return elapsed


def path_dataplanes_ansible(api: str, prefix: str, n: int, tmp: Path) -> float:
    """kuma.universal.dataplanes through ansible-playbook: one task (one fork/exec) for the N Dataplanes."""
    pb = tmp / "dataplanes.yml"
    pb.write_text(json.dumps([{
        "name": "Register N in one task", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "tasks": [{"name": "Register N in one task",
                   "kuma.universal.dataplanes": {"api_url": api, "dataplanes": dataplanes_items(api, prefix, n)}}],
    }]))
    env = ansible_env({"ANSIBLE_PYTHON_INTERPRETER": str(VENV_BIN / "python")})
    t0 = now()
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", str(pb)],
                          capture_output=True, text=True, env=env, timeout=3600, check=False)
    elapsed = now() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"dataplanes playbook failed:\n{proc.stdout[-3000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,500")
    ap.add_argument("--skip", default="", help="comma list of paths to skip")
    ap.add_argument("--ansible-sizes", default=None,
                    help="sizes at which the ansible-playbook paths run (default: every size)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    ansible_sizes = [int(x) for x in (args.ansible_sizes or args.sizes).split(",")]

    tc = Toolchain()
    cp = tc.control_plane().start()
    cp.ensure_mesh(MESH)  # kuma-cp creates the default mesh a moment after it is ready
    api = cp.api_url
    results: dict = {"machine": machine(), "sizes": sizes, "ansible_sizes": ansible_sizes, "runs": []}
    try:
        with tempfile.TemporaryDirectory(prefix="kb-reg-") as td:
            tmp = Path(td)
            # warm-up: first requests on a fresh CP, imports, kumactl page cache (untimed)
            path_floor(api, "warm", 20)
            wipe(api)
            subprocess.run([str(tc.bin("kumactl")), "version", "--no-config"], capture_output=True, check=False)

            for n in sizes:
                def record(path: str, seconds: float, kind: str = "create") -> None:
                    row = {"n": n, "path": path, "kind": kind, "seconds": seconds,
                           "per_entity_ms": 1000 * seconds / n}
                    results["runs"].append(row)
                    print(f"  N={n:4d} {path:14s} {kind:6s} {seconds:8.2f}s  {row['per_entity_ms']:8.2f} ms/entity",
                          flush=True)

                plan = [
                    ("floor", lambda p: path_floor(api, p, n)),
                    ("module_inproc", lambda p: path_module_inproc(api, p, n, True)),
                    ("ansible", lambda p: path_ansible(api, p, n, tmp)),
                    ("kumactl", lambda p: path_kumactl(tc.bin("kumactl"), api, p, n, tmp)),
                    ("dataplanes_inproc", lambda p: path_dataplanes_inproc(api, p, n)),
                    ("dataplanes_ansible", lambda p: path_dataplanes_ansible(api, p, n, tmp)),
                    ("floor_again", lambda p: path_floor(api, p, n)),
                ]
                for path, fn in plan:
                    if path in skip or (path == "ansible" and n not in ansible_sizes):
                        continue
                    wipe(api)
                    prefix = f"{path.replace('_', '-')}-{n}"
                    seconds = fn(prefix)
                    got = count_dps(api)
                    if got != n:
                        raise RuntimeError(f"{path}: {got} Dataplanes registered, expected {n}")
                    record(path, seconds)
                    # no-op re-run over the same entities (what a converged deploy-mesh re-run does)
                    if path == "floor":
                        record("floor", path_floor_noop(api, prefix, n), "noop")
                    elif path == "module_inproc":
                        record("module_inproc", path_module_inproc(api, prefix, n, False), "noop")
                    elif path == "ansible":
                        record("ansible", path_ansible(api, prefix, n, tmp), "noop")
                    elif path == "dataplanes_inproc":
                        record("dataplanes_inproc", path_dataplanes_inproc(api, prefix, n, False), "noop")
                    elif path == "dataplanes_ansible":
                        record("dataplanes_ansible", path_dataplanes_ansible(api, prefix, n, tmp), "noop")
                if "ansible_ping" not in skip and n in ansible_sizes:
                    record("ansible_ping", path_ansible_ping(n, tmp), "noop")
                    record("ansible_ping0", path_ansible_ping(0, tmp), "fixed")
                wipe(api)
    finally:
        cp.stop()
        tc.cleanup()
    results["cp_version"] = "2.14.3"
    print(write_json("register", results))


if __name__ == "__main__":
    os.chdir(Path(__file__).resolve().parent)
    main()
