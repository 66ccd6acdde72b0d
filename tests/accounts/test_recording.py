"""Account changes made outside People & roles are recorded too: the command line (the
bootstrap's ensure_admin and createsuperuser), code, and the sign-in pages' password forms."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from forums.models import AccountChange, AuditEntry
from forums.roles import ADMIN, APPROVER, VIEWER

pytestmark = pytest.mark.django_db

OUTSIDE = "outside Forumdeck's pages (the command line or code)"


def audit(target: str) -> list[tuple[str, str, str]]:
    entries = AuditEntry.objects.filter(target=target).order_by("id")
    return [(e.action, e.actor_name, e.message) for e in entries]


def test_the_first_admin_made_by_ensure_admin_is_in_the_audit_log(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "chief")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-42")
    call_command("ensure_admin", stdout=io.StringIO())
    assert audit("chief") == [
        ("account.create", "", f"account created as a superuser, {OUTSIDE}"),
        ("account.roles", "", f"roles added: Admin, {OUTSIDE}"),
    ]


def test_createsuperuser_on_the_command_line_is_recorded(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-42")
    call_command(
        "createsuperuser", interactive=False, username="root", email="r@example.org",
        stdout=io.StringIO(),
    )  # fmt: skip
    user = get_user_model().objects.get(username="root")
    (change,) = AccountChange.objects.filter(user=user)
    assert change.kind == "created" and change.changed_by is None
    assert audit("root") == [("account.create", "", f"account created as a superuser, {OUTSIDE}")]


def test_superuser_staff_active_password_and_permission_changes_by_code_are_recorded(make_user):
    vera = make_user("vera", VIEWER)
    vera.is_superuser = True
    vera.is_staff = True
    vera.save()
    vera.is_active = False
    vera.save(update_fields=["is_active"])
    vera.set_password("another-long-password-7")
    vera.save()
    vera.user_permissions.add(Permission.objects.get(codename="approve_bulkaction"))
    Group.objects.get(name=APPROVER).user_set.add(vera)
    vera.groups.clear()
    messages = [m for _, _, m in audit("vera")]
    assert messages == [
        f"account created, {OUTSIDE}",
        f"roles added: Viewer, {OUTSIDE}",
        f"superuser status granted, {OUTSIDE}",
        f"staff status (admin site) granted, {OUTSIDE}",
        f"deactivated, {OUTSIDE}",
        f"password changed, {OUTSIDE}",
        f"own permissions added: forums.approve_bulkaction, {OUTSIDE}",
        f"roles added: Approver, {OUTSIDE}",
        f"roles removed: Approver, Viewer, {OUTSIDE}",
    ]


def test_signing_in_records_nothing(client, make_user):
    make_user("vera", VIEWER)
    before = AuditEntry.objects.count()
    assert client.post(
        "/accounts/login/", {"username": "vera", "password": "pw-vera-123"}
    ).status_code == 302  # fmt: skip
    assert AuditEntry.objects.count() == before


def test_ones_own_password_change_is_recorded_as_ones_own(client, make_user):
    ada = make_user("ada", ADMIN, is_staff=True)
    client.force_login(ada)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw-ada-123", "new_password1": "a-new-long-secret-88",
         "new_password2": "a-new-long-secret-88"},
    )  # fmt: skip
    assert response.status_code == 302
    change = AccountChange.objects.get(user=ada, kind="password")
    assert change.changed_by == ada
    assert ("account.password", "ada", "password changed") in audit("ada")
    # The admin site's own password page leads to the same, recorded form.
    admin_form = client.get("/admin/password_change/")
    assert admin_form.status_code == 302 and admin_form["Location"] == "/accounts/password_change/"


def test_a_password_reset_from_an_emailed_link_is_recorded_as_the_holders(
    client, make_user, settings, mailoutbox
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    vera = make_user("vera", VIEWER, email="vera@example.org")
    client.post("/accounts/password_reset/", {"email": "vera@example.org"})
    link = next(w for w in mailoutbox[0].body.split() if "/reset/" in w)
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-secret-88", "new_password2": "a-new-long-secret-88"},
    )
    assert AccountChange.objects.get(user=vera, kind="password").changed_by == vera
