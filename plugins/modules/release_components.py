#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: release_components
short_description: Cut a Kuma release archive into one compressed file per binary, on the controller
version_added: 0.1.0
description:
  - A data-plane host runs kuma-dp and Envoy, a control plane kuma-cp (and kumactl). The install role
    (C(kuma.universal.install)) runs this action once per batch of hosts, then ships each host only the
    compressed binaries it runs (C(install_components), through M(kuma.universal.install_binaries)) instead of the
    whole release.
  - Reads the release archive (C(<dir>/bin/<binary>) members, the layout of Kuma's releases) once per
    controller and archive, and writes each binary gzip-compressed, C(<binary>.gz), under
    C(<dest>/<first 20 hex of the archive's sha256>/), with C(manifest.json) recording the sha256 of each
    binary (checked on the host as it is decompressed) and of each compressed file (checked here
    on every use, so a truncated or altered cache entry is cut again, never shipped).
  - Refuses, naming it, an unknown binary, a release archive that is missing or unreadable, and a binary
    the archive lacks.
  - An action plugin that runs on the controller only (no connection to the host).
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.attributes.CONTROLLER_ACTION
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Writes nothing in check mode; RV(cut) lists what would be cut.
options:
  archive:
    description: Absolute path of the Kuma release archive (C(.tar.gz)) on the controller.
    type: path
    required: true
  components:
    description: The binaries wanted.
    type: list
    elements: str
    choices: [kuma-cp, kuma-dp, envoy, kumactl]
    required: true
  dest:
    description: Absolute path of the controller directory that keeps the compressed binaries (created 0755).
    type: path
    required: true
notes:
  - Internal to the install role; see its C(converge.yml).
"""

EXAMPLES = r"""
- name: Cut the release into one compressed file per binary
  kuma.universal.release_components:
    archive: /srv/kuma/kuma-2.14.3-linux-amd64.tar.gz
    components: [kuma-dp, envoy]
    dest: /root/.cache/kuma-universal/releases/components
  run_once: true
"""

RETURN = r"""
dir:
  description: The directory of the compressed binaries of this release archive.
  returned: success
  type: str
components:
  description:
    - For each binary of O(components) that is cut (all of them, outside check mode) C(path) (its small
      compressed file), C(sha256) and C(size) of the binary, C(archive_sha256) and C(archive_bytes) of the compressed file.
  returned: success
  type: dict
  sample:
    kuma-dp:
      path: /root/.cache/kuma-universal/releases/components/0d6c.../kuma-dp.gz
      sha256: 5f1e...
      size: 85741730
      archive_sha256: 9a07...
      archive_bytes: 24630384
cut:
  description: The binaries cut by this run (in check mode, that would be cut).
  returned: success
  type: list
  elements: str
"""
