"""The bulk area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import APPROVER, MODERATOR, VIEWER


def _kind_labels(platform: str = "") -> dict[str, str]:
    """bulk.<kind> -> "Bulk: Add members to a group", for every registered kind, in the
    words of ``platform``'s software when given ("Bulk: Unban" on a forum that bans)."""
    from .kinds import KINDS

    return {f"bulk.{key}": f"Bulk: {kind.label_on(platform)}" for key, kind in KINDS.items()}


def _kinds_by_area() -> dict[str, str]:
    """Each kind's key -> the area whose cached lists its runs make stale (``Kind.area``)."""
    from .kinds import KINDS

    return {key: kind.area for key, kind in KINDS.items() if kind.area}


def _waiting(user) -> int:
    """The menu's badge: bulk actions waiting for this person's approval."""
    from .selectors import bulk_waiting_for

    return bulk_waiting_for(user)


def _title(action) -> str:
    """``{{ action|bulk_title }}``: a bulk action's title worded now, in the viewer's zone."""
    from .selectors import bulk_action_title

    return bulk_action_title(action)


AREA = register(
    Area(
        name="bulk",
        nav=NavEntry(
            "Bulk actions",
            "forums:bulk-list",
            "forums.view_bulkaction",
            order=50,
            badge=_waiting,
            badge_title="waiting for your approval",
        ),
        labels={
            "bulk.propose": "Bulk action proposed",
            "bulk.approve": "Bulk action approved",
            "bulk.reject": "Bulk action rejected",
            "bulk.cancel": "Bulk action cancelled",
            "bulk.refused": "Bulk action refused to run",
            "bulk.stopped": "Bulk action stopped after failing",
        },
        label_source=_kind_labels,
        permissions={
            "forums.view_bulkaction": VIEWER,
            "forums.propose_bulkaction": MODERATOR,
            "forums.approve_bulkaction": APPROVER,
        },
        filters={"bulk_title": _title},
        bulk_kinds=_kinds_by_area,
    )
)
