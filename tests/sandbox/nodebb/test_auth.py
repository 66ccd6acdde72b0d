"""The sandbox NodeBB: authentication (tokens, master tokens, the spider check)."""

from __future__ import annotations

import time

from forums.sandbox.nodebb import MASTER_NO_UID

from .basics import (  # noqa: F401 - the config of this module's sandbox
    AGENT,
    AUTH,
    MASTER_CONFIG,
    NODEBB_SPECS,
    SANDBOX_CONFIG,
    TOKEN,
    call,
    plain_user,
)


# --- authentication --------------------------------------------------------------------------
def test_bad_or_missing_token_is_not_authorised(sandbox):
    for token in ("wrong", None):
        r = call(sandbox, "GET", "/api/v3/users/1", token=token)
        assert r.status_code == 401
        assert r.json()["status"]["code"] == "not-authorised"
    assert call(sandbox, "GET", "/api/v3/users/1").status_code == 200


def test_public_config_answers_guests_even_with_a_bad_token(sandbox):
    assert call(sandbox, "GET", "/api/config", token=None).json()["siteTitle"] == "Sandbox NodeBB"
    # A bad token is a guest: /api/config cannot tell it from a good one (ENDPOINTS.md), but the
    # write API still refuses it.
    guest = call(sandbox, "GET", "/api/config", token="wrong")
    assert guest.status_code == 200 and guest.json()["loggedIn"] is False
    assert call(sandbox, "GET", "/api/v3/users/1", token="wrong").status_code == 401


def test_user_token_acts_as_its_own_uid(sandbox):
    me = call(sandbox, "GET", "/api/self", token="user-token").json()
    assert me["uid"] == 20 and me["isAdmin"] is False
    # A regular member may not ban anyone.
    r = call(sandbox, "PUT", f"/api/v3/users/{plain_user(sandbox)}/ban", token="user-token",
             json={"reason": "x"})  # fmt: skip
    assert r.status_code == 403
    assert r.json()["status"]["message"] == "You do not have enough privileges for this action."


def test_master_token_needs_uid_on_every_call(master):
    r = call(master, "GET", "/api/v3/users/1", token="master-secret")
    assert r.status_code == 400
    assert r.json()["status"]["message"] == MASTER_NO_UID
    for path in ("/api/self", "/api/admin/manage/users"):  # the read API: its error page
        r = call(master, "GET", path, token="master-secret")
        assert r.status_code == 500
        assert r.json()["error"] == "[[error:api.master-token-no-uid]]"
    assert call(master, "GET", "/api/self?_uid=1", token="master-secret").json()["uid"] == 1
    # `_uid` may also come in the JSON body.
    uid = plain_user(master)
    r = call(master, "PUT", f"/api/v3/users/{uid}/mute", token="master-secret",
             json={"_uid": 1, "until": int(time.time() * 1000) + 60_000})  # fmt: skip
    assert r.status_code == 200


def test_master_token_with_a_member_uid_has_only_that_members_rights(master):
    uid = plain_user(master)
    r = call(master, "PUT", f"/api/v3/users/{uid}/ban?_uid=30", token="master-secret", json={})
    assert r.status_code == 403
