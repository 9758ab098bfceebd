# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.install_probe: the module, and the controller's time of its read stamped on the snapshot of the
host's proxies (dp_snapshot.read_at), by which kuma.universal.dataplane_proxies tells how old it is (a clock of
one machine: the host's may differ)."""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(module_name="kuma.universal.install_probe", module_args=self._task.args,
                                           task_vars=task_vars))
        if isinstance(result.get("dp_snapshot"), dict):
            result["dp_snapshot"]["read_at"] = time.time()
        return result
