# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn benchmarks/results/*.json into results.md and bench.png (measured, never asserted).

One current result per benchmark: results/{register,imports,dataplane,rollout}.json (what
`make bench` writes); older results live in results/history/<date>-<what>/ and are only listed.

    python report.py           write results/results.md and results/bench.png
    python report.py --check   exit 1 when results/results.md is not what the JSON gives (no plot;
                               make test-docs runs it, so the README's source stays generated)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
HISTORY = RESULTS / "history"


def load(name: str) -> dict | None:
    p = RESULTS / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None


def ms(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.0f}"


def mib(kib: float | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


def register_section(reg: dict, out: list[str]) -> None:
    out.append("## 1. Registration cost per Dataplane (one real kuma-cp on loopback)\n")
    out.append(f"Load average when this benchmark started: {reg['machine']['loadavg_at_start']}.\n")
    out.append("Each path registers N fresh Dataplanes (the mesh is emptied between paths, untimed); "
               "\"no-op\" re-runs the same N once they exist. Baseline (b) = raw `requests.Session` "
               "PUT loop in the same invocation.\n")
    out.append("| N | path | kind | total s | ms / entity | x floor (b) |")
    out.append("|---:|---|---|---:|---:|---:|")
    names = {
        "floor": "(b) floor: requests.Session PUT loop",
        "module_inproc": "(a) module main() in-process (module's own cost)",
        "ansible": "(a) ansible-playbook loop of kuma.universal.dataplane",
        "ansible_ping": "ansible-playbook loop of ansible.builtin.ping (Ansible per-item cost)",
        "ansible_ping0": "ansible-playbook, 0 items (fixed start-up, total)",
        "kumactl": "(c) one `kumactl apply` per Dataplane",
        "floor_again": "(b') floor again, end of the run (drift)",
        "dataplanes_inproc": "kuma.universal.dataplanes: one module run for N Dataplanes, in-process",
        "dataplanes_ansible": "kuma.universal.dataplanes: one Ansible task for N Dataplanes",
    }
    by = {}
    for r in reg["runs"]:
        by[(r["n"], r["path"], r["kind"])] = r
    for n in reg["sizes"]:
        floor = by.get((n, "floor", "create"))
        floor_noop = by.get((n, "floor", "noop"))
        for r in [x for x in reg["runs"] if x["n"] == n]:
            base = floor_noop if r["kind"] == "noop" and floor_noop else floor
            ratio = f"{r['per_entity_ms'] / base['per_entity_ms']:.1f}" if base and r["kind"] != "fixed" else "-"
            per = ms(r["per_entity_ms"]) if r["kind"] != "fixed" else "-"
            out.append(f"| {n} | {names.get(r['path'], r['path'])} | {r['kind']} | {r['seconds']:.2f} | {per} | {ratio} |")
    out.append("")
    out.append("Ratios asked by issue 5 (create, per entity):\n")
    out.append("| N | a/b: Ansible loop / floor | a/b: module in-process / floor | c/a: kumactl / Ansible loop | "
               "c/a: kumactl / module in-process | Ansible per-item share of (a) |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    for n in reg["sizes"]:
        def g(p: str, k: str = "create", n: int = n) -> float | None:
            return by.get((n, p, k), {}).get("per_entity_ms")

        fl, ia, an, kc, pg = g("floor"), g("module_inproc"), g("ansible"), g("kumactl"), g("ansible_ping", "noop")
        cells = [
            f"{an / fl:.0f}x" if an and fl else "-",
            f"{ia / fl:.1f}x" if ia and fl else "-",
            f"{kc / an:.2f}x" if kc and an else "-",
            f"{kc / ia:.0f}x" if kc and ia else "-",
            f"{pg / an:.0%} (ping {ms(pg)} ms of {ms(an)} ms)" if pg and an else "-",
        ]
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    out.append("")
    imp = load("imports")
    if imp:
        out.append("Start-up a module run pays before any work (fresh interpreter, min of "
                   f"{imp['samples']} runs): "
                   + "; ".join(f"{k}: {v * 1000:.0f} ms" for k, v in imp["seconds_min"].items()) + ".\n")


def rollout_section(ro: dict, out: list[str]) -> None:
    out.append("## 2. Rollout: playbooks/deploy-mesh.yml on systemd containers\n")
    out.append(f"Load average when this benchmark started: {ro['machine']['loadavg_at_start']}.\n")
    out.append(f"Grid run: {', '.join(ro.get('grid', []))} (hosts x replicas). Fresh containers per cell "
               f"(one CP container + the data-plane hosts). Baseline = a play that only pings the same hosts, "
               f"run before and after in the same cell (mean shown).")
    if ro.get("extra_vars"):
        out.append(f" Extra inventory vars: `{json.dumps(ro['extra_vars'])}`.")
    out.append("\n")
    out.append("| hosts | replicas | sidecars | first run s | re-run s | re-run changed | ping baseline s | "
               "re-run / baseline | first / baseline | online after first |")
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in ro["cells"]:
        if "rerun" not in c:
            out.append(f"| {c['hosts']} | {c['replicas']} | {c['sidecars']} | "
                       f"{c.get('first', {}).get('seconds', float('nan')):.1f} | - | - | - | - | - | "
                       f"error: {str(c.get('error', ''))[:120]} |")
            continue
        out.append(f"| {c['hosts']} | {c['replicas']} | {c['sidecars']} | {c['first']['seconds']:.1f} | "
                   f"{c['rerun']['seconds']:.1f} | {c['rerun']['changed']} | {c['baseline_s']:.1f} | "
                   f"{c['rerun_over_baseline']:.1f}x | {c['first_over_baseline']:.1f}x | "
                   f"{c['online_after_first']}/{c['sidecars']} |")
    out.append("")
    ok = [c for c in ro["cells"] if "rerun" in c]
    for c in ok:
        if c.get("unit_start_to_online_s"):
            v = sorted(c["unit_start_to_online_s"])
            p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
            out.append(f"systemd unit start -> online, in the {c['hosts']}x{c['replicas']} cell (`systemctl start "
                       f"kuma-dp@<name>` on the host, the CP polled every 20 ms inside the CP container): "
                       f"{len(v)} samples, median {v[len(v) // 2]:.2f} s, p90 {p90:.2f} s, min {v[0]:.2f} s, max {v[-1]:.2f} s.\n")

    def slope(cells: list[dict], key: str, what: str) -> str:
        import math
        pts = [(math.log(c[key]), math.log(c[what]["seconds"])) for c in cells]
        if len(pts) < 2:
            return "-"
        mx = sum(p[0] for p in pts) / len(pts)
        my = sum(p[1] for p in pts) / len(pts)
        den = sum((p[0] - mx) ** 2 for p in pts)
        return f"{sum((p[0] - mx) * (p[1] - my) for p in pts) / den:.2f}" if den else "-"

    rows = []
    for r in sorted({c["replicas"] for c in ok}):
        cells = sorted([c for c in ok if c["replicas"] == r], key=lambda c: c["hosts"])
        if len(cells) > 1:
            rows.append(f"| time vs hosts at {r} replica(s)/host ({', '.join(str(c['hosts']) for c in cells)} hosts) | "
                        f"{slope(cells, 'hosts', 'first')} | {slope(cells, 'hosts', 'rerun')} |")
    for h in sorted({c["hosts"] for c in ok}):
        cells = sorted([c for c in ok if c["hosts"] == h], key=lambda c: c["replicas"])
        if len(cells) > 1:
            rows.append(f"| time vs replicas on {h} host(s) ({', '.join(str(c['replicas']) for c in cells)} replicas) | "
                        f"{slope(cells, 'replicas', 'first')} | {slope(cells, 'replicas', 'rerun')} |")
    if rows:
        out.append("Scaling exponent k in time ~ x^k (least squares on log-log; k < 1 sub-linear, 1 linear):\n")
        out.append("| axis | first run k | re-run k |")
        out.append("|---|---:|---:|")
        out.extend(rows)
        out.append("")
    if ok:
        out.append("Where the re-run time goes (profile_tasks, slowest tasks of the largest cell's re-run):\n")
        big = max(ok, key=lambda c: (c["sidecars"], c["hosts"]))
        out.append(f"| task ({big['hosts']} hosts x {big['replicas']} replicas) | s |")
        out.append("|---|---:|")
        for t in big["rerun"].get("slowest_tasks", [])[:10]:
            out.append(f"| {t['task']} | {t['seconds']:.2f} |")
        out.append("")
        tasks = big["rerun"].get("slowest_tasks", [])
        if len(tasks) > 15:
            by_role: dict = {}
            for t in tasks:
                role = t["task"].split(" : ")[0] if " : " in t["task"] else "(play)"
                by_role.setdefault(role, []).append(t["seconds"])
            out.append(f"Re-run of the {big['hosts']}x{big['replicas']} cell by role: "
                       + "; ".join(f"{r}: {len(v)} tasks, {sum(v):.1f} s" for r, v in sorted(by_role.items()))
                       + f" (median task {sorted(t['seconds'] for t in tasks)[len(tasks) // 2]:.2f} s, "
                         f"against a ping task of {big['baseline_before']['slowest_tasks'][0]['seconds']:.2f} s "
                         f"in the baseline).\n")
        out.append("Tasks executed per run (sum of ok over hosts, from the play recap): "
                   + "; ".join(f"{c['hosts']}x{c['replicas']}: first {c['first']['tasks_ok']}, "
                               f"re-run {c['rerun']['tasks_ok']}, ping {c['baseline_before']['tasks_ok']}" for c in ok)
                   + ".\n")


def candidates_section(ab: dict, out: list[str]) -> None:
    rows = [c for c in ab["cells"] if "rerun" in c and "rerun" in c.get("candidate", {})]
    if not rows:
        return
    out.append("## Candidate settings, measured before/after in one invocation\n")
    out.append(f"Load average when this benchmark started: {ab['machine']['loadavg_at_start']}. Each cell runs twice on "
               "fresh containers: as the collection is, then with the candidate.\n")
    out.append("| cell | candidate | first run s (as is -> candidate) | re-run s | ping baseline s | re-run / baseline |")
    out.append("|---|---|---|---|---|---|")
    for c in rows:
        k = c["candidate"]
        env = " ".join(f"{a}={b}" for a, b in c["candidate_env"].items())
        out.append(f"| {c['hosts']}x{c['replicas']} | `{env}` | {c['first']['seconds']:.1f} -> {k['first']['seconds']:.1f} "
                   f"({k['first']['seconds'] / c['first']['seconds'] - 1:+.0%}) | {c['rerun']['seconds']:.1f} -> "
                   f"{k['rerun']['seconds']:.1f} ({k['rerun']['seconds'] / c['rerun']['seconds'] - 1:+.0%}) | "
                   f"{c['baseline_s']:.1f} -> {k['baseline_s']:.1f} | {c['rerun_over_baseline']:.1f}x -> "
                   f"{k['rerun_over_baseline']:.1f}x |")
    out.append("")


def before_after_section(ab: dict, out: list[str]) -> None:
    """bench_rollout.py --before-tree: the same cells with an older commit, then the work tree."""
    rows = [c for c in ab["cells"] if "rerun" in c and "rerun" in c.get("before", {})]
    if not rows:
        return
    m = ab["machine"]
    out.append("## Before/after in one invocation\n")
    out.append(f"Load average when this benchmark started: {m['loadavg_at_start']}. Each cell runs twice on fresh "
               f"containers: first the collection of {ab.get('before_tree') or 'an older commit'} (before), then "
               f"{m.get('git_head', '?')}{' with uncommitted changes' if m.get('collection_dirty') else ''} "
               "(after). Goal: a no-op re-run within 10x of the ping play on the same hosts, first run no slower, "
               "tasks per converged host not growing with the replica count.\n")
    out.append("| cell | first run s (before -> after) | no-op re-run s | ping baseline s (before / after) | "
               "re-run / ping | tasks executed on the re-run, per host (before -> after) |")
    out.append("|---|---|---|---|---|---|")
    for c in rows:
        b = c["before"]
        tasks = "; ".join(f"{h}: {b['rerun'].get('tasks_per_host', {}).get(h, '?')} -> {n}"
                          for h, n in sorted(c["rerun"].get("tasks_per_host", {}).items()))
        out.append(f"| {c['hosts']}x{c['replicas']} | {b['first']['seconds']:.1f} -> {c['first']['seconds']:.1f} "
                   f"({c['first']['seconds'] / b['first']['seconds'] - 1:+.0%}) | {b['rerun']['seconds']:.1f} -> "
                   f"{c['rerun']['seconds']:.1f} ({c['rerun']['seconds'] / b['rerun']['seconds'] - 1:+.0%}) | "
                   f"{b['baseline_s']:.2f} / {c['baseline_s']:.2f} | {b['rerun_over_baseline']:.1f}x -> "
                   f"{c['rerun_over_baseline']:.1f}x | {tasks} |")
    out.append("")
    for c in rows:
        by_role: dict[str, list[float]] = {}
        for t in c["rerun"]["slowest_tasks"]:
            role = t["task"].split(" : ")[0] if " : " in t["task"] else "(play)"
            by_role.setdefault(role, []).append(t["seconds"])
        out.append(f"After, re-run of {c['hosts']}x{c['replicas']} by role (profile_tasks): "
                   + "; ".join(f"{r}: {len(v)} tasks, {sum(v):.1f} s" for r, v in sorted(by_role.items())) + ".\n")


def dp_section(dp: dict, out: list[str]) -> None:
    if "startup" in dp:
        s = dp["startup"]
        out.append("## 3. kuma-dp start -> Dataplane online\n")
        out.append(f"Load average when this benchmark started: {dp['machine']['loadavg_at_start']}.\n")
        out.append(f"kuma-dp run against the loopback CP, Dataplane registered through the API first, "
                   f"{dp['role_concurrency_source']}. \"online\" = the CP lists a connected subscription; "
                   f"\"ready\" = kuma-dp's /ready (Envoy configured).\n")
        out.append("| measure | samples | median s | p90 s | min s | max s |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for lbl, v in [("one kuma-dp: start -> online", s["sequential"]["online"]),
                       ("one kuma-dp: start -> ready", s["sequential"]["ready"]),
                       (f"{s['burst']['replicas']} started together: start -> all online", s["burst"]["all_online"]),
                       (f"{s['burst']['replicas']} started together: each start -> online", s["burst"]["each_online"])]:
            out.append(f"| {lbl} | {v['n']} | {v['median']:.3f} | {v['p90']:.3f} | {v['min']:.3f} | {v['max']:.3f} |")
        out.append("")
    if "memory" in dp:
        out.append("## 4. Memory per replica (kuma-dp + Envoy)\n")
        a = dp["args"]
        out.append(f"{a['replicas']} replicas per configuration run side by side, each with one HTTP inbound "
                   f"in front of a tiny local HTTP server; medians over replicas, KiB from /proc. \"after load\": "
                   f"{a['load_requests']} requests per replica through its inbound (4 keep-alive clients, "
                   f"capped at {a['load_seconds']:.0f} s). PSS splits pages shared between the replicas "
                   f"(same binaries); RSS counts them in full.\n")
        out.append("| configuration | Envoy threads | idle RSS MiB (kuma-dp + Envoy = total) | idle PSS total MiB | "
                   "after-load RSS MiB (kuma-dp + Envoy = total) | after-load PSS total MiB | total RSS vs kuma-dp defaults |")
        out.append("|---|---:|---|---:|---|---:|---:|")
        ref = next((m for m in dp["memory"] if m["concurrency"] is None), None)
        for m in dp["memory"]:
            i, L = m["idle"], m["after_load"]
            ratio = f"{i['total_rss_kib'] / ref['idle']['total_rss_kib']:.3f}" if ref else "-"
            out.append(f"| {m['label']} | {i['envoy_threads']:.0f} | {mib(i['kuma_dp_rss'])} + {mib(i['envoy_rss'])} = "
                       f"{mib(i['total_rss_kib'])} | {mib(i['total_pss_kib'])} | {mib(L['kuma_dp_rss'])} + "
                       f"{mib(L['envoy_rss'])} = {mib(L['total_rss_kib'])} | {mib(L['total_pss_kib'])} | {ratio} |")
        out.append("")
        if any("kuma_dp_rss_anon" in m["idle"] for m in dp["memory"]):
            out.append("Resident anonymous memory (heap, stacks) vs file-backed (the binaries' pages), idle, MiB:\n")
            out.append("| configuration | kuma-dp anon | kuma-dp file | Envoy anon | Envoy file |")
            out.append("|---|---:|---:|---:|---:|")
            for m in dp["memory"]:
                i = m["idle"]
                out.append(f"| {m['label']} | {mib(i.get('kuma_dp_rss_anon'))} | {mib(i.get('kuma_dp_rss_file'))} | "
                           f"{mib(i.get('envoy_rss_anon'))} | {mib(i.get('envoy_rss_file'))} |")
            out.append("")


def goals_section(reg: dict | None, ro: dict | None, dp: dict | None, out: list[str]) -> None:
    """Issue 5's goals against this run's figures (a statement of where they land, not a test)."""
    out.append("## Goals of issue 5: where this run lands\n")
    out.append("| goal | this run | met? |")
    out.append("|---|---|---|")
    if reg:
        by = {(r["n"], r["path"], r["kind"]): r["per_entity_ms"] for r in reg["runs"]}
        for n in reg["sizes"]:
            fl, an, ia = by.get((n, "floor", "create")), by.get((n, "ansible", "create")), by.get((n, "module_inproc", "create"))
            kc, ba = by.get((n, "kumactl", "create")), by.get((n, "dataplanes_ansible", "create"))
            if fl and an:
                out.append(f"| (a) within 1.5x of the floor (b), N={n} | Ansible loop {an / fl:.0f}x ({ms(an)} vs {ms(fl)} ms); "
                           f"module in-process {ia / fl:.1f}x" + (f"; `dataplanes` through Ansible {ba / fl:.1f}x" if ba else "")
                           + f" | {'yes' if an / fl <= 1.5 else 'no'} |")
            elif fl and ia:
                out.append(f"| (a) within 1.5x of the floor (b), N={n} | module in-process {ia / fl:.1f}x (Ansible loop not run at this N)"
                           + (f"; `dataplanes` through Ansible {ba / fl:.1f}x" if ba else "") + " | - |")
            if kc and an:
                out.append(f"| (a) at least 5x cheaper than (c), N={n} | kumactl / Ansible loop = {kc / an:.2f}x; "
                           f"kumactl / module in-process = {kc / ia:.0f}x" + (f"; kumactl / `dataplanes` = {kc / ba:.0f}x" if ba else "")
                           + f" | {'yes' if kc / an >= 5 else 'no'} |")
    if ro:
        ok = [c for c in ro["cells"] if "rerun" in c]
        if ok:
            worst = max(c["rerun_over_baseline"] for c in ok)
            best = min(c["rerun_over_baseline"] for c in ok)
            out.append(f"| no-op re-run within 2x of the ping baseline | {best:.0f}x to {worst:.0f}x over {len(ok)} cells | "
                       f"{'yes' if worst <= 2 else 'no'} |")
            h1 = sorted([c for c in ok if c["replicas"] == 1], key=lambda c: c["hosts"])
            if len(h1) > 1:
                a, b = h1[0], h1[-1]
                grow = b["first"]["seconds"] / a["first"]["seconds"]
                out.append(f"| rollout sub-linear in hosts | {a['hosts']} -> {b['hosts']} hosts ({b['hosts'] / a['hosts']:.0f}x): "
                           f"first run x{grow:.2f}, re-run x{b['rerun']['seconds'] / a['rerun']['seconds']:.2f} | "
                           f"{'yes' if grow < b['hosts'] / a['hosts'] else 'no'} |")
            r1 = sorted([c for c in ok if c["hosts"] == 1], key=lambda c: c["replicas"])
            if len(r1) > 1:
                a, b = r1[0], r1[-1]
                grow = b["first"]["seconds"] / a["first"]["seconds"]
                out.append(f"| at most linear in replicas | {a['replicas']} -> {b['replicas']} replicas ({b['replicas'] / a['replicas']:.0f}x): "
                           f"first run x{grow:.2f}, re-run x{b['rerun']['seconds'] / a['rerun']['seconds']:.2f} | "
                           f"{'yes' if grow <= b['replicas'] / a['replicas'] else 'no'} |")
    if dp and "memory" in dp:
        role = next((m for m in dp["memory"] if m["label"].startswith("role")), None)
        ref = next((m for m in dp["memory"] if m["concurrency"] is None), None)
        if role and ref:
            r, f = role["idle"], ref["idle"]
            out.append(f"| per-replica memory at or below kuma-dp's defaults | role (concurrency={role['concurrency']}): "
                       f"{mib(r['total_rss_kib'])} MiB RSS / {mib(r['total_pss_kib'])} MiB PSS idle, "
                       f"{mib(role['after_load']['total_rss_kib'])} MiB RSS after load; kuma-dp defaults: "
                       f"{mib(f['total_rss_kib'])} / {mib(f['total_pss_kib'])} idle, {mib(ref['after_load']['total_rss_kib'])} after load | "
                       f"{'yes' if r['total_rss_kib'] <= f['total_rss_kib'] * 1.02 else 'no'} (within noise: 2%) |")
    out.append("")


def current_section(reg: dict | None, ro: dict | None, dp: dict | None, out: list[str]) -> None:
    """The figures the project README quotes, each against its baseline from the same invocation."""
    out.append("## Current figures (the README's table)\n")
    out.append("| figure | current | baseline (same invocation) | ratio |")
    out.append("|---|---|---|---|")
    if ro:
        for c in [c for c in ro["cells"] if "rerun" in c]:
            b = c.get("before", {})
            before = (f"; the older tree before the change: {b['rerun']['seconds']:.1f} s, "
                      f"{b['rerun_over_baseline']:.1f}x" if "rerun" in b else "")
            samples = (f" (median of {len(c['rerun_samples_s'])} re-runs and {len(c['ping_samples_s'])} ping plays, "
                       f"interleaved)" if "rerun_samples_s" in c else "")
            out.append(f"| deploy-mesh no-op re-run, {c['hosts']} host(s) x {c['replicas']} replica(s) | "
                       f"{c['rerun']['seconds']:.1f} s{samples} | ping play on the same hosts {c['baseline_s']:.2f} s{before} | "
                       f"{c['rerun_over_baseline']:.1f}x |")
        for c in [c for c in ro["cells"] if "rerun" in c]:
            out.append(f"| deploy-mesh first run, {c['hosts']} x {c['replicas']} | {c['first']['seconds']:.1f} s | "
                       f"ping play {c['baseline_s']:.2f} s | {c['first_over_baseline']:.0f}x |")
    if reg:
        by = {(r["n"], r["path"], r["kind"]): r["per_entity_ms"] for r in reg["runs"]}
        n = max(reg["sizes"])
        fl = by.get((n, "floor", "create"))
        for path, label in (("dataplanes_ansible", "registration, one Ansible task for the N Dataplanes (`kuma.universal.dataplanes`)"),
                            ("ansible", "registration, one Ansible task per Dataplane (the role's first form)"),
                            ("kumactl", "registration, one `kumactl apply` per Dataplane")):
            v = by.get((n, path, "create"))
            if v and fl:
                out.append(f"| {label}, N={n} | {ms(v)} ms / Dataplane | raw `requests.Session` PUT loop "
                           f"{ms(fl)} ms | {v / fl:.1f}x |")
    if dp and "startup" in dp:
        s = dp["startup"]["sequential"]["online"]
        out.append(f"| kuma-dp start -> Dataplane online | {s['median']:.2f} s median (p90 {s['p90']:.2f} s) | - | - |")
    if dp and "memory" in dp:
        role = next((m for m in dp["memory"] if m["label"].startswith("role")), None)
        ref = next((m for m in dp["memory"] if m["concurrency"] is None), None)
        if role and ref:
            r, f = role["idle"], ref["idle"]
            out.append(f"| memory per replica, role default (concurrency {role['concurrency']}) | "
                       f"{mib(r['total_rss_kib'])} MiB RSS (kuma-dp {mib(r['kuma_dp_rss'])} + Envoy {mib(r['envoy_rss'])}), "
                       f"own (anonymous) {mib(r.get('kuma_dp_rss_anon', 0) + r.get('envoy_rss_anon', 0))} MiB | "
                       f"kuma-dp's defaults {mib(f['total_rss_kib'])} MiB RSS | {r['total_rss_kib'] / f['total_rss_kib']:.2f}x |")
    out.append("")


def history_section(out: list[str]) -> None:
    if not HISTORY.is_dir():
        return
    out.append("## History\n")
    out.append("Earlier results, kept as they were published (JSON, notes, the results.md of their time):\n")
    for d in sorted(p for p in HISTORY.iterdir() if p.is_dir()):
        readme = d / "README.md"
        first = readme.read_text().strip().splitlines()[0].lstrip("# ") if readme.exists() else ""
        out.append(f"- [`history/{d.name}/`](history/{d.name}/){': ' + first if first else ''}")
    out.append("")


def plot(reg: dict | None, ro: dict | None, dp: dict | None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(18, 5.2))
    ax = axes[0]
    if ro:
        ok = [c for c in ro["cells"] if "rerun" in c]
        series = [("more hosts, 1 replica each", [c for c in ok if c["replicas"] == 1], "hosts", "-"),
                  ("1 host, more replicas", [c for c in ok if c["hosts"] == 1], "replicas", "--")]
        other = [c for c in ok if c["replicas"] != 1 and c["hosts"] != 1]
        for label, cells, _axis, style in series:
            cells = sorted(cells, key=lambda c: c["sidecars"])
            if len(cells) < 2:
                continue
            xs = [c["sidecars"] for c in cells]
            ax.plot(xs, [c["first"]["seconds"] for c in cells], "o" + style, color="#1f77b4", label=f"first run ({label})")
            ax.plot(xs, [c["rerun"]["seconds"] for c in cells], "s" + style, color="#ff7f0e", label=f"no-op re-run ({label})")
            ax.plot(xs, [c["baseline_s"] for c in cells], "x" + style, color="#2ca02c", label=f"ping baseline ({label})")
            for c in cells:
                ax.annotate(f"{c['hosts']}x{c['replicas']}", (c["sidecars"], c["first"]["seconds"]), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
        for c in other:
            ax.plot([c["sidecars"]], [c["first"]["seconds"]], "o", color="#9467bd")
            ax.plot([c["sidecars"]], [c["rerun"]["seconds"]], "s", color="#9467bd")
            ax.annotate(f"{c['hosts']}x{c['replicas']}", (c["sidecars"], c["first"]["seconds"]), fontsize=7,
                        textcoords="offset points", xytext=(3, 3))
        ax.set_xlabel("sidecars (hosts x replicas)")
        ax.set_ylabel("wall time, s")
        ax.set_title("deploy-mesh.yml rollout vs sidecars")
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "rollout not run", ha="center")
    ax = axes[1]
    if reg:
        paths = ["floor", "module_inproc", "ansible", "kumactl", "ansible_ping", "dataplanes_ansible"]
        labels = ["floor (b)", "module\nin-process", "Ansible\nloop (a)", "kumactl\napply (c)", "Ansible ping\n(per item)",
                  "dataplanes,\n1 task"]
        width = 0.8 / len(reg["sizes"])
        for k, n in enumerate(reg["sizes"]):
            vals = []
            for p in paths:
                kind = "noop" if p == "ansible_ping" else "create"
                row = next((r for r in reg["runs"] if r["n"] == n and r["path"] == p and r["kind"] == kind), None)
                vals.append(row["per_entity_ms"] if row else 0)
            ax.bar([i + k * width for i in range(len(paths))], vals, width, label=f"N={n}")
        ax.set_xticks([i + width * (len(reg["sizes"]) - 1) / 2 for i in range(len(paths))], labels, fontsize=8)
        ax.set_yscale("log")
        ax.set_ylabel("ms per Dataplane (log)")
        ax.set_title("Registration cost per Dataplane")
        ax.legend(fontsize=8)
    ax = axes[2]
    if dp and "memory" in dp:
        ms_ = dp["memory"]
        xs = range(len(ms_))
        for j, (key, lbl) in enumerate([("idle", "idle"), ("after_load", "after load")]):
            d = [m[key]["kuma_dp_rss"] / 1024 for m in ms_]
            e = [m[key]["envoy_rss"] / 1024 for m in ms_]
            pos = [x + j * 0.4 for x in xs]
            ax.bar(pos, d, 0.38, label=f"kuma-dp RSS ({lbl})", color=["#4c72b0", "#8da0cb"][j])
            ax.bar(pos, e, 0.38, bottom=d, label=f"Envoy RSS ({lbl})", color=["#dd8452", "#fdb462"][j])
        ax.set_xticks([x + 0.2 for x in xs], [m["label"].replace(" (", "\n(") for m in ms_], fontsize=7)
        ax.set_ylabel("MiB per replica")
        ax.set_title("Memory per replica")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path = RESULTS / "bench.png"
    fig.savefig(path, dpi=110)
    return path


def fleet_register_section(out: list[str]) -> None:
    """Issue 23 item 4: the shipped dataplanes module at fleet sizes against the sequential PUT floor."""
    stores = [(store, load("fleet_register_%s" % store)) for store in ("memory", "postgres")]
    stores = [(store, d) for store, d in stores if d]
    if not stores:
        return
    out += ["## Registering a fleet: `kuma.universal.dataplanes` at N=1000 and 5000\n",
            "One module run registering N new Dataplanes against one kuma-cp on loopback, beside the floor (N "
            "sequential PUTs on one HTTP session) in the same invocation; `floor_4_sessions` is the floor's PUTs from "
            "four sessions at once (what concurrency could gain). Goal: within 1.5x of the floor at N=1000. "
            "kuma-cp's CPU seconds during each path and its resident memory after it.\n",
            "| store | N | path | seconds | x floor | kuma-cp CPU-s | kuma-cp RSS MiB |", "|---|---:|---|---:|---:|---:|---:|"]
    for store, d in stores:
        for r in d["runs"]:
            out.append(f"| {store} | {r['n']} | {r['path']} | {r['seconds']:.2f} | {r['ratio_to_floor']:.2f} | "
                       f"{r['cp_cpu_s']:.2f} | {r['cp_rss_mib']:.0f} |")
    for store, d in stores:
        m = d["machine"]
        goal = [r for r in d["runs"] if r["n"] == 1000 and r["path"] == "dataplanes"]
        met = "met" if goal and goal[0]["ratio_to_floor"] <= 1.5 else "NOT met"
        out.append(f"\n{store}: commit {m.get('git_head', '?')}, load average at start {m['loadavg_at_start']}; "
                   f"goal at N=1000 {met}" + (f" ({goal[0]['ratio_to_floor']:.2f}x)" if goal else ""))
    out.append("")


def ship_section(out: list[str]) -> None:
    """Issue 23 item 3: what the first run ships to each host, before and after, in one invocation."""
    d = load("rollout_ship")
    rows = [c for c in (d or {}).get("cells", []) if "first" in c and "first" in c.get("before", {})]
    if not rows:
        return
    m = d["machine"]
    out += ["## First run: what each host is sent (issue 23 item 3)\n",
            f"`bench_rollout.py --label rollout_ship --before-tree`: each cell on fresh containers, first with "
            f"{d.get('before_commit') or 'SHIP_BEFORE (benchmarks/run.sh: c3a7430 unless set)'} (the whole release archive to "
            f"every host, unpacked there), then {m.get('git_head', '?')} (each host only the compressed binaries it runs). "
            "Bytes: every file the connection put on the host, counted by "
            "`benchmarks/connection_plugins/counted_docker.py` (with pipelining, module payloads go over stdin and are not "
            "files); release = the `.gz` files among them. Install tasks: the install role's tasks, summed wall time "
            f"(profile_tasks). Load average at start {m['loadavg_at_start']}.\n",
            "| cell | host | release MB sent (before -> after) | all MB sent (before -> after) | first run s (before -> after) "
            "| install tasks s (before -> after) |", "|---|---|---:|---:|---:|---:|"]
    mb = 1e6
    for c in rows:
        b, a = c["before"]["first"], c["first"]
        hosts = sorted(a.get("bytes_sent_per_host", {}), key=lambda h: (not h.endswith("-cp"), h))
        # The control plane, then the first data-plane host (the others get the same).
        for h in [x for x in hosts if x.endswith("-cp")] + [x for x in hosts if not x.endswith("-cp")][:1]:
            out.append(f"| {c['hosts']}x{c['replicas']} | {'control plane' if h.endswith('-cp') else 'data plane'} | "
                       f"{b['archive_bytes_per_host'].get(h, 0) / mb:.1f} -> {a['archive_bytes_per_host'].get(h, 0) / mb:.1f} | "
                       f"{b['bytes_sent_per_host'].get(h, 0) / mb:.1f} -> {a['bytes_sent_per_host'].get(h, 0) / mb:.1f} | "
                       f"{b['seconds']:.1f} -> {a['seconds']:.1f} ({a['seconds'] / b['seconds'] - 1:+.0%}) | "
                       f"{b['install_tasks_s']:.1f} -> {a['install_tasks_s']:.1f} |")
    out.append("")


def fleet_rollout_section(out: list[str]) -> None:
    """Issue 23 items 1 and 2: the 32-host and 8x6 cells, the re-run against the ping play at 10 and 32 forks."""
    d = load("rollout_fleet")
    rows = [c for c in (d or {}).get("cells", []) if "rerun" in c]
    if not rows:
        return
    m = d["machine"]
    out += ["## A fleet: 32 hosts, and 8 hosts x 6 replicas (issue 23 items 1 and 2)\n",
            f"`bench_rollout.py --label rollout_fleet`: fresh containers per cell, commit {m.get('git_head', '?')}, "
            f"load average at start {m['loadavg_at_start']}. The first run and the no-op re-run at the default forks "
            "(10, ansible.cfg), then the re-run and the ping play again at 32 forks. Controller: CPU seconds of "
            "ansible-playbook and its forks, and the peak of their summed RSS. Goal: a no-op re-run within 4x of the "
            "ping play.\n",
            "| cell | forks | first run s | no-op re-run s (changed) | ping s | re-run / ping | tasks per host on the re-run "
            "| controller CPU s / peak RSS MiB, first run | same, re-run |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in rows:
        b = c.get("before", {})
        if "rerun" in b:
            tasks = sorted(set(b["rerun"].get("tasks_per_host", {}).values()))
            span = f"{tasks[0]}-{tasks[-1]}" if tasks and tasks[0] != tasks[-1] else (str(tasks[0]) if tasks else "?")
            out.append(f"| {c['hosts']}x{c['replicas']}, before ({d.get('before_commit') or 'older tree'}) | "
                       f"{b['rerun'].get('forks', 10)} | {b['first']['seconds']:.1f} | {b['rerun']['seconds']:.1f} "
                       f"({b['rerun']['changed']}) | {b['baseline_s']:.2f} | {b['rerun_over_baseline']:.1f}x | {span} | "
                       f"{b['first'].get('controller_cpu_s', 0):.0f} / {b['first'].get('controller_peak_rss_mib', 0):.0f} | "
                       f"{b['rerun'].get('controller_cpu_s', 0):.0f} / {b['rerun'].get('controller_peak_rss_mib', 0):.0f} |")
            for forks, f in sorted(b.get("rerun_at_forks", {}).items()):
                out.append(f"| {c['hosts']}x{c['replicas']}, before | {forks} | - | {f['rerun']['seconds']:.1f} "
                           f"({f['rerun']['changed']}) | {f['ping']['seconds']:.2f} | {f['rerun_over_ping']:.1f}x | - | - | "
                           f"{f['rerun'].get('controller_cpu_s', 0):.0f} / {f['rerun'].get('controller_peak_rss_mib', 0):.0f} |")
        tasks = sorted(set(c["rerun"].get("tasks_per_host", {}).values()))
        span = f"{tasks[0]}-{tasks[-1]}" if tasks and tasks[0] != tasks[-1] else (str(tasks[0]) if tasks else "?")
        first, rerun = c["first"], c["rerun"]
        out.append(f"| {c['hosts']}x{c['replicas']} | {rerun.get('forks', 10)} | {first['seconds']:.1f} | "
                   f"{rerun['seconds']:.1f} ({rerun['changed']}) | {c['baseline_s']:.2f} | {c['rerun_over_baseline']:.1f}x | "
                   f"{span} | {first.get('controller_cpu_s', 0):.0f} / {first.get('controller_peak_rss_mib', 0):.0f} | "
                   f"{rerun.get('controller_cpu_s', 0):.0f} / {rerun.get('controller_peak_rss_mib', 0):.0f} |")
        for forks, f in sorted(c.get("rerun_at_forks", {}).items()):
            out.append(f"| {c['hosts']}x{c['replicas']} | {forks} | - | {f['rerun']['seconds']:.1f} ({f['rerun']['changed']}) | "
                       f"{f['ping']['seconds']:.2f} | {f['rerun_over_ping']:.1f}x | - | - | "
                       f"{f['rerun'].get('controller_cpu_s', 0):.0f} / {f['rerun'].get('controller_peak_rss_mib', 0):.0f} |")
    out.append("")


def render() -> tuple[str, tuple]:
    reg, ro, dp = load("register"), load("rollout"), load("dataplane")
    any_ = reg or ro or dp
    if not any_:
        sys.exit("no results yet")
    out = ["# kuma.universal benchmarks: results\n",
           "Kuma 2.14.3 (kuma-cp memory store), Envoy 1.38.2. The CPUs were shared with other work: absolute "
           "times are noisy, ratios within one invocation less so. One current result per benchmark, each from "
           "its own invocation:\n"]
    for name, d in (("register", reg), ("dataplane", dp), ("rollout", ro)):
        if d:
            m = d["machine"]
            out.append(f"- `{name}.json`: commit {m.get('git_head', '?')}"
                       f"{' (uncommitted changes)' if m.get('collection_dirty') else ''}; {m['nproc']} CPUs "
                       f"({m['cpu_model']}), {m['mem_total_gib']} GiB RAM, kernel {m['kernel']}, Python {m['python']}; "
                       f"load average at start {m['loadavg_at_start']}")
    out += ["", "Measured, never asserted. `make bench` writes this file, the raw JSON beside it and `bench.png`.\n"]
    mode = (RESULTS / "MODE").read_text().strip() if (RESULTS / "MODE").exists() else ""
    if mode:
        out.append(f"Mode: {mode}\n")
    current_section(reg, ro, dp, out)
    goals_section(reg, ro, dp, out)
    if reg:
        register_section(reg, out)
    if ro:
        rollout_section(ro, out)
    if dp:
        dp_section(dp, out)
    fleet_register_section(out)
    ship_section(out)
    fleet_rollout_section(out)
    if ro:
        # bench_rollout.py --before-tree / --ab-env: the same cells with an older tree or a candidate.
        before_after_section(ro, out)
        candidates_section(ro, out)
    extra = RESULTS / "notes.md"
    if extra.exists():
        out.append(extra.read_text())
    history_section(out)
    if (RESULTS / "bench.png").exists():
        out.append("![benchmarks](bench.png)\n")
    return "\n".join(out), (reg, ro, dp)


def main() -> int:
    text, data = render()
    target = RESULTS / "results.md"
    if sys.argv[1:] == ["--check"]:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is not what report.py makes of the JSON beside it: run python benchmarks/report.py",
                  file=sys.stderr)
            return 1
        print(f"{target.name} matches the results JSON")
        return 0
    target.write_text(text)
    try:
        print(plot(*data))
    except ImportError:
        print("no matplotlib here: bench.png left as it is (make bench installs it)", file=sys.stderr)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
