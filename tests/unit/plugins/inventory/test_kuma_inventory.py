# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kuma.universal.kuma inventory plugin against a faked control-plane API: hosts, groups,
host variables, constructed features, caching, options and errors."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret, VaultSecretsContext
from ansible.plugins.loader import init_plugin_loader, inventory_loader
from ansible.template import Templar, trust_as_template
from ansible.utils.collection_loader import AnsibleCollectionConfig
from ansible.vars.manager import VariableManager

ROOT = Path(__file__).resolve().parents[4]
TOKEN = "s3cr3t-admin-token"


def collections_root():
    """The directory holding ansible_collections/kuma/universal (ansible-test's tree, or the
    build/collections link that `make collection` makes to the work tree)."""
    if ROOT.parts[-3] == "ansible_collections":
        return str(ROOT.parents[2])
    return str(ROOT / "build" / "collections")


@pytest.fixture(scope="module", autouse=True)
def collection_loader():
    """Ansible's collection loader, as ansible-inventory has it.

    ansible-test units installs it; under plain pytest the tests' conftest has imported
    ansible_collections as a plain namespace package, which the loader cannot take over:
    those modules are set aside while these tests run and put back afterwards, so that the
    other test files keep the module objects they imported.
    """
    if AnsibleCollectionConfig.collection_finder is not None:
        yield
        return
    saved = {k: sys.modules.pop(k) for k in list(sys.modules)
             if k == "ansible_collections" or k.startswith("ansible_collections.")}
    init_plugin_loader([collections_root()])
    try:
        yield
    finally:
        AnsibleCollectionConfig.collection_finder._remove()
        for k in [k for k in sys.modules if k == "ansible_collections" or k.startswith("ansible_collections.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def overview(name, mesh="default", address="10.0.0.5", tags=None, labels=None, online=None, gateway=None):
    """One DataplaneOverview item as kuma-cp 2.14 returns it (online None: never connected)."""
    item = {
        "type": "DataplaneOverview", "mesh": mesh, "name": name,
        "labels": dict({"kuma.io/mesh": mesh, "kuma.io/origin": "zone", "kuma.io/zone": "default"}, **(labels or {})),
        "dataplane": {"networking": {"address": address}},
    }
    networking = item["dataplane"]["networking"]
    if gateway:
        networking["gateway"] = {"type": "DELEGATED", "tags": gateway}
    else:
        networking["inbound"] = [{"port": 9000 + i, "servicePort": 6379 + i, "serviceAddress": "127.0.0.1",
                                  "tags": dict(t, **{"kuma.io/zone": "default"})} for i, t in enumerate(tags or [])]
    if online is not None:
        sub = {"connectTime": "2026-11-26T05:56:19Z",
               "version": {"kumaDp": {"version": "2.14.3"}, "envoy": {"version": "1.38.2"}}}
        if not online:
            sub["disconnectTime"] = "2026-11-26T06:00:00Z"
        item["dataplaneInsight"] = {"subscriptions": [sub]}
    return item


MESH_DATAPLANES = [
    overview("redis-vm-redis-1", address="10.0.0.5", tags=[{"kuma.io/service": "redis", "version": "7"}],
             labels={"kuma.universal/host": "redis-vm"}, online=True),
    overview("redis-vm-redis-2", address="10.0.0.5", tags=[{"kuma.io/service": "redis", "version": "7"}],
             labels={"kuma.universal/host": "redis-vm"}, online=False),
    overview("backend-vm-backend-1", address="10.0.0.6", tags=[{"kuma.io/service": "backend"}],
             labels={"kuma.universal/host": "backend-vm", "team": "web"}, online=True),
    overview("pay-1", mesh="payments", address="10.0.1.1",
             tags=[{"kuma.io/service": "pay", "version": "2"}, {"kuma.io/service": "pay-admin", "version": "2"}]),
    overview("edge", mesh="payments", address="10.0.1.9", gateway={"kuma.io/service": "edge-gw"}, online=True),
]


class FakeApi(BaseAdapter):
    """The read endpoints the plugin uses, paged like kuma-cp (page size from ?size)."""

    def __init__(self, dataplanes, status=None):
        super().__init__()
        self.dataplanes = dataplanes
        self.status = status  # answer every call with this error status
        self.calls = []

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        params = dict(parse_qsl(url.query))
        self.calls.append((request.method, url.path, params, dict(request.headers), url.netloc, url.scheme))
        if self.status:
            return self.reply(self.status, {"title": "Unauthorized", "detail": "bad credentials"})
        parts = url.path.strip("/").split("/")
        meshes = sorted({d["mesh"] for d in self.dataplanes} | {"empty"})
        if url.path == "/dataplanes/_overview":
            return self.page(self.dataplanes, params)
        if url.path == "/meshes":
            return self.page([{"type": "Mesh", "name": m} for m in meshes], params)
        if len(parts) == 2 and parts[0] == "meshes":
            return self.reply(200, {"type": "Mesh", "name": parts[1]}) if parts[1] in meshes \
                else self.reply(404, {"title": "Could not get a resource", "detail": "Not found"})
        if len(parts) == 4 and parts[0] == "meshes" and parts[2:] == ["dataplanes", "_overview"]:
            return self.page([d for d in self.dataplanes if d["mesh"] == parts[1]], params)
        return self.reply(404, {"title": "not found"})

    def page(self, items, params):
        size, offset = int(params.get("size", 100)), int(params.get("offset", 0))
        chunk = items[offset:offset + size]
        nxt = None
        if offset + size < len(items):
            nxt = "http://cp/whatever?offset=%d&size=%d" % (offset + size, size)
        return self.reply(200, {"total": len(items), "items": chunk, "next": nxt})

    @staticmethod
    def reply(status, body):
        resp = requests.Response()
        resp.status_code = status
        resp._content = json.dumps(body).encode()
        resp.headers["Content-Type"] = "application/json"
        return resp

    def close(self):
        pass


@pytest.fixture
def api(monkeypatch):
    fake = FakeApi(list(MESH_DATAPLANES))
    real_session = requests.Session

    def session():
        s = real_session()
        s.mount("http://", fake)
        s.mount("https://", fake)
        return s

    monkeypatch.setattr(requests, "Session", session)
    for var in ("KUMA_API_URL", "KUMA_API_TOKEN", "KUMA_CA_PATH"):
        monkeypatch.delenv(var, raising=False)
    return fake


def config(tmp_path, name="kuma.yml", **options):
    path = tmp_path / name
    path.write_text(json.dumps(dict({"plugin": "kuma.universal.kuma", "api_url": "http://cp.test:5681"}, **options)))
    return str(path)


def parse(path, cache=True):
    """(inventory data, plugin) after one parse, errors raised as the plugin raises them."""
    plugin = inventory_loader.get("kuma.universal.kuma")
    data = InventoryData()
    plugin.parse(data, DataLoader(), path, cache=cache)
    return data, plugin


def members(data, group):
    return sorted(h.name for h in data.groups[group].get_hosts()) if group in data.groups else None


# -- hosts, groups, variables -------------------------------------------------------------

def test_one_host_per_dataplane_named_by_the_dataplane(api, tmp_path):
    data, _plugin = parse(config(tmp_path))
    assert sorted(data.hosts) == ["backend-vm-backend-1", "edge", "pay-1", "redis-vm-redis-1", "redis-vm-redis-2"]


def test_groups_by_mesh_service_tag_state_and_host(api, tmp_path):
    data, _plugin = parse(config(tmp_path))
    assert members(data, "mesh_default") == ["backend-vm-backend-1", "redis-vm-redis-1", "redis-vm-redis-2"]
    assert members(data, "mesh_payments") == ["edge", "pay-1"]
    assert members(data, "service_redis") == ["redis-vm-redis-1", "redis-vm-redis-2"]
    assert members(data, "service_pay") == members(data, "service_pay_admin") == ["pay-1"]
    assert members(data, "service_edge_gw") == ["edge"]
    assert members(data, "tag_version_7") == ["redis-vm-redis-1", "redis-vm-redis-2"]
    assert members(data, "tag_version_2") == ["pay-1"]
    assert members(data, "tag_kuma_io_zone_default") == ["backend-vm-backend-1", "pay-1", "redis-vm-redis-1",
                                                         "redis-vm-redis-2"]
    assert members(data, "online") == ["backend-vm-backend-1", "edge", "redis-vm-redis-1"]
    assert members(data, "offline") == ["pay-1", "redis-vm-redis-2"]  # never connected, disconnected
    assert members(data, "host_redis_vm") == ["redis-vm-redis-1", "redis-vm-redis-2"]
    assert members(data, "host_backend_vm") == ["backend-vm-backend-1"]
    assert "tag_kuma_io_service_redis" not in data.groups  # the service tag has its own groups


def test_host_variables(api, tmp_path):
    data, _plugin = parse(config(tmp_path))
    redis = data.get_host("redis-vm-redis-1").get_vars()
    assert redis["ansible_host"] == "10.0.0.5"
    assert redis["kuma_name"] == "redis-vm-redis-1" and redis["kuma_mesh"] == "default"
    assert redis["kuma_address"] == "10.0.0.5" and redis["kuma_online"] is True
    assert redis["kuma_services"] == ["redis"]
    assert redis["kuma_tags"] == {"kuma.io/service": ["redis"], "kuma.io/zone": ["default"], "version": ["7"]}
    assert redis["kuma_host"] == "redis-vm" and redis["kuma_labels"]["kuma.universal/host"] == "redis-vm"
    assert redis["kuma_networking"]["inbound"][0]["port"] == 9000
    assert redis["kuma_dp_version"] == "2.14.3" and redis["kuma_envoy_version"] == "1.38.2"
    assert redis["kuma_connect_time"] == "2026-11-26T05:56:19Z"
    stopped = data.get_host("redis-vm-redis-2").get_vars()
    assert stopped["kuma_online"] is False and stopped["kuma_connect_time"] is None
    never = data.get_host("pay-1").get_vars()
    assert never["kuma_host"] is None and never["kuma_dp_version"] is None
    assert never["kuma_services"] == ["pay", "pay-admin"] and never["kuma_tags"]["version"] == ["2"]


def test_reconnected_proxy_is_online_with_its_new_subscription(api, tmp_path):
    item = overview("re-1", tags=[{"kuma.io/service": "re"}], online=False)
    item["dataplaneInsight"]["subscriptions"].append(
        {"connectTime": "2026-11-26T07:00:00Z", "version": {"kumaDp": {"version": "2.14.4"}}})
    item["dataplaneInsight"]["subscriptions"].append(
        {"connectTime": "2026-11-26T06:30:00Z", "disconnectTime": "2026-11-26T06:40:00Z"})
    api.dataplanes.append(item)
    data, _plugin = parse(config(tmp_path))
    again = data.get_host("re-1").get_vars()
    assert again["kuma_online"] is True and "re-1" in members(data, "online")
    assert again["kuma_connect_time"] == "2026-11-26T07:00:00Z" and again["kuma_dp_version"] == "2.14.4"


def test_host_pattern_service_and_offline(api, tmp_path):
    manager = InventoryManager(loader=DataLoader(), sources=[config(tmp_path)])
    assert [h.name for h in manager.get_hosts("service_redis:&offline")] == ["redis-vm-redis-2"]
    assert [h.name for h in manager.get_hosts("mesh_default:&online:!service_redis")] == ["backend-vm-backend-1"]


def test_values_from_the_control_plane_are_never_templated(api, tmp_path):
    api.dataplanes.append(overview("odd-1", tags=[{"kuma.io/service": "odd", "version": "{{ 6 * 7 }}"}],
                                   labels={"note": "{{ lookup('env', 'HOME') }}"}))
    loader = DataLoader()
    manager = InventoryManager(loader=loader, sources=[config(tmp_path)])
    hostvars = VariableManager(loader=loader, inventory=manager).get_vars(host=manager.get_host("odd-1"))
    templar = Templar(loader=loader, variables=hostvars)
    assert templar.template(trust_as_template("{{ kuma_tags.version[0] }}")) == "{{ 6 * 7 }}"
    assert templar.template(trust_as_template("{{ kuma_labels.note }}")) == "{{ lookup('env', 'HOME') }}"
    assert templar.template(trust_as_template("{{ 6 * 7 }}")) == 42  # a trusted template is rendered


def test_group_by_subset_and_no_ansible_host(api, tmp_path):
    data, _plugin = parse(config(tmp_path, group_by=["state"], set_ansible_host=False))
    assert {g for g in data.groups if g not in ("all", "ungrouped")} == {"online", "offline"}
    assert "ansible_host" not in data.get_host("pay-1").get_vars()


def test_constructed_compose_groups_and_keyed_groups(api, tmp_path):
    data, _plugin = parse(config(
        tmp_path,
        compose={"ansible_host": "kuma_host | default(kuma_address, true)", "replica": "kuma_name.split('-')[-1]"},
        groups={"stale": "not kuma_online and kuma_host is not none"},
        keyed_groups=[{"key": "kuma_labels['team'] | default('none')", "prefix": "team"},
                      {"key": "kuma_dp_version", "prefix": "kuma_dp"}],
    ))
    assert data.get_host("redis-vm-redis-2").get_vars()["ansible_host"] == "redis-vm"
    assert data.get_host("pay-1").get_vars()["ansible_host"] == "10.0.1.1"
    assert data.get_host("redis-vm-redis-2").get_vars()["replica"] == "2"
    assert members(data, "stale") == ["redis-vm-redis-2"]
    assert members(data, "team_web") == ["backend-vm-backend-1"]
    assert members(data, "kuma_dp_2_14_3") == ["backend-vm-backend-1", "edge", "redis-vm-redis-1",
                                               "redis-vm-redis-2"]


def test_strict_compose_error_names_the_variable(api, tmp_path):
    with pytest.raises(AnsibleError, match="Could not set broken for host"):
        parse(config(tmp_path, strict=True, compose={"broken": "kuma_no_such_var.x"}))


# -- options -------------------------------------------------------------------------------

def test_meshes_reads_only_those(api, tmp_path):
    data, _plugin = parse(config(tmp_path, meshes=["payments"]))
    assert sorted(data.hosts) == ["edge", "pay-1"]
    paths = [c[1] for c in api.calls]
    assert "/meshes/payments/dataplanes/_overview" in paths and "/dataplanes/_overview" not in paths


def test_unknown_mesh_is_an_error_naming_the_known_ones(api, tmp_path):
    with pytest.raises(AnsibleParserError, match=r"meshes: no mesh 'nope' on the control plane at "
                                                 r"http://cp.test:5681 \(it has: default, empty, payments\)"):
        parse(config(tmp_path, meshes=["default", "nope"]))


def test_paging_reads_every_page(api, tmp_path, monkeypatch):
    from ansible_collections.kuma.universal.plugins.module_utils import _api
    monkeypatch.setattr(_api, "PAGE_SIZE", 2)
    data, _plugin = parse(config(tmp_path))
    assert len(data.hosts) == 5
    offsets = [c[2].get("offset") for c in api.calls if c[1] == "/dataplanes/_overview"]
    assert offsets == [None, "2", "4"]


def test_same_name_in_two_meshes(api, tmp_path):
    api.dataplanes.append(overview("pay-1", mesh="default", address="10.0.0.9", tags=[{"kuma.io/service": "pay"}]))
    with pytest.raises(AnsibleParserError, match="the Dataplane name 'pay-1' is in meshes 'default' and 'payments'"):
        parse(config(tmp_path))
    data, _plugin = parse(config(tmp_path, hostnames="mesh_name"))
    assert "default.pay-1" in data.hosts and "payments.pay-1" in data.hosts
    assert data.get_host("default.pay-1").get_vars()["kuma_name"] == "pay-1"


def test_token_is_sent_as_bearer_and_taken_from_the_environment(api, tmp_path, monkeypatch):
    monkeypatch.setenv("KUMA_API_TOKEN", TOKEN + "\n")
    monkeypatch.setenv("KUMA_API_URL", "https://cp.env:5682")
    path = tmp_path / "kuma.yml"
    path.write_text("plugin: kuma.universal.kuma\n")
    parse(str(path))
    assert {(c[5], c[4]) for c in api.calls} == {("https", "cp.env:5682")}
    assert all(c[3]["Authorization"] == "Bearer " + TOKEN for c in api.calls)


# ansible-vault encrypt_string --name api_token 's3cr3t-admin-token' (vault password: pw)
VAULTED_TOKEN = """api_token: !vault |
  $ANSIBLE_VAULT;1.1;AES256
  37383335383733326638303037343132626361383131373134313133363334623830336130373364
  3539613334353362373962333132613732336439646331360a656239386361336161386131316661
  33366431663336656538363336313234613565353865346337383765326261393636643266633164
  3437616466653437650a373839306532333262633861633033313464623831386365616265643634
  65356662326135333931373331343234353934656234316235653563636564383762
"""


def test_token_from_a_vault_value(api, tmp_path, monkeypatch):
    path = tmp_path / "kuma.yml"
    path.write_text("plugin: kuma.universal.kuma\napi_url: http://cp.test:5681\n" + VAULTED_TOKEN)
    secrets = [("default", VaultSecret(b"pw"))]
    monkeypatch.setattr(VaultSecretsContext, "_current", VaultSecretsContext(secrets))  # as the CLI sets it
    loader = DataLoader()
    loader.set_vault_secrets(secrets)
    plugin = inventory_loader.get("kuma.universal.kuma")
    data = InventoryData()
    plugin.parse(data, loader, str(path))
    assert len(data.hosts) == 5
    assert all(c[3]["Authorization"] == "Bearer " + TOKEN for c in api.calls)


def test_api_error_names_the_call_and_never_the_token(api, tmp_path):
    api.status = 401
    with pytest.raises(AnsibleParserError) as err:
        parse(config(tmp_path, api_token=TOKEN))
    text = str(err.value)
    assert "kuma.universal.kuma: Kuma API GET /dataplanes/_overview failed: HTTP 401 Unauthorized" in text
    assert TOKEN not in text


@pytest.mark.parametrize("options, message", [
    ({"timeout": 0}, "invalid option: timeout: 0 is not a positive number of seconds"),
    ({"meshes": ["default", ""]}, r"meshes\[1\]: cannot be empty"),
    ({"api_url": "cp.test:5681"}, "api_url"),
])
def test_bad_options_fail_before_any_request(api, tmp_path, options, message):
    with pytest.raises(AnsibleParserError, match=message):
        parse(config(tmp_path, **options))
    assert api.calls == []


def test_group_by_choices_are_checked(api, tmp_path):
    with pytest.raises(AnsibleError, match="group_by"):
        parse(config(tmp_path, group_by=["mesh", "colour"]))
    assert api.calls == []


@pytest.mark.parametrize("name, accepted", [
    ("kuma.yml", True), ("kuma.yaml", True), ("prod.kuma.yml", True), ("inventory.yml", False), ("kuma.json", False),
])
def test_verify_file(tmp_path, name, accepted):
    path = tmp_path / name
    path.write_text("plugin: kuma.universal.kuma\n")
    assert inventory_loader.get("kuma.universal.kuma").verify_file(str(path)) is accepted


# -- cache ---------------------------------------------------------------------------------

def test_cache_serves_the_second_parse_without_the_api(api, tmp_path):
    cache_dir = tmp_path / "cache"
    path = config(tmp_path, api_token=TOKEN, cache=True, cache_plugin="ansible.builtin.jsonfile",
                  cache_connection=str(cache_dir), cache_timeout=600)
    data, plugin = parse(path)
    plugin.update_cache_if_changed()  # what InventoryManager does after parse
    first_calls = len(api.calls)
    assert first_calls > 0
    stored = "".join(p.read_text() for p in cache_dir.iterdir())
    assert "redis-vm-redis-1" in stored and TOKEN not in stored

    api.dataplanes.append(overview("late-1", tags=[{"kuma.io/service": "late"}]))
    cached, _plugin = parse(path)
    assert len(api.calls) == first_calls  # no request: served from the cache
    assert sorted(cached.hosts) == sorted(data.hosts)
    assert members(cached, "service_redis") == ["redis-vm-redis-1", "redis-vm-redis-2"]

    refreshed, plugin = parse(path, cache=False)  # --flush-cache / refresh_inventory
    assert len(api.calls) > first_calls and "late-1" in refreshed.hosts


def test_without_cache_option_every_parse_asks(api, tmp_path):
    path = config(tmp_path)
    parse(path)
    calls = len(api.calls)
    parse(path)
    assert len(api.calls) == 2 * calls


def test_no_cache_file_without_the_option(api, tmp_path):
    parse(config(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["kuma.yml"]


def test_a_kuma_3_dataplane_is_grouped_by_its_service_label():
    import importlib
    plugin = importlib.import_module("ansible_collections.kuma.universal.plugins.inventory.kuma")
    overview = {"name": "edge-h1-0", "mesh": "default",
                "labels": {"kuma.universal/service": "edge", "kuma.universal/gateway": "edge"},
                "dataplane": {"networking": {"address": "10.0.0.9", "outbound": [{"port": 10010}]}}}
    variables = plugin.host_vars(overview)
    assert variables["kuma_services"] == ["edge"] and variables["kuma_tags"] == {}
    assert "service_edge" in plugin.own_groups(variables, ["service"])
    # a Kuma 2 Dataplane keeps its tags' services, the label aside
    overview["dataplane"]["networking"]["inbound"] = [{"port": 1, "tags": {"kuma.io/service": "web"}}]
    assert plugin.host_vars(overview)["kuma_services"] == ["web"]
