"""The sandbox Discourse's state: what its database holds, with the indexes it has.

Discourse finds a user by a unique index on ``username_lower`` and on the e-mail address, so a
100,000-account forum answers ``GET /u/{name}.json`` as fast as a small one; the sandbox's
user table keeps the same indexes (``Table.find``), plus trigrams of username and e-mail for
the admin list's substring ``filter`` (``Table.containing``), as Discourse's trigram indexes on
``users.username_lower`` and ``user_emails.email`` serve ``ILIKE '%term%'``.

The app reads and writes this state through its own attributes (``app.users`` is
``app.state.users``, see ``StateField``); ``reset()`` builds a fresh one from the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..core.table import Table, lower

USER_INDEXES = {"username": lower, "email": lower}


def user_table(users: list[dict[str, Any]] | None = None) -> Table:
    """Users by id, found by lower-cased username or e-mail in O(1)."""
    return Table(
        ((u["id"], u) for u in users or ()),
        indexes=USER_INDEXES,
        searchable=("username", "email"),
    )


@dataclass
class DiscourseState:
    now: datetime | None = None
    users: Table = field(default_factory=user_table)
    next_user_id: int = 1
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_group_id: int = 1
    tags: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_tag_id: int = 1
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)
    tag_groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_tag_group_id: int = 1
    events: list[dict[str, Any]] = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)
    backup_running_until: float = 0.0
    backup_pending: dict[str, Any] | None = None
    reviewables: list[dict[str, Any]] = field(default_factory=list)
    next_reviewable_id: int = 100
    # Posts the review queue names (flagged ones, queued ones once approved), by id.
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_post_id: int = 5000
    # The admin list in `created` order (the order group add reads every account in), sorted
    # once per set of users: created_at never changes, so Table.version keys it.
    created_order: dict[bool, tuple[int, list[dict[str, Any]]]] = field(default_factory=dict)

    def users_by_created(self, *, ascending: bool) -> list[dict[str, Any]]:
        cached = self.created_order.get(ascending)
        if cached is None or cached[0] != self.users.version:
            users = [u for u in self.users.values() if u["id"] > 0]
            users.sort(key=lambda u: (u["created_at"], u["id"]), reverse=not ascending)
            cached = self.created_order[ascending] = (self.users.version, users)
        return cached[1]


class StateField:
    """``app.<name>`` is ``app.state.<name>``: the endpoints read and write the state through
    the app, as tests and the demo do (``app.users``, ``app.backup_running_until = ...``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj.state, self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        if self.name == "users" and not isinstance(value, Table):
            value = user_table(list(value.values()))
        setattr(obj.state, self.name, value)
