"""The UserEcho client against the sandbox UserEcho: finding users and acting on them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forums.clients.errors import (
    CapabilityNotOffered,
    ForumNotFound,
    ForumRejected,
)
from forums.clients.records import Capability
from tests.userecho_fixtures import (
    OWNER,
)

from .helpers import (
    UNKNOWN,
    calls,
    later,
    query,
    state,
    user_by_email,
)


# --- finding users -------------------------------------------------------------------------------
def test_find_by_name_slug_or_email_part_never_creates_anyone(userecho_client, userecho_sandbox):
    """Trap 6: get_or_create and sso_token create the user they do not find."""
    before = len(state(userecho_sandbox).users)
    client = userecho_client()
    found = client.find_users(query="maria")
    assert [u.username for u in found] == ["maria-lopez", "maria-lopes"]
    maria = found[0]
    assert (maria.name, maria.email) == ("Maria Lopez", "maria.lopez@example.org")
    assert [u.username for u in client.find_users(query="lopez@example")] == ["maria-lopez"]
    assert client.find_users(query="nobody-at-all@example.com") == []
    assert client.resolve_users(targets=["ghost@example.com", "no-such-slug"]) == {}
    assert len(state(userecho_sandbox).users) == before
    for record in calls(userecho_sandbox):
        assert "get_or_create" not in record.path
        assert not {"sso_token", "user_sso_guid", "user_id"} & set(query(record))


def test_find_by_email_uses_a_filter_on_email_in_any_case(userecho_client, userecho_sandbox):
    client = userecho_client()
    assert client.get_user_by_email(email="Tom.Becker@example.org").username == "tom-becker"
    (record,) = calls(userecho_sandbox)
    assert query(record)["filter__email__icontains"] == ["Tom.Becker@example.org"]
    with pytest.raises(ForumNotFound):
        client.get_user_by_email(email="nobody@example.org")


def test_find_by_id_confirms_the_answer_is_that_user(userecho_client, userecho_sandbox):
    """Trap 7: users/999999 answers with the token's own user; it is not user 999999."""
    client = userecho_client()
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    assert [u.id for u in client.find_users(query=str(maria["id"]))] == [maria["id"]]
    assert client.find_users(query=str(UNKNOWN)) == []
    with pytest.raises(ForumNotFound, match="another account"):
        client.get_user(user_id=UNKNOWN)
    with pytest.raises(ForumNotFound, match="anonymous"):
        client.get_user(user_id=0)


def test_resolve_users_matches_slug_email_and_id_exactly(userecho_client, userecho_sandbox):
    tom = user_by_email(userecho_sandbox, "tom.becker@example.org")
    found = userecho_client().resolve_users(
        targets=["Maria-Lopez", "TOM.BECKER@example.org", str(tom["id"]), str(UNKNOWN), "maria"]
    )
    assert {k: v.username for k, v in found.items()} == {
        "maria-lopez": "maria-lopez",
        "tom.becker@example.org": "tom-becker",
        str(tom["id"]): "tom-becker",
    }


def test_server_filters_are_checked_again_on_the_client(userecho_client, userecho_sandbox):
    """Trap 16 [C] DA:393: a filter the server ignores returns everyone."""
    userecho_sandbox.app.configure(ignored_filters={"email", "name", "slug", "display_name"})
    client = userecho_client()
    assert [u.username for u in client.find_users(query="tom.becker@")] == ["tom-becker"]
    assert set(client.resolve_users(targets=["maria-lopez"])) == {"maria-lopez"}


def test_status_filters(userecho_client, userecho_sandbox):
    client = userecho_client()
    staff = client.find_users(status="staff")
    assert {u.name for u in staff} == {"Forum Admin", "Support Agent", "Product Manager"}
    assert all(u.moderator for u in staff)
    newcomer = client.find_users(query="", status="new")
    since = datetime.now(tz=UTC) - timedelta(days=30)
    assert all(u.created_at >= since for u in newcomer)
    userecho_sandbox.app.add_person(username="fresh-face", email="fresh@example.net")
    assert "fresh-face" in {u.username for u in client.find_users(status="new")}
    assert "fresh-face" not in {u.username for u in newcomer}
    calls_before = len(calls(userecho_sandbox))
    # UserEcho has no suspension or silence: nobody has that status, and nothing is asked.
    assert client.find_users(query="maria", status="suspended") == []
    assert client.find_users(status="silenced") == []
    assert len(calls(userecho_sandbox)) == calls_before
    with pytest.raises(ValueError):
        client.find_users(status="banned")


def test_user_details_say_groups_are_not_known(userecho_client, userecho_sandbox):
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    details = userecho_client().user_details(user_id=maria["id"])
    assert details.user.username == "maria-lopez"
    assert details.groups_known is False and details.history == ()


@pytest.mark.parametrize(
    ("mode", "name"), [("reference", "Maria Lopez"), ("alternate", "Maria Lopez")]
)
def test_the_users_name_is_read_from_either_spelling(userecho_client, userecho_sandbox, mode, name):
    """Trap 14: `name` (P-GOC) or `display_name` (INTRO)."""
    userecho_sandbox.app.configure(field_names=mode)
    found = userecho_client().find_users(query="maria lopez")
    assert [u.name for u in found] == [name]


# --- acting on users -----------------------------------------------------------------------------
def test_log_out_clears_the_sessions_of_the_user_meant(userecho_client, userecho_sandbox):
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    userecho_client().log_out(user_id=maria["id"])
    assert state(userecho_sandbox).logouts == [maria["id"]]
    logout = [r for r in calls(userecho_sandbox) if r.path.endswith("/logout.json")]
    assert [(r.method, r.path) for r in logout] == [
        ("GET", f"/api/v2/users/{maria['id']}/logout.json")
    ]


