# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The message of the first failing check of a list of checks, in order; the checks after it are not worked out."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def first_failure(checks):
    """The filter: see plugins/filter/first_failure.yml."""
    if isinstance(checks, (str, Mapping)) or not hasattr(checks, "__iter__"):
        raise AnsibleFilterError("first_failure: the input must be a list of checks ({ok, msg}), got %s"
                                 % type(checks).__name__)
    for index, check in enumerate(checks):
        # Each check's ok is worked out (templated) only now, in order: none after the first that fails.
        if not isinstance(check, Mapping) or "ok" not in check or "msg" not in check:
            raise AnsibleFilterError("first_failure: check %d must be a mapping with ok and msg" % index)
        ok = check["ok"]
        if not isinstance(ok, bool):
            raise AnsibleFilterError("first_failure: check %d: ok must be a boolean, got %r" % (index, ok))
        if not ok:
            return str(check["msg"]).strip()
    return ""


class FilterModule:
    def filters(self):
        return {"first_failure": first_failure}
