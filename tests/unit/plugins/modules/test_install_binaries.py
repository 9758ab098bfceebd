# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.install_binaries (the module's half, on the host): each compressed binary
decompressed and checked, bin/ gets all or none, what an interrupted run left is cleared, a
binary already in place is left alone, check mode changes nothing, bad arguments are named."""

from __future__ import annotations

import gzip
import hashlib
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.kuma.universal.plugins.modules import install_binaries


def run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit) as done:
        install_binaries.main()
    return done.value.code, json.loads(capsys.readouterr().out)


def sent(tmp_path, **bodies):
    """{name: {src, sha256}} as the action hands them over: gzip files in its temporary directory."""
    out = {}
    for name, body in bodies.items():
        src = tmp_path / ("kuma-%s.gz" % name)
        with gzip.open(src, "wb") as packed:
            packed.write(body)
        out[name] = {"src": str(src), "sha256": hashlib.sha256(body).hexdigest()}
    return out


def test_places_every_checked_binary_then_changes_nothing(tmp_path, capsys):
    release = tmp_path / "opt" / "2.14.3"
    binaries = sent(tmp_path, **{"kuma-dp": b"dp" * 1000, "envoy": b"envoy"})
    code, out = run(capsys, release_dir=str(release), binaries=binaries)
    assert code == 0 and out["changed"] and out["placed"] == ["envoy", "kuma-dp"]
    assert sorted(os.listdir(release / "bin")) == ["envoy", "kuma-dp"]
    assert (release / "bin" / "kuma-dp").read_bytes() == b"dp" * 1000
    assert os.stat(release / "bin" / "envoy").st_mode & 0o777 == 0o755
    assert os.stat(release).st_mode & 0o777 == 0o755 and not (release / ".incoming").exists()
    again = run(capsys, release_dir=str(release), binaries=binaries)[1]
    assert (again["changed"], again["placed"]) == (False, [])


def test_one_bad_binary_places_none_and_names_it(tmp_path, capsys):
    release = tmp_path / "2.14.3"
    binaries = sent(tmp_path, **{"kuma-dp": b"dp", "envoy": b"envoy"})
    binaries["envoy"]["sha256"] = "0" * 64
    (tmp_path / "broken.gz").write_bytes(b"not gzip")
    binaries["kumactl"] = {"src": str(tmp_path / "broken.gz"), "sha256": "1" * 64}
    code, out = run(capsys, release_dir=str(release), binaries=binaries)
    assert code == 1
    assert "envoy has sha256 %s, not %s" % (hashlib.sha256(b"envoy").hexdigest(), "0" * 64) in out["msg"]
    assert "kumactl has an unreadable file" in out["msg"]
    assert os.listdir(release / "bin") == [] and not (release / ".incoming").exists()


def test_what_an_interrupted_run_left_is_cleared(tmp_path, capsys):
    release = tmp_path / "2.14.3"
    (release / ".incoming").mkdir(parents=True)
    (release / ".incoming" / "kuma-dp").write_bytes(b"half a bin")
    (release / ".incoming" / "stray").write_bytes(b"x")
    code, out = run(capsys, release_dir=str(release), binaries=sent(tmp_path, **{"kuma-dp": b"dp"}))
    assert code == 0 and (release / "bin" / "kuma-dp").read_bytes() == b"dp" and not (release / ".incoming").exists()


def test_a_binary_that_differs_in_bin_is_replaced(tmp_path, capsys):
    release = tmp_path / "2.14.3"
    (release / "bin").mkdir(parents=True)
    (release / "bin" / "kuma-dp").write_bytes(b"old")
    code, out = run(capsys, release_dir=str(release), binaries=sent(tmp_path, **{"kuma-dp": b"new"}))
    assert code == 0 and out["placed"] == ["kuma-dp"] and (release / "bin" / "kuma-dp").read_bytes() == b"new"


def test_check_mode_changes_nothing(tmp_path, capsys):
    release = tmp_path / "2.14.3"
    binaries = {name: dict(entry, src="") for name, entry in sent(tmp_path, **{"kuma-dp": b"dp"}).items()}
    code, out = run(capsys, release_dir=str(release), binaries=binaries, _ansible_check_mode=True)
    assert code == 0 and out["changed"] and out["placed"] == ["kuma-dp"] and not release.exists()


@pytest.mark.parametrize("args, message", [
    ({"release_dir": "/"}, "release_dir must be an absolute path below the root"),
    ({"release_dir": "relative/2.14.3"}, "release_dir must be an absolute path"),
    ({"binaries": {"../kuma-dp": {"src": "/x", "sha256": "0" * 64}}}, "wrong: ../kuma-dp"),
    ({"binaries": {"kuma-dp": {"src": "/x", "sha256": "ABC"}}}, "wrong: kuma-dp"),
    ({"binaries": {}}, "wrong: (empty)"),
    ({"binaries": {"kuma-dp": {"sha256": "0" * 64}}}, "no compressed file was sent for kuma-dp"),
])
def test_bad_arguments_are_named(tmp_path, capsys, args, message):
    code, out = run(capsys, **dict({"release_dir": str(tmp_path / "r"), "binaries": {}}, **args))
    assert code == 1 and message in out["msg"]
