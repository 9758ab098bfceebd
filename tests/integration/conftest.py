# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real kuma-cp (memory store, loopback only) for the module tests, and a way to run the
modules through real ansible-playbook with the JSON callback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON = sys.executable

sys.path.insert(0, os.path.join(ROOT, "tests"))

from support.kuma_cp import Toolchain  # noqa: E402


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


# Memory store, no default mesh: every test creates what it uses.
SETTINGS = {"KUMA_STORE_TYPE": "memory", "KUMA_DEFAULTS_SKIP_MESH_CREATION": "true"}


@pytest.fixture(scope="session")
def toolchain():
    """The Kuma release archive unpacked once (tests/support/kuma_cp.py)."""
    tc = Toolchain()
    yield tc
    tc.cleanup()


@pytest.fixture(scope="session")
def cp(toolchain):
    """A real kuma-cp on loopback, memory store, without the default mesh."""
    plane = toolchain.control_plane("kuma-cp", env=SETTINGS)
    plane.start()
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def default_mesh(cp):
    """The mesh most tests use."""
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
