"""The calendar in the viewer's zone for the event kinds whose times the plugin writes without an
offset, on the older plugin (release 3.4) and the one in core (2026.1): an all-day event in
Toronto on its own date for a viewer in Tokyo and in New York, a show-local-time event at the
right moment with its own time and zone beside it, a series once per occurrence, and the
feed's all-day dates (issue 22, finding 2)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from forums.calendar import services

pytestmark = pytest.mark.django_db
BOTH = pytest.mark.parametrize("discourse_release", ["3.4", "2026.1"])
TORONTO_DAY, BERLIN_MEETUP, NEW_YORK_SERIES = 30_000, 30_001, 30_002

# A day cell of the month grid: its date, then everything up to the next cell.
CELL = re.compile(r'data-date="(\d{4}-\d{2}-\d{2})"(.*?)(?=data-date="|</div>\s*</div>\s*</div>)',
                  re.S)  # fmt: skip
# An agenda day: its date, then its events up to the next day.
AGENDA_DAY = re.compile(r'class="agenda-day" data-date="(\d{4}-\d{2}-\d{2})"(.*?)(?=<li|</ol>)',
                        re.S)  # fmt: skip


def held(app, event_id: int) -> dict:
    return next(e for e in app.events if e["id"] == event_id)


def month_page(viewer_client, month: str, zone: str) -> str:
    response = viewer_client.get(reverse("forums:calendar-month"), {"month": month, "tz": zone})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'Times in <strong class="tz-shown">{zone}</strong>' in html
    return html


@BOTH
def test_an_all_day_toronto_event_is_on_its_own_date_in_tokyo_and_new_york(
    viewer_client, discourse_connection, discourse_sandbox, discourse_release
):
    event = held(discourse_sandbox.app, TORONTO_DAY)
    day = event["starts_at"].astimezone(ZoneInfo("America/Toronto")).date()
    marker = f'data-event="{discourse_connection.pk}-{TORONTO_DAY}"'
    for zone in ("Asia/Tokyo", "America/New_York"):
        html = month_page(viewer_client, f"{day:%Y-%m}", zone)
        assert [d for d, body in CELL.findall(html) if marker in body] == [day.isoformat()], zone
        agenda = viewer_client.get(
            reverse("forums:calendar-agenda"),
            {"start": (day - timedelta(days=2)).isoformat(), "days": "5", "tz": zone},
        ).content.decode()
        assert [d for d, body in AGENDA_DAY.findall(agenda) if marker in body] == [
            day.isoformat()
        ], zone
        if discourse_release == "2026.1":
            # the plugin says all-day: no time is made up for it
            [cell] = [body for d, body in CELL.findall(html) if marker in body]
            assert "All day" in cell.split(marker)[1][:200]


@BOTH
def test_a_show_local_time_event_is_at_its_moment_with_its_own_time_beside(
    viewer_client, discourse_connection, discourse_sandbox, discourse_release
):
    event = held(discourse_sandbox.app, BERLIN_MEETUP)
    marker = f'data-event="{discourse_connection.pk}-{BERLIN_MEETUP}"'
    for zone in ("America/Los_Angeles", "Asia/Tokyo"):
        local = event["starts_at"].astimezone(ZoneInfo(zone))
        html = month_page(viewer_client, f"{local:%Y-%m}", zone)
        [(day, body)] = [(d, body) for d, body in CELL.findall(html) if marker in body]
        shown = body.split(marker)[1][:400]
        assert day == local.date().isoformat()
        assert local.strftime("%H:%M") in shown  # the viewer's time, not 18:00 read as UTC
        assert "(18:00 Europe/Berlin local)" in shown


@BOTH
def test_a_series_is_shown_on_each_of_its_dates(
    viewer_client, discourse_connection, discourse_sandbox, discourse_release
):
    """On the older plugin too, which names the series' next date and its rule only."""
    app = discourse_sandbox.app
    series = held(app, NEW_YORK_SERIES)
    tokyo = ZoneInfo("Asia/Tokyo")
    month_start = (app.now + timedelta(days=40)).astimezone(tokyo).replace(day=1)
    month = f"{month_start:%Y-%m}"
    html = month_page(viewer_client, month, "Asia/Tokyo")
    marker = f'data-event="{discourse_connection.pk}-{NEW_YORK_SERIES}-'
    shown = sorted(d for d, body in CELL.findall(html) if marker in body and d.startswith(month))
    expected = sorted(
        {
            start.astimezone(tokyo).date().isoformat()
            for _, start in app.occurrences_between(
                month_start - timedelta(days=2), month_start + timedelta(days=40)
            )
            if _ == NEW_YORK_SERIES
        }
        & {d for d, _ in CELL.findall(html) if d.startswith(month)}
    )
    assert len(shown) >= 4 and shown == expected
    # 19:00 in New York is the next morning in Tokyo, every week, summer time or not
    weekday = (series["starts_at"].astimezone(ZoneInfo("America/New_York")).weekday() + 1) % 7
    from datetime import date

    assert {date.fromisoformat(d).weekday() for d in shown} == {weekday}


@BOTH
def test_the_feed_writes_all_day_dates_and_local_times_in_their_zone(
    client, viewer, discourse_connection, discourse_sandbox, discourse_release
):
    app = discourse_sandbox.app
    _, token = services.calendar_feed_create(
        user=viewer, name="Ours", connections=[discourse_connection]
    )
    response = client.get(reverse("forums:calendar-feed", args=[token]))
    assert response.status_code == 200
    by_id = {}
    for vevent in Calendar.from_ical(response.content).walk("VEVENT"):
        found = re.search(r"-event-(\d+)", str(vevent["UID"]))
        by_id.setdefault(int(found.group(1)), vevent)
    day = held(app, TORONTO_DAY)["starts_at"].astimezone(ZoneInfo("America/Toronto")).date()
    toronto = by_id[TORONTO_DAY]
    if discourse_release == "2026.1":
        assert toronto["DTSTART"].params.get("VALUE") == "DATE"
        assert toronto.decoded("DTSTART") == day
        assert toronto.decoded("DTEND") == day + timedelta(days=1)
    else:  # no all-day events on the older plugin: midnight in Toronto
        assert toronto.decoded("DTSTART") == held(app, TORONTO_DAY)["starts_at"]
    meetup = by_id[BERLIN_MEETUP]
    assert meetup["DTSTART"].params.get("TZID") == "Europe/Berlin"
    assert meetup.decoded("DTSTART").hour == 18
    assert meetup.decoded("DTSTART") == held(app, BERLIN_MEETUP)["starts_at"]


@BOTH
def test_dates_the_older_plugin_does_not_give_are_said_not_silently_missing(
    viewer_client, discourse_connection, discourse_sandbox, discourse_release
):
    app = discourse_sandbox.app
    # The series ran then; the older plugin names its next date only.
    month = f"{app.now - timedelta(days=62):%Y-%m}"
    html = month_page(viewer_client, month, "UTC")
    marker = f'data-event="{discourse_connection.pk}-{NEW_YORK_SERIES}-'
    said = "this forum&#x27;s older calendar plugin gives its dates from"
    if discourse_release == "3.4":
        assert marker not in html
        assert f"“New York evening call (local time)”: {said}" in html
    else:
        assert marker in html and said not in html
