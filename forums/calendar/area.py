"""The calendar area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import VIEWER

AREA = register(
    Area(
        name="calendar",
        nav=NavEntry("Calendar", "forums:calendar-month", "forums.view_calendar", order=80),
        labels={
            "calendar_feed.create": "Calendar feed made",
            "calendar_feed.rotate": "Calendar feed address changed",
            "calendar_feed.revoke": "Calendar feed revoked",
        },
        permissions={
            "forums.view_calendar": VIEWER,
        },
    )
)
