"""A connection is enabled only once its test passes; a failing forum's card says what is known
and offers Edit and Test (issue 14, findings 2, 3 and 4)."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from forums.models import AuditEntry, ForumConnection, Platform
from tests.conftest import NODEBB_TOKEN, SANDBOX_DISCOURSE_KEY
from tests.factories import ForumConnectionFactory
from tests.pages import page_html

pytestmark = pytest.mark.django_db


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def form_data(url: str, **overrides) -> dict:
    data = {
        "name": "Community",
        "platform": "discourse",
        "base_url": url,
        "api_username": "system",
        "api_key": SANDBOX_DISCOURSE_KEY,
        "requests_per_minute": 60,
        "enabled": "on",
    }
    data.update(overrides)
    return data


def test_save_and_test_enables_a_forum_whose_test_passes(admin_client_, discourse_sandbox):
    response = admin_client_.post(
        reverse("forums:connection-create"), form_data(discourse_sandbox.url), follow=True
    )
    html = response.content.decode()
    assert "Added Community: the test passed; it is enabled." in html
    assert ForumConnection.objects.get(name="Community").enabled is True
    assert AuditEntry.objects.get(action="connection.test").outcome == "success"


@pytest.mark.parametrize(
    "overrides,words",
    [
        ({"api_key": "wrong-key-1234"}, "Discourse refused the credentials"),
        ({"base_url": "{dead}"}, "connection refused"),
        ({"platform": "nodebb", "api_username": ""}, "not like a NodeBB forum"),
    ],
)
def test_a_failing_connection_is_saved_disabled_with_the_reason_shown_first(
    admin_client_, discourse_sandbox, overrides, words
):
    data = form_data(discourse_sandbox.url, **overrides)
    if data["base_url"] == "{dead}":
        data["base_url"] = dead_url()
    response = admin_client_.post(reverse("forums:connection-create"), data, follow=True)
    connection = ForumConnection.objects.get(name="Community")
    assert connection.enabled is False
    assert response.redirect_chain[-1][0] == reverse(
        "forums:connection-update", args=[connection.pk]
    )
    html = response.content.decode()
    assert "Added Community, but not enabled: its test failed." in html
    assert "Its last test failed, so it is not enabled" in html and words in html
    assert "Save and test" in html
    # Nothing offers it: not the overview, not People, not the bulk form.
    assert f"forum-card-{connection.pk}" not in page_html(admin_client_.get(reverse("overview")))
    bulk_form = admin_client_.get(reverse("forums:bulk-create")).content.decode()
    assert "Community" not in bulk_form


def test_fixing_the_key_and_saving_again_enables_it(admin_client_, discourse_sandbox):
    connection = ForumConnectionFactory(
        name="Community", base_url=discourse_sandbox.url, api_key="wrong", enabled=False
    )
    url = reverse("forums:connection-update", args=[connection.pk])
    admin_client_.post(url, form_data(discourse_sandbox.url))
    connection.refresh_from_db()
    assert connection.enabled is True


def test_a_renamed_enabled_forum_that_is_down_stays_enabled(admin_client_):
    url = dead_url()
    connection = ForumConnectionFactory(name="Old", base_url=url, api_key=SANDBOX_DISCOURSE_KEY)
    response = admin_client_.post(
        reverse("forums:connection-update", args=[connection.pk]),
        form_data(url, name="New", api_key=""),
        follow=True,
    )
    connection.refresh_from_db()
    assert connection.name == "New" and connection.enabled is True
    assert "It stays enabled, but its test failed now." in response.content.decode()


def test_a_new_address_that_fails_disables_an_enabled_forum(admin_client_, discourse_sandbox):
    connection = ForumConnectionFactory(
        name="Community", base_url=discourse_sandbox.url, api_key=SANDBOX_DISCOURSE_KEY
    )
    # A new address needs its key typed again (a key is bound to its forum).
    new_address = dead_url()
    admin_client_.post(
        reverse("forums:connection-update", args=[connection.pk]),
        form_data(new_address, api_key="the-key-for-the-new-address-0001"),
    )
    connection.refresh_from_db()
    assert connection.base_url == new_address
    assert connection.enabled is False
    assert AuditEntry.objects.filter(action="connection.update", message="Changed: enabled")


def test_enabling_from_the_list_tests_first(admin_client_, discourse_sandbox):
    broken = ForumConnectionFactory(
        name="Broken", base_url=discourse_sandbox.url, api_key="wrong", enabled=False
    )
    response = admin_client_.post(
        reverse("forums:connection-toggle", args=[broken.pk]), follow=True
    )
    broken.refresh_from_db()
    assert broken.enabled is False
    html = response.content.decode()
    assert "Broken stays disabled: its test failed. Discourse refused the credentials" in html
    # The list says so on the row, from the last check (no new call to the forum).
    calls = discourse_sandbox.app.calls.count()
    row_html = admin_client_.get(reverse("forums:connection-list")).content.decode()
    assert "last check failed just now" in row_html
    assert discourse_sandbox.app.calls.count() == calls

    good = ForumConnectionFactory(
        name="Good", base_url=discourse_sandbox.url, api_key=SANDBOX_DISCOURSE_KEY, enabled=False
    )
    admin_client_.post(reverse("forums:connection-toggle", args=[good.pk]))
    good.refresh_from_db()
    assert good.enabled is True


def test_a_failing_card_says_unknown_and_offers_edit_and_test(admin_client_, discourse_sandbox):
    connection = ForumConnectionFactory(base_url=discourse_sandbox.url, api_key="wrong")
    html = admin_client_.get(
        reverse("forums:connection-card", args=[connection.pk])
    ).content.decode()
    assert "not offered" not in html
    assert html.count("unknown (last check failed just now)") == 2  # users and review queue
    assert "Checked at" in html
    assert reverse("forums:connection-update", args=[connection.pk]) in html
    assert f'hx-post="{reverse("forums:connection-test", args=[connection.pk])}"' in html
    assert "unknown (set up as Discourse)" in html  # never "Software: Discourse"
    # Test on the card re-renders the card itself.
    tested = admin_client_.post(
        reverse("forums:connection-test", args=[connection.pk]),
        headers={"HX-Request": "true", "HX-Target": f"forum-card-{connection.pk}"},
    ).content.decode()
    assert f'id="forum-card-{connection.pk}"' in tested and "Discourse refused" in tested


def test_a_healthy_card_has_a_checked_at_time_and_no_edit_link(admin_client_, discourse_connection):
    html = admin_client_.get(
        reverse("forums:connection-card", args=[discourse_connection.pk])
    ).content.decode()
    assert "Healthy" in html and "Checked at" in html
    assert reverse("forums:connection-update", args=[discourse_connection.pk]) not in html


def test_the_test_page_of_a_non_forum_does_not_claim_its_software(admin_client_, live_server):
    connection = ForumConnectionFactory(base_url=live_server.url, api_key="x")
    html = admin_client_.post(
        reverse("forums:connection-test", args=[connection.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "This address is Forumdeck itself, not a forum" in html
    assert "Software:" not in html


def test_a_wrong_key_reads_the_same_on_test_card_and_people(
    admin_client_, discourse_sandbox, nodebb_sandbox
):
    discourse = ForumConnectionFactory(name="D", base_url=discourse_sandbox.url, api_key="wrong")
    nodebb = ForumConnectionFactory(
        name="N",
        platform=Platform.NODEBB,
        base_url=nodebb_sandbox.url,
        api_key="wrong",
        api_username="",
    )
    people = admin_client_.get(
        reverse("forums:people-search"), {"q": "maria"}, headers={"HX-Request": "true"}
    ).content.decode()
    for connection, words in (
        (discourse, "Discourse refused the credentials: the API key or the API username"),
        (nodebb, "NodeBB refused the API token: it is not valid, or it was revoked"),
    ):
        test = admin_client_.post(
            reverse("forums:connection-test", args=[connection.pk]),
            headers={"HX-Request": "true"},
        ).content.decode()
        card = admin_client_.get(
            reverse("forums:connection-card", args=[connection.pk])
        ).content.decode()
        assert words in test and words in card and words in people
    assert "login session" not in people
    assert NODEBB_TOKEN not in people


def test_the_bulk_form_names_an_enabled_forum_whose_last_check_failed(
    admin_client_, moderator_client, discourse_sandbox
):
    # Enabled while it worked; its key was revoked since, and the overview noticed.
    connection = ForumConnectionFactory(name="Revoked", base_url=discourse_sandbox.url,
                                        api_key="revoked")  # fmt: skip
    admin_client_.get(reverse("forums:connection-card", args=[connection.pk]))
    html = moderator_client.get(reverse("forums:bulk-create")).content.decode()
    assert "Revoked (last check failed just now: Discourse refused the credentials" in html
