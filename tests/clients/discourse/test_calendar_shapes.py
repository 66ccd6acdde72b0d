"""The Discourse client reads every shape the calendar plugin answers, on the older plugin
(release 3.4) and the one in core (2026.1): all-day events keep their dates, show-local-time
events are read in their own zone, and a series comes once per occurrence at its wall-clock
time (issue 22, finding 2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from forums.clients.discourse.calendar import event_time, split_rrule

from .helpers import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
)

TORONTO_DAY, BERLIN_MEETUP, NEW_YORK_SERIES = 30_000, 30_001, 30_002
EVENTS = "/discourse-post-event/events.json"
BOTH = pytest.mark.parametrize("discourse_release", ["3.4", "2026.1"])


def seeded(sandbox, event_id: int) -> dict:
    return next(e for e in sandbox.events if e["id"] == event_id)


def window(sandbox, event_id: int, days: int = 3) -> tuple[datetime, datetime]:
    starts = seeded(sandbox, event_id)["starts_at"]
    return starts - timedelta(days=days), starts + timedelta(days=days)


# --- the plugin's times ------------------------------------------------------------------------
def test_a_date_is_a_date_and_a_time_without_offset_is_the_events_own():
    berlin = ZoneInfo("Europe/Berlin")
    assert event_time("2026-03-10", berlin) == (datetime(2026, 3, 10, tzinfo=UTC), True)
    # 18:00 in Berlin (winter, +01:00), not 18:00 UTC
    assert event_time("2026-03-10T18:00:00", berlin) == (datetime(2026, 3, 10, 17, tzinfo=UTC),
                                                        False)  # fmt: skip
    assert event_time("2026-03-10T18:00:00.000-04:00", berlin)[0] == datetime(
        2026, 3, 10, 22, tzinfo=UTC
    )
    assert event_time("2026-13-45", berlin) == (None, False)
    rule, first = split_rrule("DTSTART:20260105T190000\nRRULE:FREQ=WEEKLY", ZoneInfo("Asia/Tokyo"))
    assert rule == "FREQ=WEEKLY" and first == datetime(2026, 1, 5, 10, tzinfo=UTC)


# --- against both plugin versions --------------------------------------------------------------
@BOTH
def test_the_client_asks_for_the_detailed_shape(client, sandbox, discourse_release):
    start, end = window(sandbox, BERLIN_MEETUP)
    events = {e.id: e for e in client.list_events(start=start, end=end)}
    calls = [c for c in sandbox.calls.records() if c.path == EVENTS]
    assert calls and all("include_details=true" in c.query for c in calls)
    meetup = events[BERLIN_MEETUP]
    assert meetup.location == "Berlin" and meetup.description  # detailed-only fields


@BOTH
def test_an_all_day_toronto_event_keeps_its_date(client, sandbox, discourse_release):
    held = seeded(sandbox, TORONTO_DAY)
    day = held["starts_at"].astimezone(ZoneInfo("America/Toronto")).date()
    start, end = window(sandbox, TORONTO_DAY)
    [event] = [e for e in client.list_events(start=start, end=end) if e.id == TORONTO_DAY]
    if discourse_release == "3.4":
        # The older plugin has no all-day events: it is a time, midnight in Toronto.
        assert not event.all_day and event.start_date is None
        assert event.starts_at == held["starts_at"]
        for zone in ("Asia/Tokyo", "America/New_York"):
            assert event.starts_at.astimezone(ZoneInfo(zone)).date() == day
    else:
        assert event.all_day and event.start_date == event.end_date == day
        assert event.starts_at == datetime(day.year, day.month, day.day, tzinfo=UTC)


@BOTH
def test_a_show_local_time_event_is_read_in_its_own_zone(client, sandbox, discourse_release):
    held = seeded(sandbox, BERLIN_MEETUP)
    start, end = window(sandbox, BERLIN_MEETUP)
    [event] = [e for e in client.list_events(start=start, end=end) if e.id == BERLIN_MEETUP]
    assert event.starts_at == held["starts_at"]
    assert event.starts_at.astimezone(ZoneInfo("Europe/Berlin")).hour == 18
    assert event.show_local_time and event.timezone == "Europe/Berlin"


@BOTH
def test_a_local_time_series_comes_once_per_week_at_its_wall_clock_time(
    client, sandbox, discourse_release
):
    start, end = sandbox.now, sandbox.now + timedelta(days=200)  # across a summer-time change
    series = [e for e in client.list_events(start=start, end=end) if e.id == NEW_YORK_SERIES]
    new_york = ZoneInfo("America/New_York")
    assert len(series) >= 27
    assert {e.starts_at.astimezone(new_york).strftime("%a %H:%M") for e in series} == {
        seeded(sandbox, NEW_YORK_SERIES)["starts_at"].astimezone(new_york).strftime("%a %H:%M")
    }
    assert len({e.starts_at.utcoffset() for e in series}) == 1  # all in UTC
    assert len({e.starts_at.astimezone(UTC).hour for e in series}) == 2  # EST and EDT
    starts = [e.starts_at for e in series]
    assert starts == sorted(starts) and all(b - a <= timedelta(days=7, hours=1)
                                            for a, b in zip(starts, starts[1:]))  # fmt: skip
    assert all(e.recurring and e.occurrence_key != series[0].occurrence_key
               for e in series[1:])  # fmt: skip


# --- the shapes the client does not ask for, but may be answered -----------------------------
def _rows(client, **params) -> list[dict]:
    payload = client._json("GET", EVENTS, params=params)
    return payload if isinstance(payload, list) else payload["events"]


def test_the_basic_shape_still_gives_dates_and_local_times(client, sandbox):
    """BasicEventSerializer: no all_day, location or occurrences; a date alone says all-day,
    and a series is expanded from its rrule (DTSTART with the event's TZID)."""
    start, end = sandbox.now - timedelta(days=1), sandbox.now + timedelta(days=60)
    rows = {r["id"]: r for r in _rows(client, after=start.isoformat(), before=end.isoformat())}
    day = rows[TORONTO_DAY]
    assert "all_day" not in day and "location" not in day and "occurrences" not in day
    event = client._event(day)
    held = seeded(sandbox, TORONTO_DAY)["starts_at"].astimezone(ZoneInfo("America/Toronto"))
    assert event.all_day and event.start_date == held.date()
    series = rows[NEW_YORK_SERIES]
    record = client._event(series)
    found = client._occurrences(series, record, start=start, end=end)
    new_york = ZoneInfo("America/New_York")
    assert len(found) >= 8
    assert {e.starts_at.astimezone(new_york).hour for e in found} == {19}


def test_the_older_plugins_summary_shape_lists_upcoming_dates(client, sandbox):
    """b1ace0a EventSummarySerializer: a bare array, a series' upcoming_dates, no rrule."""
    sandbox.config.legacy_events_plugin = True
    rows = {r["id"]: r for r in _rows(client, include_expired="true")}
    series = rows[NEW_YORK_SERIES]
    assert "rrule" not in series and "occurrences" not in series and series["upcoming_dates"]
    record = client._event(series)
    start, end = sandbox.now, sandbox.now + timedelta(days=90)
    found = client._occurrences(series, record, start=start, end=end)
    assert len(found) >= 12
    assert {e.starts_at.astimezone(ZoneInfo("America/New_York")).hour for e in found} == {19}
    assert isinstance(found[0].starts_at.date(), date)


def test_the_older_plugins_rule_with_an_end_still_reads(client):
    """b1ace0a RRuleConfigurator.rule: "FREQ=WEEKLY;INTERVAL=2;" + ";UNTIL=…" (two ";")."""
    row = {"id": 1, "name": "Fortnightly", "starts_at": "2026-01-05T14:00:00.000Z",
           "ends_at": "2026-01-05T15:00:00.000Z", "timezone": "America/Toronto",
           "recurrence": "every_two_weeks",
           "recurrence_rule": "FREQ=WEEKLY;INTERVAL=2;;UNTIL=20260301T000000Z"}  # fmt: skip
    event = client._event(row)
    found = client._occurrences(row, event, start=datetime(2026, 1, 1, tzinfo=UTC),
                                end=datetime(2026, 6, 1, tzinfo=UTC))  # fmt: skip
    assert event.rrule == "FREQ=WEEKLY;INTERVAL=2;UNTIL=20260301T000000Z" and not found[0].note
    assert [e.starts_at.day for e in found] == [5, 19, 2, 16]


def test_a_forum_without_the_calendar_plugin_says_it_offers_no_calendar(client, sandbox):
    """Row "calendar not enabled": without the plugin (or with discourse_post_event_enabled
    off) events.json answers 404; that is "no calendar here", not an error."""
    from forums.clients.errors import CapabilityNotOffered

    sandbox.config.events_plugin_enabled = False
    with pytest.raises(CapabilityNotOffered, match="calendar plugin is not installed"):
        client.list_events(
            start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2026, 2, 1, tzinfo=UTC)
        )
    assert sandbox.calls.count("GET", "/discourse-post-event/events.json") == 1
