"""People across forums, as a moderator uses them in the browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forums.bulk import engine
from forums.models import AuditEntry, BulkAction
from forums.people.selectors import clean_query
from tests.bulk.helpers import approve
from tests.factories import ForumConnectionFactory

pytestmark = pytest.mark.django_db

EMAIL = "kim.lee@example.org"


@pytest.fixture
def kim(discourse_sandbox, nodebb_sandbox, discourse_connection, nodebb_connection):
    """One person with an account on the Discourse and NodeBB sandboxes (different usernames)."""
    return {
        "discourse": discourse_sandbox.app.add_person(
            username="kim_lee", email=EMAIL, name="Kim Lee"
        ),
        "nodebb": nodebb_sandbox.app.add_person(username="kimlee", email=EMAIL, name="Kim Lee"),
    }


def search(client, **params):
    return client.get(
        reverse("forums:people-search"), params, headers={"HX-Request": "true"}
    ).content.decode()


def test_short_searches_ask_for_more(viewer_client):
    html = search(viewer_client, q="k")
    assert "Type at least two characters" in html and 'id="people-results"' in html
    assert "<html" not in html


def test_one_person_on_two_forums_is_grouped(viewer_client, kim):
    html = search(viewer_client, q="kim")
    assert "Kim Lee" in html and f"&lt;{EMAIL}&gt;" in html
    assert "on 2 forums" in html
    assert "kim_lee" in html and "kimlee" in html
    assert "Sandbox Discourse" in html and "Sandbox NodeBB" in html
    by_email = search(viewer_client, q=EMAIL)
    assert "on 2 forums" in by_email


def test_a_dead_forum_shows_its_own_error_and_the_others_still_answer(viewer_client, kim):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ForumConnectionFactory(name="Dead forum", base_url=f"http://127.0.0.1:{port}")
    html = search(viewer_client, q="kim")
    assert "<strong>Dead forum</strong>:" in html and "connection refused" in html
    assert "kim_lee" in html and "kimlee" in html


def test_status_filter_and_empty_result(viewer_client, kim, discourse_sandbox):
    user = discourse_sandbox.app.users[kim["discourse"]]
    user["suspended_till"] = timezone.now() + timedelta(days=3)
    user["suspended_at"] = timezone.now()
    user["suspend_reason"] = "spam"
    html = search(viewer_client, q="kim", status="suspended")
    assert "kim_lee" in html and "Suspended until" in html and "spam" in html
    assert "kimlee" not in html
    nobody = search(viewer_client, q="zzqqxx")
    assert "Nobody matches" in nobody


def test_viewer_sees_no_actions_and_cannot_forge_one(
    viewer_client, kim, discourse_connection, discourse_sandbox
):
    url = reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    page = viewer_client.get(url).content.decode()
    assert "Act on Sandbox Discourse" not in page
    assert 'name="account"' not in search(viewer_client, q="kim")
    forged = viewer_client.post(
        reverse(
            "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "suspend"]
        ),
        {"username": "kim_lee", "reason": "x", "until": "7 days"},
    )
    assert forged.status_code == 403
    assert discourse_sandbox.app.users[kim["discourse"]]["suspended_till"] is None


def test_person_page_offers_each_forum_its_own_actions(
    moderator_client, kim, discourse_connection, nodebb_connection
):
    discourse_page = moderator_client.get(
        reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    ).content.decode()
    assert "Suspend" in discourse_page and "Silence" in discourse_page
    assert ">Ban<" not in discourse_page
    assert "Groups on Sandbox Discourse" in discourse_page
    nodebb_page = moderator_client.get(
        reverse("forums:person-detail", args=[nodebb_connection.pk, kim["nodebb"]])
    ).content.decode()
    assert ">Ban<" in nodebb_page and ">Mute<" in nodebb_page
    assert ">Suspend<" not in nodebb_page and "Moderation history on Sandbox NodeBB" in nodebb_page


def test_the_person_page_offers_only_the_actions_that_fit_the_account(
    moderator_client, kim, discourse_connection, discourse_sandbox
):
    url = reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])

    def buttons() -> list[str]:
        html = moderator_client.get(url).content.decode()
        panel = html.split('id="action-buttons"')[1].split("</div>")[0]
        return re.findall(r">([^<>]+)</a>", panel)

    active = buttons()  # an active account that nobody penalised
    assert "Suspend" in active and "Silence" in active and "Deactivate" in active
    assert not {"Unsuspend", "Unsilence", "Approve", "Activate"} & set(active)

    user = discourse_sandbox.app.users[kim["discourse"]]
    user["approved"] = False
    assert "Approve" not in buttons()  # the forum does not make accounts wait: nothing to do
    # A forum where accounts wait for approval: Discourse then says whether each one is.
    discourse_sandbox.app.config.must_approve_users = True
    user["suspended_till"] = timezone.now() + timedelta(days=3)
    user["suspended_at"] = timezone.now()
    user["approved"], user["active"] = False, False
    changed = buttons()
    assert "Unsuspend" in changed and "Suspend" not in changed
    assert "Activate" in changed and "Deactivate" not in changed
    assert "Approve" not in changed  # Discourse approves only an active account

    user["active"] = True
    assert "Approve" in buttons()


def test_after_suspending_the_buttons_offer_unsuspend(moderator_client, kim, discourse_connection):
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "suspend"]
    )
    done = moderator_client.post(
        url,
        {"username": "kim_lee", "reason": "Spam links", "until": "7 days"},
        headers={"HX-Request": "true"},
    ).content.decode()
    buttons = done.split('id="action-buttons"')[1].split("</div>")[0]
    assert 'hx-swap-oob="true"' in buttons.split(">")[0]
    assert ">Unsuspend<" in buttons and ">Suspend<" not in buttons


def test_suspend_in_place_with_a_duration(
    moderator_client, kim, discourse_connection, discourse_sandbox
):
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "suspend"]
    )
    form = moderator_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'id="moderation-panel"' in form and "<html" not in form
    assert 'name="username" value="kim_lee"' in form
    done = moderator_client.post(
        url,
        {"username": "kim_lee", "reason": "Spam links", "until": "7 days"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "success-note" in done and "Suspended until" in done
    # The status, the penalties and "What Forumdeck did" come back with it (out of band).
    assert (
        '<section id="person-status" class="person-status" aria-live="polite" hx-swap-oob="true">'
        in done
    )
    assert '<div id="person-history" hx-swap-oob="true">' in done
    assert 'id="person-audit" aria-labelledby="audit-heading" hx-swap-oob="true"' in done
    assert "Suspend (one person)" in done and "Nothing yet." not in done
    user = discourse_sandbox.app.users[kim["discourse"]]
    assert user["suspend_reason"] == "Spam links"
    entry = AuditEntry.objects.get(action="user.suspend")
    assert entry.target == "kim_lee" and entry.outcome == "success"
    person = moderator_client.get(
        reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    )
    assert "Spam links" in person.content.decode()  # the audit trail on the person's page


def test_bad_input_is_refused_in_the_form_and_nothing_is_sent(
    moderator_client, kim, discourse_connection, discourse_sandbox
):
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "suspend"]
    )
    discourse_sandbox.app.calls.clear()
    html = moderator_client.post(
        url,
        {"username": "kim_lee", "reason": "x", "until": "7 dayz"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "errorlist" in html and 'id="moderation-panel"' in html
    assert discourse_sandbox.app.calls.count(method="PUT") == 0


def test_delete_needs_the_username_typed(moderator_client, kim, nodebb_connection, nodebb_sandbox):
    url = reverse("forums:person-action", args=[nodebb_connection.pk, kim["nodebb"], "delete_both"])
    wrong = moderator_client.post(
        url, {"username": "kimlee", "confirm": "kim"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "errorlist" in wrong
    assert kim["nodebb"] in nodebb_sandbox.app.state.users
    moderator_client.post(url, {"username": "kimlee", "confirm": "kimlee"})
    assert kim["nodebb"] not in nodebb_sandbox.app.state.users


def test_a_deleted_persons_page_reloaded_shows_what_forumdeck_did(
    moderator_client, kim, nodebb_connection, nodebb_sandbox
):
    url = reverse("forums:person-action", args=[nodebb_connection.pk, kim["nodebb"], "delete_both"])
    moderator_client.post(url, {"username": "kimlee", "confirm": "kimlee"})
    assert kim["nodebb"] not in nodebb_sandbox.app.state.users
    page = moderator_client.get(
        reverse("forums:person-detail", args=[nodebb_connection.pk, kim["nodebb"]])
    ).content.decode()
    assert "This person no longer exists on Sandbox NodeBB." in page
    audit = page.split('id="person-audit"')[1]
    assert "Nothing yet." not in audit
    assert "Delete account and posts (one person)" in audit
    assert "kimlee is deleted with everything they posted." in audit


def test_a_person_deleted_meanwhile_is_reported_plainly(
    moderator_client, kim, discourse_connection, discourse_sandbox
):
    del discourse_sandbox.app.users[kim["discourse"]]
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "suspend"]
    )
    html = moderator_client.post(
        url,
        {"username": "kim_lee", "reason": "x", "until": "7 days"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "kim_lee no longer exists on Sandbox Discourse" in html
    page = moderator_client.get(
        reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    )
    assert page.status_code == 404
    assert "This person no longer exists on Sandbox Discourse." in page.content.decode()
    assert "Back to People" in page.content.decode()
    form = moderator_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "This person no longer exists on Sandbox Discourse." in form
    assert "<form" not in form


def test_an_unknown_api_username_is_named_as_the_reason(viewer_client, kim, discourse_connection):
    from forums.models import ForumConnection

    # Discourse answers 404 on its admin routes for a bad key or username: that is a refused
    # credential, worded as the Test button words it, not "needs admin rights" or "not found".
    ForumConnection.objects.filter(pk=discourse_connection.pk).update(api_username="nobody_x")
    html = search(viewer_client, q="kim")
    assert "Discourse refused the credentials: the API key or the API username" in html
    assert "kimlee" in html  # the other forum still answered
    page = viewer_client.get(
        reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    )
    assert page.status_code == 200  # not "This person no longer exists"
    assert "Discourse refused the credentials" in page.content.decode()


def test_a_key_without_admin_rights_is_named_as_the_reason(
    viewer_client, kim, discourse_connection, discourse_sandbox
):
    from forums.models import ForumConnection

    plain = next(
        u for u in discourse_sandbox.app.users.values()
        if u["id"] > 0 and not (u["admin"] or u["moderator"]) and u["active"]
        and not u.get("suspended_till")
    )  # fmt: skip
    ForumConnection.objects.filter(pk=discourse_connection.pk).update(
        api_username=plain["username"]
    )
    html = search(viewer_client, q="kim")
    assert "The API key works, but not as an administrator" in html
    assert "kimlee" in html


def test_selected_results_become_one_bulk_action(
    moderator_client, kim, discourse_connection, nodebb_connection
):
    page = moderator_client.post(
        reverse("forums:people-bulk"),
        {
            "kind": "suspend",
            "account": [f"{discourse_connection.pk}:kim_lee", f"{nodebb_connection.pk}:kimlee"],
        },
    ).content.decode()
    assert "Sandbox Discourse</strong>: kim_lee" in page and "Make the plan" in page
    response = moderator_client.post(
        reverse("forums:people-bulk"),
        {
            "kind": "suspend",
            "confirm_step": "1",
            "reason": "Raid",
            "until": "3 days",
            "account": [f"{discourse_connection.pk}:kim_lee", f"{nodebb_connection.pk}:kimlee"],
        },
    )
    action = BulkAction.objects.get()
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert {(i.connection_id, i.target) for i in action.items.all()} == {
        (discourse_connection.pk, "kim_lee"),
        (nodebb_connection.pk, "kimlee"),
    }


def test_ban_everywhere_is_approved_once_and_lands_on_both_forums(
    moderator_client,
    approver,
    kim,
    discourse_connection,
    nodebb_connection,
    discourse_sandbox,
    nodebb_sandbox,
):
    url = reverse("forums:people-everywhere") + f"?email={EMAIL}"
    page = moderator_client.get(url).content.decode()
    assert f"Ban {EMAIL} on every forum" in page
    assert "kim_lee" in page and "kimlee" in page
    moderator_client.post(
        reverse("forums:people-everywhere"),
        {
            "email": EMAIL,
            "confirm_step": "1",
            "reason": "Ban evasion",
            "until": "30 days",
            "account": [f"{discourse_connection.pk}:kim_lee", f"{nodebb_connection.pk}:kimlee"],
        },
    )
    action = BulkAction.objects.get()
    assert set(action.connections.all()) == {discourse_connection, nodebb_connection}
    engine.plan_action(action.pk)
    action.refresh_from_db()
    assert action.plan["planned"] == 2
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == BulkAction.State.SUCCEEDED
    assert discourse_sandbox.app.users[kim["discourse"]]["suspend_reason"] == "Ban evasion"
    banned = nodebb_sandbox.app.state.users[kim["nodebb"]]
    assert banned.get("banned") in (1, True, "1")


def test_clean_query_limits():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        clean_query(" a ")
    assert clean_query("  ab ") == "ab"


def test_searching_with_no_enabled_forum_says_so(viewer_client):
    html = search(viewer_client, q="kim")
    assert "No enabled forum to search." in html


def test_the_search_page_explains_itself_before_a_search(viewer_client):
    html = viewer_client.get(reverse("forums:people-search")).content.decode()
    assert "Every forum is asked at once." in html
    assert "Type at least two characters" not in html  # no scolding before typing


# --- Done when (issue 9): Unban and Unmute of a NodeBB user, through the person page -----------
@pytest.mark.parametrize(("action", "field", "words"), [
    ("unban", "banned", "is no longer banned"),
    ("unmute", "mutedUntil", "is no longer muted"),
])  # fmt: skip
def test_unban_and_unmute_on_the_person_page_lift_them_on_nodebb(
    moderator_client, kim, nodebb_connection, nodebb_sandbox, action, field, words
):
    # The sandbox refuses a body-less DELETE as NodeBB 4.15.1 does (400 "Cannot read properties
    # of undefined (reading 'reason')"): these pass only because the client sends a JSON body.
    user = nodebb_sandbox.app.state.users[kim["nodebb"]]
    if field == "banned":
        user["banned"], user["banned_expire"] = True, 0
    else:
        user["mutedUntil"] = int((timezone.now() + timedelta(days=2)).timestamp() * 1000)
    url = reverse("forums:person-action", args=[nodebb_connection.pk, kim["nodebb"], action])
    html = moderator_client.post(
        url, {"username": "kimlee"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "success-note" in html and f"kimlee {words}" in html
    assert not user[field]
    entry = AuditEntry.objects.get(action=f"user.{action}")
    assert entry.outcome == "success" and entry.target == "kimlee"
    person = moderator_client.get(
        reverse("forums:person-detail", args=[nodebb_connection.pk, kim["nodebb"]])
    ).content.decode()
    # the moderation history shows the lifting as what it is (an entry, not a button)
    assert re.search(rf"<li>{'Unban' if field == 'banned' else 'Unmute'} on \d{{4}}-", person)


def test_a_reason_over_300_characters_is_refused_in_the_form_and_nothing_is_sent(
    moderator_client, kim, discourse_connection, discourse_sandbox
):
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "silence"]
    )
    discourse_sandbox.app.calls.clear()
    html = moderator_client.post(
        url,
        {"username": "kim_lee", "reason": "x" * 301, "until": "7 days"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "errorlist" in html and "at most 300 characters" in html
    assert discourse_sandbox.app.calls.count(method="PUT") == 0
    assert not discourse_sandbox.app.users[kim["discourse"]]["silenced_till"]


# --- Issue 15: a new search streams each forum's answer as it arrives -------------------------
HANG_KEY = "hanging-discourse-key-0123456789abcdef"


@pytest.fixture
def hanging_forum(db, settings):
    """A Discourse that takes 5 s to answer anything, while a call gives up after 1.5 s."""
    from forums.sandbox.core import RunningSandbox, SandboxConfig
    from forums.sandbox.discourse import DiscourseSandbox

    settings.FORUMDECK_HTTP_TIMEOUT = 1.5
    settings.FORUMDECK_HTTP_DEADLINE = 1.5
    app = DiscourseSandbox(
        SandboxConfig(api_key=HANG_KEY, api_username="system", admin_requests_per_minute=6000)
    )
    app.config.faults.latency_ms = 5000
    with RunningSandbox(app) as sandbox:
        yield ForumConnectionFactory(
            name="Hanging forum",
            base_url=sandbox.url,
            api_key=HANG_KEY,
            api_username="system",
            requests_per_minute=6000,
        )


def line(html: str, connection) -> str:
    """The forum's line (the last one sent, when a stream replaced it)."""
    lines = re.findall(rf'<li id="people-forum-{connection.pk}"[^>]*>(.*?)</li>', html, re.S)
    assert lines, f"no line for {connection.name}"
    return " ".join(lines[-1].split())


