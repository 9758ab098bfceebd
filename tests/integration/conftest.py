# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real kuma-cp (memory store, loopback only) for the module tests, and a way to run the
modules through real ansible-playbook with the JSON callback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time

import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON = sys.executable


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


@pytest.fixture(scope="session")
def kuma_bin(tmp_path_factory):
    archive = os.environ.get("KUMA_ARCHIVE")
    if not archive:
        archive = subprocess.run(["bash", os.path.join(ROOT, "scripts", "kuma-dist.sh")], check=True,
                                 capture_output=True, text=True).stdout.strip()
    dest = tmp_path_factory.mktemp("kuma")
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="tar")
    (top,) = [p for p in dest.iterdir() if p.is_dir()]
    return top / "bin"


class ControlPlane:
    """kuma-cp with every port on a free loopback port; restart keeps the ports and work dir."""

    def __init__(self, bin_dir, work_dir):
        self.bin_dir = bin_dir
        self.work_dir = work_dir
        self.ports = {name: free_port() for name in ("api", "https", "dp", "diag", "mads", "intercp")}
        self.url = "http://127.0.0.1:%d" % self.ports["api"]
        self.https_url = "https://localhost:%d" % self.ports["https"]
        self.dp_address = "https://127.0.0.1:%d" % self.ports["dp"]
        self.ca_cert = str(work_dir / "kuma-cp.crt")
        self.proc = None
        self.log = None

    def env(self):
        env = dict(os.environ)
        env.update({
            "KUMA_STORE_TYPE": "memory",
            "KUMA_GENERAL_WORK_DIR": str(self.work_dir),
            "KUMA_API_SERVER_HTTP_INTERFACE": "127.0.0.1",
            "KUMA_API_SERVER_HTTP_PORT": str(self.ports["api"]),
            "KUMA_API_SERVER_HTTPS_INTERFACE": "127.0.0.1",
            "KUMA_API_SERVER_HTTPS_PORT": str(self.ports["https"]),
            "KUMA_DP_SERVER_PORT": str(self.ports["dp"]),
            "KUMA_DIAGNOSTICS_SERVER_PORT": str(self.ports["diag"]),
            "KUMA_MONITORING_ASSIGNMENT_SERVER_PORT": str(self.ports["mads"]),
            "KUMA_INTER_CP_SERVER_PORT": str(self.ports["intercp"]),
            "KUMA_DEFAULTS_SKIP_MESH_CREATION": "true",
        })
        return env

    def start(self):
        self.log = open(self.work_dir / "kuma-cp.log", "ab")
        self.proc = subprocess.Popen([str(self.bin_dir / "kuma-cp"), "run"], env=self.env(), stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=str(self.work_dir))
        try:
            wait_for(lambda: requests.get(self.url + "/", timeout=2).status_code == 200, 60, "kuma-cp API")
            wait_for(lambda: requests.get("http://127.0.0.1:%d/ready" % self.ports["diag"], timeout=2).ok, 60,
                     "kuma-cp ready")
        except AssertionError as exc:
            self.stop()
            log = (self.work_dir / "kuma-cp.log").read_text(errors="replace")[-3000:]
            raise AssertionError("%s\nkuma-cp log (tail):\n%s" % (exc, log))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
        self.proc = None

    def restart(self):
        self.stop()
        self.start()

    # independent reads, for assertions
    def get(self, path):
        response = requests.get(self.url + path, timeout=10)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def ensure_mesh(self, name="default"):
        response = requests.put(self.url + "/meshes/" + name, json={"type": "Mesh", "name": name}, timeout=10)
        response.raise_for_status()
        # the mesh's dataplane token signing key is created asynchronously
        wait_for(lambda: self.get("/meshes/%s/secrets" % name)["total"] > 0, 30, "signing key of mesh " + name)


@pytest.fixture(scope="session")
def cp(kuma_bin, tmp_path_factory):
    plane = ControlPlane(kuma_bin, tmp_path_factory.mktemp("kuma-cp"))
    plane.start()
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def default_mesh(cp):
    """The mesh most tests use; re-created after a control-plane restart (memory store)."""
    if cp.get("/meshes/default") is None:
        cp.ensure_mesh("default")
    return "default"


class Ansible:
    """Runs tasks through ansible-playbook against localhost; returns each task's result."""

    def __init__(self, cp, tmp_dir):
        self.cp = cp
        self.tmp_dir = tmp_dir
        self.count = 0

    def play(self, *tasks, check=False):
        """tasks: (module short name, args) or dicts with module/args/check_mode; results in order."""
        entries = []
        for i, task in enumerate(tasks):
            if isinstance(task, tuple):
                task = {"module": task[0], "args": task[1]}
            entry = {"name": "task %d" % i, "kuma.universal." + task["module"]: task["args"],
                     "ignore_errors": True, "diff": True}
            if task.get("check_mode", check):
                entry["check_mode"] = True
            entries.append(entry)
        playbook = [{"hosts": "localhost", "gather_facts": False, "connection": "local",
                     "module_defaults": {"group/kuma.universal.kuma": {"api_url": self.cp.url}},
                     "tasks": entries}]
        self.count += 1
        path = self.tmp_dir / ("play-%d.yml" % self.count)
        path.write_text(json.dumps(playbook, indent=1))
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, "build", "collections"),
            "ANSIBLE_STDOUT_CALLBACK": "json",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_PYTHON_INTERPRETER": PYTHON,
            "ANSIBLE_NOCOLOR": "1",
        })
        env.pop("KUMA_API_URL", None)
        proc = subprocess.run([os.path.join(os.path.dirname(PYTHON), "ansible-playbook"), "-i", "localhost,",
                               str(path)], env=env, capture_output=True, text=True, cwd=ROOT, check=False)
        try:
            output = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("ansible-playbook output is not JSON:\n%s\n%s" % (proc.stdout, proc.stderr))
        results = [t["hosts"]["localhost"] for t in output["plays"][0]["tasks"]]
        assert len(results) == len(entries), proc.stdout
        return results

    def run(self, module, args, check=False):
        return self.play((module, args), check=check)[0]


@pytest.fixture
def ansible(cp, tmp_path):
    return Ansible(cp, tmp_path)
