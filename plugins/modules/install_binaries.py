#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: install_binaries
short_description: Ship Kuma binaries to a host, check each and put it in place
version_added: 0.1.0
description:
  - The install role's shipping of the binaries a host runs (C(kuma.universal.install)), in one task per host. The
    action sends the compressed binaries that M(kuma.universal.release_components) cut on the controller; on the
    host each is decompressed once into C(<release_dir>/.incoming/) while its sha256 is computed.
  - Only when every binary has the sha256 it was cut with are they renamed into C(<release_dir>/bin/) (mode 0755,
    owned by the module's user, root under become) and C(.incoming) removed. A binary that differs fails the task,
    naming it with both checksums, and nothing is placed, so C(bin/) only ever gets whole, checked binaries; what an
    interrupted earlier run left in C(.incoming) is removed first.
  - A binary already in C(bin/) with the wanted sha256 is left alone (the install role sends only the binaries its probe found missing).
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.attributes.HOST_MODULE
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Sends nothing; reports the binaries that are missing from C(bin/) or differ (RV(placed)).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  release_dir:
    description: The release's directory on the host, C(<kuma_prefix>/<kuma_version>).
    type: path
    required: true
  binaries:
    description:
      - Each binary's name and where its compressed file is, as RV(kuma.universal.release_components#module:components)
        returns them - C(path), a gzip file on the controller, and C(sha256), of the binary (64 hex digits).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Cut the release into one compressed file per binary, on the controller
  kuma.universal.release_components:
    archive: /srv/kuma/kuma-2.14.3-linux-amd64.tar.gz
    components: [kuma-dp, envoy]
    dest: /root/.cache/kuma-universal/releases/components
  register: cut
  run_once: true

- name: Ship kuma-dp and Envoy, check them and put them in place
  kuma.universal.install_binaries:
    release_dir: /opt/kuma/2.14.3
    binaries: "{{ cut.components }}"
"""

RETURN = r"""
placed:
  description: The binaries put in C(bin/) (in check mode, that would be), sorted.
  returned: success
  type: list
  elements: str
"""

import gzip
import hashlib
import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kuma.universal.plugins.module_utils._release import CHUNK, file_sha256 as sha256

INCOMING = ".incoming"


def needed(release_dir, binaries):
    """The binaries that bin/ lacks or has with another sha256."""
    out = []
    for name, entry in sorted(binaries.items()):
        path = os.path.join(release_dir, "bin", name)
        if not (os.path.isfile(path) and not os.path.islink(path) and sha256(path) == entry["sha256"]):
            out.append(name)
    return out


def directory(path, mode):
    """Make path (owned by the module's user, with mode) unless it is there as such."""
    if not (os.path.isdir(path) and not os.path.islink(path)):
        os.makedirs(path, mode=mode, exist_ok=True)
    os.chown(path, os.geteuid(), os.getegid())
    os.chmod(path, mode)


def unpack(src, dest):
    """Decompress src into dest (0700), returning the sha256 of what was written; None when src is unreadable."""
    digest = hashlib.sha256()
    try:
        with gzip.open(src, "rb") as packed, open(dest, "wb") as out:
            os.chmod(dest, 0o700)
            for chunk in iter(lambda: packed.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
    except (OSError, EOFError):
        return None
    return digest.hexdigest()


def place(module, release_dir, binaries, names):
    incoming = os.path.join(release_dir, INCOMING)
    for path in (release_dir, os.path.join(release_dir, "bin")):
        directory(path, 0o755)
    if os.path.lexists(incoming):
        if os.path.isdir(incoming) and not os.path.islink(incoming):
            shutil.rmtree(incoming)
        else:
            os.unlink(incoming)
    directory(incoming, 0o700)
    problems = []
    for name in names:
        got = unpack(binaries[name]["src"], os.path.join(incoming, name))
        if got != binaries[name]["sha256"]:
            problems.append("%s has %s, not %s" % (name, "sha256 " + got if got else "an unreadable file",
                                                   binaries[name]["sha256"]))
    if problems:
        shutil.rmtree(incoming, ignore_errors=True)
        module.fail_json(msg="nothing was put in place under %s/bin: %s. Run again." % (release_dir, "; ".join(problems)),
                         placed=[])
    for name in names:
        src = os.path.join(incoming, name)
        os.chmod(src, 0o755)
        os.rename(src, os.path.join(release_dir, "bin", name))
    shutil.rmtree(incoming, ignore_errors=True)


def check_args(module, release_dir, binaries):
    if not os.path.isabs(release_dir) or release_dir == "/":
        module.fail_json(msg="release_dir must be an absolute path below the root (<kuma_prefix>/<version>), got %r"
                             % release_dir)
    bad = sorted(name for name, entry in binaries.items()
                 if "/" in name or name in ("", ".", "..") or not isinstance(entry, dict)
                 or not isinstance(entry.get("sha256"), str) or len(entry["sha256"]) != 64
                 or entry["sha256"].strip("0123456789abcdef"))
    if bad or not binaries:
        module.fail_json(msg="binaries must map each binary's file name to its compressed file and sha256 "
                             "(64 lowercase hex digits); wrong: %s" % (", ".join(bad) or "(empty)"))


def main():
    module = AnsibleModule(
        argument_spec={
            "release_dir": {"type": "path", "required": True},
            # name -> {sha256, src: the compressed file on the host, sent by the action}
            "binaries": {"type": "dict", "required": True},
        },
        supports_check_mode=True,
    )
    release_dir = module.params["release_dir"].rstrip("/") or "/"
    binaries = module.params["binaries"]
    check_args(module, release_dir, binaries)
    names = needed(release_dir, binaries)
    if names and not module.check_mode:
        missing = [n for n in names if not binaries[n].get("src")]
        if missing:
            module.fail_json(msg="no compressed file was sent for %s (run this module through its action)"
                                 % ", ".join(missing))
        place(module, release_dir, binaries, names)
    module.exit_json(changed=bool(names), placed=names)


if __name__ == "__main__":
    main()
