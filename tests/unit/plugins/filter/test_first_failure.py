# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""kuma.universal.first_failure: the first failing check's message, the later checks never looked at."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kuma.universal.plugins.filter.first_failure import FilterModule, first_failure


class Unread(dict):
    """A check that must not be worked out: reading it fails the test."""

    def __getitem__(self, key):
        raise AssertionError("a check after the first failing one was read")


def test_the_first_failing_message_trimmed_and_nothing_after_it():
    checks = [{"ok": True, "msg": "a"}, {"ok": False, "msg": " b: the first \n"}, {"ok": False, "msg": "c"},
              Unread(ok=False, msg="d")]
    assert first_failure(checks) == "b: the first"
    assert first_failure([{"ok": True, "msg": "a"}]) == "" == first_failure([])


@pytest.mark.parametrize("bad", ["x", {"ok": True}, [{"ok": True}], [{"ok": "False", "msg": "m"}], [1], None])
def test_what_is_not_a_list_of_checks_is_refused(bad):
    with pytest.raises(AnsibleFilterError, match="first_failure"):
        first_failure(bad)


def test_registered():
    assert FilterModule().filters() == {"first_failure": first_failure}
