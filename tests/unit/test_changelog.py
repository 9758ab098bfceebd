# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Changelog rules antsibull-changelog's lint (run by ansible-test sanity) does not check:
new modules come from version_added, never from fragments; version_added is never a
version after the collection's."""

from __future__ import annotations

import ast
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FRAGMENTS = os.path.join(ROOT, "changelogs", "fragments")
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if f.endswith(".py") and not f.startswith("_"))
NEW_THING = re.compile(r"\bnew\s+(?:\w+\s+)?(?:module|plugin)s?\b|\bnew\s+modules?\b", re.I)


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def version(text):
    return tuple(int(p) for p in str(text).split("-", maxsplit=1)[0].split("."))


def fragment_entries():
    for name in sorted(os.listdir(FRAGMENTS)):
        if name.endswith((".yml", ".yaml")):
            for section, entries in (load(os.path.join(FRAGMENTS, name)) or {}).items():
                for entry in entries if isinstance(entries, list) else [entries]:
                    yield name, section, entry


def module_doc(module):
    with open(os.path.join(ROOT, "plugins", "modules", module + ".py")) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)
    raise AssertionError("no DOCUMENTATION in %s" % module)


def test_fragments_do_not_announce_new_modules():
    config = load(os.path.join(ROOT, "changelogs", "config.yaml"))
    sections = {s[0] for s in config["sections"]} | {config["prelude_section_name"], config["trivial_section_name"]}
    entries = list(fragment_entries())
    assert entries
    for name, section, entry in entries:
        assert section in sections or section in ("add object.role", "add object.playbook"), (name, section)
        text = entry if isinstance(entry, str) else " ".join(str(v) for v in entry.values())
        assert not NEW_THING.search(text), (name, text)
        if isinstance(entry, str):
            scope = entry.split(" - ", 1)[0].strip().replace("kuma.universal.", "")
            assert not (scope in MODULES and "new" in entry.lower().split()), (name, entry)


@pytest.mark.parametrize("module", MODULES)
def test_version_added_is_not_after_the_collection(module):
    galaxy = load(os.path.join(ROOT, "galaxy.yml"))
    added = module_doc(module)["version_added"]
    assert version(added) <= version(galaxy["version"]), (module, added, galaxy["version"])


def test_roles_and_playbooks_are_announced_as_objects():
    announced = {}
    for _name, section, entry in fragment_entries():
        if section.startswith("add object."):
            announced.setdefault(section.split(".", 1)[1], set()).add(entry["name"])
    roles = {r for r in os.listdir(os.path.join(ROOT, "roles")) if os.path.isdir(os.path.join(ROOT, "roles", r))}
    playbooks = {f.rsplit(".", 1)[0] for f in os.listdir(os.path.join(ROOT, "playbooks"))
                 if re.match(r"^\w+\.ya?ml$", f)}
    assert announced.get("role") == roles
    assert announced.get("playbook") == playbooks
