"""The index's page (progress, reading again, the webhook secret) and the webhook receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from forums.index.sync import index_sync_start, index_sync_step
from forums.models import (
    AuditEntry,
    BulkAction,
    ForumConnection,
    IndexedAccount,
    IndexSync,
    IndexWebhookDelivery,
)

pytestmark = pytest.mark.django_db


def test_progress_is_counted_and_polls_until_the_read_ends(viewer_client, discourse_connection):
    IndexSync.objects.create(
        connection=discourse_connection, state=IndexSync.State.RUNNING, accounts_seen=3400,
        accounts_total=48000, started_at=timezone.now(),
    )  # fmt: skip
    url = reverse("forums:index-detail", args=[discourse_connection.pk])
    html = viewer_client.get(url).content.decode()
    assert "3,400 of 48,000 accounts" in html and 'hx-trigger="every 2s"' in html
    assert 'id="index-bar"' in html
    polled = viewer_client.get(url, headers={"HX-Request": "true", "HX-Target": "index-progress"})
    assert polled.status_code == 200 and "<html" not in polled.content.decode()
    IndexSync.objects.filter(connection=discourse_connection).update(
        state=IndexSync.State.COMPLETE, accounts_complete_at=timezone.now(), accounts_seen=48000
    )
    done = viewer_client.get(url, headers={"HX-Request": "true", "HX-Target": "index-progress"})
    assert done.status_code == 286  # htmx stops polling
    text = done.content.decode()
    assert "48,000 accounts" in text and "every 2s" not in text


def test_the_forum_list_links_each_forum_to_its_index(viewer_client, discourse_connection):
    html = viewer_client.get(reverse("forums:connection-list")).content.decode()
    assert "not in the index yet" in html
    assert reverse("forums:index-detail", args=[discourse_connection.pk]) in html


def test_an_admin_starts_a_read_and_a_viewer_cannot(
    admin_client, viewer_client, discourse_connection, django_capture_on_commit_callbacks
):
    url = reverse("forums:index-sync", args=[discourse_connection.pk])
    assert viewer_client.post(url).status_code == 403
    assert not IndexSync.objects.exists()
    with django_capture_on_commit_callbacks() as queued:
        response = admin_client.post(url, follow=True)
    assert len(queued) == 1  # the task, queued once the transaction is in
    assert "is reading Sandbox Discourse into its index" in response.content.decode()
    assert IndexSync.objects.get(connection=discourse_connection).state == "running"


def test_the_index_page_shows_each_forums_part_and_is_in_the_menu(
    viewer_client, discourse_connection
):
    url = reverse("forums:index-list")
    html = viewer_client.get(url).content.decode()
    assert f'href="{url}"' in html  # the menu entry the index area registers
    assert reverse("forums:index-detail", args=[discourse_connection.pk]) in html
    assert "not read yet" in html
    index_sync_start(connection=discourse_connection)
    while index_sync_step(connection_id=discourse_connection.pk).again_in is not None:
        pass
    html = viewer_client.get(url).content.decode()
    sync = IndexSync.objects.get(connection=discourse_connection)
    assert "Complete" in html and f"{sync.accounts_seen:,}" in html and "not read yet" not in html


def test_the_index_page_without_forums_says_what_to_do(admin_client):
    html = admin_client.get(reverse("forums:index-list")).content.decode()
    assert "nothing to index" in html
    assert reverse("forums:connection-create") in html


def test_reading_again_and_the_webhook_secret_are_the_admins(
    moderator_client, discourse_connection
):
    for name in ("forums:index-sync", "forums:index-webhook-secret"):
        assert (
            moderator_client.post(reverse(name, args=[discourse_connection.pk])).status_code == 403
        )
    html = moderator_client.get(
        reverse("forums:index-detail", args=[discourse_connection.pk])
    ).content.decode()
    assert "Read this forum" not in html
    assert not IndexSync.objects.exists()


@pytest.fixture
def secret(admin_client, discourse_connection) -> str:
    html = admin_client.post(
        reverse("forums:index-webhook-secret", args=[discourse_connection.pk])
    ).content.decode()
    start = html.index('<code id="webhook-secret">') + len('<code id="webhook-secret">')
    return html[start : html.index("</code>", start)]


def test_the_secret_is_shown_once_and_kept_sealed(admin_client, discourse_connection, secret):
    assert len(secret) > 30
    page = admin_client.get(reverse("forums:index-detail", args=[discourse_connection.pk]))
    assert secret not in page.content.decode() and "not shown again" in page.content.decode()
    stored = IndexSync.objects.values_list("webhook_secret", flat=True).get()
    assert secret not in stored.stored  # sealed by the keyring
    assert f"/forums/index/webhook/{discourse_connection.pk}/" in page.content.decode()


@pytest.fixture
def forum():
    """The forum's side: a client that is nobody logged in."""
    from django.test import Client

    return Client()


def deliver(client, connection, payload: dict, *, secret: str, event: str, delivery: str):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        reverse("forums:index-webhook", args=[connection.pk]),
        body,
        content_type="application/json",
        headers={
            "X-Discourse-Event-Id": delivery,
            "X-Discourse-Event-Type": event.split("_")[0],
            "X-Discourse-Event": event,
            "X-Discourse-Event-Signature": signature,
        },
    )


