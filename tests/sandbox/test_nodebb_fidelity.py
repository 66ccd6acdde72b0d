"""The NodeBB sandbox against every row of shared/specs/nodebb/ENDPOINTS.md, section "What a
real NodeBB 4.15.1 answers, call by call".

Each test speaks raw HTTP (``requests``) to a running sandbox and its docstring names the row
it checks. Requests carry a product User-Agent, as Forumdeck's client does: NodeBB takes
``python-requests/*`` without a valid token for a spider (one row below checks exactly that).
"""

from __future__ import annotations

import time

import pytest
import requests

from forums.sandbox.core import RunningSandbox
from forums.sandbox.nodebb import NodeBBSandbox, NodeBBSandboxConfig

TOKEN = "fidelity-token"
MASTER = "fidelity-master-token"
AGENT = "Forumdeck-fidelity/1.0"


@pytest.fixture
def sandbox():
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=TOKEN, users=60, user_tokens={"member": 20}))
    with RunningSandbox(app) as running:
        yield running


@pytest.fixture
def master():
    app = NodeBBSandbox(NodeBBSandboxConfig(api_key=MASTER, users=30, master_token=True))
    with RunningSandbox(app) as running:
        yield running


def call(sb, method, path, *, token=TOKEN, agent=AGENT, **kwargs):
    headers = {"User-Agent": agent}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, sb.url + path, headers=headers, timeout=5, **kwargs)


def plain_uid(sb) -> int:
    return next(
        uid
        for uid, user in sorted(sb.app.state.users.items())
        if uid > 2 and not user["banned"] and not user["mutedUntil"]
    )


def user(sb, uid: int) -> dict:
    return call(sb, "GET", f"/api/v3/users/{uid}").json()["response"]


def in_a_week() -> int:
    return int(time.time() * 1000) + 7 * 86_400_000


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


# --- /api/config and /api/self with a bad token -------------------------------------------------
def test_config_answers_the_guest_config_to_a_bad_token(sandbox):
    """Row "`GET /api/config` with a bad token": 200, the guest config."""
    r = call(sandbox, "GET", "/api/config", token="not-a-token")
    assert r.status_code == 200
    assert r.json()["loggedIn"] is False and r.json()["uid"] == 0
    assert call(sandbox, "GET", "/api/config").json()["uid"] == 1  # a good token is a user


def test_self_answers_a_bare_string_to_a_bad_token(sandbox):
    """Row "`GET /api/self` with a bad token": 401 with the bare JSON string "not-authorized"
    (no envelope)."""
    r = call(sandbox, "GET", "/api/self", token="not-a-token")
    assert r.status_code == 401 and r.json() == "not-authorized"


# --- master token -------------------------------------------------------------------------------
def test_read_api_with_a_master_token_and_no_uid_is_a_500_page(master):
    """Row "read API (`/api/self`, `/api/admin/...`) with a master token and no `_uid`": 500
    page JSON with error "[[error:api.master-token-no-uid]]"; the write API answers 400 with
    the envelope instead."""
    for path in ("/api/self", "/api/admin/manage/users"):
        r = call(master, "GET", path, token=MASTER)
        assert r.status_code == 500
        assert r.json()["error"] == "[[error:api.master-token-no-uid]]" and "path" in r.json()
    r = call(master, "GET", "/api/v3/users/1", token=MASTER)
    assert r.status_code == 400 and r.json()["status"]["code"] == "bad-request"
    assert call(master, "GET", "/api/self?_uid=1", token=MASTER).json()["uid"] == 1


def test_an_empty_uid_fails_to_serialize_the_user(master):
    """Row "any call with `_uid=` (empty)": 500 "Failed to serialize user into session"."""
    r = call(master, "GET", "/api/v3/users/1?_uid=", token=MASTER)
    assert r.status_code == 500
    assert r.json()["status"]["message"] == "Failed to serialize user into session"
    r = call(master, "GET", "/api/self?_uid=", token=MASTER)
    assert r.status_code == 500
    assert r.json()["error"] == "Failed to serialize user into session"


# --- no Authorization header --------------------------------------------------------------------
def test_without_a_token_public_pages_answer_a_guest_and_the_write_api_401(sandbox):
    """Row "no `Authorization` header": public read pages answer 200 as a guest (e.g.
    `/api/user/username/admin`); the write API answers 401."""
    r = call(sandbox, "GET", "/api/user/username/admin", token=None)
    assert r.status_code == 200 and r.json()["username"] == "admin"
    assert r.json()["email"] == ""  # a guest sees no e-mail address
    r = call(sandbox, "GET", "/api/v3/users/1", token=None)
    assert r.status_code == 401 and r.json()["status"]["code"] == "not-authorised"


# --- the spider detector ------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_python_requests_without_a_valid_token_is_a_spider(sandbox, token):
    """Row "`User-Agent: python-requests/*` with a bad or missing token": 403 "You are not
    authorised to make this call" instead of 401."""
    agent = requests.utils.default_user_agent()
    r = call(sandbox, "GET", "/api/v3/users/1", token=token, agent=agent)
    assert r.status_code == 403
    assert r.json()["status"] == {
        "code": "forbidden",
        "message": "You are not authorised to make this call",
    }
    assert call(sandbox, "GET", "/api/v3/users/1", token=token).status_code == 401
    assert call(sandbox, "GET", "/api/v3/users/1", agent=agent).status_code == 200


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


