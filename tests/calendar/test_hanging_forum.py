"""A forum that hangs adds nothing to the calendar's time: the month grid and the agenda answer
with the other forums' events and the hanging forum's last known events for that window,
marked, while its call is still in flight; its late answer is kept for the next load; and no
fan-out thread outlives the call's deadline. Every wait below is for a condition."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}

LIVE_WAIT = 2.0  # how long a page waits for a forum (FORUMDECK_INDEX_LIVE_WAIT_SECONDS)
CALL_DEADLINE = 3.0  # a call to a forum gives up after this...
HANG_MS = 8_000  # ...and the hanging forum answers only after this


@pytest.fixture
def short_waits(settings):
    settings.FORUMDECK_INDEX_LIVE_WAIT_SECONDS = LIVE_WAIT
    settings.FORUMDECK_LIVE_WAIT_GRACE_SECONDS = 1.0  # a busy machine's healthy forum is in time
    settings.FORUMDECK_HTTP_TIMEOUT = CALL_DEADLINE
    settings.FORUMDECK_HTTP_DEADLINE = CALL_DEADLINE


def _calendar_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("calendar") and t.is_alive()]


def _calendar_threads_end(within: float = 60.0) -> list[str]:
    ends = time.monotonic() + within
    while _calendar_threads() and time.monotonic() < ends:
        time.sleep(0.05)
    return [t.name for t in _calendar_threads()]


@pytest.mark.parametrize("page", ["calendar-month", "calendar-agenda"])
def test_a_hanging_forum_shows_its_last_known_events_marked_without_being_waited_for(
    page, viewer_client, short_waits, discourse_sandbox, discourse_connection, calm_forum
):
    _, calm = calm_forum
    app = discourse_sandbox.app
    query = {"month": app.now.strftime("%Y-%m"), "tz": "UTC"}
    if page == "calendar-agenda":
        query = {"start": app.now.strftime("%Y-%m-%d"), "days": "30", "tz": "UTC"}
    url = reverse(f"forums:{page}")
    first = viewer_client.get(url, query).content.decode()
    assert "did not answer" not in first
    assert 'class="cal-event' in first and "is-last-known" not in first

    app.config.faults.latency_ms = HANG_MS
    answered = len(app.calls.records())  # the sandbox logs a call once it has answered it
    try:
        html = viewer_client.get(url, {**query, "refresh": "1"}).content.decode()
        # The page answered while the hanging forum's call was still in flight.
        assert len(app.calls.records()) == answered
        assert _calendar_threads()
    finally:
        left = _calendar_threads_end()
        app.config.faults.latency_ms = 0
    assert left == []  # the call ended at its own deadline; no thread outlives it
    assert f"{discourse_connection.name} did not answer in time." in html
    assert "Showing what Forumdeck last saw of it, as of" in html
    assert "Its answer, when it comes, is shown here by itself." in html
    # Its events, marked with when they were read; the calm forum's, unmarked.
    assert f'data-event="{discourse_connection.pk}-' in html
    events = re.findall(r'<div class="cal-event([^"]*)" data-event="(\d+)-', html)
    forums = {int(pk) for _, pk in events}
    assert forums == {discourse_connection.pk, calm.pk}
    for classes, pk in events:
        assert ("is-last-known" in classes) == (int(pk) == discourse_connection.pk)
    calm_line = html.split(f"<strong>{calm.name}</strong>:")[1].split("</li>")[0]
    assert "did not answer" not in calm_line


def test_nothing_known_yet_says_so_and_the_late_answer_lands_for_the_next_load(
    viewer_client, short_waits, settings, discourse_sandbox, discourse_connection, calm_forum
):
    _, calm = calm_forum
    app = discourse_sandbox.app
    settings.FORUMDECK_HTTP_TIMEOUT = settings.FORUMDECK_HTTP_DEADLINE = 15.0
    query = {"month": app.now.strftime("%Y-%m"), "tz": "UTC"}
    url = reverse("forums:calendar-month")
    # Late for the page, in time for the call's own deadline.
    app.config.faults.latency_ms = 6_000
    try:
        html = viewer_client.get(url, query).content.decode()
        assert (
            f"<strong>{discourse_connection.name}</strong>: no events known yet; "
            "the forum did not answer in time." in html
        )
        assert f'data-event="{discourse_connection.pk}-' not in html
        assert f'data-event="{calm.pk}-' in html  # the others' events at once
        # A reload while that call is in flight waits for it instead of asking the forum again.
        reload = viewer_client.get(url, query).content.decode()
        assert f'data-event="{calm.pk}-' in reload
        assert _calendar_threads_end() == []
    finally:
        app.config.faults.latency_ms = 0
    assert len([r for r in app.calls.records() if "event" in r.path]) == 1
    # The page asks again by itself (htmx), and then shows the answer that came late.
    again_query = html.split('class="calendar-fill-in" hx-get="?')[1].split('"')[0]
    again = viewer_client.get(f"{url}?{again_query.replace('&amp;', '&')}", headers=HX)
    again = again.content.decode()
    assert 'id="calendar-view"' in again and "<html" not in again
    assert "did not answer" not in again and "no events known yet" not in again
    assert f'data-event="{discourse_connection.pk}-' in again
    assert "is-last-known" not in again and "calendar-fill-in" not in again
