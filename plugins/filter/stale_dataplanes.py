# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline Dataplanes that no inventory host declares (left by hosts that died or left), and which of
them the opt-in stale prune may remove."""

from __future__ import annotations

import datetime
import re

from ansible.errors import AnsibleFilterError

HOST_LABEL = "kuma.universal/host"
DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def _seconds(value):
    """Seconds from an int or a Go-style duration (90s, 30m, 1h, 2h30m)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = str(value).strip() if isinstance(value, str) else ""
    match = DURATION_RE.match(text) if text else None
    if text.isdigit():
        return int(text)
    if not match:
        raise AnsibleFilterError("kuma_prune_stale_after: %r is not a duration; give seconds or a duration such as "
                                 "90s, 30m, 1h or 2h30m" % (value,))
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _epoch(text):
    """An RFC 3339 time from the API (nanoseconds allowed) as epoch seconds; None when unreadable."""
    if not text:
        return None
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", str(text))
    if not match:
        return None
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    moment = datetime.datetime.fromisoformat(match.group(1) + zone)
    return moment.timestamp() + float("0." + (match.group(2) or "0"))


def _text(seconds):
    seconds = int(seconds)
    return "%dh%dm%ds" % (seconds // 3600, seconds % 3600 // 60, seconds % 60) if seconds >= 3600 \
        else "%dm%ds" % (seconds // 60, seconds % 60)


def stale_dataplanes(dataplanes, hosts, min_offline=0, now=None):
    """The offline items of dataplanes (kuma.universal.dataplane_info's result) whose kuma.universal/host
    label names no host of hosts, or that carry no such label. Each item: mesh, name, host (the label, None
    without it), ours (whether this collection made it), prune (whether the stale prune may remove it: ours,
    offline for min_offline or more, and hosts not empty) and why (a sentence for the summary)."""
    if not isinstance(dataplanes, list):
        raise AnsibleFilterError("stale_dataplanes: expects the dataplanes list of kuma.universal.dataplane_info")
    wait = _seconds(min_offline)
    now = _epoch(now) if isinstance(now, str) else now
    now = datetime.datetime.now(datetime.timezone.utc).timestamp() if now is None else now
    known = set(hosts or [])
    stale = []
    for item in dataplanes:
        if item.get("online"):
            continue
        host = (item.get("labels") or {}).get(HOST_LABEL)
        if host in known:
            continue  # declared by the inventory: its host converges it (or is down for now)
        prune = host is not None
        if host is None:
            why = "no %s label: not made by this collection, left alone" % HOST_LABEL
        else:
            why = "its host %s is not in the inventory" % host
            since = _epoch(item.get("offline_since"))
            if not known:
                # A wrong inventory (no data-plane group, another zone's) would make every proxy look stale.
                prune = False
                why += "; kept: the zone has no data-plane host in the inventory (a wrong inventory would make " \
                       "every proxy look stale)"
            elif since is None:
                prune = wait == 0
                why += "" if prune else "; offline since an unknown time: kept"
            elif now - since < wait:
                prune = False
                why += "; offline for %s, removed after %s" % (_text(now - since), _text(wait))
            else:
                why += "; offline for %s" % _text(now - since)
        stale.append({"mesh": item.get("mesh"), "name": item.get("name"), "host": host, "ours": host is not None,
                      "prune": prune, "why": why})
    return sorted(stale, key=lambda s: (s["mesh"] or "", s["name"] or ""))


class FilterModule:
    def filters(self):
        return {"stale_dataplanes": stale_dataplanes}
