# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Kuma release archive cut into one compressed file per binary, on the controller.

A data-plane host runs kuma-dp and Envoy, a control plane kuma-cp (and kumactl): the install
role ships each host only those (issue 23 item 3) instead of the whole release (about 120 MB
compressed, 400 MB unpacked). The release archive is read once per controller and version;
each binary goes, gzip-compressed, into ``<dest>/<sha256 of the archive, 20 hex>/<binary>.gz``,
and ``manifest.json`` beside them records the sha256 of each binary (which the host checks as it
unpacks it) and of each compressed file (checked here on every use, so a truncated or altered
cache entry is cut again, never shipped)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile

BINARIES = ("kuma-cp", "kuma-dp", "envoy", "kumactl")
MANIFEST = "manifest.json"
# <top directory>/bin/<binary>: the layout of Kuma's release archives (kuma-<version>/bin/...).
_MEMBER = re.compile(r"^(?:\./)?[^/]+/bin/([^/]+)$")
CHUNK = 1 << 20


class ReleaseError(Exception):
    """The archive cannot give what was asked for; the message names it."""


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Hashing:
    """A file object that hashes what is read through it."""

    def __init__(self, src):
        self.src, self.digest = src, hashlib.sha256()

    def read(self, size=-1):
        data = self.src.read(size)
        self.digest.update(data)
        return data


def compressed_name(name):
    return name + ".gz"


def _read_manifest(path):
    try:
        with open(path) as src:
            manifest = json.load(src)
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _write_atomic(directory, name, write):
    """Write <directory>/<name> through a temporary file renamed into place (0644)."""
    fd, tmp = tempfile.mkstemp(prefix="." + name + "-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.chmod(tmp, 0o644)
        os.replace(tmp, os.path.join(directory, name))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _usable(directory, name, entry):
    """Whether the cached compressed binary is there, whole and as recorded."""
    path = os.path.join(directory, compressed_name(name))
    return (isinstance(entry, dict) and {"sha256", "archive_sha256", "size"} <= set(entry)
            and os.path.isfile(path) and file_sha256(path) == entry["archive_sha256"])


def _cut(release, member, directory, name, compresslevel):
    """One binary of the open release archive into <directory>/<name>.gz; its manifest entry."""
    hashing = _Hashing(release.extractfile(member))

    def write(out):
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=compresslevel, mtime=member.mtime) as small:
            shutil.copyfileobj(hashing, small, CHUNK)

    _write_atomic(directory, compressed_name(name), write)
    path = os.path.join(directory, compressed_name(name))
    return {"sha256": hashing.digest.hexdigest(), "size": member.size,
            "archive_sha256": file_sha256(path), "archive_bytes": os.path.getsize(path)}


def components(archive, dest, names, build=True, compresslevel=6):
    """The compressed file of each binary in names, cut from the release archive on first use.

    Returns (directory, {name: {path, sha256, size, archive_sha256, archive_bytes}}, built):
    built lists the binaries cut in this call. With build=False nothing is written: built lists
    what would be cut and only the binaries already cached are returned. Raises ReleaseError
    naming what is wrong (an unknown binary, an unreadable archive, a binary it lacks)."""
    unknown = sorted(set(names) - set(BINARIES))
    if unknown:
        raise ReleaseError("unknown binaries %s; a Kuma release has %s" % (", ".join(unknown), ", ".join(BINARIES)))
    if not os.path.isfile(archive):
        raise ReleaseError("the release archive %s does not exist on the controller" % archive)
    directory = os.path.join(dest, file_sha256(archive)[:20])
    manifest = _read_manifest(os.path.join(directory, MANIFEST))
    binaries = manifest.get("binaries") if isinstance(manifest.get("binaries"), dict) else {}
    wanted = sorted(set(names))
    todo = [n for n in wanted if not (os.path.isdir(directory) and _usable(directory, n, binaries.get(n)))]
    if todo and build:
        os.makedirs(directory, mode=0o755, exist_ok=True)
        try:
            with tarfile.open(archive, "r:gz") as release:
                found = {}
                for member in release:
                    match = _MEMBER.match(member.name)
                    if match and member.isfile() and match.group(1) in todo and match.group(1) not in found:
                        found[match.group(1)] = _cut(release, member, directory, match.group(1), compresslevel)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ReleaseError("cannot read the release archive %s: %s" % (archive, exc)) from exc
        lacking = [n for n in todo if n not in found]
        if lacking:
            raise ReleaseError("the release archive %s has no bin/%s (a Kuma release has <dir>/bin/ with %s)"
                               % (archive, ", bin/".join(lacking), ", ".join(BINARIES)))
        # Re-read: another run may have cut other binaries meanwhile; keep its entries.
        current = _read_manifest(os.path.join(directory, MANIFEST)).get("binaries")
        merged = dict(current if isinstance(current, dict) else binaries, **found)
        _write_atomic(directory, MANIFEST, lambda out: out.write(
            json.dumps({"archive": os.path.basename(archive), "binaries": merged}, indent=1, sort_keys=True).encode()))
        binaries = merged
    ready = [n for n in wanted if n in binaries and (n not in todo or build)]
    result = {n: dict(binaries[n], path=os.path.join(directory, compressed_name(n))) for n in ready}
    return directory, result, todo
