"""People & roles in Chromium: an Admin adds an Approver, which waits until a second Admin
confirms it, and the new account approves someone else's action; an Admin's own second account
cannot approve theirs, even once confirmed. At desktop and phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forums.bulk import engine
from forums.bulk.services import bulk_action_propose
from forums.roles import ADMIN, MODERATOR
from tests.bulk.helpers import usernames
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-pass-phrase-9471"


def planned(proposer, connection, sandbox):
    action = bulk_action_propose(
        actor=proposer,
        kind="group_add",
        connections=[connection],
        params={"group": "translators"},
        targets_text="\n".join(usernames(sandbox, 2, not_in_group="translators")),
    )
    engine.plan_action(action.pk)
    action.refresh_from_db()
    return action


def add_account(page, username: str, role: str) -> None:
    page.get_by_role("link", name="People & roles").click()
    page.get_by_role("link", name="Add an account").click()
    page.get_by_label("Username:").fill(username)
    page.get_by_label(role, exact=True).check()
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password again:").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_text(f"Created {username}.")).to_be_visible()


def test_a_new_approver_waits_for_a_second_admin_then_approves(
    page, live_server, make_user, discourse_connection, discourse_sandbox
):
    make_user("ada", ADMIN, is_staff=True)
    make_user("ben", ADMIN, is_staff=True)
    moe = make_user("moe", MODERATOR)
    action = planned(moe, discourse_connection, discourse_sandbox)

    sign_in(page, live_server, "ada", "pw-ada-123")
    add_account(page, "april", "Approver")
    expect(
        page.get_by_text("Approver waits for a second Admin, independent of you")
    ).to_be_visible()
    pending = page.locator(".pending-changes li", has_text="grant Approver")
    expect(pending.get_by_role("button", name="Withdraw")).to_be_visible()
    expect(pending.get_by_role("button", name="Confirm")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "april", PASSWORD)
    page.goto(f"{live_server.url}/forums/bulk/{action.pk}/")
    expect(page.get_by_role("button", name="Approve and run")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "ben", "pw-ben-123")
    page.get_by_role("link", name="People & roles").click()
    waiting = page.locator(".waiting-changes li", has_text="april")
    expect(waiting).to_contain_text("asked by ada")
    waiting.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Confirmed: april")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "april", PASSWORD)
    page.goto(f"{live_server.url}/forums/bulk/{action.pk}/")
    page.get_by_role("button", name="Approve and run").click()
    expect(page.get_by_text("Approved bulk action")).to_be_visible()


def test_an_admins_second_account_cannot_approve_the_admins_action(
    page, live_server, make_user, discourse_connection, discourse_sandbox
):
    ada = make_user("ada", ADMIN, is_staff=True)
    make_user("ben", ADMIN, is_staff=True)
    action = planned(ada, discourse_connection, discourse_sandbox)
    sign_in(page, live_server, "ada", "pw-ada-123")
    add_account(page, "puppet", "Approver")
    page.get_by_role("button", name="Sign out").click()
    # ben, fooled, confirms the grant: puppet is an Approver, but still in ada's hands.
    sign_in(page, live_server, "ben", "pw-ben-123")
    page.get_by_role("link", name="People & roles").click()
    page.locator(".waiting-changes li", has_text="puppet").get_by_role(
        "button", name="Confirm"
    ).click()
    expect(page.get_by_text("Confirmed: puppet")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, "puppet", PASSWORD)
    page.goto(f"{live_server.url}/forums/bulk/{action.pk}/")
    expect(page.get_by_text("You cannot approve what ada proposes")).to_be_visible()
    expect(page.get_by_role("button", name="Approve and run")).to_have_count(0)


def test_people_and_roles_reads_on_a_phone(page, live_server, make_user):
    ada = make_user("ada", ADMIN, is_staff=True, email="ada.lovelace@example.org")
    for n in range(5):
        make_user(f"person-with-a-long-name-{n}", MODERATOR, email=f"p{n}@example.org")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "ada", "pw-ada-123")
    for path in ("/forums/accounts/", f"/forums/accounts/{ada.pk}/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
