#!/usr/bin/env bash
# The seed's mesh on local systemd containers ("VMs"):
#   up    build or reuse the Kuma archive and the base image, start the containers, deploy
#         the demo apps and the mesh (playbooks/deploy-mesh.yml, inventories/demo), then
#         send requests across the mesh: cp -> backend's kuma-dp -> backend -> its outbound
#         -> a Redis replica's kuma-dp -> Redis. Idempotent: a second `up` reuses everything.
#   down  remove the containers and the network `up` made.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KU_ROOT"

NETWORK=kuma-demo
PREFIX=kuma-demo
HOSTS=(cp redis-vm backend-vm)
export ANSIBLE_PIPELINING=True

start_vm() { # inventory name, image
  local name="$PREFIX-$1" image=$2
  if [ "$(docker inspect -f '{{.Config.Image}} {{.State.Running}}' "$name" 2>/dev/null)" = "$image true" ]; then
    log "reusing container $name"
    return
  fi
  docker rm -f "$name" >/dev/null 2>&1 || true
  log "starting container $name"
  docker run -d --name "$name" --hostname "$1" --network "$NETWORK" --network-alias "$1" \
    --label kuma-universal.demo=1 \
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    "$image" /lib/systemd/systemd >/dev/null
}

wait_systemd() { # container
  local state
  for _ in $(seq 60); do
    state=$(docker exec "$1" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) return 0 ;; esac
    sleep 1
  done
  die "systemd in $1 did not come up (state: $state)"
}

up() {
  [ -x "$KU_ROOT/.venv/bin/ansible-playbook" ] || die "run 'make demo' (it prepares .venv and the collection link)"
  KUMA_ARCHIVE=$(bash scripts/kuma-dist.sh)
  export KUMA_ARCHIVE
  local image=${KU_VM_IMAGE:-}
  [ -n "$image" ] || image=$(bash scripts/base-image.sh)
  docker network inspect "$NETWORK" >/dev/null 2>&1 || docker network create --label kuma-universal.demo=1 "$NETWORK" >/dev/null
  for h in "${HOSTS[@]}"; do start_vm "$h" "$image"; done
  for h in "${HOSTS[@]}"; do wait_systemd "$PREFIX-$h"; done

  log "demo applications: six Redis replicas, the Backend"
  ansible-playbook -i inventories/demo/hosts.yml molecule/resources/apps.yml
  log "the mesh: playbooks/deploy-mesh.yml (archive $KUMA_ARCHIVE)"
  ansible-playbook -i inventories/demo/hosts.yml playbooks/deploy-mesh.yml

  echo
  echo "Requests from the cp container to the Backend's inbound (backend-vm:8000):"
  echo "  cp -> kuma-dp backend (8000) -> Backend 127.0.0.1:80 -> outbound 127.0.0.1:10000"
  echo "     -> kuma-dp redis-<i> (9000+i) -> Redis 127.0.0.1:6379+i"
  local i out
  for i in 1 2 3 4 5 6; do
    out=$(docker exec "$PREFIX-cp" curl -sS --fail --max-time 10 http://backend-vm:8000/) \
      || die "request $i through the mesh failed"
    echo "  GET http://backend-vm:8000/ -> $out"
  done
  echo "The Backend's Envoy: its admin port (Dataplane networking.admin.port 9901) answers /ready,"
  echo "its full admin API (unix socket in the work dir) counts the connections to the redis cluster"
  echo "(Kuma 2: cluster 'redis'; Kuma 3: the MeshService's cluster 'kri_msvc_<mesh>_<zone>__redis_<port>'):"
  echo "  GET http://backend-vm:9901/ready -> $(docker exec "$PREFIX-cp" curl -sS --max-time 5 http://backend-vm:9901/ready)"
  docker exec "$PREFIX-backend-vm" curl -sS --unix-socket /var/lib/kuma-dp/backend-backend-vm-0/kuma-envoy-admin.sock \
    http://localhost/stats | grep -E '^cluster[.](redis|kri_msvc_[a-z0-9_-]*__redis_[0-9]+)[.]upstream_cx_total' | sed 's/^/  /'
}

down() {
  local h
  for h in "${HOSTS[@]}"; do docker rm -f "$PREFIX-$h" >/dev/null 2>&1 || true; done
  docker network rm "$NETWORK" >/dev/null 2>&1 || true
  log "demo containers and network removed"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) die "usage: $0 up|down" ;;
esac
