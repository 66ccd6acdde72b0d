"""The connections area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import ADMIN, MODERATOR, VIEWER

AREA = register(
    Area(
        name="connections",
        nav=NavEntry("Forums", "forums:connection-list", "forums.view_forumconnection", order=10),
        labels={
            "connection.create": "Forum added",
            "connection.update": "Forum changed",
            "connection.delete": "Forum deleted",
            "connection.test": "Forum tested",
            "encryption.rotate": "API keys re-encrypted",
        },
        permissions={
            "forums.view_forumconnection": VIEWER,
            "forums.test_forumconnection": MODERATOR,
            "forums.add_forumconnection": ADMIN,
            "forums.change_forumconnection": ADMIN,
            "forums.delete_forumconnection": ADMIN,
        },
    )
)
