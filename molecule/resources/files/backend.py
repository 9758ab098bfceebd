# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo Backend: every GET increments a counter in Redis, reached only through the
mesh (its kuma-dp outbound on 127.0.0.1:10000), and answers with the new value and the
port of the Redis replica that served it."""
import http.server
import os
import socket

LISTEN = ("127.0.0.1", int(os.environ.get("BACKEND_PORT", "80")))
_host, _port = os.environ.get("BACKEND_REDIS", "127.0.0.1:10000").rsplit(":", 1)
REDIS = (_host, int(_port))


def _command(*words):
    out = b"*%d\r\n" % len(words)
    for word in words:
        data = word.encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


def _read_reply(stream):
    line = stream.readline()
    kind, rest = line[:1], line[1:].rstrip(b"\r\n")
    if kind in (b"+", b":"):
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else stream.read(size + 2)[:-2].decode()
    if kind == b"*":
        return [_read_reply(stream) for dummy in range(int(rest))]
    raise RuntimeError("unexpected reply from Redis: %r" % line)


def hit():
    with socket.create_connection(REDIS, timeout=5) as sock:
        sock.sendall(_command("INCR", "hits") + _command("CONFIG", "GET", "port"))
        stream = sock.makefile("rb")
        count = _read_reply(stream)
        port = _read_reply(stream)[1]
    return count, port


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            count, port = hit()
            status, body = 200, "hits=%s redis_port=%s\n" % (count, port)
        except (OSError, RuntimeError) as exc:
            status, body = 502, "redis through the mesh failed: %s\n" % exc
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(LISTEN, Handler).serve_forever()
