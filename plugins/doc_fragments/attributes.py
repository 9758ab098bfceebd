# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # Entity modules: check mode reads and compares, skipping only the write; diff shows
    # the managed fields that change.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads and compares like a real run; only the write (PUT, DELETE, POST) is skipped.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The diff holds only the managed fields that change, as C(before) and C(after).
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
  action_group:
    description: Use C(group/kuma.universal.kuma) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - kuma.universal.kuma
"""

    # Read-only modules.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    description: This action does not modify state.
    support: full
  action_group:
    description: Use C(group/kuma.universal.kuma) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - kuma.universal.kuma
"""

    # Read-only modules that run on a managed host (not API clients: no action group).
    HOST_INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
    details:
      - This action does not modify state.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
"""

    # Actions that run on the controller only (no connection to a host); check mode is each one's own.
    CONTROLLER_ACTION = r"""
options: {}
attributes:
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
    details:
      - Runs on the controller only.
"""

    # Modules that change a managed host (files, units); check and diff mode are each one's own.
    HOST_MODULE = r"""
options: {}
attributes:
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
"""
