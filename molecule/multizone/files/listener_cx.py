"""Print the downstream connections an Envoy listener of a kuma-dp proxy has accepted.

Usage: listener_cx.py <proxy name> <listener port> [<url to GET first>]
Reads Envoy's stats through the proxy's admin socket (/var/lib/kuma-dp/<proxy>/kuma-envoy-admin.sock)
and sums listener.<address>_<port>.downstream_cx_total (Kuma 2), or of a Kuma 3 zone proxy's listener, named
by its stat prefix, listener.self_zoneingress_dp_<name>.downstream_cx_total (or zoneegress). With a URL, sends one GET there first (its
failure is ignored: the counter tells whether it passed).
"""

import http.client
import re
import socket
import sys
import urllib.request


class AdminConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=5)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.path)


def main(proxy, port, url=None):
    if url:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
        except OSError:
            pass
    conn = AdminConnection("/var/lib/kuma-dp/%s/kuma-envoy-admin.sock" % proxy)
    conn.request("GET", "/stats")
    text = conn.getresponse().read().decode()
    pattern = re.compile(r"^listener\.(?:[^ ]*_%d|self_zone(?:ingress|egress)_dp_[^ .]+)\.downstream_cx_total: (\d+)$"
                         % int(port), re.M)
    print(sum(int(n) for n in pattern.findall(text)))


if __name__ == "__main__":
    main(*sys.argv[1:])
