"""An Admin connects the sandbox UserEcho through the form, tests it, and finds a person who
has an account on all three sandbox forums: in Debian's Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forums.models import ForumConnection
from tests.e2e.conftest import sign_in
from tests.userecho_fixtures import USERECHO_TOKEN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "noor.haddad@example.net"


@pytest.fixture
def noor(discourse_sandbox, nodebb_sandbox, userecho_sandbox, discourse_connection,
         nodebb_connection):  # fmt: skip
    return {
        "discourse": discourse_sandbox.app.add_person(
            username="noor_h", email=EMAIL, name="Noor Haddad"
        ),
        "nodebb": nodebb_sandbox.app.add_person(username="noorh", email=EMAIL, name="Noor Haddad"),
        "userecho": userecho_sandbox.app.add_person(
            username="noor-haddad", email=EMAIL, name="Noor Haddad"
        ),
    }


def test_connect_userecho_test_it_and_find_a_person_on_three_forums(
    page, live_server, make_user, userecho_sandbox, noor
):
    make_user("ada", "Admin", "Moderator", is_staff=True)
    sign_in(page, live_server, "ada", "pw-ada-123")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Forums").click()
    page.get_by_role("link", name="Add a forum").click()
    page.get_by_label("Name:", exact=True).fill("Sandbox UserEcho")
    page.get_by_label("Platform").select_option("userecho")
    expect(page.get_by_text("Setup → Advanced features → API").first).to_be_visible()
    page.get_by_label("Address").fill(userecho_sandbox.url)
    page.get_by_label("API key").fill(USERECHO_TOKEN)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Added Sandbox UserEcho")).to_be_visible()
    row = page.locator("tr", has_text="Sandbox UserEcho")
    expect(row).to_contain_text("UserEcho")
    expect(row).to_contain_text("…" + USERECHO_TOKEN[-4:])
    assert USERECHO_TOKEN not in page.content()

    row.get_by_role("button", name="Test connection").click()
    result = row.locator(".test-result")
    expect(result).to_contain_text("Works.")
    expect(result).to_contain_text("Credentials accepted: yes")
    expect(result).to_contain_text("Software: UserEcho API v2")

    page.get_by_role("link", name="Overview").click()
    connection = ForumConnection.objects.get(name="Sandbox UserEcho")
    card = page.locator(f"#forum-card-{connection.pk}")
    expect(card).to_contain_text("Healthy")
    expect(card).to_contain_text("3 forums: Ideas & Feedback, Support, Beta program")
    expect(card).to_contain_text("12 waiting")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="People", exact=True
    ).click()
    page.get_by_placeholder("Username or e-mail, or part of either").fill(EMAIL)
    page.get_by_role("button", name="Search").click()
    person = page.locator(".person", has_text=EMAIL)
    expect(person).to_contain_text("on 3 forums")
    expect(person.get_by_role("row", name="Sandbox Discourse")).to_contain_text("noor_h")
    expect(person.get_by_role("row", name="Sandbox NodeBB")).to_contain_text("noorh")
    expect(person.get_by_role("row", name="Sandbox UserEcho")).to_contain_text("noor-haddad")

    # The UserEcho account's page offers what UserEcho can do, and only that.
    person.get_by_role("link", name="noor-haddad").click()
    expect(page.get_by_role("link", name="Log out everywhere")).to_be_visible()
    expect(page.get_by_role("link", name="Suspend", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Log out everywhere").click()
    page.locator("#moderation-panel").get_by_role("button", name="Log out everywhere").click()
    expect(page.locator("#moderation-panel")).to_contain_text(
        "noor-haddad is logged out of every session."
    )
    assert userecho_sandbox.app.state.logouts == [noor["userecho"]]
    assert USERECHO_TOKEN not in page.content()