def test_a_new_search_shows_each_forum_as_it_answers_and_names_the_silent_one(
    moderator_client,
    kim,
    hanging_forum,
    discourse_connection,
    nodebb_connection,
    discourse_sandbox,
    nodebb_sandbox,
):
    response = moderator_client.get(reverse("forums:people-search"), {"q": "kim"})
    assert response.streaming
    chunks = iter(response.streaming_content)

    first = next(chunks).decode()
    # The page is on its way before any forum is asked: every forum's line is waiting.
    assert discourse_sandbox.app.calls.count() == 0 and nodebb_sandbox.app.calls.count() == 0
    for connection in (hanging_forum, discourse_connection, nodebb_connection):
        assert line(first, connection) == (
            f'<strong>{connection.name}</strong>: <span class="spinner" aria-hidden="true">'
            "</span> still waiting…"
        )
    assert '<ul class="forum-outcomes" id="people-forums" aria-live="polite">' in first
    assert 'id="people-table" aria-busy="true"' in first
    assert "stream=0" in first  # the way without JavaScript
    assert "</html>" not in first

    # Both healthy forums' people show while the hanging forum is still waiting.
    arrived = ""
    while "kimlee" not in arrived or "kim_lee" not in arrived:
        arrived += next(chunks).decode()
    assert f'data-fill="people-forum-{hanging_forum.pk}"' not in arrived
    assert re.fullmatch(
        r"<strong>Sandbox Discourse</strong>: \d+ accounts?", line(arrived, discourse_connection)
    )
    assert re.fullmatch(
        r"<strong>Sandbox NodeBB</strong>: \d+ accounts?", line(arrived, nodebb_connection)
    )
    table = arrived.rsplit('<template data-fill="people-table" data-swap="outer">', 1)[1]
    assert "on 2 forums" in table  # grouped by e-mail as the answers came in
    assert "still waiting for 1 forum." in table and 'aria-busy="true"' in table

    rest = [chunk.decode() for chunk in chunks]
    assert rest[-1].rstrip().endswith("</html>")
    last_fill = rest[-2]
    waited = re.fullmatch(
        r"<strong>Hanging forum</strong>: did not answer in ([\d.]+) s, so Forumdeck stopped "
        r"waiting\. Try again later\.",
        line(last_fill, hanging_forum),
    )
    assert waited and float(waited.group(1)) >= 1.5  # its own timeout, not the page's end
    final = last_fill.rsplit('<template data-fill="people-table" data-swap="outer">', 1)[1]
    assert "aria-busy" not in final and "still waiting" not in final
    # The selection form holds the rows, so "bulk from selection" works after the fills.
    form = re.search(
        r'<form method="post" action="/forums/people/selected/".*?</form>', final, re.S
    )
    assert form and f'value="{discourse_connection.pk}:kim_lee"' in form.group(0)
    assert f'value="{nodebb_connection.pk}:kimlee"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(0)


