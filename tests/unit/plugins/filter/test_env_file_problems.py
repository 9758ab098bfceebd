# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""env_file_problems: the rule systemd's EnvironmentFile needs, naming the entry, never the value."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.env_file_problems import FilterModule, env_file_problems


def test_plain_values_of_any_type_pass():
    assert env_file_problems({"KUMA_A": "https://cp:5678", "KUMA_B": 5, "KUMA_C": True, "K_D": "a b/c=d", "E": None},
                             "env") == []
    assert env_file_problems(None, "env") == []


@pytest.mark.parametrize("value", ["a\nKUMA_X=1", "a\rb", "it's", 'say "x', "trail\\", "nul\x00", "del\x7f"])
def test_syntax_in_a_value_is_named_without_the_value(value):
    problems = env_file_problems({"KUMA_SECRET": value}, "control_plane_env")
    assert problems == ["control_plane_env.KUMA_SECRET: values are one line without quotes, backslashes or control"
                        " characters"]
    assert value not in problems[0]


def test_names_are_letters_digits_and_underscore():
    assert env_file_problems({"KUMA X": "1", "1ST": "1", "A-B": "1", "_OK": "1"}, "e") == [
        "e.KUMA X: names are letters, digits and _", "e.1ST: names are letters, digits and _",
        "e.A-B: names are letters, digits and _"]


def test_input_is_checked_and_registered():
    with pytest.raises(AnsibleFilterError, match="control_plane_env must be a mapping"):
        env_file_problems(["x"], "control_plane_env")
    assert FilterModule().filters() == {"env_file_problems": env_file_problems}
