"""The review items Forumdeck keeps (``KeptReviewItem``): how a kept row holds an item, and the
kept items of the forum a bulk plan is reading (the Review area writes them, the bulk engine's
review kinds plan from them: each keeps the version Discourse checks at the decision)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from forums.clients.records import ReviewAction, ReviewFlag, ReviewItem, ReviewKind
from forums.models import KeptReviewItem

from .fleet_index.rows import seeing_connection


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def item_to_json(item: ReviewItem) -> dict[str, Any]:
    """A waiting item as a kept row holds it (JSON: times as ISO 8601)."""
    data = asdict(item)
    data["created_at"] = item.created_at.isoformat() if item.created_at else None
    data["flags"] = [{**asdict(f), "at": f.at.isoformat() if f.at else None} for f in item.flags]
    return data


def item_from_json(data: dict[str, Any]) -> ReviewItem:
    """The kept row's item, as the client read it."""
    return ReviewItem(
        **{
            **data,
            "kind": ReviewKind(data["kind"]),
            "created_at": _when(data.get("created_at")),
            "flags": tuple(ReviewFlag(**{**f, "at": _when(f.get("at"))}) for f in data["flags"]),
            "actions": tuple(ReviewAction(**a) for a in data["actions"]),
        }
    )


def kept_items(item_ids: Iterable[str]) -> dict[str, ReviewItem]:
    """The kept items of these ids on the forum being read (``index_seeing``): {} outside."""
    connection = seeing_connection()
    if connection is None:
        return {}
    rows = KeptReviewItem.objects.filter(connection=connection, item_id__in=list(item_ids))
    return {row.item_id: item_from_json(row.item) for row in rows}
