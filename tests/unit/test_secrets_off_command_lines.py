# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets never reach a command line (issue 21, items 1 and 2).

A task's `environment:` is prefixed by Ansible to the remote `sh -c` command line (visible in
/proc, sudo's log and -vvv output) whatever `no_log` says, so no task may put a secret there;
and the repository's ansible.cfg, which operators run production from, keeps SSH host key
checking on."""

from __future__ import annotations

import configparser
import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SECRET_RE = re.compile(r"password|passwd|secret|token|private|_key\b", re.I)


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        yield node
        for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
            if key in node:
                yield from _tasks(node[key])


def _yaml_files():
    for top in ("roles", "playbooks"):
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith((".yml", ".yaml")) and "/templates" not in dirpath and "/meta" not in dirpath:
                    yield os.path.join(dirpath, name)


def test_no_secret_in_a_task_environment():
    offenders = []
    for path in _yaml_files():
        with open(path) as handle:
            data = yaml.safe_load(handle)
        for task in _tasks(data):
            env = task.get("environment")
            if not isinstance(env, dict):
                continue
            for key, value in env.items():
                if SECRET_RE.search(str(key)) or SECRET_RE.search(str(value)):
                    offenders.append("%s: %s (task %r)" % (os.path.relpath(path, ROOT), key, task.get("name")))
    assert offenders == [], "secrets in a task's environment reach the remote command line: %s" % offenders


def test_repository_ansible_cfg_checks_host_keys():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "ansible.cfg"))
    assert cfg.get("defaults", "host_key_checking", fallback="True").lower() not in ("false", "0", "no")
