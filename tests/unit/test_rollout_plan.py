# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma_rollout_serial and kuma_rollout_max_fail_percentage from the inventory reach the
"Data planes" play (play keywords are templated without a host, so an inventory value alone
would be ignored). Runs deploy_mesh.yml's own roll-out task (its first play, the other tasks
left out) and the data-plane play's header (its tasks replaced by one that prints the batch)
on local hosts."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from ansible_collections.kuma.universal.tests.unit.test_playbooks import ROOT, ansible_playbook, collections_path


@pytest.fixture()
def harness(tmp_path):
    plays = yaml.safe_load(open(os.path.join(ROOT, "playbooks", "deploy_mesh.yml")))
    # The first play with only its roll-out task (the others need real hosts).
    plan = dict(next(p for p in plays if p["name"] == "Check the mesh"))
    plan.update(become=False, gather_facts=False,
                tasks=[t for t in plan["tasks"] if t["name"] == "Check and write the roll-out plan"])
    plan.pop("gather_subset", None)
    assert len(plan["tasks"]) == 1
    data = dict(next(p for p in plays if p["name"] == "Data planes"))
    data.update(become=False, gather_facts=False,
                tasks=[{"name": "Batch", "ansible.builtin.debug": {"msg": "BATCH={{ ansible_play_batch | join(',') }}"},
                        "run_once": True}])
    data.pop("gather_subset", None)
    book = tmp_path / "playbooks"
    book.mkdir()
    os.symlink(os.path.join(ROOT, "playbooks", "vars"), book / "vars")
    (book / "t.yml").write_text(yaml.safe_dump([plan, data], sort_keys=False))
    home = tmp_path / "ansible-home"

    def run(inventory_vars, host_vars=None, extra=None):
        hosts = {h: dict({"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                         **(host_vars or {}).get(h, {})) for h in ("h1", "h2", "h3", "h4")}
        inv = tmp_path / "inventory.yml"
        inv.write_text(yaml.safe_dump({"all": {"vars": inventory_vars,
                                               "children": {"kuma_dataplanes": {"hosts": hosts}}}}))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                   ANSIBLE_HOME=str(home), ANSIBLE_NOCOLOR="1")
        argv = [ansible_playbook(), "-i", str(inv), str(book / "t.yml")]
        if extra is not None:
            argv += ["-e", yaml.safe_dump(extra, default_flow_style=True).strip()]
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        return proc, re.findall(r"BATCH=([\w,]+)", proc.stdout)

    return run


def test_inventory_serial_reaches_the_play(harness):
    proc, batches = harness({"kuma_rollout_serial": 1})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert batches == ["h1", "h2", "h3", "h4"]


def test_no_setting_is_one_batch(harness):
    proc, batches = harness({})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert batches == ["h1,h2,h3,h4"]


def test_percentages_and_lists(harness):
    proc, batches = harness({"kuma_rollout_serial": [1, "50%"]})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert batches == ["h1", "h2,h3", "h4"]


def test_extra_vars_win(harness):
    proc, batches = harness({"kuma_rollout_serial": 1}, extra={"kuma_rollout_serial": 2})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert batches == ["h1,h2", "h3,h4"]


@pytest.mark.parametrize("inventory_vars, host_vars, expected", [
    ({"kuma_rollout_serial": 0}, None, 'kuma_rollout_serial is 0 and'),
    ({"kuma_rollout_serial": -1}, None, 'kuma_rollout_serial is -1 and'),
    ({"kuma_rollout_serial": "0%"}, None, 'kuma_rollout_serial is "0%" and'),
    ({"kuma_rollout_serial": "150%"}, None, 'kuma_rollout_serial is "150%" and'),
    ({"kuma_rollout_serial": "two"}, None, 'kuma_rollout_serial is "two" and'),
    ({"kuma_rollout_serial": []}, None, 'kuma_rollout_serial is [] and'),
    ({"kuma_rollout_max_fail_percentage": 101}, None, 'kuma_rollout_max_fail_percentage is 101.'),
    ({"kuma_rollout_max_fail_percentage": -5}, None, 'kuma_rollout_max_fail_percentage is -5.'),
    ({}, {"h2": {"kuma_rollout_serial": 2}}, 'kuma_rollout_serial is {"h1": "100%", "h2": 2, "h3": "100%", "h4": "100%"}'),
], ids=["zero", "negative", "zero-percent", "over-100-percent", "word", "empty-list", "fail-over-100",
        "fail-negative", "differs-between-hosts"])
def test_bad_settings_refused_before_the_play(harness, inventory_vars, host_vars, expected):
    proc, batches = harness(inventory_vars, host_vars)
    out = re.sub(r"\s+", " ", proc.stdout + proc.stderr)
    assert proc.returncode != 0
    assert expected in out, out[-2000:]
    assert "allows a positive number of hosts, a percentage such as '25%' (1 to 100)" in out
    assert batches == []  # the data-plane play never started


# The action's own rules, without a playbook.
from ansible.errors import AnsibleActionFail  # noqa: E402

from ansible_collections.kuma.universal.plugins.action import rollout_plan  # noqa: E402


@pytest.mark.parametrize("serial", [1, "1", 10, "1%", "25%", "100%", [1, "50%"], ["10%", 2, "100%"]])
def test_valid_serials(serial):
    assert rollout_plan.check({"a": serial, "b": serial}, {"a": 0, "b": 0})["kuma_rollout_serial"] == serial


@pytest.mark.parametrize("serial", [0, -1, "0", "0%", "101%", "1.5", 1.5, True, None, [], [1, 0], "", "25 %"])
def test_invalid_serials(serial):
    with pytest.raises(AnsibleActionFail, match="kuma_rollout_serial allows a positive number"):
        rollout_plan.check({"a": serial}, {"a": 0})


@pytest.mark.parametrize("value, ok", [(0, True), (30, True), ("30", True), (100, True), (12.5, True),
                                       (101, False), (-1, False), ("x", False), (None, False), (True, False)])
def test_max_fail_percentage(value, ok):
    if ok:
        assert rollout_plan.check({"a": 1}, {"a": value})["kuma_rollout_max_fail_percentage"] == value
    else:
        with pytest.raises(AnsibleActionFail, match="kuma_rollout_max_fail_percentage is"):
            rollout_plan.check({"a": 1}, {"a": value})


def test_the_plan_file_is_replaced_whole_and_private(tmp_path):
    path = tmp_path / "plans" / "rollout-x.yml"
    rollout_plan.write(str(path), {"kuma_rollout_serial": 1})
    rollout_plan.write(str(path), {"kuma_rollout_serial": "25%"})
    assert yaml.safe_load(path.read_text()) == {"kuma_rollout_serial": "25%"}
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    assert sorted(p.name for p in path.parent.iterdir()) == ["rollout-x.yml"]
