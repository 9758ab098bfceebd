# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark candidate, NOT part of the collection: many Dataplanes in one module run.

Measures what the registration figures motivate: the sidecar role runs
kuma.universal.dataplane once per replica (one fork/exec of an AnsiballZ payload, one new
HTTP session each). This prototype takes the same per-Dataplane options as a list and
converges each one with the collection's own module_utils (same validation, same
managed-field compare, same PUT), sharing one client. It exists only in benchmarks/ so
that the proposal is measured before anyone changes the collection.
"""

from __future__ import annotations

from ansible_collections.kuma.universal.plugins.module_utils._api import KumaModule
from ansible_collections.kuma.universal.plugins.module_utils._dataplane_run import ensure_dataplane

ITEM_KEYS = ("name", "mesh", "state", "labels", "address", "advertised_address", "admin_port",
             "inbound", "outbound", "transparent_proxying", "gateway", "metrics", "probes")


class _One:
    """What ensure_dataplane reads from a KumaModule, for one list item."""

    def __init__(self, parent, params):
        self.params = params
        self.client = parent.client
        self.check_mode = parent.check_mode


def run_batch(kmod):
    results = []
    for item in kmod.params["dataplanes"]:
        params = {k: item.get(k) for k in ITEM_KEYS}
        params["mesh"] = params["mesh"] or "default"
        params["state"] = params["state"] or "present"
        results.append(ensure_dataplane(_One(kmod, params)))
    return {"changed": any(r.get("changed") for r in results),
            "results": [{"name": r["dataplane"].get("name"), "changed": r.get("changed")} for r in results]}


def main():
    KumaModule({"dataplanes": {"type": "list", "elements": "dict", "required": True}}).run(run_batch)


if __name__ == "__main__":
    main()
