"""The audit area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import VIEWER

AREA = register(
    Area(
        name="audit",
        nav=NavEntry("Audit log", "forums:audit-list", "forums.view_auditentry", order=60),
        permissions={
            "forums.view_auditentry": VIEWER,
        },
    )
)
