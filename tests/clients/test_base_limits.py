"""Bounded forum calls: a size limit on every answer, a total deadline per call, and JSON
nesting limits, each a plain ForumBadResponse a person can read (issue 13, finding 4)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.urls import reverse

from forums.clients import errors, get_client
from forums.clients.discourse import DiscourseClient
from forums.models import ForumConnection

from .conftest import MB, TRICKLE_MAX_SECONDS

KEY = "k" * 64


def client(server, **kw) -> DiscourseClient:
    return DiscourseClient(
        base_url=server.url,
        api_key=KEY,
        api_username="system",
        allow_http_hosts=["127.0.0.1"],
        **kw,
    )


def connection_to(server) -> ForumConnection:
    return ForumConnection.objects.create(
        name="Hostile",
        platform="discourse",
        base_url=server.url,
        api_username="system",
        api_key=KEY,
        api_key_last4=KEY[-4:],
    )


def sent_settles(server, quiet: float = 0.5, deadline: float = 60.0) -> int:
    """The bytes the server sent, once no more were sent for ``quiet`` seconds."""
    give_up = time.monotonic() + deadline
    last, since = server.bytes_sent, time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < give_up, "the server kept sending"
        time.sleep(0.05)
        if server.bytes_sent != last:
            last, since = server.bytes_sent, time.monotonic()
    return last


@pytest.mark.parametrize("mode", ["big", "big-unannounced", "gzip-bomb"])
def test_a_50_mb_answer_is_a_plain_error_and_is_not_read_whole(hostile_server, mode):
    hostile_server.mode = mode
    started = time.monotonic()
    with pytest.raises(errors.ForumBadResponse) as caught:
        client(hostile_server).request("GET", "/site/basic-info.json")
    assert "larger than 5 MB" in str(caught.value)
    assert "FORUMDECK_MAX_RESPONSE_BYTES" in str(caught.value)
    assert caught.value.kind == "too_large"
    assert time.monotonic() - started < 60  # an error at once, not after a long read
    # The client hung up early: the server could not push the whole 50 MB (loopback socket
    # buffers hold a few MB at most). Wait until the server has stopped sending.
    settled = sent_settles(hostile_server)
    assert settled < 30 * MB


def test_the_limit_comes_from_the_settings(settings, db, hostile_server):
    settings.FORUMDECK_MAX_RESPONSE_BYTES = 20
    connection = connection_to(hostile_server)
    with get_client(connection) as forum, pytest.raises(errors.ForumBadResponse) as caught:
        forum.request("GET", "/site/basic-info.json")  # a 40-byte answer
    assert "larger than 20 bytes" in str(caught.value)
    settings.FORUMDECK_MAX_RESPONSE_BYTES = 1000
    with get_client(connection) as forum:
        assert forum.request("GET", "/site/basic-info.json")["title"] == "Small forum"


@pytest.mark.parametrize("mode", ["trickle", "trickle-headers"])
def test_a_slow_trickle_ends_at_the_calls_deadline(hostile_server, mode):
    hostile_server.mode = mode
    # Every byte comes well within the 1 s read timeout; only a total deadline can end it.
    forum = client(hostile_server, timeout=1.0, deadline=2.0)
    started = time.monotonic()
    with pytest.raises(errors.ForumBadResponse) as caught:
        forum.request("GET", "/site/basic-info.json")
    elapsed = time.monotonic() - started
    # Not before the deadline, and long before the trickle itself would end (a busy machine
    # may add seconds; only the deadline ends it this early).
    assert 1.8 < elapsed < TRICKLE_MAX_SECONDS / 2, elapsed
    assert "took longer than 2 seconds" in str(caught.value)
    assert caught.value.kind == "too_slow"


def test_the_deadline_defaults_to_a_little_over_the_timeout(settings, db, hostile_server):
    settings.FORUMDECK_HTTP_TIMEOUT = 1.0
    settings.FORUMDECK_HTTP_DEADLINE = 2.5
    hostile_server.mode = "trickle"
    connection = connection_to(hostile_server)
    started = time.monotonic()
    with get_client(connection) as forum, pytest.raises(errors.ForumBadResponse, match="2.5 s"):
        forum.request("GET", "/site/basic-info.json")
    assert time.monotonic() - started < TRICKLE_MAX_SECONDS / 2  # the deadline ended it
    assert DiscourseClient(base_url="https://f.example.com", api_key=KEY).deadline == 15.0


def test_a_quick_answer_after_a_deadline_call_is_read_normally(hostile_server):
    forum = client(hostile_server, timeout=1.0, deadline=2.0)
    hostile_server.mode = "trickle"
    with pytest.raises(errors.ForumBadResponse):
        forum.request("GET", "/site/basic-info.json")
    hostile_server.mode = "ok"
    assert forum.request("GET", "/site/basic-info.json") == {"title": "Small forum", "ok": True}


@pytest.mark.parametrize("mode", ["deep", "deep-object"])
def test_deeply_nested_json_is_a_plain_error(hostile_server, mode):
    hostile_server.mode = mode
    with pytest.raises(errors.ForumBadResponse) as caught:
        client(hostile_server).request("GET", "/site/basic-info.json")
    assert "nests its data more than 64 levels deep" in str(caught.value)
    assert caught.value.kind == "too_deep"
    assert caught.value.status == 200


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def test_a_50_mb_answer_on_the_overview_is_a_short_error_and_nothing_big_is_cached(
    viewer_client, settings, hostile_server
):
    hostile_server.mode = "big-unannounced"
    connection = connection_to(hostile_server)
    url = reverse("forums:connection-card", args=[connection.pk])
    first = viewer_client.get(url)
    assert first.status_code == 200
    html = first.content.decode()
    assert "larger than 5 MB" in html
    assert len(first.content) < 20_000
    cache_dir = Path(settings.CACHES["default"]["LOCATION"])
    assert _dir_size(cache_dir) < 20_000
    # Served from the cache the second time: still the short error, not 50 MB.
    requests_before = hostile_server.requests
    again = viewer_client.get(url)
    assert hostile_server.requests == requests_before
    assert "larger than 5 MB" in again.content.decode() and len(again.content) < 20_000


def test_deep_json_on_test_connection_shows_the_reason_instead_of_a_500(
    admin_client_, hostile_server
):
    hostile_server.mode = "deep"
    connection = connection_to(hostile_server)
    response = admin_client_.post(reverse("forums:connection-test", args=[connection.pk]))
    assert response.status_code == 200
    assert "nests its data more than 64 levels deep" in response.content.decode()


def test_a_long_answer_under_the_limit_still_makes_a_short_card(viewer_client, hostile_server):
    """A 4 MB site title is within the size limit; the card (and its cache entry) still show a
    card's worth of it."""
    hostile_server.mode = "long-title"
    connection = connection_to(hostile_server)
    response = viewer_client.get(reverse("forums:connection-card", args=[connection.pk]))
    assert response.status_code == 200
    assert len(response.content) < 20_000
    assert "xxxxxxxx…" in response.content.decode()
