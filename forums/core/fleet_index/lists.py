"""The Groups and Tags pages' lists: from the index where it holds a forum's whole list, live
for the others, and a forum that does not answer shows what the index last saw of it.

A forum's list in the index counts until Forumdeck changes that forum's groups or tags
(``rows.index_lists_forget``) or a bulk action has changed it since (``changed``): then the
forum is asked live, and its answer goes back into the index, as of now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from forums.clients.errors import CapabilityNotOffered
from forums.models import ForumConnection

from .reads import KnownList, indexed_groups_of, indexed_tags_of
from .rows import index_list_seen

Live = Callable[..., list[tuple[ForumConnection, Any]]]


@dataclass(frozen=True)
class ListAnswer:
    """One forum's list: ``result`` (a list, or why there is none); ``as_of`` when it came from
    the index; ``last_known`` what the index last saw of a forum that failed now."""

    connection: ForumConnection
    result: Any
    as_of: datetime | None = None
    last_known: KnownList | None = None


def fleet_lists(
    connections: Sequence[ForumConnection],
    *,
    kind: str,
    live: Live,
    refresh: bool,
    changed: Callable[[ForumConnection, datetime], bool],
) -> list[ListAnswer]:
    """``kind`` "groups" or "tags"; ``live(connections, refresh=)`` asks forums as the page
    always did (cached, in parallel); ``refresh`` asks every forum live."""
    indexed = indexed_groups_of if kind == "groups" else indexed_tags_of
    by_id = {c.pk: c for c in connections}
    known = {} if refresh else indexed(connection_ids=list(by_id))
    fresh = {cid: k for cid, k in known.items() if not changed(by_id[cid], k.as_of)}
    asked = [c for c in connections if c.pk not in fresh]
    # Forums asked live that the index holds rows of: a dead or hanging one shows those rows
    # (marked) instead. When every forum asked has some, the page waits for them only
    # FORUMDECK_INDEX_LIVE_WAIT_SECONDS, so a hanging forum adds nothing to its time; a forum
    # the index knows nothing of is waited for as always (and then the others may take as long).
    last = indexed(connection_ids=[c.pk for c in asked], complete=False) if asked else {}
    deadline = (
        settings.FORUMDECK_INDEX_LIVE_WAIT_SECONDS
        if asked and all(c.pk in last for c in asked)
        else None
    )
    answers = (
        {c.pk: result for c, result in live(asked, refresh=refresh, deadline=deadline)}
        if asked
        else {}
    )
    found = []
    for connection in connections:
        if connection.pk in fresh:
            entry = fresh[connection.pk]
            found.append(ListAnswer(connection, entry.items, as_of=entry.as_of))
            continue
        result = answers[connection.pk]
        if isinstance(result, BaseException):
            seen = None if isinstance(result, CapabilityNotOffered) else last.get(connection.pk)
            found.append(ListAnswer(connection, result, last_known=seen))
        else:
            index_list_seen(connection=connection, kind=kind, items=result)
            found.append(ListAnswer(connection, result))
    return found
