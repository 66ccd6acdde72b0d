"""People search answered from the fleet index: no forum call when fresh, any part of an
e-mail on every platform, live for forums not read yet, and kept right by actions and reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forums.index.sync import index_sync_start, index_sync_step
from forums.models import IndexedAccount

pytestmark = pytest.mark.django_db

EMAIL = "kim.lee@wavecrest.example"


@pytest.fixture
def kim(discourse_sandbox, nodebb_sandbox, userecho_sandbox):
    """One person on three forums, with three different usernames."""
    return {
        "discourse": discourse_sandbox.app.add_person(
            username="kim_lee", email=EMAIL, name="Kim Lee"
        ),
        "nodebb": nodebb_sandbox.app.add_person(username="kimlee", email=EMAIL, name="Kim Lee"),
        "userecho": userecho_sandbox.app.add_person(username="klee", email=EMAIL, name="Kim Lee"),
    }


def sync(connection):
    index_sync_start(connection=connection)
    for _ in range(100):
        if index_sync_step(connection_id=connection.pk).again_in is None:
            return
    raise AssertionError("the sync never ended")


@pytest.fixture
def forums(discourse_connection, nodebb_connection, userecho_connection):
    return [discourse_connection, nodebb_connection, userecho_connection]


@pytest.fixture
def sandboxes(discourse_sandbox, nodebb_sandbox, userecho_sandbox):
    return [discourse_sandbox, nodebb_sandbox, userecho_sandbox]


def clear_calls(sandboxes):
    for sandbox in sandboxes:
        sandbox.app.calls.clear()


def calls(sandboxes) -> list[int]:
    return [len(sandbox.app.calls.records()) for sandbox in sandboxes]


def search(client, **params):
    return client.get(
        reverse("forums:people-search"), params, headers={"HX-Request": "true"}
    ).content.decode()


def test_part_of_an_email_finds_the_person_on_every_platform_without_a_call(
    viewer_client, kim, forums, sandboxes
):
    for connection in forums:
        sync(connection)
    clear_calls(sandboxes)
    html = search(viewer_client, q="ee@wavecrest")  # NodeBB's own search cannot do this
    assert calls(sandboxes) == [0, 0, 0]
    assert "on 3 forums" in html and f"&lt;{EMAIL}&gt;" in html
    assert "kim_lee" in html and "kimlee" in html and "klee" in html
    assert html.count('class="quiet small index-freshness"') == 3 and "as of" in html
    assert "Ask the forums now" in html
    # By part of a name too, where the forum's list carries names (NodeBB's admin list has
    # none: a person page read fills it in).
    by_name = search(viewer_client, q="im le")
    assert "on 2 forums" in by_name and "kim_lee" in by_name and "klee" in by_name
    assert calls(sandboxes) == [0, 0, 0]


def test_a_forum_not_read_yet_is_asked_live(viewer_client, kim, forums, sandboxes):
    discourse, nodebb, userecho = forums
    sync(discourse)
    clear_calls(sandboxes)
    html = search(viewer_client, q="kim")
    made = calls(sandboxes)
    assert made[0] == 0 and made[1] > 0 and made[2] > 0
    assert "kim_lee" in html and "kimlee" in html
    assert html.count("index-freshness") == 1


def test_ask_the_forums_now_asks_every_forum(viewer_client, kim, forums, sandboxes):
    for connection in forums:
        sync(connection)
    clear_calls(sandboxes)
    html = search(viewer_client, q="kim", live="1")
    assert all(n > 0 for n in calls(sandboxes))
    assert "index-freshness" not in html and "Every forum was asked just now" in html


def test_a_suspension_made_here_shows_in_search_at_once(
    moderator_client, kim, forums, sandboxes, discourse_connection
):
    for connection in forums:
        sync(connection)
    assert "Nobody matches" in search(moderator_client, q="kim", status="suspended")
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "suspend"]
    )
    moderator_client.post(url, {"username": "kim_lee", "reason": "Spam", "until": "7 days"})
    clear_calls(sandboxes)
    html = search(moderator_client, q="kim", status="suspended")
    assert calls(sandboxes) == [0, 0, 0]
    assert "kim_lee" in html and "Suspended until" in html
    assert "kimlee" not in html  # not suspended on NodeBB


def test_a_person_page_corrects_what_the_index_holds(
    viewer_client, kim, forums, discourse_sandbox, discourse_connection
):
    sync(discourse_connection)
    discourse_sandbox.app.users[kim["discourse"]]["name"] = "Kimberly Lee"
    assert "Kimberly" not in search(viewer_client, q="kimberly")
    page = reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    assert "Kimberly Lee" in viewer_client.get(page).content.decode()
    assert "kim_lee" in search(viewer_client, q="kimberly")


def test_a_deleted_account_leaves_the_index(
    moderator_client, kim, forums, nodebb_connection, nodebb_sandbox
):
    sync(nodebb_connection)
    assert IndexedAccount.objects.filter(forum_id=kim["nodebb"], connection=nodebb_connection)
    url = reverse("forums:person-action", args=[nodebb_connection.pk, kim["nodebb"], "delete_both"])
    moderator_client.post(url, {"username": "kimlee", "confirm": "kimlee"})
    assert kim["nodebb"] not in nodebb_sandbox.app.state.users
    assert not IndexedAccount.objects.filter(
        forum_id=kim["nodebb"], connection=nodebb_connection
    ).exists()
    assert "kimlee" not in search(moderator_client, q="kim")


def test_a_name_a_person_page_learned_survives_the_next_read(
    viewer_client, kim, forums, nodebb_connection
):
    for connection in forums:
        sync(connection)
    assert "on 2 forums" in search(viewer_client, q="im le")  # NodeBB's list has no names
    page = reverse("forums:person-detail", args=[nodebb_connection.pk, kim["nodebb"]])
    assert viewer_client.get(page).status_code == 200
    sync(nodebb_connection)  # read whole again: its list still carries no name
    assert IndexedAccount.objects.get(connection=nodebb_connection, forum_id=kim["nodebb"]).name
    assert "on 3 forums" in search(viewer_client, q="im le")


def test_a_busy_forum_asked_live_answers_from_the_index_marked(
    viewer_client, kim, forums, nodebb_connection
):
    from tests.bulk.helpers import exhaust_budget

    sync(nodebb_connection)
    exhaust_budget(nodebb_connection, per_minute=60)  # a run has NodeBB's budget for now
    html = search(viewer_client, q="kim", live="1")  # "Ask the forums now"
    line = html.split(f'id="people-forum-{nodebb_connection.pk}"')[1].split("</li>")[0]
    assert "busy with other Forumdeck work" in line
    assert "Showing the 1 account Forumdeck last saw of it, as of" in line
    assert "kimlee" in html  # the forum stays in the result
