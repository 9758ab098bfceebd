# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kuma
short_description: Kuma Dataplanes as inventory hosts, grouped by mesh, service, tag and online state
version_added: 0.1.0
description:
  - Reads every Dataplane with its status from the Kuma control-plane API
    (C(GET /meshes/<mesh>/dataplanes/_overview), the API formerly named C(dataplanes+insights))
    and adds one inventory host per Dataplane, named by the Dataplane's name.
  - "Groups: C(mesh_<mesh>); C(service_<service>) for each C(kuma.io/service) tag of the
    Dataplane's inbounds (or its gateway; on Kuma 3, which has no inbound tags, the
    C(kuma.universal/service) label the collection's Dataplanes carry); C(tag_<key>_<value>) for every other inbound tag
    (for example C(tag_version_7), C(tag_kuma_io_zone_default)); C(online) or C(offline); and
    C(host_<inventory host>) from the C(kuma.universal/host) label that the
    P(kuma.universal.sidecar#role) role puts on every Dataplane it registers.
    Characters other than letters, digits and C(_) in group names become C(_)."
  - A proxy is online while one of its xDS subscriptions to the control plane has a connect
    time and no disconnect time (Kuma has no status field; this is the rule of the Kuma GUI
    and of M(kuma.universal.dataplane_info)).
  - "Host variables: C(ansible_host) (the Dataplane's C(networking.address)), C(kuma_name),
    C(kuma_mesh), C(kuma_address), C(kuma_online), C(kuma_services), C(kuma_tags)
    (each tag of the inbounds and gateway with the list of its values), C(kuma_labels),
    C(kuma_host) (the C(kuma.universal/host) label, or V(null)), C(kuma_networking) (the
    Dataplane's C(networking) as the control plane returns it), C(kuma_dp_version),
    C(kuma_envoy_version) and C(kuma_connect_time)."
  - "How hosts map: a Dataplane is one proxy, not one machine. Its C(ansible_host) is the
    address the mesh reaches it on, so two replicas on one VM are two inventory hosts with the
    same C(ansible_host). The inventory host that runs the proxy (C(kuma-dp@<name>)) is
    C(kuma_host) in your static inventory; load both inventories and use
    C(delegate_to: '{{ kuma_host }}') to act on that machine, or target C(host_<name>)."
  - "Values from the control plane are data: they are never templated."
  - The configuration file must be named C(kuma.yml) or C(kuma.yaml), or end in C(.kuma.yml) or C(.kuma.yaml).
author:
  - kuma.universal contributors (@kuma-universal)
requirements:
  - requests (Python library, on the controller)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it marks the file as this plugin's configuration.
    required: true
    type: str
    choices: [kuma.universal.kuma]
  api_url:
    description:
      - Base URL of the Kuma control-plane HTTP API.
      - The default reaches a control plane on the controller itself.
    type: str
    default: http://127.0.0.1:5681
    env:
      - name: KUMA_API_URL
  api_token:
    description:
      - Bearer token (a Kuma user token, for example the admin token) sent as C(Authorization) header.
      - Needed unless the controller reaches the control plane on its loopback.
      - Prefer the environment variable or an C(!vault) value over plain text in the file.
      - Never written to the cache, the log or any message.
    type: str
    env:
      - name: KUMA_API_TOKEN
  ca_path:
    description:
      - CA bundle (PEM file) used to verify the control plane's certificate for an C(https) O(api_url).
    type: path
    env:
      - name: KUMA_CA_PATH
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
  meshes:
    description:
      - Read the Dataplanes of these meshes only. Each must exist on the control plane.
      - Default is every mesh.
    type: list
    elements: str
    default: []
  group_by:
    description:
      - Which of the plugin's own groups to build (O(keyed_groups) and O(groups) come on top).
    type: list
    elements: str
    choices: [mesh, service, tag, state, host]
    default: [mesh, service, tag, state, host]
  hostnames:
    description:
      - V(name) names each host by its Dataplane's name; two Dataplanes with the same name
        in different meshes are then an error.
      - V(mesh_name) names it C(<mesh>.<name>).
    type: str
    choices: [name, mesh_name]
    default: name
  set_ansible_host:
    description:
      - Set C(ansible_host) to the Dataplane's C(networking.address).
    type: bool
    default: true
"""

EXAMPLES = r"""
---
# kuma.yml: every Dataplane of the control plane, token from KUMA_API_TOKEN
plugin: kuma.universal.kuma
api_url: https://cp.example.com:5682
ca_path: /etc/kuma/ca.pem

# then:
#   ansible-inventory -i kuma.yml --graph
#   ansible -i kuma.yml 'service_redis:&offline' -m ansible.builtin.ping

---
# kuma.yml: one mesh, cached for 10 minutes, extra groups from the proxies' versions and labels
plugin: kuma.universal.kuma
meshes: [payments]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/kuma-inventory
cache_timeout: 600
keyed_groups:
  - key: kuma_dp_version
    prefix: kuma_dp
  - key: kuma_labels['team'] | default('none')
    prefix: team
groups:
  outdated: kuma_online and kuma_dp_version is version('2.14.0', '<')
compose:
  # connect to the machine that runs the proxy by its inventory name (where that name resolves)
  ansible_host: kuma_host
"""

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.group import to_safe_group_name
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.kuma.universal.plugins.module_utils._api import (
    HAS_REQUESTS,
    KumaApiError,
    KumaClient,
    KumaInputError,
)
from ansible_collections.kuma.universal.plugins.module_utils._errors import quote_segment
from ansible_collections.kuma.universal.plugins.module_utils._info import subscription_state
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import SERVICE_LABEL
from ansible_collections.kuma.universal.plugins.module_utils._naming import SERVICE_TAG, check_mesh

HOST_LABEL = "kuma.universal/host"
GROUP_BY = ("mesh", "service", "tag", "state", "host")


def group_name(*parts):
    """A group name of letters, digits and '_' whatever the Kuma names hold."""
    return to_safe_group_name("_".join(str(p) for p in parts), force=True, silent=True)


def host_vars(overview):
    """The kuma_* variables of one DataplaneOverview item."""
    networking = (overview.get("dataplane") or {}).get("networking") or {}
    online, latest = subscription_state(overview.get("dataplaneInsight"))
    version = latest.get("version") or {}
    tags = {}
    tagged = list(networking.get("inbound") or [])
    if networking.get("gateway"):
        tagged.append(networking["gateway"])
    for item in tagged:
        for key, value in sorted((item.get("tags") or {}).items()):
            values = tags.setdefault(key, [])
            if value not in values:
                values.append(value)
    labels = overview.get("labels") or {}
    services = list(tags.get(SERVICE_TAG, []))
    # Kuma 3 has no inbound tags: the collection's Dataplanes (gateways too) name their service in a label.
    if not services and labels.get(SERVICE_LABEL):
        services = [labels[SERVICE_LABEL]]
    return {
        "kuma_name": overview.get("name"),
        "kuma_mesh": overview.get("mesh"),
        "kuma_address": networking.get("address"),
        "kuma_online": online,
        "kuma_services": services,
        "kuma_tags": tags,
        "kuma_labels": labels,
        "kuma_host": labels.get(HOST_LABEL),
        "kuma_networking": networking,
        "kuma_dp_version": (version.get("kumaDp") or {}).get("version"),
        "kuma_envoy_version": (version.get("envoy") or {}).get("version"),
        "kuma_connect_time": latest.get("connectTime") if online else None,
    }


def own_groups(variables, group_by):
    """The plugin's groups for one host, in a stable order."""
    groups = []
    if "mesh" in group_by and variables["kuma_mesh"]:
        groups.append(group_name("mesh", variables["kuma_mesh"]))
    if "service" in group_by:
        groups.extend(group_name("service", s) for s in variables["kuma_services"])
    if "tag" in group_by:
        for key, values in sorted(variables["kuma_tags"].items()):
            if key != SERVICE_TAG:
                groups.extend(group_name("tag", key, v) for v in values)
    if "state" in group_by:
        groups.append("online" if variables["kuma_online"] else "offline")
    if "host" in group_by and variables["kuma_host"]:
        groups.append(group_name("host", variables["kuma_host"]))
    return groups


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "kuma.universal.kuma"

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        base = path.replace("\\", "/").rsplit("/", 1)[-1]
        return base in ("kuma.yml", "kuma.yaml") or base.endswith((".kuma.yml", ".kuma.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        self._check_options()

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        overviews = None
        if use_cache:
            try:
                overviews = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if overviews is None:
            overviews = self._fetch()
        if update_cache:
            self._cache[cache_key] = overviews
        self._populate(overviews)

    # -- options -------------------------------------------------------------------
    def _check_options(self):
        errors = []
        timeout = self.get_option("timeout")
        if timeout is None or timeout <= 0:
            errors.append("timeout: %r is not a positive number of seconds" % (timeout,))
        for i, mesh in enumerate(self.get_option("meshes") or []):
            check_mesh(mesh, errors, "meshes[%d]" % i)
        if errors:
            raise AnsibleParserError("kuma.universal.kuma: invalid option%s: %s"
                                     % ("s" if len(errors) > 1 else "", "; ".join(errors)))
        if not HAS_REQUESTS:
            raise AnsibleError("kuma.universal.kuma needs the Python library 'requests' on the controller "
                               "(pip install requests)")

    # -- reading -------------------------------------------------------------------
    def _client(self):
        return KumaClient(
            api_url=self.get_option("api_url"),
            api_token=self.get_option("api_token"),
            ca_path=self.get_option("ca_path"),
            validate_certs=self.get_option("validate_certs"),
            timeout=self.get_option("timeout"),
        )

    def _fetch(self):
        """Every DataplaneOverview of the chosen meshes (JSON-ready: it goes into the cache)."""
        try:
            client = self._client()
            meshes = self.get_option("meshes") or []
            if not meshes:
                return client.list("/dataplanes/_overview")
            known = None
            overviews = []
            for mesh in meshes:
                if client.get("/meshes/%s" % quote_segment(mesh)) is None:
                    if known is None:
                        known = sorted(m.get("name", "") for m in client.list("/meshes"))
                    raise AnsibleParserError("kuma.universal.kuma: meshes: no mesh %r on the control plane at %s "
                                             "(it has: %s)" % (mesh, client.base_url, ", ".join(known) or "none"))
                overviews.extend(client.list("/meshes/%s/dataplanes/_overview" % quote_segment(mesh)))
            return overviews
        except (KumaApiError, KumaInputError) as exc:
            raise AnsibleParserError("kuma.universal.kuma: %s" % exc.message)

    # -- building ------------------------------------------------------------------
    def _populate(self, overviews):
        group_by = self.get_option("group_by")
        naming = self.get_option("hostnames")
        strict = self.get_option("strict")
        seen = {}
        for overview in sorted(overviews, key=lambda o: (o.get("mesh") or "", o.get("name") or "")):
            variables = host_vars(overview)
            if naming == "mesh_name":
                host = "%s.%s" % (variables["kuma_mesh"], variables["kuma_name"])
            else:
                host = variables["kuma_name"]
            if host in seen:
                raise AnsibleParserError(
                    "kuma.universal.kuma: hostnames: the Dataplane name %r is in meshes %r and %r; set "
                    "'hostnames: mesh_name' or limit 'meshes'" % (host, seen[host], variables["kuma_mesh"]))
            seen[host] = variables["kuma_mesh"]

            self.inventory.add_host(host)
            if self.get_option("set_ansible_host") and variables["kuma_address"]:
                self.inventory.set_variable(host, "ansible_host", variables["kuma_address"])
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
            for group in own_groups(variables, group_by):
                self.inventory.add_group(group)
                self.inventory.add_child(group, host)

            hostvars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
