# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 5, figures 3 and 4: kuma-dp start -> Dataplane online, and memory per replica.

Real kuma-cp (loopback harness), real kuma-dp and Envoy from the release archive. Each
Dataplane is registered through the API first (the sidecar role's model), gets a token
from POST /tokens/dataplane (loopback caller = admin), then `kuma-dp run` starts.

3. start->online: sequential samples (one kuma-dp at a time) and bursts (R kuma-dp started
   together, as the role starts a host's replicas), median/p90. "online" is the CP's view
   (a subscription with connectTime and no disconnectTime in _overview); "ready" is
   kuma-dp's own /ready on its readiness port (Envoy has its config).
4. memory per replica: RSS and PSS of kuma-dp and of its Envoy, per config:
   role defaults (the sidecar role's concurrency), kuma-dp defaults (no concurrency: one
   Envoy worker per CPU), and explicit concurrency 2/4/8 (what "one per CPU" costs on a
   bigger VM), idle and after a bounded load through each replica's inbound.
"""

from __future__ import annotations

import argparse
import http.server
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from common import ROOT, Toolchain, free_port, machine, now, summary, write_json

MESH = "default"


class Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b"ok\n"

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):  # quiet
        pass


def start_app(port: int) -> http.server.ThreadingHTTPServer:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hello)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def role_concurrency() -> tuple[int | None, str]:
    """The sidecar role's default Envoy concurrency, read from roles/sidecar/defaults."""
    path = ROOT / "roles" / "sidecar" / "defaults" / "main.yml"
    if not path.exists():
        return 1, "roles/sidecar/defaults/main.yml absent: assumed 1 (the expected knob)"
    text = path.read_text()
    m = re.search(r"^(\w*concurrency\w*):\s*[\"']?(\d+)", text, re.M | re.I)
    if m:
        return int(m.group(2)), f"{path.relative_to(ROOT)}: {m.group(1)}={m.group(2)}"
    return None, f"{path.relative_to(ROOT)}: no concurrency default found (kuma-dp default applies)"


class DP:
    """One replica: a registered Dataplane, its token, its app and its kuma-dp process."""

    def __init__(self, bench: "Bench", name: str, concurrency: int | None):
        self.bench = bench
        self.name = name
        self.concurrency = concurrency
        self.inbound = free_port()
        self.app_port = free_port()
        self.readiness = free_port()
        self.work = bench.tmp / name
        self.work.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.app = None
        self.t_start = 0.0

    def register(self) -> None:
        api = self.bench.api
        body = {
            "type": "Dataplane", "mesh": MESH, "name": self.name,
            "labels": {"kuma.universal/managed-by": "ansible", "kuma.universal/host": "bench"},
            "networking": {"address": "127.0.0.1", "inbound": [{
                "port": self.inbound, "servicePort": self.app_port, "serviceAddress": "127.0.0.1",
                "tags": {"kuma.io/service": "hello", "kuma.io/protocol": "http"}}]},
        }
        requests.put(f"{api}/meshes/{MESH}/dataplanes/{self.name}", json=body, timeout=30).raise_for_status()
        r = requests.post(f"{api}/tokens/dataplane", timeout=30, json={
            "name": self.name, "mesh": MESH, "type": "dataplane",
            "tags": {"kuma.io/service": ["hello"]}})
        r.raise_for_status()
        tok = self.work / "token"
        tok.write_text(r.text)
        tok.chmod(0o600)
        self.app = start_app(self.app_port)

    def start(self) -> None:
        b = self.bench
        cmd = [str(b.tc.bin("kuma-dp")), "run",
               "--cp-address", b.cp.dp_server_url, "--ca-cert-file", str(b.cp.ca_cert),
               "--name", self.name, "--mesh", MESH,
               "--dataplane-token-file", str(self.work / "token"),
               "--binary-path", str(b.tc.bin("envoy")), "--dns-enabled=false",
               "--work-dir", str(self.work / "w"), "--drain-time", "1s"]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.work), "KUMA_READINESS_PORT": str(self.readiness)}
        if self.concurrency:
            env["KUMA_DATAPLANE_RUNTIME_CONCURRENCY"] = str(self.concurrency)
        log = open(self.work / "kuma-dp.log", "ab")  # noqa: SIM115 - handed to the child
        self.t_start = now()
        self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def online(self) -> bool:
        r = requests.get(f"{self.bench.api}/meshes/{MESH}/dataplanes/{self.name}/_overview", timeout=10)
        if r.status_code != 200:
            return False
        subs = (r.json().get("dataplaneInsight") or {}).get("subscriptions") or []
        return any(s.get("connectTime") and not s.get("disconnectTime") for s in subs)

    def ready(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.readiness}/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait(self, deadline_s: float = 120) -> dict:
        """Seconds from start to online (CP view) and to ready (kuma-dp /ready)."""
        t_online = t_ready = None
        end = self.t_start + deadline_s
        while now() < end and (t_online is None or t_ready is None):
            if self.proc.poll() is not None:
                raise RuntimeError(f"kuma-dp {self.name} exited: {(self.work / 'kuma-dp.log').read_text()[-2000:]}")
            if t_online is None and self.online():
                t_online = now() - self.t_start
            if t_ready is None and self.ready():
                t_ready = now() - self.t_start
            time.sleep(0.02)
        if t_online is None or t_ready is None:
            raise TimeoutError(f"{self.name} not online/ready within {deadline_s}s")
        return {"online": t_online, "ready": t_ready}

    def envoy_pid(self) -> int | None:
        for p in Path("/proc").iterdir():
            if not p.name.isdigit():
                continue
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid and "envoy" in stat.split("(", 1)[1].split(")", 1)[0]:
                return int(p.name)
        return None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.app:
            self.app.shutdown()
            self.app.server_close()
        requests.delete(f"{self.bench.api}/meshes/{MESH}/dataplanes/{self.name}", timeout=30)


