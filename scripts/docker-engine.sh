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
wait_engine() { # seconds
  for _ in $(seq 1 "$1"); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}
# An engine that runs but is slow to answer (a loaded machine) is waited for, never doubled.
if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd runs but does not answer yet: waiting"
  wait_engine 120 && exit 0
  die "dockerd runs but did not answer within 120 s"
fi
mkdir -p "$KU_CACHE"
log "starting dockerd (log: $KU_CACHE/dockerd.log)"
# In a session of its own: stopping the test run that started it (its process group) must
# not take the engine, and every container on it, down with it.
setsid nohup dockerd >"$KU_CACHE/dockerd.log" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    log "Docker engine is up"
    exit 0
  fi
  sleep 1
done
tail -20 "$KU_CACHE/dockerd.log" >&2
die "dockerd did not answer within 60 s"
