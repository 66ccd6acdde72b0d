"""A stored key is bound to its forum: an edit that points the connection somewhere else never
sends the old key there, and makes an approved bulk action stale.

Two loopback servers: the forum the key was made for (a sandbox Discourse) and a recorder
standing in for the new host, which remembers every header it was sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from forums.bulk import engine
from forums.connections.services import connection_update
from forums.crypto import reveal
from forums.models import AuditEntry, BulkAction, ForumConnection
from tests.bulk.helpers import approve, planned_group_add
from tests.conftest import SANDBOX_DISCOURSE_KEY

pytestmark = pytest.mark.django_db


class Recorder(ThreadingHTTPServer):
    """Answers every request with an empty JSON object and keeps its headers."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.seen: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def header_values(self) -> list[str]:
        return [value for headers in self.seen for value in headers.values()]


class _RecordingHandler(BaseHTTPRequestHandler):
    server: Recorder

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.seen.append({k.lower(): v for k, v in self.headers.items()})
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_DELETE = do_GET  # noqa: N815


@pytest.fixture
def new_host() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def edit_form(connection: ForumConnection, **changes) -> dict:
    data = {
        "name": connection.name,
        "platform": connection.platform,
        "base_url": connection.base_url,
        "api_username": connection.api_username,
        "api_key": "",
        "requests_per_minute": connection.requests_per_minute,
        "enabled": "on",
    }
    data.update(changes)
    return data


def open_card(client: Client, connection: ForumConnection) -> str:
    url = reverse("forums:connection-card", args=[connection.pk])
    return client.get(url, {"refresh": "1"}).content.decode()


def test_moving_a_forum_without_its_key_is_refused_and_the_key_never_reaches_the_new_host(
    admin_client_, admin_user, viewer, discourse_connection, discourse_sandbox, new_host
):
    url = reverse("forums:connection-update", args=[discourse_connection.pk])
    response = admin_client_.post(url, edit_form(discourse_connection, base_url=new_host.url))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The address changed, so enter the API key again" in page
    discourse_connection.refresh_from_db()
    assert discourse_connection.base_url == discourse_sandbox.url
    assert reveal(discourse_connection.api_key) == SANDBOX_DISCOURSE_KEY

    # The forged route: the service itself refuses, whatever the form did.
    with pytest.raises(ValidationError) as refused:
        connection_update(
            actor=admin_user,
            connection=ForumConnection.objects.get(pk=discourse_connection.pk),
            base_url=new_host.url,
        )
    assert "enter the API key again" in " ".join(refused.value.message_dict["api_key"])

    # A Viewer opening the overview is what used to send the key to the new host.
    viewer_client = Client()
    viewer_client.force_login(viewer)
    card = open_card(viewer_client, ForumConnection.objects.get(pk=discourse_connection.pk))
    assert "Healthy" in card and discourse_sandbox.url in card
    assert new_host.seen == []
    assert not AuditEntry.objects.filter(action="connection.update").exists()


def test_with_a_new_key_the_move_is_saved_audited_and_only_the_new_key_travels(
    admin_client_, discourse_connection, discourse_sandbox, new_host
):
    old_address = discourse_connection.base_url
    url = reverse("forums:connection-update", args=[discourse_connection.pk])
    new_key = "key-made-for-the-new-host-0001"
    response = admin_client_.post(
        url, edit_form(discourse_connection, base_url=new_host.url, api_key=new_key)
    )
    assert response.status_code == 302
    connection = ForumConnection.objects.get(pk=discourse_connection.pk)
    assert connection.base_url == new_host.url and reveal(connection.api_key) == new_key

    open_card(admin_client_, connection)
    assert new_host.seen, "the health check did not reach the new host"
    values = new_host.header_values()
    assert new_key in values
    assert not any(SANDBOX_DISCOURSE_KEY in v for v in values)

    # The first entry is the edit itself (Save and test may add one that disables the forum).
    entry = AuditEntry.objects.filter(action="connection.update").order_by("id").first()
    assert entry.details["base_url"] == {"old": old_address, "new": new_host.url}
    assert f"address {old_address} → {new_host.url}" in entry.message
    assert new_key not in entry.message + str(entry.details)


@pytest.mark.parametrize(
    "change",
    [
        {"base_url": "NEW_HOST", "api_key": "key-made-for-the-new-host-0001"},
        {"api_username": "someone_else", "api_key": "key-of-someone-else-0002"},
        {"api_key": "a-different-key-for-the-same-forum-0003"},
    ],
    ids=["address", "username", "key"],
)
def test_an_approved_action_goes_stale_when_its_forum_changes(
    moderator, approver, admin_user, discourse_connection, discourse_sandbox, new_host, change
):
    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=3
    )
    approve(action, approver)
    change = {k: (new_host.url if v == "NEW_HOST" else v) for k, v in change.items()}
    # The connection's page refuses the edit while the approved action waits...
    with pytest.raises(ValidationError, match="is queued or running on Sandbox Discourse"):
        connection_update(
            actor=admin_user,
            connection=ForumConnection.objects.get(pk=discourse_connection.pk),
            **change,
        )
    # ...and one made past it (a shell, say) is caught when the run starts.
    stored = ForumConnection.objects.get(pk=discourse_connection.pk)
    for field, value in change.items():
        setattr(stored, field, value)
    stored.save()
    discourse_sandbox.app.calls.clear()
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL and action.approved_by is None
    assert "changed after it was approved" in action.last_error
    assert discourse_sandbox.app.calls.count() == 0 and new_host.seen == []


def test_an_approver_who_saw_the_old_forum_cannot_approve_the_moved_one(
    moderator, approver, admin_user, discourse_connection, discourse_sandbox, new_host
):
    from forums.bulk.services import BulkActionError

    action = planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    seen_hash = action.plan_hash
    connection_update(
        actor=admin_user,
        connection=ForumConnection.objects.get(pk=discourse_connection.pk),
        base_url=new_host.url,
        api_key="key-made-for-the-new-host-0001",
    )
    with pytest.raises(BulkActionError, match="plan changed since you opened it"):
        engine_free_approve(action, approver, seen_hash)
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL
    # The page now shows the forum where it really is, and that is what can be approved.
    assert action.plan_hash != seen_hash
    client = Client()
    client.force_login(approver)
    page = client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert new_host.url in page and action.plan_hash in page


def engine_free_approve(action, approver, plan_hash):
    from forums.bulk.services import bulk_action_approve

    return bulk_action_approve(actor=approver, action=action, plan_hash=plan_hash)
