"""The sandbox NodeBB as NodeBB 4.15.1 answers about users: bans, mutes, their history, the ACP
user list and admins."""

from __future__ import annotations

import pytest

from forums.sandbox.core import RunningSandbox
from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig

from .served import (  # noqa: F401 - the config of this module's sandbox
    AGENT,
    MASTER,
    MASTER_CONFIG,
    SANDBOX_CONFIG,
    TOKEN,
    call,
    in_a_week,
    plain_uid,
    user,
)


# --- unban / unmute without a body --------------------------------------------------------------
@pytest.mark.parametrize("kind", ["ban", "mute"])
def test_lifting_without_a_body_fails_with_nodebbs_type_error(sandbox, kind):
    """Row "`DELETE /api/v3/users/{uid}/ban` or `/mute` with no body and no `?reason=`": 400
    "Cannot read properties of undefined (reading 'reason')"; the user stays banned/muted."""
    uid = plain_uid(sandbox)
    assert call(sandbox, "PUT", f"/api/v3/users/{uid}/{kind}", json={"until": in_a_week()}).ok
    flag = "banned" if kind == "ban" else "muted"
    for suffix in ("", "?reason="):  # an empty ?reason= falls through to the missing body
        r = call(sandbox, "DELETE", f"/api/v3/users/{uid}/{kind}{suffix}")
        assert r.status_code == 400
        assert r.json() == {
            "status": {
                "code": "bad-request",
                "message": "Cannot read properties of undefined (reading 'reason')",
            },
            "response": {},
        }
        assert user(sandbox, uid)[flag] is True


@pytest.mark.parametrize("kind", ["ban", "mute"])
def test_lifting_with_an_empty_body_or_a_reason_works(sandbox, kind):
    """Row "`DELETE /api/v3/users/{uid}/ban` or `/mute` with no body": a JSON body `{}` or a
    non-empty `?reason=` gives 200."""
    uid = plain_uid(sandbox)
    flag = "banned" if kind == "ban" else "muted"
    for how in ({"json": {}}, {"params": {"reason": "appeal"}}):
        call(sandbox, "PUT", f"/api/v3/users/{uid}/{kind}", json={"until": in_a_week()})
        assert user(sandbox, uid)[flag] is True
        r = call(sandbox, "DELETE", f"/api/v3/users/{uid}/{kind}", **how)
        assert r.status_code == 200 and r.json()["status"]["code"] == "ok"
        assert user(sandbox, uid)[flag] is False


# --- moderation history -------------------------------------------------------------------------
def test_history_entries_carry_type_and_string_times(sandbox):
    """Row "`/api/user/{slug}/info` moderation history": entries carry `type` (ban, unban,
    mute, unmute); `expire` and `timestamp` are strings; an unban or unmute is its own entry
    ({"type":"unban","expire":null,"until":null,"reason":"x"}); the page has moderationNotes."""
    uid = plain_uid(sandbox)
    until = in_a_week()
    call(sandbox, "PUT", f"/api/v3/users/{uid}/ban", json={"until": until, "reason": "spam"})
    call(sandbox, "DELETE", f"/api/v3/users/{uid}/ban", json={"reason": "x"})
    call(sandbox, "PUT", f"/api/v3/users/{uid}/mute", json={"until": until, "reason": "rude"})
    call(sandbox, "DELETE", f"/api/v3/users/{uid}/mute", json={})
    slug = user(sandbox, uid)["userslug"]
    info = call(sandbox, "GET", f"/api/user/{slug}/info").json()
    bans, mutes = info["history"]["bans"], info["history"]["mutes"]
    assert [e["type"] for e in bans[:2]] == ["unban", "ban"]
    assert [e["type"] for e in mutes[:2]] == ["unmute", "mute"]
    unban, ban = bans[0], bans[1]
    assert (unban["expire"], unban["until"], unban["reason"]) == (None, None, "x")
    assert ban["expire"] == str(until) and ban["until"] == until
    assert all(isinstance(e["timestamp"], str) for e in bans + mutes)
    assert info["moderationNotes"] == []


# --- user record after a mute -------------------------------------------------------------------
def test_a_muted_user_record(sandbox):
    """Row "user record after a mute": has `muted_until_readable`; for a user who is not banned,
    `banned_until_readable` is "[[user:info.banned-permanently]]"; no `location` or `website`."""
    uid = plain_uid(sandbox)
    before = user(sandbox, uid)
    assert "muted_until_readable" not in before
    call(sandbox, "PUT", f"/api/v3/users/{uid}/mute", json={"until": in_a_week()})
    record = user(sandbox, uid)
    assert record["muted"] is True and record["muted_until_readable"]
    assert record["banned"] is False
    assert record["banned_until_readable"] == "[[user:info.banned-permanently]]"
    assert "location" not in record and "website" not in record


