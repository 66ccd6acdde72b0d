"""A fresh install's way out (finding 3): every account is its first Admin's, so nobody can
approve what they propose, until the operator adds an Admin on the command line."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from forums.accounts.independence import independent_approvers, nobody_can_approve
from forums.accounts.services import account_change_confirm, account_create
from forums.bulk.services import BulkActionError
from forums.models import AccountChange, AuditEntry, BulkAction
from forums.roles import ADMIN, APPROVER, MODERATOR
from tests.bulk.helpers import approve, planned_group_add

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-9471"
User = get_user_model()


@pytest.fixture
def first_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ada")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("ensure_admin", stdout=io.StringIO())
    return User.objects.get(username="ada")


def test_the_operators_second_admin_gets_the_first_admins_action_approved(
    first_admin, discourse_connection, discourse_sandbox, monkeypatch
):
    moe = account_create(actor=first_admin, username="moe", password=PASSWORD,
                         roles=[MODERATOR])  # fmt: skip
    april = account_create(actor=first_admin, username="april", password=PASSWORD,
                           roles=[APPROVER])  # fmt: skip
    assert AccountChange.objects.get(user=april, state="pending")  # nobody may confirm it
    action = planned_group_add(
        proposer=moe, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    said = nobody_can_approve(moe, viewer=moe)
    assert said.startswith("No one can approve this yet") and "manage.py add_admin" in said
    with pytest.raises(BulkActionError, match="moe's account was created by you"):
        approve(action, first_admin)

    out = io.StringIO()
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD")
    call_command("add_admin", "olga", stdout=out)
    printed = out.getvalue()
    assert "Created the Admin olga, independent of every other Admin." in printed
    olga = User.objects.get(username="olga")
    password = printed.split("password: ")[1].split()[0]
    assert olga.check_password(password) and olga.groups.filter(name=ADMIN).exists()
    assert all(c.changed_by is None for c in AccountChange.objects.filter(user=olga))
    assert AuditEntry.objects.filter(action="account.create", target="olga", actor=None).exists()

    assert nobody_can_approve(moe) == "" and [u.username for u in
                                             independent_approvers(moe)] == ["olga"]  # fmt: skip
    # olga confirms ada's grant: april becomes an Approver (still in ada's hands, so she
    # approves nothing of ada's or moe's), and olga herself approves moe's action.
    account_change_confirm(
        actor=olga, change=AccountChange.objects.get(user=april, state="pending")
    )
    assert april.has_perm("forums.approve_bulkaction")
    with pytest.raises(BulkActionError):
        approve(action, april)
    assert approve(action, olga).state == BulkAction.State.QUEUED


def test_add_admin_makes_an_existing_account_an_admin_and_keeps_its_password(make_user):
    # E.g. someone who signs in through the organisation (no Forumdeck account made theirs).
    sso = make_user("sam")
    out = io.StringIO()
    call_command("add_admin", "sam", stdout=out)
    sso.refresh_from_db()
    assert "sam is an Admin now" in out.getvalue() and sso.check_password("pw-sam-123")
    assert sso.groups.filter(name=ADMIN).exists() and sso.is_staff
    change = AccountChange.objects.filter(user=sso).latest("id")
    assert change.changed_by is None and "add_admin" in change.summary


def test_add_admin_refuses_a_weak_given_password(monkeypatch):
    monkeypatch.setenv("FORUMDECK_NEW_ADMIN_PASSWORD", "123")
    with pytest.raises(CommandError, match="too short"):
        call_command("add_admin", "olga", stdout=io.StringIO())
    assert not User.objects.filter(username="olga").exists()
