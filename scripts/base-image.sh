#!/usr/bin/env bash
# Build (once) the systemd "VM" image used by every molecule scenario, the demo and the
# benchmarks. No registry is reachable from these machines, so the image is bootstrapped
# from Debian's own mirror with debootstrap and imported. The tag carries a hash of this
# recipe: the image is rebuilt only when the recipe changes.
# Prints the image reference on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SUITE=bookworm
# Everything a scenario needs on its "VMs": systemd as PID 1, Python for Ansible (with
# requests, which the API modules need on the control-plane host), and the
# real services the tests put in the mesh (Redis, PostgreSQL), disabled until a play
# starts them; iptables (the transparent proxy) and nftables (the control plane's firewall).
PACKAGES=systemd,systemd-sysv,dbus,python3,python3-requests,ca-certificates,iproute2,procps,curl,sudo,redis-server,postgresql,iptables,nftables,netcat-openbsd

# The recipe is this script without its comments and log lines: editing those rebuilds nothing.
recipe_hash=$( (grep -v -e "^ *#" -e "^ *log " -e "^IMAGE=" "$0"; echo "$SUITE $PACKAGES") | sha256sum | cut -c1-12)
# KU_VM_IMAGE_REPO: another repository name builds the image anew (a fresh-machine run).
IMAGE="${KU_VM_IMAGE_REPO:-kuma-universal/vm}:${SUITE}-${recipe_hash}"

bash "$(dirname "$0")/docker-engine.sh"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE"
  exit 0
fi

mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
mirror=${mirror:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)}
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list(.d)"
command -v debootstrap >/dev/null 2>&1 || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
}

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/ku-rootfs.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
log "debootstrap $SUITE from $mirror into $rootfs (about a minute)"
# Progress every 15 s (the last step debootstrap logged), so a cold run is never silent.
(while sleep 15; do
   [ -f "$rootfs.log" ] && log "debootstrap: $(grep '^I: ' "$rootfs.log" | tail -1 | cut -c4-)"
 done) &
progress=$!
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { kill "$progress" 2>/dev/null; tail -30 "$rootfs.log" >&2; die "debootstrap failed"; }
kill "$progress" 2>/dev/null || true
rm -f "$rootfs.log"

# A VM image, not a service image: the services the tests need start only when a play
# asks; units that cannot work in a container are masked.
for unit in redis-server postgresql; do
  chroot "$rootfs" systemctl disable "$unit" >/dev/null 2>&1 || true
done
for unit in systemd-udevd systemd-udevd-control.socket systemd-udevd-kernel.socket \
            getty.target console-getty.service systemd-logind systemd-remount-fs \
            sys-kernel-config.mount sys-kernel-debug.mount; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit" 2>/dev/null || true
done
# apt inside a "VM" keeps Debian's own mirror configuration.
echo "deb $mirror $SUITE main" > "$rootfs/etc/apt/sources.list"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

log "importing $IMAGE"
tar -C "$rootfs" -c . | docker import \
  -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
  - "$IMAGE" >/dev/null
echo "$IMAGE"
