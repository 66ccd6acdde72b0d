"""Pages over the index read only what they show: one query for every forum's matches, and a
search the index answers whole is drawn at once, with nothing filled in after."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from forums.clients.records import ForumGroup, ForumTag, ForumUser
from forums.core.fleet_index.reads import index_search
from forums.core.fleet_index.rows import index_accounts_save, index_groups_save, index_tags_save
from forums.groups.selectors import group_list
from forums.models import IndexSync
from forums.tags.selectors import tag_list

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


def tags(connection, names_counts):
    index_tags_save(
        connection=connection,
        tags=[ForumTag(name=n, topic_count=c, scope=s) for n, c, s in names_counts],
        generation=1,
    )


def test_a_tag_on_several_forums_is_one_row_with_each_forums_count(
    discourse_connection, nodebb_connection
):
    tags(discourse_connection, [("Billing", 3, ""), ("howto", 0, ""), ("only-here", 2, "")])
    tags(nodebb_connection, [("billing", 4, ""), ("howto", 0, ""), ("faq", 1, "")])
    complete(discourse_connection)
    complete(nodebb_connection)
    result = tag_list()
    rows = {r.name.lower(): r for r in result.rows}
    assert sorted(rows) == ["billing", "faq", "howto", "only-here"]
    assert sorted((c.connection_name, c.count) for c in rows["billing"].counts) == sorted(
        [(discourse_connection.name, 3), (nodebb_connection.name, 4)]
    )
    assert rows["billing"].total == 7 and len(result.rows) == 4
    assert {f.connection_id: f.count for f in result.forums} == {
        discourse_connection.pk: 3,
        nodebb_connection.pk: 3,
    }
    assert [r.name for r in tag_list(unused=True).rows] == ["howto"]
    assert {r.name for r in tag_list(one_forum_only=True).rows} == {"faq", "only-here"}
    assert [r.name.lower() for r in tag_list(query="ILL").rows] == ["billing"]


def test_the_tags_pages_follow_on_and_count_every_name(viewer_client, discourse_connection,
                                                       nodebb_connection):  # fmt: skip
    tags(discourse_connection, [(f"tag-{n:03d}", n, "") for n in range(60)])
    tags(nodebb_connection, [(f"tag-{n:03d}", 1, "") for n in range(30, 90)])
    complete(discourse_connection)
    complete(nodebb_connection)
    first = viewer_client.get(reverse("forums:tag-list")).content.decode()
    second = viewer_client.get(reverse("forums:tag-list"), {"page": 2}).content.decode()
    assert "tag-000" in first and "tag-049" in first and "tag-050" not in first
    assert "tag-050" in second and "tag-089" in second and "tag-049" not in second
    assert "90 tags" in first


def test_groups_are_filtered_sorted_and_paged_from_the_index(
    viewer_client, discourse_connection, nodebb_connection
):
    for n, connection in enumerate((discourse_connection, nodebb_connection)):
        index_groups_save(
            connection=connection,
            groups=[ForumGroup(id=g, name=f"team-{g:03d}", automatic=g == 0) for g in range(40)],
            generation=1,
        )
        complete(connection)
    result = group_list()
    assert len(result.rows) == 80
    page = result.rows[0:4]
    assert [r.group.name for r in page] == ["team-000", "team-000", "team-001", "team-001"]
    assert page[0].locked_reason  # an automatic group is not Forumdeck's to change
    assert [r.group.name for r in group_list(kind="automatic").rows] == ["team-000"] * 2
    assert len(group_list(kind="ordinary").rows) == 78
    assert [r.group.name for r in group_list(query="M-03").rows[0:2]] == ["team-030"] * 2
    assert {f.count for f in group_list(query="m-03").forums} == {10}
    second = viewer_client.get(reverse("forums:group-list"), {"page": 2}).content.decode()
    assert "team-025" in second and "team-024" not in second


def page_queries(client, name: str, params: dict, connections) -> int:
    """The queries one load of the page ``name`` over ``connections`` makes, read to its end."""
    from django.db import connection as database
    from django.test.utils import CaptureQueriesContext

    database.queries_log.clear()  # a full log (it keeps the last 9,000) would count nothing
    with CaptureQueriesContext(database) as queries:
        response = client.get(reverse(name), {**params, "forum": [c.pk for c in connections]})
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
        else:
            _ = response.content
    return len(queries)


def indexed_forums(count: int, url: str) -> list:
    """``count`` forums whose index parts are complete: groups, tags and accounts that match."""
    from tests.factories import ForumConnectionFactory

    made = []
    for n in range(count):
        connection = ForumConnectionFactory(base_url=url, requests_per_minute=6000)
        index_groups_save(
            connection=connection,
            groups=[ForumGroup(id=g, name=f"crew-{g}", automatic=g == 0) for g in range(3)],
            generation=1,
        )
        tags(connection, [("shared", n, ""), (f"own-{n}", 1, "")])
        complete(connection, accounts=users("fleet", 3, first_id=10 * n))
        made.append(connection)
    return made


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("forums:group-list", {}),
        ("forums:tag-list", {}),
        ("forums:people-search", {"q": "fleet"}),
    ],
    ids=["groups", "tags", "people"],
)
def test_a_page_over_the_index_asks_the_database_as_often_for_six_forums_as_for_two(
    viewer_client, discourse_sandbox, name, params
):
    two = indexed_forums(2, discourse_sandbox.url)
    six = two + indexed_forums(4, discourse_sandbox.url)
    page_queries(viewer_client, name, params, two)  # warm: the session, the forum list
    discourse_sandbox.app.calls.clear()
    assert page_queries(viewer_client, name, params, six) == page_queries(
        viewer_client, name, params, two
    )
    assert not discourse_sandbox.app.calls.records()  # the index answered: no forum was asked
