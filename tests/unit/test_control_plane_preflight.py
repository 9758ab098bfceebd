# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The control_plane role's preflight names what the operator got wrong (issue 21, item 12):
a zone CP without kuma_zone is told so (not about the memory store), and two hosts in the global's
group are refused naming that group. Real ansible-playbook, hosts on the local connection, the
role's own preflight entry point; nothing is changed on any host."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.kuma.universal.tests.unit.test_playbooks import ROOT, ansible_playbook, collections_path


def run_preflight(tmp_path, inventory, role="kuma.universal.control_plane", tasks_from="preflight", playbook=None,
                  extra=None, check=False, show=None, options=(), full=False):
    """Run a role's entry point on every host (or a playbook of the collection); (rc, the failures' messages,
    or the whole output when nothing failed or full is true). show: variables printed after the entry point (one JSON
    line each)."""
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    tasks = [{"name": "Preflight", "ansible.builtin.include_role": {"name": role, "tasks_from": tasks_from}}]
    for var in [show] if isinstance(show, str) else show or []:
        tasks.append({"name": "Show", "ansible.builtin.debug": {"var": var}})
    (tmp_path / "play.yml").write_text(json.dumps([{"hosts": "all", "gather_facts": False, "tasks": tasks}]))
    # The default callback with one-line JSON results (the json callback lives in ansible.posix,
    # which ansible-test units does not have): each failure's message exactly as the operator gets it.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_CALLBACK_FORMAT_PRETTY="false")
    cmd = [ansible_playbook(), "-i", str(tmp_path / "inventory.json"), playbook or str(tmp_path / "play.yml")]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    if check:
        cmd.append("--check")
    cmd += list(options)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    messages = [json.loads(line.split("=> ", 1)[1]).get("msg", "") for line in proc.stdout.splitlines()
                if line.startswith("fatal: [") and "=> {" in line]
    if full or not messages:
        return proc.returncode, proc.stdout + proc.stderr
    return proc.returncode, "\n".join(messages)


# The kuma role's default release (what a host without kuma_version runs).
with open(os.path.join(ROOT, "roles", "kuma", "defaults", "main.yml"), encoding="utf-8") as _defaults:
    KUMA_VERSION = str(yaml.safe_load(_defaults)["kuma_version"])


def hosts(**vars_by_host):
    """Hosts on the local connection; control planes on the memory store unless a test says otherwise (the
    store has no default)."""
    return {name: dict({"ansible_connection": "local", "ansible_python_interpreter": "auto_silent",
                        "control_plane_store_type": "memory"}, **v)
            for name, v in vars_by_host.items()}


def test_a_control_plane_without_its_store_is_refused_naming_the_choices(tmp_path):
    # Issue 21 item 7: no default store (the memory store loses everything on a restart).
    rc, out = run_preflight(tmp_path, {"kuma_control_plane": {"hosts": hosts(cp={"control_plane_store_type": ""})}})
    assert rc != 0
    assert out == ('cp: control_plane_store_type is not set (""). Choose it in the inventory: postgres (production; '
                   'control_plane_postgres_host and control_plane_postgres_password) or memory (a demo or a test: a '
                   'kuma-cp restart loses every entity and the token signing keys).'), out[-3000:]
    inventory = {"kuma_control_plane": {"hosts": {"cp": {"ansible_connection": "local",
                                                         "ansible_python_interpreter": "auto_silent"}}}}
    rc, out = run_preflight(tmp_path, inventory)  # not set at all: the role's empty default
    assert rc != 0 and out.startswith("cp: control_plane_store_type is not set"), out[-3000:]


