"""The tags area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import MODERATOR

AREA = register(
    Area(
        name="tags",
        nav=NavEntry("Tags", "forums:tag-list", "forums.view_forumconnection", order=40),
        labels={
            "tag.create": "Tag created",
            "tag.rename": "Tag renamed",
            "tag.merge": "Tag merged",
            "tag.delete": "Tag deleted",
            "tag.delete_unused": "Unused tags deleted",
            "tag_group.save": "Tag group saved",
            "tag_group.delete": "Tag group deleted",
        },
        permissions={
            "forums.change_forum_tags": MODERATOR,
        },
    )
)
