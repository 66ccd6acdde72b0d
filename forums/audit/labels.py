"""Human labels for audit action ids: the one registry every page and export reads.

Fixed ids are listed here; ``user.<key>`` takes the single action's label (in the words of
the forums that offer it: "Suspend", "Ban") and ``bulk.<kind>`` the bulk kind's. An id nobody
registered yet is shown as it is, never hidden.
"""

from __future__ import annotations

from functools import cache

from forums.bulk.kinds import KINDS
from forums.clients import client_class, supported_platforms
from forums.people.actions import actions_for

LABELS: dict[str, str] = {
    "connection.create": "Forum added",
    "connection.update": "Forum changed",
    "connection.delete": "Forum deleted",
    "connection.test": "Forum tested",
    "bulk.propose": "Bulk action proposed",
    "bulk.approve": "Bulk action approved",
    "bulk.reject": "Bulk action rejected",
    "bulk.cancel": "Bulk action cancelled",
    "bulk.refused": "Bulk action refused to run",
    "bulk.stopped": "Bulk action stopped after failing",
    "encryption.rotate": "API keys re-encrypted",
    "account.create": "Account created",
    "account.roles": "Roles changed",
    "account.password": "Password set",
    "account.active": "Sign-in allowed or stopped",
    "account.superuser": "Superuser status changed",
    "account.permissions": "Permissions changed",
    "account.confirm": "Account change confirmed",
    "account.request": "Account change asked for",
    "account.decline": "Account change declined",
    "account.unlock": "Sign-in lockout lifted",
    "group.create": "Group created",
    "group.update": "Group changed",
    "group.delete": "Group deleted",
    "tag.create": "Tag created",
    "tag.rename": "Tag renamed",
    "tag.merge": "Tag merged",
    "tag.delete": "Tag deleted",
    "tag.delete_unused": "Unused tags deleted",
    "tag_group.save": "Tag group saved",
    "tag_group.delete": "Tag group deleted",
    "backup_start": "Backup started",
    "backup_finish": "Backup finished",
    "backup_cancel": "Backup cancelled",
    "backup_download_link": "Backup download link e-mailed",
    "backup_schedule": "Backup schedule changed",
    "calendar_feed_create": "Calendar feed made",
    "calendar_feed_rotate": "Calendar feed address changed",
    "calendar_feed_revoke": "Calendar feed revoked",
}


@cache
def _single_actions() -> dict[str, str]:
    """user.<key> -> "Suspend", "Ban", "Delete account (keep posts)", ... on any platform."""
    labels: dict[str, str] = {}
    for platform in supported_platforms():
        for action in actions_for(client_class(platform)):
            labels.setdefault(action.key, action.label)
    return labels


def action_label(action: str, platform: str = "") -> str:
    """ "user.suspend" -> "Suspend (one person)"; "bulk.group_add" -> "Bulk: Add members to
    a group"; "bulk.unsuspend" on a forum whose software bans -> "Bulk: Unban"; an unknown
    id -> itself."""
    if action in LABELS:
        return LABELS[action]
    area, _, key = action.partition(".")
    if area == "user" and key in _single_actions():
        return f"{_single_actions()[key]} (one person)"
    if area == "bulk" and key in KINDS:
        kind = KINDS[key]
        return f"Bulk: {kind.label_on(platform)}"
    return action


def action_choices(actions: list[str]) -> list[tuple[str, str]]:
    """(id, label) for a filter, sorted by label."""
    return sorted(((a, action_label(a)) for a in actions), key=lambda pair: pair[1].lower())


def known_actions() -> list[str]:
    """Every action id Forumdeck writes (tests/audit/test_labels.py keeps the registry
    whole): the audit filter's choices, without reading the log for them."""
    return [
        *LABELS,
        *(f"user.{key}" for key in _single_actions()),
        *(f"bulk.{key}" for key in KINDS),
    ]
