"""Discourse calendar events (the discourse-calendar / post-event plugin, now in core)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..records import CalendarEvent
from ..recurrence import expand, too_frequent
from .base import DiscourseBase, dt, iso, to_int

EVENTS_MAX_LIMIT = 200  # /discourse-post-event/events.json `limit` 1..200
EVENTS_MAX_PAGES = 50  # 10,000 occurrences: far past any month or agenda
MAX_EXPANDED = 1000  # occurrences computed from one rule where the forum lists none


def split_rrule(text: str) -> tuple[str, datetime | None]:
    """Discourse's ``rrule`` is ``DTSTART:…\\nRRULE:FREQ=…`` (or the rule alone): the rule
    ("FREQ=WEEKLY;…") and the series' first start, where given."""
    rule, first = "", None
    for line in str(text or "").replace("\r", "").split("\n"):
        name, _, value = line.strip().partition(":")
        if not value:
            rule = rule or (name if "FREQ=" in name.upper() else "")
        elif name.upper().startswith("DTSTART"):
            first = _rrule_start(name, value.strip())
        elif name.upper() == "RRULE":
            rule = value.strip()
    return rule, first


def _rrule_start(name: str, value: str) -> datetime | None:
    """``DTSTART:20260105T090000Z`` or ``DTSTART;TZID=Europe/Paris:20260105T090000``."""
    zone: Any = UTC
    for param in name.split(";")[1:]:
        key, _, tz = param.partition("=")
        if key.upper() == "TZID":
            try:
                zone = ZoneInfo(tz.strip())
            except (
                ZoneInfoNotFoundError,
                ValueError,
                OSError,
            ):  # OSError: a name too long for a file
                return None
    try:
        return datetime.strptime(value.rstrip("Zz"), "%Y%m%dT%H%M%S").replace(tzinfo=zone)
    except ValueError:
        return None


def _dict_or_empty(value: Any) -> dict:
    """A forum's nested object, or {} where it sent something else (a list, a string)."""
    return value if isinstance(value, dict) else {}


