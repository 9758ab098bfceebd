# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every entity the control plane stores, read through its API on loopback: each resource
type it lists (GET /_resources) except the read-only ones (insights, which the CP computes),
every mesh. Prints one JSON object: counts by type and the sorted "Type mesh/name" list, so a
drill can show that nothing was lost. Names only: no secret's data is printed.

    python3 entities.py [API_URL]
"""
import json
import sys
import urllib.request
from urllib.parse import urljoin

api = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5681").rstrip("/")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


entities = []
for kind in get(api + "/_resources")["resources"]:
    if kind["readOnly"]:
        continue
    url = "%s/%s?size=1000" % (api, kind["path"])
    while url:
        page = get(url)
        entities += ["%s %s/%s" % (kind["name"], item.get("mesh", ""), item["name"]) for item in page["items"]]
        url = urljoin(api + "/", page["next"]) if page.get("next") else None
counts = {}
for entity in entities:
    counts[entity.split(" ")[0]] = counts.get(entity.split(" ")[0], 0) + 1
print(json.dumps({"counts": counts, "total": len(entities), "entities": sorted(entities)}))
