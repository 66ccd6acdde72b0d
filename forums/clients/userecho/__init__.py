"""The UserEcho client, one module per resource on one transport (``base.py``)."""

from __future__ import annotations

from .base import PAGE_SIZE, UserEchoBase, UserEchoForum
from .groups import UserEchoGroups
from .health import UserEchoHealth
from .review import UserEchoReview
from .tags import UserEchoTags
from .topics import UserEchoTopics
from .users import UserEchoUsers


class UserEchoClient(
    UserEchoUsers, UserEchoGroups, UserEchoTags, UserEchoTopics, UserEchoReview, UserEchoHealth
):
    """UserEcho: every area its API offers (see ``UserEchoBase.capabilities``)."""


__all__ = ["PAGE_SIZE", "UserEchoBase", "UserEchoClient", "UserEchoForum"]
