"""The whole walk of issue 26: every page of the menu (and the pages one level below it), as
each of the four roles, at a desk in light mode and on a phone in dark mode. No page may
answer a server error (the page itself or anything htmx fetches into it) and none may scroll
sideways. A role that may not open a page gets the refusal page, which must fit too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forums.roles import ADMIN, APPROVER, MODERATOR, VIEWER
from tests.bulk.helpers import propose_and_plan, usernames
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# (width, height, colour scheme): a desk in light mode, a phone in dark mode.
SCREENS = [(1366, 768, "light"), (360, 740, "dark")]


@pytest.fixture
def world(make_user, discourse_sandbox, discourse_connection, nodebb_connection):
    people = {
        ADMIN: make_user("ada", ADMIN, is_staff=True),
        MODERATOR: make_user("moe", MODERATOR),
        APPROVER: make_user("april", APPROVER),
        VIEWER: make_user("vera", VIEWER),
    }
    action = propose_and_plan(
        proposer=people[MODERATOR],
        connection=discourse_connection,
        kind="group_add",
        targets=usernames(discourse_sandbox, 3, not_in_group="translators"),
        params={"group": "translators"},
    )
    someone = usernames(discourse_sandbox, 1)[0]
    person = next(u for u in discourse_sandbox.app.users.values() if u["username"] == someone)
    pages = [
        reverse("overview"),
        reverse("forums:connection-list"),
        reverse("forums:connection-create"),
        reverse("forums:connection-update", args=[discourse_connection.pk]),
        reverse("forums:people-search") + f"?q={someone}",
        reverse("forums:person-detail", args=[discourse_connection.pk, person["id"]]),
        reverse("forums:people-everywhere") + f"?email={person['email']}",
        reverse("forums:group-list"),
        reverse("forums:group-create"),
        reverse("forums:group-sync"),
        reverse("forums:tag-list"),
        reverse("forums:tag-create"),
        reverse("forums:tag-retag"),
        reverse("forums:tag-group-list", args=[discourse_connection.pk]),
        reverse("forums:review-list"),
        reverse("forums:index-list"),
        reverse("forums:index-detail", args=[discourse_connection.pk]),
        reverse("forums:bulk-list"),
        reverse("forums:bulk-create"),
        reverse("forums:bulk-detail", args=[action.pk]),
        reverse("forums:audit-list"),
        reverse("forums:backup-list"),
        reverse("forums:backup-detail", args=[discourse_connection.pk]),
        reverse("forums:calendar-month"),
        reverse("forums:calendar-agenda"),
        reverse("forums:calendar-feeds"),
        reverse("forums:account-list"),
        reverse("forums:account-create"),
        reverse("forums:lockout-list"),
    ]
    return people, pages


WIDE = """() => {
  const limit = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > limit + 1)
    .slice(0, 6)
    .map(el => `${el.tagName.toLowerCase()}#${el.id}.${[...el.classList].join(".")}`);
}"""


@pytest.mark.parametrize("role", [ADMIN, MODERATOR, APPROVER, VIEWER])
def test_every_page_fits_and_answers_for_every_role(browser, live_server, world, role):
    from django.db import connection

    if role != ADMIN and connection.vendor != "sqlite":
        # What a role sees and how each page fits do not depend on the database; whether every
        # page's queries run on it does, and the Admin opens every page. CI runs the suite on
        # both databases, so the other three roles (two minutes) are walked on one of them.
        pytest.skip("walked on the embedded defaults; on PostgreSQL the Admin walks every page")
    people, pages = world
    user = people[role]
    for width, height, scheme in SCREENS:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=scheme,
            timezone_id="America/Toronto",
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        errors: list[str] = []
        page.on(
            "response",
            lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )
        try:
            sign_in(page, live_server, user.username, f"pw-{user.username}-123")
            for path in pages:
                what = f"{role} at {width} px ({scheme}): {path}"
                response = page.goto(live_server.url + path)
                assert response is not None and response.status < 500, what
                # Streamed and htmx-filled parts have arrived once nothing is in flight.
                page.wait_for_load_state("networkidle")
                assert "Something went wrong" not in page.content(), what
                wide = page.evaluate("() => document.documentElement.scrollWidth")
                screen = page.evaluate("() => document.documentElement.clientWidth")
                assert wide <= screen, f"{what}: {wide} px on {screen}: {page.evaluate(WIDE)}"
                if scheme == "dark":
                    # Dark mode really is on: the page's background is dark, its text light.
                    dark = page.evaluate(
                        """() => {
                          const rgb = getComputedStyle(document.body).backgroundColor
                            .match(/\\d+/g).slice(0, 3).map(Number);
                          return rgb.reduce((a, b) => a + b, 0) / 3 < 100;
                        }"""
                    )
                    assert dark, f"{what}: not drawn dark"
            assert errors == [], f"{role} at {width} px: server errors {errors}"
        finally:
            context.close()
