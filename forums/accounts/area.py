"""The accounts area as the shared parts see it (see ``forums.core.areas``)."""

from __future__ import annotations

from forums.core.areas import Area, NavEntry, register
from forums.roles import ADMIN

AREA = register(
    Area(
        name="accounts",
        nav=NavEntry("People & roles", "forums:account-list", "auth.view_user", order=90),
        labels={
            "account.create": "Account created",
            "account.roles": "Roles changed",
            "account.password": "Password set",
            "account.active": "Sign-in allowed or stopped",
            "account.superuser": "Superuser status changed",
            "account.permissions": "Permissions changed",
            "account.confirm": "Account change confirmed",
            "account.request": "Account change asked for",
            "account.decline": "Account change declined",
            "account.unlock": "Sign-in lockout lifted",
        },
        permissions={
            "auth.view_user": ADMIN,
            "auth.add_user": ADMIN,
            "auth.change_user": ADMIN,
            "auth.view_group": ADMIN,
            # A second Admin confirms a recent account change (four eyes on accounts).
            "forums.confirm_accountchange": ADMIN,
            # Sign-in lockouts (django-axes): see them here, delete one to unlock.
            "axes.view_accessattempt": ADMIN,
            "axes.delete_accessattempt": ADMIN,
            "axes.view_accessfailurelog": ADMIN,
        },
    )
)
