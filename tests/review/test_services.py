"""Deciding review items: the forum's answer, stale items in plain words, many at once."""

from __future__ import annotations

import pytest

from forums import tasks
from forums.models import AuditEntry
from forums.review import selectors, services
from tests.review.helpers import a_flag

pytestmark = pytest.mark.django_db


def test_the_queue_is_highest_priority_then_newest_and_filters(
    discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    top, _, _ = a_flag(app, score=50.0)
    result = selectors.review_queue()
    assert result.rows[0].item.item_id == str(top["id"])
    priorities = [r.item.priority for r in result.rows]
    assert priorities == sorted(priorities, reverse=True)
    assert result.forums[0].count == sum(1 for r in app.reviewables if r["status"] == 0)
    queued = selectors.review_queue(kind="queued_post").rows
    assert queued and all(r.kind_words == "Post waiting for approval" for r in queued)
    assert "Inappropriate" in result.reasons


def test_a_gone_item_is_stale(moderator, discourse_connection, discourse_sandbox):
    decided = services.review_decide(
        actor=moderator, connection=discourse_connection, item_id="999999", action_id="disagree"
    )
    assert decided.stale and not decided.ok and "meanwhile" in decided.message
    assert AuditEntry.objects.get(action="review.decide").outcome == "failure"


def test_many_at_once_skips_what_was_decided_meanwhile(
    moderator, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    rows = [a_flag(app, raw=f"post {n}")[0] for n in range(3)]
    selectors.review_queue()  # the page was drawn: the queue as then
    with app.lock:
        rows[0]["status"] = 3  # ignored on the forum since
    keys = [f"{discourse_connection.pk}:{r['id']}" for r in rows]
    results = services.review_decide_many(actor=moderator, keys=keys, decision="ignore")
    by_key = {r.key: r for r in results}
    assert by_key[keys[0]].stale and "meanwhile" in by_key[keys[0]].message
    assert by_key[keys[1]].ok and by_key[keys[2]].ok
    assert rows[1]["status"] == rows[2]["status"] == 3
    assert selectors.review_queue().forums[0].count == sum(
        1 for r in app.reviewables if r["status"] == 0
    )  # the decided ones are no longer listed (the forum was asked again)


def test_the_badge_counts_the_kept_queues_and_the_worker_reads_them_again(
    discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    assert selectors.review_count_cached() == 0  # no queue read yet: no forum is asked
    waiting = sum(1 for r in app.reviewables if r["status"] == 0)
    assert selectors.review_queue().forums[0].count == waiting
    assert selectors.review_count_cached() == waiting
    app.calls.clear()
    assert selectors.review_queue().forums[0].count == waiting  # the kept copy
    assert app.calls.count() == 0
    a_flag(app, raw="one more")
    assert selectors.review_queue().forums[0].count == waiting  # kept until the worker reads
    assert app.calls.count() == 0
    assert tasks.refresh_review_queues() == 1  # beat's minute read
    assert selectors.review_count_cached() == waiting + 1
    assert selectors.review_queue().forums[0].count == waiting + 1


def test_a_queue_longer_than_one_look_says_how_many_more_wait(
    monkeypatch, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    for n in range(25):
        a_flag(app, raw=f"post {n}")
    waiting = sum(1 for r in app.reviewables if r["status"] == 0)
    # Discourse answers ten a page: a read of two pages, the newest one and one more.
    monkeypatch.setattr(selectors, "PAGES_READ", 2)
    monkeypatch.setattr(selectors, "HEAD_PAGES", 1)
    line = selectors.review_queue().forums[0]
    assert line.count == 20
    assert line.read_note == f"Showing 20 read so far: {waiting - 20} more wait on the forum, " \
        "read here a few pages a minute (the newest every time)."  # fmt: skip
    monkeypatch.setattr(selectors, "PAGES_READ", 10)
    monkeypatch.setattr(selectors, "HEAD_PAGES", 3)
    tasks.refresh_review_queues([discourse_connection.pk])
    line = selectors.review_queue().forums[0]
    assert line.count == waiting and not line.read_note
