"""Every action id Forumdeck writes to the audit log has a human label."""

from __future__ import annotations

import re
from pathlib import Path

from forums.audit.labels import action_label

ROOT = Path(__file__).resolve().parents[2]


def written_action_ids() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "forums").rglob("*.py"):
        text = path.read_text()
        found |= set(re.findall(r'action="([a-z_]+\.?[a-z_]*)"', text))
        found |= set(re.findall(r'^\s+\w+\.\w+: "(account\.[a-z_]+)",$', text, flags=re.M))
    return found


def test_every_action_id_written_in_the_code_reads_in_plain_words():
    ids = written_action_ids()
    assert {"connection.create", "account.roles", "backup.start", "group.create"} <= ids
    unlabelled = sorted(a for a in ids if action_label(a) == a)
    assert unlabelled == []


def test_single_and_bulk_actions_take_their_kind_and_the_forums_words():
    assert action_label("user.ban") == "Ban (one person)"
    assert action_label("user.suspend") == "Suspend (one person)"
    assert action_label("bulk.group_add").startswith("Bulk: ")
    assert action_label("tag.rename") == "Tag renamed"
    assert action_label("something.new") == "something.new"  # shown as it is, never hidden
