"""The overview: one streamed page whose cards fill in as each forum answers."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from forums.connections.services import connection_update
from tests.pages import page_html

pytestmark = pytest.mark.django_db

FILL = re.compile(r'<template data-fill="([^"]+)" data-swap="(\w+)">(.*?)</template>', re.S)


def fills(chunks) -> list[tuple[str, str, str]]:
    return FILL.findall(b"".join(chunks).decode())


def test_the_page_comes_first_with_a_place_for_every_card_then_each_card_as_it_answers(
    viewer_client, discourse_connection, discourse_sandbox, nodebb_connection, nodebb_sandbox
):
    response = viewer_client.get(reverse("overview"))
    assert response.streaming
    chunks = iter(response.streaming_content)
    head = next(chunks).decode()
    for connection in (discourse_connection, nodebb_connection):
        assert f'<article class="forum-card is-loading" id="forum-card-{connection.pk}"' in head
        assert connection.name in head
    assert "Healthy" not in head and "</html>" not in head
    # No forum was asked before the page was on its way.
    assert discourse_sandbox.app.calls.count() == 0 and nodebb_sandbox.app.calls.count() == 0
    assert 'href="?wait=1"' in head  # the way for browsers without JavaScript
    found = {target: (swap, html) for target, swap, html in fills(chunks)}
    for connection in (discourse_connection, nodebb_connection):
        swap, card = found[f"forum-card-{connection.pk}"]
        assert swap == "outer"
        assert f'<article class="forum-card is-ok" id="forum-card-{connection.pk}"' in card
        assert connection.name in card and "Healthy" in card and "waiting" in card
        assert f"forums/{connection.pk}/card/?refresh=1" in card  # the card's own refresh
    assert "Check every forum again" in found["cards-status"][1]
    # One request asked every forum, each with its calls at once.
    assert discourse_sandbox.app.calls.count() == 4


def test_fresh_cards_come_with_the_page_and_their_forums_are_not_asked(
    viewer_client, discourse_connection, discourse_sandbox
):
    page_html(viewer_client.get(reverse("overview")))
    asked = discourse_sandbox.app.calls.count()
    response = viewer_client.get(reverse("overview"))
    assert not response.streaming  # nothing left to wait for
    html = response.content.decode()
    assert f'<article class="forum-card is-ok" id="forum-card-{discourse_connection.pk}"' in html
    assert "Healthy" in html and "is-loading" not in html
    assert discourse_sandbox.app.calls.count() == asked
    # "Check every forum again" streams them all again, asking only the live parts.
    discourse_sandbox.app.calls.clear()
    again = viewer_client.get(reverse("overview") + "?refresh=1")
    assert again.streaming
    cards = {t: h for t, _s, h in fills(again.streaming_content)}
    assert "Healthy" in cards[f"forum-card-{discourse_connection.pk}"]
    assert sorted(r.path for r in discourse_sandbox.app.calls.records()) == [
        "/admin/users/list/staff.json", "/review/count.json",
    ]  # fmt: skip


def test_a_slow_forum_holds_back_only_its_own_card(
    viewer_client, discourse_connection, discourse_sandbox, nodebb_connection, nodebb_sandbox
):
    discourse_sandbox.app.config.faults.latency_ms = 1500
    response = viewer_client.get(reverse("overview"))
    targets = [t for t, _s, _h in fills(response.streaming_content) if t.startswith("forum-")]
    assert targets == [
        f"forum-card-{nodebb_connection.pk}",
        f"forum-card-{discourse_connection.pk}",
    ]


def test_a_forum_that_never_answers_gets_its_own_words_when_the_page_stops_waiting(
    viewer_client, discourse_connection, discourse_sandbox, nodebb_connection, settings
):
    settings.FORUMDECK_HTTP_TIMEOUT = 30
    settings.FORUMDECK_HTTP_DEADLINE = 0.5  # the page waits this and 2 s more
    discourse_sandbox.app.config.faults.latency_ms = 4000
    cards = {t: h for t, _s, h in fills(viewer_client.get(reverse("overview")).streaming_content)}
    assert "Healthy" in cards[f"forum-card-{nodebb_connection.pk}"]
    silent = cards[f"forum-card-{discourse_connection.pk}"]
    assert "is-problem" in silent
    assert "took longer than 0.5 seconds" in silent or "did not answer within" in silent


def test_a_dead_forum_says_so_on_its_card(viewer_client, nodebb_connection):
    import socket

    from tests.factories import ForumConnectionFactory

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = ForumConnectionFactory(name="Dead forum", base_url=f"http://127.0.0.1:{port}")
    cards = {t: h for t, _s, h in fills(viewer_client.get(reverse("overview")).streaming_content)}
    assert "connection refused" in cards[f"forum-card-{dead.pk}"]
    assert "Healthy" in cards[f"forum-card-{nodebb_connection.pk}"]


def test_without_javascript_the_page_waits_and_shows_every_card(
    viewer_client, discourse_connection, nodebb_connection
):
    response = viewer_client.get(reverse("overview") + "?wait=1")
    assert not response.streaming
    html = response.content.decode()
    assert html.count("Healthy") == 2 and "data-fill" not in html and "is-loading" not in html


def test_a_cards_refresh_asks_only_the_live_parts_and_test_asks_everything(
    admin_client_, admin_user, discourse_connection, discourse_sandbox
):
    card = reverse("forums:connection-card", args=[discourse_connection.pk])
    first = admin_client_.get(card, headers={"HX-Request": "true"}).content.decode()
    assert discourse_sandbox.app.calls.count("GET", "/about.json") == 1
    discourse_sandbox.app.calls.clear()
    again = admin_client_.get(card + "?refresh=1", headers={"HX-Request": "true"})
    again = again.content.decode()
    assert discourse_sandbox.app.calls.count("GET", "/about.json") == 0
    assert discourse_sandbox.app.calls.count("GET", "/review/count.json") == 1
    version = re.search(r"<dt>Software</dt><dd>([^<]+)</dd>", first).group(1)
    assert "Discourse 2" in version and version in again  # still shown, from the long cache
    admin_client_.post(reverse("forums:connection-test", args=[discourse_connection.pk]))
    assert discourse_sandbox.app.calls.count("GET", "/about.json") == 1
    # Editing the connection forgets what was kept about it.
    discourse_sandbox.app.calls.clear()
    connection_update(actor=admin_user, connection=discourse_connection, name="Renamed")
    admin_client_.get(card + "?refresh=1", headers={"HX-Request": "true"})
    assert discourse_sandbox.app.calls.count("GET", "/about.json") == 1


def test_two_requests_wanting_one_forums_health_share_one_check(
    discourse_connection, discourse_sandbox
):
    """The fleet panel's review counts and the cards (or two people) ask a forum once."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from forums.connections.selectors import connection_health

    discourse_sandbox.app.config.faults.latency_ms = 300
    start = threading.Barrier(6, timeout=10)  # all six ask at the very same moment

    def ask(_):
        start.wait()
        return connection_health(connection=discourse_connection)

    with ThreadPoolExecutor(6) as pool:
        reports = list(pool.map(ask, range(6)))
    assert all(r.ok for r in reports)
    assert len({r.checked_at for r in reports}) == 1
    assert discourse_sandbox.app.calls.count("GET", "/site/basic-info.json") == 1