def test_paging_a_streamed_search_reuses_its_answers(
    viewer_client, kim, discourse_sandbox, nodebb_sandbox
):
    for n in range(30):
        discourse_sandbox.app.add_person(username=f"kim_{n}", email=f"kim{n}@example.org")
    response = viewer_client.get(reverse("forums:people-search"), {"q": "kim"})
    streamed = b"".join(response.streaming_content).decode()
    assert "Page 1 of 2" in streamed.rsplit('data-fill="people-table"', 1)[1]
    asked = discourse_sandbox.app.calls.count() + nodebb_sandbox.app.calls.count()
    second = search(viewer_client, q="kim", page="2")
    assert "Page 2 of 2" in second
    assert discourse_sandbox.app.calls.count() + nodebb_sandbox.app.calls.count() == asked


def test_without_javascript_the_search_waits_for_every_forum(viewer_client, kim):
    response = viewer_client.get(reverse("forums:people-search"), {"q": "kim", "stream": "0"})
    assert not response.streaming
    html = response.content.decode()
    assert "<html" in html and "still waiting" not in html and "data-fill" not in html
    assert "on 2 forums" in html and "kim_lee" in html and "kimlee" in html
    # The search form asks for the same when scripts are off.
    assert '<noscript><input type="hidden" name="stream" value="0"></noscript>' in html


