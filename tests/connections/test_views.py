"""Forum connections as an Admin manages them in the browser."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from forums.crypto import reveal
from forums.models import AuditEntry, ForumConnection
from tests.factories import ForumConnectionFactory
from tests.pages import page_html

SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2eKEY9"

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Community",
        "platform": "discourse",
        "base_url": "https://community.example.com/",
        "api_username": "system",
        "api_key": SECRET,
        "requests_per_minute": 60,
        "enabled": "on",
    }
    data.update(overrides)
    return data


def test_admin_adds_a_connection_and_the_key_is_never_shown_again(admin_client_):
    response = admin_client_.post(reverse("forums:connection-create"), form_data(), follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Added Community" in html
    assert "…KEY9" in html
    assert SECRET not in html
    connection = ForumConnection.objects.get(name="Community")
    assert connection.base_url == "https://community.example.com"  # normalised
    assert reveal(connection.api_key) == SECRET and connection.api_key_last4 == "KEY9"
    edit = admin_client_.get(reverse("forums:connection-update", args=[connection.pk]))
    assert SECRET not in edit.content.decode()
    assert "ending in …KEY9" in edit.content.decode()
    entry = AuditEntry.objects.get(action="connection.create")
    assert entry.actor_name == "ada" and entry.connection_name == "Community"
    assert SECRET not in str(entry.details) + entry.message


def test_a_form_with_errors_does_not_echo_the_key(admin_client_):
    response = admin_client_.post(
        reverse("forums:connection-create"),
        form_data(base_url="http://community.example.com"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Plain http is refused for community.example.com" in html
    assert SECRET not in html
    assert not ForumConnection.objects.exists()


@pytest.mark.parametrize(
    "url,message",
    [
        ("https://169.254.169.254/", "169.254.169.254 is a cloud metadata address"),
        ("ftp://forum.example.com", "must start with https://"),
        ("https://user:pw@forum.example.com", "credentials in the API key field"),
    ],
)
def test_unsafe_addresses_are_refused_with_a_clear_message(admin_client_, url, message):
    response = admin_client_.post(reverse("forums:connection-create"), form_data(base_url=url))
    assert message in response.content.decode()
    assert not ForumConnection.objects.exists()


def test_master_token_needs_a_numeric_uid(admin_client_):
    response = admin_client_.post(
        reverse("forums:connection-create"),
        form_data(platform="nodebb", api_username="admin", settings__nodebb__master_token="on"),
    )
    assert "give that user&#x27;s uid (a number)" in response.content.decode()
    assert not ForumConnection.objects.exists()


def test_a_master_token_is_kept_in_the_connections_settings(admin_client_):
    admin_client_.post(
        reverse("forums:connection-create"),
        form_data(platform="nodebb", api_username="1", settings__nodebb__master_token="on"),
    )
    connection = ForumConnection.objects.get(name="Community")
    assert connection.settings == {"master_token": True}
    edit = admin_client_.get(reverse("forums:connection-update", args=[connection.pk]))
    html = page_html(edit)
    assert re.search(r'<input[^>]*name="settings__nodebb__master_token"[^>]*checked', html)
    legend = r'<fieldset[^>]*data-platform="nodebb"[^>]*>\s*<legend[^>]*>NodeBB settings'
    assert re.search(legend, html)


def test_unchecking_the_master_token_needs_the_key_again(admin_client_):
    connection = ForumConnectionFactory(
        platform="nodebb", api_username="1", settings={"master_token": True}, api_key=SECRET
    )
    url = reverse("forums:connection-update", args=[connection.pk])
    response = admin_client_.post(
        url,
        form_data(platform="nodebb", api_username="1", api_key="", base_url=connection.base_url),
    )
    said = "The forum&#x27;s own settings changed, so enter the API key again"
    assert said in page_html(response)
    connection.refresh_from_db()
    assert connection.settings == {"master_token": True}


def test_editing_without_a_new_key_keeps_the_old_one(admin_client_):
    connection = ForumConnectionFactory(api_key=SECRET)
    url = reverse("forums:connection-update", args=[connection.pk])
    same = {"base_url": connection.base_url}
    admin_client_.post(url, form_data(name="Renamed", api_key="", **same))
    connection.refresh_from_db()
    assert connection.name == "Renamed" and reveal(connection.api_key) == SECRET
    entry = AuditEntry.objects.get(action="connection.update")
    assert entry.message == "Changed: name"

    admin_client_.post(url, form_data(name="Renamed", api_key="new-key-abcd", **same))
    connection.refresh_from_db()
    assert reveal(connection.api_key) == "new-key-abcd" and connection.api_key_last4 == "abcd"
    assert AuditEntry.objects.filter(message="Changed: API key").exists()


def test_delete_asks_first_and_keeps_the_audit_trail(admin_client_):
    connection = ForumConnectionFactory(name="Old forum")
    url = reverse("forums:connection-delete", args=[connection.pk])
    confirm = admin_client_.get(url)
    assert "Delete Old forum?" in confirm.content.decode()
    assert ForumConnection.objects.filter(pk=connection.pk).exists()
    admin_client_.post(url)
    assert not ForumConnection.objects.filter(pk=connection.pk).exists()
    entry = AuditEntry.objects.get(action="connection.delete")
    assert entry.connection_name == "Old forum" and entry.connection_id == connection.pk


def test_disable_hides_the_card_from_the_overview(admin_client_):
    connection = ForumConnectionFactory(name="Quiet forum")
    admin_client_.post(reverse("forums:connection-toggle", args=[connection.pk]))
    connection.refresh_from_db()
    assert connection.enabled is False
    overview = page_html(admin_client_.get(reverse("overview")))
    assert f'id="forum-card-{connection.pk}"' not in overview
    assert "1 disabled forum not shown" in overview
    assert "Every connected forum is disabled." in overview


def test_list_search_is_an_htmx_fragment(admin_client_):
    ForumConnectionFactory(name="Alpha forum")
    ForumConnectionFactory(name="Beta forum")
    response = admin_client_.get(
        reverse("forums:connection-list") + "?q=alpha", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert 'id="connection-table"' in html and "<html" not in html
    assert "Alpha forum" in html and "Beta forum" not in html
    empty = admin_client_.get(
        reverse("forums:connection-list") + "?q=zzz", headers={"HX-Request": "true"}
    ).content.decode()
    assert "No forum matches" in empty


def test_overview_empty_state_invites_the_admin_to_connect(admin_client_):
    html = page_html(admin_client_.get(reverse("overview")))
    assert "No forums are connected yet." in html
    assert reverse("forums:connection-create") in html


def test_test_connection_reports_in_plain_words(admin_client_, discourse_connection):
    response = admin_client_.post(
        reverse("forums:connection-test", args=[discourse_connection.pk]),
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert f'id="test-result-{discourse_connection.pk}"' in html and "<html" not in html
    assert "Works." in html
    assert "Credentials accepted: yes" in html and "Admin rights: yes" in html
    assert "Discourse" in html
    entry = AuditEntry.objects.get(action="connection.test")
    assert entry.outcome == "success" and entry.actor_name == "ada"


def test_test_connection_with_a_wrong_key(admin_client_, discourse_sandbox):
    connection = ForumConnectionFactory(base_url=discourse_sandbox.url, api_key="wrong-key")
    html = admin_client_.post(
        reverse("forums:connection-test", args=[connection.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Problem." in html and "Credentials accepted: no" in html
    assert "API key" in html
    assert AuditEntry.objects.get(action="connection.test").outcome == "failure"


def test_test_connection_without_javascript_renders_a_page(admin_client_, discourse_connection):
    response = admin_client_.post(reverse("forums:connection-test", args=[discourse_connection.pk]))
    assert "<html" in response.content.decode() and "Works." in response.content.decode()


def test_card_is_cached_and_refresh_bypasses_the_cache(
    admin_client_, discourse_connection, discourse_sandbox
):
    url = reverse("forums:connection-card", args=[discourse_connection.pk])
    first = admin_client_.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'id="forum-card-{discourse_connection.pk}"' in first and "<html" not in first
    assert "Healthy" in first
    calls = discourse_sandbox.app.calls.count()
    assert calls > 0
    admin_client_.get(url, headers={"HX-Request": "true"})
    assert discourse_sandbox.app.calls.count() == calls  # served from the cache
    admin_client_.get(url + "?refresh=1", headers={"HX-Request": "true"})
    assert discourse_sandbox.app.calls.count() > calls


def test_card_of_a_dead_forum_shows_its_own_error(admin_client_):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    connection = ForumConnectionFactory(base_url=f"http://127.0.0.1:{port}")
    html = admin_client_.get(reverse("forums:connection-card", args=[connection.pk])).content
    assert b"connection refused" in html and b"is-problem" in html


def test_no_page_contains_the_key(admin_client_, discourse_connection):
    from forums.clients.records import HealthReport  # noqa: F401

    key = reveal(discourse_connection.api_key)
    pages = [
        reverse("overview"),
        reverse("forums:connection-list"),
        reverse("forums:connection-update", args=[discourse_connection.pk]),
        reverse("forums:connection-delete", args=[discourse_connection.pk]),
        reverse("forums:connection-card", args=[discourse_connection.pk]),
        reverse("forums:audit-list"),
    ]
    for page in pages:
        assert key not in page_html(admin_client_.get(page)), page
    test = admin_client_.post(reverse("forums:connection-test", args=[discourse_connection.pk]))
    assert key not in test.content.decode()


def test_cards_link_to_each_forums_own_review_pages(
    admin_client_, discourse_connection, discourse_sandbox, nodebb_connection, nodebb_sandbox
):
    discourse = admin_client_.get(
        reverse("forums:connection-card", args=[discourse_connection.pk])
    ).content.decode()
    assert f'href="{discourse_sandbox.url}/review"' in discourse and "waiting" in discourse
    nodebb = admin_client_.get(
        reverse("forums:connection-card", args=[nodebb_connection.pk])
    ).content.decode()
    assert f'href="{nodebb_sandbox.url}/flags"' in nodebb
    assert f'href="{nodebb_sandbox.url}/post-queue"' in nodebb


def test_a_forum_whose_book_is_full_shows_busy_on_its_card_without_calling_it(
    viewer_client, discourse_connection, discourse_sandbox
):
    """Health checks take their slots from the same book as bulk runs: when a run has just
    sent the window's allowance, the card says so at once instead of meeting the forum's 429."""
    from forums.pacing import get_pacer
    from tests.bulk.helpers import booked_calls

    discourse_connection.requests_per_minute = 60  # 60 in any minute, Discourse's default
    discourse_connection.save()
    pacer = get_pacer()
    for _ in range(60):
        pacer.reserve(discourse_connection)
    discourse_sandbox.app.calls.clear()
    url = reverse("forums:connection-card", args=[discourse_connection.pk]) + "?refresh=1"
    html = viewer_client.get(url).content.decode()
    assert "Sandbox Discourse is busy with other Forumdeck work" in html
    assert discourse_sandbox.app.calls.count() == 0  # nothing reached the forum: no 429
    assert booked_calls(discourse_connection) == 60  # and the card took no slot


def test_a_health_check_books_a_slot_for_each_of_its_calls(
    viewer_client, discourse_connection, discourse_sandbox
):
    from tests.bulk.helpers import booked_calls

    discourse_sandbox.app.calls.clear()
    url = reverse("forums:connection-card", args=[discourse_connection.pk]) + "?refresh=1"
    assert viewer_client.get(url).status_code == 200
    assert discourse_sandbox.app.calls.count(status=200) >= 2
    assert booked_calls(discourse_connection) == discourse_sandbox.app.calls.count()


def test_the_forums_rate_limit_window_is_set_on_the_form_and_shown_in_the_list(admin_client_):
    form = admin_client_.get(reverse("forums:connection-create")).content.decode()
    assert "rate-limit window (seconds)" in form.lower() and "in any this many seconds" in form
    admin_client_.post(
        reverse("forums:connection-create"),
        form_data(requests_per_minute=600, rate_window_seconds=10),
    )
    connection = ForumConnection.objects.get(name="Community")
    assert connection.rate_window_seconds == 10 and connection.rate_allowance == 100
    listed = admin_client_.get(reverse("forums:connection-list")).content.decode()
    assert "600/min (100 in any 10 s)" in listed
    # Left empty on an edit, it stays as it was.
    admin_client_.post(
        reverse("forums:connection-update", args=[connection.pk]),
        form_data(api_key="", requests_per_minute=300),
    )
    connection.refresh_from_db()
    assert (connection.requests_per_minute, connection.rate_window_seconds) == (300, 10)


def test_a_window_that_allows_less_than_one_request_is_refused(admin_client_):
    response = admin_client_.post(
        reverse("forums:connection-create"),
        form_data(requests_per_minute=6, rate_window_seconds=5),
    )
    assert "a 5 s window allows less than one request: make it at least 10 s" in (
        response.content.decode()
    )
    assert not ForumConnection.objects.exists()


# --- issue 26, items 12 and 14 ---------------------------------------------------------------
def test_the_edit_page_does_not_point_to_itself(admin_client_, discourse_sandbox):
    """The list says "Check both (Edit this forum)"; on the edit page that pointer is gone and
    the explanation stays."""
    connection = ForumConnectionFactory(
        name="Wrong key", base_url=discourse_sandbox.url, api_key="not-the-sandbox-key",
        api_username="system", enabled=False,
    )  # fmt: skip
    listed = admin_client_.post(
        reverse("forums:connection-test", args=[connection.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Check both (Edit this forum)." in listed
    html = admin_client_.get(reverse("forums:connection-update", args=[connection.pk])).content
    html = html.decode()
    assert "Its last test failed" in html
    assert "Discourse refused the credentials" in html and "scope for this call." in html
    assert "Edit this forum" not in html and "Check both" not in html


def test_a_nodebb_test_that_sent_nothing_is_not_called_reachable(admin_client_, nodebb_sandbox):
    connection = ForumConnectionFactory(
        name="Master without uid", platform="nodebb", base_url=nodebb_sandbox.url,
        api_key="any-token", api_username="", settings={"master_token": True},
    )  # fmt: skip
    nodebb_sandbox.app.calls.clear()
    html = admin_client_.post(
        reverse("forums:connection-test", args=[connection.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert nodebb_sandbox.app.calls.records() == []  # refused before sending
    assert "Reachable: not asked: nothing was sent" in html
    assert "Reachable: yes" not in html
    assert "give that user&#x27;s uid (a number)" in html
    entry = AuditEntry.objects.get(action="connection.test")
    assert entry.details["reachable"] is None


def _demo_userecho() -> ForumConnection:
    """Demo UserEcho as `make demo` stores it (its own command, its own values)."""
    import io

    from django.core.management import call_command

    call_command("demo_connections", "userecho=http://127.0.0.1:9", stdout=io.StringIO())
    return ForumConnection.objects.get(platform="userecho")


def test_the_demo_userecho_forum_is_disabled_without_its_key(admin_client_):
    connection = _demo_userecho()
    response = admin_client_.post(reverse("forums:connection-toggle", args=[connection.pk]))
    assert response.status_code == 302
    page = admin_client_.get(response["Location"]).content.decode()
    assert f"{connection.name} is disabled." in page
    connection.refresh_from_db()
    assert not connection.enabled
    assert AuditEntry.objects.filter(action="connection.update", target=connection.name).exists()


# As the form shows the stored value, and as the form's help asks ("UserEcho: leave empty").
@pytest.mark.parametrize("acting_user", ["1", ""])
def test_the_demo_userecho_forum_saved_unchanged_does_not_ask_for_its_key(
    admin_client_, acting_user
):
    connection = _demo_userecho()
    url = reverse("forums:connection-update", args=[connection.pk])
    response = admin_client_.post(
        url,
        {
            "name": connection.name,
            "platform": "userecho",
            "base_url": connection.base_url,
            "api_username": acting_user,
            "api_key": "",
            "requests_per_minute": connection.requests_per_minute,
            "rate_window_seconds": connection.rate_window_seconds,
            "enabled": "on",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "enter the API key again" not in html
    assert f"Saved {connection.name}" in html
    connection.refresh_from_db()
    assert connection.enabled  # its reaching settings did not change: it stays enabled
