# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 19, one variable per fact: the transparent proxy's redirect ports and the token directory are
set once, in kuma.universal.kuma (kuma_redirect_inbound_port, kuma_redirect_outbound_port,
kuma_dp_tokens_dir). An inventory that still sets an old name is refused before any change, by the
preflight that would otherwise ignore it, with a message naming the new one. Real ansible-playbook,
hosts on the local connection; nothing is changed on any host."""

from __future__ import annotations

import sys

import pytest

from ansible_collections.kuma.universal.tests.unit.test_control_plane_preflight import hosts, run_preflight


@pytest.mark.parametrize("role", ["kuma.universal.sidecar", "kuma.universal.transparent_proxy"])
@pytest.mark.parametrize("old", ["transparent_proxy_redirect_inbound_port", "transparent_proxy_redirect_outbound_port"])
def test_the_old_redirect_port_names_are_refused_naming_the_new_ones(tmp_path, role, old):
    inventory = {"kuma_dataplanes": {"hosts": hosts(app={old: 16006, "transparent_proxy_replicas": ["web-app-0"]})}}
    rc, out = run_preflight(tmp_path, inventory, role=role)
    assert rc != 0
    assert out.startswith("app: transparent_proxy_redirect_inbound_port ("), out[-3000:]
    assert "(16006)" in out and "(not set)" in out and "\n" not in out  # one message, on one line
    assert ("are no longer read: Envoy's redirect ports are kuma_redirect_inbound_port and "
            "kuma_redirect_outbound_port (role kuma.universal.kuma") in out


@pytest.mark.parametrize("role", ["kuma.universal.sidecar", "kuma.universal.transparent_proxy"])
def test_the_new_redirect_port_names_pass_the_refusal(tmp_path, role):
    inventory = {"kuma_dataplanes": {"hosts": hosts(app={"kuma_redirect_inbound_port": 16006})}}
    rc, out = run_preflight(tmp_path, inventory, role=role)
    assert "no longer read" not in out, out[-3000:]
    if role == "kuma.universal.sidecar":  # no sidecars: the whole preflight passes
        assert rc == 0, out[-3000:]


def test_the_sidecar_plan_uses_the_shared_redirect_ports(tmp_path):
    """The transparent Dataplane the sidecar role plans carries kuma_redirect_*_port (here not the defaults)."""
    sidecar = {"service": "web", "transparent": True, "inbound": [{"port": 18080, "service_port": 8080}]}
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={})},
                 "kuma_dataplanes": {"hosts": hosts(app={"kuma_sidecars": [sidecar], "sidecar_address": "10.0.0.5",
                                                         "kuma_redirect_inbound_port": 16006,
                                                         "kuma_redirect_outbound_port": 16001})}}
    # The plan entry point (the preflight then reads the host's proxies, which needs systemd).
    rc, out = run_preflight(tmp_path, inventory, role="kuma.universal.sidecar", tasks_from="plan", check=True,
                            show="sidecar_plan.instances[0].transparent_proxying")
    assert rc == 0, out[-3000:]
    shown = [line for line in out.splitlines() if line.startswith("ok: [app] => ")]
    assert '"redirect_port_inbound": 16006, "redirect_port_outbound": 16001' in shown[-1], out[-3000:]


def test_the_old_token_dir_name_is_refused_before_the_key_is_added(tmp_path):
    """kuma.universal.rotate_tokens itself: its first task refuses, no API call (there is no CP here)."""
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={})},
                 "kuma_dataplanes": {"hosts": hosts(**{"web-1": {"rotate_tokens_dir": "/srv/tokens"}, "web-2": {}})}}
    rc, out = run_preflight(tmp_path, inventory, playbook="kuma.universal.rotate_tokens",
                            extra={"rotate_become": False})
    assert rc != 0
    assert ("rotate_tokens_dir is set (on web-1) but is no longer read: the token directory is kuma_dp_tokens_dir "
            "(role kuma.universal.kuma") in out, out[-3000:]
    assert "\n" not in out  # the only failure: the run stopped there, before the key and any host's tokens


def test_without_the_old_token_dir_name_rotation_goes_on_to_the_key(tmp_path):
    """The refusal passes (its message is templated anyway: no error from it) and the run reaches the first
    API call, which fails here for want of a control plane, with the client's message."""
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={})},
                 "kuma_dataplanes": {"hosts": hosts(**{"web-1": {"kuma_dp_tokens_dir": "/srv/tokens"}})}}
    rc, out = run_preflight(tmp_path, inventory, playbook="kuma.universal.rotate_tokens",
                            extra={"rotate_become": False, "rotate_api_url": "http://127.0.0.1:9",
                                   "ansible_python_interpreter": sys.executable})  # requests, as on a CP host
    assert rc != 0
    assert "rotate_tokens_dir" not in out, out[-3000:]
    assert "Kuma API " in out and "control plane unreachable at http://127.0.0.1:9" in out, out[-3000:]


def test_every_host_read_of_the_proxies_looks_in_kuma_dp_tokens_dir():
    """Every dataplane_proxies task of the sidecar role reads the tokens where they are written: a read
    that fell back to the module's own default would find none in a non-default kuma_dp_tokens_dir, and
    the next task would issue every token anew on every run."""
    import glob
    import os

    import yaml
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    calls = []
    for path in sorted(glob.glob(os.path.join(root, "roles", "sidecar", "tasks", "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            for task in yaml.safe_load(handle) or []:
                args = task.get("kuma.universal.dataplane_proxies")
                if args is not None:
                    calls.append((os.path.basename(path), task["name"], args.get("tokens_dir")))
    assert len(calls) >= 3, calls
    assert [c for c in calls if c[2] != "{{ kuma_dp_tokens_dir }}"] == []