def test_the_postgres_tls_default_checks_the_server_certificate_and_name():
    import yaml
    with open(os.path.join(ROOT, "roles", "control_plane", "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    assert defaults["control_plane_postgres_tls_mode"] == "verifyFull"
    assert defaults["control_plane_store_type"] == ""


@pytest.mark.parametrize("with_global", [True, False])
def test_zone_cp_without_kuma_zone_is_told_to_set_it(tmp_path, with_global):
    inventory = {"kuma_control_plane": {"hosts": hosts(**{"cp-z1": {"kuma_zone": "zone-1"}, "cp-z2": {}})}}
    if with_global:
        inventory["kuma_global_control_plane"] = {"hosts": hosts(**{"global": {}})}
    rc, out = run_preflight(tmp_path, inventory)
    assert rc != 0
    assert "cp-z2 has no kuma_zone, but the inventory is multizone" in out, out[-3000:]
    assert "set kuma_zone" in out
    assert "several kuma-cp need" not in out
    why = ("a global control plane in kuma_global_control_plane" if with_global
           else "other hosts of kuma_control_plane have a kuma_zone")
    assert "but the inventory is multizone (%s): set kuma_zone (role kuma.universal.kuma) on cp-z2" % why in out, out


def test_two_globals_name_the_global_group(tmp_path):
    inventory = {"kuma_global_control_plane": {"hosts": hosts(**{"global-1": {}, "global-2": {}})}}
    rc, out = run_preflight(tmp_path, inventory)
    assert rc != 0
    assert ("control_plane_store_type is memory but the group kuma_global_control_plane (the global control plane) "
            "has 2 hosts (global-1, global-2): several kuma-cp need") in out, out[-3000:]
    assert "the group kuma_control_plane" not in out


def test_a_single_standalone_cp_passes(tmp_path):
    rc, out = run_preflight(tmp_path, {"kuma_control_plane": {"hosts": hosts(cp={})}})
    assert rc == 0, out[-3000:]


def test_the_old_api_port_variable_is_refused(tmp_path):
    rc, out = run_preflight(tmp_path, {"kuma_control_plane": {"hosts": hosts(cp={"control_plane_api_port": 6681})}})
    assert rc != 0
    assert "control_plane_api_port is set (6681) but is no longer read: the API port is kuma_api_port" in out


@pytest.mark.parametrize("settings, field", [
    ({"control_plane_postgres_password": "pass'word"}, "control_plane_postgres_password"),
    ({"control_plane_postgres_password": "pass\nKUMA_API_SERVER_AUTH_ALLOW_FROM_LOCALHOST=true"},
     "control_plane_postgres_password"),
    ({"control_plane_env": {"KUMA_X": "a\rb"}}, "control_plane_env.KUMA_X"),
    ({"control_plane_env": {"KUMA X": "1"}}, "control_plane_env.KUMA X"),
])
def test_env_file_values_systemd_would_read_as_syntax_are_refused(tmp_path, settings, field):
    # kuma-cp.env is read by systemd: a line break would add a setting, a quote would swallow lines.
    cp = dict({"control_plane_store_type": "postgres", "control_plane_postgres_host": "db",
               "control_plane_postgres_password": "ok"}, **settings)
    rc, out = run_preflight(tmp_path, {"kuma_control_plane": {"hosts": hosts(cp=cp)}})
    assert rc != 0
    assert field in out and "kuma-cp.env" in out, out[-3000:]
    assert "pass'word" not in out and "pass\n" not in out  # the secret itself is not repeated


def test_a_ca_roll_where_the_role_keeps_no_ca_is_refused_naming_why(tmp_path):
    # Issue 21 item 4: the roll is of the CA the role keeps for several CPs; one CP has kuma-cp's own certificate.
    rc, out = run_preflight(tmp_path, {"kuma_control_plane": {"hosts": hosts(cp={})}},
                            extra={"control_plane_pki_ca_roll": "start"})
    assert rc != 0
    assert out == ("control_plane_pki_ca_roll=start: the role keeps a CA only for several control planes without "
                   "your own TLS, and cp has kuma-cp's own self-signed certificate (one control plane)."), out[-3000:]


def test_an_unknown_ca_roll_step_is_refused_naming_the_choices(tmp_path):
    rc, out = run_preflight(tmp_path, {"kuma_control_plane": {"hosts": hosts(cp={})}},
                            extra={"control_plane_pki_ca_roll": "begin"})
    assert rc != 0
    assert "control_plane_pki_ca_roll" in out and "start, finish" in out, out[-3000:]


def test_the_first_failing_check_is_named_and_the_later_ones_are_not_worked_out(tmp_path):
    # One task checks every setting in order: the store is refused first; the Kuma 3 mtls check after it, whose
    # filter refuses a vault backend, is not worked out (it would hide the store's message).
    mesh = {"name": "default", "mtls": {"enabledBackend": "v", "backends": [{"name": "v", "type": "vault"}]}}
    cp = {"control_plane_store_type": "", "kuma_version": "3.0.0", "control_plane_meshes": [mesh]}
    rc, out = run_preflight(tmp_path, {"kuma_control_plane": {"hosts": hosts(cp=cp)}})
    assert rc != 0 and out.startswith('cp: control_plane_store_type is not set ("")'), out[-3000:]
    rc, out = run_preflight(tmp_path, {"kuma_control_plane": {"hosts": hosts(cp=dict(cp, control_plane_store_type="memory"))}})
    assert rc != 0 and "only a builtin CA is carried over to Kuma 3" in out, out[-3000:]


def shown(out, var):
    """The value a "Show" task printed for var (the default callback's one-line JSON result)."""
    line = next(line for line in out.splitlines() if line.startswith("ok: [cp] => {") and '"%s"' % var in line)
    return json.loads(line.split("=> ", 1)[1])[var]


def test_the_probe_request_entry_point_exposes_what_the_role_reads(tmp_path):
    """Issue 23: deploy_mesh's first play reads a control plane for the control_plane role with the request of its
    probe_request entry point (nothing runs on the host): every option of control_plane_probe, from the settings."""
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={"control_plane_diagnostics_port": 6680,
                                                           "control_plane_meshes": [{"name": "default"}]})}}
    rc, out = run_preflight(tmp_path, inventory, tasks_from="probe_request", show="control_plane_probe_request")
    assert rc == 0, out[-3000:]
    request = shown(out, "control_plane_probe_request")
    assert request == {"binary": "/opt/kuma/current/bin/kuma-cp", "diagnostics_url": "http://127.0.0.1:6680",
                       "api_url": "http://127.0.0.1:5681", "meshes": ["default"], "cert": "/var/lib/kuma-cp/kuma-cp.crt",
                       "unit": "kuma-cp.service", "paths": ["/etc/kuma", "/var/lib/kuma-cp", "/etc/systemd/system/kuma-cp.service",
                                                            "/etc/kuma/kuma-cp.yaml", "/etc/kuma/kuma-cp.env",
                                                            "/etc/systemd/system/kuma-cp-firewall.service"],
                       "timeout": 5}


