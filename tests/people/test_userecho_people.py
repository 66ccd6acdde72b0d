"""People pages with a UserEcho forum among Discourse and NodeBB: what it offers (log out,
delete where the project has the route) and what it does not (no ban: left out by name)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from forums.bulk.services import bulk_action_propose
from forums.models import AuditEntry, BulkAction
from forums.sandbox.userecho import LATER_ROUTES
from tests.userecho_fixtures import USERECHO_TOKEN

pytestmark = pytest.mark.django_db

EMAIL = "kim.lee@example.org"


@pytest.fixture
def kim(discourse_sandbox, nodebb_sandbox, userecho_sandbox, discourse_connection,
        nodebb_connection, userecho_connection):  # fmt: skip
    """One person with an account on all three sandbox forums."""
    return {
        "discourse": discourse_sandbox.app.add_person(
            username="kim_lee", email=EMAIL, name="Kim Lee"
        ),
        "nodebb": nodebb_sandbox.app.add_person(username="kimlee", email=EMAIL, name="Kim Lee"),
        "userecho": userecho_sandbox.app.add_person(
            username="kim-lee", email=EMAIL, name="Kim Lee"
        ),
    }


def person_url(connection, user_id):
    return reverse("forums:person-detail", args=[connection.pk, user_id])


def test_search_finds_one_person_on_three_forums(viewer_client, kim):
    html = viewer_client.get(
        reverse("forums:people-search"), {"q": EMAIL}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "on 3 forums" in html
    assert "kim_lee" in html and "kimlee" in html and "kim-lee" in html
    assert "<strong>Sandbox UserEcho</strong>:" in html and "1 account" in html
    by_name = viewer_client.get(
        reverse("forums:people-search"), {"q": "kim"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "kim-lee" in by_name


def test_the_person_page_offers_log_out_and_no_penalty(moderator_client, kim, userecho_connection):
    html = moderator_client.get(person_url(userecho_connection, kim["userecho"])).content.decode()
    assert "Log out everywhere" in html
    for absent in (">Suspend<", ">Ban<", ">Silence<", ">Mute<", ">Delete<"):
        assert absent not in html
    assert "Sandbox UserEcho does not say which groups a user is in." in html
    assert "Current penalties" not in html and "Moderation history" not in html
    assert USERECHO_TOKEN not in html


def test_log_out_from_the_person_page_is_audited(
    moderator_client, kim, userecho_connection, userecho_sandbox
):
    url = reverse("forums:person-action", args=[userecho_connection.pk, kim["userecho"], "log_out"])
    html = moderator_client.post(
        url, {"username": "kim-lee"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "kim-lee is logged out of every session." in html
    assert userecho_sandbox.app.state.logouts == [kim["userecho"]]
    entry = AuditEntry.objects.get(action="user.log_out")
    assert (entry.target, entry.outcome, entry.connection_name) == (
        "kim-lee",
        "success",
        "Sandbox UserEcho",
    )
    assert USERECHO_TOKEN not in f"{entry.message} {entry.details}" and USERECHO_TOKEN not in html


def test_log_out_of_an_id_userecho_does_not_have_logs_out_nobody(
    moderator_client, kim, userecho_connection, userecho_sandbox
):
    """Trap 7: users/999999 answers with the token's own user; nothing is sent for it."""
    url = reverse("forums:person-action", args=[userecho_connection.pk, 999999, "log_out"])
    html = moderator_client.post(
        url, {"username": "ghost"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "ghost no longer exists on Sandbox UserEcho" in html
    assert userecho_sandbox.app.state.logouts == []


def test_log_out_of_the_accounts_forumdeck_acts_as_is_refused_in_plain_words(
    moderator_client, kim, userecho_connection, userecho_sandbox
):
    """Issue 22, finding 8: "Log out everywhere" on the token's own user is not sent."""
    owner = userecho_sandbox.app.state.users[1]
    url = reverse("forums:person-action", args=[userecho_connection.pk, 1, "log_out"])
    html = moderator_client.post(
        url, {"username": owner["slug"]}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "API key acts as on Sandbox UserEcho" in html
    assert userecho_sandbox.app.state.logouts == []
    assert not AuditEntry.objects.filter(action="user.log_out").exists()


def test_delete_is_offered_where_the_project_has_the_route(
    moderator_client, kim, userecho_connection, userecho_sandbox
):
    userecho_sandbox.app.configure(later_routes=set(LATER_ROUTES))
    page = moderator_client.get(person_url(userecho_connection, kim["userecho"])).content.decode()
    assert ">Delete<" in page
    url = reverse("forums:person-action", args=[userecho_connection.pk, kim["userecho"], "delete"])
    form = moderator_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Delete their posts too" not in form
    assert "UserEcho decides what happens to a deleted user" in form
    moderator_client.post(url, {"username": "kim-lee", "confirm": "kim-lee"})
    assert kim["userecho"] not in userecho_sandbox.app.state.users
    assert AuditEntry.objects.get(action="user.delete").outcome == "success"


def test_a_forged_delete_where_the_route_is_missing_changes_nothing(
    moderator_client, kim, userecho_connection, userecho_sandbox
):
    url = reverse("forums:person-action", args=[userecho_connection.pk, kim["userecho"], "delete"])
    response = moderator_client.post(
        url, {"username": "kim-lee", "confirm": "kim-lee"}, headers={"HX-Request": "true"}
    )
    assert "does not offer" in response.content.decode()
    assert kim["userecho"] in userecho_sandbox.app.state.users
    assert userecho_sandbox.app.calls.count(method="DELETE") == 0


def test_ban_everywhere_leaves_out_userecho_by_name(
    moderator_client, kim, discourse_connection, nodebb_connection, userecho_connection
):
    page = moderator_client.get(
        reverse("forums:people-everywhere") + f"?email={EMAIL}"
    ).content.decode()
    assert "kim_lee" in page and "kimlee" in page
    assert "Left out: <strong>Sandbox UserEcho</strong> (UserEcho does not offer" in page
    assert f'value="{userecho_connection.pk}:kim-lee"' not in page
    moderator_client.post(
        reverse("forums:people-everywhere"),
        {
            "email": EMAIL,
            "confirm_step": "1",
            "reason": "Ban evasion",
            "until": "30 days",
            "account": [f"{discourse_connection.pk}:kim_lee", f"{nodebb_connection.pk}:kimlee"],
        },
    )
    action = BulkAction.objects.get()
    assert set(action.connections.all()) == {discourse_connection, nodebb_connection}


def test_selected_userecho_accounts_alone_cannot_be_banned(
    moderator_client, kim, userecho_connection
):
    response = moderator_client.post(
        reverse("forums:people-bulk"),
        {"kind": "suspend", "account": [f"{userecho_connection.pk}:kim-lee"]},
        follow=True,
    )
    html = response.content.decode()
    assert "Sandbox UserEcho: UserEcho does not offer" in html
    assert not BulkAction.objects.exists()


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("delete_users", {}),
        ("suspend", {"reason": "spam", "until": "7 days"}),
        ("silence", {"reason": "spam", "until": "7 days"}),
        # No member list to skip no-ops with (ENDPOINTS.md 3.2).
        ("group_add", {"group": "Team"}),
        ("group_remove", {"group": "Team"}),
    ],
)
def test_a_bulk_kind_userecho_cannot_do_is_refused_before_planning(
    moderator, userecho_connection, kind, params
):
    with pytest.raises(ValidationError, match="Sandbox UserEcho \\(UserEcho\\) does not offer"):
        bulk_action_propose(
            actor=moderator,
            kind=kind,
            connections=[userecho_connection],
            params=params,
            targets_text="kim-lee",
        )
    assert not BulkAction.objects.exists()


def test_a_search_where_userecho_ignored_the_filter_says_it_read_every_account(
    viewer_client, kim, userecho_sandbox
):
    """Issue 22, finding 8: the fallback to a full read is said on the forum's line."""
    userecho_sandbox.app.configure(ignored_filters={"email", "name", "slug", "display_name"})
    html = viewer_client.get(
        reverse("forums:people-search"), {"q": EMAIL, "live": "1"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "kim-lee" in html
    assert "UserEcho ignored the search filter" in html
