"""Backups and the calendar in Chromium: back up and watch it reach "done"; the month view
in two time zones; a calendar feed made, fetched, revoked and refused."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from icalendar import Calendar
from playwright.sync_api import expect

from forums.models import AuditEntry, BackupRun, CalendarFeed
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_back_up_now_and_watch_it_reach_done(page, live_server, make_user, discourse_connection,
                                             discourse_sandbox):  # fmt: skip
    app = discourse_sandbox.app
    make_user("moe", "Moderator")
    sign_in(page, live_server, "moe", "pw-moe-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Backups").click()
    row = page.get_by_role("row", name="Sandbox Discourse")
    expect(row).to_contain_text("Stale")  # its newest backup is 27 hours old
    row.get_by_role("link", name="Sandbox Discourse").click()
    page.get_by_label("Include uploads (images and attachments)").check()
    page.get_by_role("button", name="Back up now").click()

    run = page.locator("#backup-run")
    expect(run.locator(".state")).to_have_text("Running")
    expect(run.locator("progress")).to_be_visible()
    # The page reads the forum's status by itself until the forum's backup job ends.
    expect(run.locator(".state")).to_have_text("Done", timeout=20_000)
    done = BackupRun.objects.get()
    assert done.filename.endswith(".tar.gz")
    expect(run).to_contain_text(f"Backup {done.filename} is ready.")
    expect(run.locator("progress")).to_have_count(0)
    page.get_by_role("link", name="Show the forum's backups").click()
    expect(page.get_by_role("cell", name=done.filename, exact=True)).to_be_visible()
    assert app.calls.count("GET", "/admin/backups/status.json") >= 2
    assert list(
        AuditEntry.objects.exclude(action__startswith="account.")
        .order_by("id")
        .values_list("action", "outcome")
    ) == [
        ("backup.start", "success"),
        ("backup.finish", "success"),
    ]


def _event_on_different_days(app):
    """A timed one-off event whose date differs between Berlin and Los Angeles."""
    berlin, los_angeles = ZoneInfo("Europe/Berlin"), ZoneInfo("America/Los_Angeles")
    for event in app.events:
        start = event["starts_at"]
        if event["all_day"] or event.get("recurrence") or start < app.now + timedelta(days=1):
            continue
        if start.astimezone(berlin).date() != start.astimezone(los_angeles).date():
            return event
    raise AssertionError("the seeded calendar has no such event")


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Los_Angeles"])
def test_the_month_view_in_two_time_zones(browser, live_server, make_user, discourse_connection,
                                          discourse_sandbox, zone):  # fmt: skip
    app = discourse_sandbox.app
    event = _event_on_different_days(app)
    local = event["starts_at"].astimezone(ZoneInfo(zone))
    context = browser.new_context(timezone_id=zone, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        make_user("vera", "Viewer")
        sign_in(page, live_server, "vera", "pw-vera-123")  # the browser tells its zone here
        page.goto(f"{live_server.url}/forums/calendar/?month={local:%Y-%m}")
        expect(page.locator(".tz-shown")).to_have_text(zone)
        expect(page.locator("#tz-note")).to_have_count(0)
        marker = f'[data-event="{discourse_connection.pk}-{event["id"]}"]'
        cell = page.locator(f'.day[data-date="{local:%Y-%m-%d}"]')
        expect(cell.locator(marker)).to_contain_text(f"{local:%H:%M}")
        expect(cell.locator(marker).get_by_role("link", name=event["name"])).to_have_attribute(
            "href",
            f"{discourse_sandbox.url}/t/{app.topics[event['topic_id']]['slug']}"
            f"/{event['topic_id']}/1",
        )
        expect(page.locator(marker)).to_have_count(1)  # on its own day only
        # A recurring series is on each day it occurs.
        expect(page.locator(".day:not(.other-month)").filter(
            has_text="Daily stand-up (staff)")).to_have_count(
            len(page.locator(".day:not(.other-month)").all())
        )  # fmt: skip
        # On a phone the grid becomes a list of days, with no sideways scrolling.
        page.set_viewport_size({"width": 390, "height": 844})
        expect(cell.locator(marker)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_make_a_feed_fetch_it_revoke_it(page, live_server, make_user, discourse_connection,
                                        discourse_sandbox):  # fmt: skip
    make_user("vera", "Viewer")
    sign_in(page, live_server, "vera", "pw-vera-123")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    page.get_by_role("link", name="My calendar feeds").click()
    expect(page.get_by_text("You have no calendar feeds yet.")).to_be_visible()
    page.get_by_label("Name").fill("Community events")
    page.get_by_label("Sandbox Discourse").check()
    page.get_by_role("button", name="Make the feed").click()
    expect(page.get_by_text("Your feed “Community events” is ready.")).to_be_visible()
    url = page.get_by_label("Feed address").input_value()
    assert url.startswith(f"{live_server.url}/forums/calendar/feed/") and url.endswith(".ics")

    # A calendar app fetches it with no session at all.
    fetched = requests.get(url, timeout=30)
    assert fetched.status_code == 200
    calendar = Calendar.from_ical(fetched.content)
    assert len(calendar.walk("VEVENT")) > 20 and str(calendar["X-WR-CALNAME"]) == (
        "Community events"
    )

    page.get_by_role("link", name="My calendar feeds").click()
    expect(page.get_by_label("Feed address")).to_have_count(0)  # shown once only
    expect(page.get_by_role("row", name="Community events")).to_contain_text("Active")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("row", name="Community events").get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("is revoked: its address answers 404")).to_be_visible()
    gone = requests.get(url, timeout=30)
    assert gone.status_code == 404 and gone.text == "Not found.\n"
    assert CalendarFeed.objects.get().revoked_at is not None


def test_every_new_page_fits_a_360_px_phone(page, live_server, make_user, discourse_connection,
                                            nodebb_connection):  # fmt: skip
    make_user("ada", "Admin", is_staff=True)
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.set_viewport_size({"width": 360, "height": 800})
    pages = {
        "overview with the fleet": "/?fleet=1",
        "backups": "/forums/backups/",
        "a forum's backups and schedule": f"/forums/backups/{discourse_connection.pk}/",
        "month": "/forums/calendar/",
        "agenda": "/forums/calendar/agenda/",
        "feeds": "/forums/calendar/feeds/",
    }
    widths = {}
    for name, path in pages.items():
        page.goto(live_server.url + path)
        widths[name] = page.evaluate("document.documentElement.scrollWidth")
    assert all(width <= 360 for width in widths.values()), widths


@pytest.mark.parametrize("width", [1366, 360])
def test_the_time_zone_is_found_by_typing_with_ones_own_first(
    page, live_server, make_user, discourse_connection, width
):
    """Issue 26, item 16: type part of a zone's name, Enter shows the month in it; the list
    starts with the browser's zone (Europe/Berlin here), then the common ones."""
    make_user("vera", "Viewer")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, "vera", "pw-vera-123")
    page.goto(f"{live_server.url}/forums/calendar/")
    field = page.get_by_label("Time zone")
    zones = page.locator(f"datalist#{field.get_attribute('list')} option")
    assert zones.evaluate_all("os => os.slice(0, 2).map(o => o.value)") == [
        "Europe/Berlin", "UTC",
    ]  # fmt: skip
    field.focus()
    page.keyboard.type("asia/tokyo")
    page.keyboard.press("Enter")
    expect(page.locator(".tz-shown")).to_have_text("Asia/Tokyo")
    expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
