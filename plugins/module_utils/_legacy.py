# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Internal: the Kuma 0.x Dataplane syntax, translated to today's fields.

The original Universal docs wrote an inbound as 'interface: IP:DATAPLANE_PORT:SERVICE_PORT',
an outbound as 'interface: [IP]:PORT' with 'service', and the service tag as 'service'.
Each function returns today's fields and appends one line per translation, so that the
module can show the user what it made of the old syntax.
"""

from __future__ import annotations

import re

from ansible_collections.kuma.universal.plugins.module_utils._naming import SERVICE_TAG
from ansible_collections.kuma.universal.plugins.module_utils._schema import check_port, is_ip

LEGACY_SERVICE_TAG = "service"
LOOPBACK = "127.0.0.1"
LEGACY_INBOUND_RE = re.compile(r"^(?:\[(?P<ip6>[^\]]+)\]|(?P<ip>[^:\[\]]+)):(?P<port>\d+):(?P<service_port>\d+)$")
LEGACY_OUTBOUND_RE = re.compile(r"^(?:\[(?P<ip6>[^\]]+)\]|(?P<ip>[^:\[\]]*)):(?P<port>\d+)$")


def inbound_interface(text, where, errors, translations):
    """'IP:DP_PORT:SERVICE_PORT' -> (IP, {port, service_port, service_address}); (None, {}) when malformed."""
    text = str(text).strip()
    match = LEGACY_INBOUND_RE.match(text)
    ip = match and (match.group("ip6") or match.group("ip"))
    if not match or not is_ip(ip):
        errors.append("%s.interface: malformed legacy interface %r; expected 'IP:DATAPLANE_PORT:SERVICE_PORT', "
                      "e.g. '192.168.0.1:9000:6379'" % (where, text))
        return None, {}
    out = {"port": check_port(match.group("port"), where + ".interface (dataplane port)", errors),
           "service_port": check_port(match.group("service_port"), where + ".interface (service port)", errors),
           "service_address": LOOPBACK}
    translations.append("%s: interface '%s' -> port %s, service_port %s, service_address %s (the app on loopback)"
                        % (where, text, out["port"], out["service_port"], LOOPBACK))
    return ip, out


def outbound_interface(text, where, errors, translations):
    """'[IP]:PORT' -> {port, address} (the IP defaults to loopback); {} when malformed."""
    text = str(text).strip()
    match = LEGACY_OUTBOUND_RE.match(text)
    ip = match and (match.group("ip6") or match.group("ip") or LOOPBACK)
    if not match or not is_ip(ip):
        errors.append("%s.interface: malformed legacy interface %r; expected '[IP]:PORT', "
                      "e.g. ':10000' or '127.0.0.1:10000'" % (where, text))
        return {}
    out = {"port": check_port(match.group("port"), where + ".interface (port)", errors), "address": ip}
    translations.append("%s: interface '%s' -> address %s, port %s" % (where, text, ip, out["port"]))
    return out


def outbound_service(service, value, where, translations):
    """Record a legacy outbound's 'service' as the tag it stands for."""
    translations.append("%s: service '%s' -> tags {%s: %s}" % (where, service, SERVICE_TAG, value))


def service_tag(tags, where, errors, translations):
    """Rename the legacy tag 'service' to kuma.io/service (Kuma 0.7)."""
    if LEGACY_SERVICE_TAG not in tags:
        return tags
    if SERVICE_TAG in tags:
        errors.append("%s: both 'service' (legacy) and '%s' given; keep only '%s'" % (where, SERVICE_TAG, SERVICE_TAG))
        return tags
    tags = dict(tags)
    tags[SERVICE_TAG] = tags.pop(LEGACY_SERVICE_TAG)
    translations.append("%s: tag 'service: %s' -> '%s: %s' (renamed in Kuma 0.7)"
                        % (where, tags[SERVICE_TAG], SERVICE_TAG, tags[SERVICE_TAG]))
    return tags


def address_from_interface(address, translations):
    translations.append("address: %s, taken from the first legacy inbound interface" % address)


def interface_ip_kept(where, ip, address, translations):
    translations.append("%s: interface IP %s differs from address %s: kept as the inbound's own address"
                        % (where, ip, address))
