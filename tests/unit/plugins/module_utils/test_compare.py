# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Canonical comparison: Go durations, zero values, CP labels, nested diffs."""

from __future__ import annotations

import pytest

from ansible_collections.kuma.universal.plugins.module_utils._compare import (
    contains, dig, dropped, field_diff, flatten, nest, parse_go_duration, same, strip_cp_meta,
)


@pytest.mark.parametrize("text, nanos", [
    ("90s", 90 * 10 ** 9), ("1m30s", 90 * 10 ** 9), ("1h0m0s", 3600 * 10 ** 9), ("500ms", 5 * 10 ** 8),
    ("1.5h", 5400 * 10 ** 9), ("0", 0), ("-1s", -(10 ** 9)), ("2us", 2000), ("720h", 720 * 3600 * 10 ** 9),
])
def test_go_durations(text, nanos):
    assert parse_go_duration(text) == nanos


@pytest.mark.parametrize("text", ["", "1", "s", "1d", "ten seconds", "1m30", None, "redis"])
def test_not_durations(text):
    assert parse_go_duration(text) is None


def test_cp_rewritten_durations_and_zero_values_are_the_same():
    assert same({"idleTimeout": "90s", "http": {"requestTimeout": "1m"}},
                {"idleTimeout": "1m30s", "http": {"requestTimeout": "1m0s"}})
    assert same({"zoneEgress": False, "localityAwareLoadBalancing": False}, {})
    assert same(None, {})
    assert not same({"a": "1m"}, {"a": "2m"})
    assert not same({"passthrough": True}, {})


def test_strip_cp_meta():
    entity = {"type": "Mesh", "name": "m", "creationTime": "t", "modificationTime": "t", "kri": "k",
              "labels": {"kuma.io/origin": "zone", "team": "a"}, "mtls": {}}
    assert strip_cp_meta(entity) == {"type": "Mesh", "name": "m", "labels": {"team": "a"}, "mtls": {}}


def test_field_diff_nests_changed_fields():
    changed, before, after = field_diff({("a", "b"): 1, ("a", "c"): 2, ("d",): 3}, {("a", "b"): 1, ("a", "c"): 5})
    assert changed == [("a", "c"), ("d",)]
    assert before == {"a": {"c": 5}}
    assert after == {"a": {"c": 2}, "d": 3}


def test_flatten_walks_dicts_only_and_keeps_dotted_keys():
    value = {"labels": {"a.b/c": "1"}, "spec": {"selector": {"kuma.io/service": "x"}, "to": [{"a": 1}], "e": {}}}
    flat = flatten(value, atomic=("labels",))
    assert flat == {("labels",): {"a.b/c": "1"}, ("spec", "selector", "kuma.io/service"): "x",
                    ("spec", "to"): [{"a": 1}], ("spec", "e"): {}}
    assert nest(flat) == value
    assert dig(value, ("spec", "selector", "kuma.io/service")) == "x"
    assert dig(value, ("spec", "to", "a")) is None and dig(value, ("nothing", "here")) is None


def test_significant_false_for_wrapper_fields():
    # Mesh networking.outbound.passthrough is a BoolValue: false is not "unset" (default true)
    assert not same({"outbound": {"passthrough": False}}, None, significant_false=("passthrough",))
    assert same({"outbound": {"passthrough": False}}, {"outbound": {"passthrough": False}},
                significant_false=("passthrough",))
    assert same({"zoneEgress": False}, {}, significant_false=("passthrough",))


def test_contains_ignores_cp_defaults_but_not_changes_or_nulls():
    want = {"backends": [{"name": "prom-1", "conf": {"port": 5670, "skipMTLS": False}}]}
    cp_conf = {"port": 5670, "tags": {"kuma.io/service": "dataplane-metrics"}, "tls": {}}
    have = {"backends": [{"name": "prom-1", "conf": cp_conf}]}
    assert contains(want, have)
    assert not contains({"backends": [{"name": "prom-1", "conf": {"port": 5671}}]}, have)
    assert not contains({"backends": [{"name": "prom-1", "conf": {"tags": None}}]}, have)
    assert contains({"backends": [{"name": "prom-1", "conf": {"path": None}}]}, have)
    assert not contains({"backends": []}, have)
    assert not contains({"outbound": {"passthrough": False}}, {}, significant_false=("passthrough",))


def test_dropped_names_what_the_cp_did_not_keep():
    default = {"idleTimeout": "90s", "connTimeot": "5s", "off": False, "empty": {}}
    sent = {"spec": {"targetRef": {"kind": "Mesh"}, "to": [{"default": default}], "selector": {"kuma.io/service": "x"}}}
    kept = {"spec": {"targetRef": {"kind": "Mesh", "extra": 1}, "to": [{"default": {"idleTimeout": "1m30s"}}]}}
    assert dropped(sent, kept) == ['spec.to[0].default.connTimeot', 'spec.selector']
    assert dropped({"a": {"kuma.io/service": "x"}}, {"a": {"b": 1}}) == ['a["kuma.io/service"]']
    assert dropped({"a": [1, 2]}, {"a": [1]}) == [] and dropped(sent, sent) == []