def user_payload(sandbox, user_id: int) -> dict:
    """The user as the forum's webhook serializer sends it."""
    user = sandbox.app.users[user_id]
    till = user["suspended_till"]
    return {
        "user": {
            "id": user_id, "username": user["username"], "name": user["name"],
            "email": user["email"], "admin": False, "moderator": False,
            "trust_level": user["trust_level"], "post_count": user["post_count"],
            "created_at": user["created_at"].isoformat(),
            "suspended_till": till.isoformat() if till else None,
        }
    }  # fmt: skip


@pytest.fixture
def indexed(discourse_sandbox, discourse_connection):
    index_sync_start(connection=discourse_connection)
    while index_sync_step(connection_id=discourse_connection.pk).again_in is not None:
        pass
    kim = discourse_sandbox.app.add_person(username="kim_lee", email="kim@example.org")
    return kim


def search(client, **params):
    return client.get(
        reverse("forums:people-search"), params, headers={"HX-Request": "true"}
    ).content.decode()


def test_a_signed_user_event_updates_search_and_nothing_else(
    forum, viewer_client, discourse_sandbox, discourse_connection, secret, indexed
):
    assert "Nobody matches" in search(viewer_client, q="kim_lee")  # joined after the read
    discourse_sandbox.app.users[indexed]["suspended_till"] = timezone.now() + timedelta(days=3)
    before = (
        AuditEntry.objects.count(), BulkAction.objects.count(),
        ForumConnection.objects.get(pk=discourse_connection.pk).updated_at,
    )  # fmt: skip
    discourse_sandbox.app.calls.clear()
    answer = deliver(
        forum, discourse_connection, user_payload(discourse_sandbox, indexed),
        secret=secret, event="user_suspended", delivery="101",
    )  # fmt: skip
    assert answer.status_code == 200
    html = search(viewer_client, q="kim_lee", status="suspended")
    assert "kim_lee" in html and "Suspended until" in html
    # Nothing but the index changed, and no forum was asked.
    assert discourse_sandbox.app.calls.records() == []
    assert before == (
        AuditEntry.objects.count(), BulkAction.objects.count(),
        ForumConnection.objects.get(pk=discourse_connection.pk).updated_at,
    )  # fmt: skip


def test_a_destroyed_user_leaves_the_index(forum, discourse_sandbox, discourse_connection, secret):
    index_sync_start(connection=discourse_connection)
    while index_sync_step(connection_id=discourse_connection.pk).again_in is not None:
        pass
    uid = next(u for u in discourse_sandbox.app.users if u > 1)
    payload = user_payload(discourse_sandbox, uid)
    assert IndexedAccount.objects.filter(forum_id=uid).exists()
    answer = deliver(forum, discourse_connection, payload, secret=secret,
                     event="user_destroyed", delivery="7")  # fmt: skip
    assert answer.status_code == 200
    assert not IndexedAccount.objects.filter(forum_id=uid).exists()


def test_a_bad_signature_is_refused(
    forum, discourse_sandbox, discourse_connection, secret, indexed
):
    payload = user_payload(discourse_sandbox, indexed)
    answer = deliver(forum, discourse_connection, payload, secret="not-the-secret",
                     event="user_created", delivery="1")  # fmt: skip
    assert answer.status_code == 403
    unsigned = forum.post(
        reverse("forums:index-webhook", args=[discourse_connection.pk]),
        json.dumps(payload), content_type="application/json",
    )  # fmt: skip
    assert unsigned.status_code == 403
    assert not IndexedAccount.objects.filter(forum_id=indexed).exists()
    assert not IndexWebhookDelivery.objects.exists()


def test_no_secret_no_delivery(forum, discourse_sandbox, discourse_connection):
    answer = deliver(forum, discourse_connection, {"ping": "OK"}, secret="",
                     event="ping", delivery="1")  # fmt: skip
    assert answer.status_code == 403


def test_a_replay_is_refused(forum, discourse_sandbox, discourse_connection, secret, indexed):
    payload = user_payload(discourse_sandbox, indexed)
    first = deliver(forum, discourse_connection, payload, secret=secret,
                    event="user_created", delivery="55")  # fmt: skip
    assert first.status_code == 200
    IndexedAccount.objects.filter(forum_id=indexed).update(username="renamed_since")
    again = deliver(forum, discourse_connection, payload, secret=secret,
                    event="user_created", delivery="55")  # fmt: skip
    # The same body under a new delivery id is the same capture replayed.
    relabelled = deliver(forum, discourse_connection, payload, secret=secret,
                         event="user_created", delivery="56")  # fmt: skip
    assert again.status_code == 409 and relabelled.status_code == 409
    assert IndexedAccount.objects.get(forum_id=indexed).username == "renamed_since"


def test_a_flood_is_turned_away(
    forum, settings, discourse_sandbox, discourse_connection, secret, indexed
):
    settings.FORUMDECK_INDEX_WEBHOOK_PER_MINUTE = 3
    statuses = [
        deliver(forum, discourse_connection, {"ping": f"OK {n}"}, secret=secret, event="ping",
                delivery=str(n)).status_code
        for n in range(6)
    ]  # fmt: skip
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}
