# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:

    # Connection options of every kuma.universal module. Set them once for a play with
    # module_defaults on the action group: group/kuma.universal.kuma.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the Kuma control-plane HTTP API.
      - The default reaches a control plane on the host the module runs on; on that host
        loopback callers are treated as admin by Kuma, so no token is needed there.
      - If not set, the environment variable E(KUMA_API_URL) is used.
    type: str
    default: http://127.0.0.1:5681
  api_token:
    description:
      - Bearer token (a Kuma user token, for example the admin token) sent as C(Authorization) header.
      - Needed only when the caller is not on the control plane's loopback.
      - If not set, the environment variable E(KUMA_API_TOKEN) is used.
      - Never written to the log or to any message.
    type: str
  ca_path:
    description:
      - CA bundle (PEM file) used to verify the control plane's certificate for an C(https) O(api_url).
      - If not set, the environment variable E(KUMA_CA_PATH) is used.
    type: path
  validate_certs:
    description:
      - Verify the control plane's TLS certificate. Set to V(false) only for throw-away tests.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP response.
      - Failed connections, HTTP 409 and 5xx answers are retried 3 times with exponential backoff.
    type: int
    default: 30
notes:
  - An API module - it talks to the Kuma control plane only, through the collection's one API client (with its
    retries and error mapping), from where the task runs (usually the control-plane host, on loopback). The
    collection's other plugins are host modules (run on a managed host, for example
    M(kuma.universal.dataplane_proxies), M(kuma.universal.install_probe)) and controller planning (filters and
    M(kuma.universal.rollout_plan)).
  - Every API module belongs to the action group C(kuma.universal.kuma), so the
    connection options can be set once with C(module_defaults) on C(group/kuma.universal.kuma).
requirements:
  - requests (Python library, on the host that runs the module)
"""
