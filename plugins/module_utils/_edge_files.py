# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: where a gateway's Envoy edge keeps its files on a host. Apart from _gateway.py (which renders the
edge and imports the Kuma 3 and schema helpers) so that the host module kuma.universal.dataplane_proxies, run on
every data-plane host, loads only what it uses. Not a public interface.
"""

from __future__ import annotations

EDGE_DIR = "edge"


def edge_paths(config_dir, name):
    """Where the edge of proxy name keeps its files (the dataplane_proxies module writes them)."""
    base = "%s/%s/%s" % (config_dir.rstrip("/"), EDGE_DIR, name)
    return {"config": base + ".json", "certificate": base + ".crt", "key": base + ".key"}
