# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The services' sandbox and the control plane's listening sockets, read from the running
containers: `systemd-analyze security` rates kuma-cp and a kuma-dp@ instance at most
MAX_EXPOSURE (4.9 before the units were hardened), the sandbox is in force in the running
processes, and kuma-cp listens exactly where its effective configuration says."""
import json
import os
import re

import pytest
import testinfra
import testinfra.utils.ansible_runner

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY)
# The postgres scenario runs the API on a non-default kuma_api_port (its molecule.yml).
API_PORT = 6681 if os.environ.get("MOLECULE_SCENARIO_NAME") == "postgres" else 5681
API = "http://127.0.0.1:%d" % API_PORT
MAX_EXPOSURE = 2.5
# Role defaults (roles/control_plane/defaults/main.yml): MADS off unless kuma_metrics_enabled, the rest on these ports.
MADS_PORT = 5676
DIAGNOSTICS_PORT = 5680
INTER_CP_PORT = 5683


def vm(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


CP = vm(RUNNER.get_hosts("kuma_control_plane")[0])


def exposure(host, unit):
    """The overall exposure figure systemd-analyze prints for a unit."""
    out = host.check_output("systemd-analyze security --no-pager %s", unit)
    match = re.search(r"Overall exposure level for %s: (\d+(?:\.\d+)?)" % re.escape(unit), out)
    assert match, out[-500:]
    return float(match.group(1))


def assert_sandboxed(host, unit):
    """The unit runs, and its main process really is under the seccomp filter and no_new_privs."""
    assert host.service(unit).is_running, unit
    pid = host.check_output("systemctl show -p MainPID --value %s", unit)
    status = host.check_output("cat /proc/%s/status", pid)
    assert re.search(r"^Seccomp:\s+2$", status, re.M), status
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), status
    assert re.search(r"^CapBnd:\s+0+$", status, re.M), status


def a_kuma_dp_instance():
    for name in RUNNER.get_hosts("kuma_dataplanes"):
        host = vm(name)
        units = host.check_output("systemctl list-units 'kuma-dp@*' --state=running --no-legend --plain")
        if units:
            return host, units.split()[0]
    raise AssertionError("no running kuma-dp@ instance on any kuma_dataplanes host")


def test_kuma_cp_exposure():
    assert_sandboxed(CP, "kuma-cp.service")
    assert exposure(CP, "kuma-cp.service") <= MAX_EXPOSURE


def test_kuma_dp_exposure():
    host, unit = a_kuma_dp_instance()
    assert_sandboxed(host, unit)
    assert exposure(host, unit) <= MAX_EXPOSURE


def kuma_cp_listeners():
    """{(address, port)} of the TCP sockets kuma-cp's user listens on (`*` = every interface)."""
    uid = CP.check_output("id -u kuma-cp")
    found = set()
    for line in CP.check_output("ss -ltnHe").splitlines():
        fields = line.split()
        if "uid:%s" % uid not in fields:
            continue
        address, port = fields[3].rsplit(":", 1)
        found.add((address.strip("[]"), int(port)))
    return found


def test_kuma_cp_listens_only_where_configured():
    config = json.loads(CP.check_output("curl -sS --fail --max-time 10 %s/config", API))
    expected = {
        (config["apiServer"]["http"]["interface"], config["apiServer"]["http"]["port"]),
        (config["apiServer"]["https"]["interface"], config["apiServer"]["https"]["port"]),
        ("*", config["dpServer"]["port"]),
        ("*", config["diagnostics"]["serverPort"]),
        ("*", config["interCp"]["server"]["port"]),
    }
    if config["monitoringAssignmentServer"]["enabled"]:
        expected.add(("*", config["monitoringAssignmentServer"]["port"]))
    assert kuma_cp_listeners() == expected


def test_mads_runs_only_when_metrics_are_wanted():
    # Off by default; on with kuma_metrics_enabled (the demo inventory: Prometheus reads it in molecule/default).
    wanted = bool(RUNNER.get_variables(RUNNER.get_hosts("kuma_control_plane")[0]).get("kuma_metrics_enabled", False))
    config = json.loads(CP.check_output("curl -sS --fail --max-time 10 %s/config", API))
    assert config["monitoringAssignmentServer"]["enabled"] is wanted
    assert (MADS_PORT in {p for dummy, p in kuma_cp_listeners()}) is wanted


def test_api_on_loopback_only():
    config = json.loads(CP.check_output("curl -sS --fail --max-time 10 %s/config", API))
    ports = {config["apiServer"]["http"]["port"], config["apiServer"]["https"]["port"]}
    assert {a for a, p in kuma_cp_listeners() if p in ports} == {"127.0.0.1"}
    # And the ports Kuma cannot bind to an address are where the role put them.
    assert ("*", DIAGNOSTICS_PORT) in kuma_cp_listeners()
    assert ("*", INTER_CP_PORT) in kuma_cp_listeners()


def test_a_proxy_sees_only_its_own_token_and_work_dir():
    """Issue 21 item 9: every kuma-dp runs as the same user, so the unit hides the other proxies' token and work
    directories in each instance's mount namespace; read from inside a running instance's namespace."""
    best = None
    for name in RUNNER.get_hosts("kuma_dataplanes"):
        host = vm(name)
        units = host.check_output("systemctl list-units 'kuma-dp@*' --state=running --no-legend --plain").split()
        units = [u for u in units if u.startswith("kuma-dp@")]
        if best is None or len(units) > len(best[1]):
            best = (host, units)
    host, units = best
    if len(units) < 2:
        pytest.skip("no data-plane host of this scenario runs two proxies")
    unit = units[0]
    name = unit[len("kuma-dp@"):-len(".service")]
    pid = host.check_output("systemctl show -p MainPID --value %s", unit)
    on_host = host.check_output("ls -A /etc/kuma/dp/tokens").split()
    assert len(on_host) >= 2 and name in on_host, on_host
    inside = host.check_output("nsenter -t %s -m ls -A /etc/kuma/dp/tokens /var/lib/kuma-dp", pid)
    assert inside.split() == ["/etc/kuma/dp/tokens:", name, "/var/lib/kuma-dp:", name], inside
    # Its own token is there to read, and a sibling's path is not, even for root in that namespace.
    assert host.run("nsenter -t %s -m test -s /etc/kuma/dp/tokens/%s/token", pid, name).rc == 0
    sibling = [n for n in on_host if n != name][0]
    assert host.run("nsenter -t %s -m test -e /etc/kuma/dp/tokens/%s/token", pid, sibling).rc == 1
    assert host.run("test -s /etc/kuma/dp/tokens/%s/token", sibling).rc == 0
