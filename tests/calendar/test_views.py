"""Calendar pages: the month grid and agenda in the viewer's zone, filters, bad input,
permissions, and making a feed (its address shown once)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from forums.models import CalendarFeed

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def app(discourse_sandbox):
    return discourse_sandbox.app


# A day cell of the month grid: its date, then everything up to the next cell.
CELL = re.compile(r'data-date="(\d{4}-\d{2}-\d{2})"(.*?)(?=data-date="|</div>\s*</div>\s*</div>)',
                  re.S)  # fmt: skip


def test_month_view_puts_a_timed_event_on_its_day_in_the_viewers_zone(
    viewer_client, discourse_connection, app
):
    # An event late in the UTC evening is on the next day in Tokyo.
    event = next(e for e in app.events if not e["all_day"] and not e.get("recurrence")
                 and e["starts_at"] > app.now and e["starts_at"].hour >= 16)  # fmt: skip
    marker = f'data-event="{discourse_connection.pk}-{event["id"]}"'
    for zone in ("UTC", "Asia/Tokyo"):
        local = event["starts_at"].astimezone(ZoneInfo(zone))
        # The month the viewer would open: in Tokyo a 31 January evening is 1 February,
        # which January's grid does not show when the month ends on a Sunday.
        month = local.strftime("%Y-%m")
        html = viewer_client.get(reverse("forums:calendar-month"),
                                 {"month": month, "tz": zone}).content.decode()  # fmt: skip
        assert f'Times in <strong class="tz-shown">{zone}</strong>' in html
        where = [d for d, body in CELL.findall(html) if marker in body]
        assert where == [local.strftime("%Y-%m-%d")], zone
        assert local.strftime("%H:%M") in html


def test_month_view_filters_by_forum_and_category(viewer_client, discourse_connection, app):
    month = app.now.strftime("%Y-%m")
    html = viewer_client.get(reverse("forums:calendar-month"), {"month": month}).content.decode()
    assert "Daily stand-up (staff)" in html
    assert f'value="{discourse_connection.pk}:4"' in html  # the categories seen
    category = f"{discourse_connection.pk}:3"
    only_3 = viewer_client.get(reverse("forums:calendar-month"),
                               {"month": month, "category": category})  # fmt: skip
    assert "Daily stand-up (staff)" not in only_3.content.decode()
    assert "Local meetup" in html or "Workshop" in html


def test_ask_again_reads_the_forums_fresh(viewer_client, discourse_connection, app):
    url = reverse("forums:calendar-month")
    html = viewer_client.get(url, {"tz": "UTC"}).content.decode()
    asked = app.calls.count("GET", "/discourse-post-event/events.json")
    viewer_client.get(url, {"tz": "UTC"})
    assert app.calls.count("GET", "/discourse-post-event/events.json") == asked  # cached
    assert 'href="?tz=UTC&amp;refresh=1"' in html
    viewer_client.get(url, {"tz": "UTC", "refresh": "1"})
    assert app.calls.count("GET", "/discourse-post-event/events.json") > asked


def test_htmx_gets_the_calendar_partial(viewer_client, discourse_connection):
    response = viewer_client.get(reverse("forums:calendar-month"), headers=HX)
    html = response.content.decode()
    assert 'id="calendar-view"' in html and "<html" not in html


def test_bad_input_gets_a_plain_message(viewer_client, discourse_connection, app):
    html = viewer_client.get(reverse("forums:calendar-month"),
                             {"month": "9999-77", "tz": "Mars/Base"}).content.decode()  # fmt: skip
    assert "Give a month as YYYY-MM" in html and "“Mars/Base” is not a time zone" in html
    html = viewer_client.get(reverse("forums:calendar-agenda"), {"days": "5000"}).content.decode()
    assert "less than or equal to 92" in html
    html = viewer_client.get(reverse("forums:calendar-agenda"),
                             {"start": "0001-01-01"}).content.decode()  # fmt: skip
    assert "between 1970 and 2200" in html


def test_no_time_zone_from_the_browser_is_said(viewer_client, discourse_connection):
    html = viewer_client.get(reverse("forums:calendar-month")).content.decode()
    assert "Your browser did not say which time zone" in html
    viewer_client.cookies["forumdeck_tz"] = "America/Toronto"
    html = viewer_client.get(reverse("forums:calendar-month")).content.decode()
    assert "Your browser did not say" not in html and "America/Toronto" in html


def test_agenda_lists_days_with_their_events(viewer_client, discourse_connection, nodebb_connection,
                                             app):  # fmt: skip
    start = app.now.date()
    query = {"start": start.isoformat(), "days": "7", "tz": "UTC"}
    response = viewer_client.get(reverse("forums:calendar-agenda"), query)
    html = response.content.decode()
    assert html.count('class="agenda-day"') == 7  # the daily series is on every day
    assert "Sandbox NodeBB</strong>:\n    not offered by this forum." in html
    assert f'data-date="{(start + timedelta(days=6)).isoformat()}"' in html


def test_permissions(client, make_user, discourse_connection):
    nobody = make_user("nobody")
    client.force_login(nobody)
    for name in ("calendar-month", "calendar-agenda", "calendar-feeds"):
        assert client.get(reverse(f"forums:{name}")).status_code == 403
    assert client.post(reverse("forums:calendar-feeds"), {"name": "x"}).status_code == 403
    assert not CalendarFeed.objects.exists()


def test_making_a_feed_shows_its_address_once(
    viewer_client, discourse_connection, nodebb_connection
):
    page = viewer_client.get(reverse("forums:calendar-feeds")).content.decode()
    assert "Sandbox Discourse" in page and "Sandbox NodeBB" not in page  # no calendar there
    response = viewer_client.post(
        reverse("forums:calendar-feeds"), {"name": "Team", "forums": [discourse_connection.pk]}
    )
    html = response.content.decode()
    url = re.search(r'value="(http://testserver/forums/calendar/feed/[^"]+\.ics)"', html).group(1)
    assert viewer_client.get(url).status_code == 200
    again = viewer_client.get(reverse("forums:calendar-feeds")).content.decode()
    assert url not in again and "Team" in again
    refused = viewer_client.post(reverse("forums:calendar-feeds"), {"name": "Empty"})
    assert refused.status_code == 422 and "This field is required" in refused.content.decode()


def test_the_time_zone_is_searched_with_the_viewers_zone_first(viewer_client, discourse_connection):
    """Issue 26, item 16: a field to type in with its list of zones (the browser filters it),
    the viewer's own zone first and the common ones next; "asia/tokyo" is Asia/Tokyo."""
    viewer_client.cookies["forumdeck_tz"] = "Asia/Kolkata"
    html = viewer_client.get(reverse("forums:calendar-month")).content.decode()
    assert 'name="tz"' in html and 'list="id_tz-zones"' in html and '<select name="tz"' not in html
    zones = html[html.index('<datalist id="id_tz-zones">') :].split("</datalist>")[0]
    first = re.findall(r'<option value="([^"]+)"', zones)[:3]
    assert first == ["Asia/Kolkata", "UTC", "America/Los_Angeles"]
    assert 'label="Asia/Kolkata · your zone"' in zones and 'label="UTC · common"' in zones
    typed = viewer_client.get(reverse("forums:calendar-month"), {"tz": "asia/tokyo"})
    assert 'Times in <strong class="tz-shown">Asia/Tokyo</strong>' in typed.content.decode()
