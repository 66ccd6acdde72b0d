"""The UserEcho client against the sandbox UserEcho: the health check."""

from __future__ import annotations

import pytest

from tests.userecho_fixtures import (
    AGENT_TOKEN,
    READ_TOKEN,
    USERECHO_TOKEN,
)

from .helpers import (
    later,
)


# --- health check --------------------------------------------------------------------------------
def test_health_check_reports_forums_users_review_queue_and_access(
    userecho_client, userecho_sandbox
):
    report = userecho_client().health_check()
    assert report.ok, report.error
    assert (report.reachable, report.credentials_ok, report.is_admin) == (True, True, True)
    assert report.title == "3 forums: Ideas & Feedback, Support, Beta program"
    assert (report.user_count, report.review_count) == (80, 12)
    assert report.software == "UserEcho" and report.capabilities == []
    assert any("not offered" in note for note in report.notes)


def test_health_check_finds_the_later_routes(userecho_client, userecho_sandbox):
    later(userecho_sandbox)
    report = userecho_client().health_check()
    assert report.capabilities == ["group_membership", "user_delete"]
    assert any("later routes" in note for note in report.notes)


@pytest.mark.parametrize("token", [READ_TOKEN, AGENT_TOKEN])
def test_a_token_without_all_is_accepted_but_named_as_not_enough(userecho_client, token):
    report = userecho_client(api_key=token).health_check()
    assert report.credentials_ok is True and report.is_admin is False
    assert report.error_kind == "not_admin" and "“all” (manage) permission" in report.error
    assert report.user_count == 80


def test_a_refused_token_is_a_credentials_problem(userecho_client):
    report = userecho_client(api_key="no-such-token").health_check()
    assert (report.reachable, report.credentials_ok) == (True, False)
    assert "Invalid access token" in report.error
    assert "Setup → Advanced features → API" in report.error


def test_an_unreachable_project_says_so(userecho_sandbox):
    from forums.clients.userecho import UserEchoClient

    client = UserEchoClient(
        base_url="http://127.0.0.1:9", api_key=USERECHO_TOKEN, allow_http_hosts=["127.0.0.1"]
    )
    report = client.health_check()
    assert report.reachable is False and "refused" in report.error


# --- issue 26, item 13 -----------------------------------------------------------------------
def test_the_later_routes_note_promises_only_what_a_page_offers(userecho_client, userecho_sandbox):
    later(userecho_sandbox)
    notes = " ".join(userecho_client().health_check().notes)
    assert "deleting users is offered" in notes
    assert "group" not in notes  # no page changes one user's groups
