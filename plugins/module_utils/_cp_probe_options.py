# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the control plane's read (module_utils/_cp_probe.py), apart from it: install_probe takes them on
every host of the mesh, and imports the read (the API client, requests) only on a host read as a control plane (its
payload carries it all the same: AnsiballZ packs a function's imports too)."""

from __future__ import annotations


def cp_probe_options():
    """The read's options (control_plane_probe's, install_probe's cp_snapshot suboptions): a new dict each call."""
    return {
        "binary": {"type": "str", "required": True},
        "diagnostics_url": {"type": "str", "default": "http://127.0.0.1:5680"},
        "api_url": {"type": "str", "default": "http://127.0.0.1:5681"},
        "meshes": {"type": "list", "elements": "str", "default": []},
        "cert": {"type": "str", "default": ""},
        "unit": {"type": "str", "default": "kuma-cp.service"},
        "paths": {"type": "list", "elements": "str", "default": []},
        "timeout": {"type": "int", "default": 5},
    }
