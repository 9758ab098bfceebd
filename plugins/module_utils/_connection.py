# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the connection options every API module shares (doc fragment kuma.universal.connection). Apart from the
client (_api.py), which imports requests: an action plugin validates a task's options with them in the controller.
Not a public interface."""

from __future__ import annotations

from ansible.module_utils.common.parameters import env_fallback

DEFAULT_API_URL = "http://127.0.0.1:5681"
DEFAULT_TIMEOUT = 30


def connection_argument_spec():
    """Connection options shared by every module (doc fragment kuma.universal.connection)."""
    return {
        "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_fallback, ["KUMA_API_URL"])},
        "api_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["KUMA_API_TOKEN"])},
        "ca_path": {"type": "path", "fallback": (env_fallback, ["KUMA_CA_PATH"])},
        "validate_certs": {"type": "bool", "default": True},
        "timeout": {"type": "int", "default": DEFAULT_TIMEOUT},
    }
