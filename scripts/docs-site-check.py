# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the built docsite (build/docsite/build/html) the way a reader meets it.

    python3 scripts/docs-site-check.py links   [HTML_DIR]   every internal link and anchor resolves
    python3 scripts/docs-site-check.py browser [HTML_DIR]   every page loads in headless Chromium

links: serves nothing; parses every .html page, follows every href/src that stays inside the
site (relative, or to the site's own origin) and checks that the target file exists and, for
'#anchor', that the target page has that id. Links to other sites are counted, not fetched.

browser: serves the site on 127.0.0.1 (python's http.server, a free port), loads every page
in one headless Chromium (DevTools protocol over a pipe; no host but 127.0.0.1 resolves; a
fresh profile) and checks, after the load event, that the page has its <title> and first
heading, text, the theme's navigation (set by its script), no script error and no resource of
the site that failed to load. Exit 3 when no browser is found (CHROMIUM names one, CHROMIUM=none
pretends there is none; default /usr/bin/chromium, chromium or chromium-browser on PATH).
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "build" / "docsite" / "build" / "html"


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.title = ""
        self.h1 = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        if tag in ("a", "link") and a.get("href"):
            if tag == "a" or a.get("rel") in ("stylesheet", "next", "prev", "index", "search"):
                self.links.append(a["href"])
        if tag in ("script", "img") and a.get("src"):
            self.links.append(a["src"])
        if tag == "title" or (tag == "h1" and not self.h1):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "h1":
            self.h1 += data


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(errors="replace"))
    return p


def pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def check_links(site: Path) -> int:
    broken, internal, external, anchors = [], 0, 0, 0
    all_pages = pages(site)
    for page in all_pages:
        for href in parse(page).links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto", "data", "javascript") or parts.netloc:
                external += 1
                continue
            url, frag = parts.path, parts.fragment
            if url.startswith("/"):  # the site is served at the root of its origin
                target = (site / unquote(url.lstrip("/"))).resolve()
            else:
                target = page if not url else (page.parent / unquote(url)).resolve()
            if target.is_dir():
                target = target / "index.html"
            internal += 1
            rel = page.relative_to(site)
            if site.resolve() not in target.resolve().parents and target.resolve() != site.resolve():
                broken.append("%s: %s leaves the site" % (rel, href))
            elif not target.exists():
                broken.append("%s: %s (no such file)" % (rel, href))
            elif frag and target.suffix == ".html":
                anchors += 1
                if unquote(frag) not in parse(target).ids:
                    broken.append("%s: %s (no id %r in %s)" % (rel, href, frag, target.relative_to(site)))
    print("links: %d pages, %d internal links checked (%d with an anchor), %d external not fetched, %d broken"
          % (len(all_pages), internal, anchors, external, len(broken)))
    for b in broken[:40]:
        print("  BROKEN " + b)
    if len(broken) > 40:
        print("  ... and %d more" % (len(broken) - 40))
    return 1 if broken else 0


def find_browser() -> str | None:
    if os.environ.get("CHROMIUM") == "none":  # to see the NOT RUN path on a machine that has one
        return None
    for cand in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                 shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - the check prints its own summary
        pass


class Browser:
    """One headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
    JSON messages ended by NUL on fds 3 and 4), so every page loads in the same browser: no
    websocket library, no second process per page."""

    def __init__(self, binary: str, profile: str):
        r_in, self._w = os.pipe()   # we write commands -> chromium reads fd 3
        self._r, w_out = os.pipe()  # chromium writes fd 4 -> we read
        argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--remote-debugging-pipe",
                # Only the local server: any other host fails to resolve.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "about:blank"]

        def fds():  # in the child: its ends of the pipes on fds 3 and 4 (kept open: pass_fds)
            a, b = os.dup(r_in), os.dup(w_out)  # they may sit on 3 or 4 themselves
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, pass_fds=(3, 4, r_in, w_out), preexec_fn=fds)
        os.close(r_in)
        os.close(w_out)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read(self, deadline: float) -> dict:
        import json
        import select
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("no answer from the browser")
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise RuntimeError("the browser exited")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30):
        import json
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method: str, session: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read(deadline))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._w)
        os.close(self._r)


def norm(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text or "")).split())


PROBE = ("JSON.stringify({title: document.title, h1: (document.querySelector('h1') || {}).textContent || '',"
         " theme: document.body.className, text: document.body.innerText.length})")


def check_browser(site: Path) -> int:
    import json
    binary = find_browser()
    if not binary:
        print("browser: NOT RUN: no Chromium found (Debian: apt-get install chromium; or CHROMIUM=<path>)")
        return 3
    handler = functools.partial(QuietHandler, directory=str(site))
    failures: list[str] = []
    all_pages = pages(site)
    start = time.monotonic()
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server, \
            tempfile.TemporaryDirectory(prefix="docs-chromium-") as profile:
        server.daemon_threads = True
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser = Browser(binary, profile)
        try:
            target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                browser.call(domain + ".enable", session=session)
            for page in all_pages:
                rel = page.relative_to(site).as_posix()
                want = parse(page)
                browser.events.clear()
                try:
                    nav = browser.call("Page.navigate", {"url": "http://127.0.0.1:%d/%s" % (port, rel)}, session)
                    if nav.get("errorText"):
                        failures.append("%s: %s" % (rel, nav["errorText"]))
                        continue
                    browser.wait_event("Page.loadEventFired", session)
                    got = json.loads(browser.call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True},
                                                  session)["result"]["value"])
                except (TimeoutError, RuntimeError) as exc:
                    failures.append("%s: %s" % (rel, exc))
                    continue
                problems = []
                if norm(got["title"]) != norm(want.title):
                    problems.append("title %r, expected %r" % (got["title"], norm(want.title)))
                if want.h1 and norm(want.h1) != norm(got["h1"]):
                    problems.append("first heading %r, expected %r" % (got["h1"], norm(want.h1)))
                if got["text"] < 50:
                    problems.append("an almost empty page")
                # The theme's navigation script marks the body once it ran.
                if "wy-body-for-nav" not in got["theme"]:
                    problems.append("the theme did not render")
                for e in browser.events:
                    if e.get("method") == "Runtime.exceptionThrown":
                        problems.append("script error: %s" % e["params"]["exceptionDetails"].get("text"))
                    elif e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error":
                        entry = e["params"]["entry"]
                        if "127.0.0.1:%d" % port in (entry.get("url") or ""):  # other hosts are offline on purpose
                            problems.append("%s %s" % (entry.get("text"), entry.get("url")))
                if problems:
                    failures.append("%s: %s" % (rel, "; ".join(problems)))
        finally:
            browser.close()
            server.shutdown()
    print("browser: %d pages loaded in headless %s, %d failed, %.0f s"
          % (len(all_pages), Path(binary).name, len(failures), time.monotonic() - start))
    for f in failures:
        print("  FAILED " + f)
    return 1 if failures else 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("links", "browser"):
        print(__doc__, file=sys.stderr)
        return 2
    site = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_DIR
    if not (site / "index.html").exists():
        print("no docsite at %s: run bash scripts/docs-lint.sh --build" % site, file=sys.stderr)
        return 1
    return check_links(site) if sys.argv[1] == "links" else check_browser(site)


if __name__ == "__main__":
    sys.exit(main())