def test_filters_work_in_a_streamed_search(viewer_client, kim, discourse_connection):
    response = viewer_client.get(
        reverse("forums:people-search"), {"q": "kim", "forum": discourse_connection.pk}
    )
    html = b"".join(response.streaming_content).decode()
    assert "Sandbox NodeBB" not in html.split('id="people-results"', 1)[1]
    assert "kim_lee" in html and "kimlee" not in html
    status = viewer_client.get(reverse("forums:people-search"), {"q": "kim", "status": "staff"})
    assert "Nobody matches “kim” with that status" in b"".join(status.streaming_content).decode()


def test_a_streamed_search_with_a_short_query_says_so_at_once(viewer_client, kim):
    response = viewer_client.get(reverse("forums:people-search"), {"q": "k"})
    assert not response.streaming
    assert "Type at least two characters" in response.content.decode()


def test_a_bug_on_one_forum_is_one_plain_line_and_the_page_ends_whole(
    viewer_client, kim, nodebb_connection, monkeypatch, caplog
):
    from forums.clients.nodebb import NodeBBClient

    def broken(self, *args, **kwargs):
        raise KeyError("uid")

    monkeypatch.setattr(NodeBBClient, "find_users", broken)
    response = viewer_client.get(reverse("forums:people-search"), {"q": "kim"})
    html = b"".join(response.streaming_content).decode()
    assert "an unexpected error (KeyError) stopped this search" in html
    assert "Traceback" not in html and "kim_lee" in html  # the other forum still answered
    assert html.rstrip().endswith("</html>")
    assert "People search on Sandbox NodeBB failed" in caplog.text


