"""Discourse calendar events (the discourse-calendar / post-event plugin, now in core)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr

from ..records import CalendarEvent
from .base import DiscourseBase, dt, iso, to_int

EVENTS_MAX_LIMIT = 200  # /discourse-post-event/events.json `limit` 1..200


# Discourse's recurrence names (discourse-post-event RRuleConfigurator), for rows that carry
# a `recurrence` but no `rrule` (older plugin versions).
RECURRENCE_RULES = {
    "every_day": "FREQ=DAILY",
    "every_month": "FREQ=MONTHLY",
    "every_weekday": "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    "every_week": "FREQ=WEEKLY",
    "every_two_weeks": "FREQ=WEEKLY;INTERVAL=2",
    "every_four_weeks": "FREQ=WEEKLY;INTERVAL=4",
    "every_year": "FREQ=YEARLY",
}
# An occurrence expansion done here never runs away (a daily series over decades).
MAX_LOCAL_OCCURRENCES = 5000

Occurrence = tuple[datetime, datetime | None]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class DiscourseCalendar(DiscourseBase):
    # Set when the forum answers the events list as a bare array: the older plugin (no
    # `after`, no `order`, past events only with `include_expired`), asked that way from then.
    _legacy_events: bool = False

    def _event(self, data: dict, occurrence: Occurrence | None = None) -> CalendarEvent | None:
        starts_at, ends_at = occurrence or (dt(data.get("starts_at")), dt(data.get("ends_at")))
        if starts_at is None:
            return None
        post = data.get("post") or {}
        url = str(data.get("url") or "")
        if not url.startswith("http") and post.get("url"):
            url = f"{self.base_url}{post['url']}"
        topic = post.get("topic") or {}
        event_id = int(data.get("id") or 0)
        recurring = self._recurring(data)
        # Stable per occurrence, the way the forum's own .ics feed names them
        # (discourse-post-event-<id>-<start>).
        uid = (
            f"{event_id}-{starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" if recurring else str(event_id)
        )
        return CalendarEvent(
            id=event_id,
            name=str(data.get("name") or topic.get("title") or ""),
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=str(data.get("timezone") or ""),
            all_day=bool(data.get("all_day")),
            category_id=to_int(data.get("category_id")),
            url=url,
            location=str(data.get("location") or ""),
            description=str(data.get("description") or ""),
            uid=uid,
            recurring=recurring,
        )

    @staticmethod
    def _recurring(data: dict) -> bool:
        occurrences = data.get("occurrences")
        return bool(
            data.get("recurrence")
            or data.get("rrule")
            or (isinstance(occurrences, list) and len(occurrences) > 1)
        )

    def _occurrences(self, data: dict, start: datetime, end: datetime) -> list[Occurrence]:
        """The row's occurrences starting in [start, end): the forum's `occurrences` where it
        lists them, else expanded here from its `rrule` / `recurrence` (older plugins), else
        the event itself."""
        listed = data.get("occurrences")
        found: list[Occurrence] = []
        if isinstance(listed, list) and listed:
            for item in listed:
                if isinstance(item, dict) and (begins := dt(item.get("starts_at"))) is not None:
                    found.append((begins, dt(item.get("ends_at"))))
        elif self._recurring(data):
            found = self._expand(data, start, end)
        else:
            begins = dt(data.get("starts_at"))
            if begins is not None:
                found = [(begins, dt(data.get("ends_at")))]
        return [(b, e) for b, e in found if start <= b < end]

    @staticmethod
    def _expand(data: dict, start: datetime, end: datetime) -> list[Occurrence]:
        first = dt(data.get("starts_at"))
        if first is None:
            return []
        last = dt(data.get("ends_at"))
        duration = (last - first) if last else None
        rule = str(data.get("rrule") or "")
        # The RRULE line only: DTSTART comes from starts_at (the row's first date).
        line = next((ln for ln in rule.splitlines() if ln.upper().startswith("RRULE:")), "")
        text = line[len("RRULE:") :] or RECURRENCE_RULES.get(str(data.get("recurrence") or ""))
        if not text:
            return [(first, last)]
        try:
            series = rrulestr(text, dtstart=first, ignoretz=False)
        except (ValueError, TypeError):
            return [(first, last)]
        until = dt(data.get("recurrence_until"))
        stop = min(end, until + timedelta(seconds=1)) if until else end
        found: list[Occurrence] = []
        for begins in series.xafter(start - timedelta(microseconds=1), inc=True):
            begins = _aware(begins)
            if begins >= stop or len(found) >= MAX_LOCAL_OCCURRENCES:
                break
            found.append((begins, begins + duration if duration is not None else None))
        return found

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
        """Events and occurrences of recurring events starting in [start, end), oldest first,
        one ``CalendarEvent`` per occurrence.

        ENDPOINTS.md "Rules" / events: `limit` (at most 200) caps both the events of a page and
        the occurrences listed per recurring event, and the route has no page parameter: when a
        page is full, or a series was cut at the cap, the next page starts at the earliest
        start not yet complete (what was already returned is skipped). Older plugin versions
        answer a bare array and have no `after`: their events come in one call, past ones with
        `include_expired`, and their series are expanded here.
        """
        start, end = _aware(start), _aware(end)
        limit = max(1, min(page_size, EVENTS_MAX_LIMIT))
        seen: set[str] = set()
        waiting: list[CalendarEvent] = []  # read, but later than what may still come
        cursor = start
        while True:
            events, following = self._events_page(
                cursor=cursor, start=start, end=end, category_id=category_id, limit=limit
            )
            for event in events:
                if event.uid not in seen:
                    seen.add(event.uid)
                    waiting.append(event)
            waiting.sort(key=lambda e: (e.starts_at, e.id))
            # Anything starting before the next page's start is complete: hand it out.
            while waiting and (following is None or waiting[0].starts_at < following):
                yield waiting.pop(0)
            if following is None or following <= cursor:
                yield from waiting
                return
            cursor = following

    def _events_page(
        self, *, cursor: datetime, start: datetime, end: datetime, category_id: int | None,
        limit: int,
    ) -> tuple[list[CalendarEvent], datetime | None]:  # fmt: skip
        """One call: its events, and where the next page starts (None: nothing more)."""
        if self._legacy_events:
            return self._legacy_page(start=start, end=end, category_id=category_id), None
        params = self._event_params(start=cursor, end=end, category_id=category_id)
        params.update(order="asc", limit=limit)
        payload = self._json("GET", "/discourse-post-event/events.json", params=params)
        if isinstance(payload, list):
            # The older plugin ignored `after` and answered upcoming events only: ask again,
            # its way.
            self._legacy_events = True
            return self._legacy_page(start=start, end=end, category_id=category_id), None
        rows = [r for r in self._dict(payload, "events").get("events") or [] if isinstance(r, dict)]
        events: list[CalendarEvent] = []
        following: list[datetime] = []
        row_starts: list[datetime] = []
        for row in rows:
            occurrences = self._occurrences(row, start, end)
            listed = row.get("occurrences")
            if isinstance(listed, list) and len(listed) >= limit and occurrences:
                following.append(occurrences[-1][0])  # the series was cut at the cap
            if (first := dt(row.get("starts_at"))) is not None:
                row_starts.append(first)
            events += [e for o in occurrences if (e := self._event(row, o)) is not None]
        if len(rows) >= limit and row_starts:
            following.append(max(row_starts))
        return events, (min(following) if following and events else None)

    def _legacy_page(
        self, *, start: datetime, end: datetime, category_id: int | None
    ) -> list[CalendarEvent]:
        params = self._event_params(start=None, end=end, category_id=category_id)
        params["include_expired"] = "true"
        payload = self._json("GET", "/discourse-post-event/events.json", params=params)
        rows = (
            payload
            if isinstance(payload, list)
            else self._dict(payload, "events").get("events") or []
        )
        return [
            event
            for row in rows
            if isinstance(row, dict)
            for occurrence in self._occurrences(row, start, end)
            if (event := self._event(row, occurrence)) is not None
        ]

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
