# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The sidecar role's control-plane calls for a whole play batch: one registration and one token
run per control plane instead of one per host, and each host's part of their results.

Each host of the batch brings the sidecar role's documented facts: what the role planned for it
(sidecar_plan, with its settings under control_plane: the CP host, the API URL, prune, token
validity) and what its prune step read (sidecar_host_proxies: the meshes of the proxies it pruned,
the tokens it has); hosts whose settings differ (e.g. another CP) land in another group, so one
group is one module run on one CP.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.kuma.universal.plugins.module_utils._compare import get_or as _get
from ansible_collections.kuma.universal.plugins.module_utils._gateway import wanted_permissions
from ansible_collections.kuma.universal.plugins.module_utils._kuma3 import cross_zone_outbounds, major_of, zone_services
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_items import sidecar_dataplanes, sidecar_tokens
from ansible_collections.kuma.universal.plugins.module_utils._sidecar_planner import (
    HOST_LABEL, MANAGED_BY, ZONE_PROXY_KINDS, ZONE_PROXY_LABEL,
)
from ansible_collections.kuma.universal.plugins.module_utils._token import TokenFormatError, decode_jwt

WHATS = ("dataplanes", "tokens")


def _hosts(batch, hostvars):
    """(host, instances, host read, settings) of every host of batch that planned its sidecars."""
    for host in batch or []:
        hv = _get(hostvars, host, {})
        plan = _get(hv, "sidecar_plan")
        settings = _get(plan, "control_plane")
        if plan is None or settings is None:
            continue  # the role did not run on this host (or stopped before its plan)
        yield host, list(_get(plan, "instances", [])), _get(hv, "sidecar_host_proxies", {}), settings


def plan_of(hostvars, host):
    return _get(_get(hostvars, host, {}), "sidecar_plan", {})


def _prune_selectors(plan, host):
    """The labels of the host's Dataplanes its plan owns. An undefined kuma_sidecars leaves the host's
    sidecars alone, an undefined kuma_zone_proxies its zone proxies of the form listeners (Dataplanes
    labelled ZONE_PROXY_LABEL; a label None selects the Dataplanes without it)."""
    base = {MANAGED_BY: "ansible", HOST_LABEL: host}
    sidecars = _get(plan, "sidecars_managed", True)
    zone_proxies = _get(plan, "zone_proxies_managed", False)
    if sidecars and zone_proxies:
        return [base]
    if sidecars:
        return [dict(base, **{ZONE_PROXY_LABEL: None})]
    if zone_proxies:
        return [dict(base, **{ZONE_PROXY_LABEL: kind}) for kind in sorted(ZONE_PROXY_KINDS)]
    return []


def sidecar_batches(batch, hostvars, what="dataplanes", registered=None):
    """The filter: see plugins/filter/sidecar_batches.yml."""
    if what not in WHATS:
        raise AnsibleFilterError("kuma.universal.sidecar_batches: what must be one of %s, got %r"
                                 % (", ".join(WHATS), what))
    groups = {}
    signing_keys = {}  # group key -> {(mesh, kid)} of the tokens in hand of its hosts
    services = None  # the services of every planned host by zone (multizone on Kuma 3), read once
    for host, instances, read, settings in _hosts(batch, hostvars):
        base = {"control_plane_host": str(settings["control_plane_host"]), "api_url": str(settings["api_url"])}
        if what == "dataplanes":
            prune = boolean(settings["prune"], strict=False)
            key = (base["control_plane_host"], base["api_url"], prune)
            group = groups.setdefault(key, dict(base, hosts=[], exclusive=prune, dataplanes=[], selectors=[]))
            group["hosts"].append(host)
            dataplanes = sidecar_dataplanes(instances)
            zone = _get(plan_of(hostvars, host), "zone", "")
            if zone and (major_of(_get(_get(hostvars, host, {}), "kuma_version")) or 0) >= 3:
                if services is None:
                    services = zone_services([plan_of(hostvars, h) for h in hostvars])
                dataplanes = cross_zone_outbounds(dataplanes, zone, services)
            group["dataplanes"].extend(dataplanes)
            signing_keys.setdefault(key, set()).update(_token_keys(instances, _get(read, "tokens", {})))
            if prune:
                meshes = sorted({i["mesh"] for i in instances} | set(_get(read, "pruned_meshes", [])))
                group["selectors"].extend({"labels": labels, "meshes": meshes}
                                          for labels in _prune_selectors(plan_of(hostvars, host), host))
        elif instances:
            valid_for = str(_get(settings, "valid_for", ""))
            renew_before = str(settings["renew_before"])
            key = (base["control_plane_host"], base["api_url"], valid_for, renew_before)
            group = groups.setdefault(key, dict(base, hosts=[], valid_for=valid_for, renew_before=renew_before,
                                                tokens=[]))
            group["hosts"].append(host)
            group["tokens"].extend(sidecar_tokens(instances, _get(read, "tokens", {})))
    for key, found in signing_keys.items():
        groups[key]["token_keys"] = [{"mesh": mesh, "kid": kid} for mesh, kid in sorted(found)]
    if what == "tokens" and registered is not None:
        for group in groups.values():
            reads = _token_reads(registered, group["control_plane_host"], group["api_url"])
            if reads is not None:
                group["token_reads"] = reads
    return list(groups.values())


