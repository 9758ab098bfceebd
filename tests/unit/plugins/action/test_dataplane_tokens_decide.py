# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplane_tokens' decision on the controller (its action plugin), against what
kuma.universal.dataplanes read of the signing keys (token_reads): the module's own result when every token in hand is
good, the module's run for anything else. (Controller code: apart from the module's tests, which ansible-test runs
without the controller.)"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.kuma.universal.plugins.action.dataplane_tokens import decide_on_controller
from ansible_collections.kuma.universal.plugins.module_utils._token import (
    RecordIncomplete, ensure_tokens, record_token_reads,
)

test_token = pytest.importorskip("ansible_collections.kuma.universal.tests.unit.plugins.module_utils.test_token")
KEY, OTHER_KEY, make_token = test_token.KEY, test_token.OTHER_KEY, test_token.make_token


class Api(test_token.Secrets):
    """The control plane's API as the module reads it (signing key of mesh default, kid 1; revocations)."""

    def version(self):
        return "2.14.3"


def items(*tokens):
    return [{"name": "redis-1", "tags": {"kuma.io/service": ["redis"]}, "current_token": tokens[0]}] + [
        {"name": "redis-%d" % n, "tags": {"kuma.io/service": ["redis"]}, "current_token": t}
        for n, t in enumerate(tokens[1:], 2)]


def module_result(api, tokens):
    """What the module answers reading the API (check mode: nothing issued)."""
    params = {"tokens": [dict(i, mesh="default") for i in tokens], "valid_for": None, "renew_before": "24h",
              "reissue_revoked": False}
    return ensure_tokens(SimpleNamespace(params=params, client=api, check_mode=True))


def test_good_tokens_are_decided_on_the_controller_as_the_module_decides_them():
    api = Api()
    token_one, token_two = make_token(), make_token(Name="redis-2", jti="id-2")
    record = record_token_reads(api, [("default", "1")])
    result = decide_on_controller({"tokens": items(token_one, token_two), "token_reads": record,
                                   "api_url": "http://127.0.0.1:5681"})
    assert result == module_result(api, items(token_one, token_two))
    assert result["changed"] is False and [t["reason"] for t in result["tokens"]] == ["valid", "valid"]
    assert token_one not in str(result) and token_two not in str(result)


@pytest.mark.parametrize("api, tokens, why", [
    (Api(key=OTHER_KEY), items(make_token()), "a token to issue (default/redis-1: key_rotated)"),
    (Api(), items(make_token(exp=1)), "a token to issue (default/redis-1: expiring)"),
    (Api(), items(make_token(Name="redis-9")), "a token to issue (default/redis-1: claims_mismatch)"),
    (Api(), items(make_token(), None), "a token to issue (none in hand)"),
    (Api(revoked=["id-1"]), items(make_token()), "the checks refuse an item"),
    (Api(), items(make_token(kid="7")), "/meshes/default/secrets/dataplane-token-signing-key-default-7 was not read"),
])
def test_anything_but_good_tokens_is_left_to_the_module(api, tokens, why):
    record = record_token_reads(api, [("default", "1")])
    with pytest.raises(RecordIncomplete, match="^%s$" % why.replace("(", r"\(").replace(")", r"\)")):
        decide_on_controller({"tokens": tokens, "token_reads": record})


def test_options_the_module_would_refuse_are_left_to_it():
    record = record_token_reads(Api(), [("default", "1")])
    for bad in ({"tokens": "x"}, {"tokens": items(make_token()), "renew_before": ["x"]},
                {"tokens": items(make_token()), "token_reads": "x"},
                # A misspelled option, and connection options the module would refuse.
                {"tokens": items(make_token()), "renew_befor": "9999h"},
                {"tokens": items(make_token()), "validate_certs": "notabool"}, {"tokens": items(make_token()), "timeout": "x"}):
        with pytest.raises(RecordIncomplete):
            decide_on_controller(dict({"token_reads": record}, **bad))


def test_the_action_runs_the_module_only_when_the_controller_cannot_decide(action_run, monkeypatch):
    from ansible_collections.kuma.universal.plugins.action import dataplane_tokens as action

    run, sent, warned = action_run(action, {"changed": True, "tokens": []})
    good = record_token_reads(Api(), [("default", "1")])
    rotated = record_token_reads(Api(key=OTHER_KEY), [("default", "1")])
    for reads, decided_on in ((good, "controller"), (rotated, "control_plane"), (None, "control_plane")):
        task_args = {"tokens": items(make_token())}
        if reads is not None:
            task_args["token_reads"] = reads
        assert run(task_args)["decided_on"] == decided_on
    assert warned == []
    # A failure of this code (a bug): the module decides, and the warning names the error's type only.
    monkeypatch.setattr(action, "ensure_tokens", lambda kmod: 1 / 0)
    assert run({"tokens": items(make_token()), "token_reads": good})["decided_on"] == "control_plane"
    # An async task: Ansible waits for the module's job, so the module runs.
    assert run({"tokens": items(make_token()), "token_reads": good}, async_val=30)["decided_on"] == "control_plane"
    assert len(sent) == 4 and not any("token_reads" in a for a in sent)
    assert warned == ["dataplane_tokens: the recorded reads could not be used (ZeroDivisionError), the control plane decides"]