@pytest.mark.parametrize("case", ["same request", "another request", "too old"])
def test_the_role_takes_a_snapshot_read_with_its_own_request_and_reads_the_host_otherwise(tmp_path, case):
    """The role's probe takes control_plane_probe_snapshot instead of reading the host only when the snapshot was read
    with the request the role would read with, within control_plane_probe_snapshot_max_age (300 s) of its read_at; one
    read with another request (here a timeout of 6), or taken 1000 s ago, is set aside and the host is read
    (control_plane_probe on the local host: read-only). The snapshot's read is the one the role goes on with."""
    import sys
    import time
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={"ansible_python_interpreter": sys.executable})}}
    rc, out = run_preflight(tmp_path, inventory, tasks_from="probe_request", show="control_plane_probe_request")
    assert rc == 0, out[-3000:]
    request = shown(out, "control_plane_probe_request")
    snapshot = {"args": dict(request, timeout=6) if case == "another request" else request,
                "read_at": time.time() - (1000 if case == "too old" else 5), "binary": True, "requests": True,
                "unit": {}, "ready": True, "cert": "c25hcHNob3Q=", "meshes": {}, "paths": {}}
    shown_vars = ["_control_plane_probe_read", "_control_plane_probed_cert"]
    rc, out = run_preflight(tmp_path, inventory, tasks_from="probe", show=shown_vars,
                            extra={"control_plane_probe_snapshot": snapshot})
    assert rc == 0, out[-3000:]
    read = shown(out, "_control_plane_probe_read")
    if case == "same request":
        assert read.get("skipped") is True, read
        assert shown(out, "_control_plane_probed_cert") == "c25hcHNob3Q="  # what the role goes on with
    else:
        assert "skipped" not in read and "ready" in read and "paths" in read, read  # the host was read
        assert shown(out, "_control_plane_probed_cert") != "c25hcHNob3Q="  # its own read's, not the snapshot's


