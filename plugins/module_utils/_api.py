# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal client for the Kuma control-plane HTTP API and the shared module plumbing.

Not a public interface: names may change between releases of the collection.
"""

from __future__ import annotations

import re
import time
import traceback
from urllib.parse import parse_qs, urlsplit

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.kuma.universal.plugins.module_utils._connection import (
    DEFAULT_API_URL, DEFAULT_TIMEOUT, connection_argument_spec,
)
from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError

try:
    import requests
except ImportError:  # pragma: no cover - exercised only on hosts without requests
    requests = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
# 409: concurrent update of the same entity; 5xx: the CP restarting or its store busy.
RETRY_STATUSES = frozenset((409, 500, 502, 503, 504))
PAGE_SIZE = 1000


class KumaApiError(Exception):
    """One failed API call: what was asked, what the control plane answered.

    Never carries request headers, so the bearer token cannot leak through it.
    """

    def __init__(self, method, path, status=None, title=None, detail=None, invalid_parameters=None):
        self.method = method
        self.path = path
        self.status = status
        self.title = title or ""
        self.detail = detail or ""
        self.invalid_parameters = list(invalid_parameters or [])
        super().__init__(self.message)

    @property
    def message(self):
        where = "%s %s" % (self.method, self.path)
        what = "HTTP %s" % self.status if self.status is not None else "no response:"
        text = "Kuma API %s failed: %s" % (where, what)
        if self.title:
            text += " %s" % self.title
        if self.detail and self.detail != self.title:
            text += " (%s)" % self.detail
        if self.invalid_parameters:
            text += ": " + "; ".join(
                "%s: %s" % (p.get("field", ""), p.get("reason", "")) for p in self.invalid_parameters
            )
        return text

    def to_result(self):
        """Fields for module.fail_json (msg included)."""
        return {
            "msg": self.message,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "title": self.title,
            "detail": self.detail,
            "invalid_parameters": self.invalid_parameters,
        }


def _error_from_response(method, path, response):
    status = response.status_code
    title = detail = ""
    invalid = []
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        title = str(body.get("title") or "")
        detail = str(body.get("detail") or body.get("details") or "")
        for item in body.get("invalid_parameters") or []:
            invalid.append({"field": str(item.get("field", "")), "reason": str(item.get("reason", ""))})
        if not invalid:
            for item in body.get("causes") or []:
                invalid.append({"field": str(item.get("field", "")), "reason": str(item.get("message", ""))})
    else:
        text = (response.text or "").strip()
        title = response.reason or ""
        detail = text[:500]
    return KumaApiError(method, path, status, title, detail, invalid)


def check_api_url(api_url):
    """The API base URL without its trailing '/'; KumaInputError naming api_url when it is not
    an http(s) URL (requests would raise its own exceptions, or send to the wrong place)."""
    text = str(api_url or "").strip()
    expected = "an http:// or https:// URL such as %s" % DEFAULT_API_URL
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError on a port that is not a number in range
    except ValueError:
        parts = port = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise KumaInputError(["api_url: %r is not %s" % (text, expected)])
    if parts.username is not None:  # not echoed: it holds a credential
        raise KumaInputError(["api_url: must not carry credentials; give %s and the token as api_token"
                              % expected])
    if parts.query or parts.fragment or port == 0:
        raise KumaInputError(["api_url: %r must be the API's base URL, %s (no query or fragment)" % (text, expected)])
    return text.rstrip("/")


class KumaClient:
    """One requests.Session for one module run."""

    def __init__(self, api_url=DEFAULT_API_URL, api_token=None, ca_path=None, validate_certs=True,
                 timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, backoff=DEFAULT_BACKOFF,
                 session=None, sleep=time.sleep):
        self.base_url = check_api_url(api_url or DEFAULT_API_URL)  # before any session or request
        if session is None:
            if not HAS_REQUESTS:
                raise RuntimeError("the Python library 'requests' is required")
            session = requests.Session()
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self._sleep = sleep
        self.session = session
        self.session.headers.update({"Accept": "application/json"})
        api_token = (api_token or "").strip()  # often read from a file, with its newline
        if api_token:
            if any(ord(c) < 0x21 or ord(c) == 0x7F for c in api_token):
                # requests would refuse the header and quote it (the token) in its error
                raise KumaInputError(["api_token: contains spaces or control characters (not shown)"])
            self.session.headers["Authorization"] = "Bearer %s" % api_token
        # Passed with every request: a session-level setting loses to REQUESTS_CA_BUNDLE /
        # CURL_CA_BUNDLE from the environment, which would silently drop ca_path.
        self.verify = False if not validate_certs else (ca_path or True)
        self._version = None
        self._resource_types = None

    # -- transport -----------------------------------------------------------------
    def request(self, method, path, params=None, body=None, ok_missing=False):
        """Send one call with retries; return (status, parsed body or text).

        With ok_missing, a 404 returns (404, None) instead of raising.
        """
        url = self.base_url + path
        kwargs = {"params": params, "timeout": self.timeout, "verify": self.verify}
        if body is not None:
            kwargs["json"] = body
        attempt = 0
        while True:
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise KumaApiError(method, path, None, "TLS error", _safe_text(exc))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if attempt < self.retries:
                    self._pause(attempt)
                    attempt += 1
                    continue
                raise KumaApiError(method, path, None,
                                   "control plane unreachable at %s after %d attempts" % (self.base_url, attempt + 1),
                                   "%s; is kuma-cp running and its API listening there?" % _unreachable_reason(exc, self.timeout))
            except requests.exceptions.RequestException as exc:  # anything else requests refuses
                raise KumaApiError(method, path, None, "request failed", _safe_text(exc))
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                self._pause(attempt)
                attempt += 1
                continue
            break
        if response.status_code == 404 and ok_missing:
            return 404, None
        if response.status_code >= 400:
            raise _error_from_response(method, path, response)
        content_type = response.headers.get("Content-Type", "")
        if "json" in content_type:
            try:
                return response.status_code, response.json()
            except ValueError:
                pass
        return response.status_code, response.text

    def _pause(self, attempt):
        self._sleep(self.backoff * (2 ** attempt))

    # -- helpers -------------------------------------------------------------------
    def get(self, path):
        """The entity at path, or None when the CP answers 404."""
        status, data = self.request("GET", path, ok_missing=True)
        return None if status == 404 else data

    def put(self, path, body):
        """Upsert; returns the CP's warnings (deprecations) about the entity."""
        _status, data = self.request("PUT", path, body=body)
        return (data.get("warnings") or []) if isinstance(data, dict) else []

    def delete(self, path):
        """Delete; an entity already absent is not an error."""
        self.request("DELETE", path, ok_missing=True)

    def list(self, path, params=None):
        """Every item of a paged list endpoint; params: dict or list of (key, value)."""
        base = list(params.items()) if isinstance(params, dict) else list(params or [])
        query = base + [("size", PAGE_SIZE)]
        items = []
        while True:
            _status, data = self.request("GET", path, params=query)
            items.extend(data.get("items") or [])
            nxt = data.get("next")
            offset = parse_qs(urlsplit(nxt).query).get("offset") if nxt else None
            if not offset:
                return items
            query = base + [("size", PAGE_SIZE), ("offset", offset[0])]

    def version(self):
        """The control plane's version string, from GET / (no auth needed)."""
        if self._version is None:
            data = self.get("/")
            self._version = str((data or {}).get("version", ""))
        return self._version

    def resource_types(self):
        """Every resource type of this CP (GET /_resources), fetched once per run."""
        if self._resource_types is None:
            _status, data = self.request("GET", "/_resources")
            self._resource_types = {item["name"]: item for item in data.get("resources", [])}
        return self._resource_types

    def resource_type(self, kind):
        types = self.resource_types()
        if kind not in types:
            raise KumaInputError([
                "kind: unknown resource kind %r; this control plane knows: %s" % (kind, ", ".join(sorted(types)))
            ])
        return types[kind]


