"""The Discourse client against the sandbox Discourse (and `responses` for broken servers):
health, counts and errors."""

from __future__ import annotations

import time

import pytest
import responses

from forums.clients.errors import (
    ForumBadResponse,
    ForumNotAForum,
    ForumNotFound,
    ForumRateLimited,
    ForumServerError,
    ForumTimeout,
    ForumUnauthorized,
)
from forums.sandbox.core import RunningSandbox, SandboxConfig
from forums.sandbox.discourse import DiscourseSandbox

from .helpers import (
    KEY,
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    make_client,
)

# Every test that uses the sandbox runs once per release profile it plays (3.4 and 2026.1):
# these are the areas whose requests or answers differ between releases.
pytestmark = pytest.mark.every_release


# --- health, counts, errors ---------------------------------------------------------------------
def test_health_check_and_counts(client, sandbox):
    report = client.health_check()
    assert report.ok, report.error
    assert report.is_admin and report.title == sandbox.config.title
    assert report.version and report.user_count == 2600
    assert report.review_count == client.review_count() == 7
    assert client.site_title() == sandbox.config.title
    assert client.version() == report.version and client.user_count() == 2600


def test_wrong_key_health_check_says_credentials_refused(server, sandbox):
    with make_client(server.url, key="wrong-key") as bad:
        report = bad.health_check()
    # Admin routes hide behind 404 for a bad key; the client asks why before calling the user
    # "not found", and says what the health check says.
    with (
        make_client(server.url, key="wrong-key") as bad,
        pytest.raises(ForumUnauthorized) as refused,
    ):
        bad.get_user(user_id=1)
    assert report.reachable and report.credentials_ok is False
    assert report.error_kind == "auth" and "refused the credentials" in report.error
    assert str(refused.value) == report.error
    assert "wrong-key" not in report.error
    with pytest.raises(ForumNotFound):
        make_client(server.url).get_user(user_id=987654)  # a good key: really not found


def test_rate_limit_raises_with_the_servers_wait():
    app = DiscourseSandbox(SandboxConfig(api_key=KEY, users=20, admin_requests_per_minute=3))
    with RunningSandbox(app) as running, make_client(running.url) as c:
        for _ in range(3):
            c.site_title()
        with pytest.raises(ForumRateLimited) as limited:
            c.list_users()
    assert limited.value.retry_after == 60
    assert KEY not in str(limited.value)
    assert app.calls.count(status=429) == 1 and app.calls.count(status=200) == 3


def test_injected_server_error_and_timeout(client, sandbox, server):
    sandbox.config.faults.error_rate = 1.0
    with pytest.raises(ForumServerError) as failed:
        client.list_tags()
    assert failed.value.status == 502
    sandbox.config.faults.error_rate = 0
    sandbox.config.faults.outage_for(30)
    with pytest.raises(ForumServerError):
        client.list_backups()
    sandbox.config.faults.outage_until = 0
    sandbox.config.faults.latency_ms = 600
    with make_client(server.url, timeout=0.2) as slow, pytest.raises(ForumTimeout):
        slow.list_tags()
    # The forum still answers the call the client gave up on: wait for that answer, so no call
    # of this test is in flight when the next one starts (on a busy machine it may be late).
    deadline = time.monotonic() + 30
    while not sandbox.calls.count("GET", "/tags.json", status=200):
        assert time.monotonic() < deadline, "the slow /tags.json call was never answered"
        time.sleep(0.02)


@responses.activate
def test_bad_json_and_html_instead_of_json():
    url = "http://127.0.0.1:9"
    auth = responses.matchers.header_matcher({"Api-Key": KEY, "Api-Username": "system"})
    responses.get(
        f"{url}/tags.json", body="{not json", content_type="application/json", match=[auth]
    )
    responses.get(
        f"{url}/tag_groups.json",
        body="<!DOCTYPE html><html>Welcome</html>",
        content_type="text/html",
        match=[auth],
    )
    c = make_client(url)
    with pytest.raises(ForumBadResponse) as bad:
        c.list_tags()
    assert not isinstance(bad.value, ForumNotAForum)
    with pytest.raises(ForumNotAForum):
        c.list_tag_groups()


@responses.activate
def test_create_backup_sends_the_string_true():
    url = "http://127.0.0.1:9"
    responses.post(
        f"{url}/admin/backups.json",
        json={"success": "OK"},
        match=[responses.matchers.json_params_matcher({"with_uploads": "true"})],
    )
    make_client(url).create_backup(with_uploads=True)
    assert len(responses.calls) == 1
