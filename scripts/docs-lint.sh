#!/usr/bin/env bash
# The collection's documentation as the Ansible docsite publishes it:
#   antsibull-docs lint-collection-docs --plugin-docs  (every module, plugin and role: schema,
#   markup, references to other plugins/roles/options, RST that renders) and
#   antsibull-changelog lint (the changelog fragments).
# Exits non-zero on any finding. Tools: build/venv-ecosystem (scripts/requirements-ecosystem.txt).
#
#   bash scripts/docs-lint.sh          lint only (offline)
#   bash scripts/docs-lint.sh --build  also build the HTML docsite into build/docsite/build/html,
#                                      offline: intersphinx links to docs.ansible.com are
#                                      switched off, so the only warnings tolerated are the
#                                      references into that site (its labels and the
#                                      ANSIBLE_* environment variables it documents).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ecosystem-venv.sh"
cd "$KU_ROOT"

build=0
case "${1:-}" in
  --build) build=1 ;;
  "") ;;
  *) die "usage: $0 [--build]" ;;
esac

eco_venv
# antsibull-docs wants the collection under .../ansible_collections/kuma/universal.
link="$KU_ROOT/build/collections/ansible_collections/kuma/universal"
if [ ! -e "$link" ]; then
  mkdir -p "$(dirname "$link")" && ln -sfn "$KU_ROOT" "$link"
fi

rc=0
log "antsibull-docs lint-collection-docs --plugin-docs"
antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
  --validate-collection-refs all --disallow-unknown-collection-refs "$link" || rc=1

log "antsibull-changelog lint"
antsibull-changelog lint || rc=1

# Every plugin and role must be in the docs ansible-doc extracts (a file without
# DOCUMENTATION would be silently absent from the docsite).
log "every plugin and role documented"
missing=$(python3 - "$link" <<'PY'
import json, os, subprocess, sys
root = sys.argv[1]
want = set()
for kind, folder in (("module", "modules"), ("inventory", "inventory"), ("lookup", "lookup"),
                     ("filter", "filter"), ("callback", "callback"), ("connection", "connection")):
    path = os.path.join(root, "plugins", folder)
    if os.path.isdir(path):
        want |= {(kind, "kuma.universal." + f[:-3]) for f in os.listdir(path)
                 if f.endswith(".py") and not f.startswith("_")}
roles = os.path.join(root, "roles")
if os.path.isdir(roles):
    want |= {("role", "kuma.universal." + r) for r in os.listdir(roles)}
have = set()
for kind in sorted({k for k, _ in want}):
    out = subprocess.run(["ansible-doc", "-t", kind, "--list", "--json", "kuma.universal"],
                         check=True, capture_output=True, text=True).stdout
    have |= {(kind, name) for name in json.loads(out)}
for kind, name in sorted(want - have):
    print("%s %s" % (kind, name))
PY
) || rc=1
if [ -n "$missing" ]; then
  printf 'not documented (ansible-doc does not list it):\n%s\n' "$missing" >&2
  rc=1
fi

if [ "$build" = 1 ]; then
  site="$KU_ROOT/build/docsite"
  rm -rf "$site" && mkdir -p "$site"
  log "antsibull-docs sphinx-init + sphinx-build into $site"
  antsibull-docs sphinx-init --use-current --dest-dir "$site" kuma.universal >/dev/null
  # Offline: no intersphinx inventories to fetch (they live on docs.ansible.com and python.org).
  printf '\nintersphinx_mapping = {}\n' >>"$site/conf.py"
  sed -i "s| -W --keep-going| --keep-going -w $site/warnings.txt|" "$site/build.sh"
  if ! bash "$site/build.sh" >"$site/build.log" 2>&1; then
    tail -20 "$site/build.log" >&2
    rc=1
  fi
  unexpected=$(grep 'WARNING' "$site/warnings.txt" \
    | grep -v -E "undefined label: '(ansible_configuration_settings|common_return_values|action_plugins)'" \
    | grep -v -E "'envvar' reference target not found: ANSIBLE_[A-Z_]+" || true)
  if [ -n "$unexpected" ]; then
    printf 'docs build warnings:\n%s\n' "$unexpected" >&2
    rc=1
  fi
  [ -f "$site/build/html/index.html" ] || { echo "no $site/build/html/index.html" >&2; rc=1; }
  [ "$rc" = 0 ] && log "docsite: $site/build/html/index.html"
fi

[ "$rc" = 0 ] && log "docs lint: clean"
exit "$rc"
