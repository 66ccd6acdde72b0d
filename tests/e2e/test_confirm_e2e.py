"""Typed confirmation (forums/web/confirm.py) in Chromium: every delete that asks for a typed
name keeps its red button disabled until the name matches, at desktop and phone widths."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _check_the_button_waits_for_the_phrase(page, url: str, field: str, phrase: str, button: str):
    page.goto(url)
    submit = page.get_by_role("button", name=button, exact=True)
    typed = page.get_by_label(field)
    expect(submit).to_be_disabled()
    typed.fill(phrase[:-1])
    expect(submit).to_be_disabled()
    typed.fill(phrase)
    expect(submit).to_be_enabled()
    typed.fill(phrase + "x")
    expect(submit).to_be_disabled()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("width", [1366, 360])
def test_group_tag_and_person_deletes_wait_for_the_typed_name(
    page, live_server, make_user, discourse_connection, discourse_sandbox, width
):
    make_user("moe", "Moderator")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, "moe", "pw-moe-123")
    base = live_server.url

    _check_the_button_waits_for_the_phrase(
        page,
        base + reverse("forums:group-delete", args=[discourse_connection.pk, "translators"]),
        "Type translators to confirm",
        "translators",
        "Propose deleting translators",
    )
    _check_the_button_waits_for_the_phrase(
        page,
        base + reverse("forums:tag-change", args=["billing", "delete"]),
        "Type billing to confirm",
        "billing",
        "Delete",
    )
    # The person delete, which always worked so: the three now behave alike.
    kim = discourse_sandbox.app.add_person(username="kim_lee", email="kim@example.org")
    page.goto(base + reverse("forums:person-action", args=[discourse_connection.pk, kim, "delete"]))
    submit = page.get_by_role("button", name="Delete", exact=True)
    expect(submit).to_be_disabled()
    page.get_by_label("Type kim_lee to confirm").fill("kim_lee")
    expect(submit).to_be_enabled()
