"""A refusal (403) names the roles that would allow the page and the Admins to ask."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def refused(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 403
    return response.content.decode()


def test_a_viewer_is_told_which_role_allows_it_and_which_admins_to_ask(make_user):
    make_user("ada", "Admin", first_name="Ada", last_name="Lovelace")
    make_user("bo", "Admin")
    make_user("gone", "Admin", is_active=False)  # cannot help: not named
    vera = make_user("vera", "Viewer")
    html = refused(vera, reverse("forums:bulk-create"))
    assert (
        "This needs the Moderator or Admin role; you are a Viewer. "
        "Ask an Admin for it: Ada Lovelace (ada), bo." in html
    )
    assert "gone" not in html
    approve_only = refused(make_user("moe", "Moderator"), reverse("forums:connection-create"))
    assert "This needs the Admin role; you are a Moderator." in approve_only


def test_someone_without_a_role_and_no_admin_yet_is_told_whom_to_ask(make_user):
    nobody = make_user("newcomer")
    html = refused(nobody, reverse("forums:audit-list"))
    assert "This needs the Viewer, Moderator, Approver or Admin role; you have no role yet." in html
    assert "Ask an Admin of this Forumdeck for it." in html