# --- topic tags ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_topic_tag_answers_are_tag_objects(sandbox, method):
    """Row "`PUT`/`PATCH /api/v3/topics/{tid}/tags`": tag objects {value, valueEncoded, class}."""
    r = call(sandbox, method, "/api/v3/topics/3/tags", json={"tags": ["release notes"]})
    assert r.status_code == 200
    tags = r.json()["response"]
    assert all(set(t) == {"value", "valueEncoded", "class"} for t in tags)
    assert {"value": "release-notes", "valueEncoded": "release-notes",
            "class": "release-notes"} in tags  # fmt: skip


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


# --- group members ------------------------------------------------------------------------------
def test_group_members_page_by_20_with_after_and_next_start(sandbox):
    """Row "group members (`GET /api/v3/groups/{slug}/members`)": 20 per page with `after` /
    `nextStart`; the response adds matchCount and timing; rows after the first page carry no
    isOwner; the creator of a new group is its owner and a member."""
    first = call(sandbox, "GET", "/api/v3/groups/beta-testers/members").json()["response"]
    assert len(first["users"]) == 20 and first["nextStart"] == 20
    assert {"matchCount", "timing"} <= set(first)
    assert all("isOwner" in row for row in first["users"])
    assert any(row["isOwner"] for row in first["users"])
    second = call(sandbox, "GET", "/api/v3/groups/beta-testers/members",
                  params={"after": first["nextStart"]}).json()["response"]  # fmt: skip
    assert second["users"] and not any("isOwner" in row for row in second["users"])
    assert not {r["uid"] for r in first["users"]} & {r["uid"] for r in second["users"]}
    created = call(sandbox, "POST", "/api/v3/groups", json={"name": "Fresh Group"})
    assert created.status_code == 200
    members = call(sandbox, "GET", "/api/v3/groups/fresh-group/members").json()["response"]
    assert [(r["uid"], r["isOwner"]) for r in members["users"]] == [(1, True)]


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


# --- memberships and groups ---------------------------------------------------------------------
@pytest.mark.parametrize("route", ["membership", "ownership"])
@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_administrators_membership_or_ownership_with_a_token_is_401(sandbox, route, method):
    """Row "membership or ownership of `administrators` with a token": 401 `not-authorised`."""
    r = call(sandbox, method, f"/api/v3/groups/administrators/{route}/5")
    assert r.status_code == 401 and r.json()["status"]["code"] == "not-authorised"
    assert 5 not in sandbox.app.state.groups["administrators"]["members"]


def test_an_unknown_uid_in_a_membership_call_is_invalid_user_id(sandbox):
    """Row "unknown uid in a membership call": 401 "Invalid User ID"."""
    r = call(sandbox, "PUT", "/api/v3/groups/translators/membership/99999")
    assert r.status_code == 401 and r.json()["status"]["message"] == "Invalid User ID"


def test_unknown_group_and_duplicate_name(sandbox):
    """Row "unknown group": 404 "Group does not exist"; a duplicate name on create: 400 "Group
    already exists"."""
    r = call(sandbox, "PUT", "/api/v3/groups/no-such-group/membership/5")
    assert r.status_code == 404 and r.json()["status"]["message"] == "Group does not exist"
    r = call(sandbox, "POST", "/api/v3/groups", json={"name": "Translators"})
    assert r.status_code == 400 and r.json()["status"]["message"] == "Group already exists"


# --- post queue ---------------------------------------------------------------------------------
def test_the_post_queue_adds_custom_reasons(sandbox):
    """Row "`/api/post-queue`": adds `customReasons`."""
    page = call(sandbox, "GET", "/api/post-queue").json()
    assert isinstance(page["customReasons"], list) and page["customReasons"]
    assert page["posts"]


# --- site-wide tag changes ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v3/tags", {"tag": "new-tag"}),
        ("PUT", "/api/v3/tags/help", {"value": "assist"}),
        ("DELETE", "/api/v3/tags/help", None),
        ("PUT", "/api/v3/admin/tags/help", {"newName": "assist"}),
        ("DELETE", "/api/v3/admin/tags", {"tags": ["help"]}),
    ],
)
def test_there_is_no_rest_route_for_site_wide_tag_changes(sandbox, method, path, body):
    """Row "site-wide tag rename / delete / create": no REST route; every tried `/api/v3` path
    answers 404 "Invalid API call"."""
    r = call(sandbox, method, path, json=body)
    assert r.status_code == 404
    assert r.json()["status"] == {"code": "not-found", "message": "Invalid API call"}


def test_socket_io_refuses_a_bearer_token(sandbox):
    """Row "site-wide tag rename / delete / create": socket.io takes the user only from the
    session cookie, so a Bearer token alone is refused (403 on connect)."""
    r = call(sandbox, "GET", "/socket.io/", params={"EIO": 4, "transport": "polling"})
    assert r.status_code == 403