def test_log_out_of_an_unknown_user_sends_nothing_and_logs_out_nobody(
    userecho_client, userecho_sandbox
):
    """Trap 7 + trap 8: users/999999/logout would log the token's own user out."""
    with pytest.raises(ForumNotFound, match="nothing was sent"):
        userecho_client().log_out(user_id=UNKNOWN)
    assert state(userecho_sandbox).logouts == []
    assert not [r for r in calls(userecho_sandbox) if "logout" in r.path]


def test_log_out_of_the_tokens_own_user_is_refused_before_anything_is_sent(
    userecho_client, userecho_sandbox
):
    """Issue 22, finding 8: delete had this guard, log out did not."""
    with pytest.raises(ForumRejected, match="API token's own user"):
        userecho_client().log_out(user_id=OWNER)
    assert state(userecho_sandbox).logouts == []
    assert not [r for r in calls(userecho_sandbox) if "logout" in r.path]


def test_no_read_path_calls_the_logout_get(userecho_client, userecho_sandbox):
    later(userecho_sandbox)
    client = userecho_client()
    client.health_check()
    client.find_users(query="maria")
    client.user_details(user_id=OWNER)
    client.discovered_capabilities()
    assert not [r for r in calls(userecho_sandbox) if "logout" in r.path]
    assert state(userecho_sandbox).logouts == []


def test_delete_is_not_offered_where_the_project_lacks_the_later_route(
    userecho_client, userecho_sandbox
):
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    client = userecho_client()
    assert not client.supports(Capability.USER_DELETE)
    assert client.discovered_capabilities() == frozenset()
    with pytest.raises(CapabilityNotOffered, match="later API reference"):
        client.delete_user(user_id=maria["id"])
    assert maria["id"] in state(userecho_sandbox).users


def test_delete_where_the_project_has_the_route(userecho_client, userecho_sandbox):
    later(userecho_sandbox)
    maria = user_by_email(userecho_sandbox, "maria.lopez@example.org")
    client = userecho_client()
    assert client.discovered_capabilities() == {
        Capability.USER_DELETE,
        Capability.GROUP_MEMBERSHIP,
    }
    client.delete_user(user_id=maria["id"])
    assert maria["id"] not in state(userecho_sandbox).users
    deletes = [r.path for r in calls(userecho_sandbox, "DELETE")]
    assert deletes == [f"/api/v2/users/{maria['id']}.json"]


def test_delete_never_reaches_the_token_user_through_the_fallback(
    userecho_client, userecho_sandbox
):
    """Trap 7: DELETE users/999999 must not become "delete the project's owner"."""
    later(userecho_sandbox)
    client = userecho_client()
    with pytest.raises(ForumNotFound, match="another account"):
        client.delete_user(user_id=UNKNOWN)
    with pytest.raises(ForumRejected, match="token's own user"):
        client.delete_user(user_id=OWNER)
    with pytest.raises(CapabilityNotOffered, match="blocking"):
        client.delete_user(user_id=5, block_email=True)
    assert OWNER in state(userecho_sandbox).users
    assert calls(userecho_sandbox, "DELETE") == []


def test_a_read_route_alone_does_not_hide_a_missing_delete(userecho_client, userecho_sandbox):
    """The health check's inference can be wrong: the first call then says "not offered"."""
    userecho_sandbox.app.configure(later_routes={"user_subscriptions"})
    client = userecho_client()
    assert Capability.USER_DELETE in client.discovered_capabilities()
    with pytest.raises(CapabilityNotOffered):
        client.delete_user(user_id=5)
    assert Capability.USER_DELETE not in client.discovered_capabilities()
    assert 5 in state(userecho_sandbox).users


# --- issue 26, item 13 -----------------------------------------------------------------------
def test_a_missing_user_in_words_forumdeck_does_not_know_is_gone(userecho_client, userecho_sandbox):
    """Errors may come with 200 and any wording (ENDPOINTS.md 1.5): the client re-reads what
    must work and then calls the user gone, instead of "UserEcho refused"."""
    app = userecho_sandbox.app
    app.configure(error_http_status="200")
    own_path_user = app.path_user

    def odd_words(request, user_id):
        if user_id == UNKNOWN:
            return app.fail("invalid", "Object matching query does not exist")
        return own_path_user(request, user_id)

    app.path_user = odd_words
    try:
        with pytest.raises(ForumNotFound, match=f"no user #{UNKNOWN} now"):
            userecho_client().get_user(user_id=UNKNOWN)
    finally:
        del app.path_user


def test_an_ignored_filter_falls_back_to_reading_every_account_and_says_so(
    userecho_client, userecho_sandbox
):
    """Issue 22, finding 8: a server ignoring the filters answers everyone's first page; the
    client saw that page hold rows not matching, so it read every account instead of missing
    everyone past the first 100 (ENDPOINTS.md 4.1)."""
    userecho_sandbox.app.configure(ignored_filters={"email", "name", "slug", "display_name"})
    for n in range(130):
        userecho_sandbox.app.add_person(username=f"filler-{n}", email=f"filler{n}@example.net")
    late = userecho_sandbox.app.add_person(username="late-comer", email="late.comer@example.net")
    client = userecho_client()
    found = client.find_users(query="late.comer@example.net")
    assert [u.id for u in found] == [late]
    assert set(client.resolve_users(targets=["late-comer"])) == {"late-comer"}
    assert any("ignored the search filter" in n for n in client.read_notes())


def test_an_honoured_filter_reads_no_more(userecho_client, userecho_sandbox):
    client = userecho_client()
    assert [u.username for u in client.find_users(query="tom.becker@")] == ["tom-becker"]
    assert client.read_notes() == []
