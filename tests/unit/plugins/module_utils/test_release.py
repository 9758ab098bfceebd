# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release archive cut into one small archive per binary (module_utils/_release.py, the
action kuma.universal.release_components): what each small archive holds, the recorded
checksums, the cache (nothing cut twice, a damaged entry cut again) and the refusals."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile

import pytest

from ansible_collections.kuma.universal.plugins.module_utils import _release

BODIES = {name: (name.encode() + b"\0") * (1000 + i * 37) for i, name in enumerate(_release.BINARIES)}


def release(path, names=_release.BINARIES, top="kuma-9.9.9"):
    with tarfile.open(path, "w:gz") as out:
        for extra in ("LICENSE", "conf/kuma-cp.defaults.yaml"):
            info = tarfile.TarInfo("%s/%s" % (top, extra))
            info.size = 3
            out.addfile(info, io.BytesIO(b"abc"))
        for name in names:
            info = tarfile.TarInfo("%s/bin/%s" % (top, name))
            info.size, info.mode = len(BODIES[name]), 0o755
            out.addfile(info, io.BytesIO(BODIES[name]))
    return str(path)


def body(path):
    with gzip.open(path) as small:
        return small.read()


def test_each_binary_alone_with_its_checksums(tmp_path):
    archive = release(tmp_path / "kuma.tar.gz")
    directory, got, cut = _release.components(archive, str(tmp_path / "cache"), ["kuma-dp", "envoy"])
    assert cut == ["envoy", "kuma-dp"] and sorted(got) == ["envoy", "kuma-dp"]
    assert os.path.basename(directory) == _release.file_sha256(archive)[:20]
    for name, entry in got.items():
        assert entry["path"].endswith("/%s.gz" % name) and body(entry["path"]) == BODIES[name]
        assert entry["sha256"] == hashlib.sha256(BODIES[name]).hexdigest()
        assert entry["size"] == len(BODIES[name])
        assert entry["archive_sha256"] == _release.file_sha256(entry["path"])
        assert entry["archive_bytes"] == os.path.getsize(entry["path"])
    # Only what was asked for: no kuma-cp, no kumactl.
    assert sorted(os.listdir(directory)) == ["envoy.gz", "kuma-dp.gz", "manifest.json"]


def test_nothing_cut_twice_and_the_manifest_keeps_earlier_binaries(tmp_path):
    archive, cache = release(tmp_path / "kuma.tar.gz"), str(tmp_path / "cache")
    _release.components(archive, cache, ["kuma-dp"])
    stamp = os.stat(os.path.join(cache, _release.file_sha256(archive)[:20], "kuma-dp.gz")).st_mtime_ns
    directory, got, cut = _release.components(archive, cache, ["kuma-dp", "kuma-cp"])
    assert cut == ["kuma-cp"] and sorted(got) == ["kuma-cp", "kuma-dp"]
    assert os.stat(got["kuma-dp"]["path"]).st_mtime_ns == stamp
    manifest = json.load(open(os.path.join(directory, _release.MANIFEST)))
    assert sorted(manifest["binaries"]) == ["kuma-cp", "kuma-dp"]
    assert _release.components(archive, cache, ["kuma-cp", "kuma-dp"])[2] == []


def test_a_damaged_cache_entry_is_cut_again(tmp_path):
    archive, cache = release(tmp_path / "kuma.tar.gz"), str(tmp_path / "cache")
    got = _release.components(archive, cache, ["envoy"])[1]
    with open(got["envoy"]["path"], "r+b") as small:
        small.truncate(10)
    again = _release.components(archive, cache, ["envoy"])
    assert again[2] == ["envoy"]
    assert body(again[1]["envoy"]["path"]) == BODIES["envoy"]


def test_another_archive_gets_its_own_directory(tmp_path):
    cache = str(tmp_path / "cache")
    one = _release.components(release(tmp_path / "a.tar.gz"), cache, ["kuma-dp"])[0]
    other = _release.components(release(tmp_path / "b.tar.gz", top="kuma-9.9.10"), cache, ["kuma-dp"])[0]
    assert one != other and sorted(os.listdir(cache)) == sorted([os.path.basename(one), os.path.basename(other)])


def test_without_build_nothing_is_written(tmp_path):
    archive, cache = release(tmp_path / "kuma.tar.gz"), str(tmp_path / "cache")
    directory, got, cut = _release.components(archive, cache, ["kuma-dp"], build=False)
    assert (got, cut) == ({}, ["kuma-dp"]) and not os.path.exists(directory)
    _release.components(archive, cache, ["kuma-dp"])
    assert _release.components(archive, cache, ["kuma-dp", "envoy"], build=False)[1:] == (
        {"kuma-dp": _release.components(archive, cache, ["kuma-dp"])[1]["kuma-dp"]}, ["envoy"])


@pytest.mark.parametrize("names, archive_names, message", [
    (["kuma-dp", "coredns"], _release.BINARIES, "unknown binaries coredns; a Kuma release has kuma-cp, kuma-dp, envoy, kumactl"),
    (["kuma-dp", "envoy"], ("kuma-cp", "kuma-dp"), "has no bin/envoy"),
])
def test_refusals_name_the_binary(tmp_path, names, archive_names, message):
    archive = release(tmp_path / "kuma.tar.gz", names=archive_names)
    with pytest.raises(_release.ReleaseError, match=message.replace(".", "[.]")):
        _release.components(archive, str(tmp_path / "cache"), names)


def test_missing_and_unreadable_archives_are_named(tmp_path):
    with pytest.raises(_release.ReleaseError, match="does not exist on the controller"):
        _release.components(str(tmp_path / "none.tar.gz"), str(tmp_path / "cache"), ["kuma-dp"])
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tar archive")
    with pytest.raises(_release.ReleaseError, match="cannot read the release archive .*bad.tar.gz"):
        _release.components(str(bad), str(tmp_path / "cache"), ["kuma-dp"])
