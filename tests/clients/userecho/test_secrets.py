"""The UserEcho token travels in the query string (`?access_token=`, ENDPOINTS.md 1.2), where
access logs and exception texts usually show it. Forumdeck must not: no log line, message,
repr or exception chain it writes may hold the token (trap 21)."""

from __future__ import annotations

import logging
import traceback

import pytest
import responses

from forums.clients.errors import ForumError
from forums.clients.userecho import UserEchoClient
from tests.userecho_fixtures import (
    USERECHO_TOKEN,
)

TOKEN = "ue-secret-token-7f3a9c0d1e2b"
HOST = "https://acme.userecho.com"


def everything_about(exc: BaseException) -> str:
    """All a log handler or error reporter could print: message, repr, the formatted chain,
    and every exception hanging on it (suppressed context included)."""
    seen = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    parts = ["".join(traceback.format_exception(exc))]
    for item in seen:
        parts += [str(item), repr(item), repr(item.args)]
    return "\n".join(parts)


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    return caplog


def test_a_normal_call_logs_no_token_even_at_debug(userecho_client, userecho_sandbox, debug_logs):
    client = userecho_client()
    client.list_groups()
    assert USERECHO_TOKEN not in debug_logs.text
    # urllib3's own request line was written, with the token blanked.
    assert "access_token=********" in debug_logs.text
    assert "/api/v2/users/groups.json" in debug_logs.text
    assert USERECHO_TOKEN not in repr(client)
    # The sandbox's access log has it, as a real server's would: that is theirs, not ours.
    assert USERECHO_TOKEN in userecho_sandbox.app.calls.records()[0].query


def test_a_failed_connection_names_the_host_but_not_the_url(debug_logs):
    client = UserEchoClient(
        base_url="http://127.0.0.1:9", api_key=TOKEN, allow_http_hosts=["127.0.0.1"]
    )
    with pytest.raises(ForumError) as failed:
        client.list_groups()
    assert "127.0.0.1:9" in str(failed.value)
    assert TOKEN not in everything_about(failed.value)
    assert failed.value.__context__ is None and failed.value.__cause__ is None
    assert TOKEN not in debug_logs.text


@responses.activate
def test_an_error_that_echoes_the_url_is_scrubbed():
    responses.get(
        f"{HOST}/api/v2/users/groups.json",
        status=400,
        json={"status": "error", "message": f"Bad request /users/groups.json?access_token={TOKEN}"},
    )
    responses.get(
        f"{HOST}/api/v2/forums.json",
        status=200,
        json={"status": "error", "message": f"Plan limit for token {TOKEN} reached"},
    )
    client = UserEchoClient(base_url=HOST, api_key=TOKEN)
    for call in (client.list_groups, client.list_forums):
        with pytest.raises(ForumError) as failed:
            call()
        assert "********" in str(failed.value)
        assert TOKEN not in everything_about(failed.value)


@responses.activate
def test_a_redirect_is_reported_without_its_query():
    responses.get(
        f"{HOST}/api/v2/users/current.json",
        status=302,
        headers={"Location": f"https://login.userecho.com/auth?next=/api&access_token={TOKEN}"},
    )
    client = UserEchoClient(base_url=HOST, api_key=TOKEN)
    report = client.health_check()
    assert "login.userecho.com/auth" in report.error
    assert TOKEN not in report.error and TOKEN not in str(report.as_dict())


@responses.activate
def test_the_bearer_header_carries_the_token_once_the_query_is_refused():
    def answer(request):
        if "access_token" in request.url:
            return 401, {}, '{"status": "error", "message": "Invalid access token"}'
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return 200, {}, '{"status": "success", "data": [], "details": {"count": 0}}'

    responses.add_callback(responses.GET, f"{HOST}/api/v2/users/groups.json", callback=answer)
    client = UserEchoClient(base_url=HOST, api_key=TOKEN)
    assert client.list_groups() == []
    assert client.list_groups() == []
    assert ["access_token" in c.request.url for c in responses.calls] == [True, False, False]