# --- issue 26, item 13 -----------------------------------------------------------------------
def test_a_review_queue_that_could_not_be_read_is_not_called_not_offered(
    viewer_client, userecho_connection, userecho_sandbox
):
    app = userecho_sandbox.app
    app.forum_topics = lambda request, forum_id: app.server_error(500)
    try:
        html = viewer_client.get(reverse("overview") + "?wait=1&fleet=1").content.decode()
    finally:
        del app.forum_topics
    card = html[html.index(f'id="forum-card-{userecho_connection.pk}"') :].split("</article>")[0]
    review = card[card.index("<dt>Review queue</dt>") :].split("</div>")[0]
    assert "could not be read this time" in review and "not offered" not in review
    assert "The topics waiting for review are not available." in card
    fleet = html[html.index('id="fleet-reviews"') :].split("</section>")[0]
    assert "Sandbox UserEcho: " in fleet and "not offered" not in fleet


def test_a_forums_counts_come_from_the_index_with_their_freshness_where_it_holds_it(
    viewer_client, discourse_connection, nodebb_connection, discourse_sandbox
):
    from forums.index.sync import index_sync_start, index_sync_step
    from forums.models import IndexedAccount

    index_sync_start(connection=discourse_connection)
    while index_sync_step(connection_id=discourse_connection.pk).again_in is not None:
        pass
    rows = IndexedAccount.objects.filter(connection=discourse_connection)
    suspended = sum(1 for r in rows if r.suspended)
    html = viewer_client.get(reverse("overview") + "?wait=1").content.decode()
    discourse_card = html.split(f'id="forum-card-{discourse_connection.pk}"')[1].split(
        "</article>"
    )[0]
    nodebb_card = html.split(f'id="forum-card-{nodebb_connection.pk}"')[1].split("</article>")[0]
    assert re.search(rf"<dt>Users</dt><dd>{rows.count()} <span[^>]*>\(as of", discourse_card)
    assert f"<dt>Suspended</dt><dd>{suspended}</dd>" in discourse_card
    assert "<dt>Groups</dt>" in discourse_card and "<dt>Tags</dt>" in discourse_card
    # A forum the index does not hold yet counts live, as before.
    assert "index-freshness" not in nodebb_card and "<dt>Users</dt>" in nodebb_card
