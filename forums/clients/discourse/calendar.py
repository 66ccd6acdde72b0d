"""Discourse calendar events (the discourse-calendar / post-event plugin, now in core)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ForumNotFound
from ..records import CalendarEvent, Capability
from ..recurrence import expand, too_frequent
from .base import DiscourseBase, dt, iso, to_int

EVENTS_MAX_LIMIT = 200  # /discourse-post-event/events.json `limit` 1..200
EVENTS_MAX_PAGES = 50  # 10,000 occurrences: far past any month or agenda
MAX_EXPANDED = 1000  # occurrences computed from one rule where the forum lists none


def _zone(name: Any) -> tzinfo:
    """The event's own zone (``timezone``, an IANA name), UTC where it names none we know."""
    try:
        return ZoneInfo(str(name)) if name else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return UTC


def event_time(value: Any, zone: tzinfo) -> tuple[datetime | None, bool]:
    """One of the plugin's times: (the moment, whether it was a date only).

    ``events_controller.rb`` ``#format_time`` (plugins/discourse-calendar, newest) writes an
    all-day event's times as its date only (``"2026-03-10"``) and a ``show_local_time``
    event's as the wall-clock time in the event's ``timezone`` with no offset
    (``"2026-03-10T18:00:00"``); other times carry their offset (``iso8601(3)``). A date is
    kept as midnight UTC of that date (the record's ``start_date`` names it); a time without
    an offset is read in the event's zone, not as UTC (ENDPOINTS.md "Rules" / event times).
    """
    if not value or not isinstance(value, str):
        return None, False
    text = value.strip()
    if len(text) == 10 and "T" not in text:
        try:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=UTC), True
        except ValueError:
            return None, False
    parsed = dt(text)
    if parsed is None:
        return None, False
    try:
        if not text.endswith(("Z", "z")) and datetime.fromisoformat(text).tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed.astimezone(UTC), False
    except (ValueError, OverflowError):
        return None, False


def split_rrule(text: str, zone: tzinfo = UTC) -> tuple[str, datetime | None]:
    """Discourse's ``rrule`` is ``DTSTART:…\\nRRULE:FREQ=…`` (or the rule alone): the rule
    ("FREQ=WEEKLY;…") and the series' first start, where given. A floating DTSTART (no ``Z``,
    no ``TZID``: a ``show_local_time`` series) is read in ``zone``, the event's own."""
    rule, first = "", None
    for line in str(text or "").replace("\r", "").split("\n"):
        name, _, value = line.strip().partition(":")
        if not value:
            rule = rule or (name if "FREQ=" in name.upper() else "")
        elif name.upper().startswith("DTSTART"):
            first = _rrule_start(name, value.strip(), zone)
        elif name.upper() == "RRULE":
            rule = value.strip()
    return rule, first


def _rrule_start(name: str, value: str, floating: tzinfo = UTC) -> datetime | None:
    """``DTSTART:20260105T090000Z`` or ``DTSTART;TZID=Europe/Paris:20260105T090000``."""
    zone: Any = UTC if value.upper().endswith("Z") else floating
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


def _all_day_span(starts: datetime, ends: datetime | None, zone: tzinfo) -> tuple[date, int]:
    """An all-day event the forum gave as times (the flag alone): its first date (the midnight
    nearest its start, in its zone) and how many days it covers (at least one)."""
    first = (starts.astimezone(zone) + timedelta(hours=12)).date()
    if ends is None or ends <= starts:
        return first, 1
    return first, max(1, round((ends - starts) / timedelta(days=1)))


def _midnight(moment: datetime, zone: tzinfo) -> datetime:
    """An all-day occurrence's date as midnight UTC: a date as given, or the midnight nearest
    a time (in the event's zone) where the forum sent one."""
    if moment.tzinfo is UTC and moment.time() == time(0, 0):
        return moment
    return datetime.combine(
        (moment.astimezone(zone) + timedelta(hours=12)).date(), time(0, 0), tzinfo=UTC
    )


def _dict_or_empty(value: Any) -> dict:
    """A forum's nested object, or {} where it sent something else (a list, a string)."""
    return value if isinstance(value, dict) else {}


