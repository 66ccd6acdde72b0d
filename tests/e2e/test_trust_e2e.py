"""A fresh install in Chromium: its first Admin creates colleagues, a Moderator proposes, the
pages say nobody can approve and what to do; the operator runs add_admin on the command line,
and that second, independent Admin confirms the Approver grant and approves. Then sign-in
lockouts, lifted from People & roles at phone and laptop width."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from forums.bulk import engine
from forums.bulk.services import bulk_action_propose
from forums.models import AuditEntry, BulkAction
from forums.roles import ADMIN, VIEWER
from tests.bulk.helpers import usernames
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-pass-phrase-9471"


def add_account(page, username: str, role: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People & roles").click()
    page.get_by_role("link", name="Add an account").click()
    page.get_by_label("Username:").fill(username)
    page.get_by_label(role, exact=True).check()
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password again:").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_text(f"Created {username}.")).to_be_visible()


def test_a_fresh_install_gets_its_first_action_approved_through_the_operators_second_admin(
    page, live_server, discourse_connection, discourse_sandbox, monkeypatch, django_user_model
):
    # The first Admin, as the image's entrypoint makes it.
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "ada")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("ensure_admin", stdout=io.StringIO())

    sign_in(page, live_server, "ada", PASSWORD)
    add_account(page, "moe", "Moderator")
    add_account(page, "april", "Approver")
    expect(
        page.get_by_text("Approver waits for a second Admin, independent of you")
    ).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # moe is told before proposing, and again on the action's page, with what to do.
    sign_in(page, live_server, "moe", PASSWORD)
    page.get_by_role("link", name="Bulk actions").click()
    page.get_by_role("link", name="Propose a bulk action").click()
    notice = page.locator("#nobody-can-approve")
    expect(notice).to_contain_text("No one can approve this yet")
    expect(notice).to_contain_text("python manage.py add_admin <name>")
    moe = django_user_model.objects.get(username="moe")
    action = bulk_action_propose(
        actor=moe, kind="group_add", connections=[discourse_connection],
        params={"group": "translators"},
        targets_text="\n".join(usernames(discourse_sandbox, 2, not_in_group="translators")),
    )  # fmt: skip
    engine.plan_action(action.pk)
    page.goto(f"{live_server.url}/forums/bulk/{action.pk}/")
    expect(page.locator("#nobody-can-approve")).to_contain_text(
        "was created or changed by you, or shares a creator with you"
    )
    page.get_by_role("link", name="Bulk actions").first.click()
    expect(page.locator("#stuck-actions")).to_contain_text(f"#{action.pk}")
    page.get_by_role("button", name="Sign out").click()

    # The operator follows the advice, on the server's command line.
    monkeypatch.setenv("FORUMDECK_NEW_ADMIN_PASSWORD", "olga-" + PASSWORD)
    out = io.StringIO()
    call_command("add_admin", "olga", stdout=out)
    assert "Created the Admin olga (independent)" in out.getvalue()

    # olga confirms ada's grant of Approver to april, then approves moe's action herself.
    sign_in(page, live_server, "olga", "olga-" + PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People & roles").click()
    waiting = page.locator(".waiting-changes li", has_text="april")
    expect(waiting).to_contain_text("grant Approver")
    waiting.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Confirmed: april")).to_be_visible()
    page.goto(f"{live_server.url}/forums/bulk/{action.pk}/")
    expect(page.locator("#nobody-can-approve")).to_have_count(0)
    page.get_by_role("button", name="Approve and run").click()
    expect(page.get_by_text("Approved bulk action")).to_be_visible()
    action.refresh_from_db()
    assert action.state == BulkAction.State.QUEUED and action.approved_by.username == "olga"
    assert AuditEntry.objects.filter(action="account.confirm", actor__username="olga").exists()


@pytest.mark.parametrize("width", [360, 1366])
def test_a_lockout_is_lifted_from_people_and_roles(page, live_server, make_user, width):
    make_user("ada", ADMIN, is_staff=True)
    make_user("vera-with-a-rather-long-account-name", VIEWER)
    guesser = Client()
    for _ in range(5):
        guesser.post(
            "/accounts/login/",
            {"username": "vera-with-a-rather-long-account-name", "password": "guess"},
        )
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.get_by_role("link", name="People & roles").click()
    page.get_by_role("link", name="Sign-in lockouts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign-in lockouts")
    row = page.locator("tr", has_text="vera-with-a-rather-long-account-name")
    expect(row.locator("time").first).to_contain_text("CET")  # the viewer's zone, shown
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    row.get_by_role("button", name="Unlock").click()
    expect(page.get_by_text("Unlocked vera-with-a-rather-long-account-name")).to_be_visible()
    expect(page.get_by_text("Nobody is locked out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
