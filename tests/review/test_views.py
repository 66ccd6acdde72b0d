"""Review in the browser's terms: every waiting item in one list, decided in place or many at
once, and who may do what."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from forums.models import AuditEntry
from tests.factories import ForumConnectionFactory
from tests.review.helpers import a_flag

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def test_every_waiting_item_is_listed_with_what_a_moderator_needs(
    viewer_client, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    row, author, flagger = a_flag(app)
    html = viewer_client.get(reverse("forums:review-list")).content.decode()
    assert "Sandbox Discourse" in html
    first = html[html.index('class="review-row"') :].split("</tr>")[0]
    assert f'data-item="{discourse_connection.pk}:{row["id"]}"' in first  # highest score first
    assert "Flagged post" in first and "Inappropriate" in first
    assert f"flagged by {flagger['username']}" in first
    person = reverse("forums:person-detail", args=[discourse_connection.pk, author["id"]])
    assert f'href="{person}"' in first
    assert "<script>" not in first and "alert(1)" in first  # plain text, never markup
    assert app.topics[5]["title"] in first
    waiting = sum(1 for r in app.reviewables if r["status"] == 0)
    assert f"{waiting} items waiting" in html
    assert "Apply to ticked items" not in html  # a Viewer sees, never decides
    assert "A Moderator decides." in html


def test_filters_search_and_fragment(viewer_client, discourse_connection, discourse_sandbox):
    app = discourse_sandbox.app
    a_flag(app, raw="A very particular sentence about llamas")
    url = reverse("forums:review-list")
    html = viewer_client.get(url, {"q": "llamas"}, headers=HTMX).content.decode()
    assert (
        html.strip().startswith('<div id="review-table"') and html.count('class="review-row"') == 1
    )
    users = viewer_client.get(url, {"kind": "new_account"}).content.decode()
    assert "Account waiting for approval" in users and "Flagged post</td>" not in users
    none = viewer_client.get(url, {"reason": "no such reason"}).content.decode()
    assert "Nothing waiting matches these filters" in none
    by_forum = viewer_client.get(url, {"forum": discourse_connection.pk}).content.decode()
    assert by_forum.count('class="review-row"') >= 7


def test_one_failing_forum_is_a_marked_line_and_the_rest_still_shows(
    viewer_client, discourse_connection, discourse_sandbox
):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ForumConnectionFactory(name="Dead forum", base_url=f"http://127.0.0.1:{port}")
    html = viewer_client.get(reverse("forums:review-list")).content.decode()
    line = html[html.index("<strong>Dead forum</strong>") :].split("</li>")[0]
    assert "connection refused" in line and "items waiting" not in line
    assert 'class="review-row"' in html


def test_empty_queue_says_what_next(viewer_client, discourse_connection, discourse_sandbox):
    with discourse_sandbox.app.lock:
        discourse_sandbox.app.reviewables = []
    html = viewer_client.get(reverse("forums:review-list")).content.decode()
    assert "Nothing is waiting for review" in html and "Ask the forums now" in html


def test_decide_one_in_place_shows_the_forums_answer_and_audits_it(
    moderator_client, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    row, _, _ = a_flag(app)
    html = moderator_client.get(reverse("forums:review-list")).content.decode()
    assert "Hide post" in html and "Apply to ticked items" in html
    body = {"connection": discourse_connection.pk, "item": row["id"],
            "action": "agree_and_hide", "version": 0}  # fmt: skip
    answer = moderator_client.post(reverse("forums:review-decide"), body, headers=HTMX)
    text = answer.content.decode()
    assert "Done." in text and "Hide post: Discourse approved it." in text
    assert app.posts[row["target_id"]]["hidden"] is True
    entry = AuditEntry.objects.get(action="review.decide")
    assert entry.outcome == "success" and "approved" in entry.message
    assert "Flagged post" in entry.target


def test_a_stale_decision_says_so_in_plain_words(
    moderator_client, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    row, _, _ = a_flag(app)
    with app.lock:
        row["version"] = 3  # changed on the forum after the page was drawn with version 0
    body = {"connection": discourse_connection.pk, "item": row["id"],
            "action": "disagree", "version": 0}  # fmt: skip
    text = moderator_client.post(reverse("forums:review-decide"), body, headers=HTMX)
    text = text.content.decode()
    assert "Not decided." in text and "Someone decided or changed this item" in text
    assert "409" not in text and "{" not in text
    assert app.posts[row["target_id"]]["hidden"] is False and row["status"] == 0
    assert AuditEntry.objects.get(action="review.decide").outcome == "failure"


def test_a_destructive_decision_is_not_sent_from_the_queue(
    moderator_client, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    row, _, _ = a_flag(app)
    body = {"connection": discourse_connection.pk, "item": row["id"],
            "action": "delete_and_agree", "version": 0}  # fmt: skip
    text = moderator_client.post(reverse("forums:review-decide"), body, headers=HTMX)
    assert "propose it for a second person&#x27;s approval" in text.content.decode()
    assert app.posts[row["target_id"]]["deleted_at"] is None and row["status"] == 0


def test_decide_many_applies_one_harmless_decision(
    moderator_client, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    queued = [r for r in app.reviewables if r["type"] == "ReviewableQueuedPost"]
    flagged, _, _ = a_flag(app)
    keys = [f"{discourse_connection.pk}:{r['id']}" for r in (*queued, flagged)]
    moderator_client.get(reverse("forums:review-list"))
    response = moderator_client.post(
        reverse("forums:review-decide-many"), {"picked": keys, "decision": "approve"}, follow=True
    )
    html = response.content.decode()
    assert all(r["status"] == 1 for r in queued)  # the queued posts are published
    assert f"{len(queued) + 1} of {len(keys)} decided." in html  # agree_and_keep on the flag
    assert AuditEntry.objects.filter(action="review.decide").count() == len(keys)


def test_viewers_cannot_decide(viewer_client, discourse_connection, discourse_sandbox):
    row, _, _ = a_flag(discourse_sandbox.app)
    body = {"connection": discourse_connection.pk, "item": row["id"],
            "action": "agree_and_hide", "version": 0}  # fmt: skip
    assert viewer_client.post(reverse("forums:review-decide"), body).status_code == 403
    assert viewer_client.post(reverse("forums:review-decide-many"), {}).status_code == 403


def test_the_menu_has_review(viewer_client, discourse_connection, discourse_sandbox):
    viewer_client.get(reverse("forums:review-list"))
    html = viewer_client.get(reverse("forums:tag-list")).content.decode()
    assert f'href="{reverse("forums:review-list")}"' in html


def test_a_destructive_decision_is_proposed_for_four_eyes(
    moderator_client, discourse_connection, discourse_sandbox
):
    from forums.models import BulkAction

    app = discourse_sandbox.app
    row, _, _ = a_flag(app)
    html = moderator_client.get(reverse("forums:review-list")).content.decode()
    assert "Propose: Delete post" in html
    response = moderator_client.post(
        reverse("forums:review-propose"),
        {"picked": f"{discourse_connection.pk}:{row['id']}", "action": "delete_and_agree",
         "label": "Delete post"},
    )  # fmt: skip
    action = BulkAction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert action.kind == "review_decide" and action.params["action"] == "delete_and_agree"
    assert list(action.items.values_list("target", flat=True)) == [str(row["id"])]
    assert app.posts[row["target_id"]]["deleted_at"] is None  # nothing sent before approval
    detail = moderator_client.get(response["Location"]).content.decode()
    assert "Review queue: Delete post" in detail


def test_a_persons_page_loads_what_waits_about_them(
    viewer_client, discourse_connection, discourse_sandbox
):
    app = discourse_sandbox.app
    row, author, _ = a_flag(app)
    person = reverse("forums:person-detail", args=[discourse_connection.pk, author["id"]])
    page = viewer_client.get(person).content.decode()
    assert "Waiting in review, on every forum" in page
    assert f"?author={author['username']}" in page
    fragment = viewer_client.get(
        reverse("forums:review-list"), {"author": author["username"]}, headers=HTMX
    ).content.decode()
    assert f'data-item="{discourse_connection.pk}:{row["id"]}"' in fragment
    assert all(author["username"] in r for r in fragment.split('class="review-row"')[1:])


def test_delete_posts_and_suspend_authors_is_proposed_with_the_penalty_form(
    moderator_client, discourse_connection, discourse_sandbox
):
    from forums.models import BulkAction

    app = discourse_sandbox.app
    row, author, _ = a_flag(app)
    html = moderator_client.get(reverse("forums:review-list")).content.decode()
    assert "Propose: delete the posts and suspend the authors" in html
    assert 'name="spam-reason"' in html and 'name="spam-until"' in html
    key = f"{discourse_connection.pk}:{row['id']}"
    url = reverse("forums:review-propose-spam")
    # The usual penalty rules: Discourse wants a reason; nothing is proposed without it.
    refused = moderator_client.post(url, {"picked": key, "spam-until": "7 days"}, follow=True)
    assert "Reason: This field is required." in refused.content.decode()
    assert not BulkAction.objects.exists()
    response = moderator_client.post(
        url, {"picked": key, "spam-until": "7 days", "spam-reason": "Spam"}
    )
    action = BulkAction.objects.get()
    assert response["Location"] == reverse("forums:bulk-detail", args=[action.pk])
    assert action.kind == "review_spam" and action.params["reason"] == "Spam"
    targets = list(action.items.values_list("target", flat=True))
    assert targets == [str(row["id"]), f"author:{author['username']}"]
    assert app.posts[row["target_id"]]["deleted_at"] is None  # nothing sent before approval
