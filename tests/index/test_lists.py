"""Groups and Tags read the index: no forum call while it holds a forum's whole list, live again
after Forumdeck changes that forum, and a forum that does not answer shows its last known rows,
marked."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from forums.groups.selectors import forget_groups
from forums.index.sync import index_sync_start, index_sync_step
from forums.tags.selectors import forget_tags

pytestmark = pytest.mark.django_db


def sync(connection):
    index_sync_start(connection=connection)
    while index_sync_step(connection_id=connection.pk).again_in is not None:
        pass


@pytest.fixture
def indexed(discourse_sandbox, nodebb_sandbox, discourse_connection, nodebb_connection):
    for connection in (discourse_connection, nodebb_connection):
        sync(connection)
    for sandbox in (discourse_sandbox, nodebb_sandbox):
        sandbox.app.calls.clear()
    return discourse_sandbox, nodebb_sandbox


def page(client, name: str, **params) -> str:
    return client.get(reverse(name), params).content.decode()


def calls(sandboxes) -> int:
    return sum(len(s.app.calls.records()) for s in sandboxes)


def test_groups_and_tags_answer_from_the_index_without_a_call(viewer_client, indexed):
    discourse, nodebb = indexed
    group = next(g for g in discourse.app.groups.values() if not g["automatic"])
    groups = page(viewer_client, "forums:group-list")
    tags = page(viewer_client, "forums:tag-list")
    assert calls(indexed) == 0
    assert group["name"] in groups and groups.count("index-freshness") == 2
    assert "as of" in tags and tags.count("index-freshness") == 2
    # "Ask the forums again" asks them.
    page(viewer_client, "forums:group-list", refresh="1")
    assert discourse.app.calls.count(path="/groups.json") == 1


def test_a_change_made_here_sends_the_next_list_to_the_forum(
    viewer_client, indexed, discourse_connection
):
    discourse, nodebb = indexed
    forget_groups(discourse_connection)  # what every group change made in Forumdeck calls
    forget_tags(discourse_connection)
    page(viewer_client, "forums:group-list")
    page(viewer_client, "forums:tag-list")
    assert discourse.app.calls.count(path="/groups.json") == 1
    assert discourse.app.calls.count(path="/tags.json") == 1
    assert len(nodebb.app.calls.records()) == 0
    # ... whose answer is the index's again, as of now.
    discourse.app.calls.clear()
    page(viewer_client, "forums:group-list")
    assert len(discourse.app.calls.records()) == 0


def test_a_forum_that_does_not_answer_shows_its_last_known_rows_marked(
    viewer_client, indexed, discourse_connection
):
    discourse, nodebb = indexed
    forget_groups(discourse_connection)
    forget_tags(discourse_connection)
    discourse.app.config.faults.outage_until = time.time() + 600
    group = next(g for g in discourse.app.groups.values() if not g["automatic"])
    groups = page(viewer_client, "forums:group-list")
    assert "Showing what Forumdeck last saw of it" in groups
    assert group["name"] in groups and "last known" in groups
    tags = page(viewer_client, "forums:tag-list")
    assert "Showing what Forumdeck last saw of it" in tags and "last known" in tags
