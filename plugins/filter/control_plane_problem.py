# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The first control-plane setting that cannot be applied as given, as the message that names it and what to do; empty
when every check passes. The checks run in order and stop at the first that fails: a later one may assume an earlier
one passed (a zone control plane without its kuma_zone is told so, not blamed for the memory store)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.mesh_policies_for import mesh_policies_for
from ansible_collections.kuma.universal.plugins.filter.zone_hosts import zone_of

ZONE_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MODES = ("standalone", "global", "zone")
# The settings the checks read (the role's variables, as tasks/preflight.yml hands them in).
SETTINGS = ("host", "store_type", "postgres_host", "postgres_password", "tls_cert_src", "tls_key_src", "service_mgr",
            "env_problems", "firewall_problems", "api_port_set", "api_port", "mode", "zone", "kuma_zone", "global_group",
            "global_hosts", "group", "group_hosts", "peers", "meshes", "kuma_version", "mesh_hostnames", "pki_ca_roll",
            "tls_managed", "pki_host")


def _unnamed(meshes):
    """The indexes of the meshes whose name is missing, empty or not a string."""
    names = [m.get("name", "") if isinstance(m, Mapping) else "" for m in meshes]
    return [index for index, name in enumerate(names) if not isinstance(name, str) or not name]


def _peers_text(s):
    """Where the control planes that share a store are, for the memory store's message."""
    if s["mode"] == "global":
        return "the group %s (the global control plane)" % s["global_group"]
    if s["mode"] == "zone":
        return "zone %s (hosts of %s with that kuma_zone)" % (s["zone"], s["group"])
    return "the group %s" % s["group"]


