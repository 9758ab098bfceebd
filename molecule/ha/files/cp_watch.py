# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the control planes say during a fault drill, sampled every 0.25 s on a CP: which of
the named Dataplanes are online (a subscription with a connectTime and no disconnectTime, as
dataplane_info reads it; for a Dataplane named with --fresh, only a connection made after
--connected-after counts: its proxy was killed then) and which CPs report leader 1 on
their /metrics.

Runs at least --min-seconds, then stops once every named Dataplane has been online and exactly
one CP the leader for --settle seconds; never runs past --seconds. Prints one JSON line:
  changes   [[epoch, online names, leading CPs], ...] each time that state changed (a read
            that failed counts as nothing online and shows as "api down")
  settled   epoch since which every named Dataplane is online and one CP leads (null: never)
  offline   seconds during which some named Dataplane was not online (or the API was down)
  leaderless  seconds during which not exactly one CP reported leader 1

    python3 cp_watch.py --names a,b --leaders cp-1=URL,cp-2=URL [--fresh a --connected-after EPOCH] ...
"""
import argparse
import datetime
import json
import re
import time
import urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("--api", default="http://127.0.0.1:5681")
parser.add_argument("--names", required=True)
parser.add_argument("--leaders", required=True, help="every CP as name=metrics URL, comma-separated")
parser.add_argument("--fresh", default="", help="names that must have connected after --connected-after")
parser.add_argument("--connected-after", type=float, default=0.0)
parser.add_argument("--min-seconds", type=float, default=0.0)
parser.add_argument("--seconds", type=float, default=60.0)
parser.add_argument("--settle", type=float, default=2.0)
args = parser.parse_args()
names = set(args.names.split(","))
fresh = set(filter(None, args.fresh.split(",")))
LEADER = re.compile(r"(?m)^leader(?:[{][^}]*[}])? 1$")


def epoch(stamp):
    """Kuma's RFC 3339 time (nanoseconds, Z) as seconds since the epoch."""
    stamp = re.sub(r"([.][0-9]{6})[0-9]*", r"\1", stamp).replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(stamp).timestamp()


def online():
    try:
        with urllib.request.urlopen(args.api + "/dataplanes/_overview?size=1000", timeout=1) as response:
            items = json.load(response)["items"]
    except Exception:  # the API down counts as nothing online
        return None
    found = set()
    for item in items:
        for sub in (item.get("dataplaneInsight") or {}).get("subscriptions") or []:
            if sub.get("connectTime") and not sub.get("disconnectTime") and (
                    item["name"] not in fresh or epoch(sub["connectTime"]) >= args.connected_after):
                found.add(item["name"])
    return sorted(found & names)


def leaders():
    leading = []
    for name, url in (pair.split("=", 1) for pair in args.leaders.split(",")):
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if LEADER.search(response.read().decode()):
                    leading.append(name)
        except Exception:  # a CP that does not answer does not lead
            pass
    return leading


start = time.time()
changes, settled, last = [], None, None
offline = leaderless = 0.0
before = start
while True:
    now = time.time()
    up, lead = online(), leaders()
    state = ["api down" if up is None else up, lead]
    if state != last:
        changes.append([round(now, 2)] + state)
        last = state
    good = up is not None and set(up) == names and len(lead) == 1
    offline += (now - before) if up is None or set(up) != names else 0.0
    leaderless += (now - before) if len(lead) != 1 else 0.0
    before = now
    settled = (settled or now) if good else None
    if now - start >= args.seconds or (now - start >= args.min_seconds and settled and now - settled >= args.settle):
        break
    time.sleep(0.25)
print(json.dumps({"changes": changes, "settled": settled and round(settled, 2), "start": round(start, 2),
                  "offline": round(offline, 1), "leaderless": round(leaderless, 1)}))
