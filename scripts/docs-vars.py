# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the manual's variable reference (docs/docsite/rst/variables.rst) from every role's
meta/argument_specs.yml, so that it can never miss or misname a variable, and the example
inventory's page (example_inventory.rst) from the files of inventories/fleet-example.

    python3 scripts/docs-vars.py           write the pages
    python3 scripts/docs-vars.py --check   exit 1 when the page is not what the specs give
                                           (make test-docs runs this), or when a variable of a
                                           role's defaults/main.yml is missing from its spec

The descriptions stay in the specs (and in each role's page of the docsite); this page is the
index an operator reads first: every variable, its role, type, default and first sentence.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "docsite" / "rst" / "variables.rst"
EXAMPLE = ROOT / "inventories" / "fleet-example"
EXAMPLE_PAGE = ROOT / "docs" / "docsite" / "rst" / "example_inventory.rst"
LABEL = "ansible_collections.kuma.universal.docsite"

# Variables the playbooks read (not role options): name -> (playbook, default, meaning).
PLAYBOOK_VARS = [
    ("kuma_rollout_serial", "deploy_mesh", "100%",
     "Data-plane hosts per batch: a number, a percentage or a list of batch sizes; the same on every "
     "data-plane host (checked before any change)."),
    ("kuma_rollout_max_fail_percentage", "deploy_mesh", "0",
     "Failed hosts tolerated per batch before the roll-out stops."),
    ("kuma_prune_stale_dataplanes", "deploy_mesh", "false",
     "Delete the offline Dataplanes labelled with a host that left the inventory (the summary lists them)."),
    ("kuma_converge_every_host", "deploy_mesh", "false",
     "Extra var: run the whole data-plane play on every host, also on one that already runs what it should "
     "(which otherwise leaves the play after its read and the batch's registration), and the install role on a "
     "control plane whose release the first play found as wanted."),
    ("kuma_gather_facts", "deploy_mesh", "false",
     "Extra var: the first play also gathers Ansible's network, platform and service_mgr facts (the roles need "
     "only architecture, default_ipv4 and service_mgr, which the first play's read of each host gives)."),
    ("rotate_meshes", "rotate_tokens", "[default]", "Meshes whose signing key is rotated."),
    ("rotate_control_plane", "rotate_tokens", "kuma_control_plane[0]",
     "The control plane (a host pattern) that adds the keys and issues the tokens."),
    ("rotate_hosts", "rotate_tokens", "kuma_dataplanes", "Hosts whose token files are re-issued."),
    ("rotate_api_url", "rotate_tokens", "http://127.0.0.1:5681", "The API, called on the control-plane host."),
    ("rotate_restart", "rotate_tokens", "false",
     "Restart each kuma-dp in turn (needed without reloadable tokens)."),
    ("rotate_token_owner", "rotate_tokens", "kuma-dp", "Owner of the rewritten token files."),
    ("rotate_become", "rotate_tokens", "true", "Become root on every host."),
    ("rotate_token_valid_for", "rotate_tokens", "(Kuma's: 10 years)", "Validity of the re-issued tokens."),
    ("rotate_online_retries", "rotate_tokens", "30", "Checks that a restarted proxy is online again."),
    ("rotate_online_delay", "rotate_tokens", "2", "Seconds between those checks."),
    ("rotate_delete_old_keys", "rotate_tokens", "true", "Delete the keys older than the new one at the end."),
]

ROLE_ORDER = ["kuma", "install", "control_plane", "sidecar", "transparent_proxy"]


def plain(text: str) -> str:
    """Ansible doc markup (C(), O(), V(), M(), P(), I(), B()) to RST literals."""
    text = re.sub(r"\b[COVMPIBE]\(([^()]*(?:\([^()]*\)[^()]*)*)\)", lambda m: "``%s``" % m.group(1), text)
    text = re.sub(r"\bL\(([^,]*),\s*([^)]*)\)", r"\1", text)
    text = re.sub(r"\bU\(([^)]*)\)", r"\1", text)
    return " ".join(text.split())


def first_sentence(desc) -> str:
    if isinstance(desc, list):
        desc = desc[0] if desc else ""
    desc = plain(str(desc or ""))
    m = re.match(r"(.+?[.;])(\s+[A-Z(`]|$)", desc)
    return (m.group(1) if m else desc).rstrip(";:").rstrip(".") + "."


def default_of(opt: dict) -> str:
    if "default" not in opt:
        return "(none)" if not opt.get("required") else "required"
    d = opt["default"]
    if isinstance(d, bool):
        return "true" if d else "false"
    if isinstance(d, str) and ("C(" in d or "O(" in d or " " in d and not d.startswith("/")):
        return plain(d) if d else '""'
    return yaml.safe_dump(d, default_flow_style=True, width=10_000).strip().removesuffix("...").strip() or '""'


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def rows(options: dict, prefix: str = "") -> list[tuple[str, str, str, str]]:
    out = []
    for name, opt in options.items():
        t = opt.get("type", "str")
        if opt.get("elements"):
            t = "%s of %s" % (t, opt["elements"])
        out.append(("``%s``" % (prefix + name), t, default_of(opt), first_sentence(opt.get("description"))))
        if opt.get("options"):
            sub = prefix + name + ("[]." if opt.get("type") == "list" else ".")
            out.extend(rows(opt["options"], sub))
    return out


def table(header: tuple[str, ...], body: list[tuple[str, ...]]) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 12 18 40", ""]
    for r in [header] + body:
        first = True
        for c in r:
            lines.append(("   * - " if first else "     - ") + (cell(c) if c else "\\"))
            first = False
    lines.append("")
    return lines


def load_specs() -> dict[str, dict]:
    specs = {}
    for spec in sorted((ROOT / "roles").glob("*/meta/argument_specs.yml")):
        role = spec.parent.parent.name
        specs[role] = yaml.safe_load(spec.read_text())["argument_specs"]
    return specs


def undocumented_defaults(specs: dict[str, dict]) -> list[str]:
    """Variables a role's defaults/main.yml sets that none of its entry points declares."""
    missing = []
    for role, eps in specs.items():
        defaults = ROOT / "roles" / role / "defaults" / "main.yml"
        if not defaults.exists():
            continue
        declared = {k for ep in eps.values() for k in (ep.get("options") or {})}
        for name in (yaml.safe_load(defaults.read_text()) or {}):
            if not name.startswith("_") and name not in declared:
                missing.append("%s: %s (roles/%s/defaults/main.yml)" % (role, name, role))
    return missing


def render(specs: dict[str, dict]) -> str:
    title = "Variable reference"
    out = [
        # Literal blocks are shell, not the docsite's default YAML+Jinja.
        ".. highlight:: none", "",
        ".. _%s.variables:" % LABEL, "",
        title, "=" * len(title), "",
        ".. This page is generated by scripts/docs-vars.py from roles/*/meta/argument_specs.yml:",
        "   edit the specs, then run the script (make test-docs fails when the page is stale).", "",
        "Every variable of every role, generated from the roles' ``meta/argument_specs.yml`` (the same",
        "specs Ansible validates them against). Each role's page has the full descriptions:",
        "follow the role name. Where to set them, and a whole inventory, are in",
        ":ref:`%s.inventory`. A variable of ``kuma.universal.kuma`` is shared: every role reads it." % LABEL,
        "",
    ]
    roles = [r for r in ROLE_ORDER if r in specs] + sorted(set(specs) - set(ROLE_ORDER))
    for role in roles:
        for ep, spec in specs[role].items():
            heading = "%s (``%s``)" % (role, "tasks_from: %s" % ep if ep != "main" else "main")
            out += [".. _%s.variables.%s%s:" % (LABEL, role, "" if ep == "main" else "." + ep), "",
                    heading, "-" * len(heading), ""]
            out.append(plain(spec.get("short_description", "")) + ". Role page: "
                       ":ref:`kuma.universal.%s <ansible_collections.kuma.universal.%s_role>`." % (role, role))
            out.append("")
            body = rows(spec.get("options") or {})
            if body:
                out += table(("variable", "type", "default", "meaning"), body)
            else:
                out += ["No options.", ""]
    heading = "Playbook variables"
    out += [".. _%s.variables.playbooks:" % LABEL, "", heading, "-" * len(heading), "",
            "Read by the playbooks themselves (with ``default()``), not by a role: set them in the inventory",
            "or as extra vars. ``deploy_mesh`` checks the two roll-out settings before any change.", ""]
    out += table(("variable", "playbook", "default", "meaning"),
                 [("``%s``" % v[0],) + tuple(v[1:]) for v in PLAYBOOK_VARS])
    return "\n".join(out).rstrip() + "\n"


def render_example() -> str:
    title = "Example: a real fleet (20 hosts, 3 services, 2 zones, HA on PostgreSQL)"
    out = [".. _%s.example_inventory:" % LABEL, "", title, "=" * len(title), "",
           ".. Generated by scripts/docs-vars.py from inventories/fleet-example: edit the files there.", "",
           "The files of ``inventories/fleet-example`` in the repository, shown whole. ``make test-docs``",
           "checks them with ``ansible-inventory --graph`` and runs ``deploy_mesh``'s preflight on them in",
           "check mode on the controller (``--check --tags kuma_preflight``: the roll-out plan, the control plane",
           "settings, the versions, every host's sidecars and zone proxies through the planner). What each variable means:",
           ":ref:`%s.variables`; how the groups work: :ref:`%s.inventory`." % (LABEL, LABEL), "",
           "Copy the directory, replace the host names, addresses, the sha256 and the vault placeholder,",
           "then ``ansible-playbook -i <it> kuma.universal.deploy_mesh --check --diff`` before the first run.", ""]
    files = [EXAMPLE / "hosts.yml"] + sorted((EXAMPLE / "group_vars").glob("*.yml")) + \
        sorted((EXAMPLE / "host_vars").glob("*.yml"))
    for f in files:
        rel = f.relative_to(EXAMPLE).as_posix()
        out += ["``%s``" % rel, "", ".. code-block:: yaml", ""]
        out += [("   " + line).rstrip() for line in f.read_text().splitlines()]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    specs = load_specs()
    text = render(specs)
    example = render_example()
    missing = undocumented_defaults(specs)
    if missing:
        print("variables in defaults but in no argument_specs:\n  " + "\n  ".join(missing), file=sys.stderr)
    if sys.argv[1:] == ["--check"]:
        for page, want in ((PAGE, text), (EXAMPLE_PAGE, example)):
            if not page.exists() or page.read_text() != want:
                print("%s is stale: run python3 scripts/docs-vars.py" % page.relative_to(ROOT), file=sys.stderr)
                return 1
        print("variables page up to date: %d variables" % (text.count("   * - ``")))
        return 1 if missing else 0
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text(text)
    EXAMPLE_PAGE.write_text(example)
    print(PAGE.relative_to(ROOT), EXAMPLE_PAGE.relative_to(ROOT))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