def test_the_converge_include_leaves_each_step_to_its_own_tags():
    """The Converge include (main.yml) is tagged always and every step in converge.yml keeps its own step tag, so
    --skip-tags of one step (kuma_control_plane_firewall) leaves the others (a step tag on the include would skip all)."""
    import yaml
    tasks_dir = os.path.join(ROOT, "roles", "control_plane", "tasks")
    with open(os.path.join(tasks_dir, "main.yml"), encoding="utf-8") as handle:
        main = {t["name"]: t for t in yaml.safe_load(handle)}
    assert main["Converge"]["tags"] == ["always"]
    with open(os.path.join(tasks_dir, "converge.yml"), encoding="utf-8") as handle:
        steps = yaml.safe_load(handle)
    step_tags = [set(t["tags"]) - {"kuma_control_plane"} for t in steps]
    assert step_tags == [{"kuma_control_plane_install"}, {"kuma_control_plane_install"}, {"kuma_control_plane_firewall"},
                         {"kuma_control_plane_configure"}]


@pytest.mark.parametrize("same_request", [True, False])
def test_the_summary_shows_a_snapshot_read_with_its_own_request_and_reads_otherwise(tmp_path, same_request):
    """Issue 23: deploy_mesh hands the summary the registration's read of the CP after its changes
    (control_plane_summary_snapshot) when nothing changed after it; the summary shows it, reading nothing, only when it
    was read with the summary's own request (API, leader gauge, mesh security). Another request's (here another
    diagnostics port) is set aside and the CP is read (none here: the read fails, naming the API it called)."""
    import sys
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={"ansible_python_interpreter": sys.executable})},
                 "kuma_dataplanes": {"hosts": {}}}
    args = {"api_url": "http://127.0.0.1:5681", "leader_metric_url": "http://127.0.0.1:5680/metrics", "mesh_security": True}
    snapshot = {"args": args if same_request else dict(args, leader_metric_url="http://127.0.0.1:6680/metrics"),
                "dataplanes": [{"mesh": "default", "name": "redis-1", "online": True, "labels": {}}],
                "meshes": [{"name": "default", "mtls": "strict"}], "leader": True}
    rc, out = run_preflight(tmp_path, inventory, tasks_from="summary", extra={"control_plane_summary_snapshot": snapshot})
    if same_request:
        assert rc == 0, out[-3000:]
        assert "default redis-1 online" in out and "cp leader" in out
        assert "skipping: [cp]" in out.split("Read every Dataplane and its state", 1)[1].split("TASK", 1)[0]
    elif rc != 0:  # the read ran, and nothing answers on the API here: it fails naming it
        assert "127.0.0.1:5681" in out, out[-3000:]
    else:  # the read ran, and something answers on this machine's port
        assert "skipping: [cp]" not in out.split("Read every Dataplane and its state", 1)[1].split("TASK", 1)[0], out[-3000:]


@pytest.mark.parametrize("meshes,indexes", [([{"mtls": None}], "0"),
                                            ([{"name": "default"}, {"name": 5}, {"name": ""}], "1, 2")])
def test_a_mesh_without_a_name_is_refused_naming_its_index(tmp_path, meshes, indexes):
    """Every mesh the role manages is named (the first play's read of the CP lists them by name): one without a name,
    an empty one or one that is not a string is refused by the preflight, before any change, with its index."""
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={"control_plane_meshes": meshes})}}
    rc, out = run_preflight(tmp_path, inventory)
    assert rc != 0
    assert out == ("control_plane_meshes: every item needs a name, a string (the Mesh's name, for example default); "
                   "items without one, counted from 0: %s." % indexes), out[-3000:]
    rc, out = run_preflight(tmp_path, inventory, tasks_from="probe_request")  # the first play's request: no error there
    assert rc == 0, out[-3000:]


