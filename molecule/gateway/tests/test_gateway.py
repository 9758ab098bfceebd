# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 22 on real containers (gateway scenario, Kuma 2 and Kuma 3): HTTPS from a client outside
the mesh through the edge gateways on web-1 and web-2 into the mesh (mTLS on). Runs in file order;
the last test removes the gateway from the inventory."""
import json
import os
import re
import subprocess

import testinfra

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
API = "http://127.0.0.1:5681"
HOST = "web.example.test"
REQUESTS = 40  # per edge: bounded loop, each request at most 5 s


def vm(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


CP, WEB1, WEB2, CLIENT = vm("cp"), vm("web-1"), vm("web-2"), vm("client")
EDGES = {"web-1": WEB1, "web-2": WEB2}


def address(host):
    return host.check_output("hostname -I").split()[0]


def api(path):
    return json.loads(CP.check_output("curl -sS --fail --max-time 10 '%s%s'", API, path))


def curl(edge, path, host=HOST):
    """(status, body) of one HTTPS request from the client to an edge, the test CA trusted (for
    another host name than the certificate's, the name is not checked: -k)."""
    out = CLIENT.run("curl -sS --max-time 5 --cacert /root/test-ca.crt --resolve %s:8443:%s " + ("" if host == HOST else "-k ")
                     + "-o /tmp/body -w '%%{http_code}' https://%s:8443%s; echo; cat /tmp/body",
                     host, address(EDGES[edge]), host, path)
    status, _sep, body = out.stdout.partition("\n")
    return int(status or 0), body.strip()


def deploy(*args, extra=None):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    cmd = ["ansible-playbook", "-i", INVENTORY, os.path.join(ROOT, "playbooks", "deploy-mesh.yml")]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    run = subprocess.run(cmd + list(args), env=env, capture_output=True, text=True, timeout=900, check=False)
    return run.returncode, run.stdout + run.stderr


def rbac_denied(host, proxy):
    """The RBAC filter's denied counter of proxy's Envoy (its admin socket in the work directory)."""
    stats = host.check_output("curl -sS --max-time 5 --unix-socket /var/lib/kuma-dp/%s/kuma-envoy-admin.sock "
                              "http://admin/stats", proxy)
    return sum(int(n) for n in re.findall(r"rbac\.denied: (\d+)", stats))


def test_https_from_outside_reaches_every_web_replica_through_each_edge():
    for edge in EDGES:
        answers, failed = {}, 0
        for i in range(REQUESTS):
            status, body = curl(edge, "/web/%d" % i)
            if status != 200:
                failed += 1
                continue
            match = re.match(r"^web on (web-\d) path=/web/%d$" % i, body)
            assert match, body
            answers[match.group(1)] = answers.get(match.group(1), 0) + 1
        print("edge on %s: %d requests, answered by %s, %d failed" % (edge, REQUESTS, answers, failed))
        assert failed == 0 and set(answers) == {"web-1", "web-2"}, (edge, answers, failed)


def test_a_route_by_host_and_a_path_that_routes_nowhere():
    for edge in EDGES:
        assert curl(edge, "/any/path")[0] == 200  # host web.example.test: every path goes to web
        status, body = curl(edge, "/any/path", host="other.example.test")
        assert (status, body) == (404, ""), (status, body)  # the edge's own 404: no route, no upstream
        assert curl(edge, "/web/x", host="other.example.test")[0] == 200


def test_the_edge_terminates_tls_with_the_operators_certificate():
    out = CLIENT.run("echo | openssl s_client -connect %s:8443 -servername %s 2>/dev/null | head -20",
                     address(WEB1), HOST)
    assert re.search(r"^ *0 s: ?CN ?= ?web.example.test\n *i: ?CN ?= ?kuma.universal test CA$", out.stdout, re.M), out.stdout
    unverified = CLIENT.run("curl -sS --max-time 5 --resolve %s:8443:%s https://%s:8443/web/", HOST, address(WEB1), HOST)
    assert unverified.rc != 0  # the system CAs do not know the test CA: TLS is really the edge's


def test_a_service_the_gateway_does_not_route_to_refuses_it():
    before = rbac_denied(WEB1, "admin-web-1-0")
    statuses = [int(WEB1.check_output("curl -s -o /dev/null --max-time 5 -w '%s' http://127.0.0.1:10011/",
                                      "%{http_code}")) for _i in range(5)]
    after = rbac_denied(WEB1, "admin-web-1-0")
    print("admin through the gateway's outbound: %s; admin's rbac.denied %d -> %d" % (statuses, before, after))
    assert statuses == [403] * 5 and after - before >= 5
    # and web, which the gateway routes to, admits it through the same proxy
    assert WEB1.check_output("curl -s --max-time 5 http://127.0.0.1:10010/web/x").startswith("web on web-")


def test_the_mesh_is_mtls_only():
    # web's inbound from outside the mesh (no client certificate): refused
    plain = CLIENT.run("curl -s -o /dev/null --max-time 5 -w %s http://%s:9000/", "%{http_code}", address(WEB1))
    assert plain.stdout.strip() in ("000", "") and plain.rc != 0, plain.stdout


def test_the_gateway_is_registered_as_its_major_wants_and_admitted_by_the_roles_permission():
    version = api("/")["version"]
    dp = api("/meshes/default/dataplanes/edge-web-1-0")
    if version.startswith("2."):
        # DELEGATED is the type's default (left out of the JSON); the CP adds kuma.io/zone
        assert dp["networking"]["gateway"].get("type", "DELEGATED") == "DELEGATED"
        assert dp["networking"]["gateway"]["tags"]["kuma.io/service"] == "edge"
    else:
        assert "gateway" not in dp["networking"] and dp["labels"]["kuma.universal/service"] == "edge"
    assert "inbound" not in dp["networking"]
    mtp = api("/meshes/default/meshtrafficpermissions/kuma-universal-gateway-edge-to-web")
    assert mtp["labels"]["kuma.universal/gateway"] == "edge"
    names = [i["name"] for i in api("/meshes/default/meshtrafficpermissions")["items"]]
    assert names == ["kuma-universal-gateway-edge-to-web"], names  # nothing admits anyone to admin


def test_the_edge_runs_sandboxed_and_its_key_is_its_own():
    for host in EDGES.values():
        name = "edge-%s-0" % host.check_output("hostname")
        assert host.service("kuma-edge@%s" % name).is_running
        key = host.file("/etc/kuma/dp/edge/%s.key" % name)
        assert (key.user, key.group, key.mode) == ("kuma-dp", "kuma-dp", 0o600)
        # a kuma-dp does not see the edge's files (its view of the directory is an empty, inaccessible one)
        assert host.check_output("ls /etc/kuma/dp/edge").split() == ["%s.crt" % name, "%s.json" % name, "%s.key" % name]
        pid = host.check_output("systemctl show -p MainPID --value kuma-dp@web-%s-0", host.check_output("hostname"))
        assert host.check_output("nsenter -t %s -m ls -A /etc/kuma/dp/edge", pid) == ""
        assert host.check_output("nsenter -t %s -m stat -c %%a /etc/kuma/dp/edge", pid) == "0"


def test_check_diff_and_vvv_change_nothing_and_never_show_the_key():
    with open(os.path.join(EPHEMERAL, "pki", "edge.key")) as handle:
        key_body = handle.read().splitlines()[1]
    rc, out = deploy("--check", "--diff", "-vvv")
    assert rc == 0, out[-3000:]
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", out, re.M)
    assert recap and all(int(changed) == 0 for _host, changed in recap), recap
    assert key_body not in out


def main_pid(host, unit):
    return host.check_output("systemctl show -p MainPID --value %s", unit)


def test_a_new_route_restarts_the_edges_alone():
    before = {h: (main_pid(host, "kuma-edge@edge-%s-0" % h), main_pid(host, "kuma-dp@edge-%s-0" % h))
              for h, host in EDGES.items()}
    assert curl("web-1", "/w2/x", host="other.example.test")[0] == 404
    # the inventory's edge with one route more, from a file (the key stays a lookup, never a value here)
    routes = [{"path": "/web/", "service": "web"}, {"host": HOST, "service": "web"}, {"path": "/w2/", "service": "web"}]
    override = os.path.join(EPHEMERAL, "gw-route.json")
    with open(override, "w") as handle:
        json.dump({"gw_edge": {"service": "edge", "gateway": {
            "listeners": [{"port": 8443, "tls": {
                "certificate": "{{ lookup('ansible.builtin.file', gw_pki ~ '/edge.crt') }}",
                "key": "{{ lookup('ansible.builtin.file', gw_pki ~ '/edge.key') }}"}}],
            "routes": routes},
            "outbound": [{"port": 10010, "service": "web"}, {"port": 10011, "service": "admin"}]}}, handle)
    rc, out = deploy("-e", "@" + override)
    assert rc == 0, out[-3000:]
    for edge, host in EDGES.items():
        status, body = curl(edge, "/w2/x", host="other.example.test")
        assert status == 200 and re.match(r"^web on web-\d path=/w2/x$", body), (status, body)
        edge_pid, dp_pid = before[edge]
        assert main_pid(host, "kuma-edge@edge-%s-0" % edge) != edge_pid  # the edge restarted
        assert main_pid(host, "kuma-dp@edge-%s-0" % edge) == dp_pid  # its kuma-dp did not
    # and back: the route is gone again
    rc, out = deploy()
    assert rc == 0, out[-3000:]
    assert curl("web-2", "/w2/x", host="other.example.test")[0] == 404


def test_removing_the_gateway_removes_its_dataplanes_edges_and_permission():
    rc, out = deploy(extra={"gw_with_edge": False})
    assert rc == 0, out[-3000:]
    names = [i["name"] for i in api("/meshes/default/dataplanes")["items"]]
    assert not [n for n in names if n.startswith("edge-")], names
    assert api("/meshes/default/meshtrafficpermissions")["items"] == []
    for host in EDGES.values():
        assert host.check_output("systemctl list-units --all --plain --no-legend 'kuma-edge@*'") == ""
        assert host.check_output("ls -A /etc/kuma/dp/edge") == ""
        assert not host.socket("tcp://0.0.0.0:8443").is_listening
    # web still serves through the mesh, and a second run changes nothing
    assert WEB1.check_output("systemctl is-active kuma-dp@web-web-1-0") == "active"
    rc, out = deploy(extra={"gw_with_edge": False})
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", out, re.M)
    assert rc == 0 and all(int(changed) == 0 for _host, changed in recap), out[-3000:]
