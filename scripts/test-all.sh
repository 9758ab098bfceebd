#!/usr/bin/env bash
# Run the project's test suites and print one summary line per suite plus a closing count.
# Suites that need Kuma binaries (smoke, integration, molecule) run against the archive from
# scripts/kuma-dist.sh. When Kuma cannot be obtained on this machine (exit 3 from the dist
# script), those suites are reported as NOT RUN with the reason: never as passed.
# Set KUMA_REQUIRED=1 to turn "Kuma not obtainable" into a failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KU_ROOT" || exit 1
# One name per invocation: molecule's containers and working directories carry it, so two
# runs on one Docker engine (or one machine) never touch each other's.
export KU_RUN_ID="${KU_RUN_ID:-$(date +%H%M%S)$$}"

what="${1:-all}"
declare -a results=()
passed=0; failed=0; not_run=0

record() { # name status detail
  results+=("$(printf '%-12s %-8s %s' "$1" "$2" "$3")")
  case "$2" in
    passed) passed=$((passed + 1)) ;;
    failed) failed=$((failed + 1)) ;;
    *) not_run=$((not_run + 1)) ;;
  esac
}

run_suite() { # name command...
  local name=$1; shift
  log "=== suite: $name"
  local start=$SECONDS
  if "$@"; then
    record "$name" passed "$((SECONDS - start)) s"
  else
    record "$name" failed "$((SECONDS - start)) s"
  fi
}

kuma_archive=""
kuma_reason=""
need_kuma() {
  [ -n "$kuma_archive" ] && return 0
  [ -n "$kuma_reason" ] && return 1
  local out rc
  out=$(bash scripts/kuma-dist.sh 2>"$KU_CACHE/kuma-dist.err"); rc=$?
  if [ $rc -eq 0 ]; then
    kuma_archive=$out
    export KUMA_ARCHIVE="$kuma_archive"
    return 0
  fi
  kuma_reason=$(grep -m1 -E 'not obtainable|ERROR' "$KU_CACHE/kuma-dist.err" || tail -1 "$KU_CACHE/kuma-dist.err")
  cat "$KU_CACHE/kuma-dist.err" >&2
  [ $rc -eq 3 ] || kuma_reason="kuma-dist failed (exit $rc): $kuma_reason"
  return 1
}

kuma_suite() { # name command...
  local name=$1
  mkdir -p "$KU_CACHE"
  if need_kuma; then
    run_suite "$@"
  elif [ "${KUMA_REQUIRED:-0}" = 1 ] || [[ "$kuma_reason" == kuma-dist\ failed* ]]; then
    record "$name" failed "no Kuma archive: $kuma_reason"
  else
    record "$name" NOT-RUN "no Kuma binaries: $kuma_reason (install Go 1.26 with ../shared/goproxy beside the clone, or KUMA_BIN_DIR=<dir with kuma-cp, kuma-dp, kumactl>)"
  fi
}


ansible_test() { # sanity|units: ansible-test on a copy of the tree (tracked and new files)
  local what=$1
  # ansible-test wants the collection at .../ansible_collections/kuma/universal.
  local top="build/ansible-test-$what" dest
  dest="$top/ansible_collections/kuma/universal"
  rm -rf "$top" && mkdir -p "$dest"
  git ls-files -co --exclude-standard -z | xargs -0 -I{} cp --parents {} "$dest"/
  # ansible-test's --venv mode bootstraps pip from a site these machines cannot reach, so
  # its requirements go into a venv of its own (kept apart from ansible-lint's pins).
  local venv="$KU_ROOT/.venv-sanity"
  if [ ! -f "$venv/.installed" ] || [ requirements-dev.txt -nt "$venv/.installed" ]; then
    python3.11 -m venv "$venv" && "$venv/bin/pip" install -q --upgrade pip \
      && "$venv/bin/pip" install -q "$(grep '^ansible-core==' requirements-dev.txt)" \
      && touch "$venv/.installed" || return 1
  fi
  local pip_version get_pip
  pip_version=$(grep -oP "pip='\K[0-9.]+" "$venv"/lib/python3.11/site-packages/ansible_test/_internal/python_requirements.py | head -1)
  get_pip="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
  mkdir -p "$(dirname "$get_pip")" && cp scripts/ansible-test-get-pip.py "$get_pip"
  (cd "$dest" && git init -q && git add -A && \
    PATH="$venv/bin:$PATH" ansible-test "$what" --python 3.11 --requirements --color no)
}

