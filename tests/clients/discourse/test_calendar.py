"""The Discourse client against the sandbox Discourse: calendar events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forums.clients.errors import ForumNotFound

from .helpers import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
)

# Every verb against each release the sandbox plays (the older calendar plugin and the new).
pytestmark = pytest.mark.every_release


# --- calendar -----------------------------------------------------------------------------------
def test_events_in_range_by_category_and_paging(client, sandbox, discourse_release):
    after = sandbox.now - timedelta(days=60)
    before = sandbox.now + timedelta(days=120)
    events = client.list_events(start=after, end=before, category_id=3)
    expected = [
        e["id"]
        for e in sandbox.events
        if e["category_id"] == 3 and after <= e["starts_at"] <= before
    ]
    assert [e.id for e in events] == expected and len(expected) > 10
    assert all(after <= e.starts_at <= before for e in events)
    if discourse_release == "3.4":
        # the older plugin has no .ics route; its one answer holds everything, limit or not
        with pytest.raises(ForumNotFound):
            client.export_events_ics(start=after, end=before, category_id=3)
        paged = list(client.iter_events(start=after, end=before, category_id=3, page_size=7))
        assert [e.id for e in paged] == expected
        calls = [c for c in sandbox.calls.records() if c.path.endswith("/events.json")]
        assert "limit=" not in calls[-1].query  # once it knows the plugin is the older one
        return
    text = client.export_events_ics(
        start=after, end=before, category_id=3, include_subcategories=True
    )
    with_sub = {e["category_id"] for e in sandbox.events if after <= e["starts_at"] <= before}
    assert {3, 5} <= with_sub and text.count("BEGIN:VEVENT") > len(expected)
    sandbox.calls.clear()
    paged = list(client.iter_events(start=after, end=before, category_id=3, page_size=7))
    assert [e.id for e in paged] == expected
    assert sandbox.calls.count("GET", "/discourse-post-event/events.json") >= len(expected) // 7


def test_ics_export(client, sandbox, discourse_release):
    after = sandbox.now
    if discourse_release == "3.4":
        with pytest.raises(ForumNotFound):  # no .ics route on the older plugin
            client.export_events_ics(start=after, end=after + timedelta(days=30))
        return
    text = client.export_events_ics(start=after, end=after + timedelta(days=30))
    # one VEVENT per occurrence: recurring events repeat inside the window
    expected = len(sandbox.occurrences_between(after, after + timedelta(30)))
    assert text.startswith("BEGIN:VCALENDAR")
    assert text.count("BEGIN:VEVENT") == expected
