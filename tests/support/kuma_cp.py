# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test harness: a real kuma-cp from the Kuma release archive, on loopback only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
KUMA_VERSION = os.environ.get("KUMA_VERSION", "2.14.3")

# Every port kuma-cp opens in zone mode, by the env var that moves it.
PORT_VARS = {
    "api": "KUMA_API_SERVER_HTTP_PORT",
    "api_https": "KUMA_API_SERVER_HTTPS_PORT",
    "dp_server": "KUMA_DP_SERVER_PORT",
    "diagnostics": "KUMA_DIAGNOSTICS_SERVER_PORT",
    "mads": "KUMA_MONITORING_ASSIGNMENT_SERVER_PORT",
    "inter_cp": "KUMA_INTER_CP_SERVER_PORT",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def terminate(proc: subprocess.Popen | None, timeout: float = 15) -> None:
    """SIGTERM a process the tests started (if it still runs), SIGKILL it after timeout."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def kuma_archive() -> Path:
    """The archive the test runner exported, else the one scripts/kuma-dist.sh makes."""
    path = os.environ.get("KUMA_ARCHIVE")
    if not path:
        path = subprocess.run(
            ["bash", str(ROOT / "scripts" / "kuma-dist.sh")],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    return Path(path)


def unpack(archive: Path, dest: Path) -> Path:
    """Unpack the release archive; returns its kuma-<version> directory."""
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="tar")
    (top,) = [p for p in dest.iterdir() if p.name.startswith("kuma-")]
    return top


class ControlPlane:
    """kuma-cp with the memory store, API on 127.0.0.1, every port picked free."""

    def __init__(self, kuma_dir: Path, work_dir: Path, env: dict[str, str] | None = None):
        self.kuma_dir = kuma_dir
        self.bin_dir = kuma_dir / "bin"
        self.work_dir = work_dir
        self.ports = {name: free_port() for name in PORT_VARS}
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.log_path = work_dir / "kuma-cp.log"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['api']}"

    @property
    def dp_server_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['dp_server']}"

    @property
    def https_url(self) -> str:
        # The self-signed certificate names localhost, not 127.0.0.1.
        return f"https://localhost:{self.ports['api_https']}"

    @property
    def ca_cert(self) -> str:
        """The CA the CP self-signs into its work dir (reused across restarts)."""
        return str(self.work_dir / "kuma-cp.crt")

    # Names the integration tests read.
    url = api_url
    dp_address = dp_server_url

    def env(self) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.work_dir),
            "KUMA_GENERAL_WORK_DIR": str(self.work_dir),
            "KUMA_API_SERVER_HTTP_INTERFACE": "127.0.0.1",
            "KUMA_API_SERVER_HTTPS_INTERFACE": "127.0.0.1",
            "KUMA_DIAGNOSTICS_SERVER_INTERFACE": "127.0.0.1",
        }
        env.update({var: str(self.ports[name]) for name, var in PORT_VARS.items()})
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60) -> "ControlPlane":
        self.work_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [str(self.bin_dir / "kuma-cp"), "run"],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT, cwd=str(self.work_dir),
        )
        log.close()
        deadline = time.monotonic() + timeout
        ready = f"http://127.0.0.1:{self.ports['diagnostics']}/ready"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kuma-cp exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if requests.get(ready, timeout=2).ok and requests.get(self.api_url, timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"kuma-cp not ready within {timeout}s:\n{self.tail()}")

    def stop(self) -> None:
        terminate(self.proc, timeout=30)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    # Independent reads and set-up, for assertions.
    def get(self, path: str):
        """The JSON at path, or None on 404."""
        response = requests.get(self.api_url + path, timeout=10)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def ensure_mesh(self, name: str = "default", timeout: float = 30) -> None:
        response = requests.put(f"{self.api_url}/meshes/{name}", json={"type": "Mesh", "name": name}, timeout=10)
        response.raise_for_status()
        # The mesh's dataplane-token signing key is created asynchronously.
        deadline = time.monotonic() + timeout
        while (self.get(f"/meshes/{name}/secrets") or {}).get("total", 0) == 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no signing key in mesh {name} after {timeout}s")
            time.sleep(0.3)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Toolchain:
    """The unpacked archive plus a scratch dir, removed at the end."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="kuma-test-"))
        self.kuma_dir = unpack(kuma_archive(), self.tmp)

    def bin(self, name: str) -> Path:
        return self.kuma_dir / "bin" / name

    def control_plane(self, name: str = "cp", env: dict[str, str] | None = None) -> ControlPlane:
        return ControlPlane(self.kuma_dir, self.tmp / name, env)

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
