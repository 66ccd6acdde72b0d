"""The sandbox Discourse's calendar plugin answers the shapes the real plugin does: basic unless
``include_details=true``, times as ``format_time`` writes them, and the older plugin's shapes
(ENDPOINTS.md "Rules" / event shape, event times, events, older plugin)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .served import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    configure,
    get,
)

TORONTO_DAY, BERLIN_MEETUP, NEW_YORK_SERIES = 30_000, 30_001, 30_002
BASIC = {"id", "category_id", "name", "recurrence", "recurrence_until", "starts_at", "ends_at",
         "rrule", "show_local_time", "timezone", "duration", "post"}  # fmt: skip


def rows(sb, **params) -> dict[int, dict]:
    answer = get(sb, "/discourse-post-event/events.json", params=params).json()
    return {r["id"]: r for r in (answer if isinstance(answer, list) else answer["events"])}


def window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {"after": now.isoformat(), "before": (now + timedelta(days=30)).isoformat()}


def test_without_include_details_the_basic_shape(sandbox):
    """Row "event shape": the basic serializer unless include_details is the string "true"."""
    for asked in ({}, {"include_details": "1"}, {"include_details": "True"}):
        for row in rows(sandbox, **window(), **asked).values():
            assert set(row) <= BASIC, set(row) - BASIC
            assert set(row["post"]["topic"]) == {"id", "title"}
    detailed = rows(sandbox, **window(), include_details="true")
    day = detailed[TORONTO_DAY]
    assert day["all_day"] is True and day["location"] == "Toronto" and day["occurrences"]
    assert day["post"]["category_slug"] and "tags" in day["post"]["topic"]


def test_times_are_written_as_format_time_writes_them(sandbox):
    """Row "event times": an all-day event as its date; a show_local_time one without an
    offset, in its own zone; any other with its zone's offset."""
    detailed = rows(sandbox, **window(), include_details="true")
    day, meetup = detailed[TORONTO_DAY], detailed[BERLIN_MEETUP]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day["starts_at"])
    assert day["occurrences"][0] == {"starts_at": day["starts_at"], "ends_at": day["starts_at"]}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T18:00:00", meetup["occurrences"][0]["starts_at"])
    assert meetup["show_local_time"] is True and meetup["timezone"] == "Europe/Berlin"
    timed = next(r for r in detailed.values() if not r.get("all_day")
                 and not r["show_local_time"])  # fmt: skip
    assert re.search(r"(Z|[+-]\d{2}:\d{2})$", timed["starts_at"])
    # The basic shape writes them the same way, a series at its first date with its rule.
    basic = rows(sandbox, **window())
    assert basic[TORONTO_DAY]["starts_at"] == day["starts_at"]
    series = basic[NEW_YORK_SERIES]
    assert series["rrule"].startswith("DTSTART;TZID=America/New_York:")
    assert series["rrule"].split(":")[1].split("\n")[0].endswith("T190000")
    held = next(e for e in sandbox.app.events if e["id"] == NEW_YORK_SERIES)
    first = datetime.fromisoformat(series["starts_at"]).replace(tzinfo=ZoneInfo("America/New_York"))
    assert first == held["starts_at"]  # the series' original start, months back


def test_a_local_time_series_keeps_its_wall_clock_time(sandbox):
    """RRuleGenerator.generate: a series' dates are counted in the event's own zone."""
    now = datetime.now(UTC)
    window = {"after": now.isoformat(), "before": (now + timedelta(days=200)).isoformat(),
              "include_details": "true"}  # fmt: skip
    series = rows(sandbox, **window)[NEW_YORK_SERIES]
    times = {o["starts_at"][10:] for o in series["occurrences"]}
    assert times == {"T19:00:00"} and len(series["occurrences"]) >= 27


def test_the_older_plugin_answers_its_own_shapes(sandbox):
    """Row "events, older plugin": without include_details the summary shape with
    upcoming_dates and no rrule/occurrences; with it recurrence_rule (no DTSTART); never
    all_day; one date per event, a series' next."""
    configure(sandbox, legacy_events_plugin=True)
    summary = rows(sandbox, include_expired="true")
    series = summary[NEW_YORK_SERIES]
    assert {"rrule", "occurrences", "all_day", "location"}.isdisjoint(series)
    assert series["upcoming_dates"] and series["starts_at"].endswith("Z")
    assert datetime.fromisoformat(series["starts_at"].replace("Z", "+00:00")) > datetime.now(UTC)
    detailed = rows(sandbox, include_expired="true", include_details="true")
    series = detailed[NEW_YORK_SERIES]
    assert re.fullmatch(r"FREQ=WEEKLY;BYDAY=[A-Z]{2}", series["recurrence_rule"])
    assert "rrule" not in series and "all_day" not in detailed[TORONTO_DAY]
    assert detailed[BERLIN_MEETUP]["location"] == "Berlin"
