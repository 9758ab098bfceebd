# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The small schema validator and the naming rules: every error names its field."""

from __future__ import annotations

import pytest

from ansible_collections.kuma.universal.plugins.module_utils._naming import (
    check_labels, check_mesh, check_name, check_tags,
)
from ansible_collections.kuma.universal.plugins.module_utils._schema import (
    check_address, check_port, emit, parse, unknown_field,
)

SCHEMA = {"port": "port", "interval": "duration", "threshold": "threshold", "path": "path", "labels": "strmap",
          "names": "strset", "mode": ("choice", ("IPv4", "IPv6")), "items": ("list", {"inbound_port": "port"}),
          "raw": "raw", "tags": "tags"}


def parsed(value):
    errors = []
    return parse(value, SCHEMA, "x", errors), errors


def test_parse_accepts_both_spellings_and_emits_camel_case():
    out, errors = parsed({"port": "80", "interval": "10s", "threshold": 2, "path": "/h", "labels": {"a": True},
                          "names": ["b", "a", "b"], "mode": "ipv6", "items": [{"inboundPort": 9000}], "raw": {"k": 1},
                          "tags": {"kuma.io/service": "web"}})
    assert errors == []
    assert out == {"port": 80, "interval": "10s", "threshold": 2, "path": "/h", "labels": {"a": "true"},
                   "names": ["a", "b"], "mode": "IPv6", "items": [{"inbound_port": 9000}], "raw": {"k": 1},
                   "tags": {"kuma.io/service": "web"}}
    assert emit(out, SCHEMA)["items"] == [{"inboundPort": 9000}]


@pytest.mark.parametrize("value, message", [
    ({"port": True}, "x.port: must be a port in the range [1, 65535], got True"),
    ({"port": "http"}, "x.port: must be a port in the range [1, 65535], got 'http'"),
    ({"interval": "soon"}, "x.interval: must be a positive Go duration such as '10s' or '1m', got 'soon'"),
    ({"threshold": 0}, "x.threshold: must have a positive value, got 0"),
    ({"threshold": "many"}, "x.threshold: must have a positive value, got 'many'"),
    ({"path": "h"}, "x.path: should be a valid URL path starting with '/', got 'h'"),
    ({"labels": ["a"]}, "x.labels: must be a dictionary, got ['a']"),
    ({"names": "a"}, "x.names: must be a list of strings, got 'a'"),
    ({"mode": "v4"}, "x.mode: invalid value 'v4'; allowed: IPv4, IPv6"),
    ({"items": {"a": 1}}, "x.items: must be a list, got {'a': 1}"),
    ({"port": 80, "Port": 81}, "x.Port: unknown field (did you mean 'port'?); allowed: interval, items, labels, "
                               "mode, names, path, port, raw, tags, threshold"),
    ({"inbound_port": 1, "items": [{"inbound_port": 1, "inboundPort": 2}]},
     "x.inbound_port: unknown field; allowed: interval, items, labels, mode, names, path, port, raw, tags, threshold"),
])
def test_parse_errors_name_the_field(value, message):
    _out, errors = parsed(value)
    assert errors[0] == message


def test_given_twice_and_not_a_dict():
    errors = []
    parse({"items": [{"inbound_port": 1, "inboundPort": 2}]}, SCHEMA, "x", errors)
    assert errors == ["x.items[0].inbound_port: given twice (as inbound_port and inboundPort)"]
    assert parse("text", SCHEMA, "x", errors) == {} and errors[-1] == "x: must be a dictionary, got 'text'"
    assert unknown_field("", "prot", ["port"]) == "prot: unknown field (did you mean 'port'?); allowed: port"


def test_scalars():
    errors = []
    assert check_port(None, "p", errors) is None and errors == ["p: required (a port in the range [1, 65535])"]
    assert check_address("", "a", errors) == "" and errors[-1] == "a: address can't be empty"
    assert check_address("cp.example", "a", errors) == "cp.example" and len(errors) == 2
    check_address("bad name!", "a", errors)
    assert errors[-1] == "a: 'bad name!' is not a valid IP address or domain name"


def test_naming_rules():
    errors = []
    check_name("", errors)
    check_name("x" * 254, errors)
    check_mesh("", errors)
    check_mesh("Bad/Mesh", errors, "meshes[1]")
    assert errors[0] == "name: cannot be empty" and errors[1].startswith("name: 'xxx")
    assert errors[2:] == ["mesh: cannot be empty", "meshes[1]: 'Bad/Mesh' may only hold lowercase letters, digits, "
                                                   "'-', '_' and '.'"]
    errors = []
    assert check_tags("web", "tags", errors) == {} and errors == [
        "tags: must be a dictionary of tag name to value, got 'web'"]
    assert check_tags({"": "x", "a": None, "b": False}, "tags", errors) == {"a": "", "b": "false"}
    assert errors[1:] == ["tags: tag name must be non-empty", "tags['a']: tag value must be non-empty"]
    errors = []
    assert check_labels(None, errors) is None and check_labels(["a"], errors) == {}
    assert check_labels({"kuma.io/zone": "z", "team": 1}, errors) == {"kuma.io/zone": "z", "team": "1"}
    assert errors == ["labels: must be a dictionary",
                      "labels: kuma.io/zone: the kuma.io/ prefix belongs to the control plane"]
