"""The sandbox UserEcho's state: what the project's database holds, with the lookups it has.

Users are found by e-mail (``users/get_or_create``, the access lists), by profile slug and by
SSO guid (``users/sso/{guid}``) through the user table's indexes (``Table.find``), so a
100,000-account project answers as fast as a small one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.table import Table, lower

USER_INDEXES = {"email": lower, "slug": lambda value: value, "sso_guid": lambda value: value}


def user_table() -> Table:
    return Table(indexes=USER_INDEXES)


@dataclass
class UserEchoState:
    users: Table = field(default_factory=user_table)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    forums: dict[int, dict[str, Any]] = field(default_factory=dict)
    types: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[int, dict[str, Any]] = field(default_factory=dict)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)
    tags: dict[int, dict[str, Any]] = field(default_factory=dict)
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    hooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[int, dict[str, Any]] = field(default_factory=dict)
    access_lists: dict[int, list[str]] = field(default_factory=dict)  # private forum -> e-mails
    subscriptions: dict[int, dict[str, list[int]]] = field(default_factory=dict)
    # Side effects a test may need to see: invitations e-mailed by get_or_create, and the users
    # whose sessions `users/{id}/logout` cleared, in order.
    invitations: list[str] = field(default_factory=list)
    logouts: list[int] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def next_id(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        return self.users.find("email", email.strip())
