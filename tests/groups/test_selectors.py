"""Reading groups: one answer per forum reused for two minutes, forgotten after a change."""

from __future__ import annotations

import pytest

from forums.groups import selectors, services

pytestmark = pytest.mark.django_db


def test_the_group_list_is_asked_once_and_forgotten_after_a_change(
    moderator, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    app.calls.clear()
    first = selectors.group_list()
    selectors.group_list(query="beta")
    assert app.calls.count("GET", "/groups.json") == 1
    assert {r.group.name for r in first.rows} >= {"beta-testers", "trust_level_0"}
    services.group_create(actor=moderator, connection=discourse_connection, name="fresh-group")
    after = selectors.group_list(query="fresh")
    assert [r.group.name for r in after.rows] == ["fresh-group"]
    assert app.calls.count("GET", "/groups.json") == 2


def test_namesakes_on_other_forums(discourse_connection, nodebb_connection):
    rows = selectors.groups_named(name="translators", exclude=discourse_connection.pk)
    assert [(r.connection_name, r.group.name) for r in rows] == [("Sandbox NodeBB", "Translators")]


def test_members_page_numbers(discourse_connection):
    found = selectors.group_members(connection=discourse_connection, key="regional-emea", page=2)
    assert (found.number, found.pages, found.page.total) == (2, 2, 60)
    assert len(found.page.members) == 10


def test_a_bulk_action_on_a_forum_makes_its_cached_list_stale(
    moderator, approver, discourse_connection, discourse_sandbox
):
    from forums.bulk import engine
    from forums.bulk.services import bulk_action_propose
    from tests.bulk.helpers import approve

    app = discourse_sandbox.app
    selectors.group_list()
    action = bulk_action_propose(
        actor=moderator,
        kind="group_create",
        connections=[discourse_connection],
        params={"name": "by-worker"},
    )
    engine.plan_action(action.pk)
    action.refresh_from_db()
    assert "by-worker" not in {r.group.name for r in selectors.group_list().rows}  # not run yet
    approve(action, approver)
    engine.run_action(action.pk)
    app.calls.clear()
    assert "by-worker" in {r.group.name for r in selectors.group_list().rows}
    assert app.calls.count("GET", "/groups.json") == 1
