# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module run pays before its first line of work: interpreter start-up and imports.

Each statement runs in a fresh interpreter (as every loop item of an Ansible task does);
the minimum over the samples is kept (the least disturbed run on a shared machine).
"""

from __future__ import annotations

import subprocess

from common import VENV_BIN, machine, now, write_json

STATEMENTS = {
    "python start-up only": "pass",
    "ansible.module_utils.basic": "import ansible.module_utils.basic",
    "basic + ansible.module_utils.urls (stdlib HTTP)": "import ansible.module_utils.basic, ansible.module_utils.urls",
    "basic + requests (the collection's client)": "import ansible.module_utils.basic, requests",
}


def main() -> None:
    out = {"machine": machine(), "samples": 10, "seconds_min": {}}
    for label, stmt in STATEMENTS.items():
        best = float("inf")
        for _sample in range(10):
            t0 = now()
            subprocess.run([str(VENV_BIN / "python"), "-c", stmt], check=True, timeout=60)
            best = min(best, now() - t0)
        out["seconds_min"][label] = best
        print(f"  {label:50s} {best * 1000:7.1f} ms", flush=True)
    print(write_json("imports", out))


if __name__ == "__main__":
    main()
