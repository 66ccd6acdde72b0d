"""People pages without surprises (issue 14, findings 5, 7, 8, 15 and 17)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forums.models import AuditEntry

pytestmark = pytest.mark.django_db

EMAIL = "kim.lee@example.org"


@pytest.fixture
def kim(discourse_sandbox, nodebb_sandbox, discourse_connection, nodebb_connection):
    return {
        "discourse": discourse_sandbox.app.add_person(
            username="kim_lee", email=EMAIL, name="Kim Lee"
        ),
        "nodebb": nodebb_sandbox.app.add_person(username="kimlee", email=EMAIL, name="Kim Lee"),
    }


def search(client, **params) -> str:
    return client.get(
        reverse("forums:people-search"), params, headers={"HX-Request": "true"}
    ).content.decode()


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
