# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplane_tokens: one run decides every token like dataplane_token does."""

from __future__ import annotations

from ansible_collections.kuma.universal.tests.unit.fakecp import response, run_module as run

from ansible_collections.kuma.universal.plugins.modules import dataplane_tokens


def test_only_new_tokens_come_back_and_good_ones_stay(cp, capsys, monkeypatch):
    from ansible_collections.kuma.universal.plugins.module_utils import _token
    monkeypatch.setattr(_token, "assess_token", lambda _c, token, *a, **k: (
        ("valid", {"exp": 2000000000}) if token == "good.token.value" else ("expiring", {"exp": 1})))
    cp.scripted.append(response(200, {"version": "2.14.3"}))  # asked once: the tags are Kuma 2 tags
    cp.scripted.append(response(200, text="new.token.one"))
    cp.scripted.append(response(200, text="new.token.two"))
    result = run(dataplane_tokens, {"valid_for": "720h", "tokens": [
        {"name": "redis-0", "tags": {"kuma.io/service": "redis"}, "current_token": "good.token.value"},
        {"name": "redis-1", "tags": {"kuma.io/service": "redis"}, "current_token": "old.token.value"},
        {"name": "redis-2", "tags": {"kuma.io/service": ["redis"]}},
    ]}, capsys)
    assert result["changed"] is True
    assert [(t["name"], t["changed"], t["reason"], t.get("token")) for t in result["tokens"]] == [
        ("redis-0", False, "valid", None), ("redis-1", True, "expiring", "new.token.one"),
        ("redis-2", True, "missing", "new.token.two")]
    posts = [r for r in cp.requests if r[0] == "POST"]
    assert [p[2]["name"] for p in posts] == ["redis-1", "redis-2"]
    assert posts[0][2] == {"name": "redis-1", "mesh": "default", "tags": {"kuma.io/service": ["redis"]},
                           "type": "dataplane", "validFor": "720h"}
    # The tokens in hand never appear in the result.
    assert "good.token.value" not in str(result) and "old.token.value" not in str(result)


def test_all_good_is_no_change(cp, capsys, monkeypatch):
    from ansible_collections.kuma.universal.plugins.module_utils import _token
    monkeypatch.setattr(_token, "assess_token", lambda *a, **k: ("valid", {"exp": 2000000000}))
    result = run(dataplane_tokens, {"tokens": [{"name": "a", "current_token": "x.y.z"},
                                               {"name": "b", "current_token": "x.y.w"}]}, capsys)
    assert result["changed"] is False
    assert [t["expires_at"] for t in result["tokens"]] == ["2033-05-18T03:33:20Z"] * 2
    assert cp.writes() == []


def test_check_mode_issues_nothing(cp, capsys):
    result = run(dataplane_tokens, {"tokens": [{"name": "a"}]}, capsys, check_mode=True)
    assert result["changed"] is True and result["tokens"][0]["token"] == "" and result["tokens"][0]["reason"] == "missing"
    assert cp.writes() == []


def test_every_bad_item_is_named_before_any_request(cp, capsys):
    result = run(dataplane_tokens, {"renew_before": "soon", "tokens": [
        {"name": "a", "tags": {"kuma.io/service": "bad value"}}, {"name": "Bad_Name"}, {"name": "a"}]}, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("Invalid input: tokens[2]: default/a is already given as tokens[0]")
    result = run(dataplane_tokens, {"renew_before": "soon", "tokens": [
        {"name": "a", "tags": {"kuma.io/service": "bad value"}}, {"name": "Bad_Name"}]}, capsys)
    assert "tokens[0].tags['kuma.io/service']" in result["msg"]
    assert "tokens[1].name: 'Bad_Name'" in result["msg"]
    assert "tokens[0].renew_before: 'soon'" in result["msg"]
    assert cp.requests == []


def test_kuma3_binds_the_service_label(cp, capsys):
    """Kuma 3 checks a token's tags against the Dataplane's labels: the service tag is bound as
    the label the dataplane modules write (kuma.universal/service)."""
    cp.version = "3.0.0-dev.348b6528"
    cp.scripted.append(response(200, {"version": cp.version}))
    cp.scripted.append(response(200, text="new.token.one"))
    tags = {"kuma.io/service": "redis", "version": "7.0"}
    result = run(dataplane_tokens, {"tokens": [{"name": "redis-0", "tags": tags}]}, capsys)
    assert result["changed"] is True
    post = [r for r in cp.requests if r[0] == "POST"][0]
    assert post[2]["tags"] == {"kuma.universal/service": ["redis"], "version": ["7.0"]}


def test_a_revoked_item_fails_the_task_before_any_token_is_issued(cp, capsys, monkeypatch):
    from ansible_collections.kuma.universal.plugins.module_utils import _token
    monkeypatch.setattr(_token, "assess_token", lambda _c, token, *a, **k: (
        ("revoked", {"exp": 2000000000}) if token == "revoked.token.value" else ("expiring", {"exp": 1})))
    tokens = [{"name": "redis-0", "current_token": "old.token.value"},
              {"name": "redis-1", "current_token": "revoked.token.value"}]
    result = run(dataplane_tokens, {"tokens": tokens}, capsys)
    assert result["failed"] is True
    assert "tokens[1].current_token: the token in hand for default/redis-1 was revoked" in result["msg"]
    assert "revoked.token.value" not in result["msg"]
    assert cp.writes() == []  # not even redis-0's expiring token was replaced
    cp.scripted.append(response(200, text="new.token.zero"))
    cp.scripted.append(response(200, text="new.token.one"))
    allowed = run(dataplane_tokens, {"tokens": tokens, "reissue_revoked": True}, capsys)
    assert [(t["name"], t["reason"], t["token"]) for t in allowed["tokens"]] == [
        ("redis-0", "expiring", "new.token.zero"), ("redis-1", "revoked", "new.token.one")]
