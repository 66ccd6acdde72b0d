"""The review queues Forumdeck keeps (issue 24): the list reads one sorted, filtered page of
kept rows across forums, says how fresh each forum's are, reads a forum never read once live,
and a decision made here updates the kept rows at once."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forums import tasks
from forums.clients import get_client
from forums.clients.records import ReviewAction, ReviewFlag, ReviewItem, ReviewKind
from forums.models import KeptReviewItem, ReviewQueueRead
from forums.review import selectors, services
from tests.factories import ForumConnectionFactory
from tests.review.helpers import a_flag

pytestmark = pytest.mark.django_db


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _item(item_id: str, priority: float, minutes: int, **kw) -> ReviewItem:
    return ReviewItem(
        item_id=item_id,
        kind=kw.pop("kind", ReviewKind.FLAGGED_POST),
        created_at=timezone.now() - timedelta(minutes=minutes),
        priority=priority,
        flags=(ReviewFlag(reason=kw.pop("reason", "Spam"), by="flagger"),),
        actions=(ReviewAction("agree_and_hide", "Hide post"),),
        version=3,
        **kw,
    )


@pytest.fixture
def two_kept_forums():
    """Two forums whose queues were read (and nothing listening where they live: the page
    must not ask them)."""
    port = _dead_port()
    north = ForumConnectionFactory(name="North", base_url=f"http://127.0.0.1:{port}")
    south = ForumConnectionFactory(name="South", base_url=f"http://127.0.0.1:{port}")
    selectors.keep_queue(north, [
        _item("1", 5.0, 30, author_username="Ann", excerpt="buy followers", category="Lounge"),
        _item("2", 1.0, 1, author_username="bob", reason="Off-topic"),
    ])  # fmt: skip
    selectors.keep_queue(south, [
        _item("7", 9.0, 60, author_username="cy", topic_title="Welcome"),
        _item("8", 5.0, 5, kind=ReviewKind.QUEUED_POST, author_username="ann"),
    ])  # fmt: skip
    return north, south


def test_the_list_is_the_kept_rows_sorted_and_filtered_across_forums(two_kept_forums):
    north, south = two_kept_forums
    result = selectors.review_queue()
    keys = [row.key for row in result.rows]
    # Highest priority first, then newest, across both forums.
    assert keys == [f"{south.pk}:7", f"{south.pk}:8", f"{north.pk}:1", f"{north.pk}:2"]
    assert result.rows[0].item.version == 3 and result.rows[0].item.topic_title == "Welcome"
    assert [f.count for f in result.forums] == [2, 2]
    assert all(f.as_of and not f.error for f in result.forums)  # "as of …" on each line
    assert result.reasons == ["Off-topic", "Spam"]
    assert result.categories == ["North: Lounge"]
    assert [r.key for r in selectors.review_queue(kind="queued_post").rows] == [f"{south.pk}:8"]
    assert [r.key for r in selectors.review_queue(reason="Off-topic").rows] == [f"{north.pk}:2"]
    assert [r.key for r in selectors.review_queue(category="North: Lounge").rows] == [
        f"{north.pk}:1"
    ]
    assert [r.key for r in selectors.review_queue(author="ANN").rows] == [
        f"{south.pk}:8", f"{north.pk}:1"
    ]  # fmt: skip
    assert [r.key for r in selectors.review_queue(query="Followers").rows] == [f"{north.pk}:1"]
    only = selectors.review_queue(connection_ids=[north.pk])
    assert [f.connection_name for f in only.forums] == ["North"] and len(only.rows) == 2


def test_the_page_shows_the_kept_rows_and_when_each_forum_was_read(viewer_client, two_kept_forums):
    html = viewer_client.get(reverse("forums:review-list")).content.decode()
    assert html.count('class="review-row"') == 4
    north = html[html.index("<strong>North</strong>") :].split("</li>")[0]
    assert "2 items waiting" in north and "as of" in north


def test_asking_the_forums_now_queues_a_read_and_shows_the_kept_rows(
    viewer_client, two_kept_forums, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "celery.current_app.send_task", lambda name, args=(), **kw: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        html = viewer_client.get(reverse("forums:review-list"), {"refresh": "1"})
    html = html.content.decode()
    assert html.count('class="review-row"') == 4  # the dead forums were not waited for
    assert "Asked the forums again" in html
    assert sent == [(selectors.REFRESH_TASK, ([f.pk for f in two_kept_forums],))]
    assert ReviewQueueRead.objects.filter(requested_at__isnull=False).count() == 2


def test_a_forum_never_read_is_read_live_once_then_kept(discourse_connection, discourse_sandbox):
    app = discourse_sandbox.app
    a_flag(app)
    waiting = sum(1 for r in app.reviewables if r["status"] == 0)
    app.calls.clear()
    assert len(selectors.review_queue().rows) == waiting
    assert app.calls.count() > 0  # read live: Forumdeck had never read it
    assert KeptReviewItem.objects.filter(connection=discourse_connection).count() == waiting
    app.calls.clear()
    assert len(selectors.review_queue().rows) == waiting
    assert app.calls.count() == 0  # then the kept rows


def test_a_forum_that_stops_answering_keeps_its_last_rows_marked(
    discourse_connection, discourse_sandbox
):
    waiting = len(selectors.review_queue().rows)
    discourse_connection.base_url = f"http://127.0.0.1:{_dead_port()}"  # the forum went away
    discourse_connection.save()
    tasks.refresh_review_queues()
    result = selectors.review_queue()
    line = result.forums[0]
    assert line.error and line.last_known_as_of and line.count == waiting
    assert len(result.rows) == waiting


def test_a_decision_made_here_updates_the_kept_rows(
    moderator, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    row, _, _ = a_flag(app)
    before = selectors.review_queue()
    key = f"{discourse_connection.pk}:{row['id']}"
    assert key in [r.key for r in before.rows]
    decided = services.review_decide(
        actor=moderator, connection=discourse_connection, item_id=str(row["id"]),
        action_id="agree_and_hide",
    )  # fmt: skip
    assert decided.ok
    app.calls.clear()
    after = selectors.review_queue()
    assert key not in [r.key for r in after.rows]
    assert after.forums[0].count == before.forums[0].count - 1
    assert selectors.review_count_cached() == before.forums[0].count - 1
    assert app.calls.count() == 0  # from the kept rows, not the forum


def test_the_worker_reads_at_the_syncs_priority_and_a_page_at_a_reads(
    monkeypatch, discourse_connection, discourse_sandbox
):
    # The minute's read takes the index's share of the forum's slot book (Priority.SYNC); a
    # page's live read of a forum never read is a read a person waits for (Priority.READ).
    from forums.pacing import Priority

    asked = []
    real = selectors.get_client

    def spy(connection, **options):
        asked.append(options.get("priority"))
        return real(connection, **options)

    monkeypatch.setattr(selectors, "get_client", spy)
    selectors.review_queue()
    tasks.refresh_review_queues()
    assert asked == [Priority.READ, Priority.SYNC]


def test_a_read_that_began_before_a_decision_does_not_bring_the_item_back(
    moderator, discourse_connection, discourse_sandbox
):
    """The minute's read may run beside a decision and still list the item as waiting; the
    decided item stays off the list."""
    app = discourse_sandbox.app
    row, _, _ = a_flag(app)
    selectors.review_queue()
    with get_client(discourse_connection) as client:
        stale = list(client.review_items().items)  # read before the decision
    assert str(row["id"]) in [i.item_id for i in stale]
    decided = services.review_decide(
        actor=moderator, connection=discourse_connection, item_id=str(row["id"]),
        action_id="agree_and_hide",
    )  # fmt: skip
    assert decided.ok
    selectors.keep_queue(discourse_connection, stale)  # that read lands after the decision
    key = f"{discourse_connection.pk}:{row['id']}"
    assert key not in [r.key for r in selectors.review_queue().rows]


def test_a_queue_longer_than_one_read_is_read_whole_over_several_reads(
    discourse_connection, discourse_sandbox
):
    """250 waiting on a Discourse (ten a page): each read costs what it did (ten pages), takes
    the newest pages every time and a few more where the last stopped, so every waiting item is
    listed after a few reads, not only the first 100; an item decided on the forum meanwhile
    leaves the list once two sweeps have not seen it."""
    app = discourse_sandbox.app
    made = [a_flag(app, raw=f"Spam number {n}", score=float(n))[0] for n in range(250)]

    def waiting() -> set[str]:
        return {str(r["id"]) for r in app.reviewables if r["status"] == 0}

    def kept() -> set[str]:
        return set(KeptReviewItem.objects.filter(connection=discourse_connection)
                   .values_list("item_id", flat=True))  # fmt: skip

    total = len(waiting())
    assert total > 250
    app.calls.clear()
    tasks.refresh_review_queues()
    assert app.calls.count() == selectors.PAGES_READ
    assert len(kept()) == 10 * selectors.PAGES_READ
    line = selectors.review_queue().forums[0]
    assert f"{total - len(kept())} more wait on the forum" in line.read_note
    reads = 1
    while kept() != waiting():
        app.calls.clear()
        tasks.refresh_review_queues()
        assert app.calls.count() <= selectors.PAGES_READ
        reads += 1
        assert reads <= 5, (len(kept()), total)
    assert selectors.review_queue().forums[0].read_note == ""  # nothing left unread
    with app.lock:  # decided on the forum itself
        made[-1]["status"] = 1
    gone = str(made[-1]["id"])
    for _ in range(12):  # two whole sweeps
        tasks.refresh_review_queues()
    assert gone not in kept()
    assert kept() == waiting()
