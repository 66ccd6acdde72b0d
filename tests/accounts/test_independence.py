"""The issue's two attacks on four eyes, each by one person with one Admin account: a second
account on the proposing side (finding 1), and an approver laundered through accounts whose
"holders" set their own passwords (finding 2). Both go through the services every page uses,
so every bulk kind is covered: they all approve through ``bulk_action_approve``."""

from __future__ import annotations

import contextlib

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

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


@pytest.fixture
def ada(make_user):
    """The one Admin the insider holds (made on the command line, like the first Admin)."""
    return make_user("ada", ADMIN, is_staff=True)


@pytest.fixture
def ben(make_user):
    """A second Admin, made on the command line by the operator: a real second person."""
    return make_user("ben", ADMIN, is_staff=True)


def confirm_waiting(user, by) -> None:
    """``by`` (another Admin) confirms whatever waits for a second Admin on ``user``'s account;
    a refusal is part of what is tested, so it is let through."""
    for change in AccountChange.objects.filter(user=user, confirmed_by__isnull=True).order_by("id"):
        if change.changed_by_id in (None, by.pk) or change.user_id == by.pk:
            continue
        with contextlib.suppress(ValidationError):
            account_change_confirm(actor=by, change=change)


def change_own_password(user, old: str, new: str) -> None:
    client = Client()
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302


def plan_as(proposer, discourse_connection, discourse_sandbox) -> BulkAction:
    return planned_group_add(
        proposer=proposer, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )


# --- finding 1: the proposing side --------------------------------------------------------------
def test_an_admin_cannot_approve_what_a_moderator_they_created_proposed(
    ada, ben, discourse_connection, discourse_sandbox
):
    sock = account_create(actor=ada, username="sock", password=PASSWORD, roles=[MODERATOR])
    confirm_waiting(sock, by=ben)  # even with a real second Admin's blessing
    action = plan_as(sock, discourse_connection, discourse_sandbox)
    with pytest.raises(BulkActionError) as refused:
        approve(action, ada)
    assert "sock's account was created by you" in str(refused.value)
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL and action.approved_by is None
    assert not AuditEntry.objects.filter(action="bulk.approve").exists()
    # A real second person, whom ada never touched, may.
    assert approve(action, ben).state == BulkAction.State.QUEUED


def test_nor_what_a_moderator_whose_password_they_set_proposed(
    ada, ben, make_user, discourse_connection, discourse_sandbox
):
    moe = make_user("moe", MODERATOR)  # a real colleague, from the command line
    account_set_password(actor=ada, user=moe, password=PASSWORD)
    confirm_waiting(moe, by=ben)
    action = plan_as(moe, discourse_connection, discourse_sandbox)
    with pytest.raises(BulkActionError, match="moe's account was given a new password by you"):
        approve(action, ada)


def test_nor_what_a_moderator_they_gave_roles_proposed(
    ada, make_user, discourse_connection, discourse_sandbox
):
    moe = make_user("moe")
    account_update(actor=ada, user=moe, roles=[MODERATOR])
    action = plan_as(moe, discourse_connection, discourse_sandbox)
    with pytest.raises(BulkActionError, match="moe's account was given other roles by you"):
        approve(action, ada)


def test_nor_two_accounts_one_admin_made(ada, ben, discourse_connection, discourse_sandbox):
    sock = account_create(actor=ada, username="sock", password=PASSWORD, roles=[MODERATOR])
    puppet = account_create(actor=ada, username="puppet", password=PASSWORD, roles=[APPROVER])
    confirm_waiting(puppet, by=ben)
    action = plan_as(sock, discourse_connection, discourse_sandbox)
    with pytest.raises(BulkActionError, match="ada holds both"):
        approve(action, puppet)


# --- finding 2: the laundered chain -------------------------------------------------------------
def test_the_laundering_chain_is_refused(ada, ben, discourse_connection, discourse_sandbox):
    # ada makes two Admins (ben, fooled, confirms whatever waits), signs in as each to set
    # "their own" password, lets one create an Approver and the other confirm that.
    bea = account_create(actor=ada, username="bea", password=PASSWORD, roles=[ADMIN])
    cat = account_create(actor=ada, username="cat", password=PASSWORD, roles=[ADMIN])
    for sock in (bea, cat):
        confirm_waiting(sock, by=ben)
        sock.refresh_from_db()
        change_own_password(sock, PASSWORD, f"{sock.username}-own-secret-5512")
    xavier = account_create(actor=bea, username="xavier", password=PASSWORD, roles=[APPROVER])
    with contextlib.suppress(ValidationError):  # cat, in ada's hands, may not confirm it
        confirm_waiting(xavier, by=cat)
    confirm_waiting(xavier, by=ben)
    action = plan_as(ada, discourse_connection, discourse_sandbox)
    with pytest.raises(BulkActionError) as refused:
        approve(action, xavier)
    # The chain is named, so an Admin can see how the two accounts are tied.
    assert "created by bea" in str(refused.value) and "by ada" in str(refused.value)
    assert BulkAction.objects.get(pk=action.pk).state == BulkAction.State.PENDING_APPROVAL


def test_a_holders_own_password_never_takes_an_account_out_of_its_creators_hands(
    ada, ben, discourse_connection, discourse_sandbox
):
    april = account_create(actor=ada, username="april", password=PASSWORD, roles=[APPROVER])
    confirm_waiting(april, by=ben)
    april.refresh_from_db()
    change_own_password(april, PASSWORD, "april-own-secret-5512")
    action = plan_as(ada, discourse_connection, discourse_sandbox)
    with pytest.raises(BulkActionError, match="Your account was created by ada"):
        approve(action, april)
