"""On a phone (issue 14, finding 14): no page is wider than a 360 px screen, stacked table
rows label every value, and the sticky bulk bar never covers the results. In Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from forums.bulk import engine
from tests.bulk.helpers import approve, propose_and_plan, usernames
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "robin.vale@example.net"
WIDTHS = (360, 390)

# What sticks out, for the failure message.
OFFENDERS = """() => {
  const limit = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > limit + 1
                  || (el.scrollWidth > el.clientWidth + 1
                      && getComputedStyle(el).overflowX === "visible"))
    .slice(0, 12)
    .map(el => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join(".")}`
               + ` right=${Math.round(el.getBoundingClientRect().right)}`
               + ` scroll=${el.scrollWidth} client=${el.clientWidth}`);
}"""


CLIPPED = """() => {
  const edge = document.querySelector("#content").getBoundingClientRect().right + 1;
  return [...document.querySelectorAll(
      "#content input:not([type=hidden]), #content select, #content textarea, "
      + "#content button, #content .button, #content table, #content progress")]
    .filter(el => el.getClientRects().length && el.getBoundingClientRect().right > edge)
    .slice(0, 8)
    .map(el => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join(".")}`
               + ` right=${Math.round(el.getBoundingClientRect().right)} edge=${Math.round(edge)}`);
}"""


def assert_fits(page, what: str) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    screen = page.evaluate("() => document.documentElement.clientWidth")
    assert wide <= screen, f"{what}: {wide} px wide on a {screen} px screen: " + ", ".join(
        page.evaluate(OFFENDERS)
    )
    # A box that clips (the admin's .module hides overflow) hides what sticks out of it
    # instead of widening the page: no field or button may end past the content's edge.
    clipped = page.evaluate(CLIPPED)
    assert clipped == [], f"{what}: cut off at the right edge: {clipped}"


def assert_stacked_rows_are_labelled(page, table: str, what: str) -> None:
    """Every value cell of a stacked table says what it is (its data-label, shown by CSS)."""
    unlabelled = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector + " tbody td")]
             .filter(td => td.textContent.trim() && !td.classList.contains("select")
                           && !td.classList.contains("actions")
                           && getComputedStyle(td, "::before").content.replace(/"/g, "") === "")
             .map(td => td.textContent.trim().slice(0, 30))""",
        table,
    )
    assert unlabelled == [], f"{what}: unlabelled values {unlabelled[:5]}"


@pytest.fixture
def world(make_user, discourse_sandbox, nodebb_sandbox, discourse_connection, nodebb_connection):
    ada = make_user("ada", "Admin", "Moderator", is_staff=True)
    april = make_user("april", "Approver")
    person = discourse_sandbox.app.add_person(username="robin_vale", email=EMAIL, name="Robin Vale")
    nodebb_sandbox.app.add_person(username="robinv", email=EMAIL, name="Robin Vale")
    action = propose_and_plan(
        proposer=ada,
        connection=discourse_connection,
        kind="suspend",
        targets=usernames(discourse_sandbox, 6),
        params={
            "reason": "A long reason that a phone has to wrap " * 3,
            "until": "2031-01-15T12:00:00+00:00",
            "message": "Please read the rules.",
        },
    )
    approve(action, april)
    engine.run_action(action.pk)
    waiting = propose_and_plan(
        proposer=april,
        connection=discourse_connection,
        kind="group_add",
        targets=usernames(discourse_sandbox, 4, not_in_group="translators"),
        params={"group": "translators"},
    )
    return {"person": person, "action": action, "waiting": waiting}


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_a_phone(page, live_server, world, discourse_connection, width):
    page.set_viewport_size({"width": width, "height": 780})
    sign_in(page, live_server, "ada", "pw-ada-123")
    base = live_server.url
    expect(page.locator(f"#forum-card-{discourse_connection.pk}")).to_contain_text("Healthy")
    assert_fits(page, "overview")

    page.goto(f"{base}/forums/")
    assert_fits(page, "forums")
    assert_stacked_rows_are_labelled(page, ".connection-table", "forums")

    page.goto(f"{base}/forums/{discourse_connection.pk}/edit/")
    assert_fits(page, "forum form")
    page.goto(f"{base}/forums/new/")
    assert_fits(page, "new forum form")

    page.goto(f"{base}/forums/people/?q=robin")
    expect(page.locator(".person").first).to_be_visible()
    assert_fits(page, "people")
    assert_stacked_rows_are_labelled(page, ".people-table", "people")

    page.goto(f"{base}/forums/people/{discourse_connection.pk}/{world['person']}/")
    assert_fits(page, "person")
    page.get_by_role("link", name="Suspend", exact=True).click()
    expect(page.locator("#moderation-panel form")).to_be_visible()
    assert_fits(page, "person with the suspend form")
    page.goto(f"{base}/forums/people/{discourse_connection.pk}/{world['person']}/suspend/")
    assert_fits(page, "the action page")

    page.goto(f"{base}/forums/bulk/")
    assert_fits(page, "bulk list")
    assert_stacked_rows_are_labelled(page, ".bulk-table", "bulk list")

    page.goto(f"{base}/forums/bulk/new/")
    assert_fits(page, "propose")

    page.goto(f"{base}/forums/bulk/{world['action'].pk}/")
    expect(page.locator(".items-table")).to_be_visible()
    assert_fits(page, "bulk action page")
    assert_stacked_rows_are_labelled(page, ".items-table", "bulk items")
    assert_stacked_rows_are_labelled(page, ".plan-table", "plan")

    page.goto(f"{base}/forums/bulk/{world['waiting'].pk}/")
    assert_fits(page, "a bulk action waiting for approval")

    page.goto(f"{base}/forums/audit/")
    assert_fits(page, "audit log")
    assert_stacked_rows_are_labelled(page, ".audit-table", "audit log")


def test_the_bulk_bar_never_covers_the_results_on_a_phone(
    page, live_server, world, discourse_sandbox
):
    for n in range(12):
        discourse_sandbox.app.add_person(
            username=f"robin_{n}", email=f"robin{n}@example.net", name=f"Robin {n}"
        )
    page.set_viewport_size({"width": 390, "height": 780})
    sign_in(page, live_server, "ada", "pw-ada-123")
    page.goto(f"{live_server.url}/forums/people/?q=robin")
    expect(page.locator(".bulk-bar")).to_be_visible()
    covered = page.evaluate(
        """() => {
          const bar = document.querySelector(".bulk-bar").getBoundingClientRect();
          const hidden = [];
          for (const row of document.querySelectorAll(".people-table tr")) {
            row.scrollIntoView({block: "end"});
            const bar = document.querySelector(".bulk-bar").getBoundingClientRect();
            const r = row.getBoundingClientRect();
            if (r.bottom > bar.top + 1 && r.top < bar.bottom - 1) { hidden.push(r.height); }
          }
          return hidden;
        }"""
    )
    assert covered == [], f"the bulk bar covers {len(covered)} rows"
