"""The index area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import ADMIN

AREA = register(
    Area(
        name="index",
        nav=NavEntry("Index", "forums:index-list", "forums.view_forumconnection", order=45),
        # The index writes no audit entries: a read or a webhook changes only Forumdeck's own
        # picture of a forum, never the forum.
        permissions={
            "forums.sync_forum_index": ADMIN,
        },
    )
)