def test_every_call_of_a_search_and_a_person_page_takes_a_slot_in_the_forums_book(
    viewer_client, kim, discourse_connection, nodebb_connection, discourse_sandbox, nodebb_sandbox
):
    """Pages share each forum's slot book with bulk runs: together they never pass its limit."""
    from tests.bulk.helpers import booked_calls

    search(viewer_client, q="kim")
    viewer_client.get(
        reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    )
    for connection, sandbox in (
        (discourse_connection, discourse_sandbox),
        (nodebb_connection, nodebb_sandbox),
    ):
        calls = sandbox.app.calls.count()
        assert calls > 0
        assert booked_calls(connection) == calls


def test_part_of_an_e_mail_says_why_nodebb_finds_nobody(viewer_client, kim):
    html = search(viewer_client, q="lee@example")
    nodebb_line = re.search(r"<strong>Sandbox NodeBB</strong>:(.*?)</li>", html, re.S).group(1)
    assert "0 accounts" in nodebb_line
    assert "NodeBB matches only the start of a username, or with an @ the start of an e-mail" in (
        nodebb_line
    )
    discourse_line = re.search(r"<strong>Sandbox Discourse</strong>:(.*?)</li>", html, re.S)
    assert "1 account" in discourse_line.group(1) and "search-note" not in discourse_line.group(1)
    # A whole address is found everywhere: no note then.
    whole = search(viewer_client, q=EMAIL)
    assert "search-note" not in whole and "on 2 forums" in whole


