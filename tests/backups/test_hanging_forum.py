"""A forum that hangs adds nothing to the Backups list's time: its row shows the backups last
read of it, marked with when, while its call is still in flight; the late answer is kept for
the next load, and no fan-out thread outlives the call's deadline. Waits are for conditions."""

from __future__ import annotations

import threading
import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HANG_MS = 8_000  # the forum answers after this; its call gives up after 3 s


@pytest.fixture
def short_waits(settings):
    settings.FORUMDECK_INDEX_LIVE_WAIT_SECONDS = 2.0
    settings.FORUMDECK_HTTP_TIMEOUT = 3.0
    settings.FORUMDECK_HTTP_DEADLINE = 3.0


def _backup_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("backup-fleet") and t.is_alive()]


def _backup_threads_end(within: float = 60.0) -> list[str]:
    ends = time.monotonic() + within
    while _backup_threads() and time.monotonic() < ends:
        time.sleep(0.05)
    return [t.name for t in _backup_threads()]


def test_a_hanging_forum_shows_its_last_known_backups_marked_without_being_waited_for(
    viewer_client, short_waits, discourse_sandbox, discourse_connection, nodebb_connection
):
    app = discourse_sandbox.app
    url = reverse("forums:backup-list")
    first = viewer_client.get(url).content.decode()
    assert "did not answer" not in first and "Stale" in first

    app.config.faults.latency_ms = HANG_MS
    answered = len(app.calls.records())  # the sandbox logs a call once it has answered it
    try:
        html = viewer_client.get(url, {"refresh": "1"}).content.decode()
        assert len(app.calls.records()) == answered  # answered while the call was in flight
        assert _backup_threads()
    finally:
        left = _backup_threads_end()
        app.config.faults.latency_ms = 0
    assert left == []
    assert f"{discourse_connection.name} did not answer in time." in html
    assert "Showing what Forumdeck last saw of it, as of" in html
    assert "Stale" in html  # the newest backup it last listed, 27 h old against 26 h
    assert nodebb_connection.name in html and "Not offered by this forum" in html


def test_nothing_known_yet_says_so_and_the_late_answer_lands_for_the_next_load(
    viewer_client, short_waits, settings, discourse_sandbox, discourse_connection
):
    app = discourse_sandbox.app
    url = reverse("forums:backup-list")
    settings.FORUMDECK_HTTP_TIMEOUT = settings.FORUMDECK_HTTP_DEADLINE = 15.0
    app.config.faults.latency_ms = 6_000  # late for the page, in time for the call's deadline
    try:
        html = viewer_client.get(url).content.decode()
        assert f"{discourse_connection.name} did not answer in time." in html
        assert "Could not ask the forum" in html and "last saw" not in html
        assert _backup_threads_end() == []
    finally:
        app.config.faults.latency_ms = 0
    again = viewer_client.get(url).content.decode()
    assert "did not answer" not in again and "Stale" in again
