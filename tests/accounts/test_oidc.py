"""Sign-in through the organisation's identity provider (issue 20): a small OpenID Connect
provider on loopback signs people in; Forumdeck creates their account with roles from the
groups claim, updates the roles at every sign-in, and records the account as made by no
Forumdeck Admin."""

from __future__ import annotations

import copy
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from forums.accounts.oidc import roles_from_groups
from forums.models import AccountChange, AuditEntry
from forums.roles import ADMIN, APPROVER, MODERATOR, VIEWER
from tests.oidc_provider import IdentityProvider

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def idp():
    with IdentityProvider() as provider:
        yield provider


def configure(settings, idp: IdentityProvider, *, role_map=True) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Example Org",
                    "client_id": idp.client_id,
                    "secret": idp.client_secret,
                    "settings": {"server_url": idp.url},
                }
            ],
        }
    }
    # As settings.py does for a configured provider: the browser may go on to its pages.
    csp = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    csp["DIRECTIVES"]["form-action"].append(idp.url)
    settings.CONTENT_SECURITY_POLICY = csp
    settings.FORUMDECK_OIDC_GROUPS_CLAIM = "groups" if role_map else ""
    settings.FORUMDECK_OIDC_ROLE_MAP = (
        {"forum-admins": ADMIN, "mods": MODERATOR, "approvers": APPROVER, "staff": VIEWER}
        if role_map
        else {}
    )


@pytest.fixture
def oidc(settings, idp):
    configure(settings, idp)
    return idp


