# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scripts/kuma-dist.sh builds nothing from a Kuma module whose checksum is not the pinned
one: a copy of ../shared/goproxy with one byte changed stops it, naming the module and
both checksums (and it is an error, exit 1, never "not obtainable", exit 3)."""
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from support.kuma_cp import ROOT

MODULE = "github.com/kumahq/kuma/v2"
VERSION = "2.14.3"
PINNED = "h1:cMRJfbkq4RDVpjotwLvtq3/9ANnBEA5tNcuo7wpbudE="
GOPROXY = Path(os.environ.get("KUMA_GOPROXY_DIR", ROOT.parent / "shared" / "goproxy"))
ZIP = GOPROXY / MODULE / "@v" / f"v{VERSION}.zip"

pytestmark = pytest.mark.skipif(not ZIP.is_file(), reason=f"no file proxy with Kuma at {ZIP}")


def fake_proxy(tmp_path: Path) -> Path:
    """The file proxy's entry for Kuma, copied (the other modules are not reached)."""
    dest = tmp_path / "goproxy" / MODULE / "@v"
    shutil.copytree(ZIP.parent, dest)
    for path in dest.iterdir():
        path.chmod(0o644)
    return tmp_path / "goproxy"


def dist_env(tmp_path: Path, proxy: Path, **extra) -> dict:
    """A build from the given proxy into an empty cache: no archive or binaries given."""
    env = dict(os.environ, KUMA_VERSION=VERSION, KUMA_GOPROXY_DIR=str(proxy),
               KUMA_UNIVERSAL_CACHE=str(tmp_path / "cache"), **extra)
    for given in ("KUMA_ARCHIVE", "KUMA_BIN_DIR"):  # the test runner exports KUMA_ARCHIVE
        env.pop(given, None)
    return env


def run_dist(tmp_path: Path, proxy: Path) -> subprocess.CompletedProcess:
    env = dist_env(tmp_path, proxy)
    return subprocess.run(["bash", str(ROOT / "scripts" / "kuma-dist.sh")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def assert_refused(run: subprocess.CompletedProcess, found_prefix: str) -> None:
    assert run.returncode == 1, (run.returncode, run.stderr)
    assert run.stdout == ""
    assert f"checksum mismatch for {MODULE}@v{VERSION}" in run.stderr, run.stderr
    assert f"pinned: {PINNED}" in run.stderr, run.stderr
    found = [line for line in run.stderr.splitlines() if line.strip().startswith("found:")]
    assert found and found[0].split("found:")[1].strip().startswith(found_prefix), run.stderr
    assert PINNED not in found[0]
    assert "building" not in run.stderr


def test_one_byte_changed_in_the_zip_stops_the_build(tmp_path):
    proxy = fake_proxy(tmp_path)
    zip_path = proxy / MODULE / "@v" / f"v{VERSION}.zip"
    data = bytearray(zip_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    zip_path.write_bytes(bytes(data))
    assert_refused(run_dist(tmp_path, proxy), "unreadable zip, sha256 ")


def test_one_byte_changed_in_a_source_file_stops_the_build(tmp_path):
    # A well-formed zip whose content differs by one byte: the h1: hash differs.
    proxy = fake_proxy(tmp_path)
    zip_path = proxy / MODULE / "@v" / f"v{VERSION}.zip"
    target = f"{MODULE}@v{VERSION}/mk/dev.mk"
    with zipfile.ZipFile(ZIP) as src, zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == target:
                body = body.replace(b"ENVOY_VERSION ?= 1.38.2", b"ENVOY_VERSION ?= 1.38.3")
            dst.writestr(info, body)
    assert_refused(run_dist(tmp_path, proxy), "h1:")


def test_the_published_zip_passes_the_check(tmp_path):
    """The same check on the untouched copy: it goes past the checksum (and then fails
    only because this fake proxy has no dependency modules and no network fallback)."""
    proxy = fake_proxy(tmp_path)
    env = dist_env(tmp_path, proxy, GOPROXY="off")
    run = subprocess.run(["bash", str(ROOT / "scripts" / "kuma-dist.sh")], env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert "checksum mismatch" not in run.stderr, run.stderr
    assert f"fetching {MODULE}@v{VERSION}" in run.stderr, run.stderr
