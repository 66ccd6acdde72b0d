"""People & roles, as services: who may change which account, what is recorded, and when a
changed account may approve someone's bulk action (four eyes against any one account)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from forums.accounts.selectors import approval_refusal, changes_waiting_for_confirmation
from forums.accounts.services import (
    account_change_confirm,
    account_create,
    account_set_password,
    account_update,
)
from forums.bulk.services import BulkActionError
from forums.models import AccountChange, AuditEntry, BulkAction
from forums.roles import ADMIN, APPROVER, MODERATOR
from tests.bulk.helpers import approve, planned_group_add

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-9471"


def backdate(*changes: AccountChange, hours: float) -> None:
    AccountChange.objects.filter(pk__in=[c.pk for c in changes]).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def changes_of(user) -> list[AccountChange]:
    return list(AccountChange.objects.filter(user=user).order_by("id"))


@pytest.fixture
def admins(make_user):
    """Three Admins, made on the command line (the bootstrap), so they carry no waiting time."""
    return [make_user(name, ADMIN, is_staff=True) for name in ("ada", "ben", "cyd")]


# --- what is recorded ---------------------------------------------------------------------------
def test_creating_an_account_is_recorded_and_audited_without_the_password(admins):
    ada = admins[0]
    user = account_create(
        actor=ada, username="xavier", email="x@example.org", password=PASSWORD, roles=[APPROVER]
    )
    assert list(user.groups.values_list("name", flat=True)) == [APPROVER]
    assert not user.is_superuser and not user.is_staff and user.check_password(PASSWORD)
    (change,) = changes_of(user)
    assert change.kind == "created" and change.changed_by == ada
    entry = AuditEntry.objects.get(action="account.create", target="xavier")
    assert entry.actor == ada and entry.message == "account created with roles: Approver"
    assert PASSWORD not in entry.message + str(entry.details)


def test_roles_active_and_password_changes_each_have_their_entry(admins, make_user):
    ada = admins[0]
    moe = make_user("moe", MODERATOR)
    account_update(actor=ada, user=moe, roles=[MODERATOR, ADMIN], is_active=False)
    account_set_password(actor=ada, user=moe, password=PASSWORD)
    moe.refresh_from_db()
    assert moe.is_staff and not moe.is_active and moe.check_password(PASSWORD)
    mine = AuditEntry.objects.filter(target="moe", actor=ada).order_by("id")
    assert [(e.action, e.message) for e in mine] == [
        ("account.roles", "roles: Moderator → Moderator, Admin"),
        ("account.active", "deactivated: may not sign in"),
        ("account.password", "password set by an Admin"),
    ]


def test_nobody_becomes_a_superuser_or_changes_their_own_account_here(admins, make_user):
    ada = admins[0]
    with pytest.raises(TypeError):
        account_create(actor=ada, username="root2", password=PASSWORD, is_superuser=True)
    with pytest.raises(ValidationError, match="Not a role: superuser"):
        account_create(actor=ada, username="root2", password=PASSWORD, roles=["superuser"])
    with pytest.raises(ValidationError, match="nobody changes their own"):
        account_update(actor=ada, user=ada, roles=[ADMIN, APPROVER])
    with pytest.raises(ValidationError, match="nobody changes their own"):
        account_set_password(actor=ada, user=ada, password=PASSWORD)
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    with pytest.raises(ValidationError, match="managed on the command line"):
        account_update(actor=ada, user=root, is_active=False)
    with pytest.raises(ValidationError, match="managed on the command line"):
        account_set_password(actor=ada, user=root, password=PASSWORD)
    assert not get_user_model().objects.filter(username="root2").exists()
    assert not AccountChange.objects.filter(changed_by=ada).exists()


def test_only_admins_manage_accounts(make_user):
    approver = make_user("april", APPROVER)
    moe = make_user("moe", MODERATOR)
    with pytest.raises(PermissionDenied):
        account_create(actor=approver, username="x", password=PASSWORD, roles=[APPROVER])
    with pytest.raises(PermissionDenied):
        account_update(actor=approver, user=moe, roles=[APPROVER])
    with pytest.raises(PermissionDenied):
        account_set_password(actor=moe, user=approver, password=PASSWORD)


def test_a_weak_password_is_refused_with_the_reason(admins):
    with pytest.raises(ValidationError) as refused:
        account_create(actor=admins[0], username="xavier", password="123", roles=[APPROVER])
    assert "too short" in " ".join(refused.value.message_dict["password1"])


# --- confirming ---------------------------------------------------------------------------------
def test_a_second_admin_confirms_never_the_one_who_made_the_change_nor_its_holder(admins):
    ada, ben, _ = admins
    user = account_create(actor=ada, username="xavier", password=PASSWORD, roles=[ADMIN])
    (change,) = changes_of(user)
    assert list(changes_waiting_for_confirmation()) == [change]
    with pytest.raises(ValidationError, match="You made this change"):
        account_change_confirm(actor=ada, change=change)
    with pytest.raises(ValidationError, match="to your own account"):
        account_change_confirm(actor=user, change=change)
    # The database holds the same line, whatever calls it.
    for forged in (ada, user):
        with pytest.raises(IntegrityError), transaction.atomic():
            AccountChange.objects.filter(pk=change.pk).update(confirmed_by=forged)
    account_change_confirm(actor=ben, change=change)
    change.refresh_from_db()
    assert change.confirmed_by == ben and not changes_waiting_for_confirmation().exists()
    entry = AuditEntry.objects.get(action="account.confirm")
    assert entry.actor == ben and "made by ada" in entry.message


def test_a_moderator_cannot_confirm(admins, make_user):
    user = account_create(actor=admins[0], username="xavier", password=PASSWORD, roles=[APPROVER])
    with pytest.raises(PermissionDenied):
        account_change_confirm(actor=make_user("moe", MODERATOR), change=changes_of(user)[0])


# --- approving ------------------------------------------------------------------------------------
@pytest.fixture
def proposal(admins, sandbox_connection, discourse_sandbox):
    """A bulk action proposed by the Admin ada (Admins may propose)."""
    return planned_group_add(
        proposer=admins[0], connection=sandbox_connection, sandbox=discourse_sandbox, count=2
    )


def test_an_admin_cannot_approve_their_own_action_through_an_account_they_created(admins, proposal):
    ada = admins[0]
    puppet = account_create(actor=ada, username="puppet", password=PASSWORD, roles=[APPROVER])
    # However long ago, and whoever confirmed it.
    account_change_confirm(actor=admins[1], change=changes_of(puppet)[0])
    backdate(*changes_of(puppet), hours=24 * 365)
    with pytest.raises(BulkActionError, match="created by ada"):
        approve(proposal, puppet)
    proposal.refresh_from_db()
    assert proposal.state == BulkAction.State.PENDING_APPROVAL and proposal.approved_by is None
    assert AuditEntry.objects.filter(action="account.create", target="puppet", actor=ada).exists()


@pytest.mark.parametrize("how", ["roles", "password", "active"])
def test_nor_through_an_account_whose_roles_password_or_access_they_changed(
    admins, make_user, proposal, how
):
    ada = admins[0]
    april = make_user("april")  # an existing account, made on the command line
    if how == "roles":
        account_update(actor=ada, user=april, roles=[APPROVER])
    else:
        april.groups.add(Group.objects.get(name=APPROVER))
        if how == "password":
            account_set_password(actor=ada, user=april, password=PASSWORD)
        else:
            account_update(actor=ada, user=april, is_active=False)
            account_update(actor=admins[1], user=april, is_active=True)
    backdate(*changes_of(april), hours=100)
    with pytest.raises(BulkActionError, match=r"by ada \("):
        approve(proposal, april)


def test_nor_through_an_account_made_by_an_account_they_made(admins, proposal):
    ada = admins[0]
    sock = account_create(actor=ada, username="sock", password=PASSWORD, roles=[ADMIN])
    puppet = account_create(actor=sock, username="puppet", password=PASSWORD, roles=[APPROVER])
    account_change_confirm(actor=admins[1], change=changes_of(puppet)[0])
    backdate(*changes_of(sock), *changes_of(puppet), hours=100)
    with pytest.raises(BulkActionError, match="sock, an account ada created"):
        approve(proposal, puppet)


def test_an_account_whose_holder_took_it_over_makes_independent_accounts(admins, proposal, client):
    ada = admins[0]
    bea = account_create(actor=ada, username="bea", password=PASSWORD, roles=[ADMIN])
    # bea sets her own password: ada no longer knows it, and what bea does next is bea's.
    client.force_login(bea)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "bea-own-secret-5512",
         "new_password2": "bea-own-secret-5512"},
    )  # fmt: skip
    assert response.status_code == 302
    backdate(*changes_of(bea), hours=100)
    april = account_create(actor=bea, username="april2", password=PASSWORD, roles=[APPROVER])
    account_change_confirm(actor=admins[1], change=changes_of(april)[0])
    assert approve(proposal, april).state == BulkAction.State.QUEUED


def test_a_recent_change_waits_out_the_cooling_off_unless_a_second_admin_confirms(admins, proposal):
    ada, ben, _ = admins
    april = account_create(actor=ben, username="april", password=PASSWORD, roles=[APPROVER])
    refusal = approval_refusal(approver=april, proposer=ada)
    assert "approvals wait 24 hours" in refusal and "by ben" in refusal
    with pytest.raises(BulkActionError, match="approvals wait 24 hours"):
        approve(proposal, april)
    # The proposer's own confirmation does not count: that would be one person again.
    account_change_confirm(actor=ada, change=changes_of(april)[0])
    with pytest.raises(BulkActionError, match="approvals wait"):
        approve(proposal, april)


def test_a_confirmation_by_an_independent_admin_lets_the_account_approve(admins, proposal):
    _, ben, cyd = admins
    april = account_create(actor=ben, username="april", password=PASSWORD, roles=[APPROVER])
    account_change_confirm(actor=cyd, change=changes_of(april)[0])
    assert approve(proposal, april).state == BulkAction.State.QUEUED


def test_after_the_cooling_off_period_the_account_approves(admins, proposal, settings):
    settings.FORUMDECK_APPROVER_COOLING_OFF = timedelta(hours=2)
    april = account_create(actor=admins[1], username="april", password=PASSWORD, roles=[APPROVER])
    backdate(*changes_of(april), hours=1)
    assert "wait 2 hours" in approval_refusal(approver=april, proposer=admins[0])
    backdate(*changes_of(april), hours=3)
    assert approval_refusal(approver=april, proposer=admins[0]) == ""
    assert approve(proposal, april).state == BulkAction.State.QUEUED


def test_changing_ones_own_password_also_waits(admins, make_user, client):
    april = make_user("april", APPROVER)
    client.force_login(april)
    client.post(
        "/accounts/password_change/",
        {"old_password": "pw-april-123", "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert "given a new password by april" in approval_refusal(approver=april, proposer=admins[0])


def test_the_bootstrap_admin_and_command_line_accounts_approve_at_once(make_user, proposal):
    # Accounts made on the command line (ensure_admin, createsuperuser, this fixture) are
    # recorded, but no waiting applies: whoever runs commands on the server is not an account.
    april = make_user("april", APPROVER)
    assert changes_of(april) and all(c.changed_by is None for c in changes_of(april))
    assert approve(proposal, april).state == BulkAction.State.QUEUED


def test_the_database_still_refuses_an_approver_who_is_the_proposer(admins, proposal):
    proposal.approved_by = admins[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal.save()
