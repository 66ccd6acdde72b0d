"""The sandbox Discourse: the calendar plugin's events.

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods. The plugin is
played in two versions (``releases.py`` ``calendar_plugin``, mapped onto
``config.legacy_events_plugin``): "new", the plugin in core (``plugins/discourse-calendar/``,
newest read), and "old", ``discourse/discourse-calendar`` at ``b1ace0a`` (2025-07).

Fidelity ledger (what the client sends, the rule modelled, its evidence, the test):

- ``GET /discourse-post-event/events.json?include_details=true``: the detailed shape only for
  the string "true", else the basic one (new: ``events_controller.rb`` ``#index``,
  ``BasicEventSerializer``; old: ``events_controller.rb:12``, ``EventSummarySerializer``).
  tests/sandbox/discourse/test_calendar_shapes.py ``test_without_include_details_...``.
- its times (ENDPOINTS.md "Rules" / event times): all-day as a date, ``show_local_time``
  without an offset, others with the event zone's offset (``events_controller.rb``
  ``#format_time``); a series at the same
  wall-clock time in its zone (``RRuleGenerator.generate``). ``test_times_are_written_...``,
  ``test_a_local_time_series_keeps_its_wall_clock_time``.
- ``after``/``before``/``order``/``limit``: ``before`` exclusive, ``limit`` also caps a
  series' occurrences (``event_finder.rb``, ``ExpandOccurrences``). test_calendar.py.
- old plugin (ENDPOINTS.md "Rules" / events, older plugin): a bare array, no
  ``after``/``order``, ``include_expired``, one row per event at
  the date it keeps, ``limit`` cuts the one answer; ``upcoming_dates`` (summary shape) or
  ``recurrence_rule`` without DTSTART (detailed shape); no all-day events; no ``.ics`` route
  (b1ace0a ``event_finder.rb`` ``search``, ``event.rb`` ``#starts_at``,
  ``event_summary_serializer.rb``, ``event_serializer.rb`` ``#recurrence_rule``,
  ``rrule_configurator.rb``). ``test_the_older_plugin_answers_its_own_shapes``, test_calendar.py.
- ``GET /discourse-post-event/events.ics``: the last 3 months by default, at most 500
  occurrences (ENDPOINTS.md "Rules" / events). test_calendar.py.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from ..core import json_response
from . import seed as data
from .common import (
    EVENTS_MAX_LIMIT,
    ICS_MAX_OCCURRENCES,
    error,
    iso,
    params_of,
    parse_time,
    truthy,
)


def _zone(name: str | None) -> Any:
    return ZoneInfo(name) if name and name.upper() not in ("UTC", "ETC/UTC") else UTC


def format_time(event: dict[str, Any], moment: datetime | None, *, end: bool = False) -> str | None:
    """A time as the newer plugin writes it (plugins/discourse-calendar
    ``events_controller.rb`` ``#format_time``, ``BasicEventSerializer#starts_at``): an all-day
    event's as its UTC date only, a ``show_local_time`` event's as the wall-clock time in its
    ``timezone`` with no offset, any other's in its ``timezone`` with the offset
    (``iso8601(3)``). The sandbox keeps an all-day event's end as the midnight after its last
    day; Discourse keeps the last day itself, so the end written is the start's date plus
    the whole days after it."""
    if moment is None:
        return None
    if event.get("all_day"):
        if end:
            span = event["ends_at"] - event["starts_at"]
            days = max(1, round(span / timedelta(days=1)))
            moment = moment - span + timedelta(days=days - 1)
        return moment.astimezone(UTC).strftime("%Y-%m-%d")
    local = moment.astimezone(_zone(event.get("timezone")))
    if event.get("show_local_time"):
        return local.strftime("%Y-%m-%dT%H:%M:%S")
    return _rails_time(local)


def _rails_time(moment: datetime) -> str:
    """A TimeWithZone as Rails writes it in JSON: ``2026-01-05T09:00:00.000-05:00`` (``Z`` in
    UTC)."""
    if moment.utcoffset() == timedelta(0):
        return iso(moment) or ""
    text = moment.isoformat(timespec="milliseconds")
    return text


# The older plugin's rules per `recurrence` (discourse/discourse-calendar b1ace0a
# lib/discourse_post_event/rrule_configurator.rb RRuleConfigurator.rule): no DTSTART.
OLD_RULES = {"every_week": "FREQ=WEEKLY;BYDAY={day}", "every_two_weeks": "FREQ=WEEKLY;INTERVAL=2;",
             "every_day": "FREQ=DAILY"}  # fmt: skip


def seed_time_kind_events(now: datetime, first_id: int, first_topic_id: int) -> list[dict]:
    """Events whose times the plugin writes without an offset: an all-day event in Toronto
    (stored, as ``Event.update_from_raw`` parses its date, at midnight in its zone), a
    ``show_local_time`` meetup in Berlin and a weekly ``show_local_time`` series in New York
    (its wall-clock time holds across a change of summer time). The one-offs are in Meetups,
    the series in Support with the other series."""
    toronto, berlin, new_york = (ZoneInfo(z) for z in ("America/Toronto", "Europe/Berlin",
                                                       "America/New_York"))  # fmt: skip
    day = (now + timedelta(days=10)).astimezone(toronto).date()
    holiday = datetime(day.year, day.month, day.day, tzinfo=toronto)
    meetup_day = (now + timedelta(days=12)).astimezone(berlin).date()
    meetup = datetime(meetup_day.year, meetup_day.month, meetup_day.day, 18, tzinfo=berlin)
    series_day = (now - timedelta(days=120)).astimezone(new_york).date()
    series = datetime(series_day.year, series_day.month, series_day.day, 19, tzinfo=new_york)
    base = {"category_id": 4, "status": "public", "show_local_time": False, "all_day": False}
    return [
        {**base, "id": first_id, "topic_id": first_topic_id, "name": "Toronto community day",
         "category_id": 5,
         "starts_at": holiday.astimezone(UTC),
         "ends_at": (holiday + timedelta(days=1)).astimezone(UTC),
         "all_day": True, "timezone": "America/Toronto", "location": "Toronto",
         "description": "All day, on the date in Toronto."},
        {**base, "id": first_id + 1, "topic_id": first_topic_id + 1, "category_id": 5,
         "name": "Berlin meetup (local time)", "starts_at": meetup.astimezone(UTC),
         "ends_at": (meetup + timedelta(hours=2)).astimezone(UTC), "show_local_time": True,
         "timezone": "Europe/Berlin", "location": "Berlin",
         "description": "18:00 in Berlin, whoever looks."},
        {**base, "id": first_id + 2, "topic_id": first_topic_id + 2,
         "name": "New York evening call (local time)", "starts_at": series.astimezone(UTC),
         "ends_at": (series + timedelta(hours=1)).astimezone(UTC), "show_local_time": True,
         "timezone": "America/New_York", "location": "Online", "recurrence": "every_week",
         "recurrence_until": None, "description": "Every week at 19:00 in New York."},
    ]  # fmt: skip


class DiscourseCalendar:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def occurrences(
        self,
        event: dict[str, Any],
        *,
        after: datetime | None = None,
        before: datetime | None = None,
        cap: int = EVENTS_MAX_LIMIT,
    ) -> list[tuple[datetime, datetime]]:
        """(start, end) of each occurrence of ``event`` starting in [after, before), at most
        ``cap``; a one-off event has one. ``before`` is exclusive, as in EventFinder. A series
        repeats at the same wall-clock time in its own zone (``RRuleGenerator.generate``:
        dtstart in the event's timezone)."""
        duration = event["ends_at"] - event["starts_at"]
        recurrence = event.get("recurrence")
        start = event["starts_at"]
        if not recurrence:
            inside = (after is None or start >= after) and (before is None or start < before)
            return [(start, start + duration)] if inside and cap > 0 else []
        step = data.RECURRENCES[recurrence][1]
        local = start.astimezone(_zone(event.get("timezone")))
        count = 0
        if after is not None and start < after:
            count = max(0, -(-(after - start) // step) - 1)  # near the first at or after it
            while (local + step * count).astimezone(UTC) < after:
                count += 1
        until = event.get("recurrence_until")
        found = []
        while len(found) < cap:
            begin = (local + step * count).astimezone(UTC)
            if (before is not None and begin >= before) or (until is not None and begin > until):
                break
            found.append((begin, begin + duration))
            count += 1
        return found

    def current_date(self, event: dict[str, Any]) -> tuple[datetime, datetime]:
        """The date the older plugin keeps for an event (b1ace0a ``Event#starts_at``: the
        pending event date; ``calculate_next_date``: a series' next date not yet started,
        its first while that lies ahead)."""
        now = datetime.now(UTC)
        if not event.get("recurrence") or event["starts_at"] > now:
            return event["starts_at"], event["ends_at"]
        found = self.occurrences(event, after=now, cap=1)
        return found[0] if found else (event["starts_at"], event["ends_at"])

    def legacy_occurrences_between(
        self, after: datetime, before: datetime
    ) -> list[tuple[int, datetime]]:
        """What a client can know in [after, before) from the older plugin (for tests): a
        one-off event at its date; a series from the date the plugin keeps for it (its next
        one) on, its earlier dates being nowhere in the answer."""
        with self.lock:
            found = []
            for event in self.events:
                begin, _ = self.current_date(event)
                for start, _ in self.occurrences(event, after=max(after, begin), before=before,
                                                 cap=10_000):  # fmt: skip
                    found.append((event["id"], start))
        return sorted(found, key=lambda pair: (pair[1], pair[0]))

    def occurrences_between(self, after: datetime, before: datetime) -> list[tuple[int, datetime]]:
        """(event id, start) of every occurrence in [after, before), soonest first: what the
        .ics feed for that window holds (for tests). An all-day one starts at midnight UTC of
        the date the plugin writes for it (``format_time``): a date is all its answer says."""

        def named(event: dict[str, Any], start: datetime) -> datetime:
            if not event.get("all_day"):
                return start
            return datetime.combine(start.astimezone(UTC).date(), dtime(0, 0), tzinfo=UTC)

        with self.lock:
            found = [
                (event["id"], named(event, start))
                for event in self.events
                for start, _ in self.occurrences(event, after=after, before=before, cap=10_000)
            ]
        return sorted(found, key=lambda pair: (pair[1], pair[0]))

    def _events_query(
        self, request: Request, *, ics: bool = False
    ) -> list[tuple[dict[str, Any], list[tuple[datetime, datetime]]]] | Response:
        p = params_of(request)
        legacy = self.config.legacy_events_plugin
        # ENDPOINTS.md "Rules" / events: older plugin versions have no `after` / `order`
        after = None if legacy else parse_time(p.get("after")) if p.get("after") else None
        before = parse_time(p.get("before")) if p.get("before") else None
        if (p.get("after") and not legacy and after is None) or (
            p.get("before") and before is None
        ):
            return error(400, "after and before must be ISO 8601 dates")
        try:
            raw_limit = int(p["limit"]) if p.get("limit") else None
            category = int(p["category_id"]) if p.get("category_id") else None
        except ValueError:
            return error(400, "limit and category_id must be numbers")
        if legacy:
            limit = raw_limit if raw_limit is not None else 10_000  # events.limit(params[:limit])
        else:
            limit = min(max(raw_limit or EVENTS_MAX_LIMIT, 1), EVENTS_MAX_LIMIT)
        if ics and after is None:
            # ENDPOINTS.md "Rules" / events: the .ics route defaults to the last 3 months
            after = datetime.now(UTC) - timedelta(days=91)
        categories = None
        if category is not None:
            categories = {category}
            if truthy(p.get("include_subcategories")):
                categories |= {c["id"] for c in data.CATEGORIES
                               if c["parent_category_id"] == category}  # fmt: skip
        now = datetime.now(UTC)
        rows = []
        with self.lock:
            for event in self.events:
                if categories is not None and event["category_id"] not in categories:
                    continue
                if legacy:
                    # b1ace0a EventFinder.search: one row per event, at the date it keeps
                    # (a series' next one); `before` applies to that date; a finished one
                    # only with include_expired=true.
                    begin, finish = self.current_date(event)
                    if not truthy(p.get("include_expired")) and finish < now:
                        continue
                    if before is None or begin < before:
                        rows.append((event, [(begin, finish)]))
                    continue
                # ENDPOINTS.md "Rules" / events: `limit` also caps the occurrences expanded per
                # recurring event; `before` is exclusive (starts_at < before)
                found = self.occurrences(event, after=after, before=before, cap=limit)
                if found:
                    rows.append((event, found))
        desc = not legacy and p.get("order") == "desc"
        rows.sort(key=lambda row: (row[1][0][0], row[0]["id"]), reverse=desc)
        return rows[:limit]

    def _event_json(
        self, event: dict[str, Any], found: list[tuple[datetime, datetime]], *, details: bool
    ) -> dict:
        """The newer plugin's event (plugins/discourse-calendar): the detailed shape
        (``EventSerializer``) with ``include_details=true``, else the basic one."""
        topic = self.topics.get(event["topic_id"], {})
        slug = topic.get("slug") or "event"
        category = next(c for c in data.CATEGORIES if c["id"] == event["category_id"])
        starts, ends = found[0]
        duration = ends - starts
        hours, rest = divmod(int(duration.total_seconds()), 3600)
        now = datetime.now(UTC)
        url = f"/t/{slug}/{event['topic_id']}/1"
        recurring = bool(event.get("recurrence"))
        if not details:
            # BasicEventSerializer: these fields only, and a series at its original start
            # (``original_starts_at``) with its rrule (ENDPOINTS.md "Rules" / event shape).
            first = (event["starts_at"], event["ends_at"]) if recurring else (starts, ends)
            out: dict[str, Any] = {
                "id": event["id"], "category_id": event["category_id"], "name": event["name"],
                "recurrence": event.get("recurrence"),
                "recurrence_until": iso(event.get("recurrence_until")),
                "starts_at": format_time(event, first[0]),
                "ends_at": format_time(event, first[1], end=True),
                "show_local_time": bool(event.get("show_local_time")),
                "timezone": event["timezone"],
                "duration": f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}",
                "post": {"id": event["id"], "post_number": 1, "url": url,
                         "topic": {"id": event["topic_id"], "title": event["name"]}},
            }  # fmt: skip
        else:
            out = copy.deepcopy(data.EVENT)
            out.update(
                id=event["id"], category_id=event["category_id"], name=event["name"],
                starts_at=format_time(event, starts), ends_at=format_time(event, ends, end=True),
                timezone=event["timezone"], all_day=event["all_day"],
                show_local_time=bool(event.get("show_local_time")),
                duration=f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}",
                post={"id": event["id"], "post_number": 1, "url": url,
                      "category_slug": category["slug"],
                      "topic": {"id": event["topic_id"], "title": event["name"],
                                "tags": list(topic.get("tags", [])), "tags_descriptions": {},
                                "slug": slug}},
                # events_controller.rb #index: each occurrence written by #format_time
                occurrences=[{"starts_at": format_time(event, s),
                              "ends_at": format_time(event, e, end=True)} for s, e in found],
                recurrence=event.get("recurrence"),
                recurrence_until=iso(event.get("recurrence_until")),
                is_expired=ends < now,
                is_ongoing=starts <= now <= ends,
                is_public=True, status=event["status"], url=url, location=event["location"],
                description=event["description"], at_capacity=False,
                can_act_on_discourse_post_event=True, can_update_attendance=True,
            )  # fmt: skip
        if recurring:
            rule = data.RECURRENCES[event["recurrence"]][0]
            zone = event.get("timezone") or "UTC"
            if _zone(zone) is UTC:
                dtstart = f"DTSTART:{event['starts_at']:%Y%m%dT%H%M%SZ}"
            else:
                local = event["starts_at"].astimezone(_zone(zone))
                dtstart = f"DTSTART;TZID={zone}:{local:%Y%m%dT%H%M%S}"
            out["rrule"] = f"{dtstart}\nRRULE:{rule}"
        return out

    def _old_event_json(
        self, event: dict[str, Any], found: list[tuple[datetime, datetime]], *, details: bool
    ) -> dict:
        """The older plugin's event (discourse/discourse-calendar ``b1ace0a``), at the date it
        keeps, its times in UTC (``Event#starts_at``, an ActiveRecord time): no ``all_day``
        (that plugin has no all-day events) and no ``occurrences`` or ``rrule``.
        ``EventSummarySerializer`` (without ``include_details``) lists a series'
        ``upcoming_dates`` (a year of them, from now, in the event's zone);
        ``EventSerializer`` (with it) gives ``recurrence_rule`` without a DTSTART instead."""
        starts, ends = found[0]
        topic_id = event["topic_id"]
        slug = self.topics.get(topic_id, {}).get("slug") or "event"
        url = f"/t/{slug}/{topic_id}/1"
        recurring = bool(event.get("recurrence"))
        out: dict[str, Any] = {
            "id": event["id"], "starts_at": iso(starts), "ends_at": iso(ends),
            "show_local_time": bool(event.get("show_local_time")),
            "timezone": event["timezone"],
            "post": {"id": event["id"], "post_number": 1, "url": url,
                     "topic": {"id": topic_id, "title": event["name"]}},
            "name": event["name"], "category_id": event["category_id"],
        }  # fmt: skip
        zone = _zone(event.get("timezone"))
        if not details:
            if recurring:
                # EventSummarySerializer#upcoming_dates: RRuleGenerator.generate between now
                # and 14 months on, at most a year's worth (how_many_recurring_events).
                per_year = {"every_day": 365, "every_week": 52, "every_two_weeks": 26}
                now = datetime.now(UTC)
                upcoming = self.occurrences(
                    event, after=now, before=now + timedelta(days=426),
                    cap=per_year[event["recurrence"]],
                )  # fmt: skip
                out["upcoming_dates"] = [
                    {"starts_at": _rails_time(s.astimezone(zone)),
                     "ends_at": _rails_time(e.astimezone(zone))} for s, e in upcoming
                ]  # fmt: skip
            return out
        now = datetime.now(UTC)
        out.update(
            recurrence=event.get("recurrence"),
            recurrence_until=iso(event.get("recurrence_until")),
            location=event["location"], description=event["description"], url=url,
            status=event["status"], is_public=True, is_private=False, is_standalone=False,
            is_closed=False, is_expired=ends <= now, is_ongoing=starts <= now <= ends,
            can_act_on_discourse_post_event=True, can_update_attendance=True,
        )  # fmt: skip
        if recurring:
            # EventSerializer#recurrence_rule: RRuleConfigurator.rule, no DTSTART
            day = starts.astimezone(zone).strftime("%A").upper()[:2]
            rule = OLD_RULES.get(event["recurrence"]) or data.RECURRENCES[event["recurrence"]][0]
            out["recurrence_rule"] = rule.format(day=day)
        return out

    def events_list(self, request: Request) -> Response:
        if not self.config.events_plugin_enabled:
            # ENDPOINTS.md "Rules" / calendar not enabled: requires_plugin and the
            # discourse_post_event_enabled check answer 404 (b1ace0a
            # app/controllers/discourse_post_event_controller.rb:5, :11).
            return self.not_found(request)
        rows = self._events_query(request)
        if isinstance(rows, Response):
            return rows
        # Only the string "true" asks for the detailed shape (events_controller.rb #index;
        # the older plugin the same: b1ace0a events_controller.rb:12)
        details = params_of(request).get("include_details") == "true"
        if self.config.legacy_events_plugin:
            # ENDPOINTS.md "Rules" / events: older plugin versions answer a bare array
            return json_response(
                [self._old_event_json(event, found, details=details) for event, found in rows]
            )
        events = [self._event_json(event, found, details=details) for event, found in rows]
        return json_response({"events": events})

    def events_ics(self, request: Request) -> Response:
        if self.config.legacy_events_plugin or not self.config.events_plugin_enabled:
            return self.not_found(request)  # the older plugin has no .ics route
        rows = self._events_query(request, ics=True)
        if isinstance(rows, Response):
            return rows
        host = request.host.split(":")[0]

        def stamp(value: datetime) -> str:
            return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

        entries = sorted(
            ((start, end, event) for event, found in rows for start, end in found),
            key=lambda entry: (entry[0], entry[2]["id"]),
        )
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Discourse//post-event//EN"]
        # ENDPOINTS.md "Rules" / events: the .ics route holds at most 500 occurrences
        for start, end, event in entries[:ICS_MAX_OCCURRENCES]:
            summary = event["name"].replace(",", "\\,").replace(";", "\\;")
            uid = f"discourse-post-event-{event['id']}"
            if event.get("recurrence"):
                uid += f"-{stamp(start)}"
            lines += [
                "BEGIN:VEVENT",
                f"UID:{uid}@{host}",
                f"DTSTAMP:{stamp(self.now)}",
                f"DTSTART:{stamp(start)}",
                f"DTEND:{stamp(end)}",
                f"SUMMARY:{summary}",
                f"LOCATION:{event['location']}",
                f"URL:{request.host_url.rstrip('/')}/t/{event['topic_id']}",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
        return Response("\r\n".join(lines) + "\r\n", content_type="text/calendar; charset=utf-8")
