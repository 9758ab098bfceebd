# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault drills' load: GET the Backend (it reaches Redis only through the mesh) every
0.1 s, bounded in count and time; every failure counts. Prints one JSON line: ok, failed,
errors (by kind), seconds, and when the first and the last failure happened (seconds from
the start), so that a drill can report how long requests failed.

    python3 request_loop.py URL MAX_REQUESTS MAX_SECONDS [STOP_FILE]

With STOP_FILE, the loop also ends (after 2 s more of requests) once that file exists: a drill that
measures a playbook run ends its loop when the run has ended, instead of at MAX_SECONDS.
"""
import json
import os
import sys
import time
import urllib.request

url, count, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
stop_file = sys.argv[4] if len(sys.argv) > 4 else None
if stop_file and os.path.exists(stop_file):
    os.unlink(stop_file)
ok = failed = 0
errors = {}
first_failure = last_failure = None
start = time.monotonic()
for _ in range(count):
    now = time.monotonic() - start
    if now > limit:
        break
    if stop_file and os.path.exists(stop_file):
        limit = min(limit, now + 2)
        stop_file = None
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            body = response.read()
        good = response.status == 200 and body.startswith(b"hits=")
        kind = "unexpected answer"
    except Exception as error:  # every failure counts, by its kind
        good = False
        kind = type(error).__name__
    if good:
        ok += 1
    else:
        failed += 1
        errors[kind] = errors.get(kind, 0) + 1
        first_failure = now if first_failure is None else first_failure
        last_failure = now
    time.sleep(0.1)
print(json.dumps({"ok": ok, "failed": failed, "errors": errors, "seconds": round(time.monotonic() - start, 1),
                  "first_failure": None if first_failure is None else round(first_failure, 1),
                  "last_failure": None if last_failure is None else round(last_failure, 1)}))
