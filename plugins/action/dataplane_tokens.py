# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.dataplane_tokens: the module, except when given what kuma.universal.dataplanes read for the tokens
in hand (option token_reads): every item is then decided here, in the controller, with the module's own code
(module_utils/_token.py) against those reads, and when every token in hand is still good that is the answer - no
module run on the control plane. Anything else (a token to issue, a read not recorded, an item refused) runs the
module as without token_reads; RV(decided_on) says which."""

from __future__ import annotations

from types import SimpleNamespace

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.kuma.universal.plugins.module_utils._connection import connection_argument_spec
from ansible_collections.kuma.universal.plugins.module_utils._errors import KumaInputError
from ansible_collections.kuma.universal.plugins.module_utils._token import (
    TOKENS_ARGUMENT_SPEC, RecordedReads, RecordIncomplete, ensure_tokens,
)
from ansible_collections.kuma.universal.plugins.plugin_utils._module_action import ModuleAction

MODULE = "kuma.universal.dataplane_tokens"


def decide_on_controller(args):
    """The module's result for args when token_reads shows every token in hand still good; RecordIncomplete when
    it does not (one to issue, or anything the record cannot answer for certain)."""
    # Every option, as the module validates them (its connection options too, though nothing is called here).
    validated = ArgumentSpecValidator(dict(connection_argument_spec(), **TOKENS_ARGUMENT_SPEC)).validate(args)
    if validated.error_messages:
        raise RecordIncomplete("invalid options")  # the module says so, in its own words
    params = validated.validated_parameters
    if any(not (item.get("current_token") or "").strip() for item in params["tokens"]):
        raise RecordIncomplete("a token to issue (none in hand)")
    kmod = SimpleNamespace(params=params, client=RecordedReads(params["token_reads"]), check_mode=True)
    try:
        result = ensure_tokens(kmod)
    except KumaInputError:  # a refusal (a revoked token...): the module words it, reading the control plane
        raise RecordIncomplete("the checks refuse an item") from None
    if result["changed"]:
        raise RecordIncomplete("a token to issue (%s)" % ", ".join(
            "%s/%s: %s" % (t["mesh"], t["name"], t["reason"]) for t in result["tokens"] if t["changed"]))
    # No token is in a result without one issued; masked anyway, as AnsibleModule.exit_json masks no_log values.
    return remove_values(result, {item["current_token"] for item in params["tokens"]})


class ActionModule(ModuleAction):
    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        # Reads this code cannot use (a bug, or another version of the collection): the module decides.
        if args.get("token_reads") and self.answer_here(
                result, ("decided_on", "controller"), lambda: decide_on_controller(args), RecordIncomplete, task_vars,
                "dataplane_tokens: decided on the control plane: %s",
                "dataplane_tokens: the recorded reads could not be used (%s), the control plane decides"):
            return result
        args.pop("token_reads", None)
        result.update(self.run_module(MODULE, args, task_vars))
        result["decided_on"] = "control_plane"
        return result
