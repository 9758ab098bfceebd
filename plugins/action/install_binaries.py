# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.install_binaries: send each compressed binary (cut on the controller by
release_components) to the host's temporary directory, then run the module once, which
decompresses, checks and places them. Check mode sends nothing."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = True
    _VALID_ARGS = frozenset(("release_dir", "binaries"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        binaries = self._task.args.get("binaries")
        if not isinstance(binaries, dict) or not binaries:
            raise AnsibleActionFail("install_binaries: binaries must be a non-empty dict of name: {path, sha256}, got %r"
                                    % (binaries,))
        sent = {}
        for name, entry in binaries.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str) or not os.path.isfile(entry["path"]):
                raise AnsibleActionFail("install_binaries: binaries.%s needs path, a compressed binary on the controller "
                                        "(release_components' components), got %r" % (name, entry))
            sent[name] = {"sha256": entry.get("sha256"), "src": ""}
        try:
            if not self._task.check_mode:
                tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
                for name, entry in binaries.items():
                    remote = self._connection._shell.join_path(tmpdir, "kuma-%s.gz" % name)
                    self._transfer_file(entry["path"], remote)
                    sent[name]["src"] = remote
                self._fixup_perms2([tmpdir] + [s["src"] for s in sent.values()])
            result.update(self._execute_module(
                module_name="kuma.universal.install_binaries",
                module_args={"release_dir": self._task.args.get("release_dir"), "binaries": sent},
                task_vars=task_vars))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