class DiscourseCalendar(DiscourseBase):
    def _event(self, data: dict) -> CalendarEvent | None:
        starts_at = dt(data.get("starts_at"))
        if starts_at is None:
            return None
        post: dict = _dict_or_empty(data.get("post"))
        url = str(data.get("url") or "")
        if not url.startswith("http") and (url or post.get("url")):
            url = f"{self.base_url}{url or post['url']}"
        topic: dict = _dict_or_empty(post.get("topic"))
        rrule, series_start = split_rrule(str(data.get("rrule") or ""))
        tags: list = topic["tags"] if isinstance(topic.get("tags"), list) else []
        return CalendarEvent(
            id=to_int(data.get("id")) or 0,
            name=str(data.get("name") or topic.get("title") or ""),
            starts_at=starts_at,
            ends_at=dt(data.get("ends_at")),
            timezone=str(data.get("timezone") or ""),
            all_day=bool(data.get("all_day")),
            category_id=to_int(data.get("category_id")),
            url=url,
            location=str(data.get("location") or ""),
            description=str(data.get("description") or ""),
            rrule=rrule,
            recurrence=str(data.get("recurrence") or ""),
            series_starts_at=series_start,
            recurrence_until=dt(data.get("recurrence_until")),
            category_slug=str(post.get("category_slug") or ""),
            tags=tuple(str(t) for t in tags if isinstance(t, str)),
        )

    def _occurrences(
        self, data: dict, event: CalendarEvent, *, start: datetime, end: datetime
    ) -> list[CalendarEvent]:
        """One record per occurrence starting in [start, end): the forum's ``occurrences``
        where it lists them; else the dates its rule gives (older plugin versions list none);
        else the event itself. A series Forumdeck will not expand (more often than daily, or a
        rule without a bound, see ``recurrence``) comes once, with a note saying why, even
        from outside the range: the page says what it leaves out."""
        duration = event.ends_at - event.starts_at if event.ends_at else None
        starts: list[tuple[datetime, datetime | None]] = []
        note = ""
        listed = data.get("occurrences")
        if isinstance(listed, list) and listed:
            for row in listed:
                if not isinstance(row, dict):
                    continue
                begin = dt(row.get("starts_at"))
                if begin is not None:
                    finish = dt(row.get("ends_at"))
                    starts.append((begin, finish or (begin + duration if duration else None)))
            note = too_frequent(event.rrule)
            starts = starts[:1] if note else starts
        elif event.rrule:
            expansion = expand(
                event.rrule,
                first=event.series_starts_at or event.starts_at,
                start=start,
                end=end,
                until=event.recurrence_until,
                limit=MAX_EXPANDED,
            )
            starts = [(b, b + duration if duration else None) for b in expansion.starts]
            note = expansion.note
        if note:
            event = replace(event, note=note)
        if not starts:
            starts = [(event.starts_at, event.ends_at)]
        out = []
        for begin, finish in starts:
            if start <= begin < end:
                out.append(
                    event
                    if begin == event.starts_at and finish == event.ends_at
                    else replace(event, starts_at=begin, ends_at=finish)
                )
        if note and not out:
            out.append(event)
        return out

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
        """Events starting between ``start`` and ``end``, a recurring one once per occurrence.

        The route has no page parameter: when a page is full, the next one starts at the last
        start time seen (occurrences already returned are skipped). ``limit`` also caps the
        occurrences listed per recurring event, so a series that filled its list is asked
        again from its last listed date. Older plugin versions answer a bare array and ignore
        ``after``: their one answer is filtered here (ENDPOINTS.md "Rules" / events).
        """
        limit = max(1, min(page_size, EVENTS_MAX_LIMIT))
        first = start if start.tzinfo else start.replace(tzinfo=UTC)
        last = end if end.tzinfo else end.replace(tzinfo=UTC)
        seen: set[tuple[int, datetime]] = set()
        legacy = False

        def page(cursor: datetime) -> tuple[list[CalendarEvent], datetime | None]:
            nonlocal legacy
            params = self._event_params(start=cursor, end=last, category_id=category_id)
            params.update(order="asc", limit=limit)
            if legacy:
                # The older plugin hides finished events unless asked (it has no `after`).
                params["include_expired"] = "true"
            payload = self._json("GET", "/discourse-post-event/events.json", params=params)
            if isinstance(payload, list) and not legacy:
                legacy = True
                return page(cursor)
            rows = payload if legacy else self._dict(payload, "events").get("events") or []
            fresh: list[CalendarEvent] = []
            following: list[datetime] = []
            last_row_start = None
            for row in rows:
                event = self._event(row) if isinstance(row, dict) else None
                if event is None:
                    continue
                last_row_start = event.starts_at
                listed = row.get("occurrences")
                # A series more often than daily is shown once: its next dates are not asked.
                if (
                    isinstance(listed, list)
                    and len(listed) >= limit
                    and not too_frequent(event.rrule)
                ):
                    tail = listed[-1] if isinstance(listed[-1], dict) else {}
                    following.append(dt(tail.get("starts_at")) or event.starts_at)
                for occurrence in self._occurrences(row, event, start=cursor, end=last):
                    key = (occurrence.id, occurrence.starts_at)
                    if key not in seen:
                        seen.add(key)
                        fresh.append(occurrence)
            if legacy or not fresh:
                return fresh, None
            if len(rows) >= limit and last_row_start is not None:
                # Rows come in order of their (first) start: later ones start here or after.
                following.append(last_row_start)
            if not following:
                return fresh, None
            return fresh, max(cursor, min(following))

        return self.paginate(page, start=first, max_pages=EVENTS_MAX_PAGES)

    def list_events(
        self, *, start: datetime, end: datetime, category_id: int | None = None
    ) -> list[CalendarEvent]:
        events = self.iter_events(start=start, end=end, category_id=category_id)
        return sorted(events, key=lambda e: (e.starts_at, e.id))

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
