# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.release_components: one compressed file per Kuma binary, cut on the controller
from the release archive, so that the install role ships each host only the binaries it runs.
Runs in the controller process: no module, no connection (the logic: module_utils/_release.py)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.kuma.universal.plugins.module_utils._release import BINARIES, ReleaseError, components


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("archive", "components", "dest"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        for name in ("archive", "dest"):
            if not isinstance(args.get(name), str) or not os.path.isabs(args[name]):
                raise AnsibleActionFail("release_components: %s must be an absolute path on the controller, got %r"
                                        % (name, args.get(name)))
        names = args.get("components")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise AnsibleActionFail("release_components: components must be a non-empty list of %s, got %r"
                                    % (", ".join(BINARIES), names))
        try:
            directory, built, todo = components(args["archive"], args["dest"], names, build=not self._task.check_mode)
        except ReleaseError as exc:
            raise AnsibleActionFail("release_components: %s" % exc) from exc
        result.update(changed=bool(todo), dir=directory, components=built, cut=todo)
        return result
