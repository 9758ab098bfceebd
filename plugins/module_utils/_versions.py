# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Kuma's version-skew rule for a whole mesh (controller planning, no I/O).

Kuma's pkg/version/compatibility.go (DeploymentVersionCompatible): a kuma-dp is supported with a
kuma-cp of the same major and at most two minors apart. Every pair that exists during a rolling
upgrade must satisfy it. Used by the filter kuma.universal.version_skew_problems (the install
role's `versions` entry point). Not a public interface.
"""

from __future__ import annotations

import re

# A release (2.14.3) or a pre-release / build (3.0.0-dev.348b6528): major, minor, patch, rest.
VERSION = re.compile(r"^([0-9]+)[.]([0-9]+)[.]([0-9]+)((?:[-+][0-9A-Za-z.+-]*)?)$")


def parse(version):
    """(major, minor, patch, suffix) of a Kuma version, or None when it is not one."""
    found = VERSION.match(str(version or ""))
    if found is None:
        return None
    return int(found.group(1)), int(found.group(2)), int(found.group(3)), found.group(4)


def older(a, b):
    """Whether version a is older than b (both parsed): by major, minor, patch; a pre-release
    (3.0.0-dev.x) is older than its release (3.0.0), two pre-releases compare by their text."""
    def key(v):
        return v[:3] + ((0, v[3]) if v[3].startswith("-") else (1, ""))
    return key(a) < key(b)


# Kuma's one way across a major (UPGRADE.md "Upgrade to 3.0.0"): the 3.0 control plane with the
# 2.14 proxies it is upgraded under, until they are rolled. Outside DeploymentVersionCompatible, which
# compares minors within a major, but the order Kuma documents.
MAJOR_BRIDGES = {((2, 14), (3, 0))}


def too_far(v, cp):
    """Outside Kuma's rule: another major, or more than two minors apart."""
    return v[0] != cp[0] or abs(v[1] - cp[1]) > 2


def bridged(running, cp):
    """A release running under a control plane of the next major by Kuma's documented path."""
    return ((running[0], running[1]), (cp[0], cp[1])) in MAJOR_BRIDGES


def skew_problems(cp_host, cp_version, hosts):
    """Every problem of the mesh, as sentences (the messages the install role has always shown).

    cp_host, cp_version: the reference control plane (the global in multizone) and its wanted
    version. hosts: one dict per host of the mesh, in inventory order: host, wanted (its
    kuma_version), running (the release its <prefix>/current points at, '' when none), rollback
    (kuma_allow_rollback), control_plane (whether it runs kuma-cp), sotw (its proxies not on delta
    xDS, which a host moving to Kuma 3 must not have).
    """
    cp_version = str(cp_version)
    cp = parse(cp_version)
    if cp is None:
        return ["kuma_version (role kuma.universal.kuma) of the control plane %s is %s: not a Kuma version such as"
                " 2.14.3." % (cp_host, cp_version)]
    problems = []
    for item in hosts:
        host, wanted, running = item["host"], str(item["wanted"]), str(item.get("running") or "")
        w = parse(wanted)
        if w is None:
            problems.append("kuma_version (role kuma.universal.kuma) of %s is %s: not a Kuma version such as 2.14.3."
                            % (host, wanted))
            continue
        if item.get("control_plane") and wanted != cp_version:
            problems.append("kuma_version (role kuma.universal.kuma) is %s on the control plane %s but %s on %s:"
                            " every control plane runs one release." % (wanted, host, cp_version, cp_host))
        elif too_far(w, cp):
            problems.append("kuma_version (role kuma.universal.kuma) is %s on %s and %s on the control plane: Kuma"
                            " supports a kuma-dp at most two minor versions from its kuma-cp, of the same major"
                            " (pkg/version/compatibility.go); set kuma_version of %s within two minors of %s."
                            % (wanted, host, cp_version, host, cp_version))
        r = parse(running)
        if r is None:
            continue
        if r[0] > w[0]:
            problems.append("kuma_version (role kuma.universal.kuma) is %s but %s runs %s: Kuma does not go back a"
                            " major, with or without kuma_allow_rollback (kuma-cp %d migrated the store and dropped"
                            " what %d needs); restore the store's backup taken before the upgrade instead."
                            % (wanted, host, running, r[0], w[0]))
            continue
        if w[0] > r[0] and item.get("sotw"):
            problems.append("kuma_version (role kuma.universal.kuma) is %s for %s, which runs %s with proxies on"
                            " state-of-the-world xDS (%s); Kuma %d serves delta xDS only (UPGRADE.md): first set"
                            " kuma_xds_delta: true and run deploy-mesh on %s, which restarts every kuma-dp host by"
                            " host." % (wanted, host, running, ", ".join(item["sotw"]), w[0], running))
        if too_far(r, cp) and not bridged(r, cp):
            problems.append("kuma_version (role kuma.universal.kuma) is %s for the control plane but %s runs %s now:"
                            " during the rolling upgrade its proxies would talk to a kuma-cp more than two minor"
                            " versions away, which Kuma does not support (pkg/version/compatibility.go); upgrade in"
                            " steps of at most two minors." % (cp_version, host, running))
        if older(w, r) and not item.get("rollback"):
            problems.append("kuma_version (role kuma.universal.kuma) is %s but %s runs %s: a downgrade. To roll back"
                            " to the release the hosts had, set kuma_allow_rollback: true as well (the schema of a"
                            " Postgres store must be one the older kuma-cp knows: see the README)."
                            % (wanted, host, running))
    return problems
