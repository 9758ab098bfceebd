# shellcheck shell=bash
# Shared settings for the project's scripts (sourced, not run).
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
# Caches live outside the work tree so that a fresh clone reuses them.
KU_CACHE="${KUMA_UNIVERSAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kuma-universal}"
KUMA_VERSION="${KUMA_VERSION:-2.14.3}"
# The Kuma 3 build the kuma3 suite tests beside KUMA_VERSION: the 3.0 development commit
# (README "Kuma versions": the newest Kuma 3 source reachable here, not the released 3.0.x).
KUMA3_VERSION="${KUMA3_VERSION:-3.0.0-dev.348b6528}"
# The release molecule/upgrade starts from in the molecule suite (its upgrade_from default).
KUMA_UPGRADE_SOURCE="${KUMA_UPGRADE_SOURCE:-2.13.10}"
KU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The one place the project's Ansible environment is set (Makefile targets, the test
# suites, the demo and the benchmarks all source this file): the repo's ansible.cfg,
# kuma.universal resolved from the work tree (the link `make collection` creates), and
# the pinned tools in .venv first on PATH.
export ANSIBLE_CONFIG="$KU_ROOT/ansible.cfg"
export ANSIBLE_COLLECTIONS_PATH="$KU_ROOT/build/collections"
export PATH="$KU_ROOT/.venv/bin:$PATH"
export KUMA_VERSION

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
