# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the input error every layer raises, and the URL path segment quoting, without the HTTP client.

The module_utils the controller-side filters use (planner, batches, Kuma 3 shapes) import them from here; _api.py
(the client, with requests and AnsibleModule) imports KumaInputError from here too, so the modules may keep taking it
from _api. Importing _api from a filter loaded requests and ansible.module_utils.basic into every Ansible worker that
used the filter: about 0.2 s of imports per host and task. Not a public interface.
"""

from __future__ import annotations

from urllib.parse import quote


class KumaInputError(Exception):
    """Input rejected; each entry names a field. Nothing is changed: raised before any write,
    or after a write that was then undone (a field the control plane did not keep)."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(self.message)

    @property
    def message(self):
        if len(self.errors) == 1:
            return "Invalid input: %s" % self.errors[0]
        return "Invalid input (%d problems): %s" % (len(self.errors), "; ".join(self.errors))

    def to_result(self):
        return {"msg": self.message, "errors": self.errors}


def quote_segment(value):
    """One URL path segment (a name or a mesh), with '/' escaped too."""
    return quote(str(value), safe="")