def test_results_are_one_table_with_aligned_columns_and_humane_times(
    viewer_client, kim, discourse_sandbox
):
    discourse_sandbox.app.users[kim["discourse"]]["last_seen_at"] = timezone.now()
    html = search(viewer_client, q="kim")
    assert html.count("<table") == 1 and html.count("<thead>") == 1
    assert html.count('<tbody class="person"') >= 1
    assert "0 minutes ago" not in html and "just now" in html
    # Every stacked value is labelled on a phone.
    for label in ("Forum", "Username", "Standing", "Status", "Joined", "Last seen", "Posts"):
        assert f'data-label="{label}"' in html


def test_the_person_page_shows_the_e_mail_the_search_showed(
    viewer_client, kim, discourse_connection
):
    assert f"&lt;{EMAIL}&gt;" in search(viewer_client, q="kim")
    page = viewer_client.get(
        reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    ).content.decode()
    assert EMAIL in page and "not visible to this key" not in page


def test_the_delete_form_is_safe_by_default_and_names_the_phrase_up_front(
    moderator_client, kim, discourse_connection
):
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "delete"]
    )
    form = moderator_client.get(url, headers={"HX-Request": "true"}).content.decode()
    posts = re.search(r'<input[^>]*name="delete_posts"[^>]*>', form).group(0)
    assert "checked" not in posts
    assert "Type kim_lee to confirm" in form
    assert 'data-confirm-phrase="kim_lee"' in form
    assert re.search(r"<button[^>]*deletelink[^>]*data-needs-phrase", form)


