"""Pages over the index read only what they show: one query for every forum's matches, and a
search the index answers whole is drawn at once, with nothing filled in after."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from forums.clients.records import ForumUser
from forums.core.fleet_index.reads import index_search
from forums.core.fleet_index.rows import index_accounts_save
from forums.models import IndexSync

pytestmark = pytest.mark.django_db


def complete(connection, *, accounts=(), groups=None, tags=None):
    """``connection``'s part of the index, read whole just now."""
    now = timezone.now()
    if accounts:
        index_accounts_save(connection=connection, users=list(accounts), generation=1)
    IndexSync.objects.update_or_create(
        connection=connection,
        defaults={
            "state": IndexSync.State.COMPLETE,
            "generation": 1,
            "accounts_complete_at": now,
            "groups_complete_at": now,
            "tags_complete_at": now,
        },
    )


def users(prefix: str, count: int, first_id: int = 1) -> list[ForumUser]:
    return [
        ForumUser(id=first_id + i, username=f"{prefix}{i:03d}", email=f"{prefix}{i}@example.org")
        for i in range(1, count + 1)
    ]


def test_each_forums_first_matches_come_from_one_query(
    discourse_connection, nodebb_connection, django_assert_num_queries
):
    complete(discourse_connection, accounts=users("spam", 5))
    complete(nodebb_connection, accounts=users("spam", 2) + users("ham", 3, first_id=100))
    ids = [discourse_connection.pk, nodebb_connection.pk]
    with django_assert_num_queries(1):
        found = index_search(query="spam", status="", connection_ids=ids, limit=3)
    assert [u.username for u in found[discourse_connection.pk]] == ["spam001", "spam002", "spam003"]
    assert [u.username for u in found[nodebb_connection.pk]] == ["spam001", "spam002"]
    assert index_search(query="nobody", status="", connection_ids=ids, limit=3) == {
        discourse_connection.pk: [],
        nodebb_connection.pk: [],
    }


def test_a_search_the_index_answers_is_drawn_whole_at_once(
    viewer_client, discourse_connection, nodebb_connection, discourse_sandbox, nodebb_sandbox
):
    shared = ForumUser(id=900, username="wave_rider", email="wave@example.org")
    complete(discourse_connection, accounts=[shared])
    complete(nodebb_connection, accounts=[shared])
    discourse_sandbox.app.calls.clear()
    nodebb_sandbox.app.calls.clear()
    response = viewer_client.get(reverse("forums:people-search"), {"q": "wave"})
    html = b"".join(response.streaming_content).decode()
    assert "wave_rider" in html and "on 2 forums" in html
    assert "still waiting" not in html and "data-fill" not in html
    assert html.count("index-freshness") == 2
    assert not discourse_sandbox.app.calls.records() and not nodebb_sandbox.app.calls.records()
