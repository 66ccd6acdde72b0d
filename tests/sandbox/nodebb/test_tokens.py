"""The sandbox NodeBB: bad tokens, master tokens, no Authorization header and the spider check."""

from __future__ import annotations

import pytest
import requests

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
