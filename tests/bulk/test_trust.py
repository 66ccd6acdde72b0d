"""Four eyes around a bulk action's run: the approved binding to each forum holds for every
batch (finding 4), and who may stop a queued or running action (finding 5); and the pages say
before it bites when nobody could approve an action (finding 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from forums.accounts.services import account_create
from forums.bulk import engine
from forums.bulk.services import BulkActionError, bulk_action_cancel
from forums.connections.services import connection_update
from forums.models import AuditEntry, BulkAction, BulkActionItem, ForumConnection
from forums.roles import ADMIN, APPROVER, MODERATOR
from tests.bulk.helpers import approve, propose_and_plan, usernames

pytestmark = pytest.mark.django_db

State = BulkAction.State
PASSWORD = "a-long-pass-phrase-9471"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def week_suspension(proposer, connection, sandbox, count: int) -> BulkAction:
    until = (timezone.now() + timedelta(days=7)).isoformat()
    return propose_and_plan(
        proposer=proposer,
        connection=connection,
        kind="suspend",
        targets=usernames(sandbox, count),
        params={"reason": "spam wave", "until": until},
    )


def suspends(sandbox) -> list:
    return [c for c in sandbox.app.calls.records() if c.path.endswith("/suspend.json")]


# --- finding 4: the binding, before every batch --------------------------------------------------
def test_a_connection_changed_while_the_run_waits_gets_none_of_the_later_calls(
    moderator, approver, discourse_connection, discourse_sandbox, monkeypatch
):
    action = week_suspension(moderator, discourse_connection, discourse_sandbox, 4)
    approve(action, approver)
    progress = engine._made_progress
    edited = []

    def edit_after_the_first_call(action_id: int) -> None:
        progress(action_id)
        if not edited:
            # The edit the issue found (address and key) lands while the run waits for its
            # next slot, by a way that skips the connection page's own refusal (a shell, say).
            other = "https://other-forum.example.org"
            ForumConnection.objects.filter(pk=discourse_connection.pk).update(base_url=other)
            edited.append(other)

    monkeypatch.setattr(engine, "_made_progress", edit_after_the_first_call)
    engine.run_action(action.pk)

    action.refresh_from_db()
    assert len(suspends(discourse_sandbox)) == 1  # the one sent before the edit, no more
    assert action.state == State.FAILED
    assert "Refused: the connection changed after approval" in action.last_error
    states = list(action.items.order_by("id").values_list("state", "error"))
    assert states[0][0] == BulkActionItem.State.DONE
    refused = ("skipped", "not sent: refused: the connection changed after approval")
    assert states[1:] == [refused] * 3
    entry = AuditEntry.objects.get(action="bulk.refused", bulk_action=action)
    assert entry.outcome == AuditEntry.Outcome.FAILURE and "changed after approval" in entry.message
    page = signed_in(moderator).get(reverse("forums:bulk-detail", args=[action.pk]))
    assert "Refused: the connection changed after approval" in page.content.decode()


def test_an_unchanged_connection_runs_to_the_end(
    moderator, approver, discourse_connection, discourse_sandbox
):
    action = week_suspension(moderator, discourse_connection, discourse_sandbox, 3)
    approve(action, approver)
    engine.run_action(action.pk)
    action.refresh_from_db()
    assert action.state == State.SUCCEEDED and len(suspends(discourse_sandbox)) == 3


def test_an_edit_of_the_binding_is_refused_while_an_approved_action_waits(
    moderator, approver, admin_client_, admin_user, discourse_connection, discourse_sandbox
):
    action = week_suspension(moderator, discourse_connection, discourse_sandbox, 2)
    approve(action, approver)
    assert BulkAction.objects.get(pk=action.pk).state == State.QUEUED
    with pytest.raises(ValidationError, match=f"bulk action #{action.pk} is queued or running"):
        connection_update(
            actor=admin_user,
            connection=discourse_connection,
            base_url="https://other-forum.example.org",
            api_key="another-key-0123456789",
        )
    # The name may still change; the binding may not, and the form says why.
    connection_update(actor=admin_user, connection=discourse_connection, name="Renamed")
    page = admin_client_.post(
        reverse("forums:connection-update", args=[discourse_connection.pk]),
        {"name": "Renamed", "platform": "discourse", "base_url": "https://other-forum.example.org",
         "api_username": "system", "api_key": "another-key-0123456789",
         "requests_per_minute": 6000, "enabled": "on"},
    ).content.decode()  # fmt: skip
    assert f"approved bulk action #{action.pk} is queued or running on Renamed" in page
    stored = ForumConnection.objects.get(pk=discourse_connection.pk)
    assert "other-forum" not in stored.base_url
    # Once it is over, the edit goes through.
    engine.run_action(action.pk)
    connection_update(actor=admin_user, connection=stored, api_key="another-key-0123456789")


# --- finding 5: who may stop ---------------------------------------------------------------------
@pytest.fixture
def queued(moderator, discourse_connection, discourse_sandbox, make_user):
    action = week_suspension(moderator, discourse_connection, discourse_sandbox, 2)
    return approve(action, make_user("ivy", APPROVER))


@pytest.mark.parametrize("who", ["approver", "admin"])
def test_an_independent_approver_and_every_admin_see_stop_and_may_stop(
    queued, who, make_user, discourse_sandbox
):
    person = make_user("otto", APPROVER) if who == "approver" else make_user("ozzy", ADMIN)
    client = signed_in(person)
    page = client.get(reverse("forums:bulk-detail", args=[queued.pk])).content.decode()
    assert "Stop now: send nothing more" in page
    response = client.post(reverse("forums:bulk-cancel", args=[queued.pk]), follow=True)
    assert response.status_code == 200
    queued.refresh_from_db()
    assert queued.state == State.CANCELLED
    entry = AuditEntry.objects.get(action="bulk.cancel", bulk_action=queued)
    assert entry.actor == person and f"Stopped by {person.username}." in entry.message
    engine.run_action(queued.pk)
    assert suspends(discourse_sandbox) == []


def test_an_approver_in_the_proposers_hands_and_a_viewer_may_not_stop(
    discourse_connection, discourse_sandbox, make_user, viewer
):
    ada = make_user("ada", ADMIN, is_staff=True)
    # ada made both the proposer and an Approver (its role given on the command line): one
    # person may hold both accounts, so that Approver is no second pair of eyes on a stop.
    puppet = account_create(actor=ada, username="puppet", password=PASSWORD, roles=[MODERATOR])
    held = account_create(actor=ada, username="held", password=PASSWORD)
    held.groups.add(Group.objects.get(name=APPROVER))
    action = week_suspension(puppet, discourse_connection, discourse_sandbox, 1)
    approve(action, make_user("ivy", APPROVER))
    for person in (viewer, held):
        client = signed_in(person)
        page = client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
        assert "Stop now" not in page
        assert client.post(reverse("forums:bulk-cancel", args=[action.pk])).status_code == 403
        with pytest.raises(BulkActionError):
            bulk_action_cancel(actor=person, action=action)
    assert BulkAction.objects.get(pk=action.pk).state == State.QUEUED


def test_the_proposer_still_stops_their_own(queued, moderator):
    bulk_action_cancel(actor=moderator, action=queued)
    queued.refresh_from_db()
    assert queued.state == State.CANCELLED


# --- finding 3: said before it bites ------------------------------------------------------------
def test_a_fresh_installs_first_admin_is_told_nobody_can_approve_and_what_to_do(
    discourse_connection, discourse_sandbox, make_user
):
    ada = make_user("ada", ADMIN, is_staff=True)  # the first Admin (ensure_admin)
    account_create(actor=ada, username="moe", password=PASSWORD, roles=[MODERATOR])
    client = signed_in(ada)
    form = client.get(reverse("forums:bulk-create")).content.decode()
    assert "No one can approve this yet: there is no other Approver or Admin" in form
    assert "manage.py add_admin" in form
    action = week_suspension(ada, discourse_connection, discourse_sandbox, 2)
    page = client.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert 'id="nobody-can-approve"' in page and "manage.py add_admin" in page
    listing = client.get(reverse("forums:bulk-list")).content.decode()
    assert "Waiting, and no one can approve it" in listing and f"#{action.pk}</a>" in listing
    # The group and tag pages whose changes become bulk actions say it before proposing too.
    for url in (reverse("forums:group-sync"), reverse("forums:tag-retag")):
        assert 'id="nobody-can-approve"' in client.get(url).content.decode(), url


def test_an_approver_made_by_the_same_admin_does_not_count(
    discourse_connection, discourse_sandbox, make_user
):
    from forums.accounts.services import account_change_confirm
    from forums.models import AccountChange

    ada = make_user("ada", ADMIN, is_staff=True)
    moe = account_create(actor=ada, username="moe", password=PASSWORD, roles=[MODERATOR])
    april = account_create(actor=ada, username="april", password=PASSWORD, roles=[APPROVER])
    # Even confirmed by an operator-made Admin who then leaves.
    ben = make_user("ben", ADMIN, is_staff=True)
    account_change_confirm(actor=ben, change=AccountChange.objects.get(state="pending"))
    ben.is_active = False
    ben.save()
    action = week_suspension(moe, discourse_connection, discourse_sandbox, 1)
    page = signed_in(moe).get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "No one can approve this yet: every Approver and Admin (ada, april)" in page
    assert "was created or changed by you, or shares a creator with you" in page
    assert april.has_perm("forums.approve_bulkaction")


def test_nothing_is_said_when_someone_can_approve(moderator, approver, client):
    client.force_login(moderator)
    assert "No one can approve" not in client.get(reverse("forums:bulk-create")).content.decode()
    assert "No one can approve" not in client.get(reverse("forums:tag-retag")).content.decode()
    assert "no one can approve" not in client.get(reverse("forums:bulk-list")).content.decode()
