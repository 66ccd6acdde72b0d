"""People & roles, as services: who may change which account, what is recorded, and when a
changed account may approve someone's bulk action (four eyes against any one account)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from forums.accounts.selectors import approval_refusal, pending_changes
from forums.accounts.services import (
    account_change_confirm,
    account_change_decline,
    account_create,
    account_set_password,
    account_update,
)
from forums.bulk.services import BulkActionError
from forums.models import AccountChange, AuditEntry, BulkAction
from forums.roles import ADMIN, APPROVER, MODERATOR, VIEWER
from tests.bulk.helpers import approve, planned_group_add

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-9471"


def changes_of(user) -> list[AccountChange]:
    return list(AccountChange.objects.filter(user=user).order_by("id"))


@pytest.fixture
def admins(make_user):
    """Three Admins, made on the command line (the operator), so nobody holds them."""
    return [make_user(name, ADMIN, is_staff=True) for name in ("ada", "ben", "cyd")]


# --- what is recorded ---------------------------------------------------------------------------
def test_creating_an_account_is_recorded_and_audited_without_the_password(admins):
    ada = admins[0]
    user = account_create(
        actor=ada, username="xavier", email="x@example.org", password=PASSWORD,
        roles=[MODERATOR, APPROVER],
    )  # fmt: skip
    # Moderator at once; Approver waits for a second Admin.
    assert list(user.groups.values_list("name", flat=True)) == [MODERATOR]
    assert not user.is_superuser and not user.is_staff and user.check_password(PASSWORD)
    created, grant = changes_of(user)
    assert created.kind == "created" and created.changed_by == ada
    assert grant.state == AccountChange.State.PENDING and grant.payload == {"add_roles": [APPROVER]}
    entry = AuditEntry.objects.get(action="account.create", target="xavier")
    assert entry.actor == ada and entry.message == "account created with roles: Moderator"
    asked = AuditEntry.objects.get(action="account.request", target="xavier")
    assert asked.message == "grant Approver (waiting for a second Admin)"
    assert PASSWORD not in entry.message + str(entry.details) + asked.message + str(asked.details)


def test_roles_active_and_password_changes_each_have_their_entry(admins, make_user):
    ada, ben, _ = admins
    moe = make_user("moe", MODERATOR, VIEWER)
    account_update(actor=ada, user=moe, roles=[MODERATOR, ADMIN], is_active=False)
    account_set_password(actor=ada, user=moe, password=PASSWORD)
    moe.refresh_from_db()
    # Taking away (a role, sign-in) is at once; the grant and the password wait.
    assert not moe.is_staff and not moe.is_active and not moe.check_password(PASSWORD)
    mine = AuditEntry.objects.filter(target="moe", actor=ada).order_by("id")
    assert [(e.action, e.message) for e in mine] == [
        ("account.roles", "roles: Viewer, Moderator → Moderator"),
        ("account.request", "grant Admin (waiting for a second Admin)"),
        ("account.active", "deactivated: may not sign in"),
        ("account.request", "new password set by an Admin (waiting for a second Admin)"),
    ]
    account_update(actor=ada, user=moe, is_active=True)
    for change in pending_changes():
        account_change_confirm(actor=ben, change=change)
    moe.refresh_from_db()
    assert moe.is_staff and moe.is_active and moe.check_password(PASSWORD)
    assert list(moe.groups.order_by("name").values_list("name", flat=True)) == [ADMIN, MODERATOR]


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
def test_a_grant_waits_for_a_second_admin_never_the_one_who_asked_nor_its_holder(admins):
    ada, ben, _ = admins
    user = account_create(actor=ada, username="xavier", password=PASSWORD, roles=[ADMIN])
    (grant,) = pending_changes()
    assert grant.user == user and not user.groups.exists() and not user.is_staff
    with pytest.raises(ValidationError, match="You asked for this change"):
        account_change_confirm(actor=ada, change=grant)
    with pytest.raises(PermissionDenied):  # xavier is no Admin yet
        account_change_confirm(actor=user, change=grant)
    # The database holds the same line, whatever calls it.
    for forged in (ada, user):
        with pytest.raises(IntegrityError), transaction.atomic():
            AccountChange.objects.filter(pk=grant.pk).update(confirmed_by=forged)
    account_change_confirm(actor=ben, change=grant)
    grant.refresh_from_db()
    user.refresh_from_db()
    assert grant.confirmed_by == ben and grant.state == AccountChange.State.APPLIED
    assert list(user.groups.values_list("name", flat=True)) == [ADMIN] and user.is_staff
    assert not pending_changes().exists()
    entry = AuditEntry.objects.get(action="account.confirm")
    assert entry.actor == ben and "asked by ada" in entry.message
    with pytest.raises(ValidationError, match="confirmed already"):
        account_change_confirm(actor=admins[2], change=grant)


def test_an_admin_in_the_askers_hands_cannot_confirm(admins):
    ada, ben, _ = admins
    sock = account_create(actor=ada, username="sock", password=PASSWORD, roles=[ADMIN])
    account_change_confirm(actor=ben, change=pending_changes().get(user=sock))
    puppet = account_create(actor=ada, username="puppet", password=PASSWORD, roles=[APPROVER])
    with pytest.raises(ValidationError, match="not independent of ada"):
        account_change_confirm(actor=sock, change=pending_changes().get(user=puppet))
    assert not puppet.groups.exists()


def test_a_declined_or_withdrawn_grant_changes_nothing(admins, make_user):
    ada, ben, _ = admins
    moe = make_user("moe", MODERATOR)
    account_set_password(actor=ada, user=moe, password=PASSWORD)
    account_change_decline(actor=ben, change=pending_changes().get())
    account_update(actor=ada, user=moe, roles=[MODERATOR, APPROVER])
    account_change_decline(actor=ada, change=pending_changes().get())  # withdrawn
    moe.refresh_from_db()
    assert moe.check_password("pw-moe-123") and not moe.groups.filter(name=APPROVER).exists()
    asked = [c for c in changes_of(moe) if c.changed_by == ada]
    assert [c.state for c in asked] == ["declined", "declined"]
    assert all(c.payload == {} for c in asked)  # not even the hash stays
    assert AuditEntry.objects.filter(action="account.decline").count() == 2


def test_a_moderator_cannot_confirm(admins, make_user):
    account_create(actor=admins[0], username="xavier", password=PASSWORD, roles=[APPROVER])
    with pytest.raises(PermissionDenied):
        account_change_confirm(actor=make_user("moe", MODERATOR), change=pending_changes().get())


# --- approving ------------------------------------------------------------------------------------
@pytest.fixture
def proposal(admins, discourse_connection, discourse_sandbox):
    """A bulk action proposed by the Admin ada (Admins may propose)."""
    return planned_group_add(
        proposer=admins[0], connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )


def test_an_admin_cannot_approve_their_own_action_through_an_account_they_created(admins, proposal):
    ada = admins[0]
    puppet = account_create(actor=ada, username="puppet", password=PASSWORD, roles=[APPROVER])
    # Whoever confirmed the grant.
    account_change_confirm(actor=admins[1], change=pending_changes().get(user=puppet))
    with pytest.raises(BulkActionError, match="created by ada"):
        approve(proposal, puppet)
    proposal.refresh_from_db()
    assert proposal.state == BulkAction.State.PENDING_APPROVAL and proposal.approved_by is None


@pytest.mark.parametrize("how", ["roles", "password", "active"])
def test_nor_through_an_account_whose_roles_password_or_access_they_changed(
    admins, make_user, proposal, how
):
    ada, ben, _ = admins
    april = make_user("april")  # an existing account, made on the command line
    if how == "roles":
        account_update(actor=ada, user=april, roles=[APPROVER])
    else:
        april.groups.add(Group.objects.get(name=APPROVER))
        if how == "password":
            account_set_password(actor=ada, user=april, password=PASSWORD)
        else:
            account_update(actor=ben, user=april, is_active=False)
            account_update(actor=ada, user=april, is_active=True)
    for change in pending_changes():
        account_change_confirm(actor=ben, change=change)
    with pytest.raises(BulkActionError, match=r"by ada \("):
        approve(proposal, april)


def test_a_deactivation_alone_puts_nobody_in_anyones_hands(admins, make_user, proposal):
    _, ben, cyd = admins
    april = make_user("april", APPROVER)
    account_update(actor=ben, user=april, is_active=False)
    account_update(actor=cyd, user=april, is_active=True)  # waits for ben (independent of cyd)
    account_change_confirm(actor=ben, change=pending_changes().get())
    april.refresh_from_db()
    assert april.is_active
    assert approve(proposal, april).state == BulkAction.State.QUEUED


def test_nor_through_an_account_made_by_an_account_they_made(admins, proposal):
    ada, ben, _ = admins
    sock = account_create(actor=ada, username="sock", password=PASSWORD, roles=[ADMIN])
    account_change_confirm(actor=ben, change=pending_changes().get(user=sock))
    puppet = account_create(actor=sock, username="puppet", password=PASSWORD, roles=[APPROVER])
    account_change_confirm(actor=ben, change=pending_changes().get(user=puppet))
    chain = "created by sock .*, whose account was created by ada"
    with pytest.raises(BulkActionError, match=chain):
        approve(proposal, puppet)


def test_an_independent_admins_account_approves_at_once(admins, proposal):
    _, ben, cyd = admins
    april = account_create(actor=ben, username="april", password=PASSWORD, roles=[APPROVER])
    assert "given" not in approval_refusal(approver=april, proposer=admins[0])
    account_change_confirm(actor=cyd, change=pending_changes().get(user=april))
    assert approve(proposal, april).state == BulkAction.State.QUEUED


def test_the_bootstrap_admin_and_command_line_accounts_approve_at_once(make_user, proposal):
    # Accounts made on the command line (ensure_admin, add_admin, createsuperuser, this
    # fixture) are recorded, but nobody's account made them: they are in no one's hands.
    april = make_user("april", APPROVER)
    assert changes_of(april) and all(c.changed_by is None for c in changes_of(april))
    assert approve(proposal, april).state == BulkAction.State.QUEUED


def test_the_database_still_refuses_an_approver_who_is_the_proposer(admins, proposal):
    proposal.approved_by = admins[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal.save()
