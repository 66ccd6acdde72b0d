"""One forum's health check: its calls go out at once, and a check that already knows the
slow-changing parts (version, title, user count) asks only the live ones, in the same words."""

from __future__ import annotations

import pytest

from forums.clients import get_client
from forums.models import Platform
from tests.factories import ForumConnectionFactory
from tests.userecho_fixtures import USERECHO_TOKEN

pytestmark = pytest.mark.django_db

LATENCY_MS = 300


def paths(sandbox) -> list[str]:
    return sorted(r.path for r in sandbox.app.calls.records())


def spread(sandbox) -> float:
    """Seconds between the first and the last answer the sandbox gave."""
    times = [r.at for r in sandbox.app.calls.records()]
    return max(times) - min(times)


@pytest.mark.parametrize("platform", ["discourse", "nodebb"])
def test_a_whole_check_sends_its_calls_at_once(
    request, platform, discourse_connection, discourse_sandbox, nodebb_connection, nodebb_sandbox
):
    connection, sandbox = {
        "discourse": (discourse_connection, discourse_sandbox),
        "nodebb": (nodebb_connection, nodebb_sandbox),
    }[platform]
    sandbox.app.config.faults.latency_ms = LATENCY_MS
    with get_client(connection) as client:
        report = client.health_check()
    assert report.ok and report.version and report.user_count and report.review_count is not None
    calls = sandbox.app.calls.records()
    assert len(calls) >= 4
    # One after another they would end at least 300 ms apart each; at once, together.
    assert spread(sandbox) < (len(calls) - 1) * LATENCY_MS / 1000 / 2
    assert report.lasting == {
        "title": report.title, "version": report.version, "user_count": report.user_count,
    }  # fmt: skip


def test_discourse_knowing_the_slow_parts_asks_two_calls(discourse_connection, discourse_sandbox):
    with get_client(discourse_connection) as client:
        whole = client.health_check()
    assert paths(discourse_sandbox) == [
        "/about.json", "/admin/users/list/staff.json", "/review/count.json",
        "/site/basic-info.json",
    ]  # fmt: skip
    discourse_sandbox.app.calls.clear()
    with get_client(discourse_connection) as client:
        live = client.health_check(known=whole.lasting)
    assert paths(discourse_sandbox) == ["/admin/users/list/staff.json", "/review/count.json"]
    # The card shows the same things.
    for name in ("ok", "software", "version", "title", "user_count", "review_count", "is_admin"):
        assert getattr(live, name) == getattr(whole, name), name
    assert live.lasting == {}  # taken as known: the service keeps the first one's age


def test_nodebb_knowing_the_slow_parts_asks_three_calls(nodebb_connection, nodebb_sandbox):
    with get_client(nodebb_connection) as client:
        whole = client.health_check()
    assert len(nodebb_sandbox.app.calls.records()) >= 6
    nodebb_sandbox.app.calls.clear()
    with get_client(nodebb_connection) as client:
        live = client.health_check(known=whole.lasting)
    assert {p for p in paths(nodebb_sandbox)} == {"/api/self", "/api/flags", "/api/post-queue"}
    assert len(paths(nodebb_sandbox)) <= 4  # a fourth only for a post queue of many pages
    for name in ("ok", "software", "version", "title", "user_count", "review_count", "is_admin"):
        assert getattr(live, name) == getattr(whole, name), name


@pytest.mark.parametrize("platform", ["discourse", "nodebb"])
@pytest.mark.parametrize("problem", ["wrong key", "not a forum"])
def test_a_live_check_that_fails_explains_it_as_the_whole_check_does(
    platform, problem, discourse_sandbox, nodebb_sandbox
):
    sandbox = {"discourse": discourse_sandbox, "nodebb": nodebb_sandbox}[platform]
    other = nodebb_sandbox if platform == "discourse" else discourse_sandbox
    connection = ForumConnectionFactory(
        platform=Platform.DISCOURSE if platform == "discourse" else Platform.NODEBB,
        base_url=(other if problem == "not a forum" else sandbox).url,
        api_key="not-the-key",
        api_username="system" if platform == "discourse" else "1",
    )
    known = {"title": "Old title", "version": "1.0", "user_count": 5}
    with get_client(connection) as client:
        whole = client.health_check()
    with get_client(connection) as client:
        live = client.health_check(known=known)
    assert not live.ok and live.error and live.error == whole.error
    assert (live.error_kind, live.software, live.title, live.version) == (
        whole.error_kind, whole.software, whole.title, whole.version,
    )  # fmt: skip


def test_a_live_check_of_a_dead_forum_asks_nothing_more(discourse_connection, discourse_sandbox):
    discourse_sandbox.app.config.faults.outage_for(60)
    with get_client(discourse_connection) as client:
        report = client.health_check(known={"title": "t", "version": "v", "user_count": 1})
    assert not report.ok and "internal error" in report.error
    # A 503 is not a wall the whole check would explain better: it is asked again.
    assert len(discourse_sandbox.app.calls.records()) >= 2


def test_every_call_of_a_check_passes_the_sessions_hooks(discourse_connection):
    seen: list[str] = []
    with get_client(discourse_connection) as client:
        client.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request.url))
        client.health_check()
        assert client.calls == 4 and len(seen) == 4


def test_each_extra_thread_sends_through_its_own_session(discourse_connection):
    with get_client(discourse_connection) as client:
        main = client.session
        sessions = client.together(*[lambda: client.session for _ in range(4)])
    assert sessions[0] is main  # the first job runs in the caller's thread
    others = sessions[1:]
    assert all(s is not main for s in others) and len({id(s) for s in others}) == 3
    assert all(s.headers["Api-Key"] == main.headers["Api-Key"] for s in others)


def test_userecho_knowing_the_slow_parts_skips_the_user_count_and_the_probe(
    userecho_sandbox,  # noqa: F811
):
    connection = ForumConnectionFactory(
        platform=Platform.USERECHO, base_url=userecho_sandbox.url, api_key=USERECHO_TOKEN,
        api_username="",
    )  # fmt: skip
    with get_client(connection) as client:
        whole = client.health_check()
    assert whole.ok and whole.lasting
    first = len(userecho_sandbox.app.calls.records())
    userecho_sandbox.app.calls.clear()
    with get_client(connection) as client:
        live = client.health_check(known=whole.lasting)
    asked = paths(userecho_sandbox)
    assert len(asked) == first - 2
    assert not any(p.endswith("/subscriptions") for p in asked)
    for name in ("ok", "title", "user_count", "review_count", "capabilities", "notes"):
        assert getattr(live, name) == getattr(whole, name), name
