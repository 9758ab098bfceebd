# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.rotate_tokens on the deployed demo (systemd hosts, reloadable tokens as the
control_plane role sets them) while requests cross the mesh (Backend -> Redis). Runs after
test_mesh.py (files run in name order) and leaves every proxy online with a token of the new key."""
import base64
import json
import os
import shlex
import threading
import time

import pytest
import testinfra

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "default")
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
# The postgres scenario runs the API on a non-default kuma_api_port (its molecule.yml).
API_PORT = 6681 if os.environ.get("MOLECULE_SCENARIO_NAME") == "postgres" else 5681
API = "http://127.0.0.1:%d" % API_PORT
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROXIES = {"redis-vm": ["redis-redis-vm-%d" % i for i in range(6)], "backend-vm": ["backend-backend-vm-0"]}


def vm(name):
    return testinfra.get_host("ansible://%s?ansible_inventory=%s" % (name, INVENTORY))


CP = vm("cp")


def api(path):
    return json.loads(CP.check_output("curl -sS --fail --max-time 10 '%s%s'", API, path))


def key_serials():
    prefix = "dataplane-token-signing-key-default-"
    return sorted(int(s["name"][len(prefix):]) for s in api("/meshes/default/secrets")["items"]
                  if s["name"].startswith(prefix))


def token_files():
    """{proxy: (kid, owner, mode, token)} read on the hosts."""
    out = {}
    for hostname, names in PROXIES.items():
        host = vm(hostname)
        for name in names:
            f = host.file("/etc/kuma/dp/tokens/%s/token" % name)
            token = f.content_string.strip()
            header = token.split(".")[0]
            kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
            out[name] = (kid, f.user, f.mode, token)
    return out


def online():
    names = set()
    for item in api("/meshes/default/dataplanes/_overview?size=1000")["items"]:
        subs = item.get("dataplaneInsight", {}).get("subscriptions", [])
        if any(s.get("connectTime") and not s.get("disconnectTime") for s in subs):
            names.add(item["name"])
    return names


@pytest.mark.skipif(SCENARIO != "default", reason="default scenario only")
def test_rotation_under_load_without_failed_requests():
    import subprocess

    before = token_files()
    serials = key_serials()
    assert set(before) <= online()
    address = api("/meshes/default/dataplanes/backend-backend-vm-0")["networking"]["address"]
    # Bounded load loop on the CP (at most 600 requests, 0.1 s apart): Backend -> Redis through the mesh.
    CP.run("rm -f /tmp/rot-stop")
    loop = ("i=0; while [ ! -e /tmp/rot-stop ] && [ $i -lt 600 ]; do i=$((i+1)); "
            "curl -s -o /dev/null -w '%%{http_code}\\n' --max-time 5 http://%s:8000/; sleep 0.1; done" % address)
    loop = "sh -c " + shlex.quote(loop)
    codes = {}
    load = threading.Thread(target=lambda: codes.update(out=CP.check_output(loop)), daemon=True)
    load.start()
    time.sleep(2)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build", "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0")
    started = time.monotonic()
    run = subprocess.run(["ansible-playbook", "-i", INVENTORY, "-vvv", "kuma.universal.rotate_tokens"],
                         env=env, capture_output=True, text=True, timeout=600, check=False)
    seconds = time.monotonic() - started
    time.sleep(2)
    CP.run("touch /tmp/rot-stop")
    load.join(60)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]

    results = codes["out"].split()
    failed = [c for c in results if c != "200"]
    print("rotation %.1f s, %d requests, %d failed" % (seconds, len(results), len(failed)))
    assert len(results) > 20 and failed == [], failed[:10]

    after = token_files()
    new = str(serials[-1] + 1)
    assert key_serials() == [serials[-1] + 1]
    for name, (kid, user, mode, token) in after.items():
        assert (kid, user, mode) == (new, "kuma-dp", 0o600), name
        assert token != before[name][3]
        assert token not in run.stdout and before[name][3] not in run.stdout  # -vvv shows no token
    assert "PRIVATE KEY" not in run.stdout
    assert set(after) <= online()
