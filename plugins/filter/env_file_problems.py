# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller planning: what systemd would read as syntax in an environment file's entries (the
control_plane role's preflight checks kuma-cp.env with it; the dataplane_proxies module checks the
kuma-dp env files with the same rule, module_utils/_proxies_checks.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.module_utils._proxies_checks import check_env


def env_file_problems(entries, field):
    """The filter: see plugins/filter/env_file_problems.yml. Never repeats a value."""
    if entries is None:
        return []
    if not isinstance(entries, dict):
        raise AnsibleFilterError("kuma.universal.env_file_problems: %s must be a mapping of names to values" % field)
    errors = []
    check_env(str(field), entries, errors)
    return errors


class FilterModule:
    def filters(self):
        return {"env_file_problems": env_file_problems}