def _unreachable_reason(exc, timeout):
    """Why a connection failed, in a few words: requests nests the cause (an errno text) in
    its connection pool's repr, e.g. 'Connection refused' or 'Name or service not known'."""
    text = _safe_text(exc)
    found = re.search(r"\[Errno -?[0-9]+\] ([^'\"()]+)", text)
    if found:
        return found.group(1).strip()
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer within %s s" % timeout
    return text


def _safe_text(exc):
    """An exception's text; it holds the URL, never the headers (so never the token)."""
    return str(exc)[:500]


class KumaModule:
    """AnsibleModule plus a lazily built client; turns our exceptions into fail_json."""

    def __init__(self, argument_spec, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self._secret_options = sorted(k for k, v in spec.items() if v.get("no_log"))
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self._client = None

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def client(self):
        if self._client is None:
            p = self.module.params
            self._client = KumaClient(
                api_url=p["api_url"],
                api_token=p.get("api_token"),
                ca_path=p.get("ca_path"),
                validate_certs=p["validate_certs"],
                timeout=p["timeout"],
            )
        return self._client

    def run(self, func):
        """Call func(self) -> result dict and exit; our errors become clean failures.

        The connection options are checked first (the client is built), before func runs.
        """
        try:
            _client = self.client
            result = func(self)
        except KumaInputError as exc:
            self.module.fail_json(**exc.to_result())
        except KumaApiError as exc:
            result = exc.to_result()
            hint = self.zone_hint(exc)
            if hint:
                result["msg"] = "%s. %s" % (result["msg"], hint)
            self.module.fail_json(**result)
        for warning in result.pop("warnings", []) or []:
            self.module.warn(warning)
        # The invocation is masked here, not by AnsibleModule's value scrubbing, so that a
        # module may hand back a secret it was given (see release_secret).
        args = dict(self.module.params)
        for option in self._secret_options:
            if args.get(option) is not None:
                args[option] = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        result["invocation"] = {"module_args": args}
        self.module.exit_json(**result)

    def zone_hint(self, exc):
        """What to do instead, when a write failed because api_url is a zone control plane of a multizone
        deployment (it refuses Meshes and global policies with 405, and cannot issue zone tokens)."""
        if exc.method == "GET" or exc.status not in (404, 405):
            return ""
        if exc.status == 404 and exc.path != "/tokens/zone":
            return ""
        try:
            config = self.client.get("/config")
        except KumaApiError:
            return ""
        if not isinstance(config, dict) or config.get("mode") != "zone":
            return ""
        zone = ((config.get("multizone") or {}).get("zone") or {}).get("name") or "?"
        what = "zone tokens" if exc.path == "/tokens/zone" else "Meshes and policies (other than zone-origin ones)"
        return ("api_url %s is the zone control plane of zone %s: %s are owned by the global control plane; point "
                "api_url at the global control plane's API" % (self.client.base_url, zone, what))

    def release_secret(self, value):
        """Let a secret given as a no_log option appear in the result.

        dataplane_token returns the current token unchanged when it is still good; without
        this, Ansible would replace it with a mask in the result. The option itself stays
        masked in the invocation; callers use no_log: true on the task.
        """
        self.module.no_log_values.discard(value)
        self.module.no_log_values.discard(value.strip())


# -- kuma-cp's diagnostics port (/ready, /metrics): the same client, without token or retries --
DEFAULT_DIAGNOSTICS_URL = "http://127.0.0.1:5680"
LEADER_LINE = re.compile(r"^leader(?:[{][^}]*[}])? ([01])$", re.MULTILINE)


def diagnostics_client(url, timeout=5, session=None):
    """A client for kuma-cp's diagnostics port at url (its base, or any URL on it): no token
    (the API token is never sent to another port) and no retries (a probe, read once)."""
    parts = urlsplit(str(url or DEFAULT_DIAGNOSTICS_URL))
    return KumaClient("%s://%s" % (parts.scheme, parts.netloc), timeout=timeout, retries=0, session=session)


def read_ready(url, timeout=5, session=None):
    """Whether kuma-cp's /ready at url (the diagnostics port) answers 200; False when it does not
    answer or refuses (any KumaApiError)."""
    try:
        client = diagnostics_client(url, timeout, session)
        status, _data = client.request("GET", urlsplit(str(url)).path or "/ready")
    except (KumaApiError, KumaInputError):
        return False
    return status == 200


def leader_from_metrics(text):
    """kuma-cp's `leader` gauge in a Prometheus text page: True, False, or None without it."""
    found = LEADER_LINE.search(text if isinstance(text, str) else "")
    return None if found is None else found.group(1) == "1"


def read_leader(url, timeout=5, session=None):
    """kuma-cp's `leader` gauge at url (its diagnostics /metrics): 1 on the CP that holds the
    store's lock, 0 on the others (always 1 on the memory store). None when unreadable."""
    try:
        client = diagnostics_client(url, timeout, session)
        _status, text = client.request("GET", urlsplit(str(url)).path or "/metrics")
    except (KumaApiError, KumaInputError):
        return None
    return leader_from_metrics(text)
