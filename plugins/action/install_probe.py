# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.install_probe: the module, and the controller's time of its read stamped on the snapshot of the
host's proxies (dp_snapshot.read_at: when the module run started, so that its age is never understated), by which
kuma.universal.dataplane_proxies tells how old it is (a clock of one machine: the host's may differ), and on the read
of the control plane (cp_snapshot.read_at), by which the control_plane role does."""

from __future__ import annotations

import time

from ansible_collections.kuma.universal.plugins.plugin_utils._module_action import ModuleAction


class ActionModule(ModuleAction):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        started = time.time()  # the read is no older than this
        result.update(self.run_module("kuma.universal.install_probe", self._task.args, task_vars))
        for snapshot in ("dp_snapshot", "cp_snapshot"):
            if isinstance(result.get(snapshot), dict):
                result[snapshot]["read_at"] = started
        return result
