# shellcheck shell=bash
# Shared settings for the project's scripts (sourced, not run).
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
# Caches live outside the work tree so that a fresh clone reuses them.
KU_CACHE="${KUMA_UNIVERSAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kuma-universal}"
KUMA_VERSION="${KUMA_VERSION:-2.14.3}"
KU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
