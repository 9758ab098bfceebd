# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An action plugin of the collection run without a host: the module runs it would make are recorded (and answered
with a given result), its warnings too."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def action_run(monkeypatch):
    """action_run(action_module, module_result, check_mode) -> (run(task_args, async_val=0) -> result, module args
    sent, warnings)."""
    from ansible.plugins.action import ActionBase

    from ansible_collections.kuma.universal.plugins.plugin_utils import _module_action

    def make(action, module_result, check_mode=False):
        sent, warned = [], []
        plugin = action.ActionModule.__new__(action.ActionModule)
        monkeypatch.setattr(ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
        monkeypatch.setattr(plugin, "_execute_module", lambda module_name, module_args, task_vars, wrap_async: (
            sent.append(module_args) or dict(module_result)), raising=False)
        monkeypatch.setattr(plugin, "_remove_tmp_path", lambda path: None, raising=False)
        plugin._connection = SimpleNamespace(has_native_async=False, _shell=SimpleNamespace(tmpdir=None))
        monkeypatch.setattr(_module_action.display, "warning", warned.append)

        def run(task_args, async_val=0):
            plugin._task = SimpleNamespace(args=task_args, diff=False, async_val=async_val, check_mode=check_mode)
            return plugin.run(task_vars={"inventory_hostname": "h1"})
        return run, sent, warned
    return make
