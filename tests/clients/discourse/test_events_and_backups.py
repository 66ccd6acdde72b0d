"""The Discourse client's calendar and backup reading, against the in-process sandbox: one
record per occurrence of a recurring event, paging past the per-call limit, `before`
exclusive, older plugin versions, and backups with or without uploads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forums.clients.discourse import DiscourseOperationRunning
from forums.clients.errors import BackupsDisabled, ForumBusy

from .helpers import KEY

pytestmark = pytest.mark.every_release  # each verb against each release the sandbox plays

# The fixtures of tests/clients/discourse/conftest.py serve this config.
SANDBOX_CONFIG = {"discourse": {"api_key": KEY, "users": 20, "admin_requests_per_minute": 10**6}}


def expected_occurrences(sandbox, after, before, category=None) -> list[tuple[int, object]]:
    pairs = sandbox.occurrences_between(after, before)
    if category is not None:
        ids = {e["id"] for e in sandbox.events if e["category_id"] == category}
        pairs = [p for p in pairs if p[0] in ids]
    return sorted(pairs, key=lambda p: (p[1], p[0]))


# the newer plugin's series and paging; the older one's: test_calendar_shapes.py
@pytest.mark.parametrize("discourse_release", ["2026.1"])
def test_a_recurring_event_comes_once_per_occurrence_with_its_rule(
    client, sandbox, discourse_release
):
    after = sandbox.now
    before = after + timedelta(days=30)
    events = client.list_events(start=after, end=before, category_id=4)
    want = expected_occurrences(sandbox, after, before, category=4)
    assert [(e.id, e.starts_at) for e in events] == want
    assert len(want) > 30  # a daily series, a weekly and a fortnightly one
    daily = [e for e in events if e.name == "Daily stand-up (staff)"]
    assert len(daily) == 30
    assert {e.rrule for e in daily} == {"FREQ=DAILY"}
    assert all(e.recurring and e.series_starts_at < after for e in daily)
    assert len({e.occurrence_key for e in events}) == len(events)  # one key per occurrence


def test_occurrences_past_the_per_call_limit_are_paged(client, sandbox):
    # The daily series has 250 occurrences here, but one answer lists at most 200 per event.
    after = sandbox.now
    before = after + timedelta(days=250)
    events = client.list_events(start=after, end=before, category_id=4)
    assert [(e.id, e.starts_at) for e in events] == expected_occurrences(
        sandbox, after, before, category=4
    )
    assert sum(1 for e in events if e.name == "Daily stand-up (staff)") == 250
    assert sandbox.calls.count("GET", "/discourse-post-event/events.json") >= 2


# the newer plugin's series and paging; the older one's: test_calendar_shapes.py
@pytest.mark.parametrize("discourse_release", ["2026.1"])
def test_small_pages_give_the_same_events(client, sandbox, discourse_release):
    after, before = sandbox.now - timedelta(days=60), sandbox.now + timedelta(days=60)
    whole = client.list_events(start=after, end=before)
    paged = sorted(
        client.iter_events(start=after, end=before, page_size=9), key=lambda e: (e.starts_at, e.id)
    )
    assert [(e.id, e.starts_at) for e in paged] == [(e.id, e.starts_at) for e in whole]
    assert len(whole) == len(expected_occurrences(sandbox, after, before))


def test_before_is_exclusive(client, sandbox):
    one_off = next(e for e in sandbox.events if not e.get("recurrence")
                   and e["starts_at"] > sandbox.now)  # fmt: skip
    start = one_off["starts_at"]
    ids = {e.id for e in client.list_events(start=start - timedelta(hours=1), end=start)}
    assert one_off["id"] not in ids
    ids = {e.id for e in client.list_events(start=start - timedelta(hours=1),
                                             end=start + timedelta(seconds=1))}  # fmt: skip
    assert one_off["id"] in ids


def test_older_plugin_versions_answer_a_bare_array(client, sandbox):
    sandbox.config.legacy_events_plugin = True
    after = sandbox.now - timedelta(days=45)  # past events too: the old plugin hides them
    before = sandbox.now + timedelta(days=14)
    events = client.list_events(start=after, end=before)
    # The older plugin keeps one date per series (its next one) and its rule without a
    # DTSTART: the series is expanded from that date on; one-offs come at their own dates.
    want = sandbox.legacy_occurrences_between(after, before)
    assert [(e.id, e.starts_at) for e in events] == want
    assert any(e.starts_at < sandbox.now for e in events)
    assert sum(1 for e in events if e.name == "Daily stand-up (staff)") >= 13  # from its rule
    calls = [c for c in sandbox.calls.records() if c.path.endswith("/events.json")]
    assert "include_expired=true" in calls[-1].query


def test_backups_say_whether_uploads_are_in(client, sandbox):
    client.create_backup(with_uploads=False)
    sandbox.backup_running_until = 0
    client.create_backup(with_uploads=True)
    sandbox.backup_running_until = 0
    backups = {b.filename[-7:]: b for b in client.list_backups()}
    assert backups[".sql.gz"].with_uploads is False
    assert backups[".tar.gz"].with_uploads is True


def test_backup_already_running_is_forum_busy(client, sandbox):
    client.create_backup(with_uploads=False)
    with pytest.raises(ForumBusy) as caught:
        client.create_backup(with_uploads=False)
    assert isinstance(caught.value, DiscourseOperationRunning)
    assert "already running" in str(caught.value)


def test_backups_disabled_is_named(client, sandbox):
    sandbox.config.enable_backups = False
    for call in (client.list_backups, client.backup_status, client.cancel_backup,
                 lambda: client.create_backup(with_uploads=True)):  # fmt: skip
        with pytest.raises(BackupsDisabled) as caught:
            call()
        assert "enable_backups" in str(caught.value)
