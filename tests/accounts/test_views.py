"""People & roles in the browser's terms, and the issue's attack tried on every route: one
Admin making a second account an Approver (or a superuser) to approve their own action."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from forums.accounts.services import account_create
from forums.models import AccountChange, AuditEntry, BulkAction
from forums.roles import ADMIN, APPROVER, MODERATOR, VIEWER
from tests.bulk.helpers import planned_group_add
from tests.pages import page_html

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-9471"
User = get_user_model()


def new_account(**overrides) -> dict:
    data = {
        "username": "puppet",
        "email": "",
        "roles": [APPROVER],
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_lists_finds_and_adds_accounts(admin_client_, make_user):
    make_user("vera", VIEWER, email="vera@example.org")
    page = admin_client_.get(reverse("forums:account-list")).content.decode()
    assert "vera" in page and "Add an account" in page and "People &amp; roles" in page
    found = admin_client_.get(
        reverse("forums:account-list"), {"q": "vera@"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'id="account-table"' in found and "<html" not in found and "vera" in found
    none = admin_client_.get(reverse("forums:account-list"), {"q": "nobody"}).content.decode()
    assert "No account matches “nobody”" in none

    response = admin_client_.post(reverse("forums:account-create"), new_account(), follow=True)
    page = response.content.decode()
    assert "Created puppet. Approver waits for a second Admin, independent of you" in page
    assert "account created with roles: no role" in page
    assert "grant Approver (waiting for a second Admin)" in page  # with its own section
    assert PASSWORD not in page


def test_the_add_form_explains_what_it_refuses(admin_client_):
    page = admin_client_.post(
        reverse("forums:account-create"), new_account(password2="different-pass-phrase-1")
    ).content.decode()
    assert "The two passwords differ." in page and not User.objects.filter(username="puppet")
    page = admin_client_.post(
        reverse("forums:account-create"), new_account(password1="123", password2="123")
    ).content.decode()
    assert "too short" in page and PASSWORD not in page


def test_roles_and_a_new_password_from_the_account_page(admin_client_, make_user):
    moe = make_user("moe", MODERATOR)
    url = reverse("forums:account-detail", args=[moe.pk])
    admin_client_.post(
        reverse("forums:account-roles", args=[moe.pk]),
        {"roles": [MODERATOR, APPROVER], "is_active": "on"},
    )
    saved = admin_client_.post(
        reverse("forums:account-password", args=[moe.pk]),
        {"password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    ).content.decode()
    assert "The new password for moe waits for a second Admin" in saved
    page = admin_client_.get(url).content.decode()
    assert "Waiting for a second Admin" in page
    assert "grant Approver (waiting for a second Admin)" in page
    assert "new password set by an Admin (waiting for a second Admin)" in page
    # The one who asked may withdraw it, never confirm it.
    assert "Withdraw" in page and ">Confirm<" not in page
    moe.refresh_from_db()
    assert not moe.check_password(PASSWORD)
    assert set(moe.groups.values_list("name", flat=True)) == {MODERATOR}
    # A second Admin, from the command line, confirms both from People & roles.
    ben = signed_in(make_user("ben", ADMIN, is_staff=True))
    listed = ben.get(reverse("forums:account-list")).content.decode()
    assert listed.count(">Confirm<") == 2
    for change in AccountChange.objects.filter(state="pending"):
        ben.post(reverse("forums:account-change-confirm", args=[change.pk]), {"next": "list"})
    moe.refresh_from_db()
    assert moe.check_password(PASSWORD)
    assert set(moe.groups.values_list("name", flat=True)) == {MODERATOR, APPROVER}


def test_viewers_and_approvers_get_403_on_every_account_route(make_user):
    target = make_user("moe", MODERATOR)
    change = AccountChange.objects.filter(user=target).first()
    for user in (make_user("vera", VIEWER), make_user("april", APPROVER)):
        client = signed_in(user)
        assert client.get(reverse("forums:account-list")).status_code == 403
        assert client.post(reverse("forums:account-create"), new_account()).status_code == 403
        assert (
            client.post(
                reverse("forums:account-roles", args=[target.pk]), {"roles": [ADMIN]}
            ).status_code
            == 403
        )
        assert (
            client.post(
                reverse("forums:account-password", args=[target.pk]),
                {"password1": PASSWORD, "password2": PASSWORD},
            ).status_code
            == 403
        )
        assert (
            client.post(reverse("forums:account-change-confirm", args=[change.pk])).status_code
            == 403
        )
    assert not User.objects.filter(username="puppet").exists()
    assert not target.groups.filter(name=ADMIN).exists()


def test_the_admin_sites_user_and_group_pages_are_gone(admin_client_, admin_user):
    admin_user.is_superuser = True  # even a superuser finds nothing there
    admin_user.save()
    for url in (
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        f"/admin/auth/user/{admin_user.pk}/change/",
        f"/admin/auth/user/{admin_user.pk}/password/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",
        f"/admin/auth/group/{Group.objects.get(name=ADMIN).pk}/change/",
    ):
        assert admin_client_.get(url).status_code == 404, url
    forged = admin_client_.post(
        "/admin/auth/user/add/",
        {"username": "puppet", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert forged.status_code == 404 and not User.objects.filter(username="puppet").exists()


def test_forged_fields_make_no_superuser_and_no_one_changes_their_own_roles(
    admin_client_, admin_user
):
    admin_client_.post(
        reverse("forums:account-create"),
        new_account(is_superuser="on", is_staff="on", roles=[APPROVER, "superuser"]),
    )
    assert not User.objects.filter(username="puppet").exists()  # "superuser" is no role
    admin_client_.post(
        reverse("forums:account-create"), new_account(is_superuser="on", is_staff="on")
    )
    puppet = User.objects.get(username="puppet")
    assert not puppet.is_superuser and not puppet.is_staff
    page = admin_client_.post(
        reverse("forums:account-roles", args=[admin_user.pk]),
        {"roles": [ADMIN, APPROVER, MODERATOR], "is_active": "on"},
    ).content.decode()
    assert "nobody changes their own here" in page
    assert set(admin_user.groups.values_list("name", flat=True)) == {ADMIN}


def test_the_issues_attack_one_admin_a_second_account_and_their_own_approval(
    admin_user, make_user, discourse_connection, discourse_sandbox
):
    """Found: an Admin created a second account, made it an Approver, and approved their own
    bulk suspension with it, and none of it was in the audit log."""
    ada = signed_in(admin_user)
    action = planned_group_add(
        proposer=admin_user, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    ada.post(reverse("forums:account-create"), new_account(roles=[VIEWER]))
    puppet = User.objects.get(username="puppet")
    ada.post(
        reverse("forums:account-roles", args=[puppet.pk]),
        {"roles": [VIEWER, APPROVER], "is_active": "on"},
    )
    # Nothing happens without a second Admin: puppet may not approve anything yet.
    as_puppet = signed_in(puppet)
    forged = as_puppet.post(
        reverse("forums:bulk-approve", args=[action.pk]), {"plan_hash": action.plan_hash}
    )
    assert forged.status_code == 403
    # Even when a real second Admin is talked into confirming the grant:
    grant = AccountChange.objects.get(user=puppet, state="pending")
    signed_in(make_user("ben", ADMIN, is_staff=True)).post(
        reverse("forums:account-change-confirm", args=[grant.pk])
    )
    page = as_puppet.get(reverse("forums:bulk-detail", args=[action.pk])).content.decode()
    assert "Approve and run" not in page
    assert "You cannot approve what ada proposes" in page
    forged = as_puppet.post(
        reverse("forums:bulk-approve", args=[action.pk]),
        {"plan_hash": action.plan_hash},
        follow=True,
    )
    assert "You cannot approve what ada proposes" in forged.content.decode()
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL and action.approved_by is None
    assert discourse_sandbox.app.calls.count(method="PUT") == 0
    log = AuditEntry.objects.filter(actor=admin_user, target="puppet").order_by("id")
    assert [e.action for e in log] == ["account.create", "account.request"]


def test_an_approver_granted_by_an_independent_admin_approves_after_confirmation(
    make_user, discourse_connection, discourse_sandbox
):
    moe = make_user("moe", MODERATOR)
    ben = make_user("ben", ADMIN, is_staff=True)
    april = account_create(actor=ben, username="april", password=PASSWORD, roles=[APPROVER])
    action = planned_group_add(
        proposer=moe, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )
    as_april = signed_in(april)
    page = as_april.get(reverse("forums:bulk-detail", args=[action.pk])).content
    assert b"Approve and run" not in page
    change = AccountChange.objects.get(user=april, state="pending")
    # ben, who asked for it, cannot confirm it himself.
    response = signed_in(ben).post(
        reverse("forums:account-change-confirm", args=[change.pk]), follow=True
    )
    assert "You asked for this change: a second Admin confirms it." in response.content.decode()
    # A second Admin confirms it from the list of waiting changes.
    cyd = signed_in(make_user("cyd", ADMIN, is_staff=True))
    waiting = cyd.get(reverse("forums:account-list")).content.decode()
    assert "Waiting for a second Admin" in waiting and "grant Approver" in waiting
    cyd.post(reverse("forums:account-change-confirm", args=[change.pk]), {"next": "list"})
    page = as_april.get(reverse("forums:bulk-detail", args=[action.pk])).content
    assert b"Approve and run" in page
    assert "1 waiting for your approval" in page_html(as_april.get(reverse("overview")))


def test_people_and_roles_is_in_the_menu_for_admins_only(admin_client_, viewer):
    assert "People &amp; roles" in page_html(admin_client_.get(reverse("overview")))
    assert "People &amp; roles" not in page_html(signed_in(viewer).get(reverse("overview")))


def test_a_second_admin_declines_a_grant_from_people_and_roles(admin_client_, make_user):
    moe = make_user("moe", MODERATOR)
    admin_client_.post(
        reverse("forums:account-roles", args=[moe.pk]),
        {"roles": [MODERATOR, ADMIN], "is_active": "on"},
    )
    grant = AccountChange.objects.get(user=moe, state="pending")
    ben = signed_in(make_user("ben", ADMIN, is_staff=True))
    page = ben.post(
        reverse("forums:account-change-decline", args=[grant.pk]), {"next": "list"}, follow=True
    ).content.decode()
    assert "Declined: moe, grant Admin (waiting for a second Admin)." in page
    assert 'id="pending-changes"' not in page  # nothing waits any more
    moe.refresh_from_db()
    assert not moe.groups.filter(name=ADMIN).exists() and not moe.is_staff
    entry = AuditEntry.objects.get(action="account.decline")
    assert entry.actor.username == "ben" and "asked by ada" in entry.message
    # A Moderator cannot answer at all.
    forged = signed_in(make_user("mo2", MODERATOR)).post(
        reverse("forums:account-change-decline", args=[grant.pk])
    )
    assert forged.status_code == 403
