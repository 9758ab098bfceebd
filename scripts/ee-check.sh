#!/usr/bin/env bash
# Everything of the execution environment that can be checked without a container registry:
#   1. the collection tarball (ansible-galaxy collection build) carries meta/execution-environment.yml,
#      requirements.txt and bindep.txt;
#   2. `ansible-builder create` turns execution-environment.yml into a build context whose
#      Containerfile has the pinned ansible-core, the base image, the collection install and
#      ansible-builder's dependency introspection;
#   3. the context's own galaxy step (ansible-galaxy collection install -r requirements.yml, run
#      in _build as the image's galaxy stage does) installs the collection, and the context's own
#      introspect.py (the image's builder stage) finds its Python and system dependencies.
# Building the image (`ansible-builder build`) is NOT done: it pulls the base image from
# quay.io, a container registry these machines cannot reach.
# Exits non-zero on any failed check. Tools: build/venv-ecosystem (scripts/requirements-ecosystem.txt).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ecosystem-venv.sh"
cd "$KU_ROOT"
eco_venv

out="$KU_ROOT/build/ee"
rm -rf "$out" && mkdir -p "$out"
fail=0
check() { # description, command...
  local what=$1; shift
  if "$@"; then log "ok: $what"; else log "FAILED: $what"; fail=1; fi
}

version=$(python3 -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
tarball="kuma-universal-$version.tar.gz"
ansible-galaxy collection build --force --output-path "$out" . >/dev/null
for f in meta/execution-environment.yml requirements.txt bindep.txt; do
  check "tarball carries $f" bash -c "tar tzf '$out/$tarball' | grep -qx '$f'"
done
check "execution-environment.yml copies $tarball (galaxy.yml version $version)" \
  grep -q "src: build/ee/$tarball\$" execution-environment.yml

ansible-builder create -f execution-environment.yml -c "$out/context" --output-filename Containerfile >/dev/null
cf="$out/context/Containerfile"
core=$(grep '^ansible-core==' requirements-dev.txt)
check "Containerfile pins $core" grep -q "ANSIBLE_INSTALL_REFS=\"$core " "$cf"
check "Containerfile names the base image" grep -q '^ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' "$cf"
check "Containerfile installs the galaxy requirements" grep -q 'ansible-galaxy collection install .*-r requirements.yml' "$cf"
check "Containerfile introspects collection dependencies" grep -q 'introspect.py introspect' "$cf"
check "build context holds the tarball" test -f "$out/context/_build/collections/$tarball"

# The galaxy stage, here: same requirements file, same working directory.
(cd "$out/context/_build" && ANSIBLE_GALAXY_DISABLE_GPG_VERIFY=1 ANSIBLE_COLLECTIONS_PATH="$out/collections" \
  ansible-galaxy collection install -r requirements.yml --collections-path "$out/collections" >/dev/null)
check "galaxy step installs kuma.universal" test -f "$out/collections/ansible_collections/kuma/universal/MANIFEST.json"
# The builder stage, here: the context's introspect.py over the installed collections.
python3 "$out/context/_build/scripts/introspect.py" introspect --user-bindep="$out/context/_build/bindep.txt" \
  --write-pip="$out/requirements.txt" --write-bindep="$out/bindep.txt" "$out/collections" >"$out/introspect.txt"
declared=0
while read -r req; do
  declared=$((declared + 1))
  check "introspection finds '$req' from kuma.universal" \
    grep -qxF "$req  # from collection kuma.universal" "$out/requirements.txt"
done < <(grep -v -e '^#' -e '^[[:space:]]*$' requirements.txt)
check "requirements.txt declares something (requests)" test "$declared" -gt 0
check "introspection finds the EE's own system packages" grep -q '^openssh-clients' "$out/bindep.txt"

echo "Python dependencies the image would get:"; sed 's/^/  /' "$out/requirements.txt"
echo "System packages the image would get:"; sed 's/^/  /' "$out/bindep.txt"
echo "NOT RUN: ansible-builder build (pulls quay.io/centos/centos:stream9; no container registry is reachable here)"
[ "$fail" = 0 ] && log "execution environment: every offline check passed"
exit "$fail"
