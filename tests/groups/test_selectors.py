"""Reading groups: one answer per forum reused for two minutes, forgotten after a change."""

from __future__ import annotations

import pytest

from forums.groups import selectors, services

pytestmark = pytest.mark.django_db


def test_the_group_list_is_asked_once_and_forgotten_after_a_change(
    moderator, sandbox_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    app.calls.clear()
    first = selectors.group_list()
    selectors.group_list(query="beta")
    assert app.calls.count("GET", "/groups.json") == 1
    assert {r.group.name for r in first.rows} >= {"beta-testers", "trust_level_0"}
    services.group_create(actor=moderator, connection=sandbox_connection, name="fresh-group")
    after = selectors.group_list(query="fresh")
    assert [r.group.name for r in after.rows] == ["fresh-group"]
    assert app.calls.count("GET", "/groups.json") == 2


def test_namesakes_on_other_forums(sandbox_connection, nodebb_connection):
    rows = selectors.groups_named(name="translators", exclude=sandbox_connection.pk)
    assert [(r.connection_name, r.group.name) for r in rows] == [("Sandbox NodeBB", "Translators")]


def test_members_page_numbers(sandbox_connection):
    found = selectors.group_members(connection=sandbox_connection, key="regional-emea", page=2)
    assert (found.number, found.pages, found.page.total) == (2, 2, 60)
    assert len(found.page.members) == 10