def _token_keys(instances, tokens):
    """The signing keys (mesh, kid) of the tokens in hand of instances."""
    found = set()
    for inst in instances:
        token = (tokens or {}).get(inst["name"])
        if not token:
            continue
        try:
            kid = decode_jwt(str(token))[0].get("kid")
        except TokenFormatError:
            continue  # malformed: dataplane_tokens replaces it, on the control plane
        if kid not in (None, ""):
            found.add((str(inst["mesh"]), str(kid)))
    return found


def _token_reads(registered, control_plane_host, api_url):
    """The token reads of the registrations of that control plane in this batch, merged; None when one lacks them."""
    merged = None
    for result in _results(registered):
        item = result.get("item") or {}
        if item.get("control_plane_host") != control_plane_host or item.get("api_url") != api_url:
            continue
        reads = result.get("token_reads")
        if not isinstance(reads, dict) or not isinstance(reads.get("reads"), dict):
            return None
        if merged is None:
            merged = {"version": reads.get("version"), "reads": {}}
        elif merged["version"] != reads.get("version"):
            return None
        merged["reads"].update(reads["reads"])
    return merged


def _keys(instances):
    return {"%s/%s" % (i["mesh"], i["name"]) for i in instances or []}


def _results(registered):
    if not isinstance(registered, dict):
        return []
    if "results" in registered:
        return [r for r in registered["results"] if isinstance(r, dict)]
    return [registered]


def sidecar_batch_changed(instances, registered=None, tokens=None):
    """The filter: see plugins/filter/sidecar_batch_changed.yml."""
    keys = _keys(instances)
    for result in _results(registered):
        if keys & set(result.get("created", []) + result.get("updated", []) + result.get("deleted", [])):
            return True
    for result in _results(tokens):
        for token in result.get("tokens", []):
            if token.get("changed") and "%s/%s" % (token.get("mesh", "default"), token.get("name")) in keys:
                return True
    return False


def sidecar_converged_hosts(hosts, hostvars, registered=None, tokens=None):
    """The filter: see plugins/filter/sidecar_converged_hosts.yml."""
    out = []
    for host in hosts or []:
        hv = _get(hostvars, host, {})
        plan, read = _get(hv, "sidecar_plan"), _get(hv, "sidecar_host_proxies")
        if plan is None or read is None:
            continue
        if _get(read, "skipped", False):
            converged = True  # nothing to run and nothing to prune: the read had nothing to do
        else:
            converged = bool(_get(read, "converged", False)) and not (
                _get(read, "pruned", []) or _get(read, "pruned_edges", []))
        zone_tokens = _get(hv, "sidecar_zone_tokens", {})
        if (converged and not _get(zone_tokens, "changed", False)
                and not sidecar_batch_changed(_get(plan, "instances", []), registered, tokens)):
            out.append(host)
    return out


def sidecar_gateways(hosts, hostvars):
    """The filter: see plugins/filter/sidecar_gateways.yml."""
    planned = [(_get(plan_of(hostvars, host), "zone", ""), _get(plan_of(hostvars, host), "instances", []))
               for host in hosts or [] if _get(_get(hostvars, host, {}), "sidecar_plan") is not None]
    gateways = {}
    for (mesh, gateway, service), zones in sorted(wanted_permissions(planned).items()):
        item = gateways.setdefault((mesh, gateway), {"mesh": mesh, "gateway": gateway, "services": [], "zones": []})
        item["services"].append(service)
        item["zones"] = sorted(set(item["zones"]) | set(zones))
    return list(gateways.values())


def sidecar_batch_tokens(tokens):
    """The filter: see plugins/filter/sidecar_batch_tokens.yml."""
    out = []
    for result in _results(tokens):
        out.extend(result.get("tokens", []))
    return out


class FilterModule:
    def filters(self):
        return {"sidecar_batches": sidecar_batches, "sidecar_batch_changed": sidecar_batch_changed,
                "sidecar_batch_tokens": sidecar_batch_tokens, "sidecar_gateways": sidecar_gateways,
                "sidecar_converged_hosts": sidecar_converged_hosts}