# The unit tests run under pytest and under ansible-test units (the ecosystem's runner).
suite_unit() { local rc=0; python -m pytest -q tests/unit || rc=1; ansible_test units || rc=1; return $rc; }
suite_sanity() { ansible_test sanity; }

suite_lint() { ansible-lint --profile production --offline; }
# The docs as the Ansible docsite publishes them (lint, the HTML site with the manual, its links,
# the example inventory's preflight), and the execution environment (all that can be checked
# without a container registry): tools in build/venv-ecosystem.
suite_docs() { bash scripts/docs-check.sh; }
# Every page of the built site loaded in headless Chromium. Without a browser: NOT RUN here, a
# failure in CI (CI=true or KUMA_REQUIRED=1, which .ci/run sets), like the Kuma suites.
docs_browser() {
  if [ ! -f build/docsite/build/html/index.html ]; then
    record docs-browser failed "no built docsite (the docs suite failed before building it)"
    return
  fi
  local rc=0
  log "=== suite: docs-browser"
  local start=$SECONDS
  python3 scripts/docs-site-check.py browser || rc=$?
  if [ "$rc" = 0 ]; then
    record docs-browser passed "$((SECONDS - start)) s"
  elif [ "$rc" = 3 ] && [ "${KUMA_REQUIRED:-0}" != 1 ] && [ "${CI:-}" != true ]; then
    record docs-browser NOT-RUN "no Chromium on this machine (Debian: apt-get install chromium; .ci/run installs it)"
  elif [ "$rc" = 3 ]; then
    record docs-browser failed "no Chromium, and CI requires the browser check (apt-get install chromium)"
  else
    record docs-browser failed "$((SECONDS - start)) s"
  fi
}
suite_ee() { bash scripts/ee-check.sh; }

vm_image() { # the systemd "VM" image, built once (with progress on stderr), then reused
  [ -n "${KU_VM_IMAGE:-}" ] && return 0
  mkdir -p "$KU_CACHE"
  KU_VM_IMAGE=$(flock "$KU_CACHE/vm-image.lock" bash scripts/base-image.sh) || return 1
  export KU_VM_IMAGE
}

# On a cold machine, what the later suites need is built in the background while the first ones
# (unit, sanity, lint, docs, ee: no Kuma) and then the first scenarios run, in the order the suites
# need it: the Kuma release, the VM image, the upgrade scenario's old release, the Kuma 3 build. A
# suite that needs one before it is ready waits for it (kuma-dist.sh and vm_image take a lock), and
# builds it itself if the background build failed. Warm, each step is a cache hit.
prefetch_pid=""
prefetch() {
  mkdir -p "$KU_CACHE"
  log "building ahead in the background (log: $KU_CACHE/prefetch.log)"
  ( set +e
    [ -n "${KUMA_ARCHIVE:-}" ] || bash scripts/kuma-dist.sh
    flock "$KU_CACHE/vm-image.lock" bash scripts/base-image.sh
    KUMA_VERSION=$KUMA_UPGRADE_SOURCE KUMA_ARCHIVE='' bash scripts/kuma-dist.sh
    KUMA_VERSION=$KUMA3_VERSION KUMA_ARCHIVE='' bash scripts/kuma-dist.sh
  ) >"$KU_CACHE/prefetch.log" 2>&1 &
  prefetch_pid=$!
}

