"""The review area as the shared parts see it (see ``forums.core.areas``): one queue of every
item waiting on every forum (flags, queued posts, accounts to approve), decided in place."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import MODERATOR


def _waiting(user) -> int:
    """The menu's badge: items in the queues as Forumdeck last read them (asks no forum)."""
    from .selectors import review_count_cached

    return review_count_cached() if user.has_perm("forums.view_forumconnection") else 0


AREA = register(
    Area(
        name="review",
        nav=NavEntry(
            "Review",
            "forums:review-list",
            "forums.view_forumconnection",
            order=25,
            badge=_waiting,
            badge_title="waiting in review queues",
        ),
        labels={"review.decide": "Review item decided"},
        permissions={"forums.decide_review_items": MODERATOR},
    )
)
