# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The orchestration half's rules (issue 19), checked on the tree:

(a) a role keeps its insides: no `_`-prefixed variable defined in one role (a key of its vars,
    defaults, set_fact or task vars, a register, a loop_var) is referenced in another role, in
    playbooks/ or in a filter plugin (task files, templates, filters: Jinja names and Python strings);
(b) every role entry point the playbooks and molecule scenarios use (include_role / import_role, with or
    without tasks_from) has an entry in that role's meta/argument_specs.yml, named exactly as tasks_from
    gives it: Ansible looks the entry up by the tasks_from string, so `tasks_from: preflight.yml` would
    run the tasks without validating their arguments against the `preflight` entry;
(d) an entry point lists every setting of its role it reads (its tasks, and the role's vars, defaults and
    templates they use, followed through), so that the validation Ansible runs for it covers them; and a
    role call the playbooks make with rolespec_validate: false comes after a validated call of the same
    role, in the same playbook, under every tag it runs under, whose entry lists the same settings;
(c) no program in YAML: no `python -c` / `python3 -c` in roles/ or playbooks/, no Jinja statement
    block (`{% ... %}`) in their YAML files (templates/*.j2 are file templates, not programs), and no
    `{{ ... }}` expression longer than MAX_EXPRESSION_LINES lines.
Each checker returns its findings, so the tests below also prove that it can fail.
"""

from __future__ import annotations

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTION = "kuma.universal."
# Longer than this, a single {{ }} expression is a program: write a filter, module or action plugin.
MAX_EXPRESSION_LINES = 6

DEFINITION = re.compile(r"^\s*(?:-\s+)?(_[a-z][a-z0-9_]*)\s*:", re.M)
ASSIGNED = re.compile(r"^\s*(?:register|loop_var)\s*:\s*['\"]?(_[a-z][a-z0-9_]*)", re.M)
JINJA_NAME = re.compile(r"(?<![\w.'\"])(_[a-z][a-z0-9_]*)")
PY_STRING = re.compile(r"['\"](_[a-z][a-z0-9_]*)['\"]")
# python -c / python3 -c on a command line, or "-c" as an argv item (the interpreter is often a variable).
PYTHON_C = re.compile(r"python[0-9.]*['\"]?\s*[,\s]\s*['\"]?-c\b|^\s*-\s+['\"]?-c['\"]?\s*$|['\"]-c['\"]\s*,", re.I | re.M)
STATEMENT = re.compile(r"\{%")
EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)


def _files(root, patterns):
    for pattern in patterns:
        yield from sorted(glob.glob(os.path.join(root, pattern), recursive=True))


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _line(text, offset):
    return text.count("\n", 0, offset) + 1


def role_privates(root):
    """role -> the `_` variables its files define, and those they read with the role's own
    prefix (`_<role>_...`, e.g. a setting a caller was expected to pass in)."""
    owned = {}
    for role_dir in sorted(glob.glob(os.path.join(root, "roles", "*", ""))):
        role = os.path.basename(os.path.dirname(role_dir))
        names = set()
        for path in _files(role_dir, ["**/*.yml", "**/*.yaml", "**/*.j2"]):
            text = _read(path)
            names |= set(DEFINITION.findall(text)) | set(ASSIGNED.findall(text))
            names |= {n for n in JINJA_NAME.findall(text) if n.startswith("_%s_" % role)}
        owned[role] = names
    return owned


def private_crossings(root):
    """(file, line, variable, owning role) for every `_` variable of a role used outside it."""
    owned = role_privates(root)
    owner = {}
    for role, names in owned.items():
        for name in names:
            owner.setdefault(name, set()).add(role)
    for name in owner:  # `_<role>_...` is that role's, wherever else it is set
        prefixed = {role for role in owned if name.startswith("_%s_" % role)}
        if prefixed:
            owner[name] = prefixed
    found = []
    scanned = [(p, None, JINJA_NAME) for p in _files(root, ["playbooks/**/*.yml", "playbooks/**/*.yaml"])]
    for role in owned:
        scanned += [(p, role, JINJA_NAME) for p in _files(os.path.join(root, "roles", role),
                                                          ["**/*.yml", "**/*.yaml", "**/*.j2"])]
    scanned += [(p, None, PY_STRING) for p in _files(root, ["plugins/filter/*.py", "plugins/action/*.py"])]
    for path, role, pattern in scanned:
        text = _read(path)
        for match in pattern.finditer(text):
            name = match.group(1)
            owners = owner.get(name, set())
            if owners and role not in owners:
                found.append((os.path.relpath(path, root), _line(text, match.start()), name, sorted(owners)[0]))
    return found


def _role_calls(node):
    """(role, tasks_from) of every include_role / import_role in a parsed playbook."""
    if isinstance(node, list):
        for item in node:
            yield from _role_calls(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.split(".")[-1] in ("include_role", "import_role") and isinstance(value, dict):
                yield str(value.get("name", "")), str(value.get("tasks_from") or "main")
            else:
                yield from _role_calls(value)


def undeclared_entry_points(root):
    """(file, role, tasks_from) of every call of a collection role whose tasks_from is not an argument_specs entry."""
    found = []
    for path in _files(root, ["playbooks/**/*.yml", "playbooks/**/*.yaml", "molecule/**/*.yml"]):
        for role, tasks_from in _role_calls(yaml.safe_load(_read(path))):
            if not role.startswith(COLLECTION):
                continue
            specs_path = os.path.join(root, "roles", role[len(COLLECTION):], "meta", "argument_specs.yml")
            specs = yaml.safe_load(_read(specs_path)).get("argument_specs", {}) if os.path.exists(specs_path) else {}
            if tasks_from not in specs:
                found.append((os.path.relpath(path, root), role, tasks_from))
    return found


def _role_call_details(node, tags=()):
    """(role, tasks_from, validated, tags) of every include_role / import_role, in document order; the tags are the
    call's own and those of the blocks and plays around it."""
    if isinstance(node, list):
        for item in node:
            yield from _role_call_details(item, tags)
    elif isinstance(node, dict):
        own = node.get("tags", [])
        here = tuple(tags) + tuple([own] if isinstance(own, str) else own)
        for key, value in node.items():
            if key.split(".")[-1] in ("include_role", "import_role") and isinstance(value, dict):
                yield (str(value.get("name", "")), str(value.get("tasks_from") or "main"),
                       value.get("rolespec_validate", True) is not False, set(here))
            elif key != "tags":
                yield from _role_call_details(value, here)


def _specs(root, role):
    path = os.path.join(root, "roles", role, "meta", "argument_specs.yml")
    return yaml.safe_load(_read(path)).get("argument_specs", {}) if os.path.exists(path) else {}


def unvalidated_calls(root):
    """(playbook, role, tasks_from) of every call with rolespec_validate: false that no earlier validated call of the
    same role covers (listing the same settings, and running under every tag this call runs under)."""
    found = []
    for path in _files(root, ["playbooks/**/*.yml"]):
        done = []
        for role, tasks_from, validated, tags in _role_call_details(yaml.safe_load(_read(path))):
            specs = _specs(root, role[len(COLLECTION):]) if role.startswith(COLLECTION) else {}
            options = set((specs.get(tasks_from) or {}).get("options") or {})
            if validated:
                done.append((role, options, tags))
            elif not any(r == role and options <= o and (tags - {"always"}) <= t for r, o, t in done):
                found.append((os.path.relpath(path, root), role, tasks_from))
    return found


WORD = re.compile(r"\b[a-z_][a-z0-9_]*\b")
TASK_FILE = re.compile(r"(?:import_tasks|include_tasks):\s*(?:\n\s+file:\s*)?['\"]?([\w./-]+\.ya?ml)")
TEMPLATE_FILE = re.compile(r"(?:src:\s*|lookup\(['\"](?:ansible\.builtin\.)?template['\"],\s*['\"])([\w./-]+\.j2)")


def _code(text):
    """A YAML or template file without its comment lines."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("#", "{#")))


def entry_point_reads(root, role, entry):
    """The settings of the role (its main entry point's options) that the entry point's tasks read: their words,
    and those of every task file, template, var and default they name, followed through."""
    role_dir = os.path.join(root, "roles", role)
    defined = {}
    for sub in ("vars", "defaults"):
        path = os.path.join(role_dir, sub, "main.yml")
        if os.path.exists(path):
            for name, value in (yaml.safe_load(_read(path)) or {}).items():
                defined[name] = defined.get(name, "") + " " + yaml.safe_dump(value)
    options = set((_specs(root, role).get("main") or {}).get("options") or {})
    files, words, seen_files = [os.path.join(role_dir, "tasks", entry + ".yml")], set(), set()
    while files:
        path = files.pop()
        if path in seen_files or not os.path.exists(path):
            continue
        seen_files.add(path)
        text = _code(_read(path))
        words |= set(WORD.findall(text))
        files += [os.path.join(role_dir, "tasks", f) for f in TASK_FILE.findall(text)]
        files += [os.path.join(role_dir, "templates", f) for f in TEMPLATE_FILE.findall(text)]
    todo = [w for w in words if w in defined]
    while todo:
        for word in WORD.findall(defined[todo.pop()]):
            if word in defined and word not in words:
                todo.append(word)
            words.add(word)
    return words & options


def unlisted_settings(root):
    """(role, entry point, setting) of every setting of its role an entry point reads but does not list."""
    found = []
    for role_dir in sorted(glob.glob(os.path.join(root, "roles", "*", ""))):
        role = os.path.basename(os.path.dirname(role_dir))
        for entry, spec in _specs(root, role).items():
            listed = set((spec or {}).get("options") or {})
            found += [(role, entry, name) for name in sorted(entry_point_reads(root, role, entry) - listed)]
    return found


def programs_in_yaml(root):
    """(file, line, what) of every program in the YAML of roles/ and playbooks/."""
    found = []
    for path in _files(root, ["roles/**/*.yml", "roles/**/*.yaml", "playbooks/**/*.yml", "playbooks/**/*.yaml"]):
        text = _read(path)
        rel = os.path.relpath(path, root)
        found += [(rel, _line(text, m.start()), "python -c") for m in PYTHON_C.finditer(text)]
        found += [(rel, _line(text, m.start()), "Jinja statement {% %}") for m in STATEMENT.finditer(text)]
        for m in EXPRESSION.finditer(text):
            lines = m.group(0).count("\n") + 1
            if lines > MAX_EXPRESSION_LINES:
                found.append((rel, _line(text, m.start()), "{{ }} over %d lines" % lines))
    return found


# -- the rules on this tree ----------------------------------------------------------------------
def test_no_private_variable_crosses_a_role_border():
    assert private_crossings(ROOT) == []


def test_every_entry_point_the_playbooks_use_has_argument_specs():
    assert undeclared_entry_points(ROOT) == []


def test_no_program_in_yaml():
    assert programs_in_yaml(ROOT) == []


def test_every_entry_point_lists_the_settings_it_reads():
    assert unlisted_settings(ROOT) == []
    # The summary lists only what it reads; the scan sees that (and the preflight's read of the store type).
    assert entry_point_reads(ROOT, "control_plane", "summary") == {
        "control_plane_group", "control_plane_diagnostics_port", "control_plane_summary_snapshot"}
    assert "control_plane_store_type" in entry_point_reads(ROOT, "control_plane", "preflight")


def test_a_call_without_validation_comes_after_one_that_validated_the_same_settings():
    assert unvalidated_calls(ROOT) == []
    calls = [c for p in _files(ROOT, ["playbooks/deploy_mesh.yml"])
             for c in _role_call_details(yaml.safe_load(_read(p)))]
    assert ("kuma.universal.control_plane", "main", False, {"kuma_control_plane"}) in calls


def test_the_scan_sees_the_roles_and_playbooks():
    owned = role_privates(ROOT)
    assert {"install", "control_plane", "sidecar", "rotate"} <= set(owned)
    assert "_control_plane_first" in owned["control_plane"] and "_rotate_keys" in owned["rotate"]
    calls = {(r, t) for p in _files(ROOT, ["playbooks/*.yml"]) for r, t in _role_calls(yaml.safe_load(_read(p)))}
    assert ("kuma.universal.install", "versions") in calls and ("kuma.universal.rotate", "reissue") in calls


# -- and each checker can fail -------------------------------------------------------------------
def _write(root, path, text):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as handle:
        handle.write(text)


@pytest.fixture
def tree(tmp_path):
    root = str(tmp_path)
    _write(root, "roles/a/vars/main.yml", "---\n_a_secret: 1\n")
    _write(root, "roles/a/tasks/main.yml", "---\n- name: X\n  ansible.builtin.command: x\n  register: _a_out\n")
    _write(root, "roles/a/meta/argument_specs.yml", "---\nargument_specs:\n  main:\n    options: {}\n")
    _write(root, "roles/b/tasks/main.yml", ("---\n- name: Y\n  ansible.builtin.debug:\n    msg: \"{{ _b_own }}\"\n"
                                            "  when: _b_done | default(false)\n"))
    _write(root, "playbooks/site.yml", ("---\n- name: P\n  hosts: all\n  tasks:\n"
                                        "    - name: R\n      ansible.builtin.include_role:\n        name: kuma.universal.a\n"))
    return root


def test_crossing_found(tree):
    assert private_crossings(tree) == []
    _write(tree, "roles/b/templates/x.j2", "{{ _a_secret }}\n")
    _write(tree, "playbooks/site.yml", _read(os.path.join(tree, "playbooks/site.yml"))
           + "      vars:\n        x: \"{{ _a_out.stdout }}\"\n")
    _write(tree, "plugins/filter/f.py", "def f(hv):\n    return hv['_a_secret']\n")
    _write(tree, "roles/a/tasks/other.yml", ("---\n- name: Z\n  ansible.builtin.include_role:\n    name: b\n"
                                             "  vars:\n    _b_done: true\n"))
    assert sorted(private_crossings(tree)) == [
        ("playbooks/site.yml", 9, "_a_out", "a"), ("plugins/filter/f.py", 2, "_a_secret", "a"),
        ("roles/a/tasks/other.yml", 6, "_b_done", "b"), ("roles/b/templates/x.j2", 1, "_a_secret", "a")]


def test_undeclared_entry_point_found(tree):
    assert undeclared_entry_points(tree) == []
    _write(tree, "playbooks/other.yml", ("---\n- name: P\n  hosts: all\n  tasks:\n    - name: B\n      block:\n"
                                         "        - name: R\n          ansible.builtin.import_role:\n"
                                         "            name: kuma.universal.a\n            tasks_from: check\n"))
    assert undeclared_entry_points(tree) == [("playbooks/other.yml", "kuma.universal.a", "check")]


def test_entry_point_called_by_file_name_found(tree):
    # The file name of a declared entry point: Ansible would run its tasks without validating their arguments.
    _write(tree, "molecule/s/converge.yml", ("---\n- name: P\n  hosts: all\n  tasks:\n    - name: R\n"
                                             "      ansible.builtin.include_role:\n        name: kuma.universal.a\n"
                                             "        tasks_from: main.yml\n"))
    assert undeclared_entry_points(tree) == [("molecule/s/converge.yml", "kuma.universal.a", "main.yml")]


def test_unlisted_setting_found(tree):
    _write(tree, "roles/a/defaults/main.yml", "---\na_port: 1\na_url: http://x:{{ a_port }}\n")
    _write(tree, "roles/a/vars/main.yml", "---\n_a_secret: 1\n_a_address: '{{ a_url }}/'\n")
    _write(tree, "roles/a/meta/argument_specs.yml", ("---\nargument_specs:\n  main:\n    options:\n"
                                                     "      a_port: {type: int}\n      a_url: {type: str}\n"
                                                     "  show:\n    options:\n      a_url: {type: str}\n"))
    _write(tree, "roles/a/tasks/show.yml", ("---\n# a_port is named in a comment only\n- name: S\n"
                                            "  ansible.builtin.import_tasks: inner.yml\n"))
    _write(tree, "roles/a/tasks/inner.yml", "---\n- name: I\n  ansible.builtin.debug:\n    msg: '{{ _a_address }}'\n")
    assert entry_point_reads(tree, "a", "show") == {"a_url", "a_port"}
    assert unlisted_settings(tree) == [("a", "show", "a_port")]


def test_unvalidated_call_found(tree):
    assert unvalidated_calls(tree) == []
    _write(tree, "playbooks/site.yml", ("---\n- name: P\n  hosts: all\n  tasks:\n"
                                        "    - name: R\n      ansible.builtin.include_role:\n        name: kuma.universal.a\n"
                                        "      tags: [x]\n"
                                        "    - name: S\n      ansible.builtin.include_role:\n        name: kuma.universal.a\n"
                                        "        rolespec_validate: false\n      tags: [x]\n"
                                        "- name: Q\n  hosts: all\n  tags: [y]\n  tasks:\n"
                                        "    - name: T\n      ansible.builtin.import_role:\n        name: kuma.universal.a\n"
                                        "        rolespec_validate: false\n"))
    # S runs under x after R validated under x; T runs under y, which R does not run under.
    assert unvalidated_calls(tree) == [("playbooks/site.yml", "kuma.universal.a", "main")]


def test_programs_found(tree):
    assert programs_in_yaml(tree) == []
    _write(tree, "roles/a/tasks/probe.yml", ("---\n- name: P\n  ansible.builtin.command:\n    argv:\n"
                                             "      - \"{{ ansible_python_interpreter }}\"\n      - -c\n"
                                             "      - \"{{ _a_script }}\"\n- name: Q\n  ansible.builtin.command: python3 -c 'print(1)'\n"
                                             "- name: R\n  ansible.builtin.command:\n    argv: [python3, -c, 'import x']\n"))
    _write(tree, "playbooks/p.yml", ("---\n- name: P\n  hosts: all\n  vars:\n    x: >-\n"
                                     "      {%- set n = 1 -%}{{ n }}\n    y: >-\n      {{ 1\n  + 2\n  + 3\n  + 4\n  + 5\n  + 6\n  + 7 }}\n"))
    found = programs_in_yaml(tree)
    assert ("playbooks/p.yml", 6, "Jinja statement {% %}") in found
    assert ("playbooks/p.yml", 8, "{{ }} over 7 lines") in found
    assert ("roles/a/tasks/probe.yml", 9, "python -c") in found
    assert ("roles/a/tasks/probe.yml", 6, "python -c") in found
    assert ("roles/a/tasks/probe.yml", 12, "python -c") in found
