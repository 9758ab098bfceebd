#!/usr/bin/env bash
# make test-docs: the documentation as an operator meets it.
#   1. docs/docsite/rst pages generated from the code are current (scripts/docs-vars.py --check:
#      every role variable from roles/*/meta/argument_specs.yml, the example inventory's files), and
#      benchmarks/results/results.md is what benchmarks/report.py makes of the results JSON;
#   2. scripts/docs-lint.sh --build: antsibull-docs lint of every plugin, role and manual page,
#      the changelog, and the HTML docsite (collection docs + the manual) built with Sphinx;
#   3. every internal link and anchor of the built site resolves (scripts/docs-site-check.py links);
#   4. the real-fleet example inventory (inventories/fleet-example) passes ansible-inventory --graph
#      and deploy_mesh's preflight in check mode (the shipped playbook, --tags kuma_preflight), each
#      host replaced by the controller with a fleet VM's facts (tests/docs/on-the-controller.yml), and
#      so does the README's quick-start inventory.
# The browser check (every page loads in headless Chromium) is scripts/docs-site-check.py browser,
# run by scripts/test-all.sh as its own line (docs-browser) so that a machine without a browser
# reports it NOT RUN instead of hiding it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KU_ROOT"

rc=0
log "docs: generated pages current"
python3 scripts/docs-vars.py --check || rc=1
# benchmarks/results/results.md is generated from the results JSON beside it (the README quotes it).
python3 benchmarks/report.py --check || rc=1

bash scripts/docs-lint.sh --build || rc=1

log "docs: internal links of the built site"
python3 scripts/docs-site-check.py links || rc=1

example=inventories/fleet-example
log "docs: $example: ansible-inventory --graph"
graph=$(ansible-inventory -i "$example" --graph) || rc=1
hosts=$(ansible-inventory -i "$example" --list | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["_meta"]["hostvars"]))') || rc=1
groups=$(grep -c -- '--@' <<<"$graph" || true)
# deploy_mesh itself, limited to its checks; the hosts do not exist, so each is the controller.
preflight() {
  ANSIBLE_LIBRARY="$KU_ROOT/tests/docs/library" ansible-playbook "$@" playbooks/deploy_mesh.yml --check \
    --tags kuma_preflight -e @tests/docs/on-the-controller.yml 2>&1
}
log "docs: $example: $hosts hosts in $groups groups; deploy_mesh's preflight in check mode (--tags kuma_preflight)"
if ! out=$(preflight -i "$example"); then
  echo "$out" | grep -E 'FAILED|fatal|msg' | head -20 >&2
  rc=1
else
  echo "$out" | sed -n '/PLAY RECAP/,$p' | awk 'NF' | tail -n +2 | awk '{ok+=substr($3,4); f+=substr($6,8)} END {print "preflight: " NR " hosts, " ok " checks ok, " f " failed"}'
fi

# The README's quick-start inventory (its first YAML block) passes the same preflight, its two placeholders
# (the vault password, the release's sha256) given as extra vars.
quick="$KU_ROOT/build/docs-quickstart"
mkdir -p "$quick"
awk '/^# inventory\/hosts.yml/,/^```$/' README.md | sed '$d' >"$quick/hosts.yml"
log "docs: the README's quick-start inventory: deploy_mesh's preflight in check mode"
if ! out=$(preflight -i "$quick/hosts.yml" -e vault_kuma_pg_password=x -e install_sha256="$(printf '0%.0s' {1..64})") \
    || ! grep -q 'cp-1 .*failed=0' <<<"$out"; then
  echo "$out" | grep -E 'FAILED|fatal|msg|ERROR' | head -20 >&2
  rc=1
else
  echo "quick start: $(grep -c 'failed=0' <<<"$out") hosts checked, 0 failed"
fi

[ "$rc" = 0 ] && log "docs: all checks passed"
exit "$rc"
