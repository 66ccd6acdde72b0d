"""The sandbox UserEcho: paths, the token, the envelope and error codes (1.1-1.3, 1.5)."""

from __future__ import annotations

import pytest
import requests

from .commands import (
    OWNER,
    READ_TOKEN,
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    TOKEN,
    call,
    data,
    error,
    state,
)


# --- 1.1 paths, 1.2 the token ---------------------------------------------------------------
def test_every_command_ends_in_json(sandbox):
    """Trap 1: `.json` is part of every path; without it (or as .xml) the command is unknown."""
    assert len(data(call(sandbox, "GET", "users.json"))) == 50
    for command in ("users", "users.xml", "forums/1/topics"):
        assert "Unknown API method" in error(call(sandbox, "GET", command), 404)


def test_token_in_the_query_or_as_bearer_and_a_bad_one_refused(sandbox):
    """1.2: `?access_token=` [D], `Authorization: Bearer` [C CS:25]; a bad token is 401 [I]."""
    me = data(call(sandbox, "GET", "users/current.json"))
    assert me["id"] == OWNER and me["email"] == "admin@example.com"
    bearer = requests.get(
        f"{sandbox.url}/api/v2/users/current.json",
        timeout=5,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert data(bearer)["id"] == OWNER
    assert error(call(sandbox, "GET", "users/current.json", token="wrong"), 401)
    assert error(call(sandbox, "GET", "users/current.json", token=None), 401)


def test_each_way_of_sending_the_token_can_be_switched_off(sandbox):
    """1.2 [I]: which form a real project accepts is open; the client falls back between them."""
    sandbox.app.configure(accept_bearer=False)
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{sandbox.url}/api/v2/users/current.json"
    assert error(requests.get(url, headers=bearer, timeout=5), 401)
    assert data(call(sandbox, "GET", "users/current.json"))["id"] == OWNER
    sandbox.app.configure(accept_bearer=True, accept_query_token=False)
    assert error(call(sandbox, "GET", "users/current.json"), 401)
    assert data(requests.get(url, headers=bearer, timeout=5))["id"] == OWNER


# --- 1.3 envelope, 1.5 error codes ----------------------------------------------------------
def test_success_and_error_envelopes(sandbox):
    """1.3 [D]: {status: success, data, details?}; errors {status: error, message}."""
    body = call(sandbox, "GET", "forums.json").json()
    assert body["status"] == "success" and body["details"] == {"count": 3, "page": 1, "limit": 50}
    assert [f["name"] for f in body["data"]] == ["Ideas & Feedback", "Support", "Beta program"]
    single = call(sandbox, "GET", "topics/1.json").json()
    assert set(single) == {"status", "data"} and single["data"]["id"] == 1
    assert error(call(sandbox, "GET", "topics/999999.json"), 404) == "Topic 999999 not found"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("4xx", {"auth": 401, "scope": 403, "missing": 404, "invalid": 400, "method": 405}),
        ("200", {"auth": 200, "scope": 200, "missing": 200, "invalid": 200, "method": 200}),
    ],
)
def test_the_http_status_of_an_error_is_configurable(sandbox, mode, expected):
    """1.5 [I] HTTP codes are undocumented: plausible 4xx, or 200 with status "error"."""
    sandbox.app.configure(error_http_status=mode)
    answers = {
        "auth": call(sandbox, "GET", "forums.json", token="wrong"),
        "scope": call(sandbox, "POST", "forums/1/tags.json", token=READ_TOKEN, json={"name": "x"}),
        "missing": call(sandbox, "GET", "users/sso/nobody.json"),
        "invalid": call(sandbox, "POST", "users/groups.json", json={}),
        "method": call(sandbox, "PATCH", "users/groups.json", json={"id": 1}),
    }
    for kind, response in answers.items():
        assert response.status_code == expected[kind], kind
        assert response.json()["status"] == "error", kind
    assert not any(t["name"] == "x" for t in state(sandbox).tags.values())


def test_the_failure_word_can_be_fail(sandbox):
    """Trap 12: INTRO says "error", the PHP client checks "fail"."""
    sandbox.app.configure(failure_word="fail")
    body = call(sandbox, "GET", "topics/999999.json").json()
    assert body == {"status": "fail", "message": "Topic 999999 not found"}