def sign_in_through(client: Client, idp: IdentityProvider, username: str):
    """What a browser does: the sign-in page's button, the provider's form, the callback."""
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "sso"}))
    assert start.status_code == 302, start.content[:500]
    authorize = start["Location"]
    assert authorize.startswith(f"{idp.url}/authorize?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert params["code_challenge_method"] == "S256"  # PKCE
    back = requests.post(
        f"{idp.url}/authorize", data={**params, "who": username}, allow_redirects=False, timeout=30
    )
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    assert callback.path == "/accounts/oidc/sso/login/callback/"
    return client.get(f"{callback.path}?{callback.query}")


def roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_the_sign_in_page_offers_the_provider_only_when_configured(client, settings, idp):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with" not in page
    configure(settings, idp)
    response = client.get(reverse("login"))
    page = response.content.decode()
    assert "Sign in with Example Org" in page
    assert 'action="/accounts/oidc/sso/login/"' in page
    assert f"form-action 'self' {idp.url}" in response["Content-Security-Policy"]
    # Local passwords still work beside it.
    assert 'name="password"' in page


def test_a_first_sign_in_creates_the_account_with_roles_from_the_groups_claim(client, oidc):
    oidc.add("rosa", groups=["approvers", "unrelated-group"], email="rosa@example.org")
    done = sign_in_through(client, oidc, "rosa")
    assert done.status_code == 302 and done["Location"] == reverse("overview")
    rosa = User.objects.get(username="rosa")
    assert roles(rosa) == {APPROVER}
    assert rosa.email == "rosa@example.org"
    assert not rosa.has_usable_password()  # only the provider signs her in
    assert client.get(reverse("overview")).status_code == 200  # signed in, as an Approver
    assert client.get(reverse("forums:bulk-list")).status_code == 200


def test_the_account_is_in_no_forumdeck_admins_hands(client, oidc, make_user):
    make_user("ada", ADMIN)
    oidc.add("rosa", groups=["approvers"])
    sign_in_through(client, oidc, "rosa")
    rosa = User.objects.get(username="rosa")
    changes = AccountChange.objects.filter(user=rosa)
    assert {c.kind for c in changes} == {AccountChange.Kind.CREATED, AccountChange.Kind.ROLES}
    assert all(c.changed_by_id is None for c in changes)
    created = changes.get(kind=AccountChange.Kind.CREATED)
    assert "first sign-in through the identity provider" in created.summary
    entry = AuditEntry.objects.get(action="account.create", target="rosa")
    assert entry.actor is None
    assert "signed in through Example Org" in entry.message
    assert "command line" not in entry.message


def test_each_sign_in_sets_the_roles_from_the_groups_again(client, oidc):
    person = oidc.add("milo", groups=["mods"])
    sign_in_through(client, oidc, "milo")
    milo = User.objects.get(username="milo")
    assert roles(milo) == {MODERATOR}
    assert not milo.is_staff

    client.logout()
    person.groups = ["forum-admins"]
    sign_in_through(client, oidc, "milo")
    milo.refresh_from_db()
    assert roles(milo) == {ADMIN}
    assert milo.is_staff
    assert User.objects.filter(email=person.email).count() == 1  # the same account
    change = AccountChange.objects.filter(user=milo, kind=AccountChange.Kind.ROLES).first()
    assert change.changed_by is None
    assert "Moderator → Admin" in change.summary

    client.logout()
    person.groups = []  # left every mapped group: no role any more
    sign_in_through(client, oidc, "milo")
    assert roles(User.objects.get(username="milo")) == set()
    assert client.get(reverse("overview")).status_code == 403


def test_without_a_role_map_an_admin_assigns_the_roles(client, settings, idp, make_user):
    configure(settings, idp, role_map=False)
    person = idp.add("nia", groups=["forum-admins"])
    sign_in_through(client, idp, "nia")
    nia = User.objects.get(username="nia")
    assert roles(nia) == set()  # the groups claim is not read
    # An Admin gives a role; the next sign-in keeps it.
    from forums.accounts.services import account_update

    account_update(actor=make_user("ada", ADMIN), user=nia, roles=[MODERATOR])
    client.logout()
    person.groups = []
    sign_in_through(client, idp, "nia")
    assert roles(User.objects.get(username="nia")) == {MODERATOR}


def test_a_provider_username_taken_locally_makes_a_separate_account(client, oidc, make_user):
    local = make_user("rosa", ADMIN)
    oidc.add("rosa", groups=["staff"])
    sign_in_through(client, oidc, "rosa")
    local.refresh_from_db()
    assert roles(local) == {ADMIN}  # the local account is untouched
    assert local.socialaccount_set.count() == 0
    other = User.objects.exclude(pk=local.pk).get(socialaccount__uid="sub-rosa")
    assert other.username != "rosa"
    assert roles(other) == {VIEWER}


def test_a_wrong_client_secret_signs_nobody_in(client, settings, oidc):
    settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["secret"] = "not-the-secret"
    oidc.add("rosa", groups=["approvers"])
    done = sign_in_through(client, oidc, "rosa")
    assert oidc.token_requests == 1
    assert not User.objects.filter(username="rosa").exists()
    assert "Sign-in through your organisation failed" in done.content.decode()
    assert client.get(reverse("overview")).status_code == 302  # still signed out


def test_no_signup_form_for_local_accounts(client, db):
    page = client.get(reverse("account_signup"))
    assert "a Forumdeck Admin creates your account" in page.content.decode()
    client.post(
        reverse("account_signup"),
        {
            "username": "eve",
            "password1": "a-long-pass-phrase-1",
            "password2": "a-long-pass-phrase-1",
        },
    )
    assert not User.objects.filter(username="eve").exists()


@pytest.mark.parametrize(
    "groups,expected",
    [
        (["mods"], [MODERATOR]),
        (["/forum-admins"], [ADMIN]),  # Keycloak's full group path
        (["approvers", "mods", "other"], [MODERATOR, APPROVER]),
        (["other"], []),
    ],
)
def test_roles_from_groups(groups, expected):
    role_map = {"forum-admins": ADMIN, "mods": MODERATOR, "approvers": APPROVER, "x": "Emperor"}
    assert roles_from_groups(groups, role_map) == expected


def test_an_account_with_a_second_factor_is_asked_for_it_after_the_provider(client, oidc):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.accounts.test_second_factor import totp_code

    oidc.add("rosa", groups=["approvers"])
    sign_in_through(client, oidc, "rosa")
    secret = generate_totp_secret()
    TOTP.activate(User.objects.get(username="rosa"), secret)
    client.logout()

    asked = sign_in_through(client, oidc, "rosa")
    assert asked.status_code == 302 and asked["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("overview")).status_code == 302  # not signed in yet
    done = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.get(reverse("overview")).status_code == 200


def test_a_deactivated_account_cannot_sign_in_through_the_provider(client, oidc, make_user):
    from forums.accounts.services import account_update

    oidc.add("rosa", groups=["staff"])
    sign_in_through(client, oidc, "rosa")
    client.logout()
    rosa = User.objects.get(username="rosa")
    account_update(actor=make_user("ada", ADMIN), user=rosa, is_active=False)
    refused = sign_in_through(client, oidc, "rosa")
    assert refused["Location"] == reverse("account_inactive")
    page = client.get(refused["Location"]).content.decode()
    assert "This account is deactivated" in page
    assert client.get(reverse("overview")).status_code == 302


@pytest.mark.parametrize(
    "variable,value,named",
    [
        ("FORUMDECK_OIDC_ROLE_MAP", "forum-admins=Admn", "Admn"),
        ("FORUMDECK_REQUIRE_2FA_ROLES", "Approver,Admins", "Admins"),
    ],
)
def test_a_misspelt_role_stops_the_server_at_boot_with_the_reason(variable, value, named):
    import os
    import subprocess
    import sys

    env = {**os.environ, variable: value}
    result = subprocess.run(
        [sys.executable, "-c", "import dashboard.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"{variable} names {named}: the roles are" in result.stderr


def test_a_provider_without_its_client_secret_stops_the_server_at_boot():
    import os
    import subprocess
    import sys

    env = {**os.environ, "FORUMDECK_OIDC_SERVER_URL": "https://idp.example.org"}
    env.pop("FORUMDECK_OIDC_CLIENT_ID", None)
    result = subprocess.run(
        [sys.executable, "-c", "import dashboard.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "FORUMDECK_OIDC_CLIENT_ID" in result.stderr