suite_smoke() { vm_image && python -m pytest -q tests/smoke; }
suite_integration() { python -m pytest -q tests/integration --ignore tests/integration/test_60_kuma3.py; }
# Kuma 3 beside Kuma 2 from the same inventory: the modules on the real Kuma 3 binaries
# (tests/integration/test_60_kuma3.py), the default scenario (the seed's mesh) on Kuma 3, the
# upgrade scenario across the major (2.14.3 -> Kuma 3, the scenario that runs 2.13 -> 2.14 in the
# molecule suite), the tproxy scenario (transparent proxy, mesh DNS, reachableBackends), the
# gateway scenario (an edge gateway as an ordinary Dataplane, permissions by SPIFFE ID) and the
# multizone scenario (zone proxies as Dataplane listeners, MeshZoneAddress, trust between zones) on
# Kuma 3. Scenario and versions from KU_KUMA3_MATRIX ("scenario@version[:from] ..."): the same
# scenario files, only the archives differ (from: the release an upgrade starts on).
suite_kuma3() {
  local rc=0 entry s v from archive archive_from
  archive=$(KUMA_VERSION=$KUMA3_VERSION KUMA_ARCHIVE='' bash scripts/kuma-dist.sh) || return 1
  KUMA3_VERSION=$KUMA3_VERSION KUMA3_ARCHIVE=$archive python -m pytest -q tests/integration/test_60_kuma3.py || rc=1
  vm_image || return 1
  for entry in ${KU_KUMA3_MATRIX:-default@$KUMA3_VERSION upgrade@$KUMA3_VERSION:2.14.3 tproxy@$KUMA3_VERSION gateway@$KUMA3_VERSION multizone@$KUMA3_VERSION}; do
    s=${entry%%@*} v=${entry#*@} from=''
    case $v in *:*) from=${v#*:} v=${v%%:*} ;; esac
    archive=$(KUMA_VERSION=$v KUMA_ARCHIVE='' bash scripts/kuma-dist.sh) || { rc=1; continue; }
    archive_from=''
    if [ -n "$from" ]; then
      archive_from=$(KUMA_VERSION=$from KUMA_ARCHIVE='' bash scripts/kuma-dist.sh) || { rc=1; continue; }
    fi
    log "--- molecule scenario: $s on Kuma $v${from:+ from $from} (containers ku-$KU_RUN_ID-*)"
    KUMA_VERSION=$v KUMA_ARCHIVE=$archive KU_UPGRADE_FROM=$from KUMA_ARCHIVE_FROM=$archive_from \
      MOLECULE_EPHEMERAL_DIRECTORY="$KU_ROOT/build/molecule/$KU_RUN_ID/$s-$v" molecule test -s "$s" || rc=1
  done
  return $rc
}
suite_molecule() {
  vm_image || return 1
  local scenario s rc=0
  for scenario in molecule/*/molecule.yml; do
    s=$(basename "$(dirname "$scenario")")
    log "--- molecule scenario: $s (containers ku-$KU_RUN_ID-*)"
    # Molecule's working files for this run stay in the work tree, not in HOME.
    MOLECULE_EPHEMERAL_DIRECTORY="$KU_ROOT/build/molecule/$KU_RUN_ID/$s" molecule test -s "$s" || rc=1
  done
  # The collection molecule tested is the work tree: nothing was installed into HOME.
  if [ -e "$HOME/.ansible/collections/ansible_collections/kuma/universal" ]; then
    log "molecule left a copy of kuma.universal in $HOME/.ansible/collections"; rc=1
  fi
  return $rc
}

case "$what" in
  all)
    command -v go >/dev/null 2>&1 && prefetch
    run_suite unit suite_unit
    run_suite sanity suite_sanity
    run_suite lint suite_lint
    run_suite docs suite_docs
    docs_browser
    run_suite ee suite_ee
    kuma_suite smoke suite_smoke
    kuma_suite integration suite_integration
    kuma_suite molecule suite_molecule
    kuma_suite kuma3 suite_kuma3
    ;;
  docs) run_suite docs suite_docs; docs_browser ;;
  unit|sanity|lint|ee) run_suite "$what" "suite_$what" ;;
  smoke|integration|molecule|kuma3) kuma_suite "$what" "suite_$what" ;;
  *) die "unknown suite: $what" ;;
esac

[ -z "$prefetch_pid" ] || wait "$prefetch_pid" 2>/dev/null || true
echo
echo "Summary (Kuma $KUMA_VERSION${kuma_archive:+, archive $kuma_archive}):"
printf '  %s\n' "${results[@]}"
if [ "$not_run" -gt 0 ]; then
  echo "  NOT RUN means the suite did not execute at all; it is not counted as passed."
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
