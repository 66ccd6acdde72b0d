"""The merged iCalendar feed, built with ``icalendar`` (RFC 5545: escaping, folding, time
zones). UIDs depend only on the forum and the event, so a calendar app that fetches the feed
again updates its copies instead of adding new ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone
from icalendar import Calendar, Event, vRecur

from forums.clients.recurrence import rule_problem
from forums.models import CalendarFeed

from .selectors import Occurrence, all_day_date, calendar_events

FEED_PAST_DAYS = 31
FEED_FUTURE_DAYS = 366  # with the past days, within selectors.MAX_RANGE_DAYS
PRODID = "-//Forumdeck//merged forum calendar//EN"


def _uid(occurrence: Occurrence, base_url: str, *, per_occurrence: bool) -> str:
    host = urlsplit(base_url).hostname or f"forum-{occurrence.connection_id}"
    key = occurrence.event.occurrence_key if per_occurrence else str(occurrence.event.id)
    return f"forumdeck-{occurrence.connection_id}-event-{key}@{host}"


def _zone(name: str):
    try:
        return ZoneInfo(name) if name and name.upper() not in ("UTC", "ETC/UTC", "Z") else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        return UTC


def _rule(text: str) -> vRecur | None:
    """The forum's rule for a calendar app to expand, only where Forumdeck would expand it
    too: a subscriber's app must not be handed ``FREQ=SECONDLY`` from the year 2000."""
    if rule_problem(text):
        return None
    try:
        rule = vRecur.from_ical(text)
    except (ValueError, TypeError):
        return None
    return rule if rule.get("FREQ") else None


def _vevent(occurrence: Occurrence, base_url: str, *, series: bool, forum_name: str) -> Event:
    event = occurrence.event
    rule = _rule(event.rrule) if series else None
    ve = Event()
    ve.add("uid", _uid(occurrence, base_url, per_occurrence=rule is None and event.recurring))
    ve.add("dtstamp", timezone.now().astimezone(UTC))
    ve.add("summary", event.name or "(untitled event)")
    start = event.starts_at
    if rule is not None and event.series_starts_at:
        start = event.series_starts_at  # the RRULE counts from the series' first date
    duration = event.ends_at - event.starts_at if event.ends_at else None
    if event.all_day:
        # DTSTART;VALUE=DATE / DTEND;VALUE=DATE (the day after the last): the event's own dates,
        # whatever zone the calendar app is in (RFC 5545 3.6.1).
        if event.start_date is not None:
            first = event.start_date
            if rule is not None and event.series_starts_at:
                first = all_day_date(event.series_starts_at, event.timezone)
            days = ((event.end_date or event.start_date) - event.start_date).days + 1
        else:
            first = all_day_date(start, event.timezone)
            days = 1
            if duration is not None:
                days = max((all_day_date(start + duration, event.timezone) - first).days, 1)
        ve.add("dtstart", first)
        ve.add("dtend", first + timedelta(days=max(days, 1)))
    else:
        zone = _zone(event.timezone)
        ve.add("dtstart", start.astimezone(zone))
        if duration is not None:
            ve.add("dtend", (start + duration).astimezone(zone))
    if rule is not None:
        ve.add("rrule", rule)
    if event.url:
        ve.add("url", event.url)
    if event.location:
        ve.add("location", event.location)
    note = f"Shown once: {event.note}; the forum has its other dates." if event.note else ""
    description = "\n\n".join(
        part
        for part in (event.description, note, f"On {forum_name}: {event.url or base_url}")
        if part
    )
    ve.add("description", description)
    if event.category_slug:
        ve.add("categories", [event.category_slug])
    return ve


def feed_calendar(*, feed: CalendarFeed, now: datetime | None = None) -> Calendar:
    """The events of the feed's forums from a month back to a year ahead. A forum that
    cannot be asked now is left out of this answer (the calendar app asks again later)."""
    now = now or timezone.now()
    connections = {c.pk: c for c in feed.connections.filter(enabled=True)}
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", feed.name)
    if not connections:
        return cal
    result = calendar_events(
        start=now - timedelta(days=FEED_PAST_DAYS),
        end=now + timedelta(days=FEED_FUTURE_DAYS),
        connection_ids=list(connections),
    )
    series_done: set[tuple[int, int]] = set()
    for occurrence in result.occurrences:
        connection = connections[occurrence.connection_id]
        event = occurrence.event
        if event.recurring and not event.note and _rule(event.rrule) is not None:
            # One VEVENT with the forum's RRULE stands for every occurrence of the series.
            key = (occurrence.connection_id, event.id)
            if key in series_done:
                continue
            series_done.add(key)
            cal.add_component(
                _vevent(occurrence, connection.base_url, series=True, forum_name=connection.name)
            )
            continue
        cal.add_component(
            _vevent(occurrence, connection.base_url, series=False, forum_name=connection.name)
        )
    cal.add_missing_timezones()
    return cal


def feed_ics(*, feed: CalendarFeed) -> bytes:
    return feed_calendar(feed=feed).to_ical()