def test_after_a_delete_the_whole_person_page_says_so(
    moderator_client, kim, discourse_connection, discourse_sandbox
):
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "delete"]
    )
    done = moderator_client.post(
        url, {"username": "kim_lee", "confirm": "kim_lee"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "kim_lee is deleted." in done
    assert kim["discourse"] not in discourse_sandbox.app.users
    status = re.search(r'<section id="person-status"[^>]*hx-swap-oob="true">(.*?)</section>',
                       done, re.S).group(1)  # fmt: skip
    assert "Deleted" in status and "no longer exists on Sandbox Discourse" in status
    assert '<div id="action-buttons" class="action-buttons" hx-swap-oob="true">' in done
    audit = re.search(r'<section id="person-audit".*?</section>', done, re.S).group(0)
    assert "Delete (one person)" in audit and "Nothing yet." not in audit
    assert AuditEntry.objects.filter(action="user.delete", outcome="success").exists()


def test_a_failed_action_still_refreshes_what_forumdeck_did(
    moderator_client, kim, discourse_connection, discourse_sandbox
):
    discourse_sandbox.app.users[kim["discourse"]]["admin"] = True  # staff cannot be suspended
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "suspend"]
    )
    html = moderator_client.post(
        url,
        {"username": "kim_lee", "reason": "x", "until": "2 days"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "errornote" in html
    audit = re.search(r'<section id="person-audit".*?</section>', html, re.S).group(0)
    assert "Failed" in audit


def test_last_seen_on_the_person_page_is_humane(moderator_client, kim, discourse_connection,
                                                discourse_sandbox):  # fmt: skip
    discourse_sandbox.app.users[kim["discourse"]]["last_seen_at"] = timezone.now() - timedelta(
        hours=3
    )
    page = moderator_client.get(
        reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    ).content.decode()
    assert "3\xa0hours ago" in page or "3 hours ago" in page


def test_what_forumdeck_did_shows_end_times_in_the_viewers_zone(
    moderator_client, kim, discourse_connection
):
    url = reverse(
        "forums:person-action", args=[discourse_connection.pk, kim["discourse"], "suspend"]
    )
    moderator_client.cookies["forumdeck_tz"] = "Asia/Tokyo"
    moderator_client.post(url, {"username": "kim_lee", "reason": "Spam", "until": "2031-01-15"})
    entry = AuditEntry.objects.get(action="user.suspend")
    assert "2031-01-15 00:00 JST" in entry.message  # recorded in the actor's zone
    moderator_client.cookies["forumdeck_tz"] = "America/New_York"
    page = moderator_client.get(
        reverse("forums:person-detail", args=[discourse_connection.pk, kim["discourse"]])
    ).content.decode()
    audit = re.search(r'<section id="person-audit".*?</section>', page, re.S).group(0)
    assert "until 2031-01-14 10:00 EST" in audit and "JST" not in audit


# --- issue 26, items 13, 19 and 21 -------------------------------------------------------------
def test_the_bulk_bar_offers_only_what_the_forums_found_can_do(
    moderator_client, discourse_sandbox, userecho_sandbox, discourse_connection, userecho_connection
):
    userecho_sandbox.app.add_person(username="kim-lee", email=EMAIL, name="Kim Lee")
    only_userecho = search(moderator_client, q="kim-lee")
    assert "kim-lee" in only_userecho
    # UserEcho has no suspension and no bulk delete: nothing to pick, and it says why.
    assert 'id="bulk-kind"' not in only_userecho and 'name="account"' not in only_userecho
    assert "None of these forums takes a bulk action on accounts" in only_userecho
    discourse_sandbox.app.add_person(username="kim_lee", email=EMAIL, name="Kim Lee")
    both = search(moderator_client, q="kim")
    bar = both[both.index('id="bulk-kind"') :].split("</select>")[0]
    assert re.findall(r'value="(\w+)"', bar) == ["suspend", "unsuspend", "delete_users"]


def test_the_new_status_says_what_it_means(viewer_client):
    html = viewer_client.get(reverse("forums:people-search")).content.decode()
    assert '<option value="new">Joined in the last 30 days</option>' in html
    assert '<option value="new">New</option>' not in html


def test_the_nodebb_partial_address_note_only_for_part_of_an_address(viewer_client, kim):
    note = "it cannot find part of an address"
    assert note not in search(viewer_client, q="zzqqxx")  # a plain username: no note
    assert note in search(viewer_client, q="lee.example")  # a domain's shape
    assert note in search(viewer_client, q="zzqq@exa")  # with an @
