"""The UserEcho client against the sandbox UserEcho: paths, the token, the envelope, errors
and paging (shared/specs/userecho/ENDPOINTS.md section 4: what the client must defend
against)."""

from __future__ import annotations

import pytest

from forums.clients.errors import (
    ForumForbidden,
    ForumNotFound,
    ForumRateLimited,
    ForumRejected,
    ForumUnauthorized,
)
from tests.userecho_fixtures import (
    READ_TOKEN,
    USERECHO_TOKEN,
)

from .helpers import (
    calls,
    query,
    state,
)


# --- transport: paths, token, envelope, errors, paging -------------------------------------------
def test_every_path_ends_in_json_and_carries_the_token_in_the_query(
    userecho_client, userecho_sandbox
):
    client = userecho_client()
    client.list_groups()
    client.find_users(query="maria")
    sent = calls(userecho_sandbox)
    assert sent and all(r.path.startswith("/api/v2/") and r.path.endswith(".json") for r in sent)
    assert all(query(r)["access_token"] == [USERECHO_TOKEN] for r in sent)


def test_the_envelope_is_unwrapped_and_an_error_carries_userechos_message(userecho_client):
    client = userecho_client()
    groups = client.list_groups()
    assert [g.name for g in groups] == ["Customers", "Beta testers", "Partners", "Team"]
    with pytest.raises(ForumRejected, match="User group 'Team' already exists"):
        client.create_group(name="Team")


@pytest.mark.parametrize("http_status", ["4xx", "200"])
def test_errors_become_the_matching_forum_error_whatever_the_http_status(
    userecho_client, userecho_sandbox, http_status
):
    """1.5 [I]: the HTTP code of an error is undocumented; with 200 the envelope decides."""
    userecho_sandbox.app.configure(error_http_status=http_status, path_user_fallback=False)
    with pytest.raises(ForumUnauthorized, match="Invalid access token"):
        userecho_client(api_key="not-a-token").list_groups()
    with pytest.raises(ForumForbidden, match="a read token cannot write"):
        userecho_client(api_key=READ_TOKEN).create_group(name="Moderators")
    with pytest.raises(ForumNotFound, match="User 4242 not found"):
        userecho_client().get_user(user_id=4242)
    with pytest.raises(ForumRejected, match="already exists"):
        userecho_client().create_group(name="Team")


def test_any_status_other_than_success_is_a_failure(userecho_client, userecho_sandbox):
    """Trap 12: the PHP client checks "fail"."""
    userecho_sandbox.app.configure(failure_word="fail", error_http_status="200")
    with pytest.raises(ForumRejected, match="already exists"):
        userecho_client().create_group(name="Team")
    assert "Moderators" not in {g["name"] for g in state(userecho_sandbox).groups.values()}


def test_a_refused_query_token_is_sent_as_bearer_once_and_then_always(
    userecho_client, userecho_sandbox
):
    """1.2: the documented query parameter first; the official client's Bearer header when the
    project refuses it."""
    userecho_sandbox.app.configure(accept_query_token=False)
    client = userecho_client()
    assert len(client.list_groups()) == 4
    client.list_forums()
    first, second, *rest = calls(userecho_sandbox)
    assert "access_token" in query(first) and first.status == 401
    assert "access_token" not in query(second) and second.status == 200
    assert rest and all("access_token" not in query(r) for r in rest)


def test_a_token_refused_both_ways_is_unauthorized(userecho_client, userecho_sandbox):
    with pytest.raises(ForumUnauthorized):
        userecho_client(api_key="wrong-token").list_groups()
    assert len(calls(userecho_sandbox)) == 2  # the query parameter, then the header, once


def test_pages_follow_details_count_when_the_server_caps_the_page(
    userecho_client, userecho_sandbox
):
    userecho_sandbox.app.configure(max_limit=30)  # 1.4 [I] the maximum limit is undocumented
    users = list(userecho_client().iter_users())
    assert len(users) == 80 and len({u.id for u in users}) == 80
    pages = [query(r)["page"] for r in calls(userecho_sandbox)]
    assert pages == [["1"], ["2"], ["3"]]


def test_pages_without_details_end_on_a_short_page(userecho_client, userecho_sandbox):
    """Trap 17: `details` may be missing; a capped page is not mistaken for the last one."""
    userecho_sandbox.app.configure(details=False, max_limit=30)
    users = list(userecho_client().iter_users())
    assert len(users) == 80
    assert len(calls(userecho_sandbox)) == 3  # 30, 30, then 20: short, the end


def test_a_rate_limit_is_reported_with_the_wait(userecho_client, userecho_sandbox):
    userecho_sandbox.app.configure(requests_per_minute=2)
    client = userecho_client()
    client.list_groups()
    client.list_forums()
    with pytest.raises(ForumRateLimited) as limited:
        client.find_users(query="maria")
    assert limited.value.retry_after > 0
