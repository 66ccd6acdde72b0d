"""Second factors before approving, confirming and administering (issue 20): an Approver or
Admin without one is told to set one up (never a bare 403), and an approval asks for the
second factor again when this session's last one is too old, then goes ahead."""

from __future__ import annotations

import time

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse

from forums.accounts.services import account_create
from forums.models import AccountChange, BulkAction
from forums.roles import ADMIN, APPROVER, MODERATOR, VIEWER
from tests.bulk.helpers import planned_group_add

pytestmark = pytest.mark.django_db


def totp_code(secret: str, step: int = 0) -> str:
    """The code an authenticator app shows now (``step`` 30-second steps later)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + step))


def enrol(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def verified(client, user, *, seconds_ago: float) -> None:
    """This session checked the user's second factor ``seconds_ago`` (as signing in does)."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time() - seconds_ago - 1},
        {"method": "mfa", "at": time.time() - seconds_ago, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


@pytest.fixture
def required(settings):
    settings.FORUMDECK_REQUIRE_2FA_ROLES = [APPROVER, ADMIN]
    settings.FORUMDECK_2FA_RECENT_SECONDS = 300


@pytest.fixture
def pending_action(moderator, discourse_connection, discourse_sandbox):
    return planned_group_add(
        proposer=moderator, connection=discourse_connection, sandbox=discourse_sandbox, count=2
    )


def approve_post(client, action, **headers):
    return client.post(
        reverse("forums:bulk-approve", args=[action.pk]),
        {"plan_hash": action.plan_hash},
        headers=headers,
    )


def test_an_approver_without_a_second_factor_is_told_to_set_one_up(
    required, client, approver, pending_action
):
    client.force_login(approver)
    refused = approve_post(client, pending_action)
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("second-factor-required"))
    pending_action.refresh_from_db()
    assert pending_action.state == BulkAction.State.PENDING_APPROVAL
    assert pending_action.approved_by is None

    page = client.get(refused["Location"])
    html = page.content.decode()
    assert page.status_code == 403
    assert "Set up a second factor first" in html
    assert "Approver or Admin" in html
    assert reverse("mfa_activate_totp") in html
    assert "Nothing was changed" in html


def test_htmx_buttons_are_sent_to_the_same_page(required, client, approver, pending_action):
    client.force_login(approver)
    refused = approve_post(client, pending_action, **{"HX-Request": "true"})
    assert refused["HX-Redirect"].startswith(reverse("second-factor-required"))
    pending_action.refresh_from_db()
    assert pending_action.approved_by is None


def test_admins_without_one_cannot_administer(required, client, admin_user, make_user):
    client.force_login(admin_user)
    for url in (
        reverse("forums:account-list"),
        reverse("forums:account-create"),
        reverse("forums:connection-create"),
        # The Django admin's pages too: its connection list edits the same rows.
        reverse("admin:index"),
        reverse("admin:forums_forumconnection_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("second-factor-required")), url
    person = make_user("pat", VIEWER)
    before = AccountChange.objects.count()
    client.post(
        reverse("forums:account-roles", args=[person.pk]), {"roles": [ADMIN], "is_active": "on"}
    )
    assert not person.groups.filter(name=ADMIN).exists()
    assert AccountChange.objects.count() == before


def test_with_a_fresh_second_factor_the_approval_goes_ahead(
    required, client, approver, pending_action
):
    secret = enrol(approver)
    client.force_login(approver)
    verified(client, approver, seconds_ago=60)  # the sign-in's second factor, a minute ago
    assert secret
    approve_post(client, pending_action)
    pending_action.refresh_from_db()
    assert pending_action.state == BulkAction.State.QUEUED
    assert pending_action.approved_by == approver


def test_an_old_second_factor_is_asked_again_then_the_approval_goes_ahead(
    required, client, approver, pending_action
):
    secret = enrol(approver)
    client.force_login(approver)
    verified(client, approver, seconds_ago=3600)
    asked = approve_post(client, pending_action)
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("mfa_reauthenticate"))
    pending_action.refresh_from_db()
    assert pending_action.approved_by is None  # not yet

    page = client.get(asked["Location"]).content.decode()
    assert "Confirm it's you" in page
    wrong = client.post(asked["Location"], {"code": "000000"})
    assert wrong.status_code == 200
    pending_action.refresh_from_db()
    assert pending_action.approved_by is None

    done = client.post(asked["Location"], {"code": totp_code(secret)})
    assert done.status_code == 302
    assert done["Location"] == reverse("forums:bulk-detail", args=[pending_action.pk])
    pending_action.refresh_from_db()
    assert pending_action.state == BulkAction.State.QUEUED
    assert pending_action.approved_by == approver


def test_confirming_an_account_change_needs_a_recent_second_factor(required, client, make_user):
    ada = make_user("ada", ADMIN)
    bo = make_user("bo", ADMIN)
    account_create(actor=ada, username="cy", password="a-long-pass-phrase-9471", roles=[VIEWER])
    change = AccountChange.objects.get(user__username="cy", kind=AccountChange.Kind.CREATED)
    enrol(bo)
    client.force_login(bo)  # no second factor in this session yet
    asked = client.post(reverse("forums:account-change-confirm", args=[change.pk]))
    assert asked["Location"].startswith(reverse("mfa_reauthenticate"))
    change.refresh_from_db()
    assert change.confirmed_by is None


def test_other_roles_and_an_empty_setting_need_nothing(settings, client, moderator, approver):
    settings.FORUMDECK_REQUIRE_2FA_ROLES = [APPROVER, ADMIN]
    client.force_login(moderator)
    assert client.get(reverse("forums:bulk-create")).status_code == 200
    settings.FORUMDECK_REQUIRE_2FA_ROLES = []
    client.force_login(approver)
    from forums.accounts.second_factor import is_required

    assert not is_required(approver)


def test_the_required_page_never_links_away_from_the_site(required, client, approver):
    client.force_login(approver)
    page = client.get(reverse("second-factor-required") + "?next=https://evil.example/")
    assert "evil.example" not in page.content.decode()


def test_moderator_role_named_in_the_setting_is_required_too(settings, client, make_user):
    settings.FORUMDECK_REQUIRE_2FA_ROLES = [MODERATOR]
    mo = make_user("mo", ADMIN)  # Admins include the Moderator's permissions, not its group
    from forums.accounts.second_factor import is_required

    assert not is_required(mo)
    assert is_required(make_user("mod2", MODERATOR))


def test_an_account_with_only_a_security_key_is_asked_for_the_key(
    required, client, approver, pending_action
):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=approver, type=Authenticator.Type.WEBAUTHN, data={})
    client.force_login(approver)
    asked = approve_post(client, pending_action)
    assert asked["Location"].startswith(reverse("mfa_reauthenticate_webauthn"))
    pending_action.refresh_from_db()
    assert pending_action.approved_by is None
