"""Sign-in lockouts in People & roles (finding 6): a list with one Unlock per account, times in
the viewer's zone, and a sign-in page that names it."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from forums.models import AuditEntry
from forums.roles import ADMIN, APPROVER, VIEWER

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.fixture
def vera_locked_out(make_user):
    make_user("vera", VIEWER)
    client = Client()
    for _ in range(5):
        last = sign_in(client, "vera", "guess")
    assert last.status_code == 429
    # The page the locked-out person reads names where an Admin lifts it.
    assert "People &amp; roles → Sign-in lockouts" in last.content.decode()
    return client


def test_an_admin_sees_who_is_locked_out_and_unlocks_them(vera_locked_out, make_user):
    make_user("walt", VIEWER)
    admin = Client()
    admin.force_login(make_user("ada", ADMIN, is_staff=True))
    admin.cookies["forumdeck_tz"] = "Asia/Tokyo"
    people = admin.get(reverse("forums:account-list")).content.decode()
    assert f'href="{reverse("forums:lockout-list")}"' in people and "Sign-in lockouts" in people
    page = admin.get(reverse("forums:lockout-list")).content.decode()
    assert "vera" in page and "walt" not in page.split("<table")[-1]
    assert page.count(">Unlock</button>") == 1
    assert " JST</time>" in page  # the viewer's zone, shown
    response = admin.post(reverse("forums:lockout-unlock"), {"username": "vera"}, follow=True)
    assert "Unlocked vera" in response.content.decode()
    assert "Nobody is locked out" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="vera").exists()
    entry = AuditEntry.objects.get(action="account.unlock")
    assert entry.target == "vera" and entry.actor.username == "ada"
    # vera signs in again at once.
    assert sign_in(vera_locked_out, "vera", "pw-vera-123").status_code == 302


def test_an_empty_list_says_what_it_is_for(client, make_user):
    client.force_login(make_user("ada", ADMIN, is_staff=True))
    page = client.get(reverse("forums:lockout-list")).content.decode()
    assert "Nobody is locked out" in page


def test_only_admins_see_or_lift_lockouts(vera_locked_out, make_user):
    for role in (VIEWER, APPROVER):
        client = Client()
        client.force_login(make_user(f"someone-{role}", role))
        assert client.get(reverse("forums:lockout-list")).status_code == 403
        forged = client.post(reverse("forums:lockout-unlock"), {"username": "vera"})
        assert forged.status_code == 403
    assert AccessAttempt.objects.filter(username="vera").exists()
