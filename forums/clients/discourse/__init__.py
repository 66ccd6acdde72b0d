"""The Discourse client, one module per resource on one transport (``base.py``)."""

from __future__ import annotations

from .backups import DiscourseBackups
from .base import (
    REASON_MAX_LENGTH,
    DiscourseBase,
    DiscourseGroupUpdateNeedsChoice,
    DiscourseOperationRunning,
)
from .calendar import EVENTS_MAX_LIMIT, DiscourseCalendar
from .groups import GROUP_MEMBERS_BATCH, GROUP_MEMBERS_MAX_LIMIT, GROUPS_PER_PAGE, DiscourseGroups
from .health import DiscourseHealth
from .review import REVIEW_PER_PAGE, DiscourseReview
from .tags import DiscourseTags
from .users import BULK_DELETE_BATCH, FOREVER, USERS_PER_PAGE, DiscourseUsers
from .webhooks import DiscourseWebhooks


class DiscourseClient(
    DiscourseUsers,
    DiscourseGroups,
    DiscourseTags,
    DiscourseBackups,
    DiscourseCalendar,
    DiscourseHealth,
    DiscourseReview,
    DiscourseWebhooks,
):
    """Discourse: every area its API offers (see ``DiscourseBase.capabilities``)."""


__all__ = [
    "BULK_DELETE_BATCH",
    "EVENTS_MAX_LIMIT",
    "FOREVER",
    "GROUPS_PER_PAGE",
    "GROUP_MEMBERS_BATCH",
    "GROUP_MEMBERS_MAX_LIMIT",
    "REASON_MAX_LENGTH",
    "REVIEW_PER_PAGE",
    "USERS_PER_PAGE",
    "DiscourseBase",
    "DiscourseClient",
    "DiscourseGroupUpdateNeedsChoice",
    "DiscourseOperationRunning",
]
