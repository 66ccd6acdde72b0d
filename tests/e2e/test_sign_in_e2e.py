"""Signing in, in Chromium (issue 20): through the organisation's identity provider (a small
OpenID Connect provider on loopback), and with a second factor: an Approver without one is
told to set one up, enrols an authenticator app, approves after giving its code, and is asked
for the code at the next sign-in. At desktop and phone width."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from forums.models import AccountChange, BulkAction
from forums.roles import ADMIN, APPROVER, MODERATOR
from tests.accounts.test_oidc import configure
from tests.accounts.test_second_factor import totp_code
from tests.bulk.helpers import planned_group_add
from tests.e2e.conftest import sign_in
from tests.e2e.test_phone_e2e import assert_fits
from tests.oidc_provider import IdentityProvider

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def idp(settings):
    with IdentityProvider() as provider:
        configure(settings, provider)
        yield provider


def test_a_person_signs_in_through_the_organisation(page, live_server, idp):
    idp.add("rosa", groups=["approvers"], name="Rosa Diaz")
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{live_server.url}/accounts/login/")
    assert_fits(page, "the sign-in page")
    button = page.get_by_role("button", name="Sign in with Example Org")
    expect(button).to_be_visible()
    # Keyboard: the button is reachable and pressed with Enter.
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Your organisation username").fill("rosa")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}/")
    tools = page.locator("#user-tools")
    expect(tools).to_contain_text("Signed in as rosa")
    expect(tools.locator(".role-badge")).to_have_text(APPROVER)
    # No password to change: this account signs in only through the organisation.
    expect(tools.get_by_role("link", name="Change password")).to_have_count(0)
    rosa = get_user_model().objects.get(username="rosa")
    assert not rosa.has_usable_password()
    created = AccountChange.objects.get(user=rosa, kind=AccountChange.Kind.CREATED)
    assert created.changed_by is None  # in no Forumdeck Admin's hands


def test_an_approver_sets_up_a_second_factor_approves_and_is_asked_for_it_again(
    page, live_server, settings, make_user, discourse_connection, discourse_sandbox
):
    settings.FORUMDECK_REQUIRE_2FA_ROLES = [APPROVER, ADMIN]
    make_user("abe", APPROVER)
    action = planned_group_add(
        proposer=make_user("moe", MODERATOR),
        connection=discourse_connection,
        sandbox=discourse_sandbox,
        count=2,
    )
    detail = f"{live_server.url}/forums/bulk/{action.pk}/"

    sign_in(page, live_server, "abe", "pw-abe-123")
    page.goto(detail)
    page.get_by_role("button", name="Approve and run").click()
    # Not a bare 403: the page says why and how.
    expect(page.get_by_role("heading", name="Set up a second factor first")).to_be_visible()
    expect(page.locator("#second-factor-required")).to_contain_text("Nothing was changed")
    action.refresh_from_db()
    assert action.state == BulkAction.State.PENDING_APPROVAL

    page.get_by_role("link", name="Set up an authenticator app").click()
    # Changing second factors asks for the password first.
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_label("Password").fill("pw-abe-123")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    page.set_viewport_size({"width": 360, "height": 780})
    assert_fits(page, "the authenticator set-up page")
    page.set_viewport_size({"width": 1280, "height": 900})
    secret = page.locator("#authenticator-secret").inner_text().strip()
    page.get_by_label("Code from the app").fill("123456" if totp_code(secret) != "123456" else "1")
    page.get_by_role("button", name="Set up").click()
    expect(page.locator("#code-errors")).to_be_visible()  # a wrong code is said, not taken
    secret = page.locator("#authenticator-secret").inner_text().strip()
    page.get_by_label("Code from the app").fill(totp_code(secret))
    page.get_by_role("button", name="Set up").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes").input_value().split()
    assert len(codes) == 10

    # Back to the action: the approval asks for the code (this session has not given one).
    page.get_by_role("link", name="Done: back to where you were").click()
    page.wait_for_url(detail)
    page.get_by_role("button", name="Approve and run").click()
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(secret, step=1))  # a code not used yet
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(detail)
    expect(page.locator(".messagelist")).to_contain_text(f"Approved bulk action #{action.pk}")
    action.refresh_from_db()
    assert action.approved_by.username == "abe"

    # Signing in again asks for the second factor after the password.
    page.locator("#logout-form").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("abe")
    page.get_by_label("Password").fill("pw-abe-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your second factor")).to_be_visible()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#code-errors")).to_be_visible()
    expect(page.locator("#user-tools")).to_have_count(0)  # not signed in
    page.get_by_label("Code").fill(codes[0])  # a recovery code works too
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("#user-tools")).to_contain_text("Signed in as abe")


def test_an_admin_adds_a_security_key_signs_in_and_approves_with_it(
    page, live_server, settings, make_user, discourse_connection, discourse_sandbox
):
    settings.FORUMDECK_REQUIRE_2FA_ROLES = [APPROVER, ADMIN]
    make_user("ada", ADMIN, is_staff=True)
    action = planned_group_add(
        proposer=make_user("moe", MODERATOR),
        connection=discourse_connection,
        sandbox=discourse_sandbox,
        count=2,
    )
    # Chromium's virtual authenticator stands in for a security key.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.goto(f"{live_server.url}/forums/accounts/")
    expect(page.get_by_role("heading", name="Set up a second factor first")).to_be_visible()

    page.get_by_role("link", name="Second factor", exact=True).click()
    page.get_by_role("link", name="Add a security key or passkey").click()
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    page.get_by_label("Password").fill("pw-ada-123")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Desk key")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    page.goto(f"{live_server.url}/accounts/2fa/")
    expect(page.locator("#webauthn-status")).to_contain_text("1 security key")

    # A security key counts as the second factor People & roles asks for.
    page.goto(f"{live_server.url}/forums/accounts/")
    expect(page.get_by_role("heading", name="People & roles")).to_be_visible()

    page.locator("#logout-form").get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("pw-ada-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your second factor")).to_be_visible()
    page.get_by_role("button", name="Use a security key or passkey").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("#user-tools")).to_contain_text("Signed in as ada")
    signed_in_at = time.monotonic()

    # Once the sign-in's key is older than FORUMDECK_2FA_RECENT_SECONDS, approving asks for
    # the key again (never the password), then goes ahead.
    settings.FORUMDECK_2FA_RECENT_SECONDS = 3
    detail = f"{live_server.url}/forums/bulk/{action.pk}/"
    page.goto(detail)
    while time.monotonic() - signed_in_at < 4:  # the sign-in's key grows old
        page.wait_for_timeout(250)
    page.get_by_role("button", name="Approve and run").click()
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    expect(page.get_by_role("link", name="Use your password")).to_have_count(0)
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(detail)
    expect(page.locator(".messagelist")).to_contain_text(f"Approved bulk action #{action.pk}")
    action.refresh_from_db()
    assert action.approved_by.username == "ada"
