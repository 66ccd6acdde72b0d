"""The sandbox UserEcho: token scopes, acting as another user and the fallback trap."""

from __future__ import annotations

import copy

from .commands import (
    AGENT,
    AGENT_TOKEN,
    OWNER,
    READ_TOKEN,
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
    state,
    tag_named,
    topic_in,
)


# --- token scopes ---------------------------------------------------------------------------
def test_a_read_token_reads_but_every_write_is_refused(sandbox):
    """Trap 11 / 1.5 [I]: a read-only token calling a write gets a scope error (403)."""
    assert len(data(call(sandbox, "GET", "forums/1/tags.json", token=READ_TOKEN))) == 8
    tag = tag_named(sandbox, 1, "bug")
    before = copy.deepcopy(state(sandbox).tags)
    writes = [
        ("PUT", "forums/1/tags.json", {"id": tag, "name": "defect"}),
        ("DELETE", "forums/1/tags.json", {"id": tag}),
        ("POST", "forums/1/topics.json", {"header": "x", "type": 1}),
        ("PUT", "forums/1/topics.json", {"id": 1, "tags": []}),
        ("DELETE", "topics/1.json", None),
        ("POST", "users/get_or_create.json", {"email": "new@example.com"}),
    ]
    for method, command, body in writes:
        message = error(call(sandbox, method, command, token=READ_TOKEN, json=body), 403)
        assert "Access denied" in message, command
    assert state(sandbox).tags == before and 1 in state(sandbox).topics
    assert state(sandbox).user_by_email("new@example.com") is None


def test_a_write_token_cannot_do_what_needs_all(sandbox):
    """SEED [D]: groups, logout, get_or_create need "all"; "write, all" rows take either."""
    assert (
        data(
            call(
                sandbox,
                "POST",
                "forums/1/tags.json",
                token=AGENT_TOKEN,
                json={"name": "agent-made"},
            )
        )["name"]
        == "agent-made"
    )
    for method, command in (
        ("GET", "users/groups.json"),
        ("GET", "users/5/logout.json"),
        ("GET", "hooks.json"),
    ):
        assert error(call(sandbox, method, command, token=AGENT_TOKEN), 403)
    assert state(sandbox).logouts == []


def test_own_topics_need_read_but_anyone_elses_need_all(sandbox):
    """U13/U14 [D] SEED:52-53, 69-70: "read - self, manage - all"."""
    own = call(sandbox, "GET", f"users/{AGENT}/comments.json", token=AGENT_TOKEN)
    assert all(c["author"]["id"] == AGENT for c in data(own))
    author = topic_in(sandbox, 1)["author_id"]
    assert error(call(sandbox, "GET", f"users/{author}/topics.json", token=AGENT_TOKEN), 403)
    assert data(call(sandbox, "GET", f"users/{author}/topics.json"))


# --- acting as another user and the fallback trap -------------------------------------------
def test_user_id_acts_as_that_user_and_zero_is_anonymous(sandbox):
    """SEED:112-117 [D]: an "all" token acts as `user_id`; 0 is the anonymous user."""
    assert data(call(sandbox, "GET", "users/current.json", params={"user_id": 7}))["id"] == 7
    anonymous = data(call(sandbox, "GET", "users/current.json", params={"user_id": 0}))
    assert anonymous["id"] == 0 and anonymous["is_authenticated"] is False


def test_an_unknown_user_id_silently_falls_back_to_the_token_user(sandbox):
    """Trap 7 [D] SEED:116-117: unknown user_id / user_sso_guid answer and act as the token's
    own user, with success."""
    for params in ({"user_id": 999999}, {"user_sso_guid": "no-such-guid"}):
        me = data(call(sandbox, "GET", "users/current.json", params=params))
        assert me["id"] == OWNER and me["email"] == "admin@example.com"
    # A comment meant to be written as user 999999 is recorded as the admin's.
    topic = topic_in(sandbox, 1)
    comment = data(
        call(
            sandbox,
            "POST",
            f"topics/{topic['id']}/comments.json",
            json={"text": "On behalf of someone", "user_id": 999999},
        )
    )
    assert comment["author"]["id"] == OWNER
    as_known = data(
        call(
            sandbox,
            "POST",
            f"topics/{topic['id']}/comments.json",
            json={"text": "As user 9", "user_id": 9},
        )
    )
    assert as_known["author"]["id"] == 9


def test_only_an_all_token_acts_for_others(sandbox):
    """SEED:112 [D] "If your key has a "all" access rights"; [I] other tokens are themselves."""
    me = data(call(sandbox, "GET", "users/current.json", token=AGENT_TOKEN, params={"user_id": 9}))
    assert me["id"] == AGENT


def test_an_unknown_user_id_in_the_path_answers_and_acts_on_the_token_user(sandbox):
    """Trap 7 extended to path ids [I] (path_user_fallback, on by default): reads answer the
    admin, and a logout meant for a missing user logs the admin out."""
    got = data(call(sandbox, "GET", "users/999999.json"))
    assert got["id"] == OWNER
    assert data(call(sandbox, "GET", "users/999999/logout.json")) is True
    assert state(sandbox).logouts == [OWNER] and state(sandbox).users[OWNER]["sessions"] == 0
    sandbox.app.configure(path_user_fallback=False)
    assert error(call(sandbox, "GET", "users/999999.json"), 404) == "User 999999 not found"
    assert error(call(sandbox, "GET", "users/999999/logout.json"), 404)
    assert state(sandbox).logouts == [OWNER]


def test_user_by_sso_guid(sandbox):
    """U4 [D] SEED:9."""
    user = next(u for u in state(sandbox).users.values() if u["sso_guid"])
    assert data(call(sandbox, "GET", f"users/sso/{user['sso_guid']}.json"))["id"] == user["id"]
    assert error(call(sandbox, "GET", "users/sso/unknown-guid.json"), 404)
