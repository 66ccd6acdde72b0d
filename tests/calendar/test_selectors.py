"""Merged calendar reading against the sandbox Discourse: several forums, one failing, NodeBB
not offering, ranges, recurring and all-day events in different time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from forums.calendar import selectors
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(discourse_sandbox):
    return discourse_sandbox.app


def test_events_of_every_forum_merged_and_one_failing_alone(
    discourse_connection, nodebb_connection, app
):
    down = ForumConnectionFactory(name="Down forum", base_url="http://127.0.0.1:9",
                                  api_key="k" * 20)  # fmt: skip
    start, end = app.now, app.now + timedelta(days=14)
    result = selectors.calendar_events(start=start, end=end)
    outcomes = {f.connection_name: f for f in result.forums}
    assert outcomes["Down forum"].error and outcomes["Down forum"].count == 0
    assert not outcomes["Sandbox NodeBB"].offered
    assert "socket.io" in outcomes["Sandbox NodeBB"].hint
    want = app.occurrences_between(start, end)
    assert outcomes["Sandbox Discourse"].count == len(want) > 14
    assert [(o.event.id, o.event.starts_at) for o in result.occurrences] == [
        (i, s) for i, s in sorted(want, key=lambda p: (p[1], p[0]))
    ]
    assert {o.connection_id for o in result.occurrences} == {discourse_connection.pk}
    assert down.pk in {f.connection_id for f in result.forums}


def test_answers_are_cached_briefly_and_refresh_asks_again(discourse_connection, app):
    start, end = app.now, app.now + timedelta(days=7)
    selectors.calendar_events(start=start, end=end)
    calls = app.calls.count("GET", "/discourse-post-event/events.json")
    selectors.calendar_events(start=start, end=end)
    assert app.calls.count("GET", "/discourse-post-event/events.json") == calls
    selectors.calendar_events(start=start, end=end, refresh=True)
    assert app.calls.count("GET", "/discourse-post-event/events.json") > calls


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC), "too long"),
        (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), "must come after"),
        (datetime(1900, 1, 1, tzinfo=UTC), datetime(1900, 2, 1, tzinfo=UTC), "between 1970"),
    ],
)
def test_absurd_ranges_are_refused_plainly(discourse_connection, app, start, end, words):
    with pytest.raises(ValidationError, match=words):
        selectors.calendar_events(start=start, end=end)
    assert app.calls.count("GET", "/discourse-post-event/events.json") == 0


def test_a_recurring_event_is_on_each_day_it_occurs(discourse_connection, app):
    zone = ZoneInfo("Europe/Berlin")
    today = app.now.astimezone(zone).date()
    year, month = today.year, today.month
    first, last = selectors.month_bounds(year, month)
    start, end = selectors.fetch_window(first, last, zone)
    result = selectors.calendar_events(start=start, end=end)
    weeks = selectors.month_grid(year=year, month=month, zone=zone,
                                 occurrences=result.occurrences, today=today)  # fmt: skip
    days = [d for week in weeks for d in week]
    assert days[0].day.weekday() == 0 and len(days) % 7 == 0
    assert all(any(o.event.name == "Daily stand-up (staff)" for o in d.items) for d in days)


def test_all_day_events_stay_on_their_date_in_every_zone(discourse_connection, app):
    event = next(e for e in app.events if e["all_day"] and e["starts_at"] > app.now)
    day = event["starts_at"].date()
    start, end = event["starts_at"] - timedelta(days=2), event["starts_at"] + timedelta(days=2)
    result = selectors.calendar_events(start=start, end=end)
    [occurrence] = [o for o in result.occurrences if o.event.id == event["id"]]
    for zone in ("Pacific/Honolulu", "Asia/Tokyo", "UTC", "America/Toronto"):
        assert occurrence.days(ZoneInfo(zone)) == [day]
    # A timed event moves with the viewer's zone.
    timed = next(o for o in result.occurrences if not o.event.all_day
                 and o.event.starts_at.hour >= 12)  # fmt: skip
    assert timed.days(ZoneInfo("Asia/Tokyo"))[0] == timed.event.starts_at.date() + timedelta(1)
    assert timed.days(ZoneInfo("UTC"))[0] == timed.event.starts_at.date()


def test_all_day_date_whether_stored_as_utc_or_local_midnight():
    berlin_midnight = datetime(2026, 3, 14, tzinfo=ZoneInfo("Europe/Berlin"))
    assert selectors.all_day_date(berlin_midnight, "Europe/Berlin") == date(2026, 3, 14)
    utc_midnight = datetime(2026, 3, 14, tzinfo=UTC)
    assert selectors.all_day_date(utc_midnight, "America/Toronto") == date(2026, 3, 14)
    assert selectors.all_day_date(utc_midnight, "Asia/Tokyo") == date(2026, 3, 14)
    assert selectors.all_day_date(utc_midnight, "not a zone") == date(2026, 3, 14)
