#!/usr/bin/env bash
# Make sure a Docker engine answers. Debian's docker.io brings dockerd, but apt does not
# start it on these machines, so start it here (once) and wait until `docker info` works.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if docker info >/dev/null 2>&1; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  log "installing the Docker engine (Debian docker.io)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
mkdir -p "$KU_CACHE"
log "starting dockerd (log: $KU_CACHE/dockerd.log)"
nohup dockerd >"$KU_CACHE/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "Docker engine is up"
    exit 0
  fi
  sleep 1
done
tail -20 "$KU_CACHE/dockerd.log" >&2
die "dockerd did not answer within 60 s"
