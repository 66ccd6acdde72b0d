"""The backups area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import ADMIN, MODERATOR, VIEWER

AREA = register(
    Area(
        name="backups",
        nav=NavEntry("Backups", "forums:backup-list", "forums.view_backups", order=70),
        labels={
            "backup.start": "Backup started",
            "backup.finish": "Backup finished",
            "backup.cancel": "Backup cancelled",
            "backup.download_link": "Backup download link e-mailed",
            "backup.schedule": "Backup schedule changed",
        },
        permissions={
            "forums.view_backups": VIEWER,
            "forums.run_backups": MODERATOR,
            "forums.schedule_backups": ADMIN,
        },
    )
)
