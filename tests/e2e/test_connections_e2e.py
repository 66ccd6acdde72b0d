"""A person signs in, connects a forum, tests it and sees its card: in a real browser."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from forums.crypto import reveal
from forums.models import ForumConnection
from tests.conftest import NODEBB_TOKEN, SANDBOX_DISCOURSE_KEY
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_connects_a_forum_tests_it_and_sees_its_card(
    page, live_server, make_user, discourse_sandbox
):
    make_user("ada", "Admin", is_staff=True)
    sign_in(page, live_server, "ada", "pw-ada-123")
    expect(page.get_by_text("No forums are connected yet.")).to_be_visible()

    page.get_by_role("link", name="Connect your first forum").click()
    page.get_by_label("Name:", exact=True).fill("Sandbox Discourse")
    page.get_by_label("Platform").select_option("discourse")
    page.get_by_label("Address").fill(discourse_sandbox.url)
    page.get_by_label("Acting as").fill("system")
    page.get_by_label("API key").fill(SANDBOX_DISCOURSE_KEY)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Added Sandbox Discourse")).to_be_visible()
    row = page.locator("tr", has_text="Sandbox Discourse")
    expect(row).to_contain_text("…" + SANDBOX_DISCOURSE_KEY[-4:])
    assert SANDBOX_DISCOURSE_KEY not in page.content()

    row.get_by_role("button", name="Test connection").click()
    result = row.locator(".test-result")
    expect(result).to_contain_text("Works.")
    expect(result).to_contain_text("Credentials accepted: yes")
    expect(result).to_contain_text("Admin rights: yes")

    page.get_by_role("link", name="Overview").click()
    connection = ForumConnection.objects.get(name="Sandbox Discourse")
    card = page.locator(f"#forum-card-{connection.pk}")
    expect(card).to_contain_text("Healthy")
    expect(card).to_contain_text("Discourse")
    expect(card.get_by_text("waiting")).to_be_visible()  # the review queue count links out

    calls = discourse_sandbox.app.calls.count()
    with page.expect_response(lambda r: "refresh=1" in r.url and r.ok):
        card.get_by_role("button", name="Refresh").click()
    expect(page.locator(f"#forum-card-{connection.pk}")).to_contain_text("Healthy")
    assert discourse_sandbox.app.calls.count() > calls  # asked the forum again


def test_the_form_shows_only_the_chosen_softwares_own_settings(
    page, live_server, make_user, nodebb_sandbox
):
    make_user("ada", "Admin", is_staff=True)
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.goto(live_server.url + reverse("forums:connection-create"))
    master = page.get_by_label("Master token")
    nodebb_help = page.locator('.help [data-platform="nodebb"]').first
    page.get_by_label("Platform").select_option("discourse")
    expect(master).to_be_hidden()
    expect(nodebb_help).to_be_hidden()
    expect(page.locator('.help [data-platform="discourse"]').first).to_be_visible()

    page.get_by_label("Platform").select_option("nodebb")
    expect(master).to_be_visible()
    expect(nodebb_help).to_be_visible()
    page.get_by_label("Name:", exact=True).fill("Sandbox NodeBB")
    page.get_by_label("Address").fill(nodebb_sandbox.url)
    page.get_by_label("Acting as").fill("")
    page.get_by_label("API key").fill(NODEBB_TOKEN)
    master.focus()
    page.keyboard.press("Space")  # ticked from the keyboard: a master token needs the uid
    expect(master).to_be_checked()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("give that user's uid (a number)")).to_be_visible()
    assert not ForumConnection.objects.exists()

    # Still NodeBB after the refused save, its box still ticked and shown; untick and save.
    expect(page.get_by_label("Master token")).to_be_visible()
    page.get_by_label("Master token").uncheck()
    page.get_by_label("API key").fill(NODEBB_TOKEN)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Added Sandbox NodeBB")).to_be_visible()
    assert ForumConnection.objects.get(name="Sandbox NodeBB").settings == {"master_token": False}


def test_the_overview_reads_on_a_phone(page, live_server, make_user, discourse_connection):
    make_user("vera", "Viewer")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "vera", "pw-vera-123")
    card = page.locator(f"#forum-card-{discourse_connection.pk}")
    expect(card).to_contain_text("Healthy")
    box = card.bounding_box()
    assert box is not None and box["width"] <= 390
    # No sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


# --- issue 26, items 12 and 22: the list at a desk and on a phone ------------------------------
PLACEHOLDER_FITS = """(input) => {
  const style = getComputedStyle(input);
  const probe = document.createElement("span");
  probe.style.font = style.font;
  probe.style.whiteSpace = "pre";
  probe.style.position = "absolute";
  probe.textContent = input.placeholder;
  document.body.appendChild(probe);
  const needed = probe.getBoundingClientRect().width;
  probe.remove();
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {needed: Math.ceil(needed), room: Math.floor(room)};
}"""

# The opacity a person sees: the element's own times every ancestor's.
SEEN_OPACITY = """(el) => {
  let seen = 1;
  for (let node = el; node; node = node.parentElement) {
    seen *= parseFloat(getComputedStyle(node).opacity);
  }
  return seen;
}"""


@pytest.mark.parametrize("width", [1366, 360])
def test_a_disabled_forums_row_keeps_its_buttons_whole_and_the_list_fits(
    page, live_server, make_user, discourse_connection, width
):
    make_user("ada", "Admin", is_staff=True)
    ForumConnection.objects.filter(pk=discourse_connection.pk).update(enabled=False)
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.goto(f"{live_server.url}/forums/")
    row = page.locator(f"#connection-{discourse_connection.pk}")
    expect(row).to_contain_text("Disabled")
    enable = row.get_by_role("button", name="Test and enable")
    assert enable.evaluate(SEEN_OPACITY) == 1.0
    assert row.locator("td[data-label=Address]").evaluate(SEEN_OPACITY) < 1.0  # still marked
    # The short Edit link is a button like its neighbours: their height and text size, and
    # not a sliver beside them (at least five letters wide, like "Delete").
    edit = row.get_by_role("link", name="Edit", exact=True).bounding_box()
    test = row.get_by_role("button", name="Test connection").bounding_box()
    delete = row.get_by_role("link", name="Delete").bounding_box()
    assert edit and test and delete and abs(edit["height"] - test["height"]) <= 1
    assert edit["width"] >= 0.9 * delete["width"], (edit, delete)
    sizes = {
        b.evaluate("e => getComputedStyle(e).fontSize")
        for b in (row.get_by_role("link", name="Edit", exact=True), enable)
    }
    assert len(sizes) == 1, sizes
    # The search field shows its whole hint.
    fit = page.locator("#q").evaluate(PLACEHOLDER_FITS)
    assert fit["needed"] <= fit["room"], fit
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def demo_userecho():
    """The demo's sandbox UserEcho, made by the demo's own function with the demo's own key
    and acting user, on a free loopback port."""
    from forums.sandbox.core import RunningSandbox
    from forums.sandbox.demo import DEMO_KEYS, DEMO_USERNAMES, sandbox_app

    app = sandbox_app(
        "userecho", api_key=DEMO_KEYS["userecho"], api_username=DEMO_USERNAMES["userecho"]
    )
    with RunningSandbox(app) as running:
        yield running


def test_the_demo_userecho_forum_can_be_edited_and_disabled(
    page, live_server, make_user, demo_userecho
):
    from django.core.management import call_command

    from forums.sandbox.demo import DEMO_KEYS, DEMO_NAMES

    call_command("demo_connections", f"userecho={demo_userecho.url}", stdout=io.StringIO())
    name = DEMO_NAMES["userecho"]
    make_user("ada", "Admin", is_staff=True)
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.goto(f"{live_server.url}/forums/")

    # Saved unchanged: the key the newcomer never had is not asked for.
    page.locator("tr", has_text=name).get_by_role("link", name="Edit").click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Saved {name}: the test passed")).to_be_visible()
    expect(page.get_by_text("enter the API key again")).to_have_count(0)
    connection = ForumConnection.objects.get(name=name)
    assert connection.enabled
    assert reveal(connection.api_key) == DEMO_KEYS["userecho"]  # the key it was given stays

    page.locator("tr", has_text=name).get_by_role("button", name="Disable").click()
    expect(page.get_by_text(f"{name} is disabled.")).to_be_visible()
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
    expect(page.locator("tr", has_text=name)).to_contain_text("Disabled")
    assert not ForumConnection.objects.get(name=name).enabled
