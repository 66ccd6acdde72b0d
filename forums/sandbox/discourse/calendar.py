"""The sandbox Discourse: the calendar plugin's events.

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

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
        ``cap``; a one-off event has one. ``before`` is exclusive, as in EventFinder."""
        duration = event["ends_at"] - event["starts_at"]
        recurrence = event.get("recurrence")
        start = event["starts_at"]
        if not recurrence:
            inside = (after is None or start >= after) and (before is None or start < before)
            return [(start, start + duration)] if inside and cap > 0 else []
        step = data.RECURRENCES[recurrence][1]
        if after is not None and start < after:
            skipped = -(-(after - start) // step)  # ceil: the first occurrence at or after it
            start += step * skipped
        until = event.get("recurrence_until")
        found = []
        while len(found) < cap:
            if (before is not None and start >= before) or (until is not None and start > until):
                break
            found.append((start, start + duration))
            start += step
        return found

    def occurrences_between(self, after: datetime, before: datetime) -> list[tuple[int, datetime]]:
        """(event id, start) of every occurrence in [after, before), soonest first: what the
        .ics feed for that window holds (for tests)."""
        with self.lock:
            found = [
                (event["id"], start)
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
                window_start = after
                if legacy and not truthy(p.get("include_expired")):
                    if not event.get("recurrence") and event["ends_at"] < now:
                        continue  # include_expired=false: only dates not finished yet
                    if event.get("recurrence"):
                        window_start = now  # a series shows its next date
                # ENDPOINTS.md "Rules" / events: `limit` also caps the occurrences expanded per
                # recurring event; `before` is exclusive (starts_at < before)
                found = self.occurrences(event, after=window_start, before=before, cap=limit)
                if found:
                    rows.append((event, found))
        desc = not legacy and p.get("order") == "desc"
        rows.sort(key=lambda row: (row[1][0][0], row[0]["id"]), reverse=desc)
        return rows[:limit]

    def _event_json(self, event: dict[str, Any], found: list[tuple[datetime, datetime]]) -> dict:
        out = copy.deepcopy(data.EVENT)
        topic = self.topics.get(event["topic_id"], {})
        slug = topic.get("slug") or "event"
        category = next(c for c in data.CATEGORIES if c["id"] == event["category_id"])
        starts, ends = found[0]
        duration = ends - starts
        hours, rest = divmod(int(duration.total_seconds()), 3600)
        now = datetime.now(UTC)
        url = f"/t/{slug}/{event['topic_id']}/1"
        out.update(
            id=event["id"], category_id=event["category_id"], name=event["name"],
            starts_at=iso(starts), ends_at=iso(ends),
            timezone=event["timezone"], all_day=event["all_day"], show_local_time=False,
            duration=f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}",
            post={"id": event["id"], "post_number": 1, "url": url,
                  "category_slug": category["slug"],
                  "topic": {"id": event["topic_id"], "title": event["name"],
                            "tags": list(topic.get("tags", [])), "tags_descriptions": {},
                            "slug": slug}},
            occurrences=[{"starts_at": iso(s), "ends_at": iso(e)} for s, e in found],
            recurrence=event.get("recurrence"),
            recurrence_until=iso(event.get("recurrence_until")),
            is_expired=ends < now,
            is_ongoing=starts <= now <= ends,
            is_public=True, status=event["status"], url=url, location=event["location"],
            description=event["description"], at_capacity=False,
            can_act_on_discourse_post_event=True, can_update_attendance=True,
        )  # fmt: skip
        if event.get("recurrence"):
            rule = data.RECURRENCES[event["recurrence"]][0]
            out["rrule"] = f"DTSTART:{event['starts_at']:%Y%m%dT%H%M%SZ}\nRRULE:{rule}"
        return out

    def events_list(self, request: Request) -> Response:
        rows = self._events_query(request)
        if isinstance(rows, Response):
            return rows
        events = [self._event_json(event, found) for event, found in rows]
        if self.config.legacy_events_plugin:
            # ENDPOINTS.md "Rules" / events: older plugin versions answer a bare array
            for event in events:
                event.pop("occurrences", None)
            return json_response(events)
        return json_response({"events": events})

    def events_ics(self, request: Request) -> Response:
        if self.config.legacy_events_plugin:
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
