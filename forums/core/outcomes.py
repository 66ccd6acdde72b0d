"""The outcome types the areas share: what one forum answered on a fleet page, and what a
change a person asked for came to (done, refused, or proposed as a bulk action instead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forums.models import BulkAction


@dataclass
class ForumOutcome:
    """One forum's line on a page that asks the fleet (groups, tags, people search)."""

    connection_id: int
    connection_name: str
    count: int = 0
    error: str = ""
    capped: bool = False
    note: str = ""  # what this forum's search cannot do, in its client's words
    read_note: str = ""  # how this answer was read when the forum did not do as asked
    waiting: bool = False  # asked, not answered yet (a search under way)
    # Answered from the fleet index, as the forum was when last read (None: asked live).
    as_of: datetime | None = None
    # Failed now: its rows are the index's last known ones, as of then.
    last_known_as_of: datetime | None = None


@dataclass(frozen=True)
class ChangeOutcome:
    """A change to one or several forums: done (``ok``), refused, or proposed as a bulk
    action for another person to approve (``action``)."""

    ok: bool
    message: str
    action: BulkAction | None = None  # proposed instead of done
