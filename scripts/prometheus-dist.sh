#!/usr/bin/env bash
# A Prometheus with kuma_sd_configs for the molecule scenarios: prints the path of the binary.
# Debian's package cannot be used: its builds (2.42 in bookworm, 2.53 in trixie) leave out the
# xDS discoveries, kuma_sd among them ("field kuma_sd_configs not found in type
# config.ScrapeConfig"). So the upstream release is built from its Go module
# (github.com/prometheus/prometheus, module v0.<minor> = Prometheus 3.<minor>) with the
# machine's Go, once per version, and cached under $KU_CACHE (the module and build caches
# beside it; Go's build cache is the machine's). A warm call only prints the path. PROMETHEUS_BINARY=<a prometheus you already
# have> is printed back as it is (after a check that it knows kuma_sd).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PROMETHEUS_MODULE_VERSION="${PROMETHEUS_MODULE_VERSION:-v0.316.0}"   # Prometheus 3.16.0

has_kuma_sd() { grep -aq __meta_kuma_dataplane "$1"; }  # the xDS discovery's Kuma labels

if [ -n "${PROMETHEUS_BINARY:-}" ]; then
  [ -x "$PROMETHEUS_BINARY" ] || die "PROMETHEUS_BINARY=$PROMETHEUS_BINARY is not an executable"
  has_kuma_sd "$PROMETHEUS_BINARY" || die "PROMETHEUS_BINARY=$PROMETHEUS_BINARY has no kuma_sd_configs"
  echo "$PROMETHEUS_BINARY"
  exit 0
fi

dir="$KU_CACHE/prometheus/$PROMETHEUS_MODULE_VERSION"
bin="$dir/bin/prometheus"
if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "prometheus-dist: no Go on this machine" >&2; exit 3; }
  log "building Prometheus from github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION (minutes, once)"
  mkdir -p "$dir"
  # Only the xDS discoveries (kuma_sd) and the always-built ones (static, file, http, dns...):
  # Prometheus's build tags leave out the cloud and Kubernetes SDKs, most of the build time.
  GOPATH="$dir/gopath" GOMODCACHE="$KU_CACHE/prometheus/gomodcache" \
    GOBIN="$dir/bin" GOFLAGS="-buildvcs=false -modcacherw" \
    nice -n 10 go install -ldflags="-s -w" -tags remove_all_sd,enable_xds_sd \
    "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_MODULE_VERSION" >&2
fi
has_kuma_sd "$bin" || die "$bin has no kuma_sd_configs"
echo "$bin"