def _checks(s, hostvars):
    """(check, message) in order; each check and message is worked out only when reached."""
    host = s["host"]

    def ha():
        return len(s["peers"]) > 1

    yield (lambda: s["store_type"] in ("memory", "postgres"),
           lambda: "%s: control_plane_store_type is not set (%s). Choose it in the inventory: postgres (production; "
                   "control_plane_postgres_host and control_plane_postgres_password) or memory (a demo or a test: a "
                   "kuma-cp restart loses every entity and the token signing keys)."
                   % (host, json.dumps(str(s["store_type"] if s["store_type"] is not None else ""))))
    yield (lambda: ((s["store_type"] != "postgres" or (bool(s["postgres_host"]) and bool(s["postgres_password"])))
                    and bool(s["tls_cert_src"]) == bool(s["tls_key_src"])
                    and s["service_mgr"] == "systemd"),
           lambda: "control_plane_store_type must be memory or postgres (postgres needs control_plane_postgres_host and "
                   "control_plane_postgres_password); the TLS cert and key come together; the host must run systemd.")
    # kuma-cp.env is read by systemd: a value is refused naming its variable, never repeating it (a password).
    yield (lambda: not s["env_problems"],
           lambda: "%s: kuma-cp.env would not hold these as given: %s." % (host, "; ".join(s["env_problems"])))
    # The firewall's sources, before any change (only worked out with control_plane_firewall).
    yield (lambda: not s["firewall_problems"],
           lambda: "%s: %s." % (host, "; ".join(s["firewall_problems"])))
    # The API port is kuma_api_port (role kuma.universal.kuma): the old name would be ignored without a word.
    yield (lambda: not s["api_port_set"],
           lambda: "control_plane_api_port is set (%s) but is no longer read: the API port is kuma_api_port (role "
                   "kuma.universal.kuma, e.g. in group_vars/all), which kuma-cp, the roles, the summary and rotation "
                   "all follow. Rename it." % s["api_port"])
    # Multizone: a CP of the group without kuma_zone beside a global, or beside CPs that have one, is a zone CP whose
    # zone was forgotten (named before the memory store's check, which would blame the store).

    def zoned():
        return any(zone_of(hostvars, h) for h in s["group_hosts"])

    yield (lambda: s["mode"] != "standalone" or (not s["global_hosts"] and not zoned()),
           lambda: "%s has no kuma_zone, but the inventory is multizone (%s): set kuma_zone (role kuma.universal.kuma) "
                   "on %s to the zone this control plane serves."
                   % (host, "a global control plane in " + s["global_group"] if s["global_hosts"]
                      else "other hosts of %s have a kuma_zone" % s["group"], host))
    # Several CPs share one store and elect a leader through it: the memory store has no election.
    yield (lambda: not ha() or s["store_type"] == "postgres",
           lambda: "control_plane_store_type is memory but %s has %d hosts (%s): several kuma-cp need "
                   "control_plane_store_type: postgres (one shared database, which elects the leader); with memory, "
                   "keep one of them." % (_peers_text(s), len(s["peers"]), ", ".join(s["peers"])))
    # The proxies reach every CP through one address; a per-host default would pin them to one CP.

    def one_address():
        addresses = []
        for peer in s["peers"]:
            if "control_plane_address" not in hostvars[peer]:
                return False
            if hostvars[peer]["control_plane_address"] not in addresses:
                addresses.append(hostvars[peer]["control_plane_address"])
        return len(addresses) == 1

    yield (lambda: not ha() or one_address(),
           lambda: "control_plane_address must be set in the inventory, the same for every host of %s (%s): a DNS name "
                   "that resolves to every CP, or a load balancer in front of them (see the role's README)."
                   % (s["group"], ", ".join(s["peers"])))
    # Multizone: the mode, the zone's name and the global's address.
    yield (lambda: (s["mode"] in MODES
                    and (s["mode"] != "zone" or ZONE_NAME.match(str(s["zone"])) is not None)
                    and (s["mode"] != "zone" or bool(s["global_hosts"]))
                    and (s["mode"] != "global" or len(s["kuma_zone"] or "") == 0)
                    and (s["mode"] != "standalone" or not s["global_hosts"])),
           lambda: "%s: control_plane_mode is %s. It must be standalone, global or zone. A zone control plane needs "
                   "kuma_zone (lowercase letters, digits and '-', up to 63; here '%s') and a global control plane in "
                   "the inventory group %s; the global has no kuma_zone; with a global in the inventory, every host of "
                   "%s needs its kuma_zone." % (host, s["mode"], s["zone"], s["global_group"], s["group"]))
    # Every mesh the role manages is named (the first play's read of the CP lists them by name).
    unnamed = _unnamed(s["meshes"])
    yield (lambda: not unnamed,
           lambda: "control_plane_meshes: every item needs a name, a string (the Mesh's name, for example default); "
                   "items without one, counted from 0: %s." % ", ".join(str(i) for i in unnamed))
    # Kuma 3 carries a mesh's mtls by a MeshIdentity (and MeshTLS): a backend it cannot carry is refused by
    # mesh_policies_for itself, naming control_plane_meshes[i].mtls.
    yield (lambda: len(mesh_policies_for(s["meshes"], s["kuma_version"], s["mesh_hostnames"])["meshes"])
           == len(s["meshes"]),
           lambda: "control_plane_meshes could not all be carried by Kuma %s." % s["kuma_version"])
    yield (lambda: not s["pki_ca_roll"] or s["tls_managed"],
           lambda: "control_plane_pki_ca_roll=%s: the role keeps a CA only for several control planes without your own "
                   "TLS, and %s has %s." % (s["pki_ca_roll"], host,
                                            "your certificate (control_plane_tls_cert_src): roll your CA by giving both "
                                            "CAs in control_plane_tls_ca_src" if s["tls_cert_src"]
                                            else "kuma-cp's own self-signed certificate (one control plane)"))
    yield (lambda: not s["pki_host"] or s["pki_host"] in s["peers"],
           lambda: "control_plane_pki_host is %s, which is not one of the control planes that share this certificate "
                   "(%s): set it to the one that keeps the CA." % (s["pki_host"], ", ".join(s["peers"])))


def control_plane_problem(settings, hostvars):
    """The filter: see plugins/filter/control_plane_problem.yml."""
    if not isinstance(settings, Mapping):
        raise AnsibleFilterError("control_plane_problem: the input must be the control plane's settings (a mapping), "
                                 "got %s" % type(settings).__name__)
    given = set(iter(settings))  # the keys only: a value is worked out when a check reads it
    missing = [name for name in SETTINGS if name not in given]
    if missing:
        raise AnsibleFilterError("control_plane_problem: the settings lack %s" % ", ".join(missing))
    meshes = settings["meshes"]
    if isinstance(meshes, (str, Mapping)) or not isinstance(meshes, (list, tuple)):
        raise AnsibleFilterError("control_plane_problem: meshes must be a list (control_plane_meshes)")
    for check, message in _checks(settings, hostvars):
        if not check():
            return message()
    return ""


class FilterModule:
    def filters(self):
        return {"control_plane_problem": control_plane_problem}
