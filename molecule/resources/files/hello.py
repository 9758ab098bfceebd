# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A demo HTTP service: every GET is answered with the service's name, the host that served it
and the path asked for ("web on web-1 path=/web/x"), so that a test can tell the replicas apart."""
import http.server
import os
import socket

NAME = os.environ.get("HELLO_NAME", "hello")
LISTEN = ("127.0.0.1", int(os.environ.get("HELLO_PORT", "8080")))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        data = ("%s on %s path=%s\n" % (NAME, socket.gethostname(), self.path)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(LISTEN, Handler).serve_forever()
