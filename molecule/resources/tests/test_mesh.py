# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify a deployed mesh from the outside: systemd units, files, the CP's own view and
real traffic (the Backend counts hits in Redis through its outbound)."""
import json
import os
import re
import time

import pytest
import testinfra

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "default")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
# The postgres scenario runs the API on a non-default kuma_api_port (its molecule.yml).
API_PORT = 6681 if os.environ.get("MOLECULE_SCENARIO_NAME") == "postgres" else 5681
API = "http://127.0.0.1:%d" % API_PORT
KUMA3 = os.environ.get("KUMA_VERSION", "2").split(".")[0] == "3"

# What each scenario must leave behind: Dataplanes per host, and what must be gone.
EXPECTED = {
    "default": {
        "present": {
            "redis-vm": ["redis-redis-vm-%d" % i for i in range(6)],
            "backend-vm": ["backend-backend-vm-0"],
        },
        "gone": {},
        "backend": ("backend-vm", "backend-backend-vm-0", 9901),
        "redis_host": "redis-vm",
    },
    "prune": {
        # backend-vm's kuma_sidecars is not given (molecule/prune/converge.yml): its proxy stays.
        "present": {"redis-vm": ["redis-redis-vm-%d" % i for i in range(5)] + ["cache-redis-vm-0"],
                    "backend-vm": ["backend-backend-vm-0"]},
        "gone": {"redis-vm": ["redis-redis-vm-5"]},
        "backend": None,
        "redis_host": None,
    },
    "postgres": {
        "present": {"app-vm": ["redis-app-vm-0", "backend-app-vm-0"]},
        "gone": {},
        "backend": ("app-vm", "backend-app-vm-0", None),
        "redis_host": "app-vm",
    },
}[SCENARIO]


def vm(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


CP = vm("cp")


def api(path):
    out = CP.check_output("curl -sS --fail --max-time 10 '%s%s'", API, path)
    return json.loads(out)


def dataplanes():
    """Every Dataplane with its online state, computed like Kuma does: some subscription
    connected and not disconnected."""
    result = {}
    for item in api("/meshes/default/dataplanes/_overview?size=1000")["items"]:
        subs = item.get("dataplaneInsight", {}).get("subscriptions", [])
        online = any(s.get("connectTime") and not s.get("disconnectTime") for s in subs)
        result[item["name"]] = {"online": online, "entity": item["dataplane"], "labels": item.get("labels", {})}
    return result


def _playbook(*extra, **env_extra):
    """deploy-mesh.yml on the scenario's inventory with this tree's collection; it must succeed: its run."""
    import subprocess

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(root, "build", "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_PIPELINING="True", **env_extra)
    run = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(root, "playbooks", "deploy-mesh.yml"), *extra],
                         env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return run


def _deploy(*extra):
    """deploy-mesh.yml (json callback): its stats and, per task name, each host's result."""
    run = _playbook(*extra, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    out = json.loads(run.stdout[run.stdout.index("{"):])
    tasks = {}
    for play in out["plays"]:
        for task in play["tasks"]:
            tasks.setdefault(task["task"]["name"], {}).update(task["hosts"])
    return out["stats"], tasks


PRESENT = [(h, n) for h, names in EXPECTED["present"].items() for n in names]
GONE = [(h, n) for h, names in EXPECTED["gone"].items() for n in names]


@pytest.mark.parametrize("hostname,name", PRESENT)
def test_unit_active_as_kuma_dp(hostname, name):
    host = vm(hostname)
    service = host.service("kuma-dp@%s" % name)
    assert service.is_running
    assert service.is_enabled
    pid = host.check_output("systemctl show -p MainPID --value kuma-dp@%s", name)
    assert host.check_output("ps -o user= -p %s", pid) == "kuma-dp"
    envoy = host.check_output("pgrep -u kuma-dp -f 'envoy.*%s' | head -1", name)
    assert envoy, "no Envoy running as kuma-dp for %s" % name


@pytest.mark.parametrize("hostname,name", PRESENT)
def test_token_private_to_kuma_dp(hostname, name):
    token = vm(hostname).file("/etc/kuma/dp/tokens/%s/token" % name)
    assert token.is_file
    assert token.mode == 0o600
    assert token.user == "kuma-dp"


def test_every_dataplane_online_and_labelled():
    dps = dataplanes()
    for hostname, name in PRESENT:
        assert name in dps, "%s missing from the CP" % name
        assert dps[name]["online"], "%s is not online" % name
        labels = dps[name]["entity"].get("labels", {}) or dps[name]["labels"]
        assert labels.get("kuma.universal/managed-by") == "ansible"
        assert labels.get("kuma.universal/host") == hostname
    managed = {n for n, d in dps.items()
               if (d["entity"].get("labels") or d["labels"]).get("kuma.universal/managed-by") == "ansible"}
    assert managed == {name for dummy, name in PRESENT}


def test_replicas_follow_the_port_rule():
    dps = dataplanes()
    for hostname, name in PRESENT:
        if not name.startswith("redis-"):
            continue
        i = int(name.rsplit("-", 1)[1])
        inbound = dps[name]["entity"]["networking"]["inbound"][0]
        assert (inbound["port"], inbound["servicePort"]) == (9000 + i, 6379 + i)
        env = vm(hostname).file("/etc/kuma/dp/%s.env" % name).content_string
        assert "KUMA_DNS_ENABLED=false" in env
        assert "KUMA_DATAPLANE_RUNTIME_BINARY_PATH=/opt/kuma/current/bin/envoy" in env
    readiness = []
    for hostname, name in PRESENT:
        env = vm(hostname).file("/etc/kuma/dp/%s.env" % name).content_string
        readiness.append((hostname, re.search(r"KUMA_READINESS_PORT=(\d+)", env).group(1)))
    assert len(set(readiness)) == len(readiness), "two proxies share a readiness port"


@pytest.mark.parametrize("hostname,name", GONE)
def test_leftovers_gone_from_host(hostname, name):
    host = vm(hostname)
    service = host.service("kuma-dp@%s" % name)
    assert not service.is_running
    assert not service.is_enabled
    for path in ("/etc/kuma/dp/%s.env", "/etc/kuma/dp/tokens/%s", "/var/lib/kuma-dp/%s"):
        assert not host.file(path % name).exists, path % name
    assert host.run("pgrep -f '[e]nvoy.*%s'", name).rc == 1


@pytest.mark.parametrize("hostname,name", GONE)
def test_leftovers_gone_from_cp(hostname, name):
    assert CP.run("curl -sS -o /dev/null -w '%%{http_code}' %s/meshes/default/dataplanes/%s", API, name).stdout == "404"


def _redis_hits():
    host = vm(EXPECTED["redis_host"])
    ports = re.findall(r"redis@(\d+)\.service", host.check_output("systemctl list-units 'redis@*' --no-legend --plain"))
    assert ports
    return sum(int(host.check_output("redis-cli -p %s GET hits", p) or 0) for p in ports)


def _envoy_redis_connections(hostname, name):
    """The Backend's Envoy's connections to Redis: cluster 'redis' on Kuma 2, the MeshService's
    cluster kri_msvc_<mesh>_<zone>__redis_<port> on Kuma 3."""
    out = vm(hostname).check_output(
        "curl -sS --unix-socket /var/lib/kuma-dp/%s/kuma-envoy-admin.sock http://localhost/stats", name)
    match = re.search(r"^cluster\.(?:redis|kri_msvc_default_default__redis_\d+)\.upstream_cx_total: (\d+)$", out, re.M)
    assert match, "no redis cluster in the Backend's Envoy stats"
    return int(match.group(1))


@pytest.mark.skipif(EXPECTED["backend"] is None, reason="no Backend in this scenario")
def test_request_crosses_the_mesh():
    hostname, name = EXPECTED["backend"][:2]
    address = dataplanes()[name]["entity"]["networking"]["address"]
    hits_before = _redis_hits()
    cx_before = _envoy_redis_connections(hostname, name)
    answers = [CP.check_output("curl -sS --fail --max-time 10 http://%s:8000/", address) for dummy in range(4)]
    for answer in answers:
        assert re.match(r"^hits=\d+ redis_port=\d+$", answer), answer
    # Redis itself counted the four hits, and they went through Envoy's redis cluster.
    assert _redis_hits() == hits_before + 4
    assert _envoy_redis_connections(hostname, name) >= cx_before + 4
    # The app listens on loopback only: the only way in is the proxy.
    assert CP.run("curl -sS --max-time 5 http://%s:80/", address).rc != 0


@pytest.mark.skipif(SCENARIO != "default", reason="the seed's six Redis replicas: default scenario only")
def test_requests_answered_by_every_replica():
    """Through the Backend's outbound (Kuma 2: tags; Kuma 3: backendRef to the MeshService the
    module writes, whose port targets the inbound by name): every Redis replica answers. Bounded:
    at most 36 requests."""
    hostname, name = EXPECTED["backend"][:2]
    address = dataplanes()[name]["entity"]["networking"]["address"]
    ports = set()
    for dummy in range(36):
        answer = CP.check_output("curl -sS --fail --max-time 10 http://%s:8000/", address)
        ports.add(int(re.match(r"^hits=\d+ redis_port=(\d+)$", answer).group(1)))
        if len(ports) == 6:
            break
    assert ports == set(range(6379, 6385)), ports


@pytest.mark.skipif(EXPECTED["backend"] is None or EXPECTED["backend"][2] is None, reason="no admin port here")
def test_admin_port_answers_ready():
    hostname, name, port = EXPECTED["backend"]
    address = dataplanes()[name]["entity"]["networking"]["address"]
    assert dataplanes()[name]["entity"]["networking"]["admin"]["port"] == port
    assert CP.check_output("curl -sS --fail --max-time 5 http://%s:%s/ready", address, str(port)) == "LIVE"


@pytest.mark.skipif(SCENARIO != "postgres", reason="postgres scenario only")
def test_control_plane_uses_postgres():
    config = api("/config")
    assert config["store"]["type"] == "postgres"
    assert "password" not in CP.check_output("systemctl show -p ExecStart kuma-cp").lower()
    env = CP.file("/etc/kuma/kuma-cp.env")
    assert env.mode == 0o600 and env.user == "root"
    assert "KUMA_STORE_POSTGRES_PASSWORD" not in CP.file("/etc/kuma/kuma-cp.yaml").content_string
    tables = vm("postgres").check_output("runuser -u postgres -- psql -d kuma -Atc 'select count(*) from resources'")
    assert int(tables) > 0
    # The role's default TLS mode, verifyFull, against the scenario's test CA; every kuma-cp connection is TLS
    # (PostgreSQL's own view; pg_hba accepts the kuma user over TLS only).
    assert config["store"]["postgres"]["tls"]["mode"] == "verifyFull"
    ssl = vm("postgres").check_output(
        "runuser -u postgres -- psql -Atc %s",
        "SELECT DISTINCT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'kuma'")
    assert ssl.split() == ["t"], ssl


@pytest.mark.skipif(SCENARIO != "postgres", reason="postgres scenario only (kuma_api_port: 6681)")
def test_a_non_default_api_port_serves_every_caller():
    # kuma_api_port is the one setting of the API port: kuma-cp listens there and nowhere else, and
    # every caller used it (the converge registered the proxies, issued their tokens, ran the summary).
    assert api("/")["version"] == "2.14.3"
    assert CP.run("curl -sS -o /dev/null --max-time 5 http://127.0.0.1:5681/").rc != 0
    assert api("/config")["apiServer"]["http"]["port"] == 6681
    assert api("/meshes/default/dataplanes")["total"] == 2


@pytest.mark.skipif(SCENARIO != "postgres", reason="postgres scenario only")
def test_password_never_in_vvv_output_of_a_migration():
    """Issue 21 item 1: with the environment file gone, deploy-mesh rewrites it and runs kuma-cp
    migrate up (systemd-run reads the password from that file): neither its -vvv output nor
    the command lines it ran carry the password."""
    import subprocess

    password = "molecule-Only-0f-this-scenario"  # molecule/postgres/molecule.yml
    # The scenario's inventory takes the PostgreSQL host from the postgres container's facts,
    # which a run outside molecule has not gathered: give the address the CP already uses.
    pg_host = api("/config")["store"]["postgres"]["host"]
    CP.run("rm -f /etc/kuma/kuma-cp.env")
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    run = subprocess.run(["ansible-playbook", "-vvv", "-i", INVENTORY, "-e", "control_plane_postgres_host=" + pg_host,
                          os.path.join(root, "playbooks", "deploy-mesh.yml")],
                         env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    # The migration ran (no_log hides its arguments, not whether it ran)
    block = run.stdout.split("Migrate the Postgres schema]", 1)[1].split("TASK [", 1)[0]
    assert "skipping" not in block and "[cp]" in block, block[:1500]
    assert password not in run.stdout and password not in run.stderr
    assert CP.file("/etc/kuma/kuma-cp.env").mode == 0o600
    assert CP.service("kuma-cp").is_running


@pytest.mark.skipif(SCENARIO != "postgres", reason="postgres scenario only (url source)")
def test_release_downloaded_once_into_the_versioned_cache():
    import hashlib

    archive = os.environ["KUMA_ARCHIVE"]
    cached = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "releases", "2.14.3", os.path.basename(archive))
    with open(cached, "rb") as got, open(archive + ".sha256") as want:
        assert hashlib.sha256(got.read()).hexdigest() == want.read().split()[0]
    for name, binary in (("cp", "kuma-cp"), ("app-vm", "kuma-dp")):
        host = vm(name)
        assert host.file("/opt/kuma/current").linked_to == "/opt/kuma/2.14.3"
        assert "2.14.3" in host.check_output("/opt/kuma/current/bin/%s version" % binary)


def test_each_host_has_only_the_binaries_it_runs():
    """Issue 23 item 3: a control plane gets kuma-cp and kumactl, a data-plane host kuma-dp and
    Envoy (kumactl only with a transparent proxy: molecule/tproxy needs it); each binary whole
    (it runs) and no staging directory left behind."""
    wanted = {"cp": ["kuma-cp", "kumactl"]}
    for name in EXPECTED["present"]:
        wanted[name] = ["envoy", "kuma-dp"]
    for name, binaries in wanted.items():
        host = vm(name)
        release = host.file("/opt/kuma/current").linked_to
        assert sorted(host.file(release + "/bin").listdir()) == sorted(binaries), name
        assert not host.file(release + "/.incoming").exists, name
        for binary in binaries:
            if binary != "envoy":
                assert host.run("%s/bin/%s version" % (release, binary)).rc == 0, (name, binary)
        assert host.file("/usr/local/bin/kumactl").exists == ("kumactl" in binaries), name
        if "envoy" in binaries:
            assert host.run("/opt/kuma/current/bin/envoy --version").rc == 0, name


@pytest.mark.skipif(SCENARIO != "default", reason="default scenario only")
def test_an_install_cut_off_on_the_host_is_finished_by_the_next_run():
    """What a host that crashed while writing kuma-dp has (none in bin/, a partial one in .incoming/):
    the next run clears the staging directory, puts the whole, checked kuma-dp in place, and restarts
    nothing (the running proxy kept its binary)."""
    import subprocess

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    host = vm("backend-vm")
    release = host.file("/opt/kuma/current").linked_to
    want = host.check_output("sha256sum %s/bin/kuma-dp", release).split()[0]
    pid = host.check_output("systemctl show -p MainPID --value kuma-dp@backend-backend-vm-0")
    host.run_test("mkdir -m 0700 {0}/.incoming && head -c 1000000 {0}/bin/kuma-dp > {0}/.incoming/kuma-dp "
                  "&& rm {0}/bin/kuma-dp".format(release))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(root, "build", "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    run = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(root, "playbooks", "deploy-mesh.yml"),
                          "--limit", "cp,backend-vm"], env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    block = run.stdout.split("Ship this host's binaries, check them and put them in place]", 1)[1].split("TASK [", 1)[0]
    assert "changed: [backend-vm]" in block, block
    assert host.check_output("sha256sum %s/bin/kuma-dp", release).split()[0] == want
    assert not host.file(release + "/.incoming").exists
    assert host.check_output("systemctl show -p MainPID --value kuma-dp@backend-backend-vm-0") == pid


@pytest.mark.skipif(SCENARIO != "default", reason="default scenario only")
def test_port_collision_refused_before_any_change():
    """A second service whose inbound lands on redis replica 5's port: the playbook must
    stop in the preflight, name both proxies and the port, and leave the host untouched."""
    import subprocess

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    host = vm("redis-vm")
    snapshot = "find /etc/kuma/dp /var/lib/kuma-dp /etc/systemd/system -newer /etc/hostname -printf '%p %T@\\n' | sort"
    before = host.check_output(snapshot)
    sidecars = [
        {"service": "redis", "replicas": 6, "inbound": [{"port": 9000, "service_port": 6379, "tags": {"version": "7.0"}}]},
        {"service": "cache", "inbound": [{"port": 9005, "service_port": 7000}]},
    ]
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(root, "build", "collections"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    run = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, os.path.join(root, "playbooks", "deploy-mesh.yml"),
         "--limit", "redis-vm", "-e", json.dumps({"kuma_sidecars": sidecars})],
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode != 0
    report = json.loads(run.stdout[run.stdout.index("{"):])
    messages = [t["hosts"]["redis-vm"].get("msg", "") for p in report["plays"] for t in p["tasks"] if "redis-vm" in t["hosts"]]
    assert any("port 9005 collides on redis-vm: cache-redis-vm-0 inbound port and redis-redis-vm-5 inbound port" in m
               for m in messages), messages
    assert report["stats"]["redis-vm"]["changed"] == 0
    assert report["stats"]["redis-vm"]["failures"] == 1
    assert host.check_output(snapshot) == before
    assert not host.file("/etc/kuma/dp/cache-redis-vm-0.env").exists


@pytest.mark.skipif(SCENARIO != "default", reason="default scenario only")
def test_check_mode_reports_no_change():
    """deploy-mesh.yml --check on the deployed mesh: every host reports changed=0, and a converged data-plane host
    leaves the data-plane play after its read (issue 23; test_one_stopped_proxy_is_not_left_alone_as_converged)."""
    stats, tasks = _deploy("--check", "--diff")
    assert set(stats) == {"cp", "redis-vm", "backend-vm"}
    assert {h: s["changed"] for h, s in stats.items()} == {"cp": 0, "redis-vm": 0, "backend-vm": 0}
    assert "redis-vm" not in tasks["Leave a host that already runs what it should"]
    assert "redis-vm" not in tasks["Install Kuma"]


@pytest.mark.skipif(SCENARIO != "prune", reason="prune scenario only")
def test_freed_ports_reused_in_the_same_run():
    """cache-redis-vm-0 took what the removed redis-redis-vm-5 held (inbound 9005, readiness
    9907) in the run that removed it: its kuma-dp started once, never failed on a busy port,
    and its Envoy listens on 9005 in front of redis@6384."""
    host = vm("redis-vm")
    name = "cache-redis-vm-0"
    env = host.file("/etc/kuma/dp/%s.env" % name).content_string
    assert "KUMA_READINESS_PORT=9907" in env
    assert host.check_output("systemctl show -p NRestarts --value kuma-dp@%s", name) == "0"
    log = host.check_output("journalctl --no-pager -u kuma-dp@%s", name)
    assert "address already in use" not in log
    address = dataplanes()[name]["entity"]["networking"]["address"]
    assert dataplanes()[name]["entity"]["networking"]["inbound"][0]["port"] == 9005
    # Through the new proxy's inbound to Redis on 6384 (the removed replica's app).
    assert CP.check_output("redis-cli -h %s -p 9005 PING", address) == "PONG"
    assert host.run("curl -sS --fail --max-time 5 http://127.0.0.1:9907/ready").rc == 0


@pytest.mark.skipif(SCENARIO != "default", reason="default scenario only")
def test_a_converged_data_plane_host_is_read_once_and_its_tokens_never_shown():
    """A converged re-run costs a data-plane host one module run (issue 23), and the control plane no read of its own
    (the first play's read of the CP serves the control_plane role, the registration's read the summary: no
    control_plane_probe nor dataplane_info module built). The first play's probe takes a snapshot of each data-plane
    host's proxies and the data-plane play's read runs against it on the controller - -vvv shows no dataplane_proxies
    module built, nor dataplane_tokens (the tokens in hand are checked on the controller against the signing keys the
    registration read). The snapshot holds the token files: none is in the -vvv output. With
    sidecar_snapshot_max_age=0 the snapshot is set aside and each host is read as before (and says so at -vv)."""
    tokens = [vm(h).file("/etc/kuma/dp/tokens/%s/token" % n).content_string.strip() for h, n in PRESENT]
    assert all(len(t) > 100 for t in tokens)

    def vvv(*extra):
        run = _playbook("-vvv", *extra)
        out = run.stdout + run.stderr
        assert not [t for t in tokens if t in out], "a token is in the -vvv output"
        assert re.search(r"redis-vm\s*:\s*ok=\d+\s+changed=0", out) and re.search(r"backend-vm\s*:\s*ok=\d+\s+changed=0", out)
        return out

    out = vvv()
    assert len(re.findall(r"Using module file \S*/install_probe\.py", out)) == 3  # cp, redis-vm, backend-vm
    # The converged control plane too: the first play's read serves the control_plane role (its cp_snapshot), and the
    # registration's read after its changes serves the summary (nothing changed after it), which still lists them all.
    assert not re.findall(r"Using module file \S*/control_plane_probe\.py", out)
    assert not re.findall(r"Using module file \S*/dataplane_info\.py", out)
    assert all(re.search(r"default %s online" % n, out) for _h, n in PRESENT), out[-3000:]
    assert not re.findall(r"Using module file \S*/dataplane_proxies\.py", out)
    # The tokens in hand are good: decided on the controller against the keys the registration read (the drift test
    # below has one about to expire: that one is issued by the module).
    assert not re.findall(r"Using module file \S*/dataplane_tokens\.py", out)
    assert len(re.findall(r"Using module file \S*/dataplanes\.py", out)) == 1
    assert "the snapshot is set aside" not in out
    out = vvv("-e", "sidecar_snapshot_max_age=0")
    assert len(re.findall(r"Using module file \S*/dataplane_proxies\.py", out)) == 2  # one read per data-plane host
    assert len(re.findall(r"dataplane_proxies: the snapshot is set aside, the host is read: taken \d+ s ago", out)) == 2


@pytest.mark.skipif(SCENARIO != "default", reason="default scenario only")
def test_one_stopped_proxy_is_not_left_alone_as_converged():
    """A converged data-plane host leaves the data-plane play after its read (issue 23): one stopped kuma-dp and
    nothing else must still be seen - by --check (the host reports the change, nothing starts) and by the run
    that starts it again. The read is what tells, so this is its end-to-end test."""
    host = vm("redis-vm")
    unit = "kuma-dp@redis-redis-vm-4"
    assert host.service(unit).is_running
    # A host that goes on has the meta task skipped, then "Install Kuma" (deploy_mesh's next task); an ended one
    # has no result for either (the json callback records none: test_check_mode_reports_no_change).
    leave, install = "Leave a host that already runs what it should", "Install Kuma"

    def went_on(tasks):
        return tasks[leave].get("redis-vm", {}).get("skipped") is True and "redis-vm" in tasks[install]

    # The summary reads the CP again when a host went on past the registration (its read of the CP is then stale).
    def summary_read(tasks):  # a role's task is named "<role> : <name>" by the json callback
        return next(hosts for name, hosts in tasks.items() if name.endswith("Read every Dataplane and its state"))

    host.run("systemctl stop %s" % unit)
    stats, tasks = _deploy("--check", "--diff")
    assert stats["redis-vm"]["changed"] >= 1 and went_on(tasks), tasks.get(leave)
    assert not summary_read(tasks)["cp"].get("skipped"), summary_read(tasks)
    assert not host.service(unit).is_running
    stats, tasks = _deploy()
    assert stats["redis-vm"]["changed"] >= 1 and went_on(tasks), tasks.get(leave)
    assert not summary_read(tasks)["cp"].get("skipped"), summary_read(tasks)
    assert host.service(unit).is_running
    deadline = time.time() + 60
    while time.time() < deadline and not dataplanes().get("redis-redis-vm-4", {}).get("online"):
        time.sleep(2)
    assert dataplanes()["redis-redis-vm-4"]["online"]


@pytest.mark.skipif(SCENARIO != "default", reason="default scenario only")
def test_drift_is_found_and_fixed_by_the_next_run():
    """Four kinds of drift on redis-vm, then one deploy-mesh run: a drifted env file, a stopped
    unit, a Dataplane deleted from the CP and a token about to expire are each found and fixed.
    On the CP too (the control_plane role's probe must see them): kuma-cp disabled and its work
    dir opened up are fixed by the same run (neither needs a restart of kuma-cp)."""
    import base64
    import subprocess
    import time

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    host = vm("redis-vm")
    env_path = "/etc/kuma/dp/redis-redis-vm-0.env"
    host.run("sh -c 'echo KUMA_DNS_ENABLED=true >> %s'" % env_path)
    host.run("systemctl stop kuma-dp@redis-redis-vm-1")
    assert CP.run("curl -sS --fail -X DELETE %s/meshes/default/dataplanes/redis-redis-vm-2" % API).rc == 0
    # the service tag a token binds: Kuma 3 checks it against the Dataplane's labels (_kuma3)
    service_tag = "kuma.universal/service" if KUMA3 else "kuma.io/service"
    body = json.dumps({"name": "redis-redis-vm-3", "mesh": "default", "type": "dataplane",
                       "tags": {service_tag: ["redis"]}, "validFor": "1h"})
    expiring = CP.check_output("curl -sS --fail -X POST -H 'Content-Type: application/json' -d '%s' %s/tokens/dataplane"
                               % (body, API)).strip()
    token_path = "/etc/kuma/dp/tokens/redis-redis-vm-3/token"
    host.ansible("ansible.builtin.copy", "content=%s dest=%s owner=kuma-dp group=kuma-dp mode=0600" % (expiring, token_path),
                 check=False, become=True)
    assert host.file(token_path).content_string.strip() == expiring
    CP.run("systemctl disable kuma-cp.service")
    CP.run("chmod 0755 /var/lib/kuma-cp")
    assert not CP.service("kuma-cp").is_enabled and CP.file("/var/lib/kuma-cp").mode == 0o755

    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    run = subprocess.run(["ansible-playbook", "-i", INVENTORY, os.path.join(root, "playbooks", "deploy-mesh.yml")],
                         env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]

    assert "KUMA_DNS_ENABLED=true" not in host.file(env_path).content_string
    assert host.service("kuma-dp@redis-redis-vm-1").is_running
    renewed = host.file(token_path).content_string.strip()
    assert renewed != expiring
    claims = json.loads(base64.urlsafe_b64decode(renewed.split(".")[1] + "==="))
    assert claims["exp"] - time.time() > 2 * 86400, "the renewed token expires soon"
    assert host.file(token_path).mode == 0o600 and host.file(token_path).user == "kuma-dp"
    deadline = time.time() + 60
    while time.time() < deadline:
        dps = dataplanes()
        if all(dps.get("redis-redis-vm-%d" % i, {}).get("online") for i in range(6)):
            break
        time.sleep(2)
    assert all(dps.get("redis-redis-vm-%d" % i, {}).get("online") for i in range(6)), dps.keys()
    stats = json.loads(run.stdout[run.stdout.index("{"):])["stats"]
    assert stats["redis-vm"]["changed"] >= 1
    assert CP.service("kuma-cp").is_enabled and CP.file("/var/lib/kuma-cp").mode == 0o700
    assert stats["cp"]["changed"] >= 1
