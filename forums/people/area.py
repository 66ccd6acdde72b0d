"""The people area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from functools import cache

from forums.core.areas import Area, NavEntry, register
from forums.roles import MODERATOR


@cache
def _single_actions(platform: str = "") -> dict[str, str]:
    """user.<key> -> "Suspend (one person)", "Ban (one person)", ...: the same words whatever
    the ``platform`` (each single action is its own id)."""
    from forums.clients import client_class, supported_platforms

    from .actions import actions_for

    labels: dict[str, str] = {}
    for platform in supported_platforms():
        for action in actions_for(client_class(platform)):
            labels.setdefault(f"user.{action.key}", f"{action.label} (one person)")
    return labels


def _forum_line(outcome):
    from .lines import people_forum_line

    return people_forum_line(outcome)


def _forum_lines(outcomes):
    from .lines import people_forum_lines

    return people_forum_lines(outcomes)


def _rows(people, mode=""):
    from .lines import people_rows

    return people_rows(people, mode)


AREA = register(
    Area(
        name="people",
        nav=NavEntry("People", "forums:people-search", "forums.view_forumconnection", order=20),
        label_source=_single_actions,
        filters={
            "people_forum_line": _forum_line,
            "people_forum_lines": _forum_lines,
            "people_rows": _rows,
        },
        permissions={
            "forums.moderate_forum_users": MODERATOR,
        },
    )
)
