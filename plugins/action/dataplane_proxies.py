# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplane_proxies: the module, except for a read (step read) given a snapshot of the host
(option snapshot, as kuma.universal.install_probe took it earlier in the run): that read runs here, in the
controller, with the module's own code (module_utils/_proxies_host.py) against the snapshot
(module_utils/_proxies_fs.py) - no module run on the host. A snapshot older than snapshot_max_age seconds, or one
that cannot answer for certain (a path it did not read, a link on the way), is set aside and the module reads the
host as without one; RV(read_from) says which."""

from __future__ import annotations

import time

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.kuma.universal.plugins.module_utils._proxies_checks import ARGUMENT_SPEC
from ansible_collections.kuma.universal.plugins.module_utils._proxies_fs import SnapshotFs, SnapshotIncomplete
from ansible_collections.kuma.universal.plugins.module_utils._proxies_host import Host, run_step
from ansible_collections.kuma.universal.plugins.plugin_utils._module_action import ModuleAction

MODULE = "kuma.universal.dataplane_proxies"
SNAPSHOT_OPTIONS = ("snapshot", "snapshot_max_age")
PATH_OPTIONS = ("config_dir", "tokens_dir", "work_root", "unit_path", "edge_unit_path")


class _Failed(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


class _SnapshotModule:
    """What Host needs of AnsibleModule, for a read in the controller (check mode, nothing run on a host)."""

    def __init__(self, params, diff):
        self.params = params
        self.check_mode = True
        self._diff = diff
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)

    def fail_json(self, msg, **kwargs):
        raise _Failed(dict(kwargs, failed=True, msg=msg))

    def run_command(self, args, **kwargs):  # Host runs systemctl only out of check mode
        raise SnapshotIncomplete("would run %s" % args[0])


def read_snapshot(args, diff, now=None):
    """The module's result for args (step read with a snapshot) from the snapshot; SnapshotIncomplete when the
    snapshot cannot give it (too old, or a read it cannot answer for certain)."""
    snapshot = args.get("snapshot")
    validated = ArgumentSpecValidator(ARGUMENT_SPEC).validate({k: v for k, v in args.items() if k != "snapshot"})
    if validated.error_messages or not isinstance(snapshot, dict):
        # The module says the same, reading the host: it keeps one wording of the errors.
        raise SnapshotIncomplete("invalid options")
    # The controller would expand ~ and $VAR of a path option with its own environment, the host with its own.
    expanded = [k for k in PATH_OPTIONS if any(c in str(args.get(k) or "") for c in "~$")]
    if expanded:
        raise SnapshotIncomplete("%s would be expanded on the host" % ", ".join(expanded))
    params = validated.validated_parameters
    try:
        age = (time.time() if now is None else now) - float(snapshot.get("read_at"))
    except (TypeError, ValueError):
        raise SnapshotIncomplete("no time of its read (read_at)") from None
    if not 0 <= age <= params["snapshot_max_age"]:
        raise SnapshotIncomplete("taken %.0f s ago (snapshot_max_age: %d)" % (age, params["snapshot_max_age"]))
    # As AnsibleModule.exit_json: the values of the no_log options (a token or an edge's key given) masked wherever
    # they show.
    secrets = {x.get("token") for x in params["proxies"]} | {(x.get("edge") or {}).get("key") for x in params["proxies"]}
    secrets.discard(None)
    module = _SnapshotModule(params, diff)
    try:
        result = run_step(Host(module, SnapshotFs(snapshot)))
    except _Failed as failed:
        return remove_values(failed.result, secrets)
    if not diff:
        result.pop("diff")
    if module.warnings:
        result["warnings"] = module.warnings
    return remove_values(result, secrets)


class ActionModule(ModuleAction):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        # A snapshot this code cannot read (a bug, or one taken by another version of the collection): the host's own
        # read is the answer.
        if args.get("step") == "read" and args.get("snapshot") and self.answer_here(
                result, ("read_from", "snapshot"), lambda: read_snapshot(args, bool(self._task.diff)), SnapshotIncomplete,
                task_vars, "dataplane_proxies: the snapshot is set aside, the host is read: %s",
                "dataplane_proxies: the snapshot could not be read (%s), the host is read instead"):
            return result
        for name in SNAPSHOT_OPTIONS:
            args.pop(name, None)
        # (The snapshot's read above is synchronous even for an async task: there is no module to wait for.)
        result.update(self.run_module(MODULE, args, task_vars))
        if args.get("step") == "read":
            result["read_from"] = "host"
        return result