def mem_kib(pid: int) -> dict:
    out = {"rss": 0, "pss": 0, "threads": 0, "rss_anon": 0, "rss_file": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                out["rss_anon"] = int(line.split()[1])
            elif line.startswith("RssFile:"):
                out["rss_file"] = int(line.split()[1])
            elif line.startswith("Threads:"):
                out["threads"] = int(line.split()[1])
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss"] = int(line.split()[1])
    except OSError:
        pass
    return out


class Bench:
    def __init__(self) -> None:
        self.tc = Toolchain()
        self.cp = self.tc.control_plane().start()
        self.api = self.cp.api_url
        self.tmp = Path(tempfile.mkdtemp(prefix="kb-", dir="/tmp"))  # short: Envoy's admin socket path
        self.seq = 0

    def dp(self, concurrency: int | None) -> DP:
        self.seq += 1
        return DP(self, f"dp-{self.seq}", concurrency)

    def close(self) -> None:
        self.cp.stop()
        self.tc.cleanup()
        subprocess.run(["rm", "-rf", str(self.tmp)], check=False)


def startup(b: Bench, samples: int, burst: int, bursts: int, concurrency: int | None) -> dict:
    seq = []
    for _sample in range(samples):
        d = b.dp(concurrency)
        d.register()
        d.start()
        try:
            seq.append(d.wait())
        finally:
            d.stop()
        print(f"  start->online {seq[-1]['online']:.3f}s ready {seq[-1]['ready']:.3f}s", flush=True)
    burst_rows = []
    for _burst in range(bursts):
        dps = [b.dp(concurrency) for _i in range(burst)]
        for d in dps:
            d.register()
        t0 = now()
        for d in dps:
            d.start()
        try:
            with ThreadPoolExecutor(len(dps)) as ex:
                waits = list(ex.map(lambda d: d.wait(), dps))
            burst_rows.append({"all_online": max(w["online"] + d.t_start - t0 for w, d in zip(waits, dps)),
                               "each": waits})
        finally:
            for d in dps:
                d.stop()
        print(f"  burst of {burst}: all online after {burst_rows[-1]['all_online']:.3f}s", flush=True)
    return {
        "sequential": {"online": summary([s["online"] for s in seq]), "ready": summary([s["ready"] for s in seq]),
                       "samples": seq},
        "burst": {"replicas": burst, "all_online": summary([r["all_online"] for r in burst_rows]),
                  "each_online": summary([w["online"] for r in burst_rows for w in r["each"]]),
                  "samples": burst_rows},
    }


def load(d: DP, requests_per_replica: int, max_seconds: float, threads: int = 4) -> dict:
    """A bounded burst of HTTP requests through the replica's inbound (Envoy) to its app."""
    url = f"http://127.0.0.1:{d.inbound}/"
    deadline = now() + max_seconds
    per_thread = requests_per_replica // threads

    def worker(_index):
        s = requests.Session()
        ok = 0
        for _request in range(per_thread):
            if now() > deadline:
                break
            try:
                if s.get(url, timeout=5).status_code == 200:
                    ok += 1
            except requests.RequestException:
                pass
        return ok

    t0 = now()
    with ThreadPoolExecutor(threads) as ex:
        ok = sum(ex.map(worker, range(threads)))
    return {"ok": ok, "seconds": now() - t0}


def wait_inbound(d: DP, max_seconds: float = 30) -> bool:
    url = f"http://127.0.0.1:{d.inbound}/"
    end = now() + max_seconds
    while now() < end:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def memory(b: Bench, label: str, concurrency: int | None, replicas: int, settle: float,
           load_requests: int, load_seconds: float) -> dict:
    dps = [b.dp(concurrency) for _i in range(replicas)]
    for d in dps:
        d.register()
        d.start()
    try:
        for d in dps:
            d.wait()
        for d in dps:
            if not wait_inbound(d):
                raise RuntimeError(f"{d.name}: no answer through the inbound")
        time.sleep(settle)

        def snap() -> list[dict]:
            rows = []
            for d in dps:
                ep = d.envoy_pid()
                rows.append({"kuma_dp": mem_kib(d.proc.pid), "envoy": mem_kib(ep) if ep else None})
            return rows

        idle = snap()
        loads = [load(d, load_requests, load_seconds) for d in dps]
        time.sleep(2)
        loaded = snap()
    finally:
        for d in dps:
            d.stop()

    def agg(rows: list[dict]) -> dict:
        out = {}
        for proc in ("kuma_dp", "envoy"):
            for k in ("rss", "pss", "threads", "rss_anon", "rss_file"):
                vals = [r[proc][k] for r in rows if r[proc]]
                out[f"{proc}_{k}"] = summary(vals)["median"] if vals else None
        out["total_rss_kib"] = out["kuma_dp_rss"] + out["envoy_rss"]
        out["total_pss_kib"] = out["kuma_dp_pss"] + out["envoy_pss"]
        return out

    res = {"label": label, "concurrency": concurrency, "replicas": replicas,
           "idle": agg(idle), "after_load": agg(loaded), "load": loads,
           "raw": {"idle": idle, "after_load": loaded}}
    print(f"  {label:28s} idle rss {res['idle']['total_rss_kib'] / 1024:6.1f} MiB "
          f"(dp {res['idle']['kuma_dp_rss'] / 1024:.1f}, envoy {res['idle']['envoy_rss'] / 1024:.1f}) "
          f"loaded {res['after_load']['total_rss_kib'] / 1024:6.1f} MiB, "
          f"{sum(x['ok'] for x in loads)} req ok", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--burst", type=int, default=6)
    ap.add_argument("--bursts", type=int, default=3)
    ap.add_argument("--replicas", type=int, default=3, help="replicas per memory config")
    ap.add_argument("--extra-concurrency", default="2,4,8,16")
    ap.add_argument("--load-requests", type=int, default=2000)
    ap.add_argument("--load-seconds", type=float, default=30)
    ap.add_argument("--settle", type=float, default=5)
    ap.add_argument("--only", default="startup,memory")
    args = ap.parse_args()
    only = set(args.only.split(","))

    conc, conc_src = role_concurrency()
    out: dict = {"machine": machine(), "role_concurrency": conc, "role_concurrency_source": conc_src,
                 "args": vars(args)}
    b = Bench()
    try:
        if "startup" in only:
            print("start -> online (role defaults)", flush=True)
            out["startup"] = startup(b, args.samples, args.burst, args.bursts, conc)
        if "memory" in only:
            print("memory per replica", flush=True)
            configs = [(f"role defaults (concurrency={conc})", conc),
                       (f"kuma-dp defaults (unset: {os.cpu_count()} CPUs)", None)]
            configs += [(f"concurrency={c} (explicit)", c)
                        for c in map(int, filter(None, args.extra_concurrency.split(",")))]
            out["memory"] = [memory(b, lbl, c, args.replicas, args.settle, args.load_requests, args.load_seconds)
                             for lbl, c in configs]
    finally:
        b.close()
    print(write_json("dataplane", out))


if __name__ == "__main__":
    main()
