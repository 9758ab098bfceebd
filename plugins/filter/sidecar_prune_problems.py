# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sidecar role's guards on its destructive paths, checked on the controller before any change:
a prune that would remove more than a set share of a host's or a play batch's proxies (refused unless
the operator confirms it for the run), Dataplane or zone proxy names that two hosts would both
register with one control plane (the second would overwrite the first), and each host's plan problems."""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.kuma.universal.plugins.module_utils._compare import get_or as _get

CONFIRM = "If that is meant, run again with -e sidecar_prune_confirm=true (for that run only)"


def _share(max_percent):
    if isinstance(max_percent, bool):
        return None
    try:
        value = int(str(max_percent).strip())
    except ValueError:
        return None
    return value if 0 <= value <= 100 else None


def _problem(who, pruned, installed, max_percent):
    return ("%s: this run would stop and remove %d of its %d proxies (%d%%, more than sidecar_prune_max_percent "
            "%d%%): %s. %s" % (who, len(pruned), installed, round(100.0 * len(pruned) / installed), max_percent,
                               ", ".join(pruned), CONFIRM))


def sidecar_prune_problems(batch, hostvars, max_percent, confirmed=False):
    """The filter: see plugins/filter/sidecar_prune_problems.yml."""
    share = _share(max_percent)
    if share is None:
        return ["sidecar_prune_max_percent: must be an integer from 0 to 100 (the most of a host's or a play batch's "
                "proxies one run may remove), got %r" % (max_percent,)]
    if boolean(confirmed, strict=False):
        return []
    problems, hosts, total, removed = [], [], 0, []
    for host in batch or []:
        read = _get(_get(hostvars, host, {}), "sidecar_host_proxies")
        if not isinstance(read, dict) or "installed" not in read:
            continue  # not planned or not read (left alone)
        installed, pruned = list(_get(read, "installed", [])), list(_get(read, "pruned", []))
        hosts.append(host)
        total += len(installed)
        removed += pruned
        if pruned and len(pruned) * 100 > share * len(installed):
            problems.append(_problem(host, pruned, len(installed), share))
    if len(hosts) > 1 and removed and len(removed) * 100 > share * total:
        problems.append(_problem("the play batch (%s)" % ", ".join(hosts), removed, total, share))
    return problems


def _owned(host, hostvars):
    """(key, what, variable) of every name host plans to register: key is (control plane, kind, mesh, name)."""
    plan = _get(_get(hostvars, host, {}), "sidecar_plan")
    if not isinstance(plan, dict):
        return []
    cp = str(_get(_get(plan, "control_plane", {}), "control_plane_host", ""))
    out = []
    for inst in _get(plan, "instances", []):
        out.append(((cp, "Dataplane", inst["mesh"], inst["name"]),
                    "Dataplane %s of mesh %s" % (inst["name"], inst["mesh"]), "kuma_sidecars"))
    for zone_proxy in _get(plan, "zone_proxies", []):
        kind = zone_proxy["resource"]["type"]
        out.append(((cp, kind, None, zone_proxy["name"]), "%s %s" % (kind, zone_proxy["name"]), "kuma_zone_proxies"))
    return out


def _message(key, what, variable, hosts):
    first, second = sorted(str(h) for h in hosts)
    return ("%s is planned on %s and on %s (control plane %s): names come from the short host name; "
            "give one of them a name: in %s (or rename the host)" % (what, first, second, key[0], variable))


def sidecar_name_collisions(host, hostvars, hosts):
    """The filter: see plugins/filter/sidecar_name_collisions.yml. host is one host (its collisions with
    hosts) or a list of hosts (every collision among them, each pair of hosts and name once: one pass,
    so that a play checks all its hosts once instead of each host against all)."""
    if isinstance(host, (list, tuple)):
        owner, problems = {}, []
        for one in host:
            for key, what, variable in _owned(one, hostvars):
                if key in owner and owner[key] != one:
                    problems.append(_message(key, what, variable, (owner[key], one)))
                owner.setdefault(key, one)
        return problems
    others = {}
    for other in hosts or []:
        if other == host:
            continue
        for key, _what, _variable in _owned(other, hostvars):
            others.setdefault(key, other)
    return [_message(key, what, variable, (host, others[key])) for key, what, variable in _owned(host, hostvars)
            if key in others]


OLD_REDIRECT_NAMES = ("transparent_proxy_redirect_inbound_port", "transparent_proxy_redirect_outbound_port")


def sidecar_plan_problems(hosts, hostvars):
    """The filter: see plugins/filter/sidecar_plan_problems.yml."""
    problems = []
    for host in hosts or []:
        plan = _get(_get(hostvars, host, {}), "sidecar_plan")
        if not isinstance(plan, dict):
            continue
        checks = _get(plan, "host_checks", {})
        if _get(plan, "errors", []):
            problems.append("kuma_sidecars of %s: %s" % (host, "; ".join(_get(plan, "errors", []))))
        old = list(_get(checks, "old_redirect_ports", []) or [])
        if any(value is not None for value in old):
            shown = ["not set" if value is None else value for value in (old + [None, None])[:2]]
            problems.append(
                "%s: %s (%s) and %s (%s) are no longer read: Envoy's redirect ports are kuma_redirect_inbound_port and "
                "kuma_redirect_outbound_port (role kuma.universal.kuma, e.g. in group_vars/all), which the transparent "
                "proxy's rules and the sidecar role's Dataplane both follow. Rename them."
                % (host, OLD_REDIRECT_NAMES[0], shown[0], OLD_REDIRECT_NAMES[1], shown[1]))
        proxies = list(_get(plan, "instances", [])) + list(_get(plan, "zone_proxies", []))
        if proxies and not boolean(_get(checks, "control_plane_known", True), strict=False):
            zone = _get(checks, "zone", "") or ""
            problems.append(
                "%s: no control plane for its proxies: the inventory group %s has no host%s (every zone needs its "
                "control plane; or set sidecar_control_plane_host)."
                % (host, _get(checks, "control_plane_group", ""), (" with kuma_zone %s" % zone) if zone else ""))
    return problems


class FilterModule:
    def filters(self):
        return {"sidecar_prune_problems": sidecar_prune_problems, "sidecar_name_collisions": sidecar_name_collisions,
                "sidecar_plan_problems": sidecar_plan_problems}
