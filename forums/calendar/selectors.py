"""Reading calendars: every chosen forum's events in a range, merged, each forum asked in
parallel and cached briefly, one forum's failure kept to its own row; and where each
occurrence falls in the viewer's time zone (all-day events stay on their own dates)."""

from __future__ import annotations

import calendar as pycalendar
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from forums.clients import client_class, get_client
from forums.clients.errors import ForumError
from forums.clients.records import CalendarEvent, Capability
from forums.core.fleet import enabled_connections, fan_out
from forums.models import CalendarFeed, ForumConnection

MAX_RANGE_DAYS = 400  # a year and a bit: the longest range anyone pages through at once


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of one event on one forum."""

    connection_id: int
    connection_name: str
    event: CalendarEvent

    @property
    def category_key(self) -> str:
        return f"{self.connection_id}:{self.event.category_id or 0}"

    @property
    def category_label(self) -> str:
        return self.event.category_slug or (
            f"category {self.event.category_id}" if self.event.category_id else "no category"
        )

    def days(self, zone: tzinfo) -> list[date]:
        """The dates it is shown on: an all-day event on each of its own dates whatever the
        viewer's zone; a timed one on the date it starts, in the viewer's zone."""
        event = self.event
        if not event.all_day:
            return [event.starts_at.astimezone(zone).date()]
        if event.start_date is not None:
            # The dates the forum named ("2026-03-10"): no zone moves them.
            last = max(event.start_date, event.end_date or event.start_date)
            span = min((last - event.start_date).days, 62)
            return [event.start_date + timedelta(days=n) for n in range(span + 1)]
        first = all_day_date(event.starts_at, event.timezone)
        last = first
        if event.ends_at and event.ends_at > event.starts_at:
            # The end is exclusive: an event "ending" at the next midnight is one day long.
            last = max(first, all_day_date(event.ends_at, event.timezone) - timedelta(days=1))
        span = min((last - first).days, 62)
        return [first + timedelta(days=n) for n in range(span + 1)]

    @property
    def own_time(self) -> str:
        """For an event its forum shows at its own local time to everyone (``show_local_time``):
        that time with its zone ("18:00 Europe/Berlin"), shown beside the viewer's time."""
        event = self.event
        if event.all_day or not event.show_local_time or not event.timezone:
            return ""
        zone = _zone(event.timezone)
        if zone is UTC:
            return ""
        return f"{event.starts_at.astimezone(zone):%H:%M} {event.timezone}"

    def local_start(self, zone: tzinfo) -> datetime:
        return self.event.starts_at.astimezone(zone)

    def local_end(self, zone: tzinfo) -> datetime | None:
        return self.event.ends_at.astimezone(zone) if self.event.ends_at else None


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return UTC


def all_day_date(moment: datetime, zone_name: str) -> date:
    """The date an all-day event's timestamp stands for. Forums store it as midnight in the
    event's zone, or as midnight UTC: in the event's zone both lie within a few hours of
    midnight, so the nearest midnight names the date either way."""
    local = moment.astimezone(_zone(zone_name))
    return (local + timedelta(hours=12)).date()


@dataclass
class ForumCalendar:
    connection_id: int
    connection_name: str
    offered: bool = True
    count: int = 0
    error: str = ""
    hint: str = ""
    # Series shown once or not at all, and why ("“Ping” is shown once: it repeats every
    # second"): a rule Forumdeck will not expand stays that forum's own note.
    notes: list[str] = field(default_factory=list)


@dataclass
class CalendarResult:
    start: datetime
    end: datetime
    occurrences: list[Occurrence] = field(default_factory=list)
    forums: list[ForumCalendar] = field(default_factory=list)

    @property
    def categories(self) -> list[tuple[str, str]]:
        """(key, label) of every category seen, for the filter."""
        seen: dict[str, str] = {}
        for o in self.occurrences:
            seen.setdefault(o.category_key, f"{o.connection_name}: {o.category_label}")
        return sorted(seen.items(), key=lambda pair: pair[1].lower())

    def only(self, categories: set[str]) -> list[Occurrence]:
        if not categories:
            return self.occurrences
        return [o for o in self.occurrences if o.category_key in categories]


def clean_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationError("The end of the range must come after its start.")
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise ValidationError(
            f"That range is too long: ask for at most {MAX_RANGE_DAYS} days at a time."
        )
    if start.year < 1970 or end.year > 2200:
        raise ValidationError("Choose dates between 1970 and 2200.")


def _cache_key(connection: ForumConnection, start: datetime, end: datetime) -> str:
    # A connection edited (address, key) since is asked again.
    stamp = connection.updated_at.isoformat() if connection.updated_at else ""
    raw = f"{connection.pk}|{stamp}|{start.isoformat()}|{end.isoformat()}"
    return "forumdeck:calendar:" + hashlib.sha256(raw.encode()).hexdigest()


