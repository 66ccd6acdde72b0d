"""The sandbox UserEcho's review queue: topics waiting for review listed by the documented
filter, deleted by P9, and approved only as UserEcho's own page would (control calls)."""

from __future__ import annotations

import requests

from .commands import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
    state,
)


def control(sb, action, body):
    return requests.post(f"{sb.url}/__sandbox__/{action}", json=body, timeout=5)


def waiting_ids(sb, forum_id):
    rows = data(call(sb, "GET", f"forums/{forum_id}/topics.json",
                     params={"filter__needs_review": 1, "limit": 100}))  # fmt: skip
    return {t["id"] for t in rows}


def test_a_control_call_adds_a_waiting_topic_by_anyone(sandbox):
    author = max(state(sandbox).users)
    r = control(sandbox, "review-topics", {"forum_id": 2, "author_id": author,
                                            "header": "Spam offer"})  # fmt: skip
    assert r.status_code == 200
    topic_id = r.json()["id"]
    assert topic_id in waiting_ids(sandbox, 2)
    topic = data(call(sandbox, "GET", f"topics/{topic_id}.json"))
    assert topic["needs_review"] is True and topic["author"]["id"] == author
    assert control(sandbox, "review-topics", {"forum_id": 999}).status_code == 400


def test_approving_happens_on_userechos_own_page_only(sandbox):
    topic_id = control(sandbox, "review-topics", {"forum_id": 1}).json()["id"]
    # ENDPOINTS.md 3 "Review queue (approve)": not documented; PUT ignores needs_review
    r = call(sandbox, "PUT", "forums/1/topics.json", json={"id": topic_id, "needs_review": False})
    assert r.status_code == 200 and topic_id in waiting_ids(sandbox, 1)
    control(sandbox, f"review-topics/{topic_id}", {"needs_review": False})
    assert topic_id not in waiting_ids(sandbox, 1)


def test_deleting_a_waiting_topic_removes_it(sandbox):
    topic_id = control(sandbox, "review-topics", {"forum_id": 1}).json()["id"]
    assert call(sandbox, "DELETE", f"topics/{topic_id}.json").status_code == 200
    assert topic_id not in state(sandbox).topics
    assert error(call(sandbox, "GET", f"topics/{topic_id}.json"), 404)
