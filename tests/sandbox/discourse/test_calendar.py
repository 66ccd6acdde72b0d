"""The sandbox Discourse's calendar plugin: events in a window, recurring ones expanded."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    SYSTEM,
    configure,
    get,
)


# --- events -------------------------------------------------------------------------------------
def event_window(sb, **params):
    return get(sb, "/discourse-post-event/events.json", params=params).json()["events"]


def test_limit_also_caps_the_occurrences_of_a_recurring_event(sandbox):
    """Row "events": limit (<= 200) also caps the occurrences expanded per recurring event."""
    now = datetime.now(UTC)
    window = {"after": now.isoformat(), "before": (now + timedelta(days=60)).isoformat(),
              "category_id": 4, "include_details": "true"}  # fmt: skip
    daily = next(e for e in event_window(sandbox, **window) if e["recurrence"] == "every_day")
    assert len(daily["occurrences"]) == 60
    capped = next(
        e for e in event_window(sandbox, limit=10, **window) if e["recurrence"] == "every_day"
    )
    assert len(capped["occurrences"]) == 10 and capped["rrule"].endswith("FREQ=DAILY")


def test_before_is_exclusive(sandbox):
    """Row "events": before is exclusive (starts_at < before)."""
    event = next(e for e in sandbox.app.events if not e.get("recurrence"))
    starts = event["starts_at"]
    window = {"after": (starts - timedelta(hours=1)).isoformat()}
    ids = {e["id"] for e in event_window(sandbox, before=starts.isoformat(), **window)}
    assert event["id"] not in ids
    later = (starts + timedelta(seconds=1)).isoformat()
    assert event["id"] in {e["id"] for e in event_window(sandbox, before=later, **window)}


def test_older_plugin_versions_answer_a_bare_array_without_after_or_order(sandbox):
    """Row "events": older plugin versions answer a bare array and have no after / order."""
    configure(sandbox, legacy_events_plugin=True)
    future = (datetime.now(UTC) + timedelta(days=100)).isoformat()
    r = get(sandbox, "/discourse-post-event/events.json", params={"after": future, "order": "desc"})
    rows = r.json()
    assert isinstance(rows, list) and rows
    starts = [row["starts_at"] for row in rows]
    assert starts == sorted(starts)  # no `order`
    assert min(starts) < future  # no `after`
    assert get(sandbox, "/discourse-post-event/events.ics").status_code == 404


def test_ics_defaults_to_the_last_three_months_and_500_occurrences(sandbox):
    """Row "events": the .ics route defaults to the last 3 months and at most 500 occurrences."""
    r = get(
        sandbox, "/discourse-post-event/events.ics", headers={**SYSTEM, "Accept": "text/calendar"}
    )
    assert r.headers["Content-Type"].startswith("text/calendar")
    starts = [
        datetime.strptime(m, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        for m in re.findall(r"^DTSTART:(\S+)", r.text, re.MULTILINE)
    ]
    assert len(starts) == 500 == r.text.count("BEGIN:VEVENT")
    assert min(starts) >= datetime.now(UTC) - timedelta(days=92)
