#!/usr/bin/env bash
# make bench: every figure of issue 5 into benchmarks/results/ (results.md, *.json, bench.png).
# Measured, never asserted: a stage that fails is reported and the others still run.
#
#   BENCH_MODE=quick (default)  registration N=100,500 (the Ansible loop at N=100 only),
#                               kuma-dp start/memory, rollout on 1:1,2:1,4:1,1:3,1:6 (hosts:replicas)
#   BENCH_MODE=full             the Ansible loop at N=500 too, and the full rollout grid
#                               1,2,4,8 hosts x 1,3,6 replicas
#   BENCH_ONLY=register,fleet_register,dataplane,rollout,rollout_ship   run a subset (the report uses what is there)
#   BENCH_ROLLOUT_CELLS="H:R,..."           an explicit rollout grid
#   BENCH_SAMPLES=N (default 3)             no-op re-runs per rollout cell, each followed by a ping play (medians)
#   BENCH_ARCHIVE=<what>                    first move the current JSON of the stages that will run
#                                           into results/history/<date>-<what>/ (with a copy of
#                                           results.md, bench.png and MODE as they were)
# Layout: one current result per benchmark, results/{register,imports,dataplane,rollout}.json, and
# results.md generated from them by report.py; earlier results in results/history/<date>-<what>/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

MODE="${BENCH_MODE:-quick}"
SAMPLES="${BENCH_SAMPLES:-3}"
ONLY="${BENCH_ONLY:-register,imports,fleet_register,dataplane,rollout,rollout_fleet,rollout_ship}"
PY=.venv/bin/python
RES=benchmarks/results
mkdir -p "$RES/raw"
if [ -n "${BENCH_ARCHIVE:-}" ]; then
  dest="$RES/history/$(date +%F)-${BENCH_ARCHIVE}"
  mkdir -p "$dest"
  for f in results.md bench.png MODE; do
    if [ -e "$RES/$f" ]; then cp "$RES/$f" "$dest/"; fi
  done
  for stage in ${ONLY//,/ }; do
    if [ -e "$RES/$stage.json" ]; then mv "$RES/$stage.json" "$dest/"; fi
  done
  log "bench: the previous results are in $dest"
fi

# Tool chain: the project's .venv (requirements-dev.txt) plus matplotlib for the plot.
if [ ! -x "$PY" ] || [ ! -f .venv/.installed ]; then
  make venv
fi
[ -e build/collections/ansible_collections/kuma/universal ] || make collection
if [ ! -f .venv/.bench-installed ] || [ benchmarks/requirements.txt -nt .venv/.bench-installed ]; then
  .venv/bin/pip install -q -r benchmarks/requirements.txt
  touch .venv/.bench-installed
fi
KUMA_ARCHIVE="${KUMA_ARCHIVE:-$(bash scripts/kuma-dist.sh)}"
export KUMA_ARCHIVE

case "$MODE" in
  quick)
    reg_args=(--sizes "100,500" --ansible-sizes 100)
    dp_args=(--samples 10 --bursts 3 --burst 6 --replicas 3)
    roll_cells="${BENCH_ROLLOUT_CELLS:-1:1,2:1,4:1,1:3,1:6}"
    echo "quick (default): the Ansible registration loop at N=100 only; rollout on the cells ${roll_cells} (hosts:replicas). BENCH_MODE=full runs N=500 through Ansible and the full 4x3 grid." > "$RES/MODE"
    ;;
  full)
    reg_args=(--sizes "100,500" --ansible-sizes "100,500")
    dp_args=(--samples 20 --bursts 5 --burst 6 --replicas 3)
    roll_cells="${BENCH_ROLLOUT_CELLS:-}"
    echo "full: every path at N=100 and N=500; rollout grid ${roll_cells:-1,2,4,8 hosts x 1,3,6 replicas}." > "$RES/MODE"
    ;;
  *) die "BENCH_MODE must be quick or full" ;;
