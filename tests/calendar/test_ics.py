"""The private feed: valid iCalendar (parsed with icalendar), stable UIDs, time zones or
all-day dates, RRULE kept, the topic's URL; and a token that opens this feed only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from forums.calendar import services
from forums.calendar.ics import _vevent
from forums.calendar.selectors import Occurrence, hash_token
from forums.clients.records import CalendarEvent
from forums.models import AuditEntry, CalendarFeed

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(viewer, discourse_connection):
    feed, token = services.calendar_feed_create(user=viewer, name="Our events",
                                                connections=[discourse_connection])  # fmt: skip
    return feed, token


def fetch(client, token: str):
    return client.get(reverse("forums:calendar-feed", args=[token]))


def parse(response) -> Calendar:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_the_feed_is_valid_icalendar_with_stable_uids(client, feed, discourse_sandbox):
    _, token = feed
    first = parse(fetch(client, token))  # no session: the token alone
    assert str(first["X-WR-CALNAME"]) == "Our events"
    events = first.walk("VEVENT")
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)) > 20
    again = parse(fetch(client, token))
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == uids  # calendar apps update, not add
    app = discourse_sandbox.app
    one_off = next(e for e in app.events if not e.get("recurrence")
                   and e["starts_at"] > app.now)  # fmt: skip
    [vevent] = [e for e in events if f"-event-{one_off['id']}@" in str(e["UID"])]
    assert str(vevent["SUMMARY"]) == one_off["name"]
    assert str(vevent["URL"]).startswith(discourse_sandbox.url + "/t/")
    assert str(vevent["URL"]).endswith(f"/{one_off['topic_id']}/1")
    assert str(vevent["LOCATION"]) == one_off["location"]


def test_time_zones_all_day_dates_and_rules(client, feed, discourse_sandbox):
    cal = parse(fetch(client, feed[1]))
    app = discourse_sandbox.app
    by_id = {}
    for vevent in cal.walk("VEVENT"):
        event_id = int(str(vevent["UID"]).split("-event-")[1].split("@")[0].split("-")[0])
        by_id[event_id] = vevent
    zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    berlin = next(e for e in app.events if e["timezone"] == "Europe/Berlin" and not e["all_day"]
                  and e["starts_at"] > app.now)  # fmt: skip
    start = by_id[berlin["id"]].decoded("DTSTART")
    assert str(start.tzinfo) == "Europe/Berlin" and start == berlin["starts_at"]
    assert by_id[berlin["id"]]["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert "Europe/Berlin" in zones  # a VTIMEZONE for every TZID used
    all_day = next(e for e in app.events if e["all_day"] and e["starts_at"] > app.now)
    assert by_id[all_day["id"]].decoded("DTSTART") == all_day["starts_at"].date()
    assert by_id[all_day["id"]].decoded("DTEND") == all_day["starts_at"].date() + timedelta(1)
    # A series is one VEVENT carrying the forum's RRULE, from its first date.
    series = next(e for e in app.events if e.get("recurrence") == "every_two_weeks")
    rule = by_id[series["id"]]["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["INTERVAL"] == [2]
    assert by_id[series["id"]].decoded("DTSTART") == series["starts_at"]
    daily = [v for v in cal.walk("VEVENT") if str(v["SUMMARY"]) == "Daily stand-up (staff)"]
    assert len(daily) == 1


def test_an_event_with_no_end_and_one_in_an_unknown_zone():
    event = CalendarEvent(id=7, name="Open end", starts_at=datetime(2026, 5, 1, 18, tzinfo=UTC),
                          timezone="Nowhere/Land", url="https://f.example/t/x/7")  # fmt: skip
    vevent = _vevent(Occurrence(1, "F", event), "https://f.example", series=False, forum_name="F")
    assert "DTEND" not in vevent and vevent.decoded("DTSTART") == event.starts_at
    assert str(vevent["UID"]) == "forumdeck-1-event-7@f.example"
    day = CalendarEvent(id=8, name="Holiday", starts_at=datetime(2026, 5, 1, tzinfo=UTC),
                        all_day=True, timezone="America/Toronto")  # fmt: skip
    vday = _vevent(Occurrence(1, "F", day), "https://f.example", series=False, forum_name="F")
    assert vday.decoded("DTSTART") == date(2026, 5, 1)
    assert vday.decoded("DTEND") == date(2026, 5, 2)


def test_a_wrong_revoked_or_rotated_token_is_404_and_says_nothing(client, viewer, feed):
    feed_row, token = feed
    wrong = fetch(client, "x" * 43)
    malformed = client.get(f"/forums/calendar/feed/{'%2e' * 5}.ics")
    feed_row2, new_token = services.calendar_feed_rotate(user=viewer, feed_id=feed_row.pk)
    rotated = fetch(client, token)
    assert fetch(client, new_token).status_code == 200
    services.calendar_feed_revoke(user=viewer, feed_id=feed_row.pk)
    revoked = fetch(client, new_token)
    for response in (wrong, malformed, rotated, revoked):
        assert response.status_code == 404
        assert response.content == b"Not found.\n"
    assert [
        e.action for e in AuditEntry.objects.exclude(action__startswith="account.").order_by("id")
    ] == [
        "calendar_feed.create",
        "calendar_feed.rotate",
        "calendar_feed.revoke",
    ]


def test_the_token_is_stored_hashed_and_grants_nothing_else(client, viewer, feed):
    feed_row, token = feed
    stored = CalendarFeed.objects.get(pk=feed_row.pk)
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert len(token) >= 40
    # Neither as a session nor as a parameter does the token open any other page.
    for url in ("/", reverse("forums:calendar-month"), reverse("forums:backup-list")):
        response = client.get(f"{url}?token={token}")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    viewer.is_active = False
    viewer.save()
    assert fetch(client, token).status_code == 404  # an owner who lost access


def test_feeds_are_one_persons_own(client, viewer, moderator, feed):
    feed_row, _ = feed
    client.force_login(moderator)
    response = client.post(reverse("forums:calendar-feed-revoke", args=[feed_row.pk]),
                           follow=True)  # fmt: skip
    assert "does not exist or is revoked" in response.content.decode()
    assert CalendarFeed.objects.get(pk=feed_row.pk).active
    assert "Our events" not in client.get(reverse("forums:calendar-feeds")).content.decode()