def _fetch(connection: ForumConnection, start: datetime, end: datetime, refresh: bool) -> dict:
    key = _cache_key(connection, start, end)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    answer: dict[str, Any]
    try:
        with get_client(connection) as client:
            answer = {"events": client.list_events(start=start, end=end)}
    except ForumError as exc:
        answer = {"error": str(exc)}
    cache.set(key, answer, settings.FORUMDECK_CALENDAR_CACHE_SECONDS)
    return answer


def _noted(event: CalendarEvent, start: datetime, end: datetime) -> str:
    name = (event.name or "(untitled)")[:120]
    if start <= event.starts_at < end:
        return f"“{name}” is shown once: {event.note}; the forum has its other dates."
    return f"“{name}” is not shown: {event.note}; the forum has its dates."


def calendar_events(
    *,
    start: datetime,
    end: datetime,
    connection_ids: list[int] | None = None,
    refresh: bool = False,
) -> CalendarResult:
    """Every chosen enabled forum's events starting in [start, end), soonest first."""
    clean_range(start, end)
    connections = enabled_connections(connection_ids)
    result = CalendarResult(start=start, end=end)
    asking = []
    for connection in connections:
        cls = client_class(connection.platform)
        outcome = ForumCalendar(connection.pk, connection.name)
        if not cls.supports(Capability.CALENDAR):
            outcome.offered = False
            outcome.hint = cls.words.extra.get("calendar_hint", "")
        else:
            asking.append(connection)
        result.forums.append(outcome)
    outcomes = {o.connection_id: o for o in result.forums}
    for connection, answer in fan_out(asking, lambda c: _fetch(c, start, end, refresh), "calendar"):
        if isinstance(answer, BaseException):
            if not isinstance(answer, ForumError):
                raise answer
            outcomes[connection.pk].error = str(answer)
        elif "error" in answer:
            outcomes[connection.pk].error = answer["error"]
        else:
            outcome = outcomes[connection.pk]
            told: set[int] = set()
            for event in answer["events"]:
                if event.dates_note and event.id not in told:
                    told.add(event.id)
                    outcome.notes.append(f"“{(event.name or '(untitled)')[:120]}”: "
                                         f"{event.dates_note}.")  # fmt: skip
                if event.dates_note and not start <= event.starts_at < end:
                    continue  # none of its dates the forum gives falls here: the note says so
                if event.note:
                    outcome.notes.append(_noted(event, start, end))
                    if not start <= event.starts_at < end:
                        continue  # the forum's date for it lies outside: the note says so
                outcome.count += 1
                result.occurrences.append(Occurrence(connection.pk, connection.name, event))
    result.occurrences.sort(key=lambda o: (o.event.starts_at, o.connection_name, o.event.id))
    return result


# --- where occurrences fall ------------------------------------------------------------------
@dataclass
class Day:
    day: date
    in_month: bool
    today: bool
    items: list[Occurrence] = field(default_factory=list)


def local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first and last dates of the grid: whole weeks, Monday first."""
    first = date(year, month, 1)
    last = date(year, month, pycalendar.monthrange(year, month)[1])
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def fetch_window(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC range to ask for: the grid's days in the viewer's zone, plus a day on each side
    (an all-day event's stored midnight may fall on the neighbouring date there)."""
    start = local_midnight(first - timedelta(days=1), zone).astimezone(UTC)
    end = local_midnight(last + timedelta(days=2), zone).astimezone(UTC)
    return start, end


def place(occurrences: list[Occurrence], first: date, last: date, zone: tzinfo) -> dict:
    """date -> the occurrences shown on it (all-day ones first), for dates in [first, last]."""
    by_day: dict[date, list[Occurrence]] = {}
    for occurrence in occurrences:
        for day in occurrence.days(zone):
            if first <= day <= last:
                by_day.setdefault(day, []).append(occurrence)
    for items in by_day.values():
        items.sort(key=lambda o: (not o.event.all_day, o.event.starts_at, o.connection_name))
    return by_day


def month_grid(
    *, year: int, month: int, zone: tzinfo, occurrences: list[Occurrence], today: date
) -> list[list[Day]]:
    first, last = month_bounds(year, month)
    by_day = place(occurrences, first, last, zone)
    weeks, day = [], first
    while day <= last:
        week = []
        for _ in range(7):
            week.append(Day(day, day.month == month, day == today, by_day.get(day, [])))
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


def agenda(
    *, first: date, days: int, zone: tzinfo, occurrences: list[Occurrence]
) -> list[tuple[date, list[Occurrence]]]:
    last = first + timedelta(days=days - 1)
    by_day = place(occurrences, first, last, zone)
    return sorted(by_day.items())


# --- feeds -----------------------------------------------------------------------------------
def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_for_token(token: str) -> CalendarFeed | None:
    """The active feed this token opens, if its owner may still see the calendar."""
    feed = (
        CalendarFeed.objects.filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    if feed is None or not feed.user.is_active or not feed.user.has_perm("forums.view_calendar"):
        return None
    return feed


def calendar_feeds(*, user) -> QuerySet[CalendarFeed]:
    return CalendarFeed.objects.filter(user=user).prefetch_related("connections")
