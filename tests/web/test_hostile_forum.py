"""One forum of the fleet answers hostile data: HTML in names, huge strings, odd unicode,
nested JSON where a string belongs, dates at the calendar's ends, a rule repeating every
second. Every area's page still answers 200 within its deadline, shows that forum's data
escaped, and shows the other forum's rows; no thread is left running."""

from __future__ import annotations

import copy
import html
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from forums.connections.selectors import forum_deadline

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('owned')</script>"
HUGE = "W" * 20_000
ODD = "Z\u0335\u0321a\u0336\u0322l\u0334g\u0338o\u200f\u202e\ufeff\U0001f4a5"  # zalgo, RTL, BOM


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value, {"k": SCRIPT}]
    return value


@pytest.fixture
def hostile(monkeypatch, discourse_sandbox, discourse_connection):
    app = discourse_sandbox.app
    table = type(app).occurrences.__globals__["data"].RECURRENCES
    monkeypatch.setitem(table, "every_second", ("FREQ=SECONDLY", timedelta(seconds=1)))
    with app.lock:
        app.config.title = SCRIPT + HUGE
        person = app.users[5]
        person.update(name=SCRIPT + ODD + HUGE, username="odd_" + "\u00e9" * 10)
        app.users[6]["name"] = _nested(40)  # a list where a string belongs
        template = next(g for g in app.groups.values() if not g["automatic"])
        for n, name in enumerate(["a/b", "..", SCRIPT, ODD, HUGE]):
            group = copy.deepcopy(template)
            group.update(id=9_000 + n, name=name, full_name=SCRIPT + HUGE, bio_raw=SCRIPT,
                         members={}, owners=set())  # fmt: skip
            app.groups[9_000 + n] = group
            app.tags[name] = {"id": 9_000 + n, "name": name}
        now = app.now
        event = {"topic_id": app.events[0]["topic_id"], "all_day": False, "category_id": 4,
                 "status": "public", "recurrence_until": None}  # fmt: skip
        app.events += [
            {**event, "id": 9_101, "name": SCRIPT + HUGE, "starts_at": now + timedelta(hours=3),
             "ends_at": now + timedelta(hours=4), "timezone": "x" * 5000,
             "location": SCRIPT, "description": HUGE},
            {**event, "id": 9_102, "name": ODD, "starts_at": now + timedelta(hours=5),
             "ends_at": now - timedelta(days=400), "timezone": "../../etc/passwd",
             "all_day": True, "location": "", "description": ""},
            {**event, "id": 9_103, "name": "Every second", "recurrence": "every_second",
             "starts_at": datetime(2000, 1, 1, tzinfo=UTC),
             "ends_at": datetime(2000, 1, 1, 0, 0, 1, tzinfo=UTC), "timezone": "UTC",
             "location": "", "description": ""},
            {**event, "id": 9_104, "name": "The last day", "timezone": "Pacific/Kiritimati",
             "starts_at": datetime(9999, 12, 31, 9, tzinfo=UTC),
             "ends_at": datetime(9999, 12, 31, 10, tzinfo=UTC), "location": "",
             "description": ""},
        ]  # fmt: skip
        backup = dict(app.backups[0])
        backup.update(filename=SCRIPT + "../../etc/passwd" + ODD + ".tar.gz", size=10**30,
                      last_modified=datetime(9999, 12, 31, tzinfo=UTC))  # fmt: skip
        app.backups.append(backup)
    return app


def _body(response) -> str:
    """The whole page, streamed or not (a streamed page's time is in reading it)."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _spare_threads(before: set[threading.Thread]) -> list[str]:
    ends = time.monotonic() + 60
    while True:
        spare = [t.name for t in threading.enumerate()
                 if t not in before and t.is_alive() and not t.daemon]  # fmt: skip
        if not spare or time.monotonic() > ends:
            return spare
        time.sleep(0.05)


def test_every_area_answers_a_forum_of_hostile_data(
    admin_client_, hostile, discourse_connection, nodebb_connection, nodebb_sandbox
):
    month = hostile.now.strftime("%Y-%m")
    other_group = next(g["name"] for g in nodebb_sandbox.app.state.groups.values()
                       if not g["system"] and not g["name"].startswith("cid:"))  # fmt: skip
    pages = [
        ("overview", reverse("overview"), {}, ""),
        ("overview's totals", reverse("overview"), {"fleet": "1"}, ""),
        ("people search", reverse("forums:people-search"), {"q": "odd_", "stream": "0"}, ""),
        ("person", reverse("forums:person-detail", args=[discourse_connection.pk, 5]), {}, ""),
        ("person, nested name", reverse("forums:person-detail", args=[discourse_connection.pk, 6]),
         {}, ""),
        ("groups", reverse("forums:group-list"), {}, other_group),
        ("tags", reverse("forums:tag-list"), {}, ""),
        ("calendar", reverse("forums:calendar-month"), {"month": month}, ""),
        ("agenda", reverse("forums:calendar-agenda"), {"days": "60"}, ""),
        ("far calendar", reverse("forums:calendar-month"), {"month": "2199-12"}, ""),
        ("backups", reverse("forums:backup-list"), {}, ""),
        ("backup", reverse("forums:backup-detail", args=[discourse_connection.pk]), {}, ""),
    ]  # fmt: skip
    shown: dict[str, bool] = {}
    before = set(threading.enumerate())
    for label, url, query, expected in pages:
        began = time.monotonic()
        response = admin_client_.get(url, query)
        text = _body(response)
        took = time.monotonic() - began
        assert response.status_code == 200, label
        assert took < forum_deadline() + 30, label  # generous for a busy machine
        assert SCRIPT not in text, label  # every forum string is escaped
        shown[label] = html.escape(SCRIPT) in text
        if expected:
            assert expected in text, label  # the other forum's rows still show
    # The hostile strings were shown (escaped), not dropped.
    assert {k for k, v in shown.items() if v} >= {
        "people search", "person", "person, nested name", "groups", "tags", "calendar",
        "agenda", "backup",
    }  # fmt: skip
    assert _spare_threads(before) == []
