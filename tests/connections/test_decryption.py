"""A connection whose key the keyring cannot open breaks only calls to that forum.

Rows load without decrypting; ``get_client`` decrypts, so that forum's card, test and search
row say what is wrong, every other forum keeps working, and an Admin can type a new key.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db
from django.urls import reverse

from forums.crypto import Keyring, reveal
from forums.models import AuditEntry, ForumConnection
from tests.factories import ForumConnectionFactory
from tests.pages import page_html

pytestmark = pytest.mark.django_db

WORDS = "The API key cannot be decrypted with the configured keys: enter it again"


@pytest.fixture
def sealed_away(discourse_sandbox):
    """A forum whose key was sealed by a key the keyring no longer has."""
    connection = ForumConnectionFactory(name="Lost key forum", base_url=discourse_sandbox.url)
    foreign = Keyring((Fernet.generate_key().decode(),)).encrypt("some-key")
    with db.cursor() as cursor:
        cursor.execute(
            "UPDATE forums_forumconnection SET api_key = %s WHERE id = %s", [foreign, connection.pk]
        )
    return ForumConnection.objects.get(pk=connection.pk)


def test_its_card_says_so_and_the_healthy_card_still_works(
    viewer_client, sealed_away, discourse_connection, discourse_sandbox
):
    overview = viewer_client.get(reverse("overview"))
    assert overview.status_code == 200
    html = page_html(overview)
    assert "Lost key forum" in html and WORDS in html
    card = viewer_client.get(reverse("forums:connection-card", args=[sealed_away.pk]))
    assert card.status_code == 200 and WORDS in card.content.decode()
    healthy = viewer_client.get(
        reverse("forums:connection-card", args=[discourse_connection.pk]) + "?refresh=1"
    )
    assert "Healthy" in healthy.content.decode()
    assert discourse_sandbox.app.calls.count() > 0  # only the healthy forum was asked


def test_test_connection_says_so_and_sends_nothing(admin_client_, sealed_away, discourse_sandbox):
    response = admin_client_.post(
        reverse("forums:connection-test", args=[sealed_away.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and WORDS in response.content.decode()
    assert discourse_sandbox.app.calls.count() == 0
    assert AuditEntry.objects.get(action="connection.test").outcome == "failure"


def test_the_edit_form_opens_and_takes_a_new_key(admin_client_, sealed_away):
    url = reverse("forums:connection-update", args=[sealed_away.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200 and "Lost key forum" in page.content.decode()
    response = admin_client_.post(
        url,
        {
            "name": sealed_away.name,
            "platform": sealed_away.platform,
            "base_url": sealed_away.base_url,
            "api_username": sealed_away.api_username,
            "api_key": "a-fresh-key-0001",
            "requests_per_minute": 60,
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    assert reveal(ForumConnection.objects.get(pk=sealed_away.pk).api_key) == "a-fresh-key-0001"


def test_people_search_reports_that_forum_and_finds_people_on_the_others(
    viewer_client, sealed_away, discourse_connection, discourse_sandbox
):
    discourse_sandbox.app.add_person(username="kim_lee", email="kim@example.org", name="Kim Lee")
    html = viewer_client.get(
        reverse("forums:people-search"), {"q": "kim_lee"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "kim_lee" in html and "Sandbox Discourse" in html
    assert "Lost key forum" in html and WORDS in html


def test_a_person_page_on_that_forum_says_so(viewer_client, sealed_away):
    response = viewer_client.get(reverse("forums:person-detail", args=[sealed_away.pk, 5]))
    assert response.status_code == 200 and WORDS in response.content.decode()
