"""The index area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import ADMIN

AREA = register(
    Area(
        name="index",
        nav=NavEntry("Index", "forums:index-list", "forums.view_forumconnection", order=45),
        # A read or a webhook delivery changes only Forumdeck's own picture of a forum, never
        # the forum, and writes no audit entry. Setting the forum's webhook up (one click) is a
        # change to the forum, and is audited.
        labels={"webhook.connect": "Forum's webhook set up"},
        permissions={
            "forums.sync_forum_index": ADMIN,
        },
    )
)
