# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution-environment declarations match the code: every third-party library a plugin
imports is in requirements.txt, everything there is imported, other collections a plugin
imports are galaxy.yml dependencies, and the EE files point where ansible-builder looks."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import sys

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SELF = "ansible_collections.kuma.universal"


def plugin_files():
    """Every Python file under plugins/ (modules, module_utils, doc fragments, inventory, ...)."""
    found = []
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "plugins")):
        found.extend(os.path.join(folder, f) for f in files if f.endswith(".py"))
    return sorted(found)


def imported_names(source):
    """Absolute imported module paths of one file (in try/except blocks and functions too)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


# What ansible-core 2.19 requires (its package metadata); used as well where that metadata
# lists nothing (ansible-test units runs ansible-core from its own tree).
ANSIBLE_CORE_REQUIRES = {"ansible-core", "jinja2", "pyyaml", "cryptography", "packaging", "resolvelib"}


def core_provided():
    """Distributions every Ansible run has: ansible-core and what it requires."""
    provided = set(ANSIBLE_CORE_REQUIRES)
    for spec in importlib.metadata.requires("ansible-core") or []:
        requirement = Requirement(spec)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            provided.add(canonicalize_name(requirement.name))
    return provided


def distribution_of(top_level):
    """The distribution (canonical name) that installs an importable top-level package."""
    dists = importlib.metadata.packages_distributions().get(top_level)
    return canonicalize_name(dists[0]) if dists else canonicalize_name(top_level)


def classify(names, provided):
    """Split imported module paths into (third-party distributions, other collections)."""
    third_party, collections = set(), set()
    for name in names:
        top = name.split(".")[0]
        if top == "__future__" or top in sys.stdlib_module_names or top == "ansible":
            continue
        if top == "ansible_collections":
            if name == SELF or name.startswith(SELF + "."):
                continue
            parts = name.split(".")
            collections.add(".".join(parts[1:3]))
            continue
        dist = distribution_of(top)
        if dist not in provided:
            third_party.add(dist)
    return third_party, collections


def declared_requirements():
    with open(os.path.join(ROOT, "requirements.txt")) as handle:
        lines = [line.split("#")[0].strip() for line in handle]
    return {canonicalize_name(Requirement(line).name): line for line in lines if line}


def used_by_plugins():
    """{distribution: [files]} and {collection: [files]} over every plugin file."""
    provided = core_provided()
    third_party, collections = {}, {}
    for path in plugin_files():
        with open(path) as handle:
            dists, colls = classify(imported_names(handle.read()), provided)
        rel = os.path.relpath(path, ROOT)
        for dist in dists:
            third_party.setdefault(dist, []).append(rel)
        for coll in colls:
            collections.setdefault(coll, []).append(rel)
    return third_party, collections


def test_classify_sees_what_a_plugin_imports():
    source = (
        "from __future__ import annotations\nimport os, json\n"
        "from ansible.module_utils.basic import AnsibleModule\n"
        "from ansible_collections.kuma.universal.plugins.module_utils._api import KumaClient\n"
        "from ansible_collections.community.general.plugins.module_utils import x\n"
        "from . import sibling\n"
        "import yaml\n"
        "try:\n    import requests\nexcept ImportError:\n    requests = None\n"
        "def f():\n    import hvac.exceptions\n"
    )
    dists, colls = classify(imported_names(source), core_provided())
    assert dists == {"requests", "hvac"}  # yaml is PyYAML, which ansible-core requires
    assert colls == {"community.general"}


def test_plugins_were_scanned():
    files = [os.path.relpath(p, ROOT) for p in plugin_files()]
    assert "plugins/module_utils/_api.py" in files
    assert any(f.startswith("plugins/modules/") for f in files)


def test_every_third_party_import_is_declared():
    used, _collections = used_by_plugins()
    declared = declared_requirements()
    missing = {dist: files for dist, files in used.items() if dist not in declared}
    assert not missing, "imported by plugins but not in requirements.txt: %s" % missing


def test_every_declared_requirement_is_imported():
    used, _collections = used_by_plugins()
    unused = sorted(set(declared_requirements()) - set(used))
    assert not unused, "in requirements.txt but imported by no plugin: %s" % unused


def test_requests_is_the_dependency():
    used, _collections = used_by_plugins()
    assert "requests" in used and "plugins/module_utils/_api.py" in used["requests"]


def test_other_collections_imported_are_galaxy_dependencies():
    _used, collections = used_by_plugins()
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        dependencies = yaml.safe_load(handle).get("dependencies") or {}
    missing = {c: files for c, files in collections.items() if c not in dependencies}
    assert not missing, "imported but not a galaxy.yml dependency: %s" % missing


def test_collection_meta_points_ansible_builder_at_the_files():
    with open(os.path.join(ROOT, "meta", "execution-environment.yml")) as handle:
        meta = yaml.safe_load(handle)
    assert meta["version"] == 1
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    for name in meta["dependencies"].values():
        assert os.path.isfile(os.path.join(ROOT, name)), name


def test_bindep_lines_are_bindep_syntax():
    with open(os.path.join(ROOT, "bindep.txt")) as handle:
        lines = [line.strip() for line in handle if line.strip() and not line.lstrip().startswith("#")]
    for line in lines:
        assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._+-]*( +\[[^\]]+\])?$", line), line


@pytest.fixture(scope="module")
def ee():
    with open(os.path.join(ROOT, "execution-environment.yml")) as handle:
        return yaml.safe_load(handle)


def test_execution_environment_is_builder_v3(ee):
    assert ee["version"] == 3
    assert ee["images"]["base_image"]["name"]
    deps = ee["dependencies"]
    with open(os.path.join(ROOT, "requirements-dev.txt")) as handle:
        core_pin = [line.strip() for line in handle if line.startswith("ansible-core==")]
    assert [deps["ansible_core"]["package_pip"]] == core_pin
    assert deps["python_interpreter"]["python_path"].endswith("python3.11")


def test_execution_environment_installs_this_version(ee):
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    tarball = "%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"])
    (collection,) = ee["dependencies"]["galaxy"]["collections"]
    (copied,) = ee["additional_build_files"]
    assert collection == {"name": "%s/%s" % (copied["dest"], tarball), "type": "file"}
    assert copied["src"] == "build/ee/" + tarball