# --- ACP user list ------------------------------------------------------------------------------
def test_acp_user_count_is_always_the_total(sandbox):
    """Row "`GET /api/admin/manage/users`": userCount is always the total number of users,
    whatever query or filters; a search adds matchCount, timing and searchBy_<field>;
    resultsPerPage snaps to 50/100/250/500."""
    total = len(sandbox.app.state.users)
    banned = call(sandbox, "GET", "/api/admin/manage/users", params={"filters": "banned"}).json()
    assert banned["userCount"] == total > len(banned["users"])
    found = call(sandbox, "GET", "/api/admin/manage/users",
                 params={"query": "admin", "searchBy": "username"}).json()  # fmt: skip
    assert found["userCount"] == total
    assert found["matchCount"] == len(found["users"]) == 1
    assert isinstance(found["timing"], str) and found["searchBy_username"] is True
    odd = call(sandbox, "GET", "/api/admin/manage/users", params={"resultsPerPage": 75}).json()
    assert odd["resultsPerPage"] == 50


def test_acp_user_list_pages_and_sorts_as_nodebb_does():
    """Row "`GET /api/admin/manage/users`" (userCount always the total, resultsPerPage snaps
    to 50/100/250/500) and Users / "list/search users (ACP)" (`sortBy`, `sortDirection`,
    `filters`, `page`): without a sort or a filter NodeBB reads `users:online`, newest
    visit first (read.yaml's schema names `sort_lastonline`); a sort reads that field's set,
    descending unless `sortDirection=asc`; a page past the end is empty."""
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=TOKEN, users=1100))
    with RunningSandbox(app) as sb:
        total = len(app.state.users)

        def page(**params):
            return call(sb, "GET", "/api/admin/manage/users", params=params).json()

        plain = page(resultsPerPage=500)
        assert plain["sortBy"] == "lastonline" and plain["sort_lastonline"] is True
        seen = [u["lastonline"] for u in plain["users"]]
        assert len(seen) == 500 and seen == sorted(seen, reverse=True)
        assert plain["pageCount"] == 3 and plain["userCount"] == total
        assert "matchCount" not in plain  # only a search counts its matches

        rows = []
        for number in (1, 2, 3):
            got = page(resultsPerPage=500, sortBy="joindate", sortDirection="asc", page=number)
            assert got["userCount"] == total and got["reverse"] is False
            rows += got["users"]
        assert len(rows) == total == len({u["uid"] for u in rows})
        assert [u["joindate"] for u in rows] == sorted(u["joindate"] for u in rows)
        assert page(resultsPerPage=500, sortBy="joindate", page=4)["users"] == []

        snapped = page(resultsPerPage=1000, sortBy="postcount")
        assert snapped["resultsPerPage"] == 50 and len(snapped["users"]) == 50
        counts = [u["postcount"] for u in snapped["users"]]
        assert counts == sorted(counts, reverse=True)

        banned = page(resultsPerPage=500, filters="banned", sortBy="joindate")
        assert banned["users"] and all(u["banned"] for u in banned["users"])
        assert banned["userCount"] == total and banned["filterBy_banned"] is True
        assert len(banned["users"]) == sum(1 for u in app.state.users.values() if u["banned"])


# --- admins -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "message"),
    [("ban", "You can't ban other admins!"), ("mute", "You can't mute other admins!")],
)
def test_banning_or_muting_an_admin_is_400(sandbox, kind, message):
    """Row "ban or mute an admin": 400 "You can't ban other admins!" / "You can't mute other
    admins!"."""
    r = call(sandbox, "PUT", f"/api/v3/users/1/{kind}", json={"until": in_a_week()})
    assert r.status_code == 400 and r.json()["status"]["message"] == message


def test_bulk_delete_with_an_admin_is_refused_whole_and_untranslated(sandbox):
    """Row "bulk `DELETE /api/v3/users` with an admin uid in `uids`": 400
    `[[error:cant-delete-other-admins]]` (untranslated) for the whole call."""
    victims = [plain_uid(sandbox)]
    r = call(sandbox, "DELETE", "/api/v3/users", json={"uids": [*victims, 1]})
    assert r.status_code == 400
    assert r.json()["status"]["message"] == "[[error:cant-delete-other-admins]]"
    assert call(sandbox, "GET", f"/api/v3/users/{victims[0]}").status_code == 200
