"""The groups area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import MODERATOR

AREA = register(
    Area(
        name="groups",
        nav=NavEntry("Groups", "forums:group-list", "forums.view_forumconnection", order=30),
        labels={
            "group.create": "Group created",
            "group.update": "Group changed",
            "group.delete": "Group deleted",
        },
        permissions={
            "forums.change_forum_groups": MODERATOR,
        },
    )
)
