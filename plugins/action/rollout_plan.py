# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.rollout_plan: check the roll-out settings of the data-plane hosts and write
them, on the controller, to the vars file the "Data planes" play of deploy_mesh loads (play
keywords such as serial are templated without a host, so inventory variables never reach them).
Runs in the controller process: no module, no connection (deploy_mesh runs it on every run)."""

from __future__ import annotations

import json
import os
import re
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

# A batch size: a positive number of hosts, or a percentage from 1% to 100%.
_BATCH = re.compile(r"^([1-9][0-9]*|([1-9][0-9]?|100)%)$")
_PERCENT = re.compile(r"^[0-9]+([.][0-9]+)?$")

ALLOWED = ("kuma_rollout_serial allows a positive number of hosts, a percentage such as '25%' (1 to 100), "
           "or a list of those (batch sizes, the last one repeated); kuma_rollout_max_fail_percentage allows "
           "a number from 0 to 100.")


_DIFFER = object()


def _one(values):
    """The value every host has, or _DIFFER."""
    distinct = {json.dumps(v, sort_keys=True) for v in values.values()}
    return next(iter(values.values())) if len(distinct) == 1 else _DIFFER


def _serial_ok(value):
    batches = value if isinstance(value, list) else [value]
    return bool(batches) and all(not isinstance(b, bool) and _BATCH.match(str(b)) for b in batches)


def _fail_ok(value):
    return not isinstance(value, bool) and bool(_PERCENT.match(str(value))) and float(value) <= 100


def _shown(values):
    """One value as JSON, or host: value for each host when they differ."""
    one = _one(values)
    return json.dumps(values if one is _DIFFER else one, sort_keys=True)


def check(serial, max_fail):
    """The plan {kuma_rollout_serial, kuma_rollout_max_fail_percentage}, or AnsibleActionFail
    naming both settings, what each host has when they differ, and what is allowed."""
    one_serial, one_fail = _one(serial), _one(max_fail)
    if _DIFFER in (one_serial, one_fail) or not _serial_ok(one_serial) or not _fail_ok(one_fail):
        raise AnsibleActionFail(
            "kuma_rollout_serial is %s and kuma_rollout_max_fail_percentage is %s. Each is one setting of the "
            "data-plane play, the same for every data-plane host (set it for the group kuma_dataplanes or all, "
            "or as an extra var). %s" % (_shown(serial), _shown(max_fail), ALLOWED))
    return {"kuma_rollout_serial": one_serial, "kuma_rollout_max_fail_percentage": one_fail}


def write(path, plan):
    """Replace the plan file in one step (0600 in a 0700 directory)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".rollout-", dir=directory)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(plan, out)  # JSON is YAML: vars_files reads it
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("serial", "max_fail_percentage", "path"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        for name in ("serial", "max_fail_percentage"):
            if not isinstance(args.get(name), dict) or not args[name]:
                raise AnsibleActionFail("rollout_plan: %s must be a non-empty dict of host: value" % name)
        if not isinstance(args.get("path"), str) or not os.path.isabs(args["path"]):
            raise AnsibleActionFail("rollout_plan: path must be an absolute path on the controller")
        plan = check(dict(args["serial"]), dict(args["max_fail_percentage"]))
        # Also in check mode: the controller's own plan, so that --check batches hosts the same way.
        write(args["path"], plan)
        result.update(changed=False, path=args["path"], **plan)
        return result