esac

status=0
stage() {  # stage <name> <script> [args...]
  local name=$1; shift
  case ",$ONLY," in *",$name,"*) ;; *) return 0 ;; esac
  log "bench: $name ($MODE)"
  if ! (cd benchmarks && "../$PY" "$@") 2>&1 | tee "$RES/raw/$name.log"; then
    log "bench: $name FAILED (see $RES/raw/$name.log); the report shows what exists"
    status=1
  fi
}

stage register bench_register.py "${reg_args[@]}"
stage imports bench_imports.py
# Issue 23 item 4: the dataplanes module at fleet sizes, memory store and PostgreSQL (initdb/pg_ctl on the PATH).
stage fleet_register bench_fleet_register.py --sizes "${FLEET_SIZES:-1000,5000}" --store memory
if command -v initdb >/dev/null || [ -x /usr/lib/postgresql/15/bin/initdb ]; then
  PATH="$PATH:/usr/lib/postgresql/15/bin" stage fleet_register bench_fleet_register.py --sizes "${FLEET_SIZES:-1000,5000}" --store postgres
else
  log "bench: fleet_register on PostgreSQL skipped: no initdb here (apt-get install postgresql)"
fi
stage dataplane bench_dp.py "${dp_args[@]}"
if [ -n "$roll_cells" ]; then
  stage rollout bench_rollout.py --cells "$roll_cells" --unit-samples 5 --samples "$SAMPLES"
else
  stage rollout bench_rollout.py --hosts 1,2,4,8 --replicas 1,3,6 --unit-samples 5 --samples "$SAMPLES"
fi

# An older commit's tree beside this one, as bench_rollout.py --before-tree takes it (its collection linked in).
before_tree() {  # before_tree <commit>: prints the directory
  local dir
  dir=$(mktemp -d /tmp/kb-before-XXXXXX)
  git archive "$1" | tar -x -C "$dir"
  mkdir -p "$dir/build/collections/ansible_collections/kuma"
  ln -s "$dir" "$dir/build/collections/ansible_collections/kuma/universal"
  echo "$dir"
}

# Issue 23 items 1 and 2: 32 hosts x 1 replica and 8 hosts x 6, the re-run also at 32 forks. With FLEET_BEFORE
# (a commit), each cell runs first with that tree, then with the work tree: before/after in one invocation.
case ",$ONLY," in
  *,rollout_fleet,*)
    fleet_args=()
    if [ -n "${FLEET_BEFORE:-}" ]; then
      fleet_before_dir=$(before_tree "$FLEET_BEFORE")
      fleet_args=(--before-tree "$fleet_before_dir")
    fi
    BENCH_BEFORE_COMMIT="${FLEET_BEFORE:-}" \
      stage rollout_fleet bench_rollout.py --label rollout_fleet --cells "${FLEET_CELLS:-32:1,8:6}" --rerun-forks 32 \
      --samples "$SAMPLES" \
      "${fleet_args[@]}"
    if [ -n "${fleet_before_dir:-}" ]; then rm -rf "$fleet_before_dir"; fi
    ;;
esac

# Issue 23 item 3: what the first run sends each host, the whole release (SHIP_BEFORE, the last
# commit before per-binary shipping) against the work tree, on the same cells in one invocation.
case ",$ONLY," in
  *,rollout_ship,*)
    before_dir=$(before_tree "${SHIP_BEFORE:-c3a7430}")
    BENCH_BEFORE_COMMIT="${SHIP_BEFORE:-c3a7430}" \
      stage rollout_ship bench_rollout.py --label rollout_ship --cells "${SHIP_CELLS:-1:1,8:1}" --before-tree "$before_dir"
    rm -rf "$before_dir"
    ;;
esac

(cd benchmarks && "../$PY" report.py)
log "bench: results in $RES/results.md and $RES/bench.png"
exit $status
