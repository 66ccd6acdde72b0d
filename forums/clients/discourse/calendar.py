"""Discourse calendar events (the discourse-calendar / post-event plugin, now in core)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ..records import CalendarEvent
from .base import DiscourseBase, dt, iso, to_int

EVENTS_MAX_LIMIT = 200  # /discourse-post-event/events.json `limit` 1..200


class DiscourseCalendar(DiscourseBase):
    def _event(self, data: dict) -> CalendarEvent | None:
        starts_at = dt(data.get("starts_at"))
        if starts_at is None:
            return None
        post = data.get("post") or {}
        url = str(data.get("url") or "")
        if not url.startswith("http") and post.get("url"):
            url = f"{self.base_url}{post['url']}"
        topic = post.get("topic") or {}
        return CalendarEvent(
            id=int(data.get("id") or 0),
            name=str(data.get("name") or topic.get("title") or ""),
            starts_at=starts_at,
            ends_at=dt(data.get("ends_at")),
            timezone=str(data.get("timezone") or ""),
            all_day=bool(data.get("all_day")),
            category_id=to_int(data.get("category_id")),
            url=url,
            location=str(data.get("location") or ""),
            description=str(data.get("description") or ""),
        )

    @staticmethod
    def _event_params(
        *,
        start: datetime | None,
        end: datetime | None,
        category_id: int | None,
        include_subcategories: bool = False,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if start is not None:
            params["after"] = iso(start)
        if end is not None:
            params["before"] = iso(end)
        if category_id is not None:
            params["category_id"] = int(category_id)
            if include_subcategories:
                params["include_subcategories"] = "true"
        return params

    def iter_events(
        self,
        *,
        start: datetime,
        end: datetime,
        category_id: int | None = None,
        page_size: int = EVENTS_MAX_LIMIT,
    ) -> Iterator[CalendarEvent]:
        """Events starting between ``start`` and ``end``, oldest first.

        The route has no page parameter: when a page is full, the next one starts at the last
        start time seen (events already returned are skipped).
        """
        limit = max(1, min(page_size, EVENTS_MAX_LIMIT))
        seen: set[int] = set()

        def page(cursor: datetime) -> tuple[list[CalendarEvent], datetime | None]:
            params = self._event_params(start=cursor, end=end, category_id=category_id)
            params.update(order="asc", limit=limit)
            payload = self._dict(
                self._json("GET", "/discourse-post-event/events.json", params=params), "events"
            )
            rows = payload.get("events") or []
            fresh: list[CalendarEvent] = []
            for row in rows:
                event = self._event(row) if isinstance(row, dict) else None
                if event is None or event.id in seen:
                    continue
                seen.add(event.id)
                fresh.append(event)
            if len(rows) < limit or not fresh:
                return fresh, None
            return fresh, max(cursor, *(e.starts_at for e in fresh))

        first = start if start.tzinfo else start.replace(tzinfo=UTC)
        return self.paginate(page, start=first)

    def list_events(
        self, *, start: datetime, end: datetime, category_id: int | None = None
    ) -> list[CalendarEvent]:
        return list(self.iter_events(start=start, end=end, category_id=category_id))

    def export_events_ics(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        category_id: int | None = None,
        include_subcategories: bool = False,
    ) -> str:
        """The forum's own iCalendar feed for these events (text/calendar)."""
        params = self._event_params(
            start=start, end=end, category_id=category_id,
            include_subcategories=include_subcategories,
        )  # fmt: skip
        return self.request(
            "GET",
            "/discourse-post-event/events.ics",
            params=params or None,
            expect="text",
            headers={"Accept": "text/calendar"},
        )