def test_deploy_mesh_validates_each_entry_point_it_runs_before_anything_changes(tmp_path):
    """deploy_mesh calls each role entry point by its argument_specs name (tasks_from: preflight, not preflight.yml,
    which Ansible would run without validating): a setting of the wrong type is refused in the first play, naming it,
    before the checks that assume its type and before any change."""
    # The first play reads the host (read-only, --check): this interpreter, which has what the module needs.
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={"control_plane_meshes": "default", "install_source": "present",
                                                           "ansible_python_interpreter": sys.executable})}}
    rc, out = run_preflight(tmp_path, inventory, playbook="kuma.universal.deploy_mesh", check=True,
                            options=["--tags", "kuma_preflight"])
    assert rc != 0
    assert out == ("Validation of arguments failed:\nElements value for option 'control_plane_meshes' is of type str and "
                   "we were unable to convert to dict: dictionary requested, could not parse JSON or key=value"), out[-3000:]


@pytest.mark.parametrize("settings,refused", [({"install_source": "url"}, True), ({"install_source": "present"}, False)])
def test_the_install_settings_are_refused_naming_them_and_pass_silently(tmp_path, settings, refused):
    """The version check's install settings (install role, entry point versions): a url source without its sha256 is
    refused with the settings named and their values; settings that pass leave the check skipped."""
    inventory = {"kuma_control_plane": {"hosts": hosts(cp=dict(settings, ansible_python_interpreter=sys.executable))}}
    rc, out = run_preflight(tmp_path, inventory, role="kuma.universal.install", tasks_from="versions", check=True)
    if refused:
        assert rc != 0
        assert out == ('install_source must be url (with install_sha256: the 64 hex digits of the archive), archive (with '
                       'install_archive: a path on the controller) or present, kuma_version a Kuma version such as 2.14.3, '
                       'and install_components with install_extra_components the binaries this host gets, at least one '
                       'of kuma-cp, kuma-dp, envoy and kumactl; got install_source=url, kuma_version=%s, '
                       'install_components=["kuma-cp", "kumactl"], install_extra_components=[] on cp.'
                       % KUMA_VERSION), out[-3000:]
    else:
        assert rc == 0, out[-3000:]
        assert "skipping: [cp]" in out.split("Check the install settings", 1)[1].split("TASK", 1)[0], out[-3000:]


def test_proxies_without_a_control_plane_to_connect_to_are_refused_naming_it(tmp_path):
    """The sidecar role's preflight, before it reads the host: no DP server URL nor CA (no control_plane role ran, none
    given) is refused naming the control plane host to run it on."""
    sidecar = {"service": "web", "inbound": [{"port": 18080, "service_port": 8080}]}
    inventory = {"kuma_control_plane": {"hosts": hosts(cp={})},
                 "kuma_dataplanes": {"hosts": hosts(app={"kuma_sidecars": [sidecar], "sidecar_address": "10.0.0.5"})}}
    rc, out = run_preflight(tmp_path, inventory, role="kuma.universal.sidecar", tasks_from="preflight")
    assert rc != 0
    assert out == ("No DP server URL or CA certificate: run kuma.universal.control_plane on cp earlier in the same "
                   "playbook, or set sidecar_cp_url and sidecar_ca_cert."), out[-3000:]
    # Given both, the check passes (skipped) and the preflight goes on to read the host (which has no systemd here:
    # that read is what fails then).
    inventory["kuma_dataplanes"]["hosts"]["app"].update(
        sidecar_cp_url="https://cp:5678", sidecar_ca_cert="-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
        ansible_python_interpreter=sys.executable)
    rc, out = run_preflight(tmp_path, inventory, role="kuma.universal.sidecar", tasks_from="preflight", full=True)
    assert "No DP server URL" not in out, out[-3000:]
    assert "skipping: [app]" in out.split("Check what the proxies connect to", 1)[1].split("TASK", 1)[0], out[-3000:]
    assert "fatal: [app]" in out.split("Read the proxies of this host", 1)[1].split("TASK", 1)[0], out[-3000:]
