"""One explanation per failure (issue 14, finding 2): the health check and every call a page
makes say the same words for the same broken connection, on both platforms."""

from __future__ import annotations

import pytest

from forums.clients import get_client
from forums.clients.errors import (
    ForumError,
    ForumIsForumdeck,
    ForumNotAdmin,
    ForumNotAForum,
    ForumNotFound,
    ForumUnauthorized,
)
from forums.models import Platform
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db


def failures(connection) -> tuple[str, list[ForumError]]:
    """The health check's words, and what a search and a person page's read raise."""
    with get_client(connection) as client:
        report = client.health_check()
    raised = []
    for call in (
        lambda c: c.find_users(query="maria"),
        lambda c: c.user_details(user_id=5),
    ):
        with get_client(connection) as client, pytest.raises(ForumError) as info:
            call(client)
        raised.append(info.value)
    return report.error, raised


def test_a_wrong_discourse_key_reads_the_same_on_test_search_and_person(discourse_sandbox):
    connection = ForumConnectionFactory(base_url=discourse_sandbox.url, api_key="wrong")
    words, raised = failures(connection)
    assert words.startswith("Discourse refused the credentials")
    assert all(isinstance(e, ForumUnauthorized) and str(e) == words for e in raised)


def test_a_wrong_nodebb_token_never_shows_nodebbs_session_words(nodebb_sandbox):
    connection = ForumConnectionFactory(
        platform=Platform.NODEBB, base_url=nodebb_sandbox.url, api_key="wrong", api_username=""
    )
    words, raised = failures(connection)
    assert words.startswith("NodeBB refused the API token")
    for exc in raised:
        assert isinstance(exc, ForumUnauthorized) and str(exc) == words
        assert "login session" not in str(exc)


def test_a_non_admin_nodebb_token_is_named_as_such_everywhere(nodebb_sandbox):
    connection = ForumConnectionFactory(
        platform=Platform.NODEBB,
        base_url=nodebb_sandbox.url,
        api_key="member-token",
        api_username="",
    )
    with get_client(connection) as client:
        report = client.health_check()
    with get_client(connection) as client, pytest.raises(ForumNotAdmin) as search:
        client.find_users(query="maria")
    assert report.error_kind == "not_admin" and report.credentials_ok is True
    assert str(search.value) == report.error
    assert "not a NodeBB administrator" in report.error


@pytest.mark.parametrize("platform", [Platform.DISCOURSE, Platform.NODEBB])
def test_forumdecks_own_address_is_named_as_forumdeck(live_server, platform):
    connection = ForumConnectionFactory(
        platform=platform, base_url=live_server.url, api_key="x", api_username=""
    )
    words, raised = failures(connection)
    assert words.startswith("This address is Forumdeck itself, not a forum")
    assert all(isinstance(e, ForumIsForumdeck) and str(e) == words for e in raised)
    with get_client(connection) as client:
        report = client.health_check()
    assert report.software == ""  # the Test result does not claim "Software: Discourse"


def test_the_wrong_software_is_named_the_same_way_everywhere(discourse_sandbox, nodebb_sandbox):
    nodebb_at_discourse = ForumConnectionFactory(
        platform=Platform.NODEBB, base_url=discourse_sandbox.url, api_key="x", api_username=""
    )
    words, raised = failures(nodebb_at_discourse)
    assert words.startswith("The address answers, but not like a NodeBB forum")
    assert all(isinstance(e, ForumNotAForum) and str(e) == words for e in raised)
    discourse_at_nodebb = ForumConnectionFactory(base_url=nodebb_sandbox.url, api_key="x")
    words, raised = failures(discourse_at_nodebb)
    assert words.startswith("The address answers, but not like a Discourse forum")
    assert all(str(e) == words for e in raised)


def test_a_missing_user_with_good_credentials_is_still_not_found(
    discourse_connection, nodebb_connection
):
    for connection in (discourse_connection, nodebb_connection):
        with get_client(connection) as client, pytest.raises(ForumNotFound):
            client.user_details(user_id=987_654)


def test_a_wrong_userecho_token_reads_the_same_on_test_and_search(userecho_sandbox):
    connection = ForumConnectionFactory(
        platform=Platform.USERECHO,
        base_url=userecho_sandbox.url,
        api_key="not-a-token",
        api_username="",
    )
    with get_client(connection) as client:
        report = client.health_check()
    with get_client(connection) as client, pytest.raises(ForumUnauthorized) as search:
        client.find_users(query="maria")
    assert report.error.startswith("UserEcho refused the API token")
    assert str(search.value) == report.error
