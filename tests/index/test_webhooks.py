"""The forum's webhook: set up in one click where the API allows it (Discourse), by hand with
the plugin's secret (NodeBB), or not at all (UserEcho); and what the receiver refuses: a bad
signature, a replay (the same delivery, or one older than any Forumdeck remembers), a flood;
and that a delivery changes nothing but the index."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from forums.crypto import reveal
from forums.index.services import LATE_DELIVERY
from forums.index.sync import index_deliveries_forget, index_sync_start, index_sync_step
from forums.models import (
    AuditEntry,
    BulkAction,
    IndexedAccount,
    IndexedGroup,
    IndexedTag,
    IndexSync,
    IndexWebhookDelivery,
)

pytestmark = pytest.mark.django_db


def read_whole(connection) -> None:
    index_sync_start(connection=connection)
    while index_sync_step(connection_id=connection.pk).again_in is not None:
        pass


def stored_secret(connection) -> str:
    return reveal(IndexSync.objects.get(connection=connection).webhook_secret)


def connect(client, connection):
    return client.post(reverse("forums:index-webhook-connect", args=[connection.pk]), follow=True)


# --- one click --------------------------------------------------------------------------------
def test_one_click_sets_the_webhook_up_on_the_forum(
    admin_client, discourse_sandbox, discourse_connection
):
    page = admin_client.get(reverse("forums:index-detail", args=[discourse_connection.pk]))
    assert "Set the webhook up on the forum" in page.content.decode()
    html = connect(admin_client, discourse_connection).content.decode()
    assert "now tells Forumdeck about changed accounts" in html
    (hook,) = discourse_sandbox.app.web_hooks.values()
    url = f"http://testserver/forums/index/webhook/{discourse_connection.pk}/"
    assert hook["payload_url"] == url and hook["active"] and hook["content_type"] == 1
    assert {304, 307, 308, 309, 401, 601} <= hook["event_type_ids"]
    secret = stored_secret(discourse_connection)
    assert hook["secret"] == secret and secret not in html  # nobody needs to see it
    entry = AuditEntry.objects.get(action="webhook.connect")
    assert entry.outcome == "success" and secret not in json.dumps(entry.details)
    # Again: the same webhook on the forum, with a new secret.
    connect(admin_client, discourse_connection)
    (again,) = discourse_sandbox.app.web_hooks.values()
    assert again["id"] == hook["id"] and again["secret"] == stored_secret(discourse_connection)
    assert again["secret"] != secret


def test_a_refused_set_up_keeps_the_old_secret(
    admin_client, discourse_sandbox, discourse_connection
):
    connect(admin_client, discourse_connection)
    before = stored_secret(discourse_connection)
    discourse_sandbox.app.config.faults.outage_for(60)
    html = connect(admin_client, discourse_connection).content.decode()
    assert "did not take the webhook" in html
    assert stored_secret(discourse_connection) == before
    assert AuditEntry.objects.filter(action="webhook.connect", outcome="failure").count() == 1


def test_only_an_admin_sets_a_webhook_up(moderator_client, discourse_sandbox, discourse_connection):
    url = reverse("forums:index-webhook-connect", args=[discourse_connection.pk])
    assert moderator_client.post(url).status_code == 403
    assert discourse_sandbox.app.web_hooks == {}


def test_nodebb_is_set_up_by_hand_and_userecho_says_why_not(
    admin_client, nodebb_connection, userecho_connection
):
    nodebb = admin_client.get(reverse("forums:index-detail", args=[nodebb_connection.pk]))
    html = nodebb.content.decode()
    assert "nodebb-plugin-webhooks" in html and "action:user.banned" in html
    assert "Set the webhook up on the forum" not in html and "Make a secret" in html
    assert f"/forums/index/webhook/{nodebb_connection.pk}/" in html
    url = reverse("forums:index-webhook-connect", args=[nodebb_connection.pk])
    assert "cannot set up" in admin_client.post(url, follow=True).content.decode()
    userecho = admin_client.get(reverse("forums:index-detail", args=[userecho_connection.pk]))
    assert "only topic and comment events" in userecho.content.decode()
    assert "Make a secret" not in userecho.content.decode()


# --- the receiver -------------------------------------------------------------------------------
def discourse_delivery(connection, secret, payload, *, event="user_updated", delivery="1"):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(
        reverse("forums:index-webhook", args=[connection.pk]), body,
        content_type="application/json",
        headers={"X-Discourse-Event-Id": delivery, "X-Discourse-Event-Type": event.split("_")[0],
                 "X-Discourse-Event": event, "X-Discourse-Event-Signature": signature},
    )  # fmt: skip


@pytest.fixture
def discourse_secret(admin_client, discourse_sandbox, discourse_connection) -> str:
    connect(admin_client, discourse_connection)
    return stored_secret(discourse_connection)


def test_a_delivery_older_than_any_remembered_is_a_replay(discourse_connection, discourse_secret):
    IndexWebhookDelivery.objects.create(
        connection=discourse_connection, delivery_id="seq:500",
        received_at=timezone.now() - LATE_DELIVERY - timedelta(minutes=1),
    )  # fmt: skip
    old = discourse_delivery(discourse_connection, discourse_secret, {"ping": "a"}, delivery="499")
    assert old.status_code == 409 and "older" in old.json()["error"]
    new = discourse_delivery(discourse_connection, discourse_secret, {"ping": "b"}, delivery="501")
    assert new.status_code == 200
    # Forgetting old deliveries keeps each forum's newest, so the line holds.
    IndexWebhookDelivery.objects.update(received_at=timezone.now() - timedelta(days=400))
    index_deliveries_forget()
    assert list(IndexWebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["seq:501"]
    again = discourse_delivery(discourse_connection, discourse_secret, {"ping": "c"}, delivery="5")
    assert again.status_code == 409


def test_a_late_delivery_within_the_day_is_taken(discourse_connection, discourse_secret):
    first = discourse_delivery(discourse_connection, discourse_secret, {"ping": "x"}, delivery="9")
    late = discourse_delivery(discourse_connection, discourse_secret, {"ping": "y"}, delivery="8")
    assert first.status_code == late.status_code == 200


def test_a_flood_on_one_forum_leaves_the_others_alone(
    settings, discourse_connection, discourse_secret, nodebb_connection
):
    settings.FORUMDECK_INDEX_WEBHOOK_PER_MINUTE = 2
    statuses = [
        discourse_delivery(discourse_connection, discourse_secret, {"ping": n},
                           delivery=str(n)).status_code
        for n in range(4)
    ]  # fmt: skip
    assert statuses == [200, 200, 429, 429]
    other = Client().post(reverse("forums:index-webhook", args=[nodebb_connection.pk]), b"{}",
                          content_type="application/json")  # fmt: skip
    assert other.status_code == 403  # its own count: refused for its signature, not the flood


# --- NodeBB: the plugin's sha1 signature, and hooks that say only what changed ------------------
def nodebb_delivery(connection, secret, hook, params, *, algorithm="sha1"):
    body = json.dumps({"hook": hook, "params": params}).encode()
    digest = hmac.new(secret.encode(), body, algorithm).hexdigest()
    return Client().post(
        reverse("forums:index-webhook", args=[connection.pk]), body,
        content_type="application/json", headers={"x-webhook-signature": f"{algorithm}={digest}"},
    )  # fmt: skip


@pytest.fixture
def nodebb_secret(admin_client, nodebb_connection) -> str:
    html = admin_client.post(
        reverse("forums:index-webhook-secret", args=[nodebb_connection.pk])
    ).content.decode()
    start = html.index('<code id="webhook-secret">') + len('<code id="webhook-secret">')
    return html[start : html.index("</code>", start)]


def test_a_nodebb_ban_changes_only_the_index(nodebb_sandbox, nodebb_connection, nodebb_secret):
    read_whole(nodebb_connection)
    row = IndexedAccount.objects.filter(connection=nodebb_connection, suspended=False,
                                        admin=False).order_by("forum_id").first()  # fmt: skip
    assert row is not None
    until = datetime.now(UTC) + timedelta(days=3)
    before = (AuditEntry.objects.count(), BulkAction.objects.count())
    nodebb_sandbox.app.calls.clear()
    params = {"callerUid": 1, "ip": "127.0.0.1", "uid": row.forum_id,
              "until": int(until.timestamp() * 1000), "reason": "spam"}  # fmt: skip
    wrong = nodebb_delivery(nodebb_connection, nodebb_secret, "action:user.banned", params,
                            algorithm="sha256")  # fmt: skip
    assert wrong.status_code == 403
    answer = nodebb_delivery(nodebb_connection, nodebb_secret, "action:user.banned", params)
    assert answer.status_code == 200, answer.content
    row.refresh_from_db()
    assert row.suspended and abs((row.suspended_until - until).total_seconds()) < 1
    assert nodebb_sandbox.app.calls.records() == []  # no forum was asked
    assert (AuditEntry.objects.count(), BulkAction.objects.count()) == before
    replay = nodebb_delivery(nodebb_connection, nodebb_secret, "action:user.banned", params)
    assert replay.status_code == 409  # no delivery id: the same body again is the replay
    lifted = nodebb_delivery(nodebb_connection, nodebb_secret, "action:user.unbanned",
                             {"callerUid": 1, "uid": row.forum_id, "ip": "::1"})  # fmt: skip
    assert lifted.status_code == 200
    row.refresh_from_db()
    assert not row.suspended and row.suspended_until is None


def test_a_nodebb_account_deleted_leaves_the_index(nodebb_connection, nodebb_secret):
    read_whole(nodebb_connection)
    row = IndexedAccount.objects.filter(connection=nodebb_connection).order_by("-forum_id").first()
    assert row is not None
    params = {"callerUid": 1, "uid": row.forum_id, "ip": "::1", "user": {"uid": row.forum_id}}
    assert nodebb_delivery(nodebb_connection, nodebb_secret, "action:user.delete",
                           params).status_code == 200  # fmt: skip
    assert not IndexedAccount.objects.filter(pk=row.pk).exists()
    unknown = nodebb_delivery(nodebb_connection, nodebb_secret, "action:user.banned",
                              {"uid": "nobody", "t": time.time()})  # fmt: skip
    assert unknown.status_code == 400


# --- what the sandboxes send, the receiver takes -------------------------------------------------
NOWHERE = "http://127.0.0.1:9/hook"  # nothing listens: the sandbox records what it would send


def take(connection, delivery: dict):
    return Client().post(
        reverse("forums:index-webhook", args=[connection.pk]), delivery["payload"].encode(),
        content_type="application/json", headers=delivery["headers"],
    )  # fmt: skip


def test_a_nodebb_sandbox_ban_is_taken_as_the_plugin_sends_it(
    nodebb_sandbox, nodebb_connection, nodebb_secret
):
    read_whole(nodebb_connection)
    row = IndexedAccount.objects.filter(connection=nodebb_connection, suspended=False,
                                        admin=False).order_by("forum_id").first()  # fmt: skip
    assert row is not None
    app = nodebb_sandbox.app
    app.state.webhook_secret = nodebb_secret
    app.state.webhook_hooks = [{"name": "action:user.banned", "endpoint": NOWHERE}]
    headers = {"Authorization": f"Bearer {app.config.api_key}"}
    until = int((time.time() + 86_400) * 1000)
    answer = requests.put(f"{nodebb_sandbox.url}/api/v3/users/{row.forum_id}/ban", timeout=5,
                          headers=headers, json={"until": until, "reason": "spam"})  # fmt: skip
    assert answer.ok, answer.text
    assert app.webhooks_idle()
    (delivery,) = app.state.webhook_deliveries
    assert take(nodebb_connection, delivery).status_code == 200
    row.refresh_from_db()
    assert row.suspended and row.suspended_until is not None


def test_a_discourse_sandbox_suspension_is_taken_as_the_forum_sends_it(
    discourse_sandbox, discourse_connection, discourse_secret
):
    read_whole(discourse_connection)
    app = discourse_sandbox.app
    (hook,) = app.web_hooks.values()
    hook["payload_url"] = NOWHERE  # the same webhook, its deliveries kept instead of sent
    row = IndexedAccount.objects.filter(connection=discourse_connection, suspended=False,
                                        admin=False, moderator=False,
                                        forum_id__gt=0).order_by("forum_id").first()  # fmt: skip
    assert row is not None
    answer = requests.put(
        f"{discourse_sandbox.url}/admin/users/{row.forum_id}/suspend.json", timeout=5,
        headers={"Api-Key": app.config.api_key, "Api-Username": "system"},
        json={"suspend_until": "2099-01-01", "reason": "spam wave"},
    )  # fmt: skip
    assert answer.ok, answer.text
    assert app.web_hooks_idle()
    (delivery,) = app.web_hook_events
    assert take(discourse_connection, delivery).status_code == 200
    row.refresh_from_db()
    assert row.suspended and row.suspended_until.year == 2099
    assert take(discourse_connection, delivery).status_code == 409  # and only once


def test_group_and_tag_events_keep_their_rows(
    discourse_sandbox, discourse_connection, discourse_secret
):
    read_whole(discourse_connection)
    app = discourse_sandbox.app
    (hook,) = app.web_hooks.values()
    hook["payload_url"] = NOWHERE
    system = {"Api-Key": app.config.api_key, "Api-Username": "system"}
    made = requests.post(f"{discourse_sandbox.url}/admin/groups.json", headers=system,
                         json={"group": {"name": "wave_watchers"}}, timeout=5)  # fmt: skip
    assert made.ok, made.text
    old_tag = next(iter(app.tags))
    requests.put(f"{discourse_sandbox.url}/tag/{old_tag}.json", headers=system,
                 json={"tag": {"name": "renamed-by-hand"}}, timeout=5)  # fmt: skip
    gone_tag = next(t for t in app.tags if t != "renamed-by-hand")
    requests.delete(f"{discourse_sandbox.url}/tag/{gone_tag}.json", headers=system, timeout=5)
    assert app.web_hooks_idle()
    events = [e["event"] for e in app.web_hook_events]
    assert events == ["group_created", "tag_updated", "tag_destroyed"]
    for delivery in app.web_hook_events:
        assert take(discourse_connection, delivery).status_code == 200
    group_id = str(made.json()["basic_group"]["id"])
    assert IndexedGroup.objects.get(connection=discourse_connection, forum_id=group_id).name == (
        "wave_watchers"
    )
    tags = set(IndexedTag.objects.filter(connection=discourse_connection)
               .values_list("name", flat=True))  # fmt: skip
    assert "renamed-by-hand" in tags and gone_tag not in tags
    # A rename does not say the old name: the Tags page asks the forum until the next read.
    assert IndexSync.objects.get(connection=discourse_connection).tags_complete_at is None
