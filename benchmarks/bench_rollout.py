# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 5, figure 2: playbooks/deploy-mesh.yml on H systemd containers x R replicas each.

Per grid cell, on fresh containers (one CP container + H data-plane containers on a
private docker network, the project's base image, the flags of CONTRACT.md):
  baseline_before  a play that only pings the same hosts (same inventory, same connection)
  first            deploy-mesh.yml from scratch (install from $KUMA_ARCHIVE, CP, sidecars)
  rerun            deploy-mesh.yml again: the no-op re-run (changed count recorded)
  baseline_after   the ping play again
Ratios: rerun / mean(baseline). Every figure is wall time of ansible-playbook.
Containers are removed at the end of each cell (and on any failure).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from common import ROOT, VENV_BIN, ansible_env, machine, now, write_json

# Container names: "<prefix>-cp", "<prefix>-h<i>". BENCH_PREFIX keeps two runs on one Docker
# engine (another helper's, the lead's) from removing each other's containers.
PREFIX = os.environ.get("BENCH_PREFIX", "kbench")
NETWORK = f"{PREFIX}-net"
# The collection tree the playbook and its roles come from: the work tree, or (--before-tree)
# an exported older commit, for before/after figures in one invocation.
TREE = ROOT
RUN_FLAGS = ["--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
             "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock",
             "--tmpfs", "/tmp"]


def sh(cmd: list[str], timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check)


def image() -> str:
    return sh(["bash", str(ROOT / "scripts" / "base-image.sh")], timeout=900).stdout.strip().splitlines()[-1]


def archive() -> str:
    if os.environ.get("KUMA_ARCHIVE"):
        return os.environ["KUMA_ARCHIVE"]
    return sh(["bash", str(ROOT / "scripts" / "kuma-dist.sh")], timeout=7200).stdout.strip().splitlines()[-1]


def remove_all() -> None:
    """Remove the benchmark's own containers (by the exact names it gave them)."""
    names = sh(["docker", "ps", "-a", "--format", "{{.Names}}"]).stdout.split()
    mine = [n for n in names if re.fullmatch(rf"{PREFIX}-(cp|h\d+)", n)]
    if mine:
        sh(["docker", "rm", "-f", *mine], timeout=120, check=False)


def ensure_network() -> None:
    if sh(["docker", "network", "inspect", NETWORK], check=False).returncode != 0:
        sh(["docker", "network", "create", NETWORK])


def start_container(img: str, name: str) -> None:
    sh(["docker", "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK,
        *RUN_FLAGS, img, "/lib/systemd/systemd"], timeout=120)


def wait_systemd(name: str, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = sh(["docker", "exec", name, "systemctl", "is-system-running"], check=False, timeout=30)
        if r.stdout.strip() in ("running", "degraded"):
            return
        time.sleep(1)
    raise TimeoutError(f"{name}: systemd not up within {timeout}s")


PY_LIBS = ("requests", "urllib3", "idna", "charset_normalizer", "certifi")


def provide_requests(name: str) -> None:
    """Give the CP container the Python 'requests' the modules need, from the controller's venv.

    The base image lacks python3-requests, and the control_plane role would otherwise apt-get
    it from Debian's mirror on the first run: the benchmarks stay on loopback and their own
    containers, and a first run must not time a package download. Same Python (3.11) both
    sides; the role then finds requests and skips its apt task.
    """
    import importlib.util

    dest = "/usr/local/lib/python3.11/dist-packages/"
    sh(["docker", "exec", name, "mkdir", "-p", dest])
    for lib in PY_LIBS:
        spec = importlib.util.find_spec(lib)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"{lib} is not in the controller's venv")
        sh(["docker", "cp", list(spec.submodule_search_locations)[0], f"{name}:{dest}"], timeout=120)
    sh(["docker", "exec", name, "python3", "-c", "import requests"])


def inventory(tmp: Path, hosts: list[str], replicas: int, kuma_archive: str, extra: dict) -> Path:
    """The seed's shape: one CP host, data-plane hosts each with one service x replicas."""
    sidecar = {"service": "bench", "replicas": replicas,
               "inbound": [{"port": 18000, "service_port": 28000}]}
    inv = {
        "all": {
            "vars": {
                # community.docker.docker that also records the bytes of each file put on a host
                # (benchmarks/connection_plugins/counted_docker.py): bytes sent per host.
                "ansible_connection": "counted_docker",
                "ansible_python_interpreter": "/usr/bin/python3",
                "install_source": "archive",
                "install_archive": kuma_archive,
                **extra,
            },
            "children": {
                "kuma_control_plane": {"hosts": {f"{PREFIX}-cp": {}},
                                       "vars": {"control_plane_store_type": "memory"}},
                "kuma_dataplanes": {"hosts": {h: {"kuma_sidecars": [sidecar]} for h in hosts}},
            },
        }
    }
    path = tmp / "inventory.json"  # JSON is YAML: the yaml inventory plugin reads it
    path.write_text(json.dumps(inv, indent=1))
    path.rename(tmp / "inventory.yml")
    return tmp / "inventory.yml"


PING = """\
- name: Baseline, ping every host of the same inventory
  hosts: all
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""

PROFILE = re.compile(r"^(.+?) -{2,} (\d+\.\d+)s\s*$", re.M)
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


EXTRA_ENV: dict = {}
SAMPLES = 1  # --samples
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def playbook(inv: Path, play: Path, log: Path, timeout: float) -> dict:
    # profile_tasks (ansible.posix, in the ansible package) on every run, baseline included.
    puts = log.with_suffix(".puts")
    puts.unlink(missing_ok=True)
    env = ansible_env({"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
                       "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "300",
                       "ANSIBLE_CONNECTION_PLUGINS": str(ROOT / "benchmarks" / "connection_plugins"),
                       "BENCH_PUT_LOG": str(puts),
                       "ANSIBLE_CONFIG": str(TREE / "ansible.cfg"),
                       "ANSIBLE_COLLECTIONS_PATH": str(TREE / "build" / "collections"), **EXTRA_ENV})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = now()
    with subprocess.Popen([str(VENV_BIN / "ansible-playbook"), "-i", str(inv), str(play)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as child:
        sampler = TreeMemory(child.pid)
        sampler.start()
        try:
            stdout, stderr = child.communicate(timeout=timeout)
        finally:
            sampler.stop()
        proc = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    seconds = now() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)),
                          "unreachable": int(m.group(4)), "failed": int(m.group(5)), "skipped": int(m.group(6))}
             for m in RECAP.finditer(proc.stdout)}
    top = [{"task": m.group(1).strip(), "seconds": float(m.group(2))} for m in PROFILE.finditer(proc.stdout)]
    sent, archives = sent_bytes(puts)
    return {"seconds": seconds, "rc": proc.returncode, "recap": recap, "slowest_tasks": top,
            # The controller: CPU seconds of ansible-playbook and every process it forked (user + system),
            # and the peak of their summed resident memory (sampled every 0.2 s).
            "controller_cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
            "controller_peak_rss_mib": round(sampler.peak_kib / 1024, 1),
            "forks": int(env.get("ANSIBLE_FORKS", "10")),
            # Every file put on each host (module payloads included), and the release's share of
            # it (.gz: the whole release archive, or the compressed binaries).
            "bytes_sent_per_host": sent, "archive_bytes_per_host": archives,
            # The install role's tasks, summed wall time (profile_tasks: one figure per task, all hosts).
            "install_tasks_s": round(sum(t["seconds"] for t in top if t["task"].startswith("kuma.universal.install :")), 2),
            "changed": sum(v["changed"] for v in recap.values()),
            "tasks_ok": sum(v["ok"] for v in recap.values()),
            # Tasks executed on each host (ok counts changed ones too; skipped ones are not run).
            "tasks_per_host": {h: v["ok"] + v["failed"] for h, v in recap.items()}}


class TreeMemory(threading.Thread):
    """Peak summed RSS (KiB) of a process and its descendants, sampled from /proc."""

    def __init__(self, root: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.every, self.peak_kib = root, every, 0
        self.done = threading.Event()

    def sample(self) -> int:
        parent, rss = {}, {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry)], rss[int(entry)] = int(fields[1]), int(fields[21]) * PAGE_KIB
        tree, grew = {self.root}, True
        while grew:
            more = {pid for pid, ppid in parent.items() if ppid in tree} - tree
            tree |= more
            grew = bool(more)
        return sum(rss.get(pid, 0) for pid in tree)

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.peak_kib = max(self.peak_kib, self.sample())

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=5)


def sent_bytes(puts: Path) -> tuple[dict, dict]:
    """{host: bytes} of every file put on each host, and of the .gz files among them (the release)."""
    sent: dict = {}
    archives: dict = {}
    if puts.exists():
        for line in puts.read_text().splitlines():
            host, size, path = line.split(" ", 2)
            sent[host] = sent.get(host, 0) + int(size)
            if path.endswith(".gz"):
                archives[host] = archives.get(host, 0) + int(size)
    return sent, archives


def online_count(cp: str) -> int:
    """Dataplanes online in the CP, asked on the CP container (its API is on loopback)."""
    code = ("import json,urllib.request;"
            "d=json.load(urllib.request.urlopen('http://127.0.0.1:5681/meshes/default/dataplanes/_overview?size=1000'));"
            "print(sum(1 for i in d['items'] if any(s.get('connectTime') and not s.get('disconnectTime') "
            "for s in (i.get('dataplaneInsight') or {}).get('subscriptions') or [])))")
    r = sh(["docker", "exec", cp, "python3", "-c", code], check=False, timeout=60)
    try:
        return int(r.stdout.strip())
    except ValueError:
        return -1


POLL = r"""
import json, sys, time, urllib.request
name = sys.argv[1]
want_online = sys.argv[2] == "online"
url = "http://127.0.0.1:5681/meshes/default/dataplanes/%s/_overview" % name
print("polling", flush=True)
end = time.time() + 120
while time.time() < end:
    try:
        d = json.load(urllib.request.urlopen(url, timeout=5))
        subs = (d.get("dataplaneInsight") or {}).get("subscriptions") or []
        online = any(s.get("connectTime") and not s.get("disconnectTime") for s in subs)
    except Exception:
        online = False
    if online == want_online:
        print("%.6f" % time.time(), flush=True)
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
"""


def unit_start_samples(cp: str, host: str, name: str, samples: int) -> list[float]:
    """systemctl start kuma-dp@<name> on the host -> the CP lists it online (host clock = container clock)."""
    out = []
    unit = f"kuma-dp@{name}.service"
    for _sample in range(samples):
        sh(["docker", "exec", host, "systemctl", "stop", unit], timeout=120)
        sh(["docker", "exec", cp, "python3", "-c", POLL, name, "offline"], timeout=150)
        poller = subprocess.Popen(["docker", "exec", cp, "python3", "-u", "-c", POLL, name, "online"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert poller.stdout.readline().strip() == "polling"
            r = sh(["docker", "exec", host, "sh", "-c", f"date +%s.%N; systemctl start {unit}"], timeout=120)
            t_start = float(r.stdout.split()[0])
            t_online = float(poller.stdout.readline().strip())
            out.append(t_online - t_start)
        finally:
            poller.wait(timeout=150)
    return out


UNIT_SAMPLES = 0
RERUN_FORKS: list[int] = []


# Each systemd container takes a few inotify instances of the engine's user; at the kernel's default
# (128) the 25th to 33rd systemd of a 32-host cell exits at boot (status 255, no log).
INOTIFY_INSTANCES = Path("/proc/sys/fs/inotify/max_user_instances")


def ensure_inotify(containers: int) -> None:
    want = 8 * containers + 128
    have = int(INOTIFY_INSTANCES.read_text())
    if have >= want:
        return
    try:
        INOTIFY_INSTANCES.write_text(str(want))
        print(f"  fs.inotify.max_user_instances {have} -> {want} for {containers} systemd containers", flush=True)
    except OSError as exc:
        raise RuntimeError(f"{containers} systemd containers need fs.inotify.max_user_instances >= {want} "
                           f"(it is {have}): sysctl -w fs.inotify.max_user_instances={want}") from exc


def cell(img: str, kuma_archive: str, n_hosts: int, replicas: int, logs: Path, extra: dict,
         timeout: float) -> dict:
    remove_all()
    ensure_inotify(n_hosts + 1)
    ensure_network()
    hosts = [f"{PREFIX}-h{i}" for i in range(1, n_hosts + 1)]
    names = [f"{PREFIX}-cp", *hosts]
    t0 = now()
    with ThreadPoolExecutor(4) as ex:
        list(ex.map(lambda n: start_container(img, n), names))
        list(ex.map(wait_systemd, names))
    provide_requests(f"{PREFIX}-cp")
    boot = now() - t0
    tag = f"h{n_hosts}-r{replicas}"
    try:
        with tempfile.TemporaryDirectory(prefix="kb-roll-") as td:
            tmp = Path(td)
            inv = inventory(tmp, hosts, replicas, kuma_archive, extra)
            ping = tmp / "ping.yml"
            ping.write_text(PING)
            deploy = TREE / "playbooks" / "deploy-mesh.yml"
            row = {"hosts": n_hosts, "replicas": replicas, "sidecars": n_hosts * replicas,
                   "containers_boot_s": boot}
            row["baseline_before"] = playbook(inv, ping, logs / f"{tag}-ping1.log", timeout)
            row["first"] = playbook(inv, deploy, logs / f"{tag}-first.log", timeout)
            if row["first"]["rc"] != 0:
                row["error"] = "first run failed: see " + str(logs / f"{tag}-first.log")
                return row
            row["online_after_first"] = online_count(f"{PREFIX}-cp")
            row["rerun"] = playbook(inv, deploy, logs / f"{tag}-rerun.log", timeout)
            row["baseline_after"] = playbook(inv, ping, logs / f"{tag}-ping2.log", timeout)
            # --samples N: N re-runs, each followed by a ping play (interleaved: load drifts both alike); the cell's
            # re-run is the median one, its baseline the median of every ping play.
            reruns, pings = [row["rerun"]], [row["baseline_before"], row["baseline_after"]]
            for i in range(2, SAMPLES + 1):
                reruns.append(playbook(inv, deploy, logs / f"{tag}-rerun{i}.log", timeout))
                pings.append(playbook(inv, ping, logs / f"{tag}-ping{i + 1}.log", timeout))
            if SAMPLES > 1:
                row["rerun_samples_s"] = [r["seconds"] for r in reruns]
                row["ping_samples_s"] = [p["seconds"] for p in pings]
                row["rerun"] = sorted(reruns, key=lambda r: r["seconds"])[len(reruns) // 2]
            # The same re-run and ping at other fork counts (issue 23: the default 10 and 32).
            for forks in RERUN_FORKS:
                EXTRA_ENV["ANSIBLE_FORKS"] = str(forks)
                try:
                    again = playbook(inv, deploy, logs / f"{tag}-rerun-f{forks}.log", timeout)
                    ping_f = playbook(inv, ping, logs / f"{tag}-ping-f{forks}.log", timeout)
                finally:
                    del EXTRA_ENV["ANSIBLE_FORKS"]
                row.setdefault("rerun_at_forks", {})[str(forks)] = {
                    "rerun": again, "ping": ping_f, "rerun_over_ping": again["seconds"] / ping_f["seconds"]}
            if UNIT_SAMPLES and n_hosts == 1 and replicas == 1:
                try:
                    row["unit_start_to_online_s"] = unit_start_samples(
                        f"{PREFIX}-cp", hosts[0], f"bench-{hosts[0]}-0", UNIT_SAMPLES)
                except (subprocess.SubprocessError, ValueError, AssertionError) as exc:
                    row["unit_start_error"] = repr(exc)[:1000]
            base = (statistics.median(row["ping_samples_s"]) if SAMPLES > 1
                    else (row["baseline_before"]["seconds"] + row["baseline_after"]["seconds"]) / 2)
            row["baseline_s"] = base
            row["rerun_over_baseline"] = row["rerun"]["seconds"] / base
            row["first_over_baseline"] = row["first"]["seconds"] / base
            return row
    finally:
        remove_all()


def run_cell(img: str, kuma_archive: str, h: int, r: int, logs: Path, extra: dict, timeout: float) -> dict:
    logs.mkdir(parents=True, exist_ok=True)
    try:
        return cell(img, kuma_archive, h, r, logs, extra, timeout)
    except Exception as exc:  # noqa: BLE001 - report the cell, go on with the grid
        return {"hosts": h, "replicas": r, "sidecars": h * r, "error": repr(exc)[:2000]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", default="1,2,4,8")
    ap.add_argument("--replicas", default="1,3,6")
    ap.add_argument("--cells", default="", help="explicit cells 'H:R,H:R' (overrides the grid)")
    ap.add_argument("--timeout", type=float, default=1800, help="per ansible-playbook run")
    ap.add_argument("--extra-vars", default="{}", help="JSON vars added to the inventory (candidate knobs)")
    ap.add_argument("--env", default="{}", help="JSON env added to ansible-playbook (candidate settings)")
    ap.add_argument("--unit-samples", type=int, default=0,
                    help="in the 1x1 cell: samples of systemctl start kuma-dp@<first replica of the first host> -> online")
    ap.add_argument("--ab-env", default="",
                    help="JSON env of a candidate setting: every cell runs twice on fresh containers, "
                         "as is and with this env (before/after in the same invocation)")
    ap.add_argument("--before-tree", default="",
                    help="a collection tree of an older commit (git archive <commit> | tar -x -C DIR, with "
                         "DIR/build/collections/ansible_collections/kuma/universal -> DIR): every cell runs "
                         "with it first (row['before']), then with the work tree, on fresh containers")
    ap.add_argument("--rerun-forks", default="",
                    help="comma list of fork counts: each cell also re-runs (and pings) with ANSIBLE_FORKS set to each")
    ap.add_argument("--label", default="rollout")
    ap.add_argument("--samples", type=int, default=1,
                    help="no-op re-runs per cell, each followed by a ping play: the median re-run against the median ping")
    args = ap.parse_args()
    if args.cells:
        cells = [tuple(map(int, c.split(":"))) for c in args.cells.split(",")]
    else:
        cells = [(h, r) for h in map(int, args.hosts.split(",")) for r in map(int, args.replicas.split(","))]
    extra = json.loads(args.extra_vars)
    EXTRA_ENV.update(json.loads(args.env))
    global UNIT_SAMPLES, TREE, SAMPLES
    UNIT_SAMPLES = args.unit_samples
    SAMPLES = max(1, args.samples)
    RERUN_FORKS.extend(int(f) for f in args.rerun_forks.split(",") if f)
    before_tree = Path(args.before_tree).resolve() if args.before_tree else None

    img, kuma_archive = image(), archive()
    logs = ROOT / "benchmarks" / "results" / "raw" / args.label
    logs.mkdir(parents=True, exist_ok=True)
    out = {"machine": machine(), "image": img, "before_tree": str(before_tree or ""),
           # The commit the before tree was exported from (benchmarks/run.sh sets it).
           "before_commit": os.environ.get("BENCH_BEFORE_COMMIT", ""), "cells": [], "extra_vars": extra, "extra_env": EXTRA_ENV,
           "grid": [f"{h}x{r}" for h, r in cells]}
    for h, r in cells:
        print(f"cell {h} hosts x {r} replicas", flush=True)
        before = None
        if before_tree:
            TREE = before_tree
            before = run_cell(img, kuma_archive, h, r, logs / "before", extra, args.timeout)
            TREE = ROOT
            before["tree"] = str(before_tree)
            if "rerun" in before:
                print(f"  before: first {before['first']['seconds']:.1f}s (install tasks {before['first']['install_tasks_s']}s, "
                      f"archive bytes per host {before['first']['archive_bytes_per_host']})  rerun {before['rerun']['seconds']:.1f}s "
                      f"ping {before['baseline_s']:.1f}s  rerun/ping {before['rerun_over_baseline']:.2f}  "
                      f"tasks per host {before['rerun']['tasks_per_host']}", flush=True)
        row = run_cell(img, kuma_archive, h, r, logs, extra, args.timeout)
        if before is not None:
            row["before"] = before
        if args.ab_env:
            saved = dict(EXTRA_ENV)
            EXTRA_ENV.update(json.loads(args.ab_env))
            row["candidate_env"] = json.loads(args.ab_env)
            row["candidate"] = run_cell(img, kuma_archive, h, r, logs / "candidate", extra, args.timeout)
            EXTRA_ENV.clear()
            EXTRA_ENV.update(saved)
            if "rerun" in row["candidate"]:
                c = row["candidate"]
                print(f"  candidate: first {c['first']['seconds']:.1f}s  rerun {c['rerun']['seconds']:.1f}s "
                      f"ping {c['baseline_s']:.1f}s", flush=True)
        out["cells"].append(row)
        if "rerun" in row:
            print(f"  first {row['first']['seconds']:.1f}s (install tasks {row['first']['install_tasks_s']}s, "
                  f"archive bytes per host {row['first']['archive_bytes_per_host']})  rerun {row['rerun']['seconds']:.1f}s "
                  f"(changed={row['rerun']['changed']})  ping {row['baseline_s']:.1f}s  "
                  f"rerun/ping {row['rerun_over_baseline']:.2f}  online {row['online_after_first']}  "
                  f"tasks per host {row['rerun']['tasks_per_host']}", flush=True)
        else:
            print(f"  error: {row.get('error')}", flush=True)
        write_json(args.label, out)  # after every cell: a partial grid is still a result
    print(ROOT / "benchmarks" / "results" / f"{args.label}.json")


if __name__ == "__main__":
    main()
