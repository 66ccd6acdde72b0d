"""The sandbox NodeBB's state: what its Redis/Mongo database holds, with the lookups it has.

NodeBB keeps sorted sets and hashes that map ``username:uid``, ``userslug:uid`` and
``email:uid`` (``User.getUidByUsername`` / ``getUidByUserslug`` / ``getUidByEmail``), so a
lookup costs the same on a 100,000-account forum as on a small one; the user table keeps the
same indexes (``Table.find``), lower-cased as the sandbox compares them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.table import Table, lower

USER_INDEXES = {"username": lower, "userslug": lower, "email": lower}


def user_table() -> Table:
    return Table(indexes=USER_INDEXES)


@dataclass
class NodeBBState:
    users: Table = field(default_factory=user_table)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Every tag the forum has held (the sorted set `tags:topic:count`): a tag whose last topic
    # lost it stays there with score 0 until an admin deletes it (socket.io admin.tags.*).
    tags: set[str] = field(default_factory=set)
    flags: list[dict[str, Any]] = field(default_factory=list)
    queue: list[dict[str, Any]] = field(default_factory=list)
    # The posts flags point at (and posts accepted from the queue), by pid; the sandbox keeps no
    # other posts (topics carry their post counts).
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    # What NodeBB told users (the post queue's accept/reject/notify notifications).
    notifications: list[dict[str, Any]] = field(default_factory=list)
    next_uid: int = 1
    next_tid: int = 1
    next_pid: int = 1000
