# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Internal: the base of an action plugin that runs its module (mostly) as Ansible's normal action does, check mode
and async included. Not a public interface."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


class ModuleAction(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def run_module(self, module_name, module_args, task_vars):
        """The module's result, run as the normal action runs one (async when the task asks)."""
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = self._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars,
                                      wrap_async=wrap_async)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def answer_here(self, result, mark, answer, incomplete, task_vars, set_aside, unusable):
        """Whether answer(), run in the controller, answered: then result holds it, and mark (key, value) says so. Not
        when answer raised incomplete (the controller cannot answer for certain; set_aside % the reason, shown at -vv)
        or failed (unusable % the error's type, a warning: never its text, the task's arguments may hold secrets); the
        caller then runs the module. Never for an async task: Ansible waits for a job of the module's run."""
        if self._task.async_val:
            return False
        try:
            result.update(answer())
        except incomplete as exc:
            display.vv(set_aside % exc, host=task_vars.get("inventory_hostname") if task_vars else None)
            return False
        except Exception as exc:  # pylint: disable=broad-exception-caught
            display.warning(unusable % type(exc).__name__)
            return False
        result[mark[0]] = mark[1]
        return True