class DiscourseCalendar(DiscourseBase):
    def _event(self, data: dict) -> CalendarEvent | None:
        """One event in any of the shapes the plugin answers (ENDPOINTS.md "Rules" / event
        shape, older plugin): the detailed one (``EventSerializer``, asked with
        ``include_details=true``), the basic one (``BasicEventSerializer``: no ``all_day``,
        ``location``, ``description``, ``url`` or topic tags) and the older plugin's
        (``EventSummarySerializer`` with ``upcoming_dates``; its detailed serializer sends
        ``recurrence_rule`` without a DTSTART instead of ``rrule``)."""
        zone = _zone(data.get("timezone"))
        starts_at, dated = event_time(data.get("starts_at"), zone)
        if starts_at is None:
            return None
        ends_at, _ = event_time(data.get("ends_at"), zone)
        post: dict = _dict_or_empty(data.get("post"))
        url = str(data.get("url") or "")
        if not url.startswith("http") and (url or post.get("url")):
            url = f"{self.base_url}{url or post['url']}"
        topic: dict = _dict_or_empty(post.get("topic"))
        rrule, series_start = split_rrule(str(data.get("rrule") or ""), zone)
        if not rrule:
            rrule = str(data.get("recurrence_rule") or "").strip().strip(";")
            rrule = rrule if "FREQ=" in rrule.upper() and "\n" not in rrule else ""
        # RRuleConfigurator.rule (b1ace0a) writes "FREQ=WEEKLY;INTERVAL=2;" and then appends
        # ";UNTIL=…": the empty part is dropped so the rule reads.
        rrule = ";".join(part for part in rrule.split(";") if part.strip())
        tags: list = topic["tags"] if isinstance(topic.get("tags"), list) else []
        all_day = dated or data.get("all_day") is True
        start_date = end_date = None
        if all_day:
            if dated:
                start_date = starts_at.date()
                end_date = max(start_date, ends_at.date()) if ends_at else start_date
            else:
                start_date, days = _all_day_span(starts_at, ends_at, zone)
                end_date = start_date + timedelta(days=days - 1)
            # Midnight UTC of each date: only for ordering; the dates are what is shown.
            starts_at = datetime.combine(start_date, time(0, 0), tzinfo=UTC)
            ends_at = datetime.combine(end_date, time(0, 0), tzinfo=UTC)
        return CalendarEvent(
            id=to_int(data.get("id")) or 0,
            name=str(data.get("name") or topic.get("title") or ""),
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=str(data.get("timezone") or ""),
            all_day=all_day,
            category_id=to_int(data.get("category_id")),
            url=url,
            location=str(data.get("location") or ""),
            description=str(data.get("description") or ""),
            rrule=rrule,
            recurrence=str(data.get("recurrence") or ""),
            series_starts_at=series_start,
            recurrence_until=dt(data.get("recurrence_until")),
            category_slug=str(post.get("category_slug") or topic.get("category_slug") or ""),
            tags=tuple(str(t) for t in tags if isinstance(t, str)),
            start_date=start_date,
            end_date=end_date,
            show_local_time=data.get("show_local_time") is True,
        )

    @staticmethod
    def _listed(data: dict) -> list[Any] | None:
        """The dates the forum lists for a series: ``occurrences`` (newer plugin) or
        ``upcoming_dates`` (older plugin, ``EventSummarySerializer#upcoming_dates``)."""
        for key in ("occurrences", "upcoming_dates"):
            listed = data.get(key)
            if isinstance(listed, list) and listed:
                return listed
        return None

    def _occurrences(
        self, data: dict, event: CalendarEvent, *, start: datetime, end: datetime
    ) -> list[CalendarEvent]:
        """One record per occurrence starting in [start, end): the dates the forum lists
        (``occurrences``, or ``upcoming_dates`` on the older plugin); else the dates its rule
        gives, counted in the event's own zone (the basic shape and the older plugin's
        detailed one list none); else the event itself. A series Forumdeck will not expand
        (more often than daily, or a rule without a bound, see ``recurrence``) comes once,
        with a note saying why, even from outside the range: the page says what it leaves
        out."""
        zone = _zone(event.timezone)
        duration = event.ends_at - event.starts_at if event.ends_at else None
        starts: list[tuple[datetime, datetime | None]] = []
        note = ""
        listed = self._listed(data)
        if listed:
            for row in listed:
                if not isinstance(row, dict):
                    continue
                begin, _ = event_time(row.get("starts_at"), zone)
                if begin is not None:
                    finish, finish_dated = event_time(row.get("ends_at"), zone)
                    if event.all_day:
                        # A date is the last day itself; a time (the flag alone) would be the
                        # midnight after it: the event's own length in days is kept then.
                        begin = _midnight(begin, zone)
                        finish = finish if finish and finish_dated else None
                    starts.append((begin, finish or (begin + duration if duration else None)))
            note = too_frequent(event.rrule)
            starts = starts[:1] if note else starts
        elif event.rrule:
            # An all-day series counts from midnight UTC of its date (its dates stay dates);
            # a timed one in its own zone: 18:00 in Toronto stays 18:00 across a change of
            # summer time (RRuleGenerator.generate: dtstart in the event's timezone).
            first = (
                event.starts_at
                if event.all_day
                else (event.series_starts_at or event.starts_at).astimezone(zone)
            )
            expansion = expand(
                event.rrule,
                first=first,
                start=start,
                end=end,
                until=event.recurrence_until,
                limit=MAX_EXPANDED,
            )
            starts = [
                (b.astimezone(UTC), (b + duration).astimezone(UTC) if duration else None)
                for b in expansion.starts
            ]
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
                    else self._moved(event, begin, finish)
                )
        if note and not out:
            out.append(event)
        return out

    @staticmethod
    def _moved(event: CalendarEvent, begin: datetime, finish: datetime | None) -> CalendarEvent:
        """``event`` at another of its dates (an all-day one keeps its length in days)."""
        if not event.all_day or event.start_date is None:
            return replace(event, starts_at=begin, ends_at=finish)
        first = begin.astimezone(UTC).date()
        days = (event.end_date - event.start_date).days if event.end_date else 0
        if finish is not None:
            days = max(0, (finish.astimezone(UTC).date() - first).days)
        last = first + timedelta(days=days)
        return replace(
            event,
            starts_at=datetime.combine(first, time(0, 0), tzinfo=UTC),
            ends_at=datetime.combine(last, time(0, 0), tzinfo=UTC),
            start_date=first,
            end_date=last,
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
            # Only with the string "true" does the plugin answer the detailed shape (all-day
            # flag, location, description, tags, listed occurrences); otherwise the basic one
            # (events_controller.rb #index; older plugin the same: b1ace0a events_controller.rb
            # :12).
            params.update(order="asc", limit=limit, include_details="true")
            if legacy:
                # The older plugin hides finished events unless asked (it has no `after`).
                params["include_expired"] = "true"
                # It cuts its one answer at `limit` and has no way to ask for the rest (no
                # `after`, no page; b1ace0a EventFinder.search): ask with no limit at all. Its
                # `before` applies to a series' next date, hiding a series that ran in the
                # range: ask without it too and keep the range here.
                params.pop("limit", None)
                params.pop("before", None)
            try:
                payload = self._json("GET", "/discourse-post-event/events.json", params=params)
            except ForumNotFound:
                # ENDPOINTS.md "Rules" / calendar not enabled: without the plugin, or with
                # discourse_post_event_enabled off, the route answers 404 (b1ace0a
                # discourse_post_event_controller.rb:5 requires_plugin, :11).
                raise self.not_offered(
                    Capability.CALENDAR,
                    "calendar events: the calendar plugin is not installed or not enabled "
                    "on this forum",
                ) from None
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
                    following.append(
                        event_time(tail.get("starts_at"), _zone(event.timezone))[0]
                        or event.starts_at
                    )
                found = self._occurrences(row, event, start=cursor, end=last)
                if legacy and event.recurring and event.starts_at > cursor:
                    # The older plugin keeps one date per series, its next (b1ace0a
                    # Event#starts_at): the earlier ones are nowhere in its answer. Said, not
                    # left out silently; a series none of whose dates fall here says so once.
                    note = (
                        "this forum's older calendar plugin gives its dates from "
                        f"{event.starts_at:%Y-%m-%d} on only"
                    )
                    found = [replace(o, dates_note=note) for o in found] or [
                        replace(event, dates_note=note)
                    ]
                for occurrence in found:
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
